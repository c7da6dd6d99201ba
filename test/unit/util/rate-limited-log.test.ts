import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import {
  LogRateLimiter,
  OVERFLOW_KEY,
  rateLimitedLogger,
  SWEEP_INTERVAL_MS,
  suppressedLine,
  type LogRateLimitOptions,
} from '../../../src/util/rate-limited-log.js';

const OPTIONS: LogRateLimitOptions = { burst: 3, refillMs: 1000, quietMs: 500, maxKeys: 100 };

describe('LogRateLimiter', () => {
  it('lets a burst through, then one line per refill interval, with the count of what it held', () => {
    const limiter = new LogRateLimiter<string>(OPTIONS);
    const written: string[] = [];
    const summaries: number[] = [];
    // 100 lines a second for 5 s.
    for (let t = 0; t < 5000; t += 10) {
      const d = limiter.decide('k', t, `line@${t}`);
      if (d.write) {
        written.push(`line@${t}`);
        if (d.summary !== null) summaries.push(d.summary.count);
      }
    }
    // 3 at once, then one each second (t = 1000, 2000, 3000, 4000).
    expect(written).toEqual([
      'line@0',
      'line@10',
      'line@20',
      'line@1000',
      'line@2000',
      'line@3000',
      'line@4000',
    ]);
    // Each refilled line first reports the run it ends; 500 lines = 7 written + 493 suppressed.
    expect(summaries).toEqual([97, 99, 99, 99]);
    const rest = limiter.flushAll();
    expect(rest).toEqual([{ key: 'k', count: 99, last: 'line@4990' }]);
    expect(written.length + summaries.reduce((a, b) => a + b, 0) + rest[0]!.count).toBe(500);
  });

  it('keeps keys apart', () => {
    const limiter = new LogRateLimiter<string>(OPTIONS);
    for (let i = 0; i < 10; i++) limiter.decide('a', 0, 'a');
    expect(limiter.decide('b', 0, 'b')).toEqual({ write: true, summary: null });
  });

  it('refills up to the burst only', () => {
    const limiter = new LogRateLimiter<string>(OPTIONS);
    for (let i = 0; i < 3; i++) expect(limiter.decide('k', 0, 'x').write).toBe(true);
    expect(limiter.decide('k', 0, 'x').write).toBe(false);
    // After a long quiet spell the whole burst is back, not 60 lines' worth.
    const writes = Array.from({ length: 10 }, () => limiter.decide('k', 60_000, 'y').write);
    expect(writes.filter(Boolean)).toHaveLength(3);
  });

  it('reports a run once the key has been quiet for quietMs', () => {
    const limiter = new LogRateLimiter<string>(OPTIONS);
    for (let i = 0; i < 8; i++) limiter.decide('k', 100, `m${i}`);
    expect(limiter.nextFlushAt()).toBe(600);
    expect(limiter.flush(599)).toEqual([]);
    expect(limiter.flush(600)).toEqual([{ key: 'k', count: 5, last: 'm7' }]);
    expect(limiter.flush(10_000)).toEqual([]);
    expect(limiter.nextFlushAt()).toBeNull();
  });

  it('shares one bucket among new keys beyond maxKeys, and forgets idle full keys', () => {
    const limiter = new LogRateLimiter<string>({ ...OPTIONS, maxKeys: 2 });
    for (let i = 0; i < 3; i++) limiter.decide('a', 0, 'a');
    limiter.decide('a', 0, 'a'); // 'a' has one suppressed line pending
    limiter.decide('b', 0, 'b');
    const overflow = Array.from({ length: 5 }, (_, i) => limiter.decide(`new${i}`, 0, `n${i}`).write);
    expect(overflow).toEqual([true, true, true, false, false]);
    expect(limiter.flushAll().map((r) => r.key)).toEqual(['a', OVERFLOW_KEY]);
    // Later 'b' is full again and has nothing pending: swept for a new key.
    expect(limiter.decide('c', 10_000, 'c')).toEqual({ write: true, summary: null });
  });
});

describe('sweeping', () => {
  it('sweeps the keys at most once per SWEEP_INTERVAL_MS; new keys share the overflow bucket meanwhile', () => {
    const limiter = new LogRateLimiter<string>({ burst: 3, refillMs: 100, quietMs: 500, maxKeys: 2 });
    limiter.decide('a', 0, 'a');
    limiter.decide('b', 0, 'b');
    limiter.decide('c', 5000, 'c'); // full: 'a' and 'b' are full again and swept
    limiter.decide('d', 5000, 'd');
    expect(limiter.size).toBe(2);
    // 'c' and 'd' are full again by 5500, but the last sweep was 500 ms ago.
    limiter.decide('e', 5000 + SWEEP_INTERVAL_MS / 2, 'e');
    expect(limiter.size).toBe(3); // c, d and the overflow key
    limiter.decide('f', 5000 + SWEEP_INTERVAL_MS, 'f');
    expect(limiter.size).toBe(1);
  });
});

describe('rateLimitedLogger', () => {
  it('passes lines without a key and limits lines with one, with a summary when the burst ends', () => {
    const clock = new ManualClock();
    const memory = new MemoryLogger();
    const logger = rateLimitedLogger(memory, clock, OPTIONS);
    logger.info('plain');
    for (let i = 0; i < 50; i++) {
      logger.info(`(VI_1) invalid TTL ${i}`, { limit: 'VI_1/ttl', instance: 'VI_1' });
      logger.info('plain again');
      clock.advance(1);
    }
    expect(memory.messages().filter((m) => m.startsWith('plain'))).toHaveLength(51);
    expect(memory.messages().filter((m) => m.includes('invalid TTL'))).toEqual([
      '(VI_1) invalid TTL 0',
      '(VI_1) invalid TTL 1',
      '(VI_1) invalid TTL 2',
    ]);
    clock.advance(OPTIONS.quietMs);
    const summary = memory.lines.at(-1)!;
    expect(summary).toEqual({
      level: 'info',
      message: suppressedLine(47, '(VI_1) invalid TTL 49'),
      fields: { instance: 'VI_1', suppressed: 47 },
    });
    expect(summary.message).toBe('47 similar messages suppressed, last: (VI_1) invalid TTL 49');
  });

  it('writes pending summaries on close and nothing after', () => {
    const clock = new ManualClock();
    const memory = new MemoryLogger();
    const logger = rateLimitedLogger(memory, clock, OPTIONS);
    for (let i = 0; i < 4; i++) logger.warn('x', { limit: 'k' });
    logger.close();
    expect(memory.lines.at(-1)).toEqual({
      level: 'warn',
      message: '1 similar message suppressed, last: x',
      fields: { suppressed: 1 },
    });
    expect(clock.pending()).toBe(0);
  });
});
