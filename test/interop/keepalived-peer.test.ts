/**
 * Interop tier: keepalived-ts against the real keepalived (Debian 2.2.7, VRRP only) in two
 * namespaces on a veth pair. Each side as master and as backup, failover both ways on SIGKILL
 * and SIGTERM, the equal-priority tie-break by primary IP, and tshark's VRRP dissector on the
 * adverts keepalived-ts sends.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  netnsPrerequisites,
  nsExec,
  signalDaemon,
  sleep,
  startKeepalived,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('interop', netnsPrerequisites(['keepalived', 'tshark']));

const VIP = '10.231.6.100';
const MDI_100_MS = 3000 + (156 * 1000) / 256;
const SKEW_100_MS = (156 * 1000) / 256;
const MARGIN_MS = 500;

describeTier('keepalived-ts with keepalived 2.2.7 as the peer', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  const running: Daemon[] = [];

  const ts = (host: Host, name: string, priority: number): Daemon => {
    const d = startKeepalivedTs(bed, host.ns, name, vrrpConfig({ priority, vips: [`${VIP}/32`] }));
    running.push(d);
    return d;
  };
  const ka = (host: Host, name: string, priority: number): Daemon => {
    const d = startKeepalived(bed, host.ns, name, vrrpConfig({ priority, vips: [`${VIP}/32`] }));
    running.push(d);
    return d;
  };
  const hasVip = (host: Host): boolean => bed.hasAddress(host.ns, VIP);
  const forget = (d: Daemon): void => void running.splice(running.indexOf(d), 1);

  /** Kills `master` with `signal` and returns how long until `backupHost` holds the VIP. */
  const failover = async (
    master: Daemon,
    signal: 'SIGKILL' | 'SIGTERM',
    backupHost: Host,
  ): Promise<number> => {
    signalDaemon(master, signal);
    const at = performance.now();
    await waitFor(() => hasVip(backupHost), MDI_100_MS + 3000, `VIP on ${backupHost.ns} after ${signal}`);
    const took = performance.now() - at;
    await master.exited;
    forget(master);
    return took;
  };

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-vio-io');
    [a, b] = bed.twoHosts('10.231.6');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => stopDaemon(d)));
    for (const h of [a, b]) if (hasVip(h)) nsExec(h.ns, 'ip', ['addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
  });
  afterAll(() => bed?.destroy());

  it('keepalived-ts as master, keepalived as backup; failover on SIGTERM and SIGKILL; preemption back', async () => {
    const peer = ka(b, 'ka-b', 100);
    await peer.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 10_000);
    const d1 = ts(a, 'ts-a1', 150);
    await d1.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await waitFor(() => hasVip(a), 2000, 'VIP on keepalived-ts');
    await sleep(2000);
    expect(hasVip(b)).toBe(false);
    // keepalived accepted every advert: no validation complaint in its log.
    expect(peer.lines.find(/invalid|mismatch|checksum|wrong|TTL/i)).toBe(-1);
    // keepalived may have become MASTER before keepalived-ts started; it must end as BACKUP.
    const peerStates = peer.lines.lines.filter((l) => /Entering \w+ STATE/.test(l.text));
    expect(peerStates[peerStates.length - 1]!.text).toMatch(/Entering BACKUP STATE/);

    expect(await failover(d1, 'SIGTERM', b)).toBeLessThan(SKEW_100_MS + MARGIN_MS);
    await peer.lines.wait(/\(VI_1\) Backup received priority 0 advertisement/, 2000);
    await peer.lines.wait(
      /\(VI_1\) Entering MASTER STATE/,
      2000,
      peer.lines.find(/priority 0 advertisement/),
    );

    const d2 = ts(a, 'ts-a2', 150);
    await d2.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await peer.lines.wait(
      /\(VI_1\) Master received advert from 10\.231\.6\.1 with higher priority 150, ours 100/,
      5000,
    );
    await waitFor(() => hasVip(a) && !hasVip(b), 3000, 'VIP back on keepalived-ts');
    await sleep(1200);

    expect(await failover(d2, 'SIGKILL', b)).toBeLessThan(MDI_100_MS + MARGIN_MS);
  });

  it('keepalived as master, keepalived-ts as backup; failover on SIGTERM and SIGKILL; preemption back', async () => {
    const d = ts(b, 'ts-b', 100);
    await d.lines.wait(/\(VI_1\) Entering BACKUP STATE \(init\)/, 10_000);
    const k1 = ka(a, 'ka-a1', 150);
    await k1.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await waitFor(() => hasVip(a), 2000, 'VIP on keepalived');
    await sleep(2000);
    expect(hasVip(b)).toBe(false);
    expect(d.lines.find(/invalid|mismatch|checksum|wrong|TTL/i)).toBe(-1);
    const entered = d.lines.lines.filter((l) => /Entering \w+ STATE/.test(l.text));
    expect(entered[entered.length - 1]!.text).toMatch(/Entering BACKUP STATE/);

    expect(await failover(k1, 'SIGTERM', b)).toBeLessThan(SKEW_100_MS + MARGIN_MS);
    await d.lines.wait(/\(VI_1\) Backup received priority 0 advertisement/, 2000);

    const k2 = ka(a, 'ka-a2', 150);
    await k2.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await d.lines.wait(
      /\(VI_1\) Master received advert from 10\.231\.6\.1 with higher priority 150, ours 100/,
      5000,
    );
    await waitFor(() => hasVip(a) && !hasVip(b), 3000, 'VIP back on keepalived');
    await sleep(1200);

    expect(await failover(k2, 'SIGKILL', b)).toBeLessThan(MDI_100_MS + MARGIN_MS);
  });

  it('resolves equal priorities by the higher primary IP, the same way on both', async () => {
    // Equal priorities only meet when both are MASTER (a backup accepts an equal-priority
    // master, RFC 3768 section 6.4.2): partition the pair, let both take over, then heal.
    const [p1, p2] = bed.bridgedHosts('10.231.5', ['p1', 'p2']) as [Host, Host];
    const vip = '10.231.5.100';
    const holds = (h: Host): boolean => bed.hasAddress(h.ns, vip);
    const lastState = (d: Daemon): string => {
      const entered = d.lines.lines.filter((l) => /Entering \w+ STATE/.test(l.text));
      return entered[entered.length - 1]?.text ?? '';
    };
    const config = vrrpConfig({ priority: 100, vrid: 52, vips: [`${vip}/32`] });
    for (const [tsHost, kaHost] of [
      [p1, p2],
      [p2, p1],
    ] as const) {
      bed.partition(p1);
      const d = startKeepalivedTs(bed, tsHost.ns, `ts-eq-${tsHost.address}`, config);
      const k = startKeepalived(bed, kaHost.ns, `ka-eq-${kaHost.address}`, config);
      running.push(d, k);
      await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
      await k.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
      bed.heal(p1);
      const [winner, loser] = tsHost.address === '10.231.5.2' ? [d, k] : [k, d];
      const winnerHost = tsHost.address === '10.231.5.2' ? tsHost : kaHost;
      const loserHost = winnerHost === tsHost ? kaHost : tsHost;
      await loser.lines.wait(
        /\(VI_1\) Master received advert from 10\.231\.5\.2 with same priority 100 but higher IP address than ours/,
        5000,
      );
      await waitFor(() => holds(winnerHost) && !holds(loserHost), 3000, 'VIP on the higher IP only');
      await sleep(2500);
      expect(lastState(winner)).toMatch(/Entering MASTER STATE/);
      expect(lastState(loser)).toMatch(/Entering BACKUP STATE/);
      await Promise.all([stopDaemon(d), stopDaemon(k)]);
      forget(d);
      forget(k);
    }
  });

  it("keepalived-ts adverts decode in tshark's VRRP dissector with no expert warnings", async () => {
    const pcap = join(bed.tempDir, 'adverts.pcap');
    const d = ts(a, 'ts-cap', 150);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    const cap = spawnSync(
      'ip',
      ['netns', 'exec', b.ns, 'tshark', '-i', 'eth0', '-f', 'ip proto 112', '-a', 'duration:3', '-w', pcap],
      {
        encoding: 'utf8',
      },
    );
    expect(cap.status).toBe(0);
    const fields = spawnSync(
      'tshark',
      [
        '-r',
        pcap,
        '-Y',
        'vrrp',
        '-T',
        'fields',
        '-e',
        'ip.src',
        '-e',
        'ip.dst',
        '-e',
        'ip.ttl',
        '-e',
        'vrrp.version',
        '-e',
        'vrrp.type',
        '-e',
        'vrrp.virt_rtr_id',
        '-e',
        'vrrp.prio',
        '-e',
        'vrrp.addr_count',
        '-e',
        'vrrp.auth_type',
        '-e',
        'vrrp.adver_int',
        '-e',
        'vrrp.ip_addr',
        '-e',
        'vrrp.checksum.status',
      ],
      { encoding: 'utf8' },
    );
    const rows = fields.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) {
      // checksum status 1 = "Good" in Wireshark's proto_checksum_status enum (0 bad, 2 unverified).
      expect(r).toEqual(['10.231.6.1', '224.0.0.18', '255', '2', '1', '51', '150', '1', '1', '1', VIP, '1']);
    }
    const expert = spawnSync('tshark', ['-r', pcap, '-q', '-z', 'expert'], { encoding: 'utf8' });
    expect(expert.stdout).not.toMatch(/Warnings|Errors|Malformed/);
  });
});
