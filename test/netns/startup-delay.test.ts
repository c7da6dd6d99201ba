/**
 * Root tier: `vrrp_startup_delay` (keepalived 2.2.7 vrrp_daemon.c start_vrrp, vrrp_scheduler.c
 * vrrp_init_instance_sands). The daemon logs `Delaying startup for 4 seconds`, the instance enters
 * BACKUP (init) at once but sends nothing until the delay and then its Master_Down_Interval have
 * passed; keepalived 2.2.7 on the same config logs the same lines at the same times. A SIGTERM
 * during the delay stops the daemon at once and cleanly (exit 0, nothing sent).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  signalDaemon,
  sleep,
  startKeepalived,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['keepalived', 'tcpdump']));

const PREFIX = '10.231.44';
const DELAY_S = 4;
const MDI_100_MS = 3000 + (156 * 1000) / 256;
type Impl = 'keepalived-ts' | 'keepalived';

describeTier('vrrp_startup_delay', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('vc-dly');
    [a, b] = bed.twoHosts(PREFIX);
  });
  afterAll(() => bed?.destroy());

  const config = vrrpConfig({ priority: 100, vrid: 81, vips: [`${PREFIX}.100/32`] }, [
    'global_defs {',
    `  vrrp_startup_delay ${DELAY_S}`,
    '}',
  ]);

  /** Adverts of VRID 81 seen on the other end of the link, with their arrival times. */
  const capture = async (): Promise<{ child: ChildProcess; adverts: number[] }> => {
    const child = bed.spawnIn(b.ns, 'tcpdump', ['-l', '-n', '-i', 'eth0', 'ip proto 112']);
    const adverts: number[] = [];
    const lines = new LineCollector(child);
    child.stdout?.on('data', (c: Buffer) => {
      for (const l of c.toString().split('\n')) if (/vrid 81/.test(l)) adverts.push(performance.now());
    });
    await lines.wait(/listening on/, 10_000);
    return { child, adverts };
  };

  const start = (impl: Impl, name: string): Daemon =>
    impl === 'keepalived'
      ? startKeepalived(bed, a.ns, name, config)
      : startKeepalivedTs(bed, a.ns, name, config);

  const text = (d: Daemon, i: number): string => /(\(VI_1\)|Delaying).*/.exec(d.lines.lines[i]!.text)![0];

  async function delayedStart(impl: Impl): Promise<{
    lines: string[];
    backupAfterMs: number;
    masterAfterMs: number;
    firstAdvertAfterMs: number;
  }> {
    const cap = await capture();
    const d = start(impl, `dly-${impl}`);
    try {
      const delayed = await d.lines.wait(/Delaying startup for/, 20_000);
      const backup = await d.lines.wait(/\(VI_1\) Entering BACKUP STATE \(init\)/, 5000, delayed);
      const master = await d.lines.wait(
        /\(VI_1\) Entering MASTER STATE/,
        DELAY_S * 1000 + MDI_100_MS + 5000,
        backup,
      );
      const t0 = d.lines.lines[delayed]!.at;
      await sleep(300);
      return {
        lines: [delayed, backup, master].map((i) => text(d, i)),
        backupAfterMs: d.lines.lines[backup]!.at - t0,
        masterAfterMs: d.lines.lines[master]!.at - t0,
        firstAdvertAfterMs: (cap.adverts[0] ?? Infinity) - t0,
      };
    } finally {
      await stopDaemon(d);
      if (cap.child.pid !== undefined) process.kill(cap.child.pid, 'SIGTERM');
    }
  }

  it('BACKUP (init) at once, silent until the delay and a Master_Down_Interval have passed, as keepalived 2.2.7', async () => {
    const ours = await delayedStart('keepalived-ts');
    const theirs = await delayedStart('keepalived');
    const expected = [
      `Delaying startup for ${DELAY_S} seconds`,
      '(VI_1) Entering BACKUP STATE (init)',
      '(VI_1) Entering MASTER STATE',
    ];
    expect(theirs.lines).toEqual(expected);
    expect(ours.lines).toEqual(expected);
    const takeover = DELAY_S * 1000 + MDI_100_MS;
    for (const r of [ours, theirs]) {
      expect(r.backupAfterMs).toBeLessThan(1000);
      expect(r.masterAfterMs).toBeGreaterThan(takeover - 300);
      expect(r.masterAfterMs).toBeLessThan(takeover + 700);
      // Nothing on the wire before the takeover.
      expect(r.firstAdvertAfterMs).toBeGreaterThan(takeover - 300);
      expect(r.firstAdvertAfterMs).toBeLessThan(takeover + 1000);
    }
  });

  it('a SIGTERM during the delay stops at once and cleanly, with nothing sent', async () => {
    const cap = await capture();
    const d = start('keepalived-ts', 'dly-term');
    try {
      await d.lines.wait(/\(VI_1\) Entering BACKUP STATE \(init\)/, 20_000);
      await sleep(1000);
      const at = performance.now();
      signalDaemon(d, 'SIGTERM');
      expect(await d.exited).toBe(0);
      expect(performance.now() - at).toBeLessThan(2000);
      await sleep(500);
      expect(cap.adverts).toEqual([]);
      expect(d.lines.find(/Entering MASTER STATE/)).toBe(-1);
      expect(bed.hasAddress(a.ns, `${PREFIX}.100`)).toBe(false);
    } finally {
      await stopDaemon(d);
      if (cap.child.pid !== undefined) process.kill(cap.child.pid, 'SIGTERM');
    }
  });
});
