/**
 * Root tier: `timer_expired_backup` (keepalived 2.2.8+) between two keepalived-ts directors. The
 * MASTER is held up with SIGSTOP until the nopreempt backup has taken over; on SIGCONT, with the
 * keyword it goes BACKUP (the other router keeps the VIP), without it it pre-empts the new master
 * as keepalived 2.2.7 does.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
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

const describeTier = tierDescribe('netns', netnsPrerequisites([]));

const VIP = '10.231.41.100';
/** Master_Down_Interval of the priority-100 backup: 3 + 156/256 s. */
const MDI_100_MS = 3000 + (156 * 1000) / 256;

describeTier('timer_expired_backup: a MASTER held up past the takeover time', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  const running: Daemon[] = [];

  const start = (host: Host, name: string, config: string): Daemon => {
    const d = startKeepalivedTs(bed, host.ns, name, config);
    running.push(d);
    return d;
  };
  const hasVip = (host: Host): boolean => bed.hasAddress(host.ns, VIP);

  /** a (150) becomes MASTER, b (100, nopreempt) BACKUP; a is stopped until b holds the VIP. */
  async function holdUpMaster(
    extraA: readonly string[],
  ): Promise<{ da: Daemon; db: Daemon; bMaster: number }> {
    const da = start(
      a,
      'a',
      vrrpConfig({ priority: 150, vips: [`${VIP}/32`], extra: ['nopreempt', ...extraA] }),
    );
    await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    const db = start(b, 'b', vrrpConfig({ priority: 100, vips: [`${VIP}/32`], extra: ['nopreempt'] }));
    await db.lines.wait(/\(VI_1\) Entering BACKUP STATE \(init\)/, 10_000);
    await sleep(1500);
    expect(hasVip(b)).toBe(false);
    signalDaemon(da, 'SIGSTOP');
    const bMaster = await db.lines.wait(/\(VI_1\) Entering MASTER STATE/, MDI_100_MS + 2000);
    await waitFor(() => hasVip(b), 2000, 'VIP on b');
    // Held up well past 3 adverts + skew, so the late check must see it.
    await sleep(1500);
    signalDaemon(da, 'SIGCONT');
    return { da, db, bMaster };
  }

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-teb');
    [a, b] = bed.twoHosts('10.231.41');
  });
  afterEach(async () => {
    for (const d of running) if (d.child.exitCode === null) signalDaemon(d, 'SIGCONT');
    await Promise.all(running.splice(0).map((d) => stopDaemon(d)));
    for (const h of [a, b]) if (hasVip(h)) nsExec(h.ns, 'ip', ['addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
  });
  afterAll(() => bed?.destroy());

  it('with timer_expired_backup the held-up MASTER goes BACKUP and the new master keeps the VIP', async () => {
    const { da, db, bMaster } = await holdUpMaster(['timer_expired_backup']);
    const line = await da.lines.wait(/VRRP thread timer expired \d+\.\d{6} seconds ago/, 5000);
    const late = Number(/expired (\d+\.\d+) seconds/.exec(da.lines.lines[line]!.text)![1]);
    // Stopped for Master_Down_Interval + 1.5 s at least: its Adver_Timer was that late less 1 s.
    expect(late).toBeGreaterThan(2.008);
    await da.lines.wait(/\(VI_1\) Entering BACKUP STATE$/, 2000, line);
    await waitFor(() => !hasVip(a), 3000, 'VIP gone from a');
    await sleep(4000);
    expect(hasVip(b)).toBe(true);
    expect(hasVip(a)).toBe(false);
    // b was never pre-empted, and a stayed BACKUP.
    expect(db.lines.find(/\(VI_1\) Entering BACKUP STATE$/, bMaster)).toBe(-1);
    expect(da.lines.find(/\(VI_1\) Entering MASTER STATE/, line)).toBe(-1);
  });

  it('without it the held-up MASTER resumes and pre-empts the new master, as keepalived 2.2.7', async () => {
    const { da, db, bMaster } = await holdUpMaster([]);
    await db.lines.wait(/\(VI_1\) Entering BACKUP STATE$/, 5000, bMaster);
    await waitFor(() => !hasVip(b), 3000, 'VIP gone from b');
    expect(hasVip(a)).toBe(true);
    expect(da.lines.find(/VRRP thread timer expired/)).toBe(-1);
  });
});
