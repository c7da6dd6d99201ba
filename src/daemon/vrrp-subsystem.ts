/**
 * Composition of the VRRP subsystem: the VrrpPlatform port (vrrp/ports.ts) from the host adapters
 * (net/vrrp-host.ts), the shared advert channels (vrrp/channels.ts) over its raw sockets and the
 * notify scripts (vrrp/notify.ts) over its script runner, with the notify FIFOs beside them
 * (notify-fifos.ts, lines from vrrp/fifo-lines.ts); then the engine, and the subsystem object the
 * daemon starts, reloads and stops. Only daemon/ joins vrrp/ and net/.
 */
import { readUptimeSeconds } from '../net/uptime.js';
import { hmacSha256 } from '../net/hmac.js';
import type { Config } from '../config/model.js';
import { openVrrpHost } from '../net/vrrp-host.js';
import { VrrpVmacs } from './vrrp-vmacs.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { VrrpStatus } from '../contracts/status.js';
import { VrrpChannelHub } from '../vrrp/channels.js';
import { vrrpDataText, vrrpJsonDocument, type DumpHost } from '../vrrp/dumps.js';
import { readHostInterfaces } from '../net/interface-dump.js';
import { realProgramPath, scriptIdsFor, type DumpSource } from './dump-files.js';
import { VrrpEngine } from '../vrrp/engine.js';
import type { StateChange } from '../vrrp/instance.js';
import { StaticEntries } from '../vrrp/static-entries.js';
import { matchesRule, RuleMonitor } from '../net/ip-rules.js';
import { reloadStateLines, vrrpFifoLine } from '../vrrp/fifo-lines.js';
import { ScriptNotifier } from '../vrrp/notify.js';
import type { Notifier, VrrpPlatform } from '../vrrp/ports.js';
import { NotifyFifoSet } from './notify-fifos.js';
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
  /** notify_fifo's script is started here (false: the LVS subsystem starts it). Default true. */
  readonly runsGlobalFifoScript?: boolean;
  /** -u (null: keepalived's default 0177): the mode of the FIFOs created. */
  readonly umask?: number | null;
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
  // notify_fifo and vrrp_notify_fifo: opened before the engine starts, reopened at each reload.
  const openFifos = (c: Config): NotifyFifoSet =>
    NotifyFifoSet.open(c, 'vrrp', {
      logger,
      runsGlobalScript: hooks.runsGlobalFifoScript ?? true,
      umask: hooks.umask ?? null,
    });
  let fifos = openFifos(config);
  const scripts = new ScriptNotifier(host.scripts, logger);
  // The FIFO lines in keepalived's order (vrrp_notify.c, vrrp_scheduler.c vrrp_init_state): an
  // instance's line when it changes state, before its sync group's; at start-up a group's first
  // state before its members' first lines. A group's line, a master's MASTER_RX_LOWER_PRI and the
  // priority changes come from the notifier, after the scripts have been started.
  const notifier: Notifier = {
    notify: (kind, name, state, priority, which) => {
      const done = scripts.notify(kind, name, state, priority, which);
      if (
        kind === 'GROUP' ||
        (state !== 'MASTER' && state !== 'BACKUP' && state !== 'FAULT' && state !== 'STOP')
      )
        fifos.write(vrrpFifoLine(kind, name, state, priority));
      return done;
    },
  };
  // An instance's first line waits for the end of the turn, so the sync groups' first lines
  // (written as the groups leave INIT) go before it; the lines after it keep their order.
  let pending: string[] | null = null;
  const instanceLine = (change: StateChange): void => {
    const line = vrrpFifoLine('INSTANCE', change.instance, change.to, change.priority);
    if (change.from !== 'INIT' && pending === null) return fifos.write(line);
    if (pending === null) {
      const lines: string[] = (pending = []);
      queueMicrotask(() => {
        pending = null;
        for (const l of lines) fifos.write(l);
      });
    }
    pending.push(line);
  };
  const platform: VrrpPlatform = {
    links: host.links,
    vips: host.vips,
    garp: host.garp,
    notifier,
    scripts: host.scripts,
    primaryAddress: (ifname, exclude) => host.primaryAddress(ifname, exclude),
    openChannel: (o) => hub.open(o),
    initFile: (path, value, overwrite) => host.initFile(path, value, overwrite),
    watchFile: (path, fn) => host.watchFile(path, fn),
    hmacSha256,
    watchProcesses: (handlers, options) => host.watchProcesses(handlers, options),
  };

  // static_ipaddress / static_routes / static_rules (vrrp/static-entries.ts).
  const statics = new StaticEntries(host.vips, logger);
  let staticsReady: Promise<void> = Promise.resolve();
  // Rule deletions by others, once the static rules are in (start-up deletes leftovers first).
  let ruleMonitor: RuleMonitor | null = null;
  let stopping = false;
  const watchRules = (): void => {
    if (stopping || ruleMonitor !== null) return;
    // netlink_if_address: a tracked static address removed by someone else is added again.
    host.links.onAddressRemoved((r) => {
      if (!stopping) void statics.addressRemoved(r.address, r.ifname, r.prefixLength);
    });
    try {
      ruleMonitor = RuleMonitor.open((kind, rule) => {
        if (kind !== 'delete') return;
        // rule_is_ours: an instance's virtual rules first, then the static ones.
        engine.ruleDeleted((r) => matchesRule(rule, r));
        void statics.ruleDeleted((r) => matchesRule(rule, r));
      });
    } catch (e) {
      logger.error(`Cannot watch the kernel's rules: ${(e as Error).message}`);
    }
  };
  const metrics = hooks.metrics;
  const engine = await VrrpEngine.create(config, {
    clock,
    logger,
    platform,
    uptimeSeconds: readUptimeSeconds,
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
  engine.onStateChange(instanceLine);
  if (hooks.onStateChange) engine.onStateChange(hooks.onStateChange);
  return {
    start: () => {
      engine.start();
      staticsReady = statics.start(currentConfig).then(watchRules);
    },
    reload: async (next) => {
      currentConfig = next;
      // keepalived's reload (vrrp_daemon.c reload_vrrp_thread): the FIFO scripts get SIGTERM, the
      // FIFOs are closed (and removed if created here), then opened again from the new config.
      fifos.terminateScripts();
      fifos.close();
      fifos = openFifos(next);
      const before = engine.dumpSnapshot({ clock: clock.now(), wall: Date.now() });
      await vmacs.add(next);
      await engine.reload(next);
      await staticsReady;
      staticsReady = statics.reload(next);
      await staticsReady;
      if (next.globalDefs.fifoWriteVrrpStatesOnReload) {
        const after = engine.dumpSnapshot({ clock: clock.now(), wall: Date.now() });
        for (const line of reloadStateLines(before, after)) fifos.write(line);
      }
      await vmacs.prune(next);
    },
    advertNow: () => engine.advertNow(),
    stop: async ({ keepVips }) => {
      detachMetrics?.();
      // keepalived's stop: SIGTERM to the scripts (the FIFO's too), then the STOP lines, then
      // the FIFOs are closed.
      fifos.terminateScripts();
      await engine.stop({ keepVips });
      // After the instances' VIPs, whatever --dont-release-vrrp says (vrrp_terminate_phase1),
      // with the rule monitor closed first (kernel_netlink_close_monitor).
      stopping = true;
      ruleMonitor?.close();
      await staticsReady;
      await statics.stop({ dontRelease: keepVips });
      hub.closeAll();
      await vmacs.stop(keepVips);
      host.close();
      fifos.close();
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
        return vrrpDataText(snapshot, interfaces, dumpHost(), statics.dump());
      },
      statsText: () => engine.statsText(),
      jsonEntries: () =>
        vrrpJsonDocument(
          engine.dumpSnapshot({ clock: clock.now(), wall: Date.now() }),
          dumpHost(),
          currentConfig.globalDefs.jsonVersion,
        ),
      clearStats: () => engine.clearStats(),
    },
    counters: () => engine.counters(),
    status: () => vrrpStatus(engine.reports(), { clock: clock.now(), wall: Date.now() }),
    setStandby: (instance, standby) => engine.setStandby(instance, standby),
  };
}
