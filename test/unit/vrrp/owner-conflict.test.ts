// Two address owners (priority 255) for one VRID: keepalived 2.2.7 vrrp.c vrrp_state_master_rx.
// The MASTER that hears the other owner's advert logs the configuration error, drops its base and
// effective priority to 254 whatever the addresses, and goes BACKUP to the other's 255.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { VrrpInstanceShell } from '../../../src/vrrp/instance.js';
import { encodeAdvert, encodeIpv4Packet } from '../../../src/vrrp/packet.js';
import { paramsFromConfig } from '../../../src/vrrp/params.js';
import type { VrrpIo } from '../../../src/vrrp/ports.js';
import type { Action } from '../../../src/vrrp/state-machine.js';
import { globalDefs } from '../../support/config-model.js';
import { vip, vrrpInstance } from '../../support/vrrp-config.js';
import { logs, ReducerHarness } from './harness.js';
import { instanceParams, packet } from './support.js';

const CONFLICT =
  '(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority';
const owner = (source = '10.77.0.1') =>
  new ReducerHarness(instanceParams({ basePriority: 255, initialState: 'MASTER', sourceAddress: source }));
const advertFrom = (priority: number, source: string) => packet({ advert: { priority }, ip: { source } });
const sent = (actions: readonly Action[]): number[] =>
  actions.flatMap((a) => (a.kind === 'send-advert' ? [a.priority] : []));

describe('address owner conflict (keepalived 2.2.7)', () => {
  for (const [case_, peer] of [
    ['a higher', '10.77.0.2'],
    ['a lower', '10.77.0.0'],
  ] as const) {
    it(`an owner MASTER hearing another owner from ${case_} address reduces itself to 254 and goes BACKUP`, () => {
      const h = owner();
      h.dispatch({ kind: 'startup' });
      expect(h.state.state).toBe('MASTER');
      const actions = h.receive(advertFrom(255, peer));
      expect(logs(actions)).toEqual([
        CONFLICT,
        `(VI_1) Master received advert from ${peer} with higher priority 255, ours 254`,
        '(VI_1) Entering BACKUP STATE',
      ]);
      expect(h.state.state).toBe('BACKUP');
      expect(h.state.effectivePriority).toBe(254);
      expect(h.state.ownerDemoted).toBe(true);
      expect(actions).toContainEqual({ kind: 'remove-vips' });
      expect(actions).toContainEqual({ kind: 'run-notify', state: 'BACKUP', priority: 254 });
      // No advert of its own in the exchange: the other owner keeps the VIPs.
      expect(sent(actions)).toEqual([]);
    });
  }

  it('the demoted owner stays BACKUP while the other owner adverts, and takes over at 254 when it stops', () => {
    const h = owner();
    h.dispatch({ kind: 'startup' });
    h.receive(advertFrom(255, '10.77.0.2'));
    for (let i = 0; i < 10; i++) {
      h.advance(1000);
      expect(logs(h.receive(advertFrom(255, '10.77.0.2')))).toEqual([]);
      expect(h.state.state).toBe('BACKUP');
    }
    // Master_Down_Interval at 254: 3 s + (256 - 254) / 256 s.
    expect(h.timers.get('master-down')).toBe(h.now + 3000 + (2 * 1000) / 256);
    const down = h.advance(3100);
    expect(h.state.state).toBe('MASTER');
    expect(sent(down)).toEqual([254]);
    // No longer an owner: tracking cannot bring it back to 255, a fault clears to BACKUP.
    h.dispatch({ kind: 'tracking', effectivePriority: 255, fault: null });
    expect(h.state.effectivePriority).toBe(254);
    h.dispatch({ kind: 'tracking', effectivePriority: 255, fault: 'interface eth0 down' });
    h.dispatch({ kind: 'tracking', effectivePriority: 255, fault: null });
    expect(h.state.state).toBe('BACKUP');
  });

  it('the error is logged once, not on every advert of a persisting second owner', () => {
    const h = owner();
    h.dispatch({ kind: 'startup' });
    h.receive(advertFrom(255, '10.77.0.2'));
    // Now a 254 MASTER again after a takeover, hearing the owner: a plain higher-priority advert.
    h.advance(4000);
    expect(h.state.state).toBe('MASTER');
    const again = h.receive(advertFrom(255, '10.77.0.2'));
    expect(logs(again)).toEqual([
      '(VI_1) Master received advert from 10.77.0.2 with higher priority 255, ours 254',
      '(VI_1) Entering BACKUP STATE',
    ]);
    expect(h.history.filter((a) => a.kind === 'log' && a.message === CONFLICT)).toHaveLength(1);
  });

  it('an owner hearing a 254 advert stays MASTER and is not demoted', () => {
    const h = owner();
    h.dispatch({ kind: 'startup' });
    const actions = h.receive(advertFrom(254, '10.77.0.2'));
    expect(h.state.state).toBe('MASTER');
    expect(h.state.ownerDemoted).toBe(false);
    expect(logs(actions)).toEqual([
      '(VI_1) Received advert from 10.77.0.2 with lower priority 254, ours 255, forcing new election',
    ]);
  });

  it('an owner advert from our own address is the equal-priority warning, no demotion', () => {
    const h = owner();
    h.dispatch({ kind: 'startup' });
    const actions = h.receive(advertFrom(255, '10.77.0.1'));
    expect(logs(actions)).toEqual([
      '(VI_1) WARNING - equal priority advert received from remote host with our IP address.',
    ]);
    expect(h.state.state).toBe('MASTER');
    expect(h.state.effectivePriority).toBe(255);
  });
});

describe('a demoted owner as the status, the dumps and a reload see it', () => {
  it('shows base priority 254 until a reload makes it an owner again', async () => {
    const clock = new ManualClock();
    let receive: (d: Buffer) => void = () => {};
    const io: VrrpIo = {
      sourceAddress: '10.77.0.1',
      send: async () => {},
      onDatagram: (fn) => void (receive = fn),
      close: () => {},
    };
    const config = vrrpInstance('VI_1', 51, {
      state: 'MASTER',
      priority: 255,
      vips: [vip('10.0.0.100')],
      virtualIpaddresses: ['10.0.0.100/32'],
    });
    const params = paramsFromConfig(config, globalDefs(), '10.77.0.1');
    const outcome = async () => ({ changed: [], errors: [] });
    const shell = new VrrpInstanceShell(config, params, {
      clock,
      io,
      vips: {
        addAddresses: outcome,
        removeAddresses: outcome,
        addRoutes: outcome,
        removeRoutes: outcome,
        addRules: outcome,
        removeRules: outcome,
      },
      garp: { sendGarp: () => {} },
      notifier: { notify: async () => {} },
      logger: new MemoryLogger(),
    });
    shell.start();
    expect(shell.status()).toMatchObject({ state: 'MASTER', basePriority: 255, effectivePriority: 255 });
    const advert = encodeAdvert({
      version: 2,
      type: 1,
      vrid: 51,
      priority: 255,
      authType: 0,
      advertInt: 1,
      addresses: ['10.0.0.100'],
      authData: new Uint8Array(8),
    });
    receive(Buffer.from(encodeIpv4Packet({ source: '10.77.0.2', destination: '224.0.0.18' }, advert)));
    // keepalived 2.2.7 lowers base_priority too: "Priority = 254" in keepalived.data.
    expect(shell.status()).toMatchObject({ state: 'BACKUP', basePriority: 254, effectivePriority: 254 });
    shell.reconfigure(config, paramsFromConfig(config, globalDefs(), '10.77.0.1'), null);
    expect(shell.status()).toMatchObject({ basePriority: 255, effectivePriority: 255 });
    await shell.stop();
  });
});
