/**
 * Composition of the VRRP subsystem: the VrrpPlatform port (vrrp/ports.ts) from the host adapters
 * (net/vrrp-host.ts), the shared advert channels (vrrp/channels.ts) over its raw sockets and the
 * notify scripts (vrrp/notify.ts) over its script runner; then the engine, and the subsystem
 * object the daemon starts, reloads and stops. Only daemon/ joins vrrp/ and net/.
 */
import type { Config } from '../config/model.js';
import { openVrrpHost } from '../net/vrrp-host.js';
import { VrrpVmacs } from './vrrp-vmacs.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { VrrpStatus } from '../contracts/status.js';
import { VrrpChannelHub } from '../vrrp/channels.js';
import { vrrpDataText, vrrpJsonEntries, type DumpHost } from '../vrrp/dumps.js';
import { readHostInterfaces } from '../net/interface-dump.js';
import { realProgramPath, scriptIdsFor, type DumpSource } from './dump-files.js';
import { VrrpEngine } from '../vrrp/engine.js';
import type { StateChange } from '../vrrp/instance.js';
import { ScriptNotifier } from '../vrrp/notify.js';
import type { VrrpPlatform } from '../vrrp/ports.js';
import { vrrpStatus } from '../vrrp/status.js';
import type { MetricsHooks } from './metrics-sources.js';

export interface VrrpSubsystem {
  start(): void;
  stop(options: { readonly keepVips: boolean }): Promise<void>;
  /** SIGHUP: matched instances keep their state (engine.reload). */
  reload(config: Config): Promise<void>;
  /** Every MASTER adverts now (a reload is about to parse the config). */
  advertNow(): void;
  /** keepalived.data (after its Global definitions), .stats and .json; STATS_CLEAR. */
  readonly dumps: DumpSource;
  counters(): Record<string, Record<string, number>>;
  /** The status model's VRRP part (docs/control.md). */
  status(): VrrpStatus;
  /**
   * The operator's standby (true) / resume (false) for one instance or all (null); the names it
   * applied to, or null for an unknown instance.
   */
  setStandby(instance: string | null, standby: boolean): string[] | null;
}

export interface VrrpSubsystemHooks {
  /** Every instance's state change, for the daemon to route (LVS sync daemon). */
  readonly onStateChange?: (change: StateChange) => void;
  /** --metrics-listen: the engine's reports and the Adver_Timer lateness go to the metrics. */
  readonly metrics?: MetricsHooks;
}

export async function createVrrpSubsystem(
  config: Config,
  clock: Clock,
  logger: Logger,
  hooks: VrrpSubsystemHooks = {},
): Promise<VrrpSubsystem> {
  let currentConfig = config;
  const host = await openVrrpHost(logger, () => currentConfig.globalDefs.scriptUser);
  // use_vmac: the VMACs exist before the engine opens a channel on one or adds a VIP to it.
  const vmacs = VrrpVmacs.open(logger, host.links);
  await vmacs.add(config);
  const hub = new VrrpChannelHub({
    openSocket: (o) => host.openSocket(o),
    links: host.links,
    logger,
    logUnknownVrids: config.globalDefs.logUnknownVrids,
  });
  if (
    config.vrrpScripts.length > 0 ||
    config.vrrpInstances.some((i) => i.notify.master || i.notify.generic)
  ) {
    for (const w of host.scripts.warnings()) logger.warn(w);
  }
  const platform: VrrpPlatform = {
    links: host.links,
    vips: host.vips,
    garp: host.garp,
    notifier: new ScriptNotifier(host.scripts, logger),
    scripts: host.scripts,
    primaryAddress: (ifname, exclude) => host.primaryAddress(ifname, exclude),
    openChannel: (o) => hub.open(o),
    initFile: (path, value, overwrite) => host.initFile(path, value, overwrite),
    watchFile: (path, fn) => host.watchFile(path, fn),
  };

  const metrics = hooks.metrics;
  const engine = await VrrpEngine.create(config, {
    clock,
    logger,
    platform,
    ...(metrics !== undefined
      ? { onAdvertTimer: (i: string, ms: number) => metrics.advertTimer(i, ms) }
      : {}),
  });
  const detachMetrics = metrics?.attachVrrp({
    reports: () => engine.reports(),
    scripts: () => engine.scriptReports(),
    clockNow: () => clock.now(),
  });
  const dumpHost = (): DumpHost => ({
    ids: scriptIdsFor(currentConfig),
    programOf: (p) => realProgramPath(p),
  });
  if (hooks.onStateChange) engine.onStateChange(hooks.onStateChange);
  return {
    start: () => engine.start(),
    reload: async (next) => {
      currentConfig = next;
      await vmacs.add(next);
      await engine.reload(next);
      await vmacs.prune(next);
    },
    advertNow: () => engine.advertNow(),
    stop: async ({ keepVips }) => {
      detachMetrics?.();
      await engine.stop({ keepVips });
      hub.closeAll();
      await vmacs.stop(keepVips);
      host.close();
    },
    dumps: {
      process: 'vrrp',
      dataText: async () => {
        // The state as the signal found it; the interfaces as the kernel reports them then.
        const snapshot = engine.dumpSnapshot({ clock: clock.now(), wall: Date.now() });
        const interfaces = await readHostInterfaces().catch((e: unknown) => {
          logger.info(`Cannot read the interfaces for the data file: ${(e as Error).message}`);
          return [];
        });
        return vrrpDataText(snapshot, interfaces, dumpHost());
      },
      statsText: () => engine.statsText(),
      jsonEntries: () =>
        vrrpJsonEntries(engine.dumpSnapshot({ clock: clock.now(), wall: Date.now() }), dumpHost()),
      clearStats: () => engine.clearStats(),
    },
    counters: () => engine.counters(),
    status: () => vrrpStatus(engine.reports(), { clock: clock.now(), wall: Date.now() }),
    setStandby: (instance, standby) => engine.setStandby(instance, standby),
  };
}
