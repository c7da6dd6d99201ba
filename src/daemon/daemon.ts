/**
 * The composition root for `keepalived-ts` as a daemon: logging, config load, pid files,
 * signals, sd_notify, and the subsystems. Subsystems never import each other; each is a small
 * object with start/stop/reload (and optional dumps) built here. What one subsystem must tell
 * another (a VRRP state change that drives the LVS sync daemon) is published as a typed
 * DaemonEvent and routed here to every subsystem's `onEvent`.
 */
import { mkdirSync } from 'node:fs';
import { release } from 'node:os';
import { logDiagnostics } from '../config/diagnostics-format.js';
import { loadConfigFor } from './config-check.js';
import type { Config } from '../config/model.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { VERSION } from '../version.js';
import type { DaemonOptions } from './cli.js';
import { createDaemonLogger, daemonLoggerOptions } from './logger.js';
import { DEFAULT_FACTORIES } from './factories.js';
import { detachedChildReport, absolutePaths, reportingLogger, type StartupReport } from './detach.js';
import { acquirePidFile, type PidFileLock } from './pidfile.js';
import { startConfigWatch, type ConfigWatch, type WatchFiles } from './config-watch.js';
import { watchFileSet } from '../net/file-set-watch.js';
import { reloadDaemon } from './reload.js';
import { logConfigDump } from './dump-conf.js';
import { DumpFiles, hostGlobalContext } from './dump-files.js';
import { controlHandler, daemonStatus, startControl, type ControlDeps } from './control.js';
import { EventFeed } from './event-feed.js';
import type { HttpServer } from './http-server.js';
import { startObserveListener } from './observe-listener.js';
import { DaemonMetrics } from './metrics.js';
import type { ControlServer } from './control-server.js';
import { reloadChanges, reloadDiagnostics, type ReloadReport } from './reload-report.js';
import type { Diagnostic } from '../config/diagnostics.js';
import type { ReloadSummary } from '../contracts/status.js';
import { installSignalHandlers, nativeSignalSource, type SignalSource } from './signals.js';
import {
  FatalStartupError,
  SubsystemSet,
  type DaemonEvent,
  type SubsystemContext,
  type SubsystemFactory,
} from './subsystem.js';
import { createSystemdNotifier, type SystemdNotifier } from './systemd.js';
import { openFileLimiter, type OpenFileLimitControl } from '../net/open-file-limit.js';
import { logOpenFileLimit, openFilesRequired } from './open-files.js';

/** keepalived's exit codes (core/main.c). */
export const EXIT_OK = 0;
export const EXIT_FATAL = 1;
export const EXIT_CONFIG = 2;
/** The config file (or, with -e, an included one) is missing: KEEPALIVED_EXIT_NO_CONFIG. */
export const EXIT_NO_CONFIG = 6;

export interface RunDaemonDeps {
  readonly factories?: readonly SubsystemFactory[];
  readonly logger?: Logger & { close(): void | Promise<void>; endRateLimiting?(): void };
  readonly clock?: Clock;
  readonly systemd?: SystemdNotifier;
  /** Caught signals (default: the native watcher, which main.ts already holds signals with). */
  readonly signals?: SignalSource;
  /**
   * Where start-up is reported when this process is the detached daemon (daemon/detach.ts);
   * default: the launcher's channel when there is one. null: nowhere.
   */
  readonly startupReport?: StartupReport | null;
  /** --watch-config's file watcher (default: chokidar, net/file-set-watch.ts). */
  readonly watchFiles?: WatchFiles;
  /** RLIMIT_NOFILE (default: this process's, net/open-file-limit.ts). */
  readonly openFileLimit?: OpenFileLimitControl;
}

export async function runDaemon(
  commandLineOptions: DaemonOptions,
  factoriesOrDeps: readonly SubsystemFactory[] | RunDaemonDeps = {},
): Promise<number> {
  const deps: RunDaemonDeps = Array.isArray(factoriesOrDeps)
    ? { factories: factoriesOrDeps as readonly SubsystemFactory[] }
    : (factoriesOrDeps as RunDaemonDeps);
  const report = deps.startupReport === undefined ? detachedChildReport() : deps.startupReport;
  let options = commandLineOptions;
  if (report !== null && deps.startupReport === undefined) {
    // The detached daemon runs in / as keepalived's xdaemon; relative paths still name the same files.
    options = absolutePaths(options, process.cwd());
    process.chdir('/');
  }
  try {
    return await runDaemonWith(options, deps, report);
  } finally {
    // On a start-up failure the launcher prints the lines sent so far: send them before exiting.
    await report?.close();
  }
}

async function runDaemonWith(
  options: DaemonOptions,
  deps: RunDaemonDeps,
  report: StartupReport | null,
): Promise<number> {
  // First: from here on no signal takes its default action. One that arrives during start-up
  // (config load, pid files) is held and handled once the handlers are in place.
  const signals = deps.signals ?? nativeSignalSource();
  const factories = deps.factories ?? DEFAULT_FACTORIES;
  const clock = deps.clock ?? realClock;
  // -u applies before any file is created (keepalived's set_umask runs while parsing options).
  if (options.umask !== null) process.umask(options.umask);
  const daemonLogger = deps.logger ?? createDaemonLogger(daemonLoggerOptions(options, clock, process.env));
  const logger = report === null ? daemonLogger : reportingLogger(daemonLogger, report, options);
  const systemd = deps.systemd ?? createSystemdNotifier(process.env, (m) => logger.info(m));
  logger.info(`Starting Keepalived-ts v${VERSION}`);
  logger.info(`Running on Linux ${release()} (Node.js ${process.version})`);
  logger.info(`Command line: ${process.argv.map((a) => `'${a}'`).join(' ')}`);
  logger.info(`Opening file '${options.configFile}'.`);

  // Cleared once read: this function's frame lives as long as the daemon, and a const here would
  // keep the first load (its model and source lines) beside every reload's.
  let loaded: Awaited<ReturnType<typeof loadConfigFor>> | null = await loadConfigFor(options);
  logDiagnostics(loaded.diagnostics, options.configFile, logger);
  if (loaded.config === null) {
    logger.error('Stopped - configuration errors');
    systemd.close();
    await logger.close();
    // keepalived's parent exits 6 when it cannot read the config files (core/main.c
    // check_conf_file, had_config_file_error), 2 when the config has errors (the children's
    // KEEPALIVED_EXIT_CONFIG).
    const missing = loaded.diagnostics.some(
      (d) => d.severity === 'fatal' && (d.code === 'config-file-missing' || d.code === 'include-missing'),
    );
    return missing ? EXIT_NO_CONFIG : EXIT_CONFIG;
  }
  let config = loaded.config;
  loaded = null;
  for (const f of config.files.slice(1)) logger.info(`Opening file '${f}'.`);

  // Enough descriptors for every checker at once, as keepalived sets them (open-files.ts).
  const fileLimit = openFileLimiter(deps.openFileLimit);
  const fileScope = {
    checkers: options.runChecker,
    vrrp: options.runVrrp,
    listener: options.metricsListen !== null,
  };
  const requireOpenFiles = (c: Config): void =>
    logOpenFileLimit(fileLimit.require(openFilesRequired(c, fileScope)), logger);
  requireOpenFiles(config);

  try {
    mkdirSync(options.runtimeDir, { recursive: true });
  } catch (e) {
    logger.error(`Cannot create runtime directory ${options.runtimeDir}: ${(e as Error).message}`);
    systemd.close();
    await logger.close();
    return EXIT_FATAL;
  }
  const pidFiles = [
    options.pidFile,
    ...(options.runVrrp && options.vrrpPidFile ? [options.vrrpPidFile] : []),
    ...(options.runChecker && options.checkersPidFile ? [options.checkersPidFile] : []),
  ];
  const pidLocks: PidFileLock[] = [];
  for (const p of pidFiles) {
    const acquired = acquirePidFile(p);
    if (acquired.kind === 'locked') {
      if (acquired.takenOver !== null) logger.info(acquired.takenOver);
      pidLocks.push(acquired.lock);
      continue;
    }
    logger.error(acquired.message);
    for (const held of pidLocks) held.release();
    systemd.close();
    await logger.close();
    // keepalived exits 0 when the daemon is already running ("daemon is already running",
    // core/main.c keepalived_running); it also exits 0 when it cannot write a pid file, where
    // keepalived-ts reports the failure (docs/operations.md "Daemon mode and pid files").
    return acquired.kind === 'running' ? EXIT_OK : EXIT_FATAL;
  }

  const subsystems = new SubsystemSet(factories, logger);
  // The observers (metrics, status page) see every event the subsystems see, and the reloads.
  const events = new EventFeed(logger);
  const publish = (event: DaemonEvent): void => {
    subsystems.publish(event);
    events.emit(event);
  };
  // Prometheus metrics (docs/metrics.md), only with the listener that serves them.
  const metrics = options.metricsListen !== null ? new DaemonMetrics() : null;
  if (metrics !== null) events.subscribe((e) => metrics.onEvent(e));
  const contextFor = (c: Config): SubsystemContext => ({
    config: c,
    options,
    logger,
    clock,
    publish,
    ...(metrics !== null ? { metrics } : {}),
  });

  let exitCode = EXIT_OK;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping = false;
  let starting: Promise<void> = Promise.resolve();
  let reloading: Promise<void> | null = null;
  let watchdog: TimerHandle | null = null;
  let configWatch: ConfigWatch | null = null;
  // The control socket (docs/control.md), and what its `status` tells of the last reload.
  let control: ControlServer | null = null;
  let http: HttpServer | null = null;
  let lastReload: ReloadSummary | null = null;
  const startedAt = Date.now();
  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    watchdog?.cancel();
    const controlClosed = control?.close().catch(() => {});
    const httpClosed = http?.close().catch(() => {});
    const watchClosed = configWatch?.close().catch(() => {});
    systemd.stopping();
    logger.info('Stopping');
    await starting.catch(() => {});
    await reloading?.catch(() => {});
    // Reverse start order; one subsystem failing to stop must not keep the others.
    if (!(await subsystems.stopAll())) exitCode = EXIT_FATAL;
    await watchClosed;
    await controlClosed;
    await httpClosed;
    metrics?.close();
    resolveDone();
  };

  // keepalived's dump files, at its paths (docs/operations.md "Dump files").
  const dumpFiles = new DumpFiles({
    logger,
    umask: options.umask,
    globalContext: hostGlobalContext(options.umask),
  });

  // A SIGHUP while a reload runs is queued and run when that one ends, as keepalived does
  // (core/main.c process_reload_signal, core/config_notify.c queue_reload): the config written
  // after the running reload read the file is the one that ends up running.
  let sighupQueued = false;
  /** `answer`: the control socket's `reload`, told how it went (reload-report.ts). */
  const reload = (answer?: (report: ReloadReport) => void): void => {
    const refused = (reason: string): void =>
      answer?.({ applied: false, reason, durationMs: 0, diagnostics: [], changes: null });
    if (stopping) return refused('the daemon is stopping');
    if (reloading !== null) {
      if (answer === undefined) {
        logger.detail('Reload already in progress, request queued');
        sighupQueued = true;
        return;
      }
      return refused('a reload is already in progress');
    }
    reloading = (async () => {
      await starting.catch(() => {});
      if (stopping) return refused('the daemon is stopping');
      const t0 = clock.now();
      const before = config;
      let diagnostics: readonly Diagnostic[] = [];
      const next = await reloadDaemon({
        onDiagnostics: (d) => (diagnostics = d),
        options,
        logger,
        systemd,
        current: config,
        subsystems,
        contextFor,
        isStopping: () => stopping,
        beforeApply: requireOpenFiles,
      });
      if (next !== null) config = next;
      configWatch?.follow(config.files);
      const durationMs = Math.round(clock.now() - t0);
      lastReload = { at: new Date().toISOString(), applied: next !== null, durationMs };
      events.emit({ kind: 'reload', applied: next !== null, durationMs });
      answer?.({
        applied: next !== null,
        reason: next !== null ? null : 'configuration errors, keeping the running configuration',
        durationMs,
        diagnostics: reloadDiagnostics(diagnostics, options.configFile),
        changes: next !== null ? reloadChanges(before, next) : null,
      });
    })()
      .catch((e: unknown) => {
        // Never fatal: the old config keeps running.
        logger.error(`Reload failed: ${e instanceof Error ? e.message : String(e)}`);
        refused(`reload failed: ${e instanceof Error ? e.message : String(e)}`);
      })
      .finally(() => {
        reloading = null;
        if (sighupQueued && !stopping) {
          sighupQueued = false;
          logger.detail('Processing queued reload');
          reload();
        }
      });
  };

  // Before the handlers: a signal held since start-up is delivered as they are installed.
  const lastIgnoredLog = new Map<number, number>();
  const removeSignals = installSignalHandlers(
    {
      stop: () => void stopAll(),
      reload,
      dumpData: () => void dumpFiles.data(config, subsystems.dumpSources()),
      dumpStats: () => void dumpFiles.stats(config, subsystems.dumpSources()),
      dumpJson: () => void dumpFiles.json(config, subsystems.dumpSources()),
      // keepalived's STATS_CLEAR writes the stats file, then zeroes what it shows.
      clearStats: () => void dumpFiles.stats(config, subsystems.dumpSources(), true),
      ignored: (signum, name) => {
        // Once a minute per signal at most: a flood of them must not flood the log.
        const now = clock.now();
        const last = lastIgnoredLog.get(signum);
        if (last !== undefined && now - last < 60_000) return;
        lastIgnoredLog.set(signum, now);
        logger.info(`Received signal ${signum} (${name}) - ignoring`);
      },
    },
    signals,
  );
  // --watch-config: a change during a reload is reloaded once that reload is over.
  let reloadQueued = false;
  const reloadOnChange = (): void => {
    if (reloading === null) return reload();
    if (reloadQueued) return;
    reloadQueued = true;
    void reloading.then(() => {
      reloadQueued = false;
      reloadOnChange();
    });
  };
  if (options.watchConfig) {
    configWatch = startConfigWatch(config.files, reloadOnChange, {
      clock,
      logger,
      watchFiles: deps.watchFiles ?? watchFileSet,
    });
  }
  const controlDeps: ControlDeps = {
    options,
    logger,
    subsystems,
    startedAt,
    reload: async () => {
      // One at a time: a reload in progress (SIGHUP, --watch-config) ends first.
      while (reloading !== null) await reloading.catch(() => {});
      return new Promise<ReloadReport>((resolve) => reload(resolve));
    },
    lastReload: () => lastReload,
    isStopping: () => stopping,
  };
  // A SIGTERM during start-up may have run stopAll while the listeners were opening: it could
  // not close what did not exist yet, so they are closed here (else the socket file stays).
  const controlServer = await startControl(controlDeps);
  control = controlServer;
  if (stopping) await controlServer?.close().catch(() => {});
  if (options.metricsListen !== null && !stopping) {
    const answer = controlHandler(controlDeps);
    let requestId = 0;
    const httpServer = await startObserveListener(options.metricsListen, {
      options,
      logger,
      status: () => daemonStatus(controlDeps),
      events,
      control: (command) => answer({ ...command, id: `http-${++requestId}` }),
      ...(metrics !== null ? { metrics } : {}),
    });
    http = httpServer;
    if (stopping) await httpServer?.close().catch(() => {});
  }
  // Keeps the event loop alive while the daemon has nothing else scheduled (e.g. no instances).
  const keepAlive = setInterval(() => {}, 1 << 30);

  starting = (async () => {
    await subsystems.buildAll(contextFor(config), () => stopping);
    await subsystems.startAll(() => stopping);
  })();
  try {
    await starting;
    if (!stopping) {
      logger.info('Startup complete');
      // -d: keepalived logs its configuration data once running (docs/operations.md "Logs").
      if (options.dumpConf) {
        void logConfigDump(config, subsystems.dumpSources(), logger, hostGlobalContext(options.umask));
      }
      systemd.ready('Startup complete');
      report?.ready();
    }
  } catch (e) {
    if (e instanceof FatalStartupError) logger.error(e.message);
    else logger.error(`Startup failed: ${(e as Error).message}`);
    exitCode = EXIT_FATAL;
    void stopAll();
  }
  const interval = systemd.watchdogIntervalMs;
  if (interval !== null && !stopping) {
    const ping = (): void => {
      systemd.watchdog();
      watchdog = clock.setTimer(interval, ping);
    };
    ping();
  }
  await done;
  clearInterval(keepAlive);
  removeSignals();
  for (const held of pidLocks) held.release();
  // keepalived's `Stopped` lines are its last: the summaries of suppressed lines come before.
  daemonLogger.endRateLimiting?.();
  if (exitCode !== EXIT_OK) logger.info('Stopped');
  logger.info(`Stopped Keepalived-ts v${VERSION}`);
  systemd.close();
  await logger.close();
  return exitCode;
}
