/**
 * Worker-thread entry of the health checkers (bundled as dist/checker-worker.js). Builds the
 * checker pool from the Config in workerData with the real clock, net/exec's script runner and
 * script_user resolution, and forwards every log line and pool event to the main thread
 * (checker-host.ts), batched (at most every FLUSH_MS) and in order. Messages are defined in checker-host.ts.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { ScriptUserResolver } from '../check/checker.js';
import { createCheckerPool, type CheckerPool, type PoolSnapshot } from '../check/pool.js';
import { serviceIdentities } from '../check/table.js';
import type { Config } from '../config/model.js';
import { resolveScriptUser, runScript } from '../net/exec.js';
import { openCheckSocket } from '../net/check-socket.js';
import { watchFileText } from '../net/file-watch.js';
import { relayedIcmpSocketOpener } from '../net/icmp-relay.js';
import { realClock } from '../util/clock.js';
import type { LogFields, Logger } from '../util/log.js';
import type {
  CheckerWorkerData,
  CheckerWorkerStats,
  HostToWorker,
  LogLevel,
  WorkerItem,
  WorkerToHost,
} from './checker-host.js';
import type { CheckerWorkerMetrics } from './metrics-worker.js';

const port = parentPort;
if (port === null) throw new Error('checker-worker.ts must run in a worker thread');
const data = workerData as CheckerWorkerData;
/** raw-socket polls on the main thread's loop: the ICMP sockets live there (net/icmp-relay.ts). */
const openIcmpSocket = relayedIcmpSocketOpener(data.icmpPort);

let items: WorkerItem[] = [];
let flushQueued = false;

function flush(): void {
  flushQueued = false;
  if (items.length === 0) return;
  const batch = items;
  items = [];
  port!.postMessage({ kind: 'batch', items: batch } satisfies WorkerToHost);
}

/**
 * Items go out together at most every FLUSH_MS: each message costs both threads a wake-up and a
 * copy (about 0.2 ms of this thread at a few items), so a burst of thousands of health changes is
 * a few hundred messages, not one per loop turn. Replies and control messages flush first.
 */
const FLUSH_MS = 5;

function post(item: WorkerItem): void {
  items.push(item);
  if (!flushQueued) {
    flushQueued = true;
    setTimeout(flush, FLUSH_MS);
  }
}

function send(message: WorkerToHost): void {
  flush();
  port!.postMessage(message);
}

// Each line carries the time it was logged here: the main thread may write it later.
const log = (level: LogLevel) => (message: string, fields?: LogFields) =>
  post(
    fields === undefined
      ? { kind: 'log', level, message, at: Date.now() }
      : { kind: 'log', level, message, fields, at: Date.now() },
  );
const logger: Logger = {
  error: log('error'),
  warn: log('warn'),
  info: log('info'),
  detail: log('detail'),
  debug: log('debug'),
};

function hasCheckerScripts(config: Config): boolean {
  return config.virtualServers.some(
    (vs) =>
      vs.quorumUp !== null ||
      vs.quorumDown !== null ||
      vs.realServers.some(
        (rs) =>
          rs.notifyUp !== null || rs.notifyDown !== null || rs.checkers.some((c) => c.type === 'MISC_CHECK'),
      ),
  );
}

/**
 * script_user applies when a script names no user of its own (pool.ts passes null then).
 * Resolved once per (user, group) and config, as keepalived resolves at configuration time.
 */
function scriptUserResolver(config: Config): ScriptUserResolver {
  const global = config.globalDefs.scriptUser;
  const cache = new Map<string, ReturnType<ScriptUserResolver>>();
  return (user, group) => {
    const u = user ?? global?.user ?? null;
    const g = user !== null ? group : (global?.group ?? null);
    const key = `${u ?? ''}\0${g ?? ''}\0${u === null ? 'default' : ''}`;
    let r = cache.get(key);
    if (r === undefined) {
      const who = resolveScriptUser(u, g);
      r = who.ok ? { uid: who.value.identity.uid, gid: who.value.identity.gid } : { error: who.error };
      cache.set(key, r);
    }
    return r;
  };
}

function scriptUserWarning(config: Config): string | null {
  if (!hasCheckerScripts(config)) return null;
  const global = config.globalDefs.scriptUser;
  const who = resolveScriptUser(global?.user ?? null, global?.group ?? null);
  return who.ok ? who.value.warning : null;
}

let lateness: Float64Array = new Float64Array(data.sampleLateness ? 1 << 16 : 0);
let latenessCount = 0;
function onLaunch(ms: number): void {
  if (latenessCount === lateness.length) {
    const grown = new Float64Array(lateness.length * 2);
    grown.set(lateness);
    lateness = grown;
  }
  lateness[latenessCount++] = ms;
}

/**
 * Scripts in flight (MISC_CHECK, notify). As keepalived does on stop and on reload
 * (check_daemon.c checker_terminate_phase1 and reload_check_thread: script_killall), those
 * running are sent SIGTERM, and SIGKILL a second later (the runner's kill grace); the ones a
 * stop starts afterwards (the omega notify scripts) run to their own timeouts. Their timers live
 * on this thread, so stop waits for them before the host ends the thread; otherwise a
 * terminated worker would leave a script that never exits behind.
 */
const scriptsInFlight = new Set<Promise<unknown>>();
let scriptsRunning = new AbortController();
const trackedRunScript: typeof runScript = (options) => {
  const p = runScript({ ...options, signal: scriptsRunning.signal });
  scriptsInFlight.add(p);
  void p.finally(() => scriptsInFlight.delete(p));
  return p;
};
/** Terminates the scripts running now; later ones are not affected. */
function terminateScripts(): void {
  const running = scriptsRunning;
  scriptsRunning = new AbortController();
  running.abort();
}

/** Only with --metrics-listen: otherwise attempts cost nothing more. */
// Loaded only then (prom-client is CommonJS: a bundle without a `require` never evaluates it).
const metrics: CheckerWorkerMetrics | null = data.metrics
  ? new (await import('./metrics-worker.js')).CheckerWorkerMetrics()
  : null;

function buildPool(
  config: Config,
  previous: PoolSnapshot | undefined,
  drained: readonly string[],
): CheckerPool {
  const warning = scriptUserWarning(config);
  if (warning !== null) logger.warn(warning);
  metrics?.reset();
  const vsByKey = new Map(config.virtualServers.map((vs) => [vs.key, vs]));
  const vsOfService = new Map<string, string>();
  if (metrics !== null)
    for (const vs of config.virtualServers)
      for (const id of serviceIdentities(vs, config.virtualServerGroups)) vsOfService.set(id.key, vs.key);
  metrics?.setDrained(new Set(drained));
  const pool = createCheckerPool(
    config,
    {
      clock: realClock,
      logger,
      runScript: trackedRunScript,
      resolveScriptUser: scriptUserResolver(config),
      openIcmpSocket,
      openCheckSocket,
      watchFile: (path, fn) => watchFileText(path, fn, logger),
      ...(data.maxInFlight !== null ? { maxInFlight: data.maxInFlight } : {}),
      ...(data.notifyTimeoutMs !== null ? { notifyTimeoutMs: data.notifyTimeoutMs } : {}),
      ...(data.sampleLateness ? { onLaunch } : {}),
      ...(metrics !== null ? { onAttempt: metrics.attempt.bind(metrics) } : {}),
    },
    previous,
    new Set(drained),
  );
  pool.on((event) => {
    if (event.kind === 'table') {
      // The whole table comes with the whole health (start); later only what changed.
      const health = pool.health();
      post({ kind: 'table', table: event.table, health: new Map(health.virtualServers) });
      metrics?.update(config, event.table, health);
      return;
    }
    post({ kind: 'event', event });
    if (event.kind === 'changes' && metrics !== null) {
      // Only the virtual servers the change names: their health, or the services of a destination.
      const changed = new Set(event.health.keys());
      for (const c of event.destinations) {
        const vs = vsOfService.get(c.service);
        if (vs !== undefined) changed.add(vs);
      }
      const health = pool.health();
      for (const key of changed) {
        const vs = vsByKey.get(key);
        if (vs !== undefined)
          metrics.updateVirtualServer(vs, pool.servicesOf(key), health.virtualServers.get(key));
      }
    }
  });
  return pool;
}

/** utime and stime of this thread (Linux /proc/thread-self/stat, clock ticks of 10 ms). */
function threadCpuMs(): CheckerWorkerStats['threadCpuMs'] {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticksMs = 10; // USER_HZ is 100 on Linux
    return { user: Number(fields[11]) * ticksMs, system: Number(fields[12]) * ticksMs };
  } catch {
    return null;
  }
}

/**
 * Lowers this thread's scheduling priority (a per-thread nice value on Linux), so that under
 * CPU contention the main thread (VRRP adverts) runs first, as keepalived can give its checker
 * process a lower priority than its VRRP process.
 */
function lowerThreadPriority(nice: number): void {
  try {
    const tid = threadId();
    if (tid !== null) setPriority(tid, nice);
  } catch (e) {
    logger.warn(
      `Unable to set checker thread priority ${nice}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
if (data.nice !== null && data.nice !== 0) lowerThreadPriority(data.nice);

function threadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}
port.postMessage({ kind: 'hello', tid: threadId() } satisfies WorkerToHost);

let addresses: ReadonlyMap<string, number> = new Map(data.addresses);
let pool: CheckerPool = buildFirstPool();

/**
 * The first pool, from the config and snapshot taken out of workerData: worker_threads keeps
 * workerData reachable for the thread's whole life, so a config left there would stay beside each
 * reload's (a second copy of the model: about 60 MB at 40,000 real servers).
 */
function buildFirstPool(): CheckerPool {
  const initial = data as { config: Config | null; previous: PoolSnapshot | null };
  const { config, previous } = initial;
  initial.config = null;
  initial.previous = null;
  return buildPool(config!, previous ?? undefined, data.drained);
}
pool.setLocalAddresses(addresses);
let stopped = false;

port.on('message', (message: HostToWorker) => {
  switch (message.kind) {
    case 'start':
      pool.start();
      send({ kind: 'started' });
      break;
    case 'stop':
      if (stopped) return;
      stopped = true;
      terminateScripts();
      void pool
        .stop({ omega: message.omega })
        .then(() => Promise.all([...scriptsInFlight]))
        .then(() => {
          send({ kind: 'stopped' });
          port.close();
        });
      break;
    case 'reload': {
      if (stopped) return;
      // keepalived's reload: the old checkers stop without omega, the new ones start from the
      // old state (pool.ts migrates matched servers).
      const previous = pool.snapshot();
      void pool.stop({ omega: false });
      // The old pool's scripts are told to end; nothing waits for them.
      terminateScripts();
      pool = buildPool(message.config, previous, message.drained);
      pool.setLocalAddresses(addresses);
      pool.start();
      send({ kind: 'reply', id: message.id, value: null });
      break;
    }
    case 'addresses':
      if (stopped) return;
      addresses = new Map(message.addresses);
      pool.setLocalAddresses(addresses);
      break;
    case 'drain':
      if (stopped) return;
      metrics?.setDrained(new Set(message.drained));
      pool.setDrained(new Set(message.drained));
      // The pool sends the new table on a zero timer; the reply follows it, so the host has the
      // table when the reply arrives.
      setTimeout(() => send({ kind: 'reply', id: message.id, value: null }), 0);
      break;
    case 'ping':
      port.postMessage({ kind: 'pong' } satisfies WorkerToHost);
      break;
    case 'request': {
      if (message.what === 'metrics') {
        // Rendered and UTF-8 encoded here, on this thread, and handed over without a copy: the
        // main thread writes the bytes to the socket as they are.
        const bytes = metrics === null ? Promise.resolve(new Uint8Array(0)) : metrics.bytes();
        void bytes.then((value) => {
          flush();
          port.postMessage({ kind: 'reply', id: message.id, value } satisfies WorkerToHost, [value.buffer]);
        });
        break;
      }
      let value: unknown;
      switch (message.what) {
        case 'checkers':
          // The pool's times are this thread's performance clock; the host needs wall time.
          value = pool.checkers().map((c) => ({
            ...c,
            lastAttemptAt: c.lastAttemptAt === null ? null : performance.timeOrigin + c.lastAttemptAt,
          }));
          break;
        case 'snapshot':
          value = pool.snapshot();
          break;
        case 'stats': {
          const stats: CheckerWorkerStats = {
            threadCpuMs: threadCpuMs(),
            lateness: lateness.slice(0, latenessCount),
            heapUsed: process.memoryUsage().heapUsed,
          };
          latenessCount = 0;
          value = stats;
          break;
        }
      }
      send({ kind: 'reply', id: message.id, value });
      break;
    }
  }
});
