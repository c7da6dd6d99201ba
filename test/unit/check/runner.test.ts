import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { CancelToken, down, up, type CheckResult } from '../../../src/check/checker.js';
import { createRunner, type RunnerJob } from '../../../src/check/runner.js';

/** Settles pending promise callbacks (attempts resolve asynchronously). */
const flush = () => new Promise<void>((r) => setImmediate(r));

interface Probe {
  starts: number[];
  results: CheckResult[];
  signals: AbortSignal[];
}

function job(
  clock: ManualClock,
  probe: Probe,
  over: Partial<RunnerJob> & { outcome?: () => CheckResult | null } = {},
): RunnerJob {
  const outcome = over.outcome ?? (() => up());
  return {
    delayLoopMs: 1000,
    delayBeforeRetryMs: 300,
    warmupMs: 0,
    timeoutMs: 200,
    attempt(cancel) {
      probe.starts.push(clock.now());
      probe.signals.push(cancel.signal);
      const r = outcome();
      // null = never answers (a hung server): only the deadline ends it.
      return r === null ? new Promise(() => {}) : Promise.resolve(r);
    },
    onResult(result) {
      probe.results.push(result);
      return result.kind === 'up' ? 'delay_loop' : 'delay_before_retry';
    },
    ...over,
  };
}

async function advance(clock: ManualClock, ms: number, step = 1): Promise<void> {
  // Fire what is due now and let attempts settle before time moves on.
  for (let t = 0; t < ms; t += step) {
    clock.advance(0);
    await flush();
    clock.advance(step);
  }
  clock.advance(0);
  await flush();
}

describe('runner', () => {
  it('runs attempts every delay_loop, scheduled from the end of the previous one', async () => {
    const clock = new ManualClock();
    const probe: Probe = { starts: [], results: [], signals: [] };
    const runner = createRunner({ clock });
    runner.add(job(clock, probe));
    await advance(clock, 3500);
    expect(probe.starts).toEqual([0, 1000, 2000, 3000]);
    runner.stop();
    expect(clock.pending()).toBe(0);
  });

  it('spreads the first attempt over warmup with the injected random source', async () => {
    const clock = new ManualClock();
    const probe: Probe = { starts: [], results: [], signals: [] };
    const runner = createRunner({ clock, random: () => 0.5 });
    runner.add(job(clock, probe, { warmupMs: 1000 }));
    await advance(clock, 1200);
    expect(probe.starts).toEqual([500]);
    runner.stop();
  });

  it('uses delay_before_retry when the job asks for a retry', async () => {
    const clock = new ManualClock();
    const probe: Probe = { starts: [], results: [], signals: [] };
    const runner = createRunner({ clock });
    runner.add(job(clock, probe, { outcome: () => down('Error connecting') }));
    await advance(clock, 700);
    expect(probe.starts).toEqual([0, 300, 600]);
    runner.stop();
  });

  it('keeps deadlines per timeout value: each hung attempt ends at its own timeout, answered ones never time out', async () => {
    const clock = new ManualClock();
    const ends: { id: string; at: number; result: CheckResult }[] = [];
    const runner = createRunner({ clock });
    const add = (id: string, timeoutMs: number, hung: () => boolean): void => {
      const probe: Probe = { starts: [], results: [], signals: [] };
      runner.add(
        job(clock, probe, {
          timeoutMs,
          delayLoopMs: 100,
          delayBeforeRetryMs: 100,
          outcome: () => (hung() ? null : up()),
          onResult(result) {
            ends.push({ id, at: clock.now(), result });
            return 'delay_loop';
          },
        }),
      );
    };
    add('slow', 300, () => true);
    add('fast', 50, () => true);
    // Answers at once; every attempt leaves a deadline behind in the same 300 ms queue as 'slow'.
    add('ok', 300, () => false);
    await advance(clock, 420, 5);
    const of = (id: string) => ends.filter((e) => e.id === id).map((e) => [e.at, e.result.kind]);
    expect(of('fast')).toEqual([
      [50, 'down'],
      [200, 'down'],
      [350, 'down'],
    ]);
    expect(of('slow')).toEqual([[300, 'down']]);
    // 'ok' answered every 100 ms; none of its stale deadlines (due at 300, 400) ended anything.
    expect(of('ok').every(([, kind]) => kind === 'up')).toBe(true);
    expect(of('ok').map(([at]) => at)).toEqual([0, 100, 200, 300, 400]);
    runner.stop();
  });

  it('ends a hung attempt at its timeout with a failure and aborts its signal', async () => {
    const clock = new ManualClock();
    const probe: Probe = { starts: [], results: [], signals: [] };
    const runner = createRunner({ clock });
    runner.add(job(clock, probe, { outcome: () => null }));
    await advance(clock, 150);
    expect(probe.results).toEqual([]);
    expect(runner.inFlight).toBe(1);
    await advance(clock, 100);
    expect(probe.results).toEqual([down('Timeout connecting')]);
    expect(probe.signals[0]!.aborted).toBe(true);
    expect(runner.inFlight).toBe(0);
    // Next attempt: end of attempt (200) + delay_before_retry (300).
    await advance(clock, 300);
    expect(probe.starts).toEqual([0, 500]);
    runner.stop();
  });

  it('bounds concurrency and queues the rest in order, reporting their lateness', async () => {
    const clock = new ManualClock();
    const probe: Probe = { starts: [], results: [], signals: [] };
    const late: number[] = [];
    const runner = createRunner({ clock, maxInFlight: 2, onLaunch: (ms) => late.push(ms) });
    for (let i = 0; i < 4; i++)
      runner.add(job(clock, probe, { outcome: () => null, delayLoopMs: 10_000, delayBeforeRetryMs: 10_000 }));
    await advance(clock, 10);
    expect(runner.inFlight).toBe(2);
    expect(runner.queued).toBe(2);
    await advance(clock, 200);
    expect(probe.starts).toEqual([0, 0, 200, 200]);
    expect(late).toEqual([0, 0, 200, 200]);
    runner.stop();
  });

  it('uses one clock timer however many jobs are scheduled', async () => {
    const clock = new ManualClock();
    const probe: Probe = { starts: [], results: [], signals: [] };
    const runner = createRunner({ clock, random: () => Math.random() * 0.9 });
    for (let i = 0; i < 500; i++) runner.add(job(clock, probe, { warmupMs: 1000 }));
    expect(clock.pending()).toBe(1);
    await advance(clock, 900, 100);
    expect(probe.starts.length).toBe(500);
    expect(clock.pending()).toBe(1);
    runner.stop();
  });

  it('drops the result of a removed job and never schedules it again', async () => {
    const clock = new ManualClock();
    const probe: Probe = { starts: [], results: [], signals: [] };
    const runner = createRunner({ clock });
    const id = runner.add(job(clock, probe, { outcome: () => null }));
    await advance(clock, 50);
    runner.remove(id);
    expect(probe.signals[0]!.aborted).toBe(true);
    await advance(clock, 3000);
    expect(probe.starts).toEqual([0]);
    expect(probe.results).toEqual([]);
    runner.stop();
  });
});

describe('runner batching', () => {
  it('handles at most maxPerTurn due entries per timer callback, then yields', async () => {
    const manual = new ManualClock();
    const probe: Probe = { starts: [], results: [], signals: [] };
    const perCallback: number[] = [];
    // A clock that records how many attempts each timer callback launched.
    const clock = {
      now: () => manual.now(),
      setTimer: (ms: number, fn: () => void) =>
        manual.setTimer(ms, () => {
          const before = probe.starts.length;
          fn();
          perCallback.push(probe.starts.length - before);
        }),
    };
    const runner = createRunner({ clock, maxPerTurn: 3 });
    for (let i = 0; i < 7; i++) runner.add(job(manual, probe, { outcome: () => null, timeoutMs: 10_000 }));
    manual.advance(0);
    expect(perCallback).toEqual([3, 3, 1]);
    expect(runner.inFlight).toBe(7);
    runner.stop();
  });
});

describe('CancelToken', () => {
  it('runs onCancel callbacks once, aborts a signal made before or after, and forgets callbacks on release', () => {
    const calls: string[] = [];
    const a = new CancelToken();
    const early = a.signal;
    a.onCancel(() => calls.push('a'));
    a.cancel();
    a.cancel();
    expect(calls).toEqual(['a']);
    expect(early.aborted).toBe(true);
    a.onCancel(() => calls.push('late'));
    expect(calls).toEqual(['a', 'late']);
    const b = new CancelToken();
    b.cancel();
    expect(b.signal.aborted).toBe(true);
    const c = new CancelToken();
    c.onCancel(() => calls.push('c'));
    c.release();
    c.cancel();
    expect(calls).toEqual(['a', 'late']);
  });
});
