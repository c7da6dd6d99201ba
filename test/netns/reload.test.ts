/**
 * Root tier: SIGHUP on a keepalived-ts VRRP master, with a keepalived-ts backup as its peer in a
 * second namespace (docs/behaviour.md §2.7).
 *  - a config that cannot be loaded: the daemon keeps running on the old one, VIP held;
 *  - a changed priority and an added VIP: applied by the master with no re-election - the peer
 *    never becomes MASTER (checked over more than its Master_Down_Interval);
 *  - an instance added by a reload starts in INIT -> BACKUP (then MASTER, as no peer has it);
 *    removed by the next reload, it gives up its VIP;
 *  - SIGTERM after the reloads still removes every VIP and hands over to the peer.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  netnsPrerequisites,
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

const describeTier = tierDescribe('netns', netnsPrerequisites());

const VIP = '10.231.61.100';
const VIP2 = '10.231.61.101';
const VIP3 = '10.231.61.102';
/** Master_Down_Interval for priority 100 and advert_int 1, plus a margin. */
const PEER_MDI_MS = 3000 + (156 * 1000) / 256 + 1000;

describeTier('SIGHUP reload of a VRRP master', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  const running: Daemon[] = [];

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-wire-rl');
    [a, b] = bed.twoHosts('10.231.61');
  });
  afterAll(async () => {
    await Promise.all(running.map((d) => stopDaemon(d)));
    bed?.destroy();
  });

  it('keeps the old config on a load failure, applies priority/VIP/instance changes without a takeover, and still cleans up on SIGTERM', async () => {
    const da = startKeepalivedTs(bed, a.ns, 'a', vrrpConfig({ priority: 150, vips: [`${VIP}/32`] }));
    const db = startKeepalivedTs(bed, b.ns, 'b', vrrpConfig({ priority: 100, vips: [`${VIP}/32`] }));
    running.push(da, db);
    await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await db.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 10_000);
    await waitFor(() => bed.hasAddress(a.ns, VIP), 3000, 'VIP on a');
    // Let a start-up election settle before watching the peer.
    await sleep(1500);
    const peerFrom = db.lines.lines.length;
    const peerTookOver = (): boolean => db.lines.find(/\(VI_1\) Entering MASTER STATE/, peerFrom) >= 0;

    // 1. The config file is gone: nothing changes.
    let from = da.lines.lines.length;
    rmSync(da.configPath);
    signalDaemon(da, 'SIGHUP');
    await da.lines.wait(/: Reloading$/, 5000, from);
    await da.lines.wait(
      /Reload failed - configuration errors, keeping the running configuration/,
      5000,
      from,
    );
    expect(da.child.exitCode).toBeNull();
    expect(bed.hasAddress(a.ns, VIP)).toBe(true);

    // 2. Higher priority and a second VIP.
    from = da.lines.lines.length;
    writeFileSync(da.configPath, vrrpConfig({ priority: 160, vips: [`${VIP}/32`, `${VIP2}/32`] }));
    signalDaemon(da, 'SIGHUP');
    await da.lines.wait(/Reload complete/, 10_000, from);
    await waitFor(() => bed.hasAddress(a.ns, VIP2), 3000, 'added VIP on a');
    expect(bed.hasAddress(a.ns, VIP)).toBe(true);
    await sleep(PEER_MDI_MS);
    expect(peerTookOver()).toBe(false);
    expect(da.lines.find(/\(VI_1\) Entering (BACKUP|MASTER) STATE/, from)).toBe(-1);
    expect(bed.hasAddress(b.ns, VIP)).toBe(false);

    // 3. A new instance (no peer has VRID 62): INIT -> BACKUP, then MASTER with its VIP.
    from = da.lines.lines.length;
    const withSecond =
      vrrpConfig({ priority: 160, vips: [`${VIP}/32`, `${VIP2}/32`] }) +
      vrrpConfig({ name: 'VI_2', vrid: 62, priority: 100, vips: [`${VIP3}/32`] });
    writeFileSync(da.configPath, withSecond);
    signalDaemon(da, 'SIGHUP');
    await da.lines.wait(/Reload complete/, 10_000, from);
    await da.lines.wait(/\(VI_2\) Entering BACKUP STATE \(init\)/, 5000, from);
    await da.lines.wait(/\(VI_2\) Entering MASTER STATE/, 10_000, from);
    await waitFor(() => bed.hasAddress(a.ns, VIP3), 3000, 'VIP of the new instance');

    // 4. VI_2 removed again: its VIP goes; VI_1 is untouched.
    from = da.lines.lines.length;
    writeFileSync(da.configPath, vrrpConfig({ priority: 160, vips: [`${VIP}/32`, `${VIP2}/32`] }));
    signalDaemon(da, 'SIGHUP');
    await da.lines.wait(/Reload complete/, 10_000, from);
    await waitFor(() => !bed.hasAddress(a.ns, VIP3), 3000, 'VIP of the removed instance gone');
    expect(bed.hasAddress(a.ns, VIP)).toBe(true);
    expect(bed.hasAddress(a.ns, VIP2)).toBe(true);
    expect(peerTookOver()).toBe(false);

    // 5. SIGTERM after the reloads: every VIP released, the peer takes over at once (priority 0).
    const code = await stopDaemon(da);
    expect(code).toBe(0);
    expect(bed.hasAddress(a.ns, VIP)).toBe(false);
    expect(bed.hasAddress(a.ns, VIP2)).toBe(false);
    await db.lines.wait(/\(VI_1\) Entering MASTER STATE/, 3000, peerFrom);
    await waitFor(() => bed.hasAddress(b.ns, VIP), 3000, 'VIP on the peer');
  }, 90_000);
});
