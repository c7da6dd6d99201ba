/**
 * The composition root for `keepalived-ts` as a daemon: logging, config load, pid files,
 * signals, sd_notify, and the subsystems. Subsystems never import each other; each is a small
 * object with start/stop/reload (and optional dumps) built here. What one subsystem must tell
 * another (a VRRP state change that drives the LVS sync daemon) is published as a typed
 * DaemonEvent and routed here to every subsystem's `onEvent`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic } from '../config/diagnostics-format.js';
import { loadConfigFor } from './config-check.js';
import type { Config } from '../config/model.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { VERSION } from '../version.js';
import type { DaemonOptions } from './cli.js';
import { createDaemonLogger } from './logger.js';
import { createLvsSubsystem, type LvsSubsystemDeps } from './lvs-subsystem.js';
import { removePidFile, writePidFile } from './pidfile.js';
import { reloadDaemon } from './reload.js';
import { installSignalHandlers } from './signals.js';
import { createSystemdNotifier, type SystemdNotifier } from './systemd.js';
import { createVrrpSubsystem } from './vrrp-platform.js';

/** keepalived's exit codes (core/main.c). */
export const EXIT_OK = 0;
export const EXIT_FATAL = 1;
export const EXIT_CONFIG = 2;

/** Events one subsystem publishes for the others; the daemon routes them. */
export type DaemonEvent = {
  readonly kind: 'vrrp-state';
  readonly instance: string;
  readonly from: string;
  readonly to: string;
};

/** One independently started part of the daemon (VRRP; checkers + IPVS). */
export interface Subsystem {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): Promise<void>;
  /** SIGHUP received, before the config is read (a VRRP master adverts at once). */
  beforeReload?(): void;
  /** SIGHUP with a config that loaded: migrate to it (never throws for config reasons). */
  reload?(config: Config): Promise<void>;
  /** Events published by the other subsystems. */
  onEvent?(event: DaemonEvent): void;
  /** Text for the SIGUSR2 stats file, if the subsystem keeps statistics. */
  statsText?(): string;
  /** Text for the SIGUSR1 data file. */
  dataText?(): string;
}

/** A start-up failure that is keepalived's FATAL exit; the message is the line to log. */
export class FatalStartupError extends Error {
  readonly code = 'EKA_FATAL_STARTUP';
}

export interface SubsystemContext {
  readonly config: Config;
  readonly options: DaemonOptions;
  readonly logger: Logger;
  readonly clock: Clock;
  publish(event: DaemonEvent): void;
}

/**
 * Builds a subsystem for a loaded config, or null when the config (or the command line) does not
 * ask for it. Throws FatalStartupError for keepalived's FATAL start-up failures.
 */
export type SubsystemFactory = (ctx: SubsystemContext) => Promise<Subsystem | null>;

export const vrrpSubsystemFactory: SubsystemFactory = async (ctx) => {
  const { config, options, logger } = ctx;
  if (!options.runVrrp) return null;
  if (config.vrrpInstances.length === 0) return null;
  const vrrp = await createVrrpSubsystem(config, ctx.clock, logger, {
    onStateChange: (c) => ctx.publish({ kind: 'vrrp-state', instance: c.instance, from: c.from, to: c.to }),
  });
  return {
    name: 'vrrp',
    start: () => vrrp.start(),
    // -V/--dont-release-vrrp keeps VIPs and sends no priority-0 advert.
    stop: () => vrrp.stop({ keepVips: options.dontReleaseVrrp }),
    reload: (c) => vrrp.reload(c),
    beforeReload: () => vrrp.advertNow(),
    statsText: () => vrrp.statsText(),
    dataText: () => vrrp.dataText(),
  };
};

/** The checkers and IPVS; `extra` lets tests inject the transport and the checker host. */
export function lvsSubsystemFactory(extra: Partial<LvsSubsystemDeps> = {}): SubsystemFactory {
  return async (ctx) => {
    const { config, options, logger } = ctx;
    if (!options.runChecker) return null;
    if (config.virtualServers.length === 0) return null;
    const lvs = await createLvsSubsystem(config, {
      logger,
      clock: ctx.clock,
      noIpvs: options.noIpvs,
      dontRespawn: options.dontRespawn,
      dontReleaseIpvs: options.dontReleaseIpvs,
      ...extra,
    });
    if (!lvs.ok) throw new FatalStartupError(lvs.error);
    return {
      name: 'lvs',
      start: () => lvs.value.start(),
      stop: () => lvs.value.stop(),
      reload: (c) => lvs.value.reload(c),
      onEvent: (e) => {
        if (e.kind === 'vrrp-state') lvs.value.vrrpState(e.instance, e.to);
      },
    };
  };
}

/**
 * Build order: LVS first, so a missing IPVS ends start-up before any VRRP socket is open; stop
 * order is the reverse (VRRP releases its VIPs before the IPVS table goes).
 */
export const DEFAULT_FACTORIES: readonly SubsystemFactory[] = [lvsSubsystemFactory(), vrrpSubsystemFactory];

/** File for a dump: the config's *_file_location, else `<runtime-dir>/<name>`. */
function dumpPath(options: DaemonOptions, configured: string | null, name: string): string {
  return configured ?? join(options.runtimeDir, name);
}

export function logDiagnostics(
  diagnostics: Parameters<typeof formatDiagnostic>[0][],
  file: string,
  logger: Logger,
): void {
  for (const d of diagnostics) {
    const line = formatDiagnostic(d, file);
    if (d.severity === 'fatal' || d.severity === 'error' || d.severity === 'security') logger.error(line);
    else logger.info(line);
  }
}

export interface RunDaemonDeps {
  readonly factories?: readonly SubsystemFactory[];
  readonly logger?: Logger & { close(): void };
  readonly clock?: Clock;
  readonly systemd?: SystemdNotifier;
}

export async function runDaemon(
  options: DaemonOptions,
  factoriesOrDeps: readonly SubsystemFactory[] | RunDaemonDeps = {},
): Promise<number> {
  const deps: RunDaemonDeps = Array.isArray(factoriesOrDeps)
    ? { factories: factoriesOrDeps as readonly SubsystemFactory[] }
    : (factoriesOrDeps as RunDaemonDeps);
  const factories = deps.factories ?? DEFAULT_FACTORIES;
  const clock = deps.clock ?? realClock;
  const logger =
    deps.logger ??
    createDaemonLogger({
      console: options.logConsole,
      detail: options.logDetail,
      logFile: options.logFile,
      syslog: !options.noSyslog,
      ident:
        options.runVrrp && !options.runChecker
          ? 'Keepalived_vrrp'
          : options.runChecker && !options.runVrrp
            ? 'Keepalived_healthcheckers'
            : 'Keepalived',
    });
  const systemd = deps.systemd ?? createSystemdNotifier(process.env, (m) => logger.info(m));
  // A stop signal during start-up (config load, pid files) must not kill the process outright:
  // remember it and stop cleanly once the real handlers are in place.
  let stopRequestedEarly = false;
  const onEarlyStop = (): void => {
    stopRequestedEarly = true;
  };
  process.on('SIGTERM', onEarlyStop);
  process.on('SIGINT', onEarlyStop);
  const removeEarlyStop = (): void => {
    process.off('SIGTERM', onEarlyStop);
    process.off('SIGINT', onEarlyStop);
  };
  logger.info(`Starting Keepalived-ts v${VERSION}`);
  logger.info(`Running on Linux ${release()} (Node.js ${process.version})`);
  logger.info(`Command line: ${process.argv.map((a) => `'${a}'`).join(' ')}`);
  logger.info(`Opening file '${options.configFile}'.`);

  const loaded = await loadConfigFor(options);
  logDiagnostics(loaded.diagnostics, options.configFile, logger);
  if (loaded.config === null) {
    logger.error('Stopped - configuration errors');
    systemd.close();
    logger.close();
    removeEarlyStop();
    return EXIT_CONFIG;
  }
  let config = loaded.config;
  for (const f of config.files.slice(1)) logger.info(`Opening file '${f}'.`);

  try {
    mkdirSync(options.runtimeDir, { recursive: true });
  } catch (e) {
    logger.error(`Cannot create runtime directory ${options.runtimeDir}: ${(e as Error).message}`);
    systemd.close();
    logger.close();
    removeEarlyStop();
    return EXIT_FATAL;
  }
  const pidFiles = [
    options.pidFile,
    ...(options.runVrrp && options.vrrpPidFile ? [options.vrrpPidFile] : []),
    ...(options.runChecker && options.checkersPidFile ? [options.checkersPidFile] : []),
  ];
  for (const p of pidFiles) {
    const w = writePidFile(p);
    if (!w.ok) {
      logger.error(w.error);
      for (const q of pidFiles) if (q !== p) removePidFile(q);
      systemd.close();
      logger.close();
      removeEarlyStop();
      return EXIT_FATAL;
    }
  }

  /** Built subsystems, each with the factory that made it (a reload may build missing ones). */
  const built: { factory: SubsystemFactory; subsystem: Subsystem; started: boolean }[] = [];
  const publish = (event: DaemonEvent): void => {
    for (const b of built) {
      try {
        b.subsystem.onEvent?.(event);
      } catch (e) {
        logger.error(`${b.subsystem.name}: event handler failed: ${(e as Error).message}`);
      }
    }
  };
  const contextFor = (c: Config): SubsystemContext => ({ config: c, options, logger, clock, publish });

  let exitCode = EXIT_OK;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping = false;
  let starting: Promise<void> = Promise.resolve();
  let reloading: Promise<void> | null = null;
  let watchdog: TimerHandle | null = null;
  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    watchdog?.cancel();
    systemd.stopping();
    logger.info('Stopping');
    await starting.catch(() => {});
    await reloading?.catch(() => {});
    // Stop in reverse start order; one subsystem failing to stop must not keep the others.
    for (const b of [...built].reverse()) {
      if (!b.started) continue;
      try {
        await b.subsystem.stop();
      } catch (e) {
        logger.error(`${b.subsystem.name}: stop failed: ${(e as Error).message}`);
        exitCode = EXIT_FATAL;
      }
    }
    resolveDone();
  };

  const writeDump = (
    name: string,
    configured: string | null,
    pick: (s: Subsystem) => string | undefined,
  ): void => {
    const path = dumpPath(options, configured, name);
    const text = built
      .map((b) => pick(b.subsystem))
      .filter((t): t is string => t !== undefined)
      .join('');
    try {
      writeFileSync(path, text, { mode: 0o644 });
    } catch (e) {
      logger.info(`Can't open ${path} (${(e as Error).message})`);
    }
  };

  const reload = (): void => {
    if (stopping) return;
    if (reloading !== null) {
      logger.info('Reload already in progress - ignoring SIGHUP');
      return;
    }
    reloading = (async () => {
      await starting.catch(() => {});
      if (stopping) return;
      const next = await reloadDaemon({
        options,
        logger,
        systemd,
        current: config,
        factories,
        built,
        contextFor,
        isStopping: () => stopping,
      });
      if (next !== null) config = next;
    })()
      .catch((e: unknown) => {
        // Never fatal: the old config keeps running.
        logger.error(`Reload failed: ${e instanceof Error ? e.message : String(e)}`);
      })
      .finally(() => {
        reloading = null;
      });
  };

  const removeSignals = installSignalHandlers({
    stop: () => void stopAll(),
    reload,
    dumpData: () => writeDump('keepalived.data', config.globalDefs.stateFileLocation, (s) => s.dataText?.()),
    dumpStats: () =>
      writeDump('keepalived.stats', config.globalDefs.statsFileLocation, (s) => s.statsText?.()),
  });
  removeEarlyStop();
  if (stopRequestedEarly) void stopAll();
  // Keeps the event loop alive while the daemon has nothing else scheduled (e.g. no instances).
  const keepAlive = setInterval(() => {}, 1 << 30);

  starting = (async () => {
    for (const factory of factories) {
      if (stopping) return;
      const s = await factory(contextFor(config));
      if (s !== null) built.push({ factory, subsystem: s, started: false });
    }
    for (const b of built) {
      if (stopping) return;
      b.started = true;
      await b.subsystem.start();
    }
  })();
  try {
    await starting;
    if (!stopping) {
      logger.info('Startup complete');
      systemd.ready('Startup complete');
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
  for (const p of pidFiles) removePidFile(p);
  if (exitCode !== EXIT_OK) logger.info('Stopped');
  logger.info(`Stopped Keepalived-ts v${VERSION}`);
  systemd.close();
  logger.close();
  return exitCode;
}
