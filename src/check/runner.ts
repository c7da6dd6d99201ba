/**
 * SHELL: the ONE scheduling loop for every checker (seesaw's generic check loop). Pending
 * launches live in one binary heap and attempt deadlines in one FIFO per timeout value, and
 * exactly one Clock timer is armed for the earliest of them, so ten thousand checkers cost one
 * timer, not ten thousand, and a steady attempt allocates no scheduling entries.
 *
 * Timing follows keepalived: the first attempt waits a random part of `warmup`; the next one is
 * scheduled from the end of the previous attempt, `delay_loop` or `delay_before_retry` later as
 * the job's health decides; each attempt is bounded by its timeout (connect_timeout), after
 * which its cancellation fires and it counts as a failure. At most `maxInFlight` attempts run at
 * once (sockets and children stay well under the fd limit); launches beyond that queue in order.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { CancelToken, down, type Cancellation, type CheckResult } from './checker.js';

const TIMEOUT_RESULT = down('Timeout connecting');

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
  /**
   * False while the checker is suspended (ha_suspend): its turn passes with no attempt and the
   * next comes `delay_loop` later, as keepalived's checker threads do with `!checker->enabled`.
   */
  enabled?(): boolean;
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
  /** Pending launch (a job has at most one): time and tie-break order in the launch heap. */
  at: number;
  seq: number;
}

function before(a: JobState, b: JobState): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Pending launches, earliest first; the job states themselves are the entries (no allocation). */
class LaunchHeap {
  readonly items: JobState[] = [];
  push(e: JobState): void {
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
  peek(): JobState | undefined {
    return this.items[0];
  }
  pop(): JobState | undefined {
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

/**
 * Attempt deadlines of one timeout value. Deadlines are `launch time + timeout`, so within one
 * timeout they come due in launch order: a FIFO (parallel arrays, no entry objects) replaces a
 * heap, and entries of attempts that already ended are dropped when they reach the head.
 */
class DeadlineQueue {
  private states: JobState[] = [];
  private generations: number[] = [];
  private ats: number[] = [];
  private head = 0;
  push(state: JobState, generation: number, at: number): void {
    this.states.push(state);
    this.generations.push(generation);
    this.ats.push(at);
  }
  /** Drops ended attempts at the head; returns the earliest live deadline or Infinity. */
  earliest(): number {
    while (this.head < this.states.length) {
      const state = this.states[this.head]!;
      if (state.generation === this.generations[this.head] && state.controller !== null && !state.removed)
        return this.ats[this.head]!;
      this.shift();
    }
    return Infinity;
  }
  /** The head's job if its attempt is live and due at `now` (removes it), else null. */
  takeDue(now: number): JobState | null {
    if (this.earliest() > now) return null;
    const state = this.states[this.head]!;
    this.shift();
    return state;
  }
  private shift(): void {
    this.head++;
    if (this.head === this.states.length) {
      this.states.length = 0;
      this.generations.length = 0;
      this.ats.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.states.length) {
      this.states.splice(0, this.head);
      this.generations.splice(0, this.head);
      this.ats.splice(0, this.head);
      this.head = 0;
    }
  }
}

export function createRunner(options: RunnerOptions): Runner {
  const { clock } = options;
  const random = options.random ?? Math.random;
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1024);
  const maxPerTurn = Math.max(1, options.maxPerTurn ?? Infinity);
  const maxTurnMs = options.maxTurnMs ?? 4;
  const heap = new LaunchHeap();
  const deadlines = new Map<number, DeadlineQueue>();
  const jobs = new Map<number, JobState>();
  const waiting: { state: JobState; due: number }[] = [];
  let waitingHead = 0;
  let nextId = 1;
  let seq = 0;
  let inFlight = 0;
  let timer: TimerHandle | null = null;
  let timerAt = Infinity;
  let stopped = false;

  function earliestDeadline(): { at: number; queue: DeadlineQueue | null } {
    let at = Infinity;
    let queue: DeadlineQueue | null = null;
    for (const q of deadlines.values()) {
      const e = q.earliest();
      if (e < at) {
        at = e;
        queue = q;
      }
    }
    return { at, queue };
  }

  function arm(): void {
    const top = heap.peek();
    const at = Math.min(top === undefined ? Infinity : top.at, earliestDeadline().at);
    if (at === timerAt) return;
    timer?.cancel();
    timer = null;
    timerAt = at;
    if (at === Infinity) return;
    timer = clock.setTimer(Math.max(0, at - clock.now()), onTimer);
  }

  function scheduleLaunch(state: JobState, delayMs: number): void {
    state.at = clock.now() + delayMs;
    state.seq = seq++;
    heap.push(state);
  }

  function onTimer(): void {
    timer = null;
    timerAt = Infinity;
    const now = clock.now();
    let handled = 0;
    // Yield after a batch so timers and I/O beside the checkers run between batches; the rest
    // follows on a zero-delay timer.
    const yieldNow = (): boolean =>
      handled >= maxPerTurn || ((handled & 15) === 15 && clock.now() - now >= maxTurnMs);
    // Deadlines first: each one frees a slot for a queued launch.
    for (let d = earliestDeadline(); d.queue !== null && d.at <= now; d = earliestDeadline()) {
      if (yieldNow()) return arm();
      handled++;
      const state = d.queue.takeDue(now);
      if (state === null || state.controller === null) continue;
      state.controller.cancel();
      finish(state, TIMEOUT_RESULT, false);
    }
    for (let top = heap.peek(); top !== undefined && top.at <= now; top = heap.peek()) {
      if (yieldNow()) break;
      handled++;
      heap.pop();
      if (top.removed) continue;
      if (top.job.enabled?.() === false) {
        scheduleLaunch(top, top.job.delayLoopMs);
        continue;
      }
      if (inFlight < maxInFlight) launch(top, top.at);
      else waiting.push({ state: top, due: top.at });
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
    const timeoutMs = state.job.timeoutMs;
    let queue = deadlines.get(timeoutMs);
    if (queue === undefined) {
      queue = new DeadlineQueue();
      deadlines.set(timeoutMs, queue);
    }
    queue.push(state, generation, now + timeoutMs);
    let promise: Promise<CheckResult>;
    try {
      promise = state.job.attempt(controller);
    } catch (e) {
      promise = Promise.reject(e);
    }
    promise.then(
      (result) => {
        if (state.generation === generation && state.controller === controller) finish(state, result, true);
      },
      (e: unknown) => {
        if (state.generation === generation && state.controller === controller)
          finish(state, down('Error', e instanceof Error ? e.message : String(e)), true);
      },
    );
  }

  /** Ends the current attempt of `state` with `result` (completion or deadline). */
  function finish(state: JobState, result: CheckResult, rearm: boolean): void {
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
    if (rearm) arm();
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
      const state: JobState = {
        id: nextId++,
        job,
        generation: 0,
        controller: null,
        removed: false,
        at: 0,
        seq: 0,
      };
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
