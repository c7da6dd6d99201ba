/**
 * What the engine hands the metrics (daemon/metrics.ts): each Adver_Timer's lateness against its
 * deadline, and each vrrp_script's status and run state.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { fakeVrrpPlatform } from '../../support/fake-vrrp-platform.js';
import { vrrpConfig, vrrpInstance, vrrpScript } from '../../support/vrrp-config.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('VRRP engine: metrics hooks', () => {
  it("reports every master Adver_Timer's lateness against its deadline, none while backup", async () => {
    const f = fakeVrrpPlatform();
    const manual = new ManualClock();
    // The engine's clock reads `skew` ms ahead of the timers: a loop turn that was held up.
    let skew = 0;
    const clock = { now: () => manual.now() + skew, setTimer: manual.setTimer.bind(manual) };
    const logger = new MemoryLogger();
    const late: [string, number][] = [];
    const engine = await VrrpEngine.create(
      vrrpConfig([vrrpInstance('VI_1', 51, { priority: 150 }), vrrpInstance('VI_2', 52, { priority: 100 })]),
      { clock, logger, platform: f.platform, onAdvertTimer: (i, ms) => late.push([i, ms]) },
    );
    engine.start();
    await flush();
    // Both BACKUP until their Master_Down_Timer (3 x advert_int + skew time): no Adver_Timer yet.
    manual.advance(2000);
    await flush();
    expect(late).toEqual([]);
    for (let t = 0; t < 3; t++) {
      manual.advance(1000);
      await flush();
    }
    expect(logger.messages()).toContain('(VI_1) Entering MASTER STATE');
    const onTime = late.length;
    expect(onTime).toBeGreaterThan(0);
    expect(late.every(([, ms]) => ms === 0)).toBe(true);
    // The next Adver_Timer fires with the clock 250 ms past its deadline.
    skew = 250;
    manual.advance(1000);
    await flush();
    expect(late.slice(onTime).some(([i, ms]) => i === 'VI_1' && ms === 250)).toBe(true);
    await engine.stop();
  });

  it('scriptReports: GOOD once the result reached rise, and whether it runs now', async () => {
    const f = fakeVrrpPlatform();
    const clock = new ManualClock();
    const engine = await VrrpEngine.create(
      vrrpConfig([vrrpInstance('VI_1', 51, { trackScripts: [{ name: 'chk', weight: 0, reverse: false }] })], {
        vrrpScripts: [vrrpScript('chk')],
      }),
      { clock, logger: new MemoryLogger(), platform: f.platform },
    );
    engine.start();
    await flush();
    expect(engine.scriptReports()).toEqual([{ name: 'chk', good: true, running: false }]);
    f.scriptResults.set('/bin/chk', { kind: 'exited', code: 1 });
    clock.advance(1000);
    await flush();
    expect(engine.scriptReports()).toEqual([{ name: 'chk', good: false, running: false }]);
    await engine.stop();
  });
});
