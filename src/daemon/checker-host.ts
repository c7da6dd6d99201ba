/**
 * The main-thread side of the health checkers. The checker pool (src/check/pool.ts) runs in a
 * worker thread (checker-worker.ts), as keepalived runs its checkers in a child process, so
 * checker I/O, garbage collection and completion bursts never delay the loop that sends VRRP
 * adverts. This host mirrors the pool's API across the thread boundary.
 *
 * API (for the daemon):
 *   const host = createCheckerHost(config, { logger, respawn: !options.dontRespawn });
 *                                   // spawns nothing yet (-R/--dont-respawn: respawn false)
 *   host.on((event) => ...);        // PoolEvent: rs-up/rs-down/rs-weight/quorum-up/quorum-down/
 *                                   // sorry-in/sorry-out/alive-pool/rs-shutdown/table/changes
 *   await host.start();             // worker running; the start-up events and the first `table`
 *                                   // have been delivered to the listeners when it resolves
 *   host.desiredTable();            // last table received with the changes since (empty before start)
 *   host.health();                  // PoolHealth as last received (updated with every change)
 *   await host.checkers();          // CheckerStatus[] from the worker (lastAttemptAt in epoch ms)
 *   await host.setDrained(keys);    // the operator's drained real servers (table.ts drainKey);
 *                                   // resolves once the table with them has been delivered
 *   await host.snapshot();          // PoolSnapshot (checker state) from the worker
 *   await host.reload(newConfig);   // worker rebuilds its pool from the new config, keeping
 *                                   // quorum and checker state of matched servers
 *   await host.stop({ omega });     // pool stopped (omega scripts ended), worker exited
 *
 * Log lines from the worker reach `options.logger` unchanged (keepalived's wording), in order,
 * in slices of 2 ms so a mass failure cannot hold this thread. The host logs keepalived's
 * `Starting Healthcheck child process, pid=N` (N: the worker's kernel thread id). If the worker
 * dies unexpectedly, it logs `Healthcheck child process(N) died: Respawning` and starts a new
 * worker with the last config,
 * delayed as keepalived limits its respawn rate (1, 2, 4 ... 60 s while the worker keeps dying
 * within a minute of its start). Checker state is not carried over a crash (keepalived's
 * respawned child starts afresh too).
 *
 * The worker script: `options.workerUrl`, else `checker-worker.js` beside this module or one
 * directory up (the bundle puts this module in dist/chunks/ and the worker in dist/).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { CheckerStatus, PoolSnapshot } from '../check/pool.js';
import {
  applyDestinationChanges,
  keyedTable,
  tableOfKeyed,
  type KeyedTable,
  type PoolEvent,
  type PoolHealth,
  type VsState,
} from '../check/table.js';
import type { DesiredTable } from '../contracts/ipvs-table.js';
import type { Config } from '../config/model.js';
import { serveIcmpSockets } from '../net/icmp-relay.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';
import { EVENT_TIME_FIELD, type LogFields, type Logger } from '../util/log.js';

export interface CheckerHostOptions {
  readonly logger: Logger;
  /** The worker entry (bundled JavaScript); default: found next to this module (see above). */
  readonly workerUrl?: URL | string;
  /** Passed to the pool: concurrent attempts at most; default 1024. */
  readonly maxInFlight?: number;
  /** Passed to the pool: notify_up/down and quorum_up/down timeout; default 10 s. */
  readonly notifyTimeoutMs?: number;
  /** Restart a worker that died; default true. */
  readonly respawn?: boolean;
  /**
   * A worker that sends nothing for `timeoutMs` (not even the answer to the ping sent every
   * `intervalMs`) is taken for hung, ended and respawned as if it had died; default 5 s / 30 s.
   */
  readonly watchdog?: { readonly intervalMs: number; readonly timeoutMs: number };
  /** Clock for the respawn delay; default the real clock. */
  readonly clock?: Clock;
  /** Checker state to start from (a previous pool's snapshot). */
  readonly previous?: PoolSnapshot;
  /**
   * Nice value of the worker thread (Linux applies it per thread); default 5, so the main
   * thread's VRRP adverts win under CPU contention. 0 leaves the priority alone.
   */
  readonly nice?: number;
  /** Benchmarks: the worker records each attempt's lateness against its schedule. */
  readonly sampleLateness?: boolean;
  /** --metrics-listen: the worker keeps its metrics (metrics-worker.ts) for `metricsText`. */
  readonly metrics?: boolean;
  /** A worker that died is being restarted (the metrics count it). */
  readonly onRestart?: () => void;
}

/** What the worker reports about itself (benchmarks, status). */
export interface CheckerWorkerStats {
  /** CPU time of the worker thread since it started (ms), from /proc/thread-self/stat; null if unreadable. */
  readonly threadCpuMs: { readonly user: number; readonly system: number } | null;
  /** Lateness of attempts against their schedule (ms) since the last call (sampleLateness only). */
  readonly lateness: Float64Array;
  readonly heapUsed: number;
}

export interface CheckerHost {
  start(): Promise<void>;
  stop(options?: { readonly omega?: boolean }): Promise<void>;
  on(listener: (event: PoolEvent) => void): () => void;
  desiredTable(): DesiredTable;
  health(): PoolHealth;
  /** The checkers' state from the worker; `lastAttemptAt` is wall-clock time (ms since the epoch). */
  checkers(): Promise<CheckerStatus[]>;
  /**
   * The real servers drained by the operator (the whole set). Kept here across worker respawns
   * and reloads; resolves when the worker's table with them has been delivered to the listeners.
   */
  setDrained(drained: ReadonlySet<string>): Promise<void>;
  /**
   * ha_suspend: the host's addresses and how many times each is configured (pool.ts
   * setLocalAddresses). Kept here across worker respawns and reloads.
   */
  setLocalAddresses(counts: ReadonlyMap<string, number>): void;
  snapshot(): Promise<PoolSnapshot>;
  reload(config: Config): Promise<void>;
  stats(): Promise<CheckerWorkerStats>;
  /** The worker's metrics in the exposition format, UTF-8 (empty without `metrics`). */
  metricsText(): Promise<Uint8Array>;
  /** Thread id of the running worker, or null. */
  readonly threadId: number | null;
}

// ---------------------------------------------------------------------------------------------
// Messages between the threads (structured clone: plain data, Maps and typed arrays only)
// ---------------------------------------------------------------------------------------------

/** workerData of a checker worker. */
export interface CheckerWorkerData {
  readonly config: Config;
  readonly previous: PoolSnapshot | null;
  readonly maxInFlight: number | null;
  readonly notifyTimeoutMs: number | null;
  readonly sampleLateness: boolean;
  readonly metrics: boolean;
  readonly nice: number | null;
  /** drainKeys of the real servers the operator drained. */
  readonly drained: readonly string[];
  /** ha_suspend: the host's addresses with their counts. */
  readonly addresses: readonly (readonly [string, number])[];
  /** PING_CHECK's ICMP sockets, served by the main thread (net/icmp-relay.ts). */
  readonly icmpPort: MessagePort;
}

export type HostToWorker =
  | { readonly kind: 'start' }
  | { readonly kind: 'stop'; readonly omega: boolean }
  | {
      readonly kind: 'reload';
      readonly id: number;
      readonly config: Config;
      readonly drained: readonly string[];
    }
  | { readonly kind: 'drain'; readonly id: number; readonly drained: readonly string[] }
  | { readonly kind: 'addresses'; readonly addresses: readonly (readonly [string, number])[] }
  /** The watchdog's: answered with `pong` at once by a worker whose event loop runs. */
  | { readonly kind: 'ping' }
  | {
      readonly kind: 'request';
      readonly id: number;
      readonly what: 'checkers' | 'snapshot' | 'stats' | 'metrics';
    };

export type LogLevel = 'error' | 'warn' | 'info' | 'detail' | 'debug';

/** One item of a batch; the worker sends what happened in one loop turn as one message. */
export type WorkerItem =
  | {
      readonly kind: 'log';
      readonly level: LogLevel;
      readonly message: string;
      readonly fields?: LogFields;
      /** When the worker logged it (epoch ms). */
      readonly at?: number;
    }
  | { readonly kind: 'event'; readonly event: PoolEvent }
  /** The whole table and every virtual server's health (start; later only `changes` events). */
  | { readonly kind: 'table'; readonly table: DesiredTable; readonly health: ReadonlyMap<string, VsState> };

export type WorkerToHost =
  | { readonly kind: 'batch'; readonly items: readonly WorkerItem[] }
  /** First message: the worker's kernel thread id (what keepalived's pid lines show). */
  | { readonly kind: 'hello'; readonly tid: number | null }
  | { readonly kind: 'started' }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'pong' }
  | { readonly kind: 'reply'; readonly id: number; readonly value: unknown };

// ---------------------------------------------------------------------------------------------

/** Where the bundled worker lives when no URL is given. */
export function defaultWorkerUrl(): URL {
  const candidates = [
    new URL('./checker-worker.js', import.meta.url),
    new URL('../checker-worker.js', import.meta.url),
  ];
  for (const c of candidates) if (c.protocol === 'file:' && existsSync(fileURLToPath(c))) return c;
  throw new Error(
    `checker worker not found (looked for ${candidates.map((c) => c.href).join(', ')}); run npm run build`,
  );
}

const DEFAULT_WORKER_NICE = 5;
const DELIVERY_SLICE_MS = 2;
const RESPAWN_RESET_MS = 60_000;
/** The worker's watchdog: a ping every 5 s; silent for 30 s is hung (a reload of 40,000 real servers keeps it busy for a few seconds). */
const WATCHDOG = { intervalMs: 5_000, timeoutMs: 30_000 };
const MAX_RESPAWN_DELAY_S = 60;

export function createCheckerHost(initialConfig: Config, options: CheckerHostOptions): CheckerHost {
  const { logger } = options;
  const clock = options.clock ?? realClock;
  const listeners = new Set<(event: PoolEvent) => void>();
  let config = initialConfig;
  let drained: readonly string[] = [];
  let addresses: readonly (readonly [string, number])[] = [];
  // The desired table as last received, kept by key so changes apply in proportion to their size;
  // tableView is the same as a DesiredTable, built when asked for after a change.
  let table: KeyedTable = new Map();
  let tableView: DesiredTable | null = { services: [] };
  const vsHealth = new Map<string, VsState>();
  const health: PoolHealth = { virtualServers: vsHealth };
  let worker: Worker | null = null;
  let startedAt = 0;
  let workerLabel = 0;
  let nextRespawnDelayS = 0;
  let respawnTimer: TimerHandle | null = null;
  const watchdog = options.watchdog ?? WATCHDOG;
  let watchdogTimer: TimerHandle | null = null;
  let lastHeardAt = 0;
  let stopping: Promise<void> | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let onStarted: (() => void) | null = null;
  let onStopped: (() => void) | null = null;

  function emit(event: PoolEvent): void {
    for (const l of listeners) {
      try {
        l(event);
      } catch (e) {
        logger.error(`checker host listener failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  function onItem(item: WorkerItem): void {
    switch (item.kind) {
      case 'log':
        logger[item.level](
          item.message,
          item.at === undefined ? item.fields : { ...item.fields, [EVENT_TIME_FIELD]: item.at },
        );
        break;
      case 'table':
        table = keyedTable(item.table);
        tableView = item.table;
        vsHealth.clear();
        for (const [key, state] of item.health) vsHealth.set(key, state);
        emit({ kind: 'table', table: item.table });
        break;
      case 'event':
        if (item.event.kind === 'changes') {
          applyDestinationChanges(table, item.event.destinations);
          if (item.event.destinations.length > 0) tableView = null;
          for (const [key, state] of item.event.health) vsHealth.set(key, state);
        } else if (item.event.kind === 'table') {
          table = keyedTable(item.event.table);
          tableView = item.event.table;
        }
        emit(item.event);
        break;
    }
  }

  function onControl(message: WorkerToHost): void {
    switch (message.kind) {
      case 'batch': // split into items on arrival (onMessage)
        break;
      case 'hello':
        break; // handled on arrival (onMessage)
      case 'started':
        onStarted?.();
        onStarted = null;
        break;
      case 'stopped':
        onStopped?.();
        onStopped = null;
        break;
      case 'reply': {
        const p = pending.get(message.id);
        pending.delete(message.id);
        p?.resolve(message.value);
        break;
      }
    }
  }

  // What arrives from the worker is handled in slices of DELIVERY_SLICE_MS, in order: a mass
  // failure (thousands of log lines and events in one batch) must not hold the main thread,
  // which sends the VRRP adverts, for longer than a slice.
  const queue: (WorkerItem | { readonly kind: 'control'; readonly message: WorkerToHost })[] = [];
  let queueHead = 0;
  let drainTimer: TimerHandle | null = null;
  const drainedWaiters: (() => void)[] = [];

  function onMessage(message: WorkerToHost): void {
    lastHeardAt = clock.now();
    if (message.kind === 'pong') return;
    if (message.kind === 'batch') for (const item of message.items) queue.push(item);
    else queue.push({ kind: 'control', message });
    if (drainTimer === null) drain();
  }

  function drain(): void {
    drainTimer = null;
    const sliceStart = clock.now();
    let handled = 0;
    while (queueHead < queue.length) {
      const item = queue[queueHead++]!;
      if (item.kind === 'control') onControl(item.message);
      else onItem(item);
      if ((++handled & 15) === 0 && clock.now() - sliceStart >= DELIVERY_SLICE_MS) break;
    }
    if (queueHead === queue.length) {
      queue.length = 0;
      queueHead = 0;
      for (const w of drainedWaiters.splice(0)) w();
    } else {
      if (queueHead > 4096 && queueHead * 2 > queue.length) {
        queue.splice(0, queueHead);
        queueHead = 0;
      }
      drainTimer = clock.setTimer(0, drain);
    }
  }

  /** Resolves when everything received so far has been delivered. */
  function delivered(): Promise<void> {
    if (queueHead === queue.length) return Promise.resolve();
    return new Promise((resolve) => drainedWaiters.push(resolve));
  }

  function failPending(reason: string): void {
    for (const p of pending.values()) p.reject(new Error(reason));
    pending.clear();
  }

  function spawn(previous: PoolSnapshot | null): Worker {
    const icmp = new MessageChannel();
    serveIcmpSockets(icmp.port1);
    const data: CheckerWorkerData = {
      config,
      previous,
      maxInFlight: options.maxInFlight ?? null,
      notifyTimeoutMs: options.notifyTimeoutMs ?? null,
      sampleLateness: options.sampleLateness ?? false,
      metrics: options.metrics ?? false,
      nice: options.nice ?? DEFAULT_WORKER_NICE,
      drained,
      addresses,
      icmpPort: icmp.port2,
    };
    const w = new Worker(options.workerUrl ?? defaultWorkerUrl(), {
      workerData: data,
      transferList: [icmp.port2],
    });
    lastHeardAt = clock.now();
    // A hung worker (a loop that never yields) checks nothing and never dies by itself: it is
    // ended, and the exit below respawns it. keepalived's parent only notices a child that exits.
    let watchedAt = clock.now();
    const watch = (): void => {
      watchdogTimer = null;
      if (worker !== w || stopping !== null) return;
      const now = clock.now();
      // This thread was held up (a big reload's parse): the worker's answers may be waiting in
      // the message queue still, so silence is only counted from now.
      if (now - watchedAt > 2 * watchdog.intervalMs) lastHeardAt = Math.max(lastHeardAt, now);
      watchedAt = now;
      const silentMs = now - lastHeardAt;
      if (silentMs >= watchdog.timeoutMs) {
        logger.error(
          `Healthcheck child process(${workerLabel}) has not answered for ${Math.round(silentMs / 1000)} s - terminating it`,
        );
        void w.terminate();
        return;
      }
      w.postMessage({ kind: 'ping' } satisfies HostToWorker);
      watchdogTimer = clock.setTimer(watchdog.intervalMs, watch);
    };
    watchdogTimer?.cancel();
    watchdogTimer = clock.setTimer(watchdog.intervalMs, watch);
    // A new worker sends every virtual server's health afresh; the last table stays until its
    // first table arrives (IPVS keeps its state across a respawn).
    vsHealth.clear();
    worker = w;
    startedAt = clock.now();
    // keepalived logs the child's pid; the worker's kernel thread id plays that part.
    let label = w.threadId;
    workerLabel = label;
    w.on('message', (m: WorkerToHost) => {
      if (m.kind !== 'hello') return;
      if (m.tid !== null) label = workerLabel = m.tid;
      logger.info(`Starting Healthcheck child process, pid=${label}`);
    });
    w.on('message', onMessage);
    w.on('error', (e) => {
      logger.error(`Healthcheck child process(${label}) error: ${e.message}`);
      if (e.stack !== undefined) logger.detail(e.stack);
    });
    w.on('exit', (code) => {
      if (worker !== w) return;
      worker = null;
      watchdogTimer?.cancel();
      watchdogTimer = null;
      failPending('checker worker exited');
      onStarted?.();
      onStarted = null;
      if (stopping !== null) {
        onStopped?.();
        onStopped = null;
        return;
      }
      if (code !== 0) logger.info(`Healthcheck exited with status ${code}`);
      // LOG_ALERT in keepalived.
      if (options.respawn === false) {
        logger.error(`Healthcheck child process(${label}) died: Exiting`);
        return;
      }
      logger.error(`Healthcheck child process(${label}) died: Respawning`);
      options.onRestart?.();
      // keepalived's calc_restart_delay: immediate if it ran for a minute, else 1, 2, 4 ... 60 s.
      let delayS = 0;
      if (clock.now() - startedAt >= RESPAWN_RESET_MS) nextRespawnDelayS = 0;
      else {
        delayS = nextRespawnDelayS;
        nextRespawnDelayS =
          nextRespawnDelayS === 0 ? 1 : nextRespawnDelayS > 30 ? MAX_RESPAWN_DELAY_S : nextRespawnDelayS * 2;
        logger.info(`Restart of Healthcheck process delayed ${delayS} seconds to limit respawn rate`);
      }
      respawnTimer = clock.setTimer(delayS * 1000, () => {
        respawnTimer = null;
        if (stopping === null && worker === null)
          spawn(null).postMessage({ kind: 'start' } satisfies HostToWorker);
      });
    });
    return w;
  }

  function request<T>(message: (id: number) => HostToWorker): Promise<T> {
    const w = worker;
    if (w === null) return Promise.reject(new Error('checker worker not running'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage(message(id));
    });
  }

  return {
    start() {
      if (worker !== null || stopping !== null) return Promise.resolve();
      const w = spawn(options.previous ?? null);
      return new Promise<void>((resolve) => {
        onStarted = resolve;
        w.postMessage({ kind: 'start' } satisfies HostToWorker);
      });
    },
    stop(stopOptions = {}) {
      if (stopping !== null) return stopping;
      respawnTimer?.cancel();
      respawnTimer = null;
      watchdogTimer?.cancel();
      watchdogTimer = null;
      const w = worker;
      if (w === null) {
        stopping = Promise.resolve();
        return stopping;
      }
      stopping = new Promise<void>((resolve) => {
        // 'stopped' arrives when the omega scripts have ended; the worker then exits by itself
        // (its loop is empty), and terminate() ends it if anything is left behind.
        // A worker that does not answer within child_wait_time is ended anyway, as keepalived
        // stops waiting for its checker child then.
        let exited = false;
        const bound = clock.setTimer(config.globalDefs.childWaitTime * 1000, () => {
          if (exited) return;
          logger.info(`Healthcheck child process(${workerLabel}) did not exit in time - terminating it`);
          void w.terminate();
        });
        w.once('exit', () => {
          exited = true;
          bound.cancel();
          void delivered().then(resolve);
        });
        onStopped = () => {
          if (!exited) void w.terminate();
        };
        w.postMessage({ kind: 'stop', omega: stopOptions.omega !== false } satisfies HostToWorker);
      });
      return stopping;
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    desiredTable: () => (tableView ??= tableOfKeyed(table)),
    health: () => health,
    checkers: () => request<CheckerStatus[]>((id) => ({ kind: 'request', id, what: 'checkers' })),
    snapshot: () => request<PoolSnapshot>((id) => ({ kind: 'request', id, what: 'snapshot' })),
    async setDrained(next) {
      drained = [...next];
      if (worker === null) return; // a respawn (or start) sends it
      await request<null>((id) => ({ kind: 'drain', id, drained }));
      await delivered();
    },
    setLocalAddresses(counts) {
      addresses = [...counts];
      worker?.postMessage({ kind: 'addresses', addresses } satisfies HostToWorker);
    },
    stats: () => request<CheckerWorkerStats>((id) => ({ kind: 'request', id, what: 'stats' })),
    metricsText: () => request<Uint8Array>((id) => ({ kind: 'request', id, what: 'metrics' })),
    async reload(newConfig) {
      config = newConfig;
      if (worker === null) return; // a respawn (or start) uses the new config
      await request<null>((id) => ({ kind: 'reload', id, config: newConfig, drained }));
    },
    get threadId() {
      return worker?.threadId ?? null;
    },
  };
}
