/**
 * What happened in the daemon, in order, for the observers (the metrics and the status page's
 * event list and live updates): the subsystems' events (subsystem.ts `DaemonEvent`, routed here
 * by daemon.ts beside the subsystems themselves) and the daemon's own (reloads). A listener that
 * throws is logged and the others still run; the last MAX_RECENT events are kept for a page that
 * connects later.
 */
import type { Logger } from '../util/log.js';
import type { DaemonEvent } from './subsystem.js';

export type ObservedEvent =
  | DaemonEvent
  | {
      readonly kind: 'reload';
      readonly applied: boolean;
      readonly durationMs: number;
    };

/** An event with its wall-clock time and its place in the feed. */
export type FeedEntry = ObservedEvent & { readonly seq: number; readonly at: string };

export const MAX_RECENT = 200;

export class EventFeed {
  private readonly listeners = new Set<(entry: FeedEntry) => void>();
  private readonly recentEntries: FeedEntry[] = [];
  private seq = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  emit(event: ObservedEvent): void {
    const entry: FeedEntry = { ...event, seq: ++this.seq, at: new Date(this.now()).toISOString() };
    this.recentEntries.push(entry);
    if (this.recentEntries.length > MAX_RECENT) this.recentEntries.shift();
    for (const l of this.listeners) {
      try {
        l(entry);
      } catch (e) {
        this.logger.error(`event listener failed: ${(e as Error).message}`);
      }
    }
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe. */
  subscribe(listener: (entry: FeedEntry) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The latest events, oldest first. */
  recent(): readonly FeedEntry[] {
    return this.recentEntries.slice();
  }
}
