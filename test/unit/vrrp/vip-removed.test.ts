// A VIP removed by someone else (`ip addr del`, NetworkManager) while MASTER: keepalived 2.2.7
// (core/keepalived_netlink.c netlink_if_address -> set_vrrp_backup) leaves MASTER for BACKUP and
// arms its down timer to Skew_Time, so it takes over again at once with its VIPs unless a master
// speaks up. keepalived-ts does the same (state-machine.ts `vip-removed`, engine.ts).
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { fakeVrrpPlatform } from '../../support/fake-vrrp-platform.js';
import { vrrpConfig, vrrpInstance } from '../../support/vrrp-config.js';
import { kinds, logs } from './harness.js';
import { ReducerHarness } from './harness.js';
import { instanceParams, packet } from './support.js';

const MDI_100 = 3000 + (156 * 1000) / 256;
const SKEW_100 = (156 * 1000) / 256;

function master(): ReducerHarness {
  const h = new ReducerHarness(instanceParams());
  h.dispatch({ kind: 'startup' });
  h.advance(MDI_100 + 1);
  expect(h.state.state).toBe('MASTER');
  return h;
}

describe('reducer: vip-removed', () => {
  it('a MASTER goes BACKUP (its VIPs removed) and takes over again after Skew_Time', () => {
    const h = master();
    const actions = h.dispatch({ kind: 'vip-removed', address: '10.0.0.51' });
    expect(h.state.state).toBe('BACKUP');
    expect(logs(actions)).toEqual(['(VI_1) Entering BACKUP STATE']);
    expect(kinds(actions)).toContain('remove-vips');
    // No priority-0 advert: keepalived's vrrp_state_leave_master sends one only for FAULT.
    expect(actions.filter((a) => a.kind === 'send-advert')).toEqual([]);
    expect(h.timers.get('master-down')! - h.now).toBe(SKEW_100);
    expect(h.timers.has('advert')).toBe(false);
    const back = h.advance(SKEW_100);
    expect(h.state.state).toBe('MASTER');
    expect(kinds(back)).toContain('add-vips');
  });

  it('a higher-priority advert during Skew_Time keeps it BACKUP', () => {
    const h = master();
    h.dispatch({ kind: 'vip-removed', address: '10.0.0.51' });
    h.advance(SKEW_100 / 2);
    h.receive(packet({ advert: { priority: 150 }, ip: { source: '10.77.0.2' } }));
    h.advance(SKEW_100);
    expect(h.state.state).toBe('BACKUP');
  });

  it('is ignored outside MASTER', () => {
    const h = new ReducerHarness(instanceParams());
    h.dispatch({ kind: 'startup' });
    expect(h.dispatch({ kind: 'vip-removed', address: '10.0.0.51' })).toEqual([]);
    expect(h.state.state).toBe('BACKUP');
  });
});

describe('engine: an address removed from an interface', () => {
  const setUp = async () => {
    const f = fakeVrrpPlatform();
    const clock = new ManualClock();
    const logger = new MemoryLogger();
    const engine = await VrrpEngine.create(vrrpConfig([vrrpInstance('VI_1', 51)]), {
      clock,
      logger,
      platform: f.platform,
    });
    engine.start();
    clock.advance(MDI_100 + 1);
    await new Promise((r) => setImmediate(r));
    expect(f.present.has('10.0.0.51')).toBe(true);
    return { f, clock, logger, engine };
  };

  it('our VIP on its interface: BACKUP, then MASTER with the VIP back after Skew_Time', async () => {
    const { f, clock, logger, engine } = await setUp();
    f.removeAddress('eth0', '10.0.0.51');
    expect(logger.messages()).toContain('Netlink reflector reports IP 10.0.0.51 removed from eth0');
    expect(logger.messages()).toContain('(VI_1) Entering BACKUP STATE');
    clock.advance(SKEW_100);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(engine.status()[0]!.state).toBe('MASTER');
    expect(f.present.has('10.0.0.51')).toBe(true);
    await engine.stop();
  });

  it('another address, our address on another interface or with another prefix, changes nothing', async () => {
    const { f, logger, engine } = await setUp();
    const before = logger.messages().length;
    f.removeAddress('eth0', '10.0.0.99');
    f.removeAddress('eth1', '10.0.0.51');
    // A reload moving the VIP from /24 to /32 removes the /24 itself.
    f.removeAddress('eth0', '10.0.0.51', 24);
    expect(logger.messages().slice(before)).toEqual([]);
    expect(engine.status()[0]!.state).toBe('MASTER');
    await engine.stop();
  });

  it('a VIP marked no_track is not watched', async () => {
    const f = fakeVrrpPlatform();
    const clock = new ManualClock();
    const base = vrrpInstance('VI_1', 51);
    const engine = await VrrpEngine.create(
      vrrpConfig([{ ...base, vips: base.vips.map((v) => ({ ...v, noTrack: true })) }]),
      { clock, logger: new MemoryLogger(), platform: f.platform },
    );
    engine.start();
    clock.advance(MDI_100 + 1);
    f.removeAddress('eth0', '10.0.0.51');
    expect(engine.status()[0]!.state).toBe('MASTER');
    await engine.stop();
  });
});
