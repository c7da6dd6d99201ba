/**
 * The composition root for `keepalived-ts` as a daemon: logging, config load, pid files,
 * signals, and the subsystems. Subsystems never import each other; each is a small object with
 * start/stop (and optional dumps) built here, so the checker/IPVS half can sit beside VRRP.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic } from '../config/diagnostics-format.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/model.js';
import { realClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { VERSION } from '../version.js';
import type { DaemonOptions } from './cli.js';
import { createDaemonLogger } from './logger.js';
import { removePidFile, writePidFile } from './pidfile.js';
import { installSignalHandlers } from './signals.js';
import { createVrrpSubsystem } from './vrrp-platform.js';

/** keepalived's exit codes (core/main.c). */
export const EXIT_OK = 0;
export const EXIT_FATAL = 1;
export const EXIT_CONFIG = 2;

/** One independently started part of the daemon (VRRP now; checkers/IPVS beside it later). */
export interface Subsystem {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
  /** Text for the SIGUSR2 stats file, if the subsystem keeps statistics. */
  statsText?(): string;
  /** Text for the SIGUSR1 data file. */
  dataText?(): string;
}

/** Builds the subsystems for a loaded config; the integrator adds the checker/IPVS one here. */
export type SubsystemFactory = (
  config: Config,
  options: DaemonOptions,
  logger: Logger,
) => Promise<Subsystem | null>;

export const vrrpSubsystemFactory: SubsystemFactory = async (config, options, logger) => {
  if (!options.runVrrp) return null;
  if (config.vrrpInstances.length === 0) return null;
  const vrrp = await createVrrpSubsystem(config, realClock, logger);
  return {
    name: 'vrrp',
    start: () => vrrp.start(),
    // -V/--dont-release-vrrp keeps VIPs and sends no priority-0 advert.
    stop: () => vrrp.stop({ keepVips: options.dontReleaseVrrp }),
    statsText: () => vrrp.statsText(),
    dataText: () => vrrp.dataText(),
  };
};

export const DEFAULT_FACTORIES: readonly SubsystemFactory[] = [vrrpSubsystemFactory];

/** File for a dump: the config's *_file_location, else `<runtime-dir>/<name>`. */
function dumpPath(options: DaemonOptions, configured: string | null, name: string): string {
  return configured ?? join(options.runtimeDir, name);
}

export async function runDaemon(
  options: DaemonOptions,
  factories: readonly SubsystemFactory[] = DEFAULT_FACTORIES,
): Promise<number> {
  const logger = createDaemonLogger({
    console: options.logConsole,
    detail: options.logDetail,
    logFile: options.logFile,
    syslog: !options.noSyslog,
    ident: options.runVrrp && !options.runChecker ? 'Keepalived_vrrp' : 'Keepalived',
  });
  logger.info(`Starting Keepalived-ts v${VERSION}`);
  logger.info(`Running on Linux ${release()} (Node.js ${process.version})`);
  logger.info(`Command line: ${process.argv.map((a) => `'${a}'`).join(' ')}`);
  logger.info(`Opening file '${options.configFile}'.`);

  const loaded = await loadConfig(options.configFile, {
    configId: options.configId,
    checkInterfaces: !options.noInterfaceCheck,
    allConfig: options.allConfig,
  });
  for (const d of loaded.diagnostics) {
    const line = formatDiagnostic(d, options.configFile);
    if (d.severity === 'fatal' || d.severity === 'error' || d.severity === 'security') logger.error(line);
    else logger.info(line);
  }
  if (loaded.config === null) {
    logger.error('Stopped - configuration errors');
    logger.close();
    return EXIT_CONFIG;
  }
  const config = loaded.config;
  for (const f of config.files.slice(1)) logger.info(`Opening file '${f}'.`);

  try {
    mkdirSync(options.runtimeDir, { recursive: true });
  } catch (e) {
    logger.error(`Cannot create runtime directory ${options.runtimeDir}: ${(e as Error).message}`);
    logger.close();
    return EXIT_FATAL;
  }
  const pidFiles = [
    options.pidFile,
    ...(options.runVrrp && options.vrrpPidFile ? [options.vrrpPidFile] : []),
  ];
  for (const p of pidFiles) {
    const w = writePidFile(p);
    if (!w.ok) {
      logger.error(w.error);
      for (const q of pidFiles) if (q !== p) removePidFile(q);
      logger.close();
      return EXIT_FATAL;
    }
  }

  const subsystems: Subsystem[] = [];
  let exitCode = EXIT_OK;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info('Stopping');
    // Stop in reverse start order; one subsystem failing to stop must not keep the others.
    for (const s of [...subsystems].reverse()) {
      try {
        await s.stop();
      } catch (e) {
        logger.error(`${s.name}: stop failed: ${(e as Error).message}`);
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
    const text = subsystems
      .map(pick)
      .filter((t): t is string => t !== undefined)
      .join('');
    try {
      writeFileSync(path, text, { mode: 0o644 });
    } catch (e) {
      logger.info(`Can't open ${path} (${(e as Error).message})`);
    }
  };
  const removeSignals = installSignalHandlers({
    stop: () => void stopAll(),
    reload: () => logger.warn('Reloading is not supported yet - ignoring SIGHUP'),
    dumpData: () => writeDump('keepalived.data', config.globalDefs.stateFileLocation, (s) => s.dataText?.()),
    dumpStats: () =>
      writeDump('keepalived.stats', config.globalDefs.statsFileLocation, (s) => s.statsText?.()),
  });

  try {
    for (const factory of factories) {
      const s = await factory(config, options, logger);
      if (s !== null) subsystems.push(s);
    }
    for (const s of subsystems) s.start();
  } catch (e) {
    logger.error(`Startup failed: ${(e as Error).message}`);
    exitCode = EXIT_FATAL;
    void stopAll();
  }
  if (exitCode === EXIT_OK) logger.info('Startup complete');
  // Keeps the event loop alive while the daemon has nothing else scheduled (e.g. no instances).
  const keepAlive = setInterval(() => {}, 1 << 30);
  await done;
  clearInterval(keepAlive);
  removeSignals();
  for (const p of pidFiles) removePidFile(p);
  logger.info(`Stopped Keepalived-ts v${VERSION}`);
  logger.close();
  return exitCode;
}
