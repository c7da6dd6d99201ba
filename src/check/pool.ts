/**
 * SHELL: the health-checker pool. Builds one runner job per checker from the config, feeds
 * results through the pure health and table reducers, logs in keepalived's words, runs
 * notify_up/notify_down and quorum_up/quorum_down (fire and forget, bounded), and publishes
 * every change as a `PoolEvent`: the whole desired IPVS table at start, then what changed in it.
 *
 * The daemon runs it in a worker thread (src/daemon/checker-worker.ts, driven from the main
 * thread by src/daemon/checker-host.ts with the same shape): `createCheckerPool(config, deps)`,
 * subscribe with `on(...)`, then `start()`; the `table` event (or `desiredTable()`) and then each
 * `changes` event feed the IPVS writer; `stop({omega})` on exit.
 */
import type { Checker, Config, RealServer, ScriptSpec, VirtualServer } from '../config/model.js';
import type { CheckSocketOpener } from '../contracts/check-socket.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import {
  attemptTimeoutSeconds,
  type AttemptContext,
  type AttemptFn,
  type Cancellation,
  type CheckerIo,
  type CheckResult,
  type IcmpSocketOpener,
  type ScriptRunner,
  type ScriptUserResolver,
} from './checker.js';
import { dnsAttempt } from './dns.js';
import { fileAttempt, fileTextResult } from './file.js';
import { formatRs, formatVs } from '../config/virtual-server-format.js';
import { checkerLogLines, formatChecker } from './format.js';
import {
  checkerIdentity,
  checkerRetry,
  initialCheckerHealth,
  migratedCheckerHealth,
  realServerHealth,
  stepChecker,
  type CheckerHealth,
} from './health.js';
import { httpAttempt } from './http.js';
import { miscAttempt } from './misc.js';
import { IcmpEchoDemux, pingAttempt } from './ping.js';
import { createRunner, type Runner } from './runner.js';
import { smtpAttempt } from './smtp.js';
import {
  desiredDestinations,
  destinationChanges,
  drainKey,
  serviceIdentities,
  servicesWith,
  vsApply,
  vsInit,
  vsResume,
  vsShutdown,
  type DrainedSet,
  type PoolEvent,
  type PoolHealth,
  type RsState,
  type ServiceIdentity,
  type VsState,
} from './table.js';
import { tcpAttempt } from './tcp.js';
import type {
  DesiredDestination,
  DesiredDestinationChange,
  DesiredService,
  DesiredTable,
} from '../contracts/ipvs-table.js';
import { udpAttempt } from './udp.js';

const noIcmpSocket: IcmpSocketOpener = () => {
  throw new Error('no ICMP socket adapter given to the checker pool');
};
const noCheckSocket: CheckSocketOpener = () => {
  throw Object.assign(new Error('no checker socket adapter given to the checker pool'), {
    code: 'ENOSYS',
    syscall: 'socket',
  });
};

export interface CheckerPoolDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** net/exec.ts `runScript`. */
  readonly runScript: ScriptRunner;
  /** uid/gid for a script's `user [group]`; null user means global script_user (net/exec.ts). */
  readonly resolveScriptUser: ScriptUserResolver;
  /**
   * net/icmp-socket.ts `openIcmpSocket`, for PING_CHECK: called once per address family, the
   * socket shared by every PING_CHECK; without it every ping attempt fails.
   */
  readonly openIcmpSocket?: IcmpSocketOpener;
  /**
   * net/check-socket.ts `openCheckSocket`, for checkers with `fwmark` or `bind_if`; without it
   * their attempts are rescheduled with the checker's `fail to create socket` line.
   */
  readonly openCheckSocket?: CheckSocketOpener;
  /** Uniform [0, 1) for warmup; default Math.random. */
  readonly random?: () => number;
  /** Concurrent checker attempts at most (sockets, children); default 1024. */
  readonly maxInFlight?: number;
  /** Timeout of notify_up/down and quorum_up/down while running; default 10 s. */
  readonly notifyTimeoutMs?: number;
  /** Lateness of every attempt against its schedule (ms), for metrics and benches. */
  readonly onLaunch?: (latenessMs: number) => void;
  /** Every completed attempt: its checker kind, how long it took (ms), its result (metrics). */
  readonly onAttempt?: (type: Checker['type'], latencyMs: number, result: CheckResult) => void;
  /**
   * net/file-watch.ts `watchFileText`: FILE_CHECK's file, its text now and after each change.
   * Without it the file is read once a second instead.
   */
  readonly watchFile?: (path: string, fn: (text: string | null) => void) => { close(): void };
}

export interface CheckerStatus {
  readonly vs: string;
  readonly rs: string;
  readonly type: Checker['type'];
  readonly target: string;
  readonly up: boolean;
  readonly retryIt: number;
  readonly lastResult: CheckResult | null;
  /** How long the last completed attempt took (ms), or null before the first. */
  readonly latencyMs: number | null;
  /** Clock time (the pool's clock, ms) the last attempt completed, or null. */
  readonly lastAttemptAt: number | null;
}

export interface CheckerPool {
  /** Emits the start-up events and `table`, then schedules every checker. */
  start(): void;
  /**
   * Stops every checker. With `omega` (default true) virtual servers configured with `omega`
   * run notify_down for live servers and quorum_down, each bounded by 1 s as keepalived; the
   * promise settles when those scripts have ended.
   */
  stop(options?: { readonly omega?: boolean }): Promise<void>;
  desiredTable(): DesiredTable;
  /** The IPVS services of one virtual server as they stand (empty for an unknown key). */
  servicesOf(vsKey: string): DesiredService[];
  health(): PoolHealth;
  checkers(): CheckerStatus[];
  /**
   * The real servers the operator drained (`drainKey`s; the whole set, replacing the last): their
   * weight in the table becomes 0 (table.ts). Unknown keys are ignored.
   */
  setDrained(drained: DrainedSet): void;
  /**
   * ha_suspend (keepalived check_api.c update_checker_activity): how many times each address is
   * configured on this host (the whole map, replacing the last). The checkers of a virtual server
   * with ha_suspend run only while its address is there; before `start()` this sets the state
   * they start in.
   */
  setLocalAddresses(counts: ReadonlyMap<string, number>): void;
  /** State to hand to the pool built from a reloaded config (`createCheckerPool(..., previous)`). */
  snapshot(): PoolSnapshot;
  /** Subscribes to every pool event; returns the unsubscribe function. */
  on(listener: (event: PoolEvent) => void): () => void;
}

/** What a reload carries over, keyed by identities (VirtualServer.key, RealServer.key). */
export interface PoolSnapshot {
  readonly quorumUp: ReadonlyMap<string, boolean>;
  /** Keyed by `${vs.key} ${rs.key}`. */
  readonly realServers: ReadonlyMap<
    string,
    { readonly alive: boolean; readonly checkers: ReadonlyMap<string, CheckerHealth> }
  >;
}

/** Polling period of FILE_CHECK when the pool has no file watcher (keepalived uses inotify). */
const FILE_CHECK_PERIOD_MS = 1000;
const OMEGA_SCRIPT_TIMEOUT_MS = 1000;

const ATTEMPTS: { [K in Checker['type']]: AttemptFn<Extract<Checker, { type: K }>> } = {
  TCP_CHECK: tcpAttempt,
  HTTP_GET: httpAttempt,
  SSL_GET: httpAttempt,
  MISC_CHECK: miscAttempt,
  SMTP_CHECK: smtpAttempt,
  DNS_CHECK: dnsAttempt,
  UDP_CHECK: udpAttempt,
  PING_CHECK: pingAttempt,
  FILE_CHECK: fileAttempt,
};

/** One attempt's context; a class so a steady attempt costs one small allocation. */
class JobAttemptContext implements AttemptContext {
  constructor(
    readonly cancel: Cancellation,
    readonly io: CheckerIo,
    readonly target: string,
    readonly configuredWeight: number,
    private readonly clock: Clock,
  ) {}

  get signal(): AbortSignal {
    return this.cancel.signal;
  }

  wait(waitMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = this.clock.setTimer(waitMs, resolve);
      this.cancel.onCancel(() => {
        t.cancel();
        resolve();
      });
    });
  }
}

function attemptFor(checker: Checker): AttemptFn {
  return ATTEMPTS[checker.type] as AttemptFn;
}

interface CheckerEntry {
  readonly checker: Checker;
  readonly target: string;
  health: CheckerHealth;
  lastResult: CheckResult | null;
  /** Clock time the running attempt started; the latency of a result is measured from it. */
  attemptStartedAt: number;
  latencyMs: number | null;
  lastAttemptAt: number | null;
}

interface RsEntry {
  readonly vs: VirtualServer;
  readonly vsName: string;
  readonly rs: RealServer;
  readonly checkers: CheckerEntry[];
}

/**
 * Builds the pool. With `previous` (the old pool's `snapshot()` on reload) matched virtual
 * servers keep their quorum state, matched checkers their up/down state and retry count, and
 * new real servers start down until their checks pass (keepalived 2.2.7 adds one without alpha
 * at once: docs/behaviour.md §4.8 records the difference); no
 * start-up lines are logged for what carried over.
 */
export function createCheckerPool(
  config: Config,
  deps: CheckerPoolDeps,
  previous?: PoolSnapshot,
  initiallyDrained?: DrainedSet,
): CheckerPool {
  const { clock, logger } = deps;
  const listeners = new Set<(event: PoolEvent) => void>();
  const vsStates = new Map<string, VsState>();
  const rsEntries: RsEntry[] = [];
  const notifyTimeoutMs = deps.notifyTimeoutMs ?? 10_000;
  const logAllGlobal = config.globalDefs.checkerLogAllFailures;
  const trackFiles = new Map(config.trackFiles.map((t) => [t.name, t.file]));
  const icmpEcho = new IcmpEchoDemux(deps.openIcmpSocket ?? noIcmpSocket);
  const io: CheckerIo = {
    runScript: deps.runScript,
    resolveScriptUser: deps.resolveScriptUser,
    trackFilePath: (name) => trackFiles.get(name) ?? null,
    icmpEcho,
    openCheckSocket: deps.openCheckSocket ?? noCheckSocket,
  };
  const pendingScripts = new Set<Promise<unknown>>();
  const fileWatches: { close(): void }[] = [];
  let runner: Runner | null = null;
  let started = false;
  let stopped = false;
  // The table is kept per virtual server (its destinations), so a change re-derives only its
  // own VS; what changed is published as one `changes` event per loop turn at most, and the whole
  // table is assembled only when asked for.
  const vsByKey = new Map(config.virtualServers.map((vs) => [vs.key, vs]));
  const rsByKey = new Map<string, RealServer>();
  const identitiesByVs = new Map<string, ServiceIdentity[]>();
  const serviceKeysByVs = new Map<string, string[]>();
  for (const vs of config.virtualServers) {
    const ids = serviceIdentities(vs, config.virtualServerGroups);
    identitiesByVs.set(vs.key, ids);
    serviceKeysByVs.set(
      vs.key,
      ids.map((id) => id.key),
    );
  }
  // Changes are keyed by service: with a service key twice in the table, whole tables are sent.
  const allServiceKeys = [...serviceKeysByVs.values()].flat();
  const wholeTables = new Set(allServiceKeys).size !== allServiceKeys.length;
  const destinationsByVs = new Map<string, readonly DesiredDestination[]>();
  let table: DesiredTable | null = null;
  let pendingChanges: DesiredDestinationChange[] = [];
  let pendingHealth = new Map<string, VsState>();
  let changesTimer: { cancel(): void } | null = null;
  let drained: DrainedSet = new Set(initiallyDrained ?? []);

  for (const vs of config.virtualServers)
    for (const rs of vs.realServers) {
      rsByKey.set(`${vs.key} ${rs.key}`, rs);
      const before = previous?.realServers.get(`${vs.key} ${rs.key}`);
      rsEntries.push({
        vs,
        vsName: formatVs(vs),
        rs,
        checkers: rs.checkers.map((checker) => ({
          checker,
          target: formatChecker(checker, rs, vs),
          health:
            previous === undefined
              ? initialCheckerHealth(checker)
              : migratedCheckerHealth(
                  checker,
                  before?.checkers.get(checkerIdentity(checker)),
                  before !== undefined,
                  before?.alive ?? false,
                ),
          lastResult: null,
          attemptStartedAt: 0,
          latencyMs: null,
          lastAttemptAt: null,
        })),
      });
    }

  function rsState(entry: RsEntry): RsState {
    return realServerHealth(
      entry.rs.weight,
      entry.checkers.map((c) => c.health),
    );
  }

  function healthView(): PoolHealth {
    return { virtualServers: vsStates };
  }

  function emit(event: PoolEvent): void {
    for (const l of listeners) {
      try {
        l(event);
      } catch (e) {
        logger.error(`checker pool listener failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  function runNotify(spec: ScriptSpec | null, timeoutMs: number): Promise<unknown> | null {
    if (spec === null) return null;
    const who = deps.resolveScriptUser(spec.user, spec.group);
    if ('error' in who) {
      logger.error(`Unable to run script ${spec.command}: ${who.error}`, { limit: `script ${spec.command}` });
      return null;
    }
    const p = deps
      .runScript({ argv: spec.argv, uid: who.uid, gid: who.gid, timeoutMs })
      .catch(() => undefined);
    pendingScripts.add(p);
    void p.finally(() => pendingScripts.delete(p));
    return p;
  }

  function findRs(vsKey: string, rsKey: string): RealServer | undefined {
    return rsByKey.get(`${vsKey} ${rsKey}`);
  }

  /** Re-derives a virtual server's destinations; what changed goes out with the next `changes`. */
  function refreshVs(vs: VirtualServer, healthChanged: boolean): void {
    const before = destinationsByVs.get(vs.key) ?? [];
    const state = vsStates.get(vs.key);
    const after = desiredDestinations(vs, state, drained);
    destinationsByVs.set(vs.key, after);
    table = null;
    for (const c of destinationChanges(serviceKeysByVs.get(vs.key) ?? [], before, after))
      pendingChanges.push(c);
    if (healthChanged && state !== undefined) pendingHealth.set(vs.key, state);
    if (pendingChanges.length > 0 || pendingHealth.size > 0) scheduleChangesEvent();
  }

  function assembleTable(): DesiredTable {
    if (table === null) {
      const services: DesiredService[] = [];
      for (const vs of config.virtualServers)
        for (const s of servicesWith(
          vs,
          identitiesByVs.get(vs.key) ?? [],
          destinationsByVs.get(vs.key) ?? [],
        ))
          services.push(s);
      table = { services };
    }
    return table;
  }

  function scheduleChangesEvent(): void {
    if (changesTimer !== null || stopped) return;
    changesTimer = clock.setTimer(0, () => {
      changesTimer = null;
      const destinations = pendingChanges;
      const health = pendingHealth;
      pendingChanges = [];
      pendingHealth = new Map();
      if (wholeTables) emit({ kind: 'table', table: assembleTable() });
      else emit({ kind: 'changes', destinations, health });
    });
  }

  /** Logs an event in keepalived's words and runs the scripts it calls for. */
  function act(event: PoolEvent, scriptTimeoutMs: number): void {
    const vs = 'vs' in event ? vsByKey.get(event.vs) : undefined;
    switch (event.kind) {
      case 'rs-up':
        logger.info(
          event.inhibit
            ? `Enabling service ${event.rsName} of VS ${event.vsName}`
            : `Adding service ${event.rsName} to VS ${event.vsName}`,
          { vs: event.vsName, rs: event.rsName, state: 'up' },
        );
        runNotify(findRs(event.vs, event.rs)?.notifyUp ?? null, scriptTimeoutMs);
        break;
      case 'rs-down':
        logger.info(
          event.inhibit
            ? `Disabling service ${event.rsName} of VS ${event.vsName}`
            : `Removing service ${event.rsName} from VS ${event.vsName}`,
          { vs: event.vsName, rs: event.rsName, state: 'down' },
        );
        runNotify(findRs(event.vs, event.rs)?.notifyDown ?? null, scriptTimeoutMs);
        break;
      case 'rs-weight':
        logger.info(
          `Changing weight from ${event.from} to ${event.to} for ${event.alive ? 'active' : 'inactive'} service ${event.rsName} of VS ${event.vsName}`,
          { vs: event.vsName, rs: event.rsName, weight: event.to, previousWeight: event.from },
        );
        break;
      case 'quorum-up':
        logger.info(
          `Gained quorum ${event.quorum}+${event.hysteresis}=${event.threshold} <= ${event.weightSum} for VS ${event.vsName}`,
          { vs: event.vsName, state: 'quorum-up' },
        );
        runNotify(vs?.quorumUp ?? null, scriptTimeoutMs);
        break;
      case 'quorum-down':
        if (event.phase !== 'stop')
          logger.info(
            `${event.phase === 'init' ? 'Starting with quorum down' : 'Lost quorum'} ${event.quorum}-${event.hysteresis}=${event.threshold} > ${event.weightSum} for VS ${event.vsName}`,
            { vs: event.vsName, state: 'quorum-down' },
          );
        runNotify(vs?.quorumDown ?? null, scriptTimeoutMs);
        break;
      case 'sorry-in':
        logger.info(
          `${event.inhibit ? 'Enabling' : 'Adding'} sorry server ${event.sorryName} to VS ${event.vsName}`,
          { vs: event.vsName, rs: event.sorryName, state: 'sorry-in' },
        );
        break;
      case 'sorry-out':
        logger.info(
          `${event.inhibit ? 'Disabling' : 'Removing'} sorry server ${event.sorryName} from VS ${event.vsName}`,
          { vs: event.vsName, rs: event.sorryName, state: 'sorry-out' },
        );
        break;
      case 'alive-pool':
        logger.info(
          `${event.add ? 'Adding alive servers to' : 'Removing alive servers from'} the pool for VS ${event.vsName}`,
          { vs: event.vsName },
        );
        break;
      case 'rs-first-down':
        runNotify(findRs(event.vs, event.rs)?.notifyDown ?? null, scriptTimeoutMs);
        break;
      case 'rs-shutdown':
        logger.info(`Shutting down service ${event.rsName} from VS ${event.vsName}`, {
          vs: event.vsName,
          rs: event.rsName,
          state: 'shutdown',
        });
        if (event.notify) runNotify(findRs(event.vs, event.rs)?.notifyDown ?? null, scriptTimeoutMs);
        break;
      case 'table':
      case 'changes':
        break;
    }
    emit(event);
  }

  function publish(vs: VirtualServer, events: PoolEvent[]): void {
    for (const e of events) act(e, notifyTimeoutMs);
    if (events.length > 0) refreshVs(vs, true);
  }

  function onResult(
    entry: RsEntry,
    c: CheckerEntry,
    result: CheckResult,
  ): 'delay_loop' | 'delay_before_retry' {
    if (result.kind === 'skipped') {
      // The attempt never started (no socket): the state and the last result stay as they were.
      // One key per checker type: running out of descriptors is summarised, not told per server.
      const fields = { checker: c.checker.type, limit: `no socket ${c.checker.type}` };
      if (result.cause !== undefined) {
        if (result.cause.level === 'error') logger.error(result.cause.text, fields);
        else logger.info(result.cause.text, fields);
      }
      logger.info(result.line, fields);
      return stepChecker(c.health, result, checkerRetry(c.checker)).next;
    }
    if (result.kind === 'down' && result.cause !== undefined) {
      const fields = { checker: c.checker.type, limit: `socket setup ${c.checker.type}` };
      if (result.cause.level === 'error') logger.error(result.cause.text, fields);
      else logger.info(result.cause.text, fields);
    }
    const prev = c.health;
    const step = stepChecker(prev, result, checkerRetry(c.checker));
    c.health = step.health;
    c.lastResult = result;
    const now = clock.now();
    c.latencyMs = now - c.attemptStartedAt;
    c.lastAttemptAt = now;
    deps.onAttempt?.(c.checker.type, c.latencyMs, result);
    const logAll = logAllGlobal || (c.checker.type !== 'FILE_CHECK' && c.checker.logAllFailures);
    // Steady state (the common case at thousands of checks a second): nothing to log or apply.
    if (
      step.change === null &&
      prev.weight === step.health.weight &&
      prev.hasRun &&
      (step.log === null || (step.log.kind === 'attempt-failed' && !logAll))
    )
      return step.next;
    const before = vsStates.get(entry.vs.key)?.realServers.get(entry.rs.key) ?? rsState(entry);
    for (const line of checkerLogLines({
      checker: c.checker,
      target: c.target,
      vsName: entry.vsName,
      result,
      log: step.log,
      cameUp: step.change === 'up',
      retryIt: step.health.retryIt,
      logAllFailures: logAll,
    }))
      // One key per checker: a real server failing every delay_loop is summarised, not repeated.
      logger.info(line, {
        vs: entry.vsName,
        rs: c.target,
        checker: c.checker.type,
        limit: `${c.checker.type} ${c.target} ${entry.vsName}`,
      });
    const after = rsState(entry);
    // alpha: the first failure of a server that starts down still runs notify_down once
    // (ipwrapper.c update_svr_checker_state, !has_run).
    if (!prev.hasRun && !prev.up && step.log?.kind === 'failed' && !before.alive)
      act(
        {
          kind: 'rs-first-down',
          vs: entry.vs.key,
          rs: entry.rs.key,
          vsName: entry.vsName,
          rsName: formatRs(entry.rs, entry.vs),
        },
        notifyTimeoutMs,
      );
    if (before.alive !== after.alive || before.effectiveWeight !== after.effectiveWeight) {
      const state = vsStates.get(entry.vs.key);
      if (state !== undefined) {
        const r = vsApply(entry.vs, state, entry.rs, after);
        vsStates.set(entry.vs.key, r.state);
        publish(entry.vs, r.events);
      }
    }
    return step.next;
  }

  // ha_suspend: the virtual servers whose checkers are suspended (their address is absent).
  const haSuspended = new Set<string>();
  let localAddresses: ReadonlyMap<string, number> = new Map();
  const haAbsent = (vs: VirtualServer): boolean =>
    vs.haSuspend && vs.address !== null && (localAddresses.get(vs.address) ?? 0) === 0;
  const checkerLines = (vs: VirtualServer, verb: string): void => {
    for (const entry of rsEntries) {
      if (entry.vs !== vs) continue;
      for (let i = 0; i < entry.checkers.length; i++)
        logger.info(`${verb} healthchecker for service ${formatRs(entry.rs, vs)} for VS ${entry.vsName}`, {
          vs: entry.vsName,
          rs: formatRs(entry.rs, vs),
        });
    }
  };

  function addJobs(r: Runner): void {
    // check_api.c register_checkers_thread: a suspended server's checkers are 'Deactivating'.
    for (const vs of config.virtualServers) {
      if (!vs.haSuspend) continue;
      if (haAbsent(vs)) haSuspended.add(vs.key);
      checkerLines(vs, haSuspended.has(vs.key) ? 'Deactivating' : 'Activating');
    }
    for (const entry of rsEntries) {
      for (const c of entry.checkers) {
        const ck = c.checker;
        const ms = (s: number): number => Math.max(0, Math.round(s * 1000));
        const fileCheck = ck.type === 'FILE_CHECK';
        const path = fileCheck ? io.trackFilePath(ck.trackFile) : null;
        if (fileCheck && path !== null && deps.watchFile !== undefined) {
          // keepalived acts on the file's inotify events (track_file.c), whatever delay_loop says.
          fileWatches.push(
            deps.watchFile(path, (text) => {
              if (stopped) return;
              const { result, refused } = fileTextResult(ck, text, entry.rs.weight);
              if (refused !== null) logger.info(`Invalid number ${refused} read from ${path} - ignoring`);
              c.attemptStartedAt = clock.now();
              onResult(entry, c, result);
            }),
          );
          continue;
        }
        const attempt = attemptFor(ck);
        r.add({
          delayLoopMs: fileCheck ? FILE_CHECK_PERIOD_MS : ms(ck.delayLoop),
          delayBeforeRetryMs: fileCheck ? FILE_CHECK_PERIOD_MS : ms(ck.delayBeforeRetry),
          warmupMs: fileCheck ? 0 : ms(ck.warmup),
          timeoutMs: ms(attemptTimeoutSeconds(ck)),
          attempt: (cancel) => {
            c.attemptStartedAt = clock.now();
            return attempt(ck, new JobAttemptContext(cancel, io, c.target, entry.rs.weight, clock));
          },
          onResult: (result) => onResult(entry, c, result),
          ...(entry.vs.haSuspend ? { enabled: () => !haSuspended.has(entry.vs.key) } : {}),
        });
      }
    }
  }

  return {
    start() {
      if (started) return;
      started = true;
      const events: PoolEvent[] = [];
      for (const vs of config.virtualServers) {
        const rsMap = new Map<string, RsState>();
        for (const entry of rsEntries) if (entry.vs === vs) rsMap.set(entry.rs.key, rsState(entry));
        const prevQuorum = previous?.quorumUp.get(vs.key);
        const r = prevQuorum === undefined ? vsInit(vs, rsMap) : vsResume(vs, rsMap, prevQuorum);
        vsStates.set(vs.key, r.state);
        events.push(...r.events);
      }
      for (const e of events) act(e, notifyTimeoutMs);
      for (const vs of config.virtualServers)
        destinationsByVs.set(vs.key, desiredDestinations(vs, vsStates.get(vs.key), drained));
      emit({ kind: 'table', table: assembleTable() });
      runner = createRunner({
        clock,
        ...(deps.random ? { random: deps.random } : {}),
        ...(deps.maxInFlight ? { maxInFlight: deps.maxInFlight } : {}),
        ...(deps.onLaunch ? { onLaunch: deps.onLaunch } : {}),
      });
      addJobs(runner);
    },
    async stop(options = {}) {
      if (stopped) return;
      stopped = true;
      runner?.stop();
      runner = null;
      for (const w of fileWatches.splice(0)) w.close();
      icmpEcho.close();
      changesTimer?.cancel();
      changesTimer = null;
      if (started && options.omega !== false) {
        for (const vs of config.virtualServers) {
          const state = vsStates.get(vs.key);
          if (state === undefined) continue;
          for (const e of vsShutdown(vs, state)) act(e, OMEGA_SCRIPT_TIMEOUT_MS);
        }
      }
      await Promise.all([...pendingScripts]);
    },
    desiredTable: assembleTable,
    servicesOf(vsKey) {
      const vs = vsByKey.get(vsKey);
      if (vs === undefined) return [];
      return servicesWith(vs, identitiesByVs.get(vsKey) ?? [], destinationsByVs.get(vsKey) ?? []);
    },
    health: healthView,
    checkers: () =>
      rsEntries.flatMap((entry) =>
        entry.checkers.map((c) => ({
          vs: entry.vs.key,
          rs: entry.rs.key,
          type: c.checker.type,
          target: c.target,
          up: c.health.up,
          retryIt: c.health.retryIt,
          lastResult: c.lastResult,
          latencyMs: c.latencyMs,
          lastAttemptAt: c.lastAttemptAt,
        })),
      ),
    setDrained(next) {
      const changed = new Set<string>();
      for (const k of next) if (!drained.has(k)) changed.add(k);
      for (const k of drained) if (!next.has(k)) changed.add(k);
      drained = new Set(next);
      if (!started || stopped) return;
      for (const vs of config.virtualServers)
        if (vs.realServers.some((rs) => changed.has(drainKey(vs.key, rs.key)))) refreshVs(vs, false);
    },
    setLocalAddresses(counts) {
      localAddresses = new Map(counts);
      if (!started || stopped) return;
      for (const vs of config.virtualServers) {
        if (!vs.haSuspend) continue;
        const absent = haAbsent(vs);
        if (absent === haSuspended.has(vs.key)) continue;
        if (absent) haSuspended.add(vs.key);
        else haSuspended.delete(vs.key);
        checkerLines(vs, absent ? 'Suspending' : 'Activating');
      }
    },
    snapshot() {
      const realServers = new Map<string, { alive: boolean; checkers: Map<string, CheckerHealth> }>();
      for (const entry of rsEntries) {
        const checkers = new Map<string, CheckerHealth>();
        for (const c of entry.checkers) checkers.set(checkerIdentity(c.checker), c.health);
        const alive =
          vsStates.get(entry.vs.key)?.realServers.get(entry.rs.key)?.alive ?? rsState(entry).alive;
        realServers.set(`${entry.vs.key} ${entry.rs.key}`, { alive, checkers });
      }
      return {
        quorumUp: new Map([...vsStates].map(([k, v]) => [k, v.quorumUp])),
        realServers,
      };
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
