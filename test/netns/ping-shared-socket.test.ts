/**
 * Root tier: every PING_CHECK of the checker pool shares one raw ICMP socket, replies
 * demultiplexed by identifier, sequence and source (check/ping.ts IcmpEchoDemux). 200 PING_CHECKs
 * in dist/keepalived-ts.js (-C, --no-ipvs) in a namespace: 100 loopback addresses and the peer
 * host answer, 99 addresses of the peer's subnet where nobody is do not. Each live server logs
 * keepalived's `ICMP connection to ... success.` and no dead one does; each dead one is removed
 * and no live one is. While they run the daemon holds exactly one raw ICMP socket: the process's
 * socket descriptors matched by inode against /proc/<pid>/net/raw, protocol 1.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonArgs } from '../support/daemon-options.js';
import { tierDescribe } from '../support/tier.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  sleep,
  stopDaemon,
  Testbed,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

const PREFIX = '10.231.77';
const LIVE = [...Array.from({ length: 100 }, (_, i) => `127.0.1.${i + 1}`), `${PREFIX}.2`];
const DEAD = Array.from({ length: 99 }, (_, i) => `${PREFIX}.${i + 101}`);

/** Raw sockets of `proto` the process holds: its socket fds whose inode /proc/PID/net/raw lists. */
function rawSockets(pid: number, file: 'raw' | 'raw6', proto: number): number {
  const inodes = new Set<string>();
  for (const line of readFileSync(`/proc/${pid}/net/${file}`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    // local_address is ADDR:PROTO (hex) for raw sockets; the inode is the tenth field.
    if (Number.parseInt(f[1]!.split(':')[1]!, 16) === proto) inodes.add(f[9]!);
  }
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && inodes.has(m[1]!)) n++;
  }
  return n;
}

describeTier('PING_CHECK on one shared ICMP socket', () => {
  let bed: Testbed;
  let a: Host;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('ck-ping');
    [a] = bed.twoHosts(PREFIX, ['a', 'b']);
  });
  afterAll(() => bed?.destroy());

  it('200 checks: the right verdict for each, one raw ICMP socket in the process', async () => {
    const dir = join(bed.tempDir, 'd');
    mkdirSync(dir, { recursive: true });
    const configPath = join(dir, 'keepalived.conf');
    const pidFile = join(dir, 'daemon.pid');
    writeFileSync(
      configPath,
      [
        'virtual_server 192.0.2.1 80 {',
        '  delay_loop 2',
        '  lb_algo rr',
        '  lb_kind NAT',
        '  protocol TCP',
        ...[...LIVE, ...DEAD].flatMap((ip) => [
          `  real_server ${ip} 80 {`,
          '    PING_CHECK {',
          '      connect_timeout 1',
          '      retry 0',
          '    }',
          '  }',
        ]),
        '}',
        '',
      ].join('\n'),
    );
    const child = bed.spawnIn(a.ns, process.execPath, [
      DIST_ENTRY,
      ...daemonArgs({
        config: configPath,
        pidFile,
        runtimeDir: join(dir, 'run'),
        extra: ['-D', '--no-ipvs', '-C'],
      }),
    ]);
    const lines = new LineCollector(child);
    const d = {
      child,
      lines,
      exited: new Promise<number | string>((r) => child.on('exit', (c, s) => r(c ?? s ?? -1))),
    };
    try {
      const target = (ip: string) => `\\[${ip.replace(/\./g, '\\.')}\\]:tcp:80`;
      for (const ip of LIVE)
        await lines.wait(new RegExp(`ICMP connection to ${target(ip)} success\\.`), 20_000);
      for (const ip of DEAD)
        await lines.wait(
          new RegExp(`Removing service ${target(ip)} from VS \\[192\\.0\\.2\\.1\\]:tcp:80`),
          20_000,
        );
      // Two more rounds of every check, then the verdicts must not have moved.
      await sleep(4500);
      for (const ip of DEAD) {
        expect(lines.count(new RegExp(`ICMP connection to ${target(ip)} success`))).toBe(0);
      }
      for (const ip of LIVE) {
        expect(lines.count(new RegExp(`Removing service ${target(ip)} `))).toBe(0);
        expect(lines.count(new RegExp(`ICMP CHECK on service ${target(ip)} failed`))).toBe(0);
      }
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      expect(pid).toBe(child.pid);
      expect(rawSockets(pid, 'raw', 1)).toBe(1);
      expect(rawSockets(pid, 'raw6', 58)).toBe(0);
    } finally {
      await stopDaemon(d as unknown as Daemon);
    }
  });
});
