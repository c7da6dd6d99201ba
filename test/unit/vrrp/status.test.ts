/**
 * The VRRP part of the status model: the engine's instance reports (trackers with their
 * contribution, the last transition and its reason, standby) rendered by vrrp/status.ts.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { vrrpStatus } from '../../../src/vrrp/status.js';
import { fakeVrrpPlatform } from '../../support/fake-vrrp-platform.js';
import { vrrpConfig, vrrpInstance, vrrpScript } from '../../support/vrrp-config.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const WALL = Date.parse('2025-01-01T00:00:00.000Z');

describe('VRRP status', () => {
  it('shows state, priorities with each tracker, the master, VIPs, time in state and the last transition', async () => {
    const f = fakeVrrpPlatform();
    const clock = new ManualClock();
    const config = vrrpConfig(
      [
        vrrpInstance('VI_1', 51, {
          trackScripts: [{ name: 'chk', weight: 20, reverse: false }],
          trackInterfaces: [{ name: 'eth1', weight: -30, reverse: false }],
        }),
      ],
      { vrrpScripts: [vrrpScript('chk', { weight: 20 })] },
    );
    const engine = await VrrpEngine.create(config, {
      clock,
      logger: new MemoryLogger(),
      platform: f.platform,
    });
    engine.start();
    await flush();
    f.setLink('eth1', false);
    clock.advance(5000);
    await flush();
    const [s] = vrrpStatus(engine.reports(), { clock: clock.now(), wall: WALL }).instances;
    expect(s).toMatchObject({
      name: 'VI_1',
      interface: 'eth0',
      vrid: 51,
      state: 'MASTER',
      basePriority: 100,
      effectivePriority: 90,
      standby: false,
      fault: null,
      masterAddress: '10.0.0.1',
      vips: ['10.0.0.51/32 dev eth0'],
      advertIntervalMs: 1000,
      lastTransition: { from: 'BACKUP', to: 'MASTER', reason: 'master-down-timeout' },
    });
    expect(s!.trackers).toEqual([
      {
        kind: 'interface',
        name: 'eth0',
        weight: 0,
        reverse: false,
        value: 'up',
        contribution: 0,
        fault: false,
      },
      {
        kind: 'script',
        name: 'chk',
        weight: 20,
        reverse: false,
        value: 'up',
        contribution: 20,
        fault: false,
      },
      {
        kind: 'interface',
        name: 'eth1',
        weight: -30,
        reverse: false,
        value: 'down',
        contribution: -30,
        fault: false,
      },
    ]);
    // Master since the down timer for priority 90 fired; the transition instant is in wall time.
    expect(s!.inStateMs).toBeCloseTo(5000 - (3000 + ((256 - 90) * 1000) / 256), 3);
    expect(Date.parse(s!.lastTransition!.at)).toBeCloseTo(WALL - s!.inStateMs, -1);
    expect(s!.counters.become_master).toBe(1);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    await engine.stop();
  });

  it('standby hands a master over and shows it; resume lifts it; an unknown name is refused', async () => {
    const f = fakeVrrpPlatform();
    const clock = new ManualClock();
    const engine = await VrrpEngine.create(vrrpConfig([vrrpInstance('VI_1', 51), vrrpInstance('VI_2', 52)]), {
      clock,
      logger: new MemoryLogger(),
      platform: f.platform,
    });
    engine.start();
    clock.advance(4000);
    await flush();
    expect(engine.setStandby('VI_9', true)).toBeNull();
    expect(engine.setStandby('VI_1', true)).toEqual(['VI_1']);
    await flush();
    const now = () => ({ clock: clock.now(), wall: WALL });
    const byName = () => new Map(vrrpStatus(engine.reports(), now()).instances.map((i) => [i.name, i]));
    expect(byName().get('VI_1')).toMatchObject({
      state: 'BACKUP',
      standby: true,
      lastTransition: { from: 'MASTER', to: 'BACKUP', reason: 'standby' },
    });
    expect(byName().get('VI_2')).toMatchObject({ state: 'MASTER', standby: false });
    expect(f.sent.filter((p) => p.vrid === 51).at(-1)!.priority).toBe(0);
    clock.advance(20_000);
    expect(byName().get('VI_1')!.state).toBe('BACKUP');
    expect(engine.setStandby(null, false)).toEqual(['VI_1', 'VI_2']);
    clock.advance(4000);
    expect(byName().get('VI_1')).toMatchObject({ state: 'MASTER', standby: false });
    await engine.stop();
  });
});
