/**
 * SHELL: the VRRP side of the daemon, built from the config model. A thin coordinator of one
 * instance shell per `vrrp_instance` (instance.ts) and of the parts that feed them, each in its
 * own module: advert channels (channels.ts), vrrp_script trackers (scripts.ts), track_file values
 * (track-files.ts), link state for track_interface (the platform), vrrp_sync_groups
 * (sync-groups.ts), reload matching (reload-match.ts) and the dump texts (dumps.ts). The engine
 * owns the instance lifecycle and re-evaluates tracking (tracking.ts) when a tracker changes.
 * All host access goes through the VrrpPlatform port.
 */
import type { Config, IpRule, TrackRef, VrrpInstance } from '../config/model.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { channelKey, channelOptionsFor, socketKeyOf } from './channels.js';
import { VRRP_COUNTER_NAMES } from './counters.js';
import { vrrpStatsText, type InstanceDump, type SocketDump, type VrrpDumpSnapshot } from './dumps.js';
import { VrrpInstanceShell, type InstanceDetail, type InstanceStatus, type StateChange } from './instance.js';
import { paramsFromConfig } from './params.js';
import type { AddressRemoval, ChannelOptions, VrrpIo, VrrpPlatform } from './ports.js';
import { matchInstances } from './reload-match.js';
import { VrrpScriptTrackers } from './scripts.js';
import { SyncGroups, type SyncGroupEntry } from './sync-groups.js';
import { TrackFileValues } from './track-files.js';
import { TrackProcessQuorums } from './track-processes.js';
import {
  evaluateTracking,
  trackedItemsOf,
  trackerEffect,
  type TrackedItem,
  type TrackerEffect,
} from './tracking.js';

interface InstanceEntry {
  config: VrrpInstance;
  readonly shell: VrrpInstanceShell;
  group: SyncGroupEntry | null;
  lastPriority: number;
  lastFault: string | null;
  /**
   * The channel options the shell's channel was opened with, their key, and the index its
   * interface had then (null: none).
   */
  channel: { key: string; options: ChannelOptions; ifindex: number | null };
}

/** One instance as the control socket's status shows it (vrrp/status.ts renders it). */
export interface InstanceReport {
  readonly config: VrrpInstance;
  readonly detail: InstanceDetail;
  /** The advert source address in use (our address as master). */
  readonly sourceAddress: string;
  readonly advertIntervalMs: number;
  readonly trackers: readonly { readonly item: TrackedItem; readonly effect: TrackerEffect }[];
}

export interface EngineDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly platform: VrrpPlatform;
  /** Every Adver_Timer's lateness against its deadline (ms), for the metrics. */
  readonly onAdvertTimer?: (instance: string, latenessMs: number) => void;
  /** Seconds since boot (/proc/uptime), for vrrp_delay_after_boot; null when it cannot be read. */
  readonly uptimeSeconds?: () => number | null;
}

/**
 * The start-up wait (seconds): the longer of vrrp_startup_delay and what is left of
 * vrrp_delay_after_boot since boot (keepalived 2.4 global_parser.c takes the larger).
 */
export function startupDelaySeconds(startupDelay: number, afterBoot: number, uptime: number | null): number {
  const sinceBoot = afterBoot > 0 && uptime !== null ? Math.max(0, afterBoot - uptime) : 0;
  return Math.max(startupDelay, sinceBoot);
}

/** A vrrp_script as the metrics show it (keepalived's `Status` and `State` of the data file). */
export interface ScriptReport {
  readonly name: string;
  /** GOOD once the result reached rise (dumps.ts prints the same). */
  readonly good: boolean;
  readonly running: boolean;
}

export class VrrpEngine {
  private readonly instances = new Map<string, InstanceEntry>();
  private readonly scripts: VrrpScriptTrackers;
  private readonly groups: SyncGroups;
  private readonly files: TrackFileValues;
  private readonly processes: TrackProcessQuorums;
  private readonly stateListeners: ((c: StateChange) => void)[] = [];
  private started = false;
  private stopped = false;
  /** vrrp_startup_delay's end (clock ms), null when none; an instance a reload adds waits for it too. */
  private delayedStartAt: number | null = null;

  private constructor(
    private config: Config,
    private readonly deps: EngineDeps,
  ) {
    const { clock, logger, platform } = deps;
    this.scripts = new VrrpScriptTrackers({
      clock,
      logger,
      runner: platform.scripts,
      onTransition: () => this.refreshAll(),
    });
    this.groups = new SyncGroups({
      logger,
      notifier: platform.notifier,
      member: (name) => {
        const m = this.instances.get(name);
        if (m === undefined) return undefined;
        return {
          name: m.config.name,
          state: m.shell.currentState,
          wantState: m.shell.wantState,
          faulty: m.lastFault !== null,
        };
      },
      command: (group, cmd) => this.instances.get(cmd.member)?.shell.sync(group, cmd.to),
    });
    this.files = new TrackFileValues({
      platform,
      logger,
      onChange: () => {
        if (!this.stopped) this.refreshAll();
      },
    });
    this.processes = new TrackProcessQuorums({
      platform,
      clock,
      logger,
      onChange: () => {
        if (!this.stopped) this.refreshAll();
      },
    });
  }

  /** Every instance's state changes (the daemon routes them, e.g. to the LVS sync daemon). */
  onStateChange(fn: (c: StateChange) => void): void {
    this.stateListeners.push(fn);
  }

  /**
   * Builds every instance: removes VIPs a crashed run left behind, picks the advert source,
   * opens the channel. Instances that cannot run are logged and left out.
   */
  static async create(config: Config, deps: EngineDeps): Promise<VrrpEngine> {
    const engine = new VrrpEngine(config, deps);
    await engine.build();
    return engine;
  }

  private async build(): Promise<void> {
    this.groups.update(this.config.vrrpSyncGroups);
    this.scripts.update(this.config);
    for (const instance of this.config.vrrpInstances) {
      const entry = await this.buildInstance(instance);
      if (entry !== null) this.instances.set(instance.name, entry);
    }
  }

  /** Channel options of an instance; null (logged) when it has no usable source address. */
  private async channelOptions(instance: VrrpInstance): Promise<ChannelOptions | null> {
    const { platform, logger } = this.deps;
    const options = await channelOptionsFor(instance, this.config.globalDefs.vrrpMcastGroup4, (ifname, own) =>
      platform.primaryAddress(ifname, own),
    );
    if (options === null) {
      logger.error(
        `(${instance.name}) Cannot find an IP address to use for interface ${instance.interface ?? '(none)'}`,
      );
    }
    return options;
  }

  /** One instance: removes VIPs a crashed run left behind, opens its channel, builds its shell. */
  private async buildInstance(instance: VrrpInstance): Promise<InstanceEntry | null> {
    const { platform, logger } = this.deps;
    const name = instance.name;
    if (instance.interface !== null && platform.links.current(instance.interface) === null) {
      logger.error(`(${name}) interface ${instance.interface} doesn't exist - instance not started`);
      return null;
    }
    // vrrp_restore_interfaces_startup: rules a crashed run left go first (a missing one is no error).
    if (instance.virtualRules.length > 0) {
      logger.detail(`(${name}) removing Virtual Rules`);
      const out = await platform.vips.removeRules(instance.virtualRules);
      for (const e of out.errors) logger.error(`(${name}) ${e}`);
    }
    const all = [...instance.vips, ...instance.excludedVips];
    // keepalived removes its VIPs left by a crashed run before it starts (#2387 logs).
    const leftovers = await platform.vips.present(all);
    if (leftovers.length > 0) {
      logger.detail(`(${name}) removing VIPs.`);
      const out = await platform.vips.removeAddresses(leftovers);
      for (const e of out.errors) logger.error(`(${name}) ${e}`);
    }
    const options = await this.channelOptions(instance);
    if (options === null) return null;
    let io: VrrpIo;
    try {
      io = platform.openChannel(options);
    } catch (e) {
      logger.error(`(${name}) cannot open VRRP socket: ${(e as Error).message}`);
      return null;
    }
    const params = paramsFromConfig(
      instance,
      this.config.globalDefs,
      options.sourceAddress,
      this.config.vrrpSyncGroups.find((g) => g.name === instance.syncGroup) ?? null,
    );
    const shell = new VrrpInstanceShell(instance, params, {
      clock: this.deps.clock,
      io,
      vips: platform.vips,
      garp: platform.garp,
      notifier: platform.notifier,
      logger,
      ...(this.deps.onAdvertTimer ? { onAdvertTimer: this.deps.onAdvertTimer } : {}),
      ...(platform.hmacSha256 ? { hmacSha256: platform.hmacSha256 } : {}),
    });
    const group = this.groups.get(instance.syncGroup);
    const entry: InstanceEntry = {
      config: instance,
      shell,
      group,
      lastPriority: params.basePriority,
      lastFault: null,
      channel: { key: channelKey(options), options, ifindex: this.ifindexOf(options) },
    };
    shell.onStateChange((c) => this.onInstanceStateChange(entry, c));
    if (group !== null) shell.setSyncGate(() => this.groups.canGoToMaster(group, instance.name));
    return entry;
  }

  /**
   * Starts trackers and instances. Tracking known before startup is fed first (FAULT at init).
   * vrrp_startup_delay (vrrp_daemon.c start_vrrp, not at a reload): logged, and no instance takes
   * over before it ends; the instances still enter BACKUP (init) and read adverts meanwhile.
   */
  start(): void {
    const { platform, logger, clock } = this.deps;
    this.started = true;
    const g = this.config.globalDefs;
    const delay = startupDelaySeconds(
      g.vrrpStartupDelay,
      g.vrrpDelayAfterBoot,
      g.vrrpDelayAfterBoot > 0 ? (this.deps.uptimeSeconds?.() ?? null) : null,
    );
    if (delay > 0) {
      this.delayedStartAt = clock.now() + delay * 1000;
      logger.info(`Delaying startup for ${String(Number(delay.toPrecision(6)))} seconds`);
    }
    this.files.watch(this.config.trackFiles);
    this.processes.watch(this.config.trackProcesses);
    platform.links.onChange((link) => {
      if (this.stopped) return;
      this.reopenChannels(link.name, link.ifindex);
      this.refreshAll();
    });
    platform.links.onAddressRemoved?.((removal) => {
      if (!this.stopped) this.onAddressRemoved(removal);
    });
    for (const entry of this.instances.values()) {
      this.refresh(entry, true);
      entry.shell.start(this.startDelay());
    }
    this.scripts.startAll();
  }

  private startDelay(): number | undefined {
    const at = this.delayedStartAt;
    if (at === null || at <= this.deps.clock.now()) return undefined;
    return at;
  }

  /** Every MASTER sends one advert now (the daemon calls this when a reload begins). */
  advertNow(): void {
    for (const e of this.instances.values()) e.shell.advertNow();
  }

  /**
   * Reload (docs/behaviour.md §2.7). Instances are matched by keepalived's identity
   * (config/identity.ts), not by name: a matched one keeps its state and applies the new config
   * (a MASTER stays MASTER, adverts at once, applies VIP differences). An old instance with no
   * match stops as at shutdown (a MASTER sends priority 0 and removes its VIPs) but notifies
   * FAULT, or DELETED with notify_deleted, instead of STOP; a new one starts
   * in INIT -> BACKUP. vrrp_script trackers carry over when name, command and user are equal
   * (keepalived 2.2.7 matches by name alone; docs/behaviour.md §2.7 records the difference).
   */
  async reload(next: Config): Promise<void> {
    if (this.stopped) return;
    const { logger, platform } = this.deps;
    const oldInstances = [...this.instances.values()];
    this.config = next;

    // Sync groups of the same name keep their state; carried script trackers keep running.
    this.groups.update(next.vrrpSyncGroups);
    this.scripts.update(next);

    const { matched, added, removed } = matchInstances(
      oldInstances,
      next.vrrpInstances,
      next.globalDefs.vrrpMcastGroup4,
    );

    // Removed first, so a VIP that moved to another instance is free. keepalived notifies them
    // FAULT, or DELETED with notify_deleted (vrrp.c clear_diff_vrrp); the sync groups are the new
    // config's, so the removed member's last change reaches none.
    // One after the other, so the notifies and FIFO lines come in the old config's order.
    for (const e of removed) {
      e.group = null;
      await e.shell.delete();
    }
    this.instances.clear();

    for (const { entry, config } of matched) {
      const options = await this.channelOptions(config);
      if (options === null) {
        await entry.shell.stop();
        continue;
      }
      let io: VrrpIo | null = null;
      const key = channelKey(options);
      if (key !== entry.channel.key) {
        try {
          io = platform.openChannel(options);
          entry.channel = { key, options, ifindex: this.ifindexOf(options) };
        } catch (e) {
          logger.error(`(${config.name}) cannot open VRRP socket: ${(e as Error).message}`);
        }
      }
      const params = paramsFromConfig(
        config,
        next.globalDefs,
        io !== null ? options.sourceAddress : entry.shell.params.sourceAddress,
        next.vrrpSyncGroups.find((g) => g.name === config.syncGroup) ?? null,
      );
      entry.config = config;
      entry.group = this.groups.get(config.syncGroup);
      const group = entry.group;
      if (group !== null) entry.shell.setSyncGate(() => this.groups.canGoToMaster(group, config.name));
      entry.shell.reconfigure(config, params, io);
      this.instances.set(config.name, entry);
    }
    const fresh: InstanceEntry[] = [];
    for (const i of added) {
      const entry = await this.buildInstance(i);
      if (entry === null) continue;
      this.instances.set(i.name, entry);
      fresh.push(entry);
    }

    // Track files are watched afresh (the watch reports the current value at once).
    this.files.clear();
    if (this.started) this.files.watch(next.trackFiles);
    if (this.started) this.processes.watch(next.trackProcesses);

    // New priorities and faults from the new weights, then the new instances start.
    // A matched MASTER adverts at once with its new priority, so the peer's master-down timer
    // restarts right after the reload.
    for (const { entry } of matched) {
      if (this.instances.get(entry.config.name) !== entry) continue;
      this.refresh(entry);
      entry.shell.advertNow();
    }
    if (this.started) {
      for (const entry of fresh) {
        this.refresh(entry, true);
        entry.shell.start(this.startDelay());
      }
      this.scripts.startIdle();
    }
  }

  async stop(options: { readonly keepVips?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.scripts.stop();
    this.files.close();
    this.processes.close();
    await Promise.all([...this.instances.values()].map((e) => e.shell.stop(options)));
    await this.groups.notifyStop();
  }

  status(): InstanceStatus[] {
    return [...this.instances.values()].map((e) => e.shell.status());
  }

  /** Every instance with its trackers' current effect, for the control socket's status. */
  reports(): InstanceReport[] {
    return [...this.instances.values()].map((entry) => {
      const options = {
        instance: entry.config.name,
        ignoreWeights: entry.group !== null && !entry.group.config.syncGroupTrackingWeight,
      };
      return {
        config: entry.config,
        detail: entry.shell.detail(),
        sourceAddress: entry.shell.params.sourceAddress,
        advertIntervalMs: entry.shell.params.advertIntSec * 1000,
        trackers: this.trackedItems(entry).map((item) => ({ item, effect: trackerEffect(item, options) })),
      };
    });
  }

  /** Every vrrp_script's status and whether it is running now (metrics). */
  scriptReports(): ScriptReport[] {
    return this.scripts.details().map((d) => ({
      name: d.config.name,
      good: d.tracker.result >= d.config.rise,
      running: d.running,
    }));
  }

  /**
   * The operator's standby (true) or resume (false) for one instance by name, or for every
   * instance (null). Returns the names of the instances it applies to, or null for an unknown name.
   */
  setStandby(name: string | null, standby: boolean): string[] | null {
    const entries = name === null ? [...this.instances.values()] : [this.instances.get(name)];
    if (entries.some((e) => e === undefined)) return null;
    for (const e of entries) e!.shell.setStandby(standby);
    return entries.map((e) => e!.config.name);
  }

  /** keepalived's /tmp/keepalived.stats layout (vrrp_print.c), one block per instance. */
  statsText(): string {
    return vrrpStatsText(
      [...this.instances.values()].map((e) => ({
        ...e.shell.status(),
        authHmac: (e.shell.config.authHmac ?? null) !== null,
      })),
    );
  }

  /** SIGRTMAX-1: every instance's statistics back to zero. */
  clearStats(): void {
    for (const e of this.instances.values()) e.shell.clearCounters();
  }

  /**
   * What the dump files show (vrrp/dumps.ts), clock times turned into wall-clock times through
   * `now` (the clock's and the wall clock's readings at this moment).
   */
  dumpSnapshot(now: { readonly clock: number; readonly wall: number }): VrrpDumpSnapshot {
    const wall = (clockMs: number): number => now.wall - (now.clock - clockMs);
    const sockets: SocketDump[] = [];
    const socketIndex = new Map<string, number>();
    const instances: InstanceDump[] = [];
    const trackedBy = {
      script: new Map<string, { name: string; weight: number; reverse: boolean }[]>(),
      file: new Map<string, { name: string; weight: number; reverse: boolean }[]>(),
      process: new Map<string, { name: string; weight: number; reverse: boolean }[]>(),
    };
    for (const entry of this.instances.values()) {
      const c = entry.config;
      const o = entry.channel.options;
      const skey = socketKeyOf(o);
      let index = socketIndex.get(skey);
      if (index === undefined) {
        index = sockets.length;
        socketIndex.set(skey, index);
        sockets.push({
          interfaceName: o.interfaceName,
          unicastSource: o.multicastGroup === null ? o.sourceAddress : null,
          multicastGroup: o.multicastGroup,
          instances: [],
        });
      }
      (sockets[index]!.instances as { name: string; vrid: number }[]).push({
        name: c.name,
        vrid: c.virtualRouterId,
      });
      const detail = entry.shell.detail();
      const extra = entry.shell.dumpDetail();
      const options = {
        instance: c.name,
        ignoreWeights: entry.group !== null && !entry.group.config.syncGroupTrackingWeight,
      };
      const effects = this.trackedItems(entry).map((item) => ({
        item,
        effect: trackerEffect(item, options),
      }));
      // keepalived drops a track_interface on the instance's own interface, and in a sync group
      // without sync_group_tracking_weight every weighted tracker (vrrp_parser.c, vrrp.c).
      const kept = (refs: readonly TrackRef[], isOwn: (r: TrackRef) => boolean = () => false): TrackRef[] =>
        refs.filter((r) => !isOwn(r) && !(options.ignoreWeights && r.weight !== 0));
      const trackScripts = kept(c.trackScripts);
      const trackFiles = kept(c.trackFiles);
      const trackProcesses = kept(c.trackProcesses);
      const trackInterfaces = kept(c.trackInterfaces, (r) => r.name === c.interface);
      for (const [map, refs] of [
        [trackedBy.script, trackScripts],
        [trackedBy.file, trackFiles],
        [trackedBy.process, trackProcesses],
      ] as const) {
        for (const r of refs)
          map.set(r.name, [
            ...(map.get(r.name) ?? []),
            { name: c.name, weight: r.weight, reverse: r.reverse },
          ]);
      }
      instances.push({
        config: c,
        state: detail.state,
        wantState: detail.wantState,
        masterAddress: detail.masterAddress,
        masterPriority: detail.masterPriority ?? 0,
        effectivePriority: detail.effectivePriority,
        basePriority: detail.basePriority,
        totalPriority: detail.basePriority + effects.reduce((sum, e) => sum + e.effect.contribution, 0),
        sourceAddress: entry.shell.params.sourceAddress,
        multicastGroup: o.multicastGroup,
        lastTransitionAt: wall(detail.stateSince),
        readTimeoutAt: extra.nextTimerAt === null ? null : wall(extra.nextTimerAt),
        trackerFaults: effects.filter((e) => e.effect.fault !== null).length,
        notifyPriorityChanges: entry.shell.params.notifyPriorityChanges,
        scriptsInit: effects.filter((e) => e.item.kind === 'script' && e.item.status === 'init').length,
        vipsSet: extra.vipsSet,
        counters: detail.counters,
        socket: index + 1,
        trackScripts,
        trackInterfaces,
        trackFiles,
        trackProcesses,
      });
    }
    const syncGroups = this.config.vrrpSyncGroups.flatMap((g) => {
      const entry = this.groups.get(g.name);
      if (entry === null) return [];
      const members = g.group.map((m) => this.instances.get(m)).filter((m) => m !== undefined);
      return [
        {
          config: g,
          state: entry.state,
          memberFaults: members.filter((m) => m.shell.currentState === 'FAULT').length,
          membersInit: members.filter((m) => m.shell.currentState === 'INIT').length,
        },
      ];
    });
    for (const g of this.config.vrrpSyncGroups) {
      for (const r of g.trackScripts) {
        for (const m of g.group) {
          trackedBy.script.set(r.name, [
            ...(trackedBy.script.get(r.name) ?? []),
            { name: m, weight: r.weight, reverse: r.reverse },
          ]);
        }
      }
    }
    const scripts = this.scripts
      .details()
      .filter((s) => trackedBy.script.has(s.config.name))
      .map((s) => ({ ...s, trackedBy: trackedBy.script.get(s.config.name) ?? [] }));
    const trackFiles = this.config.trackFiles.map((f) => ({
      name: f.name,
      file: f.file,
      value: this.files.value(f.name),
      weight: f.weight,
      weightReverse: f.weightReverse,
      trackedBy: trackedBy.file.get(f.name) ?? [],
    }));
    const trackProcesses = this.config.trackProcesses.map((t) => ({
      config: t,
      count: this.processes.count(t.name),
      haveQuorum: this.processes.haveQuorum(t.name),
      forkTimer: this.processes.timerRunning(t.name, 'fork'),
      terminateTimer: this.processes.timerRunning(t.name, 'terminate'),
      trackedBy: trackedBy.process.get(t.name) ?? [],
    }));
    return { instances, sockets, syncGroups, scripts, trackFiles, trackProcesses };
  }

  /** Every counter by instance, for the JSON dump and tests. */
  counters(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const s of this.status()) {
      out[s.name] = Object.fromEntries(VRRP_COUNTER_NAMES.map((n) => [n, s.counters[n]]));
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Tracking

  private trackedItems(entry: InstanceEntry): TrackedItem[] {
    const links = this.deps.platform.links;
    return trackedItemsOf(entry.config, entry.group?.config ?? null, {
      scriptStatus: (name) => this.scripts.status(name),
      linkUp: (name) => links.current(name)?.up === true,
      fileValue: (name) => this.files.value(name),
      processQuorum: (name) => this.processes.haveQuorum(name),
    });
  }

  private refresh(entry: InstanceEntry, initial = false): void {
    const items = this.trackedItems(entry);
    const ignoreWeights = entry.group !== null && !entry.group.config.syncGroupTrackingWeight;
    const result = evaluateTracking(entry.config.priority, items, {
      instance: entry.config.name,
      ignoreWeights,
    });
    if (result.priority === entry.lastPriority && result.fault === entry.lastFault && !initial) return;
    if (initial && result.priority === entry.lastPriority && result.fault === null) return;
    const logFault = result.faultLog !== null && (initial || result.faultLogAtStartOnly !== true);
    if (result.fault !== null && result.fault !== entry.lastFault && logFault) {
      this.deps.logger.info(result.faultLog);
    }
    entry.lastPriority = result.priority;
    entry.lastFault = result.fault;
    entry.shell.setTracking(result.priority, result.fault);
  }

  private refreshAll(): void {
    for (const entry of this.instances.values()) this.refresh(entry);
  }

  private ifindexOf(options: ChannelOptions): number | null {
    if (options.interfaceName === null) return null;
    return this.deps.platform.links.current(options.interfaceName)?.ifindex ?? null;
  }

  /**
   * An instance's interface deleted and created again has a new index: its channel (bound to the
   * old one) is opened again on the new one (keepalived: cleanup_lost_interface closes the
   * sockets, update_added_interface -> setup_interface opens them). The deletion itself puts the
   * instance in FAULT through tracking (the link is gone, so not up).
   */
  private reopenChannels(ifname: string, ifindex: number): void {
    for (const entry of this.instances.values()) {
      const channel = entry.channel;
      if (channel.options.interfaceName !== ifname || channel.ifindex === ifindex) continue;
      if (this.deps.platform.links.current(ifname)?.ifindex !== ifindex) continue;
      try {
        const io = this.deps.platform.openChannel(channel.options);
        entry.channel = { ...channel, ifindex };
        this.deps.logger.detail(
          `(${entry.config.name}) reopening VRRP socket on ${ifname} (index ${ifindex})`,
        );
        entry.shell.reconfigure(entry.config, entry.shell.params, io);
      } catch (e) {
        this.deps.logger.error(`(${entry.config.name}) cannot open VRRP socket: ${(e as Error).message}`);
      }
    }
  }

  /**
   * keepalived (core/keepalived_netlink.c netlink_if_address, address_is_ours): a tracked VIP or
   * eVIP of a MASTER removed from its interface makes that MASTER go BACKUP, to take over again
   * after Skew_Time with its VIPs (set_vrrp_backup). Our own removals happen after leaving
   * MASTER, or are of VIPs a reload dropped from the config, so they match nothing here.
   */
  /**
   * The kernel deleted a rule `isThis` recognises (keepalived_netlink.c netlink_rule_filter,
   * rule_is_ours): a MASTER whose tracked virtual rule it was goes BACKUP, to take over again
   * after Skew_Time (set_vrrp_backup), as for a removed VIP. Our own removals happen after
   * leaving MASTER, or are of rules a reload dropped from the config, so they match nothing.
   */
  ruleDeleted(isThis: (rule: IpRule) => boolean): void {
    if (this.stopped) return;
    for (const entry of this.instances.values()) {
      if (entry.shell.currentState !== 'MASTER') continue;
      const ours = entry.shell.config.virtualRules.find((r) => !r.noTrack && isThis(r));
      if (ours === undefined) continue;
      entry.shell.vipRemoved(`rule ${ours.priority}`);
      return;
    }
  }

  private onAddressRemoved(removal: AddressRemoval): void {
    for (const entry of this.instances.values()) {
      if (entry.shell.currentState !== 'MASTER') continue;
      const config = entry.shell.config;
      // keepalived matches address and interface (addr_is_equal); the prefix as well here, so
      // that a reload changing a VIP's prefix (ours: the old one removed, the new one added) is
      // not taken for someone else's removal.
      const ours = [...config.vips, ...config.excludedVips].find(
        (v) =>
          v.address === removal.address &&
          v.dev === removal.ifname &&
          v.prefixLength === removal.prefixLength,
      );
      if (ours === undefined || ours.noTrack) continue;
      this.deps.logger.detail(
        `Netlink reflector reports IP ${removal.address} removed from ${removal.ifname}`,
      );
      entry.shell.vipRemoved(removal.address);
    }
  }

  private onInstanceStateChange(entry: InstanceEntry, change: StateChange): void {
    for (const fn of this.stateListeners) fn(change);
    const group = entry.group;
    if (group === null || this.stopped) return;
    this.groups.onMemberStateChange(group, change);
  }
}
