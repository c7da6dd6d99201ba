/**
 * SIGHUP (docs/behaviour.md §2.7): re-read and validate the config; if it cannot be loaded
 * (a fatal diagnostic, a missing file) the old config keeps running and the reason is logged -
 * a reload never stops the daemon. A config that loads is handed to every running subsystem
 * (`reload`), which migrates keyed by identity: the checker pool keeps the state of matched real
 * servers and IPVS is reconciled with no flush; VRRP instances matched by keepalived's identity
 * keep their state. A subsystem the new config newly needs is built and started; one whose part
 * of the config is now empty reloads to nothing (it stays built for a later reload).
 *
 * sd_notify: RELOADING=1 before, READY=1 after (also after a refused reload: the service is up).
 */
import { logDiagnostics } from '../config/diagnostics-format.js';
import { loadConfigFor } from './config-check.js';
import type { Diagnostic } from '../config/diagnostics.js';
import type { Config } from '../config/model.js';
import type { Logger } from '../util/log.js';
import type { DaemonOptions } from './cli.js';
import type { SubsystemContext, SubsystemSet } from './subsystem.js';
import type { SystemdNotifier } from './systemd.js';
import { logConfigDump } from './dump-conf.js';
import { hostGlobalContext } from './dump-files.js';

export interface ReloadContext {
  readonly options: DaemonOptions;
  readonly logger: Logger;
  readonly systemd: SystemdNotifier;
  readonly current: Config;
  readonly subsystems: SubsystemSet;
  readonly contextFor: (config: Config) => SubsystemContext;
  readonly isStopping: () => boolean;
  /** The new config's diagnostics, for a reload that answers (`keepalived-ts reload`). */
  readonly onDiagnostics?: (diagnostics: readonly Diagnostic[]) => void;
  /** Called with the new config before the subsystems take it (the open-file limit). */
  readonly beforeApply?: (config: Config) => void;
}

/** Loads the config for a reload; null (and the reason logged) when the old one must stay. */
export async function loadReloadConfig(
  options: DaemonOptions,
  logger: Logger,
  onDiagnostics?: (diagnostics: readonly Diagnostic[]) => void,
): Promise<Config | null> {
  const loaded = await loadConfigFor(options);
  onDiagnostics?.(loaded.diagnostics);
  logDiagnostics(loaded.diagnostics, options.configFile, logger);
  if (loaded.config === null) {
    logger.error('Reload failed - configuration errors, keeping the running configuration', {
      reload: 'refused',
    });
    return null;
  }
  return loaded.config;
}

/** Runs one reload; returns the config now running (null: unchanged). */
export async function reloadDaemon(ctx: ReloadContext): Promise<Config | null> {
  const { logger, systemd, options } = ctx;
  logger.info('Reloading', { reload: 'start' });
  systemd.reloading();
  // A reading of a big config holds the event loop: a master adverts first (and again after).
  ctx.subsystems.beforeReload();
  // One loop turn so those adverts reach the socket before the (synchronous) parse.
  await new Promise<void>((r) => setImmediate(r));
  try {
    logger.info(`Opening file '${options.configFile}'.`);
    const next = await loadReloadConfig(options, logger, ctx.onDiagnostics);
    if (next === null || ctx.isStopping()) return null;
    for (const f of next.files.slice(1)) logger.info(`Opening file '${f}'.`);

    ctx.beforeApply?.(next);
    await ctx.subsystems.reloadAll(next);
    // Subsystems the old config did not need (first virtual server, first instance).
    await ctx.subsystems.buildMissing(ctx.contextFor(next), ctx.isStopping);
    logger.info('Reload complete', { reload: 'complete' });
    if (options.dumpConf) {
      await logConfigDump(next, ctx.subsystems.dumpSources(), logger, hostGlobalContext(options.umask));
    }
    return next;
  } finally {
    systemd.ready('Reload complete');
  }
}
