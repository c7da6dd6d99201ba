import { describe, expect, it } from 'vitest';
import { EventFeed, MAX_RECENT, type FeedEntry } from '../../../src/daemon/event-feed.js';
import { MemoryLogger } from '../../../src/util/log.js';

const state = (n: number) => ({
  kind: 'vrrp-state' as const,
  instance: `VI_${n}`,
  from: 'BACKUP',
  to: 'MASTER',
});

describe('EventFeed', () => {
  it('numbers and timestamps every event and hands it to each subscriber in order', () => {
    let now = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    const feed = new EventFeed(new MemoryLogger(), () => now);
    const a: FeedEntry[] = [];
    const b: FeedEntry[] = [];
    feed.subscribe((e) => a.push(e));
    feed.subscribe((e) => b.push(e));
    feed.emit(state(1));
    now += 1000;
    feed.emit({ kind: 'reload', applied: true, durationMs: 12 });
    feed.emit({
      kind: 'rs-health',
      vs: 'TCP:10.0.0.1:80',
      rs: '10.0.1.1|80',
      vsName: 'v',
      rsName: 'r',
      up: false,
    });
    expect(a.map((e) => [e.seq, e.kind, e.at])).toEqual([
      [1, 'vrrp-state', '2026-01-02T03:04:05.006Z'],
      [2, 'reload', '2026-01-02T03:04:06.006Z'],
      [3, 'rs-health', '2026-01-02T03:04:06.006Z'],
    ]);
    expect(a[1]).toMatchObject({ kind: 'reload', applied: true, durationMs: 12 });
    expect(b).toEqual(a);
  });

  it('unsubscribe stops the deliveries to that listener only', () => {
    const feed = new EventFeed(new MemoryLogger());
    const a: number[] = [];
    const b: number[] = [];
    const offA = feed.subscribe((e) => a.push(e.seq));
    feed.subscribe((e) => b.push(e.seq));
    feed.emit(state(1));
    offA();
    offA(); // twice is harmless
    feed.emit(state(2));
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
  });

  it('a throwing listener is logged and the others still get the event', () => {
    const log = new MemoryLogger();
    const feed = new EventFeed(log);
    const got: number[] = [];
    feed.subscribe(() => {
      throw new Error('boom');
    });
    feed.subscribe((e) => got.push(e.seq));
    feed.emit(state(1));
    feed.emit(state(2));
    expect(got).toEqual([1, 2]);
    expect(log.messages().filter((m) => m === 'event listener failed: boom')).toHaveLength(2);
  });

  it(`recent() keeps the last ${MAX_RECENT} events, oldest first, as a copy`, () => {
    const feed = new EventFeed(new MemoryLogger());
    expect(feed.recent()).toEqual([]);
    for (let i = 1; i <= MAX_RECENT + 50; i++) feed.emit(state(i));
    const recent = feed.recent();
    expect(recent).toHaveLength(MAX_RECENT);
    expect(recent[0]!.seq).toBe(51);
    expect(recent.at(-1)!.seq).toBe(MAX_RECENT + 50);
    (recent as FeedEntry[]).length = 0;
    expect(feed.recent()).toHaveLength(MAX_RECENT);
  });
});
