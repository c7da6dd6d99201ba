// vrrp_startup_delay (keepalived 2.2.7 vrrp_daemon.c start_vrrp, vrrp_scheduler.c
// vrrp_init_instance_sands): the instances enter BACKUP (init) at once, but no Master_Down_Timer
// ends before the delay does; an owner waits it silently, then takes over.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { startupDelaySeconds, VrrpEngine } from '../../../src/vrrp/engine.js';
import { fakeVrrpPlatform } from '../../support/fake-vrrp-platform.js';
import { build } from '../config/schema-helpers.js';
import type { Action } from '../../../src/vrrp/state-machine.js';
import { logs, ReducerHarness } from './harness.js';
import { instanceParams, packet } from './support.js';

const MDI_100 = 3000 + (156 * 1000) / 256;
const sent = (actions: readonly Action[]): number[] =>
  actions.flatMap((a) => (a.kind === 'send-advert' ? [a.priority] : []));

describe('vrrp_startup_delay', () => {
  it('a backup enters BACKUP (init) at once and takes over only a Master_Down_Interval after the delay', () => {
    const h = new ReducerHarness(instanceParams());
    const actions = h.dispatch({ kind: 'startup', delayedStartAt: 5000 });
    expect(logs(actions)).toEqual(['(VI_1) Entering BACKUP STATE (init)']);
    expect(h.timers.get('master-down')).toBe(5000 + MDI_100);
    expect(sent(h.advance(5000 + MDI_100 - 1))).toEqual([]);
    expect(h.state.state).toBe('BACKUP');
    h.advance(1);
    expect(h.state.state).toBe('MASTER');
  });

  it('an advert during the delay restarts the timer from the delay end; after it, from now', () => {
    const h = new ReducerHarness(instanceParams());
    h.dispatch({ kind: 'startup', delayedStartAt: 5000 });
    h.advance(2000);
    h.receive(packet({ advert: { priority: 150 } }));
    expect(h.timers.get('master-down')).toBe(5000 + MDI_100);
    h.receive(packet({ advert: { priority: 0 } }));
    expect(h.timers.get('master-down')).toBe(5000 + (156 * 1000) / 256);
    h.advance(3500);
    h.receive(packet({ advert: { priority: 150 } }));
    expect(h.timers.get('master-down')).toBe(5500 + MDI_100);
    expect(h.state.delayedStartAt).toBeNull();
  });

  it('an owner with state MASTER stays silent in INIT for the delay, then enters MASTER', () => {
    const h = new ReducerHarness(instanceParams({ basePriority: 255, initialState: 'MASTER' }));
    const actions = h.dispatch({ kind: 'startup', delayedStartAt: 3000 });
    expect(logs(actions)).toEqual([]);
    expect(sent(actions)).toEqual([]);
    expect(h.state.state).toBe('INIT');
    expect(sent(h.advance(2999))).toEqual([]);
    const start = h.advance(1);
    expect(h.state.state).toBe('MASTER');
    expect(sent(start)).toEqual([255]);
    expect(logs(start)).toEqual(['(VI_1) Entering MASTER STATE']);
  });

  it('an owner whose tracker fails during the delay enters FAULT (init) when it ends', () => {
    const h = new ReducerHarness(instanceParams({ basePriority: 255, initialState: 'MASTER' }));
    h.dispatch({ kind: 'startup', delayedStartAt: 3000 });
    h.dispatch({ kind: 'tracking', effectivePriority: 255, fault: 'interface eth0 down' });
    expect(h.state.state).toBe('INIT');
    expect(logs(h.advance(3000))).toEqual(['(VI_1) Entering FAULT STATE (init)']);
  });

  it('a stop during the delay stops at once, with no advert', () => {
    const h = new ReducerHarness(instanceParams({ basePriority: 255, initialState: 'MASTER' }));
    h.dispatch({ kind: 'startup', delayedStartAt: 3000 });
    const actions = h.dispatch({ kind: 'stop' });
    expect(h.state.state).toBe('STOP');
    expect(sent(actions)).toEqual([]);
    expect(h.timers.size).toBe(0);
  });

  it('a delay already past changes nothing', () => {
    const h = new ReducerHarness(instanceParams());
    h.now = 100;
    h.dispatch({ kind: 'startup', delayedStartAt: 50 });
    expect(h.timers.get('master-down')).toBe(100 + MDI_100);
  });
});

describe('vrrp_delay_after_boot (keepalived 2.4.0)', () => {
  it('waits what is left of the delay since boot, the longer of it and vrrp_startup_delay', () => {
    expect(startupDelaySeconds(0, 60, 20)).toBe(40);
    expect(startupDelaySeconds(0, 60, 75)).toBe(0);
    expect(startupDelaySeconds(50, 60, 20)).toBe(50);
    expect(startupDelaySeconds(5, 60, 20)).toBe(40);
    // No uptime to read: keepalived ignores the keyword (with a line).
    expect(startupDelaySeconds(5, 60, null)).toBe(5);
    expect(startupDelaySeconds(0, 0, 20)).toBe(0);
  });
});

describe('vrrp_delay_after_boot in the engine', () => {
  const run = async (globals: string, uptime: number | null) => {
    const { config, diagnostics } = build(
      `global_defs {\n${globals}\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.239.9.100\n  }\n}\n`,
    );
    expect(diagnostics).toEqual([]);
    const logger = new MemoryLogger();
    const engine = await VrrpEngine.create(config, {
      clock: new ManualClock(),
      logger,
      platform: fakeVrrpPlatform().platform,
      uptimeSeconds: () => uptime,
    });
    engine.start();
    await engine.stop();
    return logger.lines.map((l) => l.message).filter((m) => m.startsWith('Delaying startup'));
  };
  it('logs the wait left since boot, or none once it has passed', async () => {
    expect(await run('  vrrp_delay_after_boot 100', 30.5)).toEqual(['Delaying startup for 69.5 seconds']);
    expect(await run('  vrrp_delay_after_boot 100', 300)).toEqual([]);
    expect(await run('  vrrp_delay_after_boot 100\n  vrrp_startup_delay 80', 30.5)).toEqual([
      'Delaying startup for 80 seconds',
    ]);
  });
});
