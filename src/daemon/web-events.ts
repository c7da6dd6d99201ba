/**
 * `GET /api/events`: the status page's live stream (server-sent events, web-sse.ts). Each client
 * gets a `hello`, the feed's recent events it has not seen (after its `Last-Event-ID`), then
 * every feed entry as it happens (`feed`) and the whole status every STATUS_PUSH_MS (`status`).
 *
 * The cost does not grow with the clients: the status is computed and serialised once per tick
 * and the same bytes are written to every stream; nothing runs while no stream is open. Nor may
 * it crowd out the adverts where the status is large (thousands of real servers): the next push
 * waits at least 1/MAX_STATUS_DUTY times as long as the last status took, so the page's share of
 * the time stays under MAX_STATUS_DUTY (the feed's events still go out as they happen). At most
 * MAX_EVENT_CLIENTS streams are open (the next gets 503); a client that stops reading is closed
 * once more than MAX_BUFFERED_BYTES wait in its socket's buffer, so it holds at most that plus one
 * message in memory (its EventSource reconnects and picks up what it missed from the recent list).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DaemonStatus } from '../contracts/status.js';
import type { Logger } from '../util/log.js';
import type { EventFeed } from './event-feed.js';
import { parseLastEventId, sseComment, sseFrame } from './web-sse.js';

export const STATUS_PUSH_MS = 1000;
/** The largest share of the time the pushes' status computations may take. */
export const MAX_STATUS_DUTY = 0.05;
export const MAX_EVENT_CLIENTS = 16;
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** The EventSource's reconnection delay after a dropped stream. */
export const RECONNECT_MS = 2000;

export interface EventStreamOptions {
  readonly status: () => Promise<DaemonStatus>;
  readonly events: EventFeed;
  readonly logger: Logger;
  /** The `hello` message's data: who is speaking (pid, version) and what the page may do. */
  readonly hello: () => unknown;
  readonly pushMs?: number;
  readonly maxClients?: number;
  readonly maxBufferedBytes?: number;
}

export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private unsubscribe: (() => void) | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** How long the last status took (ms). */
  lastStatusMs = 0;
  private ticking = false;
  /** The last status message, for a client that connects between ticks. */
  private lastStatus: string | null = null;
  /** Status computations so far (one per tick, whatever the number of clients). */
  statusTicks = 0;
  /** Streams closed because their client did not read. */
  dropped = 0;
  /** Streams refused at MAX_EVENT_CLIENTS. */
  refused = 0;

  constructor(private readonly options: EventStreamOptions) {}

  get size(): number {
    return this.clients.size;
  }

  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.clients.size >= (this.options.maxClients ?? MAX_EVENT_CLIENTS)) {
      this.refused++;
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
      res.end('Too many event streams open\n');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.socket?.setNoDelay(true);
    this.clients.add(res);
    res.on('close', () => this.remove(res));

    const recent = this.options.events.recent();
    const latest = recent.at(-1)?.seq ?? 0;
    const last = parseLastEventId(req.headers['last-event-id']);
    // An id beyond the feed's latest was given by an earlier daemon: everything is new.
    const after = last !== null && last <= latest ? last : 0;
    let out = sseFrame({ event: 'hello', retry: RECONNECT_MS, data: JSON.stringify(this.options.hello()) });
    for (const e of recent)
      if (e.seq > after) out += sseFrame({ event: 'feed', id: e.seq, data: JSON.stringify(e) });
    out += this.lastStatus ?? sseComment('status follows');
    this.write(res, out);
    this.start();
  }

  /** Ends every stream (the listener closing). */
  close(): void {
    for (const res of [...this.clients]) res.destroy();
    this.stop();
  }

  private start(): void {
    // Started: subscribed, with a push scheduled or a status being computed.
    if (this.unsubscribe !== null) return;
    this.unsubscribe = this.options.events.subscribe((entry) =>
      this.broadcast(sseFrame({ event: 'feed', id: entry.seq, data: JSON.stringify(entry) })),
    );
    void this.tick();
  }

  /** The next push: the period, or longer while a status costs more than MAX_STATUS_DUTY of it. */
  private schedule(): void {
    if (this.clients.size === 0 || this.unsubscribe === null) return;
    const delay = Math.max(this.options.pushMs ?? STATUS_PUSH_MS, this.lastStatusMs / MAX_STATUS_DUTY);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, delay);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.lastStatus = null;
  }

  private remove(res: ServerResponse): void {
    if (!this.clients.delete(res)) return;
    if (this.clients.size === 0) this.stop();
  }

  private async tick(): Promise<void> {
    // One at a time: the next is scheduled when this one ends.
    if (this.ticking) return;
    this.ticking = true;
    try {
      const t0 = performance.now();
      const status = await this.options.status();
      this.lastStatusMs = performance.now() - t0;
      this.statusTicks++;
      if (this.clients.size === 0) return;
      this.lastStatus = sseFrame({ event: 'status', data: JSON.stringify(status) });
      this.broadcast(this.lastStatus);
    } catch (e) {
      this.options.logger.error(`Status page: cannot read the status: ${(e as Error).message}`, {
        limit: 'web-status',
      });
    } finally {
      this.ticking = false;
      this.schedule();
    }
  }

  private broadcast(frame: string): void {
    for (const res of [...this.clients]) this.write(res, frame);
  }

  private write(res: ServerResponse, chunk: string): void {
    if (res.destroyed || res.writableEnded) return;
    const waiting = res.writableLength;
    if (waiting > (this.options.maxBufferedBytes ?? MAX_BUFFERED_BYTES)) {
      this.dropped++;
      this.options.logger.warn(
        `Status page: closed the event stream of ${res.socket?.remoteAddress ?? 'a client'}, which does not read (${waiting} bytes waiting)`,
        { limit: 'web-slow-client' },
      );
      res.destroy();
      this.remove(res);
      return;
    }
    res.write(chunk);
  }
}
