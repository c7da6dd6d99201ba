/**
 * Root tier: `keepalived-ts realserver setup|teardown` on a real server in a namespace, judged
 * by what crosses the wire from a director beside it. Before setup, a VIP put on lo by hand is
 * answered by ARP (the real server would steal the director's VIP); after `setup --mode dr` it is
 * not, while packets the director sends to the VIP at the real server's MAC (what LVS-DR does) are
 * accepted and answered; teardown restores every sysctl it raised (a non-default one included),
 * removes the VIPs, and the packets are no longer taken. `--dry-run` changes nothing.
 */
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, ip, netnsPrerequisites, nsExec, Testbed, type Host } from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['ping']));
const BIN = join(import.meta.dirname, '..', '..', 'dist', 'keepalived-ts.js');
const VIP = '10.231.81.100';
const VIP6 = '2001:db8:81::100';

describeTier('realserver setup and teardown', () => {
  let bed: Testbed;
  let director: Host;
  let rs: Host;
  let runtimeDir: string;

  const realserver = (...args: string[]) => {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', rs.ns, process.execPath, BIN, 'realserver', ...args, '--runtime-dir', runtimeDir],
      {
        encoding: 'utf8',
      },
    );
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const rsSysctl = (key: string) => nsExec(rs.ns, 'sysctl', ['-n', key]).trim();
  /** Any of three echo requests answered (the first may wait for neighbour resolution). */
  const ping = (ns: string, target: string, v6 = false) =>
    spawnSync(
      'ip',
      ['netns', 'exec', ns, 'ping', ...(v6 ? ['-6'] : []), '-c', '3', '-i', '0.3', '-W', '2', target],
      {
        stdio: 'ignore',
      },
    ).status === 0;
  const rsMac = () => JSON.parse(ip('-j', '-n', rs.ns, 'link', 'show', 'eth0'))[0].address as string;
  const loAddresses = () =>
    (
      JSON.parse(ip('-j', '-n', rs.ns, 'addr', 'show', 'dev', 'lo')) as { addr_info: { local: string }[] }[]
    )[0]!.addr_info.map((a) => a.local);
  /** What the director does for LVS-DR: the VIP's packets to the real server's MAC. */
  const forwardVipToRealServer = () => {
    ip('-n', director.ns, 'neigh', 'replace', VIP, 'lladdr', rsMac(), 'dev', 'eth0', 'nud', 'permanent');
    ip(
      '-n',
      director.ns,
      '-6',
      'neigh',
      'replace',
      VIP6,
      'lladdr',
      rsMac(),
      'dev',
      'eth0',
      'nud',
      'permanent',
    );
  };
  const forgetNeighbours = () => {
    ip('-n', director.ns, 'neigh', 'flush', 'dev', 'eth0');
    spawnSync('ip', ['-n', director.ns, 'neigh', 'del', VIP, 'dev', 'eth0'], { stdio: 'ignore' });
    spawnSync('ip', ['-n', director.ns, '-6', 'neigh', 'del', VIP6, 'dev', 'eth0'], { stdio: 'ignore' });
  };

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-rsrv');
    [director, rs] = bed.twoHosts('10.231.81', ['dir', 'rs']);
    runtimeDir = join(bed.tempDir, 'run');
    ip('-n', director.ns, 'addr', 'add', '2001:db8:81::1/64', 'dev', 'eth0', 'nodad');
    ip('-n', rs.ns, 'addr', 'add', '2001:db8:81::2/64', 'dev', 'eth0', 'nodad');
    // The VIPs are on-link for the director (it owns them on its own side in real life).
    ip('-n', director.ns, 'route', 'add', `${VIP}/32`, 'dev', 'eth0');
    ip('-n', director.ns, '-6', 'route', 'add', `${VIP6}/128`, 'dev', 'eth0');
    // A value the operator chose, to be restored by teardown.
    nsExec(rs.ns, 'sysctl', ['-qw', 'net.ipv4.conf.eth0.arp_announce=1']);
  });
  afterAll(() => bed?.destroy());

  it('without it, a VIP on lo answers ARP: the real server would take the director VIP', () => {
    ip('-n', rs.ns, 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
    try {
      expect(ping(director.ns, VIP)).toBe(true);
    } finally {
      ip('-n', rs.ns, 'addr', 'del', `${VIP}/32`, 'dev', 'lo');
      forgetNeighbours();
    }
  });

  it('--dry-run prints the commands and changes nothing', () => {
    const before = [
      loAddresses(),
      rsSysctl('net.ipv4.conf.all.arp_ignore'),
      rsSysctl('net.ipv4.conf.eth0.arp_announce'),
    ];
    const r = realserver(
      'setup',
      '--vip',
      VIP,
      '--vip',
      VIP6,
      '--mode',
      'dr',
      '--interface',
      'eth0',
      '--dry-run',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split('\n')).toEqual([
      'sysctl -w net.ipv4.conf.all.arp_ignore=1',
      'sysctl -w net.ipv4.conf.all.arp_announce=2',
      'sysctl -w net.ipv4.conf.eth0.arp_ignore=1',
      'sysctl -w net.ipv4.conf.eth0.arp_announce=2',
      `ip address add ${VIP}/32 dev lo`,
      `ip address add ${VIP6}/128 dev lo`,
    ]);
    expect([
      loAddresses(),
      rsSysctl('net.ipv4.conf.all.arp_ignore'),
      rsSysctl('net.ipv4.conf.eth0.arp_announce'),
    ]).toEqual(before);
    expect(existsSync(join(runtimeDir, 'realserver.json'))).toBe(false);
  });

  it('setup --mode dr: no ARP answer for the VIP, DR packets accepted and answered; a second setup changes nothing', () => {
    const r = realserver('setup', '--vip', VIP, '--vip', VIP6, '--mode', 'dr', '--interface', 'eth0');
    expect(r.code, r.err).toBe(0);
    expect(loAddresses()).toEqual(expect.arrayContaining([VIP, VIP6]));
    expect(rsSysctl('net.ipv4.conf.all.arp_ignore')).toBe('1');
    expect(rsSysctl('net.ipv4.conf.all.arp_announce')).toBe('2');
    expect(rsSysctl('net.ipv4.conf.eth0.arp_announce')).toBe('2');

    forgetNeighbours();
    expect(ping(director.ns, VIP)).toBe(false);
    const neigh = ip('-n', director.ns, 'neigh', 'show', VIP);
    expect(neigh).not.toMatch(/REACHABLE|STALE|DELAY/);

    forwardVipToRealServer();
    expect(ping(director.ns, VIP)).toBe(true);
    expect(ping(director.ns, VIP6, true)).toBe(true);

    const again = realserver('setup', '--vip', VIP, '--vip', VIP6, '--mode', 'dr', '--interface', 'eth0');
    expect(again.code, again.err).toBe(0);
    expect(again.out.trim()).toBe('# nothing to change: setup already holds');
    const state = JSON.parse(readFileSync(join(runtimeDir, 'realserver.json'), 'utf8'));
    expect(state.sysctls).toContainEqual({ path: 'net/ipv4/conf/eth0/arp_announce', previous: 1, value: 2 });
  });

  it('teardown removes the VIPs and restores every sysctl, the operator chosen one included', () => {
    const r = realserver('teardown');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`ip address del ${VIP}/32 dev lo`);
    expect(loAddresses()).not.toContain(VIP);
    expect(loAddresses()).not.toContain(VIP6);
    expect(rsSysctl('net.ipv4.conf.all.arp_ignore')).toBe('0');
    expect(rsSysctl('net.ipv4.conf.all.arp_announce')).toBe('0');
    expect(rsSysctl('net.ipv4.conf.eth0.arp_ignore')).toBe('0');
    expect(rsSysctl('net.ipv4.conf.eth0.arp_announce')).toBe('1');
    expect(existsSync(join(runtimeDir, 'realserver.json'))).toBe(false);
    // The director's packets for the VIP are no longer taken.
    forwardVipToRealServer();
    expect(ping(director.ns, VIP)).toBe(false);
    const twice = realserver('teardown');
    expect(twice.code).toBe(0);
    expect(twice.out.trim()).toBe('# nothing to change: teardown already holds');
  });

  it('refuses bad input with one line and exit 1', () => {
    for (const args of [
      ['setup', '--vip', '10.0.0.1/24', '--mode', 'dr'],
      ['setup', '--vip', VIP, '--mode', 'nat'],
      ['setup', '--vip', VIP, '--mode', 'dr', '--interface', 'eth9'],
      ['teardown', '--vip', '10.9.9.9'],
    ]) {
      const r = realserver(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
});
