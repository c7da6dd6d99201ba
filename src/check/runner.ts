/**
 * SHELL: the ONE scheduling loop for every checker (seesaw's generic check loop). All pending
 * launches and attempt deadlines live in one binary heap, and exactly one Clock timer is armed
 * for the earliest of them, so ten thousand checkers cost one timer, not ten thousand.
 *
 * Timing follows keepalived: the first attempt waits a random part of `warmup`; the next one is
 * scheduled from the end of the previous attempt, `delay_loop` or `delay_before_retry` later as
 * the job's health decides; each attempt is bounded by its timeout (connect_timeout), after
 * which its cancellation fires and it counts as a failure. At most `maxInFlight` attempts run at
 * once (sockets and children stay well under the fd limit); launches beyond that queue in order.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { CancelToken, down, type Cancellation, type CheckResult } from './checker.js';

export interface RunnerJob {
  readonly delayLoopMs: number;
  readonly delayBeforeRetryMs: number;
  /** Upper bound of the random first delay; 0 starts at once. */
  readonly warmupMs: number;
  readonly timeoutMs: number;
  /** One attempt; must honour the cancellation. A rejection counts as a failure. */
  attempt(cancel: Cancellation): Promise<CheckResult>;
  /** Receives each result; returns which delay schedules the next attempt. */
  onResult(result: CheckResult): 'delay_loop' | 'delay_before_retry';
}

export interface RunnerOptions {
  readonly clock: Clock;
  /** Uniform [0, 1); default Math.random. */
  readonly random?: () => number;
  /** Concurrent attempts at most; default 1024. */
  readonly maxInFlight?: number;
  /** Launches and deadlines handled per timer callback before yielding; default unbounded. */
  readonly maxPerTurn?: number;
  /** Time one timer callback may spend launching before it yields; default 4 ms. */
  readonly maxTurnMs?: number;
  /** Observes how late each launch is against its schedule (ms), for metrics and benches. */
  readonly onLaunch?: (latenessMs: number) => void;
}

export interface Runner {
  /** Schedules a job (first attempt after a random warmup); returns its id. */
  add(job: RunnerJob): number;
  /** Stops scheduling a job; an attempt in flight is aborted and its result dropped. */
  remove(id: number): void;
  /** Aborts everything and cancels the timer. */
  stop(): void;
  readonly inFlight: number;
  readonly queued: number;
  readonly size: number;
}

interface JobState {
  readonly id: number;
  readonly job: RunnerJob;
  /** Bumped per attempt so a stale deadline or late result is recognised. */
  generation: number;
  controller: CancelToken | null;
  removed: boolean;
}

interface HeapEntry {
  at: number;
  seq: number;
  kind: 0 | 1; // 0 launch, 1 deadline
  state: JobState;
  generation: number;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

class Heap {
  readonly items: HeapEntry[] = [];
  push(e: HeapEntry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  peek(): HeapEntry | undefined {
    return this.items[0];
  }
  pop(): HeapEntry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

export function createRunner(options: RunnerOptions): Runner {
  const { clock } = options;
  const random = options.random ?? Math.random;
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1024);
  const maxPerTurn = Math.max(1, options.maxPerTurn ?? Infinity);
  const maxTurnMs = options.maxTurnMs ?? 4;
  const heap = new Heap();
  const jobs = new Map<number, JobState>();
  const waiting: { state: JobState; due: number }[] = [];
  let waitingHead = 0;
  let nextId = 1;
  let seq = 0;
  let inFlight = 0;
  let timer: TimerHandle | null = null;
  let timerAt = Infinity;
  let stopped = false;

  function arm(): void {
    const top = heap.peek();
    const at = top === undefined ? Infinity : top.at;
    if (at === timerAt) return;
    timer?.cancel();
    timer = null;
    timerAt = at;
    if (at === Infinity) return;
    timer = clock.setTimer(Math.max(0, at - clock.now()), onTimer);
  }

  function scheduleLaunch(state: JobState, delayMs: number): void {
    heap.push({ at: clock.now() + delayMs, seq: seq++, kind: 0, state, generation: state.generation });
  }

  function onTimer(): void {
    timer = null;
    timerAt = Infinity;
    const now = clock.now();
    let handled = 0;
    for (let top = heap.peek(); top !== undefined && top.at <= now; top = heap.peek()) {
      // Yield after a batch so timers and I/O beside the checkers (VRRP adverts) run between
      // batches; the rest follows on a zero-delay timer.
      if (handled >= maxPerTurn || ((handled & 15) === 15 && clock.now() - now >= maxTurnMs)) break;
      handled++;
      heap.pop();
      const { state } = top;
      if (state.removed) continue;
      if (top.kind === 1) {
        if (top.generation === state.generation && state.controller !== null) {
          state.controller.cancel();
          finish(state, down('Timeout connecting'));
        }
      } else if (inFlight < maxInFlight) {
        launch(state, top.at);
      } else {
        waiting.push({ state, due: top.at });
      }
    }
    arm();
  }

  function launch(state: JobState, due: number): void {
    const now = clock.now();
    options.onLaunch?.(now - due);
    const controller = new CancelToken();
    state.controller = controller;
    const generation = ++state.generation;
    inFlight++;
    heap.push({ at: now + state.job.timeoutMs, seq: seq++, kind: 1, state, generation });
    let promise: Promise<CheckResult>;
    try {
      promise = state.job.attempt(controller);
    } catch (e) {
      promise = Promise.reject(e);
    }
    promise.then(
      (result) => {
        if (state.generation === generation && state.controller === controller) finish(state, result);
      },
      (e: unknown) => {
        if (state.generation === generation && state.controller === controller)
          finish(state, down('Error', e instanceof Error ? e.message : String(e)));
      },
    );
  }

  /** Ends the current attempt of `state` with `result` (completion or deadline). */
  function finish(state: JobState, result: CheckResult): void {
    state.controller?.release();
    state.controller = null;
    state.generation++;
    inFlight--;
    if (!state.removed && !stopped) {
      const next = state.job.onResult(result);
      // The job may have been removed (or the runner stopped) by its own result handler.
      if (!state.removed && !stopped)
        scheduleLaunch(state, next === 'delay_loop' ? state.job.delayLoopMs : state.job.delayBeforeRetryMs);
    }
    drainWaiting();
    arm();
  }

  function drainWaiting(): void {
    while (inFlight < maxInFlight && waitingHead < waiting.length) {
      const w = waiting[waitingHead++]!;
      if (!w.state.removed && !stopped) launch(w.state, w.due);
    }
    if (waitingHead > 1024 && waitingHead * 2 > waiting.length) {
      waiting.splice(0, waitingHead);
      waitingHead = 0;
    }
  }

  return {
    add(job) {
      const state: JobState = { id: nextId++, job, generation: 0, controller: null, removed: false };
      jobs.set(state.id, state);
      if (!stopped) {
        scheduleLaunch(state, job.warmupMs > 0 ? Math.floor(random() * job.warmupMs) : 0);
        arm();
      }
      return state.id;
    },
    remove(id) {
      const state = jobs.get(id);
      if (state === undefined) return;
      jobs.delete(id);
      state.removed = true;
      if (state.controller !== null) {
        state.controller.cancel();
        state.controller = null;
        state.generation++;
        inFlight--;
        drainWaiting();
      }
    },
    stop() {
      stopped = true;
      for (const id of [...jobs.keys()]) this.remove(id);
      timer?.cancel();
      timer = null;
      timerAt = Infinity;
    },
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return waiting.length - waitingHead;
    },
    get size() {
      return jobs.size;
    },
  };
}
