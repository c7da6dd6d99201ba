/**
 * The one log rate limiter (docs/operations.md "Logs", rate limiting): a line that may repeat in
 * a flood carries a key (`fields.limit`: an instance and an error kind, a real server's checker,
 * a script), and every key has a token bucket. A line is written while its bucket has a token;
 * the lines it suppresses are counted, and one summary line, `N similar messages suppressed,
 * last: <the last one>`, is written when the bucket next lets a line through or when the key has
 * been quiet for `quietMs` (the burst ended). Counters are never touched: only log lines are.
 *
 * `LogRateLimiter` is the pure decision (time comes in as `now`); `rateLimitedLogger` wraps a
 * Logger with it and uses the injected Clock for the end-of-burst summaries.
 */
import type { Clock, TimerHandle } from './clock.js';
import { withFields, type LogFields, type Logger, type LogLevel } from './log.js';

export interface LogRateLimitOptions {
  /** Lines a key may write back to back. */
  readonly burst: number;
  /** One more line is allowed every `refillMs` after the burst is spent. */
  readonly refillMs: number;
  /** A key quiet for this long after a suppression gets its summary line. */
  readonly quietMs: number;
  /** Keys kept at most; beyond it new keys share one bucket (a flood of distinct keys). */
  readonly maxKeys: number;
}

/** 5 lines at once, then one every 10 s per key; summary 5 s after the burst ends. */
export const DEFAULT_LOG_RATE_LIMIT: LogRateLimitOptions = {
  burst: 5,
  refillMs: 10_000,
  quietMs: 5_000,
  maxKeys: 4096,
};

/** The key lines share once `maxKeys` keys are in use. */
export const OVERFLOW_KEY = '(other keys)';

export interface SuppressedRun<T> {
  readonly key: string;
  readonly count: number;
  /** What the caller passed with the last suppressed line. */
  readonly last: T;
}

export type LimitDecision<T> =
  /** Write the line; `summary` (lines suppressed since the last one written) goes first. */
  { readonly write: true; readonly summary: SuppressedRun<T> | null } | { readonly write: false };

interface Bucket<T> {
  tokens: number;
  refilledAt: number;
  suppressed: number;
  lastSuppressedAt: number;
  last: T | null;
}

/** PURE token buckets by key. `T` is whatever the caller wants back in summaries (the line). */
/**
 * How often a full table of keys is swept at most: a sweep reads every key, and with thousands of
 * keys in use (a checker each) sweeping for every new key made each line cost all of them.
 */
export const SWEEP_INTERVAL_MS = 1000;

export class LogRateLimiter<T> {
  private readonly buckets = new Map<string, Bucket<T>>();
  private sweptAt = -Infinity;

  constructor(readonly options: LogRateLimitOptions = DEFAULT_LOG_RATE_LIMIT) {}

  decide(key: string, now: number, line: T): LimitDecision<T> {
    const bucket = this.bucketFor(key, now);
    const { burst, refillMs } = this.options;
    if (bucket.tokens < burst && refillMs > 0) {
      const earned = Math.floor((now - bucket.refilledAt) / refillMs);
      if (earned > 0) {
        bucket.tokens = Math.min(burst, bucket.tokens + earned);
        bucket.refilledAt = bucket.tokens === burst ? now : bucket.refilledAt + earned * refillMs;
      }
    }
    if (bucket.tokens >= 1) {
      if (bucket.tokens === burst) bucket.refilledAt = now;
      bucket.tokens -= 1;
      return { write: true, summary: this.takeSummary(key, bucket) };
    }
    bucket.suppressed += 1;
    bucket.lastSuppressedAt = now;
    bucket.last = line;
    return { write: false };
  }

  /** Summaries of the keys quiet for `quietMs` since their last suppressed line. */
  flush(now: number): SuppressedRun<T>[] {
    const out: SuppressedRun<T>[] = [];
    for (const [key, bucket] of this.buckets) {
      if (bucket.suppressed > 0 && now - bucket.lastSuppressedAt >= this.options.quietMs) {
        const run = this.takeSummary(key, bucket);
        if (run !== null) out.push(run);
      }
    }
    return out;
  }

  /** Every pending summary (shutdown). */
  flushAll(): SuppressedRun<T>[] {
    const out: SuppressedRun<T>[] = [];
    for (const [key, bucket] of this.buckets) {
      const run = this.takeSummary(key, bucket);
      if (run !== null) out.push(run);
    }
    return out;
  }

  /** The earliest time `flush` has something to return, or null. */
  nextFlushAt(): number | null {
    let at: number | null = null;
    for (const b of this.buckets.values()) {
      if (b.suppressed === 0) continue;
      const due = b.lastSuppressedAt + this.options.quietMs;
      if (at === null || due < at) at = due;
    }
    return at;
  }

  get size(): number {
    return this.buckets.size;
  }

  private takeSummary(key: string, bucket: Bucket<T>): SuppressedRun<T> | null {
    if (bucket.suppressed === 0 || bucket.last === null) return null;
    const run = { key, count: bucket.suppressed, last: bucket.last };
    bucket.suppressed = 0;
    bucket.last = null;
    return run;
  }

  private bucketFor(key: string, now: number): Bucket<T> {
    const found = this.buckets.get(key);
    if (found !== undefined) return found;
    if (this.buckets.size >= this.options.maxKeys) {
      if (now - this.sweptAt >= SWEEP_INTERVAL_MS) this.sweep(now);
      if (this.buckets.size >= this.options.maxKeys) return this.getOrCreate(OVERFLOW_KEY, now);
    }
    return this.getOrCreate(key, now);
  }

  private getOrCreate(key: string, now: number): Bucket<T> {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = {
        tokens: this.options.burst,
        refilledAt: now,
        suppressed: 0,
        lastSuppressedAt: 0,
        last: null,
      };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Drops the keys that would start afresh anyway: full again and nothing pending. */
  private sweep(now: number): void {
    this.sweptAt = now;
    const { burst, refillMs } = this.options;
    for (const [key, b] of this.buckets) {
      if (b.suppressed > 0) continue;
      if (b.tokens + Math.floor((now - b.refilledAt) / Math.max(1, refillMs)) >= burst)
        this.buckets.delete(key);
    }
  }
}

interface HeldLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

export interface RateLimitedLogger extends Logger {
  /** Writes the pending summaries and stops the end-of-burst timer. */
  close(): void;
}

/** The summary line for a suppressed run (its level and fields are the last suppressed line's). */
export function suppressedLine(count: number, lastMessage: string): string {
  return `${count} similar message${count === 1 ? '' : 's'} suppressed, last: ${lastMessage}`;
}

/**
 * Wraps `inner`: lines whose fields carry `limit` go through one LogRateLimiter; the others pass
 * unchanged. Summary lines keep the level and fields of the last suppressed line, without
 * `limit` and with `suppressed: N`.
 */
export function rateLimitedLogger(
  inner: Logger,
  clock: Clock,
  options: LogRateLimitOptions = DEFAULT_LOG_RATE_LIMIT,
): RateLimitedLogger {
  const limiter = new LogRateLimiter<HeldLine>(options);
  let timer: TimerHandle | null = null;
  let timerAt = Infinity;
  let closed = false;

  const writeSummary = (run: SuppressedRun<HeldLine>): void => {
    const { limit: _key, ...rest } = run.last.fields;
    inner[run.last.level](suppressedLine(run.count, run.last.message), { ...rest, suppressed: run.count });
  };
  const arm = (): void => {
    const at = limiter.nextFlushAt();
    if (at === null || closed || at >= timerAt) return;
    timer?.cancel();
    timerAt = at;
    timer = clock.setTimer(at - clock.now(), () => {
      timer = null;
      timerAt = Infinity;
      for (const run of limiter.flush(clock.now())) writeSummary(run);
      arm();
    });
  };
  const write =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      const key = fields?.limit;
      if (typeof key !== 'string' || closed) {
        inner[level](message, fields);
        return;
      }
      const decision = limiter.decide(key, clock.now(), { level, message, fields: fields! });
      if (!decision.write) {
        // A line suppressed now is due no earlier than an armed timer (it fires at the earliest
        // due), so only an idle limiter needs to look for the next one (all keys).
        if (timer === null) arm();
        return;
      }
      if (decision.summary !== null) writeSummary(decision.summary);
      inner[level](message, fields);
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    detail: write('detail'),
    debug: write('debug'),
    close: () => {
      if (closed) return;
      for (const run of limiter.flushAll()) writeSummary(run);
      closed = true;
      timer?.cancel();
      timer = null;
    },
  };
}

/** `logger` with `limit: key` on every line (one source that may repeat: a script, a socket). */
export function limitedBy(logger: Logger, key: string): Logger {
  return withFields(logger, { limit: key });
}
