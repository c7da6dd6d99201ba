// One test per RFC 3768 section 6.4 rule (and keepalived's documented additions), driven by a
// manual clock through ReducerHarness.
import fc from 'fast-check';
import { checkProperty } from '../../support/property.js';
import { describe, expect, it } from 'vitest';
import { passwordAuthData } from '../../../src/vrrp/packet.js';
import type { Action } from '../../../src/vrrp/state-machine.js';
import { counters, kinds, logs, ReducerHarness } from './harness.js';
import { instanceParams, packet } from './support.js';

const MDI_100 = 3609.375; // 3 * 1 s + (256 - 100) / 256 s
const advertFrom = (priority: number, source = '10.77.0.2') =>
  packet({ advert: { priority }, ip: { source } });

function started(overrides: Parameters<typeof instanceParams>[0] = {}): ReducerHarness {
  const h = new ReducerHarness(instanceParams(overrides));
  h.dispatch({ kind: 'startup' });
  return h;
}

function master(overrides: Parameters<typeof instanceParams>[0] = {}): ReducerHarness {
  const h = started(overrides);
  h.advance(MDI_100 + 1000);
  expect(h.state.state).toBe('MASTER');
  return h;
}

const sent = (actions: readonly Action[]): number[] =>
  actions.flatMap((a) => (a.kind === 'send-advert' ? [a.priority] : []));

describe('6.4.1 Initialize', () => {
  it('"If the Priority = 255 ... transition to the {Master} state": owner with state MASTER takes over at once', () => {
    const h = new ReducerHarness(instanceParams({ basePriority: 255, initialState: 'MASTER' }));
    const actions = h.dispatch({ kind: 'startup' });
    expect(h.state.state).toBe('MASTER');
    // keepalived order (docs/behaviour.md §3.4): advert, log, VIPs, GARP, notify.
    expect(kinds(actions)).toEqual([
      'send-advert',
      'log',
      'add-vips',
      'send-garp',
      'arm-timer', // second GARP burst after garp_master_delay
      'run-notify',
      'arm-timer', // Adver_Timer
      'state-changed',
    ]);
    expect(sent(actions)).toEqual([255]);
    expect(logs(actions)).toEqual(['(VI_1) Entering MASTER STATE']);
    expect(counters(actions)).toEqual(['advert_sent', 'become_master']);
    expect(actions).toContainEqual({ kind: 'send-garp', reason: 'master', repeat: 5, intervalMs: 0 });
    expect(actions).toContainEqual({ kind: 'run-notify', state: 'MASTER', priority: 255 });
    expect(actions).toContainEqual({ kind: 'arm-timer', timer: 'advert', ms: 1000 });
  });

  it('"else ... Set the Master_Down_Timer to Master_Down_Interval, Transition to the {Backup} state"', () => {
    const h = new ReducerHarness(instanceParams());
    const actions = h.dispatch({ kind: 'startup' });
    expect(h.state.state).toBe('BACKUP');
    expect(logs(actions)).toEqual(['(VI_1) Entering BACKUP STATE (init)']);
    expect(actions).toContainEqual({ kind: 'arm-timer', timer: 'master-down', ms: MDI_100 });
    expect(actions).toContainEqual({ kind: 'run-notify', state: 'BACKUP', priority: 100 });
    expect(actions).toContainEqual({ kind: 'state-changed', from: 'INIT', to: 'BACKUP', reason: 'init' });
  });

  it('state MASTER without priority 255 still starts as BACKUP with the full Master_Down_Interval', () => {
    const h = new ReducerHarness(instanceParams({ initialState: 'MASTER', basePriority: 150 }));
    h.dispatch({ kind: 'startup' });
    expect(h.state.state).toBe('BACKUP');
    expect(h.timers.get('master-down')).toBe(3000 + (106 * 1000) / 256);
  });

  it('a weight-0 tracker already failed at startup enters FAULT (init)', () => {
    const h = new ReducerHarness(instanceParams());
    h.dispatch({ kind: 'tracking', effectivePriority: 100, fault: 'script chk' });
    const actions = h.dispatch({ kind: 'startup' });
    expect(h.state.state).toBe('FAULT');
    expect(logs(actions)).toEqual(['(VI_1) Entering FAULT STATE (init)']);
    expect(h.timers.size).toBe(0);
  });
});

describe('6.4.2 Backup', () => {
  it('"If the Master_Down_Timer fires ... Send an ADVERTISEMENT ... Transition to the {Master} state"', () => {
    const h = started();
    expect(h.advance(MDI_100 - 1)).toEqual([]);
    const actions = h.advance(1);
    expect(h.state.state).toBe('MASTER');
    expect(kinds(actions).slice(0, 4)).toEqual(['log', 'send-advert', 'log', 'add-vips']);
    expect(logs(actions)).toEqual(['(VI_1) Receive advertisement timeout', '(VI_1) Entering MASTER STATE']);
    expect(actions).toContainEqual({
      kind: 'state-changed',
      from: 'BACKUP',
      to: 'MASTER',
      reason: 'master-down-timeout',
    });
  });

  it('"If the Priority in the ADVERTISEMENT is zero, then: Set the Master_Down_Timer to Skew_Time"', () => {
    const h = started();
    h.advance(1000);
    const actions = h.receive(advertFrom(0));
    expect(logs(actions)).toEqual(['(VI_1) Backup received priority 0 advertisement']);
    expect(counters(actions)).toEqual(['advert_rcvd', 'pri_zero_rcvd']);
    expect(h.advance(609)).toEqual([]);
    h.advance(1);
    expect(h.state.state).toBe('MASTER');
  });

  it('"If the Priority ... is greater than or equal to the local Priority, then: Reset the Master_Down_Timer"', () => {
    const h = started();
    for (let i = 0; i < 10; i++) {
      h.advance(1000);
      h.receive(advertFrom(150));
    }
    expect(h.state.state).toBe('BACKUP');
    expect(h.state.masterAddress).toBe('10.77.0.2');
    expect(h.state.masterPriority).toBe(150);
    expect(h.timers.get('master-down')).toBe(h.now + MDI_100);
    h.receive(advertFrom(100)); // equal priority also resets
    expect(h.timers.get('master-down')).toBe(h.now + MDI_100);
  });

  it('"Otherwise: Discard the ADVERTISEMENT": a lower priority does not reset the timer (preempt)', () => {
    const h = started();
    h.advance(1000);
    const actions = h.receive(advertFrom(90));
    expect(logs(actions)).toEqual(['(VI_1) received lower priority (90) advert from 10.77.0.2 - discarding']);
    expect(actions.some((a) => a.kind === 'arm-timer')).toBe(false);
    h.advance(MDI_100 - 1000);
    expect(h.state.state).toBe('MASTER');
  });

  it('"If Preempt_Mode is False": nopreempt accepts a lower-priority master and resets the timer', () => {
    const h = started({ nopreempt: true });
    for (let i = 0; i < 6; i++) {
      h.advance(1000);
      h.receive(advertFrom(90));
    }
    expect(h.state.state).toBe('BACKUP');
    expect(h.state.masterPriority).toBe(90);
  });

  it('preempt_delay: lower-priority adverts are accepted until the delay expires, then discarded', () => {
    const h = started({ preemptDelayMs: 10_000 });
    h.advance(1000);
    const first = h.receive(advertFrom(90));
    expect(logs(first)).toEqual(['(VI_1) start preempt delay (10.000000)']);
    expect(h.state.preemptDeadline).toBe(11_000);
    for (let t = 2000; t <= 10_000; t += 1000) {
      h.advance(1000);
      expect(logs(h.receive(advertFrom(90)))).toEqual([]); // accepted: timer reset
      expect(h.timers.get('master-down')).toBe(t + MDI_100);
    }
    h.advance(1000); // 11 s: the delay is over (now is not before the deadline)
    expect(logs(h.receive(advertFrom(90)))).toEqual([
      '(VI_1) received lower priority (90) advert from 10.77.0.2 - discarding',
    ]);
    // Last accepted advert at 10 s: takeover at 10 s + Master_Down_Interval.
    h.advance(10_000 + MDI_100 - h.now - 1);
    expect(h.state.state).toBe('BACKUP');
    h.advance(1);
    expect(h.state.state).toBe('MASTER');
  });

  it('preempt_delay restarts after a higher-priority advert', () => {
    const h = started({ preemptDelayMs: 10_000 });
    h.receive(advertFrom(90));
    expect(h.state.preemptDeadline).toBe(0 + 10_000);
    expect(logs(h.receive(advertFrom(150)))).toEqual(['(VI_1) stop preempt delay']);
    expect(h.state.preemptDeadline).toBeNull();
  });

  it('7.1 "the receiver MUST discard the packet": a rejected advert never resets the Master_Down_Timer', () => {
    const h = started();
    h.advance(3000);
    const bad = packet({ advert: { priority: 200, authData: passwordAuthData('wrong') } });
    const actions = h.receive(bad);
    expect(counters(actions)).toEqual(['auth_failure']);
    expect(logs(actions)).toEqual(['(VI_1) received an invalid passwd from 10.77.0.2!']);
    expect(h.timers.get('master-down')).toBe(MDI_100);
    h.advance(MDI_100 - 3000);
    expect(h.state.state).toBe('MASTER');
  });

  it('v2 advert interval mismatch is dropped and logged, so the instance takes over', () => {
    const h = started();
    h.advance(1000);
    const actions = h.receive(packet({ advert: { priority: 200, advertInt: 2 } }));
    expect(logs(actions)).toEqual([
      "(VI_1) advertisement interval mismatch with 10.77.0.2 mine=1 sec rcv'd=2 sec",
    ]);
    expect(counters(actions)).toEqual(['advert_interval_err']);
    h.advance(MDI_100);
    expect(h.state.state).toBe('MASTER');
  });

  it('receive errors are logged once per type until the next state change', () => {
    const h = started();
    const bad = () => packet({ advert: { authData: passwordAuthData('wrong') } });
    expect(logs(h.receive(bad()))).toHaveLength(1);
    expect(logs(h.receive(bad()))).toEqual([]);
    expect(counters(h.receive(bad()))).toEqual(['auth_failure']); // still counted
    expect(logs(h.receive(packet({ ip: { ttl: 1 } })))).toHaveLength(1); // another type logs
    h.advance(MDI_100); // -> MASTER clears the flags
    expect(logs(h.receive(bad()))).toEqual(['(VI_1) received an invalid passwd from 10.77.0.2!']);
  });
});

describe('6.4.3 Master', () => {
  it('"If the Adver_Timer fires, then: Send an ADVERTISEMENT, Reset the Adver_Timer"', () => {
    const h = master();
    const before = h.history.length;
    h.advance(3000);
    const actions = h.history.slice(before);
    expect(sent(actions)).toEqual([100, 100, 100]);
    expect(counters(actions).filter((c) => c === 'advert_sent')).toHaveLength(3);
  });

  it('sends the second gratuitous ARP burst after garp_master_delay', () => {
    const h = started();
    h.advance(MDI_100);
    const later = h.advance(5000);
    expect(later).toContainEqual({ kind: 'send-garp', reason: 'master', repeat: 5, intervalMs: 0 });
  });

  it('"If the Priority in the ADVERTISEMENT is zero, then: Send an ADVERTISEMENT, Reset the Adver_Timer"', () => {
    const h = master();
    h.advance(500);
    const actions = h.receive(advertFrom(0));
    expect(sent(actions)).toEqual([100]);
    expect(actions).toContainEqual({ kind: 'arm-timer', timer: 'advert', ms: 1000 });
    expect(h.state.state).toBe('MASTER');
  });

  it('"greater than the local Priority ... Transition to the {Backup} state"', () => {
    const h = master();
    const actions = h.receive(advertFrom(150));
    expect(h.state.state).toBe('BACKUP');
    expect(logs(actions)).toEqual([
      '(VI_1) Master received advert from 10.77.0.2 with higher priority 150, ours 100',
      '(VI_1) Entering BACKUP STATE',
    ]);
    expect(kinds(actions)).toEqual(['log', 'log', 'remove-vips', 'run-notify', 'arm-timer', 'state-changed']);
    expect(counters(actions)).toEqual(['advert_rcvd', 'release_master']);
    expect(sent(actions)).toEqual([]); // no priority 0 on this path
    expect(h.timers.has('advert')).toBe(false);
    expect(h.timers.get('master-down')).toBe(h.now + MDI_100);
  });

  it('"equal and the primary IP Address of the sender is greater": the higher address wins', () => {
    const h = master();
    const actions = h.receive(advertFrom(100, '10.77.0.9'));
    expect(h.state.state).toBe('BACKUP');
    expect(logs(actions)[0]).toBe(
      '(VI_1) Master received advert from 10.77.0.9 with same priority 100 but higher IP address than ours',
    );
  });

  it('equal priority from a lower address: we stay master and force a new election', () => {
    const h = master({ sourceAddress: '10.77.0.5' });
    const actions = h.receive(advertFrom(100, '10.77.0.2'));
    expect(h.state.state).toBe('MASTER');
    expect(logs(actions)).toEqual([
      '(VI_1) Received advert from 10.77.0.2 with lower priority 100, ours 100, forcing new election',
    ]);
  });

  it('lower priority: log "forcing new election", send an advert and lower-prio GARPs, notify', () => {
    const h = master();
    h.advance(300);
    const actions = h.receive(advertFrom(90));
    expect(logs(actions)).toEqual([
      '(VI_1) Received advert from 10.77.0.2 with lower priority 90, ours 100, forcing new election',
    ]);
    expect(sent(actions)).toEqual([100]);
    expect(actions).toContainEqual({ kind: 'send-garp', reason: 'lower-prio', repeat: 5, intervalMs: 0 });
    expect(actions).toContainEqual({ kind: 'arm-timer', timer: 'garp-lower-prio', ms: 5000 });
    expect(actions).toContainEqual({ kind: 'run-notify', state: 'MASTER_RX_LOWER_PRI', priority: 100 });
    expect(h.state.state).toBe('MASTER');
  });

  it('lower_prio_no_advert: no advert and no "forcing new election"', () => {
    const h = master({ lowerPrioNoAdvert: true });
    const actions = h.receive(advertFrom(90));
    expect(logs(actions)).toEqual(['(VI_1) Received advert from 10.77.0.2 with lower priority 90, ours 100']);
    expect(sent(actions)).toEqual([]);
  });

  it('"Shutdown ... Send an ADVERTISEMENT with Priority = 0": stop as master', () => {
    const h = master();
    const actions = h.dispatch({ kind: 'stop' });
    expect(h.state.state).toBe('STOP');
    expect(sent(actions)).toEqual([0]);
    expect(kinds(actions)).toEqual(['send-advert', 'log', 'remove-vips', 'run-notify', 'state-changed']);
    expect(logs(actions)).toEqual(['(VI_1) sent 0 priority']);
    expect(counters(actions)).toEqual(['advert_sent', 'pri_zero_sent']);
    expect(h.timers.size).toBe(0);
  });

  it('stop as backup sends nothing and notifies STOP', () => {
    const h = started();
    const actions = h.dispatch({ kind: 'stop' });
    expect(sent(actions)).toEqual([]);
    expect(actions).toContainEqual({ kind: 'run-notify', state: 'STOP', priority: 100 });
    expect(h.timers.size).toBe(0);
  });
});

describe('tracking and FAULT', () => {
  it('logs "Changing effective priority" and advertises the new priority', () => {
    const h = master();
    const actions = h.dispatch({ kind: 'tracking', effectivePriority: 10, fault: null });
    expect(logs(actions)).toEqual(['(VI_1) Changing effective priority from 100 to 10']);
    expect(sent(h.advance(1000))).toEqual([10]);
  });

  it('a priority change in BACKUP moves the running down timer by the Skew_Time difference', () => {
    const h = started();
    h.advance(1000);
    h.dispatch({ kind: 'tracking', effectivePriority: 200, fault: null });
    expect(h.timers.get('master-down')).toBe(MDI_100 - (156 - 56) * (1000 / 256));
  });

  it('an owner never changes its priority', () => {
    const h = new ReducerHarness(instanceParams({ basePriority: 255, initialState: 'MASTER' }));
    h.dispatch({ kind: 'startup' });
    expect(logs(h.dispatch({ kind: 'tracking', effectivePriority: 100, fault: null }))).toEqual([]);
    expect(h.state.effectivePriority).toBe(255);
  });

  it('a master entering FAULT sends priority 0, removes VIPs and notifies; recovery goes to BACKUP', () => {
    const h = master();
    const actions = h.dispatch({ kind: 'tracking', effectivePriority: 100, fault: 'interface eth0 down' });
    expect(h.state.state).toBe('FAULT');
    expect(kinds(actions)).toEqual([
      'log',
      'send-advert',
      'log',
      'remove-vips',
      'run-notify',
      'state-changed',
    ]);
    expect(logs(actions)).toEqual(['(VI_1) Entering FAULT STATE', '(VI_1) sent 0 priority']);
    expect(sent(actions)).toEqual([0]);
    expect(h.receive(advertFrom(50))).toEqual([]); // FAULT ignores adverts
    const up = h.dispatch({ kind: 'tracking', effectivePriority: 100, fault: null });
    expect(h.state.state).toBe('BACKUP');
    expect(logs(up)).toEqual(['(VI_1) Entering BACKUP STATE']);
    expect(h.timers.get('master-down')).toBe(h.now + MDI_100);
  });
});

describe('sync-group gating in the reducer', () => {
  it('master-down with syncAllowsMaster=false stays BACKUP, wants MASTER and waits again', () => {
    const h = started({ syncGroup: 'G1' });
    h.syncAllowsMaster = false;
    const actions = h.advance(MDI_100);
    expect(h.state.state).toBe('BACKUP');
    expect(h.state.wantState).toBe('MASTER');
    expect(actions).toContainEqual({ kind: 'arm-timer', timer: 'master-down', ms: MDI_100 });
  });

  it('sync commands move a member (BACKUP -> MASTER, MASTER -> BACKUP, -> FAULT)', () => {
    const h = started({ syncGroup: 'G1' });
    h.dispatch({ kind: 'sync', group: 'G1', to: 'MASTER' });
    expect(h.state.state).toBe('MASTER');
    h.dispatch({ kind: 'sync', group: 'G1', to: 'BACKUP' });
    expect(h.state.state).toBe('BACKUP');
    h.dispatch({ kind: 'sync', group: 'G1', to: 'FAULT' });
    expect(h.state.state).toBe('FAULT');
    h.dispatch({ kind: 'sync', group: 'G1', to: 'BACKUP' });
    expect(h.state.state).toBe('BACKUP');
  });
});

describe('reducer properties (fast-check)', () => {
  const corruptions = fc.record({
    at: fc.nat(43),
    value: fc.nat(255),
    ttl: fc.constantFrom(255, 255, 64),
    priority: fc.nat(255),
  });

  it("a packet the validator drops never touches a BACKUP's timer or state", () => {
    checkProperty(
      'vrrp-reducer-dropped-packets',
      [corruptions],
      ({ at, value, ttl, priority }) => {
        const h = started();
        h.advance(1000);
        const before = h.state;
        // Byte 0 (IP version/IHL) and 9 (protocol) make the bytes undecodable: the shell never
        // reaches the reducer with those.
        fc.pre(at !== 0 && at !== 9);
        const p = packet({
          advert: { priority },
          ip: { ttl },
          mutate: (b) => {
            b[at] = value;
            return b;
          },
        });
        const actions = h.receive(p);
        const verdictDrop = !counters(actions).includes('advert_rcvd');
        if (verdictDrop) {
          expect(actions.every((a) => a.kind === 'count' || a.kind === 'log')).toBe(true);
          expect(h.state.state).toBe(before.state);
          expect(h.state.masterDownAt).toBe(before.masterDownAt);
        }
      },
      { seed: 768, numRuns: 500 },
    );
  });

  it('the reducer never throws, whatever arrives in any state', () => {
    const events = fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('packet' as const), priority: fc.nat(255), src: fc.nat(255) }),
        fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(5000) }),
        fc.record({
          kind: fc.constant('tracking' as const),
          prio: fc.integer({ min: -300, max: 600 }),
          fault: fc.boolean(),
        }),
        fc.record({
          kind: fc.constant('sync' as const),
          to: fc.constantFrom('MASTER', 'BACKUP', 'FAULT') as fc.Arbitrary<'MASTER' | 'BACKUP' | 'FAULT'>,
        }),
      ),
      { maxLength: 30 },
    );
    checkProperty(
      'vrrp-reducer-event-sequences',
      [events, fc.boolean()],
      (list, unknownSource) => {
        const h = started(unknownSource ? { sourceAddress: '' } : {});
        for (const e of list) {
          if (e.kind === 'packet') h.receive(advertFrom(e.priority, `10.77.0.${e.src}`));
          else if (e.kind === 'advance') h.advance(e.ms);
          else if (e.kind === 'tracking')
            h.dispatch({ kind: 'tracking', effectivePriority: e.prio, fault: e.fault ? 'x' : null });
          else h.dispatch({ kind: 'sync', group: 'G1', to: e.to });
          expect(h.state.effectivePriority).toBeGreaterThanOrEqual(1);
          expect(h.state.effectivePriority).toBeLessThanOrEqual(254);
          // MASTER always has its Adver_Timer, BACKUP its Master_Down_Timer.
          if (h.state.state === 'MASTER') expect(h.timers.has('advert')).toBe(true);
          if (h.state.state === 'BACKUP') expect(h.timers.has('master-down')).toBe(true);
        }
        h.dispatch({ kind: 'stop' });
        expect(h.timers.size).toBe(0);
      },
      { seed: 3768, numRuns: 300 },
    );
  });
});

describe('administrative standby (docs/control.md)', () => {
  it('a MASTER in standby sends priority 0 at once, releases its VIPs and goes BACKUP', () => {
    const h = master();
    const actions = h.dispatch({ kind: 'admin', standby: true });
    expect(sent(actions)).toEqual([0]);
    expect(kinds(actions)).toContain('remove-vips');
    expect(h.state.state).toBe('BACKUP');
    expect(h.state.standby).toBe(true);
    expect(actions).toContainEqual({
      kind: 'state-changed',
      from: 'MASTER',
      to: 'BACKUP',
      reason: 'standby',
    });
    expect(counters(actions)).toEqual(expect.arrayContaining(['pri_zero_sent', 'release_master']));
    // The advert goes before the VIPs are removed (RFC 3768 section 6.4.3, as at shutdown).
    const order = kinds(actions);
    expect(order.indexOf('send-advert')).toBeLessThan(order.indexOf('remove-vips'));
  });

  it('stays BACKUP while the master is silent: the Master_Down_Timer re-arms instead of taking over', () => {
    const h = master();
    h.dispatch({ kind: 'admin', standby: true });
    const actions = h.advance(10 * MDI_100);
    expect(h.state.state).toBe('BACKUP');
    expect(kinds(actions)).not.toContain('add-vips');
    expect(h.timers.has('master-down')).toBe(true);
  });

  it('accepts a lower-priority master without discarding its adverts and remembers its address', () => {
    const h = started({ basePriority: 200 });
    h.dispatch({ kind: 'admin', standby: true });
    const actions = h.receive(advertFrom(50, '10.77.0.9'));
    expect(logs(actions).join('\n')).not.toMatch(/discarding/);
    expect(h.state.masterAddress).toBe('10.77.0.9');
    h.advance(MDI_100 - 1);
    h.receive(advertFrom(50, '10.77.0.9'));
    h.advance(MDI_100 - 1);
    expect(h.state.state).toBe('BACKUP');
  });

  it('an owner (255, state MASTER) in standby starts as BACKUP', () => {
    const h = new ReducerHarness(instanceParams({ basePriority: 255, initialState: 'MASTER' }));
    h.dispatch({ kind: 'admin', standby: true });
    h.dispatch({ kind: 'startup' });
    expect(h.state.state).toBe('BACKUP');
  });

  it('a sync-group MASTER command does not move a member in standby', () => {
    const h = started({ syncGroup: 'G1' });
    h.dispatch({ kind: 'admin', standby: true });
    h.dispatch({ kind: 'sync', group: 'G1', to: 'MASTER' });
    expect(h.state.state).toBe('BACKUP');
  });

  it('a fault clearing while in standby returns to BACKUP, not MASTER', () => {
    const h = new ReducerHarness(instanceParams({ basePriority: 255, initialState: 'MASTER' }));
    h.dispatch({ kind: 'startup' });
    h.dispatch({ kind: 'admin', standby: true });
    h.dispatch({ kind: 'tracking', effectivePriority: 255, fault: 'interface eth0 down' });
    expect(h.state.state).toBe('FAULT');
    h.dispatch({ kind: 'tracking', effectivePriority: 255, fault: null });
    expect(h.state.state).toBe('BACKUP');
  });

  it('resume lifts the hold: with no master the down timer takes over; a lower master is preempted', () => {
    const h = master();
    h.dispatch({ kind: 'admin', standby: true });
    h.advance(5000);
    const resumed = h.dispatch({ kind: 'admin', standby: false });
    expect(logs(resumed)).toEqual(['(VI_1) Leaving administrative standby']);
    expect(h.state.standby).toBe(false);
    h.advance(MDI_100 + 1);
    expect(h.state.state).toBe('MASTER');

    const p = started({ basePriority: 200 });
    p.dispatch({ kind: 'admin', standby: true });
    p.receive(advertFrom(50));
    p.dispatch({ kind: 'admin', standby: false });
    const discarded = p.receive(advertFrom(50));
    expect(logs(discarded).join('\n')).toMatch(/received lower priority \(50\) advert .* discarding/);
    p.advance(MDI_100 + 1);
    expect(p.state.state).toBe('MASTER');
  });

  it('standby and resume are idempotent, and ignored once stopped', () => {
    const h = master();
    h.dispatch({ kind: 'admin', standby: true });
    expect(h.dispatch({ kind: 'admin', standby: true })).toEqual([]);
    h.dispatch({ kind: 'stop' });
    expect(h.dispatch({ kind: 'admin', standby: false })).toEqual([]);
    expect(h.state.standby).toBe(true);
  });

  it('property: an instance in standby never becomes MASTER, whatever arrives', () => {
    const events = fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('packet' as const), priority: fc.nat(255), src: fc.nat(255) }),
        fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(8000) }),
        fc.record({
          kind: fc.constant('tracking' as const),
          prio: fc.integer({ min: -300, max: 600 }),
          fault: fc.boolean(),
        }),
        fc.record({
          kind: fc.constant('sync' as const),
          to: fc.constantFrom('MASTER', 'BACKUP', 'FAULT') as fc.Arbitrary<'MASTER' | 'BACKUP' | 'FAULT'>,
        }),
      ),
      { maxLength: 30 },
    );
    checkProperty(
      'vrrp-reducer-standby-never-master',
      [events, fc.boolean(), fc.nat(5000)],
      (list, owner, masterFor) => {
        const h = new ReducerHarness(
          instanceParams(owner ? { basePriority: 255, initialState: 'MASTER' } : { syncGroup: 'G1' }),
        );
        h.dispatch({ kind: 'startup' });
        h.advance(masterFor);
        h.dispatch({ kind: 'admin', standby: true });
        expect(h.state.state).not.toBe('MASTER');
        for (const e of list) {
          if (e.kind === 'packet') h.receive(advertFrom(e.priority, `10.77.0.${e.src}`));
          else if (e.kind === 'advance') h.advance(e.ms);
          else if (e.kind === 'tracking')
            h.dispatch({ kind: 'tracking', effectivePriority: e.prio, fault: e.fault ? 'x' : null });
          else h.dispatch({ kind: 'sync', group: 'G1', to: e.to });
          expect(h.state.state).not.toBe('MASTER');
          if (h.state.state === 'BACKUP') expect(h.timers.has('master-down')).toBe(true);
        }
      },
      { seed: 6403, numRuns: 300 },
    );
  });
});
