// timer_expired_backup (keepalived 2.2.8+ vrrp.c vrrp_thread_timeout_handler): a MASTER whose
// Adver_Timer fires so late that another router could have taken over goes BACKUP.
import { describe, expect, it } from 'vitest';
import { logs, ReducerHarness } from './harness.js';
import { instanceParams, packet } from './support.js';

const MDI_100 = 3609.375;

function masterWith(timerExpiredBackupPriority: number): ReducerHarness {
  const h = new ReducerHarness(instanceParams({ nopreempt: true, timerExpiredBackupPriority }));
  h.dispatch({ kind: 'startup' });
  h.advance(MDI_100 + 1000);
  expect(h.state.state).toBe('MASTER');
  return h;
}

/** The Adver_Timer fires `lateMs` after its deadline, as after a stalled event loop. */
function fireAdvertLate(h: ReducerHarness, lateMs: number) {
  const deadline = h.timers.get('advert');
  if (deadline === undefined) throw new Error('no Adver_Timer armed');
  h.now = deadline + lateMs;
  return h.dispatch({ kind: 'timer', timer: 'advert' });
}

describe('timer_expired_backup', () => {
  // Priority 254: 3 x 1 s + (256 - 254) / 256 s = 3007.8 ms after the last advert, that is the
  // Adver_Timer 2007.8 ms late.
  it('goes BACKUP when held up past the takeover time of a router at the given priority', () => {
    const h = masterWith(254);
    const actions = fireAdvertLate(h, 2008);
    expect(h.state.state).toBe('BACKUP');
    expect(logs(actions)).toEqual([
      'VRRP thread timer expired 2.008000 seconds ago',
      '(VI_1) Entering BACKUP STATE',
    ]);
    expect(actions.some((a) => a.kind === 'send-advert')).toBe(false);
    expect(actions).toContainEqual({ kind: 'remove-vips' });
    expect(actions).toContainEqual({ kind: 'run-notify', state: 'BACKUP', priority: 100 });
  });

  it('keeps MASTER and advertises when the delay is shorter than that takeover time', () => {
    const h = masterWith(254);
    const actions = fireAdvertLate(h, 2007);
    expect(h.state.state).toBe('MASTER');
    expect(actions).toContainEqual({ kind: 'send-advert', priority: 100 });
  });

  it('a lower highest priority of the others allows a longer delay (their skew is longer)', () => {
    // Priority 1: 3 s + 255/256 s = 3996.1 ms after the last advert.
    const h = masterWith(1);
    fireAdvertLate(h, 2900);
    expect(h.state.state).toBe('MASTER');
    fireAdvertLate(h, 2997);
    expect(h.state.state).toBe('BACKUP');
  });

  it('without the keyword a MASTER resumes after any delay, as keepalived 2.2.7', () => {
    const h = masterWith(0);
    const actions = fireAdvertLate(h, 60_000);
    expect(h.state.state).toBe('MASTER');
    expect(actions).toContainEqual({ kind: 'send-advert', priority: 100 });
  });
});

describe('timer_expired_backup with adverts queued while held up', () => {
  it('the late check comes first: a lower-priority advert read after the delay reaches a BACKUP', () => {
    const h = masterWith(254);
    const deadline = h.timers.get('advert')!;
    h.now = deadline + 2500;
    // The other router took over meanwhile; its advert was queued on our socket.
    const actions = h.dispatch({ kind: 'packet', packet: packet({ advert: { priority: 90 } }) });
    expect(h.state.state).toBe('BACKUP');
    expect(logs(actions)[0]).toBe('VRRP thread timer expired 2.500000 seconds ago');
    // As a nopreempt BACKUP it accepts the lower-priority master: no advert of ours.
    expect(actions.some((a) => a.kind === 'send-advert')).toBe(false);
    expect(h.state.masterAddress).toBe('10.77.0.2');
  });

  it('without the delay the same advert makes the MASTER answer (forcing a new election)', () => {
    const h = masterWith(254);
    const actions = h.dispatch({ kind: 'packet', packet: packet({ advert: { priority: 90 } }) });
    expect(h.state.state).toBe('MASTER');
    expect(actions).toContainEqual({ kind: 'send-advert', priority: 100 });
  });
});
