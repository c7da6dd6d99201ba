/**
 * Root tier: two keepalived-ts directors (dist/keepalived-ts.js) in two namespaces on a veth
 * pair. Election, failover on SIGKILL and SIGTERM, nopreempt, preempt_delay, vrrp_script and
 * track_interface tracking, dropped-and-counted adverts, and the gratuitous ARPs on the wire.
 *
 * Timing limits are the protocol's (Master_Down_Interval, Skew_Time) plus 0.5 s; the figures
 * themselves are measured by bench/failover.mjs.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  nsExec,
  signalDaemon,
  sleep,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['tshark']));

const VIP = '10.231.8.100';
const VIP2 = '10.231.8.101';
/** Master_Down_Interval for priority 100 and advert_int 1: 3 + 156/256 s. */
const MDI_100_MS = 3000 + (156 * 1000) / 256;
const SKEW_100_MS = (156 * 1000) / 256;
const MARGIN_MS = 500;

describeTier('keepalived-ts directors in namespaces', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  const running: Daemon[] = [];

  const start = (host: Host, name: string, config: string): Daemon => {
    const d = startKeepalivedTs(bed, host.ns, name, config);
    running.push(d);
    return d;
  };
  const hasVip = (host: Host, address = VIP): boolean => bed.hasAddress(host.ns, address);
  const stats = async (d: Daemon): Promise<string> => {
    const path = join(d.runtimeDir, 'keepalived.stats');
    rmSync(path, { force: true });
    signalDaemon(d, 'SIGUSR2');
    await waitFor(
      () => {
        try {
          return readFileSync(path, 'utf8').includes('Priority Zero');
        } catch {
          return false;
        }
      },
      5000,
      'stats file',
    );
    return readFileSync(path, 'utf8');
  };
  const stat = (text: string, section: string, field: string): number => {
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.trim() === `${section}:`);
    const line = lines.slice(at + 1).find((l) => l.trim().startsWith(`${field}:`));
    return Number(line?.split(':')[1]);
  };

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-vio-fo');
    [a, b] = bed.twoHosts('10.231.8');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => stopDaemon(d)));
    for (const h of [a, b]) {
      for (const v of [VIP, VIP2]) {
        if (hasVip(h, v)) nsExec(h.ns, 'ip', ['addr', 'del', `${v}/32`, 'dev', 'eth0']);
      }
    }
  });
  afterAll(() => bed?.destroy());

  it('elects the higher priority; SIGKILL of the master moves the VIP within Master_Down_Interval + 0.5 s', async () => {
    const da = start(a, 'a', vrrpConfig({ priority: 150, vips: [`${VIP}/32`] }));
    const db = start(b, 'b', vrrpConfig({ priority: 100, vips: [`${VIP}/32`] }));
    await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await db.lines.wait(/\(VI_1\) Entering BACKUP STATE \(init\)/, 10_000);
    await waitFor(() => hasVip(a), 2000, 'VIP on a');
    expect(da.lines.find(/Starting Keepalived-ts v/)).toBeGreaterThanOrEqual(0);
    expect(da.lines.find(/Opening file '.*keepalived\.conf'\./)).toBeGreaterThanOrEqual(0);
    await da.lines.wait(/\(VI_1\) setting VIPs\./, 2000);
    await sleep(1500);
    expect(hasVip(b)).toBe(false);
    // Started together, b's timer may expire first; the election still ends with a as MASTER.
    const entered = db.lines.lines.filter((l) => /Entering \w+ STATE/.test(l.text));
    expect(entered[entered.length - 1]!.text).toMatch(/\(VI_1\) Entering BACKUP STATE/);

    signalDaemon(da, 'SIGKILL');
    const killedAt = performance.now();
    await da.exited;
    await waitFor(() => hasVip(b), MDI_100_MS + 3000, 'VIP on b after SIGKILL');
    const outage = performance.now() - killedAt;
    expect(outage).toBeLessThan(MDI_100_MS + MARGIN_MS);
    await db.lines.wait(
      /\(VI_1\) Entering MASTER STATE/,
      2000,
      entered.length > 1 ? db.lines.find(/Entering BACKUP STATE$/) : 0,
    );
  });

  it('removes VIPs a crashed run left behind, and SIGTERM hands over within Skew_Time + 0.5 s', async () => {
    // The VIP left on b by the SIGKILL test stands for a crash leftover.
    nsExec(b.ns, 'ip', ['addr', 'add', `${VIP}/32`, 'dev', 'eth0']);
    const db = start(b, 'b2', vrrpConfig({ priority: 100, vips: [`${VIP}/32`] }));
    await db.lines.wait(/\(VI_1\) removing VIPs\./, 10_000);
    await db.lines.wait(/Entering BACKUP STATE \(init\)/, 10_000);
    expect(hasVip(b)).toBe(false);
    const da = start(a, 'a2', vrrpConfig({ priority: 150, vips: [`${VIP}/32`] }));
    await da.lines.wait(/Entering MASTER STATE/, 10_000);
    await waitFor(() => hasVip(a), 2000, 'VIP on a');
    await sleep(1200);

    signalDaemon(da, 'SIGTERM');
    const termAt = performance.now();
    await waitFor(() => hasVip(b), 5000, 'VIP on b after SIGTERM');
    const handover = performance.now() - termAt;
    expect(await da.exited).toBe(0);
    expect(handover).toBeLessThan(SKEW_100_MS + MARGIN_MS);
    expect(hasVip(a)).toBe(false);
    await da.lines.wait(/\(VI_1\) sent 0 priority/, 2000);
    await da.lines.wait(/\(VI_1\) removing VIPs\./, 2000);
    await db.lines.wait(/\(VI_1\) Backup received priority 0 advertisement/, 2000);
    running.splice(running.indexOf(da), 1);
  });

  it('unicast mode (unicast_src_ip + unicast_peer): election and SIGKILL failover', async () => {
    const unicast = (self: Host, peer: Host): string[] => [
      `unicast_src_ip ${self.address}`,
      'unicast_peer {',
      `  ${peer.address}`,
      '}',
    ];
    const da = start(a, 'a-uc', vrrpConfig({ priority: 150, vips: [`${VIP}/32`], extra: unicast(a, b) }));
    const db = start(b, 'b-uc', vrrpConfig({ priority: 100, vips: [`${VIP}/32`], extra: unicast(b, a) }));
    await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await waitFor(() => hasVip(a), 2000, 'VIP on a');
    await sleep(1500);
    const entered = db.lines.lines.filter((l) => /Entering \w+ STATE/.test(l.text));
    expect(entered[entered.length - 1]!.text).toMatch(/Entering BACKUP STATE/);
    expect(hasVip(b)).toBe(false);
    signalDaemon(da, 'SIGKILL');
    const killedAt = performance.now();
    await waitFor(() => hasVip(b), MDI_100_MS + 3000, 'VIP on b after SIGKILL');
    expect(performance.now() - killedAt).toBeLessThan(MDI_100_MS + MARGIN_MS);
  });

  it('two instances in a vrrp_sync_group share the interface and move together', async () => {
    const config = (priority: number): string =>
      [
        'vrrp_sync_group G1 {',
        '  group {',
        '    VI_1',
        '    VI_2',
        '  }',
        '}',
        vrrpConfig({ name: 'VI_1', vrid: 51, priority, vips: [`${VIP}/32`] }),
        vrrpConfig({ name: 'VI_2', vrid: 52, priority, vips: [`${VIP2}/32`] }),
      ].join('\n');
    const da = start(a, 'a-sg', config(150));
    const db = start(b, 'b-sg', config(100));
    await da.lines.wait(/VRRP_Group\(G1\) Syncing instances to MASTER state/, 10_000);
    await waitFor(() => hasVip(a, VIP) && hasVip(a, VIP2), 3000, 'both VIPs on a');
    await sleep(1500);
    expect(hasVip(b, VIP) || hasVip(b, VIP2)).toBe(false);
    signalDaemon(da, 'SIGKILL');
    await waitFor(() => hasVip(b, VIP) && hasVip(b, VIP2), MDI_100_MS + 3000, 'both VIPs on b');
    await db.lines.wait(/\(VI_1\) Entering MASTER STATE/, 2000);
    await db.lines.wait(/\(VI_2\) Entering MASTER STATE/, 2000);
  });

  it('nopreempt: a higher-priority node that starts later stays BACKUP', async () => {
    const db = start(b, 'b3', vrrpConfig({ priority: 100, vips: [`${VIP}/32`] }));
    await db.lines.wait(/Entering MASTER STATE/, 10_000);
    const da = start(a, 'a3', vrrpConfig({ priority: 150, vips: [`${VIP}/32`], extra: ['nopreempt'] }));
    await da.lines.wait(/Entering BACKUP STATE \(init\)/, 10_000);
    await sleep(MDI_100_MS + 1500);
    expect(da.lines.find(/Entering MASTER STATE/)).toBe(-1);
    expect(hasVip(b)).toBe(true);
    expect(hasVip(a)).toBe(false);
  });

  it('preempt_delay: the higher priority takes over only after the delay', async () => {
    const db = start(b, 'b4', vrrpConfig({ priority: 100, vips: [`${VIP}/32`] }));
    await db.lines.wait(/Entering MASTER STATE/, 10_000);
    const da = start(a, 'a4', vrrpConfig({ priority: 150, vips: [`${VIP}/32`], extra: ['preempt_delay 3'] }));
    const i = await da.lines.wait(/Entering BACKUP STATE \(init\)/, 10_000);
    const startedAt = da.lines.lines[i]!.at;
    const m = await da.lines.wait(/Entering MASTER STATE/, 15_000);
    expect(da.lines.lines[m]!.at - startedAt).toBeGreaterThanOrEqual(3000);
    await waitFor(() => hasVip(a) && !hasVip(b), 3000, 'VIP moved to a');
    await db.lines.wait(/Entering BACKUP STATE$/, 5000);
  });

  it('a failing vrrp_script lowers priority below the peer and moves the VIP; recovery moves it back', async () => {
    const flag = join(bed.tempDir, 'chk-fail');
    const scriptBlock = [
      'vrrp_script chk {',
      `  script "/bin/sh -c 'test ! -e ${flag}'"`,
      '  interval 1',
      '  weight -60',
      '}',
    ];
    const da = start(
      a,
      'a5',
      vrrpConfig(
        { priority: 150, vips: [`${VIP}/32`], extra: ['track_script {', '  chk', '}'] },
        scriptBlock,
      ),
    );
    const db = start(b, 'b5', vrrpConfig({ priority: 100, vips: [`${VIP}/32`] }));
    await da.lines.wait(/VRRP_Script\(chk\) succeeded/, 10_000);
    await da.lines.wait(/Entering MASTER STATE/, 10_000);
    await waitFor(() => hasVip(a), 2000, 'VIP on a');

    writeFileSync(flag, '');
    await da.lines.wait(/VRRP_Script\(chk\) failed \(exited with status 1\)/, 5000);
    await da.lines.wait(/\(VI_1\) Changing effective priority from 150 to 90/, 5000);
    await db.lines.wait(/Entering MASTER STATE/, 10_000);
    await waitFor(() => hasVip(b) && !hasVip(a), 5000, 'VIP moved to b');
    await da.lines.wait(/Entering BACKUP STATE$/, 5000);

    rmSync(flag);
    await da.lines.wait(/VRRP_Script\(chk\) succeeded/, 5000, da.lines.find(/failed/));
    const back = da.lines.find(/Entering MASTER STATE/, da.lines.find(/Entering BACKUP STATE$/) + 1);
    if (back < 0)
      await da.lines.wait(/Entering MASTER STATE/, 10_000, da.lines.find(/Entering BACKUP STATE$/) + 1);
    await waitFor(() => hasVip(a) && !hasVip(b), 5000, 'VIP back on a');
  });

  it('a tracked interface going down puts the master in FAULT and the peer takes over', async () => {
    // A veth pair inside a's namespace stands for a second NIC (no dummy module here).
    nsExec(a.ns, 'ip', ['link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']);
    nsExec(a.ns, 'ip', ['link', 'set', 'trk1', 'up']);
    nsExec(a.ns, 'ip', ['link', 'set', 'trk0', 'up']);
    try {
      const da = start(
        a,
        'a6',
        vrrpConfig({ priority: 150, vips: [`${VIP}/32`], extra: ['track_interface {', '  trk0', '}'] }),
      );
      const db = start(b, 'b6', vrrpConfig({ priority: 100, vips: [`${VIP}/32`] }));
      await da.lines.wait(/Entering MASTER STATE/, 10_000);
      await waitFor(() => hasVip(a), 2000, 'VIP on a');
      await sleep(1000);
      nsExec(a.ns, 'ip', ['link', 'set', 'trk0', 'down']);
      await da.lines.wait(/\(VI_1\): entering FAULT state \(interface trk0 down\)/, 5000);
      await da.lines.wait(/\(VI_1\) Entering FAULT STATE/, 5000);
      await db.lines.wait(/Entering MASTER STATE/, SKEW_100_MS + 3000);
      await waitFor(() => hasVip(b) && !hasVip(a), 3000, 'VIP moved to b');
      nsExec(a.ns, 'ip', ['link', 'set', 'trk0', 'up']);
      await da.lines.wait(/Entering MASTER STATE/, 10_000, da.lines.find(/Entering FAULT STATE/));
      await waitFor(() => hasVip(a) && !hasVip(b), 5000, 'VIP back on a');
    } finally {
      nsExec(a.ns, 'ip', ['link', 'del', 'trk0']);
    }
  });

  it('drops and counts adverts with a wrong password or another advert_int instead of obeying them', async () => {
    const da = start(a, 'a7', vrrpConfig({ priority: 150, vips: [`${VIP}/32`] }));
    await da.lines.wait(/Entering MASTER STATE/, 10_000);
    const db = start(b, 'b7', vrrpConfig({ priority: 100, vips: [`${VIP}/32`], password: 'other' }));
    // b ignores a's adverts, so it becomes MASTER too (keepalived does the same).
    await db.lines.wait(/Entering MASTER STATE/, MDI_100_MS + 3000);
    await db.lines.wait(/\(VI_1\) received an invalid passwd from 10\.231\.8\.1!/, 3000);
    const sb = await stats(db);
    expect(stat(sb, 'Authentication Errors', 'Failure')).toBeGreaterThanOrEqual(2);
    expect(stat(sb, 'Advertisements', 'Received')).toBe(0);
    await stopDaemon(db);
    running.splice(running.indexOf(db), 1);

    const dc = start(b, 'b8', vrrpConfig({ priority: 100, vips: [`${VIP}/32`], advertInt: 2 }));
    await dc.lines.wait(/Entering MASTER STATE/, 2 * 3000 + 3000);
    await dc.lines.wait(
      /\(VI_1\) advertisement interval mismatch with 10\.231\.8\.1 mine=2 sec rcv'd=1 sec/,
      3000,
    );
    const sc = await stats(dc);
    expect(stat(sc, 'Packet Errors', 'Advertisement Interval')).toBeGreaterThanOrEqual(2);
    expect(stat(sc, 'Advertisements', 'Received')).toBe(0);
  });

  it('puts 5 gratuitous ARPs per VIP on the wire on entering MASTER, and 5 more after garp_master_delay', async () => {
    const capture = bed.spawnIn(b.ns, 'tshark', [
      '-i',
      'eth0',
      '-f',
      'arp',
      '-l',
      '-a',
      'duration:14',
      '-T',
      'fields',
      '-e',
      'frame.time_epoch',
      '-e',
      'arp.opcode',
      '-e',
      'arp.src.proto_ipv4',
      '-e',
      'arp.dst.proto_ipv4',
      '-e',
      'eth.dst',
    ]);
    const tshark = new LineCollector(capture);
    await tshark.wait(/Capturing on/, 15_000);
    const captureDone = new Promise((r) => capture.on('exit', r));
    const da = start(a, 'a9', vrrpConfig({ priority: 150, vips: [`${VIP}/32`, `${VIP2}/32`] }));
    await da.lines.wait(/Entering MASTER STATE/, 10_000);
    await captureDone;
    const frames = tshark.lines
      .map((l) => l.text.split('\t'))
      .filter((f) => f.length === 5 && f[1] === '1' && f[2] === f[3] && f[4] === 'ff:ff:ff:ff:ff:ff');
    for (const v of [VIP, VIP2]) {
      const times = frames.filter((f) => f[2] === v).map((f) => Number(f[0]));
      expect(times).toHaveLength(10);
      const first = times.slice(0, 5);
      const second = times.slice(5);
      expect(Math.max(...first) - Math.min(...first)).toBeLessThan(0.5);
      expect(Math.max(...second) - Math.min(...second)).toBeLessThan(0.5);
      const gap = Math.min(...second) - Math.max(...first);
      expect(gap).toBeGreaterThan(4.5);
      expect(gap).toBeLessThan(5.5);
    }
    expect(da.lines.count(/^.*: Sending gratuitous ARP on eth0 for 10\.231\.8\.100$/)).toBe(10);
  });
});
