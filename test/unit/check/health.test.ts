import { describe, expect, it } from 'vitest';
import { down, skipped, up } from '../../../src/check/checker.js';
import {
  checkerIdentity,
  initialCheckerHealth,
  migratedCheckerHealth,
  realServerHealth,
  stepChecker,
  type CheckerHealth,
} from '../../../src/check/health.js';
import { tcpCheck } from './support/config.js';

const fail = down('Error connecting');

function run(h: CheckerHealth, results: ('u' | 'd')[], retry: number) {
  const steps = [];
  for (const r of results) {
    const s = stepChecker(h, r === 'u' ? up() : fail, retry);
    steps.push(s);
    h = s.health;
  }
  return steps;
}

describe('checker health (tcp_epilog rules)', () => {
  it('an attempt that could not make a socket changes nothing and comes again after delay_loop', () => {
    const noSocket = skipped('TCP connect fail to create socket. Rescheduling.');
    for (const start of [
      initialCheckerHealth(tcpCheck(80, { retry: 2 })),
      initialCheckerHealth(tcpCheck(80, { alpha: true })),
      // In the middle of its retries: the count is not used up either.
      stepChecker(initialCheckerHealth(tcpCheck(80, { retry: 2 })), fail, 2).health,
    ]) {
      const s = stepChecker(start, noSocket, 2);
      expect(s).toEqual({ health: start, change: null, next: 'delay_loop', log: null });
    }
  });

  it('without alpha: starts up, logs the first success, first failure takes it down at once', () => {
    const h = initialCheckerHealth(tcpCheck(80, { retry: 3 }));
    expect(h.up).toBe(true);
    const [first] = run(h, ['u'], 3);
    expect(first).toMatchObject({ change: null, log: { kind: 'success' }, next: 'delay_loop' });
    const [f] = run(h, ['d'], 3);
    expect(f).toMatchObject({
      change: 'down',
      log: { kind: 'failed', afterRetries: null },
      next: 'delay_loop',
    });
  });

  it('with alpha: starts down and comes up on the first success', () => {
    const h = initialCheckerHealth(tcpCheck(80, { alpha: true }));
    expect(h.up).toBe(false);
    const [f, s] = run(h, ['d', 'u'], 1);
    expect(f).toMatchObject({ change: null, log: { kind: 'failed', afterRetries: null } });
    expect(s).toMatchObject({ change: 'up', log: { kind: 'success' } });
  });

  it('an up checker retries `retry` times after delay_before_retry before going down', () => {
    const h = initialCheckerHealth(tcpCheck(80, { retry: 3 }));
    const steps = run(h, ['u', 'd', 'd', 'd', 'd'], 3);
    expect(steps.map((s) => s.next)).toEqual([
      'delay_loop',
      'delay_before_retry',
      'delay_before_retry',
      'delay_before_retry',
      'delay_loop',
    ]);
    expect(steps.map((s) => s.change)).toEqual([null, null, null, null, 'down']);
    expect(steps[4]!.log).toEqual({ kind: 'failed', afterRetries: 3 });
    expect(steps[1]!.log).toEqual({ kind: 'attempt-failed' });
  });

  it('a success in the middle of retries resets the count', () => {
    const h = initialCheckerHealth(tcpCheck(80, { retry: 2 }));
    const steps = run(h, ['u', 'd', 'u', 'd', 'd', 'd'], 2);
    expect(steps.map((s) => s.change)).toEqual([null, null, null, null, null, 'down']);
  });

  it('a down checker keeps its delay_loop and does not log again', () => {
    const h = initialCheckerHealth(tcpCheck(80, { retry: 1 }));
    const steps = run(h, ['d', 'd', 'd', 'u'], 1);
    expect(steps.map((s) => s.next)).toEqual(['delay_loop', 'delay_loop', 'delay_loop', 'delay_loop']);
    expect(steps.map((s) => s.log?.kind)).toEqual(['failed', 'attempt-failed', 'attempt-failed', 'success']);
    expect(steps.map((s) => s.change)).toEqual(['down', null, null, 'up']);
  });
});

describe('real server health', () => {
  const u = { up: true, hasRun: true, retryIt: 0, weight: null };
  const d = { ...u, up: false };
  it('is alive only when all checkers are up; no checker means alive', () => {
    expect(realServerHealth(3, []).alive).toBe(true);
    expect(realServerHealth(3, [u, u]).alive).toBe(true);
    expect(realServerHealth(3, [u, d]).alive).toBe(false);
  });
  it('applies dynamic weights as offsets from the configured weight, clamped at 0', () => {
    expect(realServerHealth(3, [u]).effectiveWeight).toBe(3);
    expect(realServerHealth(3, [{ ...u, weight: 10 }]).effectiveWeight).toBe(10);
    expect(
      realServerHealth(3, [
        { ...u, weight: 10 },
        { ...u, weight: 5 },
      ]).effectiveWeight,
    ).toBe(12);
    expect(realServerHealth(3, [{ ...u, weight: -20 }]).effectiveWeight).toBe(0);
  });
});

describe('reload migration', () => {
  it('identifies checkers by type and connection parameters, not timings', () => {
    expect(checkerIdentity(tcpCheck(80))).toBe(checkerIdentity(tcpCheck(80, { delayLoop: 9, retry: 7 })));
    expect(checkerIdentity(tcpCheck(80))).not.toBe(checkerIdentity(tcpCheck(81)));
    expect(checkerIdentity(tcpCheck(80))).not.toBe(checkerIdentity(tcpCheck(80, { bindTo: '127.0.0.2' })));
  });
  it('keeps a matched state; new checkers on failed or new servers start down', () => {
    const kept = { up: false, hasRun: true, retryIt: 1, weight: null };
    expect(migratedCheckerHealth(tcpCheck(80), kept, true, false)).toBe(kept);
    expect(migratedCheckerHealth(tcpCheck(80), undefined, true, false).up).toBe(false);
    expect(migratedCheckerHealth(tcpCheck(80), undefined, false, false).up).toBe(false);
    expect(migratedCheckerHealth(tcpCheck(80), undefined, true, true)).toEqual(
      initialCheckerHealth(tcpCheck(80)),
    );
  });
});
