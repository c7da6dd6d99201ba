/**
 * SHELL: builds the VRRP side of the daemon from the config model. One instance shell per
 * `vrrp_instance`, the trackers that feed them (vrrp_script runs, track_interface from link
 * events, track_file watches; the arithmetic is tracking.ts) and the vrrp_sync_group wiring
 * (rules in sync-group.ts). All host access goes through the VrrpPlatform port.
 */
import { vrrpInstanceIdentity } from '../config/identity.js';
import type {
  Config,
  ScriptSpec,
  TrackRef,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
} from '../config/model.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { parseTrackFileValue } from '../util/track-file.js';
import { VRRP_COUNTER_NAMES } from './counters.js';
import { notifyScriptFor, VrrpInstanceShell, type InstanceStatus, type StateChange } from './instance.js';
import type { ChannelOptions, ScriptResult, VrrpPlatform } from './ports.js';
import { paramsFromConfig } from './params.js';
import { canGoToMaster, onMemberTransition, type GroupState, type SyncGroupView } from './sync-group.js';
import {
  evaluateTracking,
  initialScriptTracker,
  scriptTrackerStep,
  type ScriptTracker,
  type TrackedItem,
} from './tracking.js';

interface ScriptState {
  config: VrrpScript;
  tracker: ScriptTracker;
  timer: TimerHandle | null;
  running: boolean;
  /** Dropped by a reload: a run in flight must not schedule the next one. */
  removed: boolean;
}

interface GroupEntry {
  config: VrrpSyncGroup;
  state: GroupState;
}

interface InstanceEntry {
  config: VrrpInstance;
  readonly shell: VrrpInstanceShell;
  group: GroupEntry | null;
  lastPriority: number;
  lastFault: string | null;
  /** The channel the shell uses, with the options it was opened with. */
  channel: { key: string };
}

/** The tracker of a script carries over a reload when name, command and user are the same. */
function sameScriptIdentity(a: VrrpScript, b: VrrpScript): boolean {
  return (
    a.name === b.name &&
    a.script === b.script &&
    JSON.stringify(a.argv) === JSON.stringify(b.argv) &&
    a.user === b.user &&
    a.group === b.group
  );
}

export interface EngineDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly platform: VrrpPlatform;
}

function scriptSpecOf(s: VrrpScript): ScriptSpec {
  return { command: s.script, argv: s.argv, user: s.user, group: s.group };
}

export class VrrpEngine {
  private readonly instances = new Map<string, InstanceEntry>();
  private readonly scripts = new Map<string, ScriptState>();
  private readonly groups = new Map<string, GroupEntry>();
  private readonly fileValues = new Map<string, number>();
  private watchers: { close(): void }[] = [];
  private readonly stateListeners: ((c: StateChange) => void)[] = [];
  private started = false;
  private stopped = false;

  private constructor(
    private config: Config,
    private readonly deps: EngineDeps,
  ) {}

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
    for (const g of this.config.vrrpSyncGroups) this.groups.set(g.name, { config: g, state: 'INIT' });
    this.buildScripts(new Map());
    for (const instance of this.config.vrrpInstances) {
      const entry = await this.buildInstance(instance);
      if (entry !== null) this.instances.set(instance.name, entry);
    }
  }

  /** Scripts used by some instance or group; `previous` supplies trackers that carry over. */
  private buildScripts(previous: ReadonlyMap<string, ScriptState>): void {
    const { logger } = this.deps;
    const used = new Set<string>();
    for (const i of this.config.vrrpInstances) for (const r of i.trackScripts) used.add(r.name);
    for (const g of this.config.vrrpSyncGroups) for (const r of g.trackScripts) used.add(r.name);
    for (const s of this.config.vrrpScripts) {
      if (!used.has(s.name)) {
        logger.warn(`Warning - script ${s.name} is not used`);
        continue;
      }
      const old = previous.get(s.name);
      if (old !== undefined && !old.removed && sameScriptIdentity(old.config, s)) {
        old.config = s;
        if (old.tracker.status === 'up')
          logger.info(`VRRP_Script(${s.name}) considered successful on reload`);
        this.scripts.set(s.name, old);
        continue;
      }
      this.scripts.set(s.name, {
        config: s,
        tracker: initialScriptTracker(s),
        timer: null,
        running: false,
        removed: false,
      });
    }
  }

  /** Channel options of an instance; null (logged) when it has no usable source address. */
  private async channelOptions(instance: VrrpInstance): Promise<ChannelOptions | null> {
    const { platform, logger } = this.deps;
    const name = instance.name;
    const all = [...instance.vips, ...instance.excludedVips];
    const own = new Set(all.map((v) => v.address));
    const unicast = instance.unicastPeers.length > 0;
    const source =
      (unicast ? instance.unicastSrcIp : instance.mcastSrcIp) ??
      instance.mcastSrcIp ??
      instance.unicastSrcIp ??
      (instance.interface !== null ? await platform.primaryAddress(instance.interface, own) : null);
    if (source === null) {
      logger.error(
        `(${name}) Cannot find an IP address to use for interface ${instance.interface ?? '(none)'}`,
      );
      return null;
    }
    return {
      interfaceName: instance.interface,
      sourceAddress: source,
      multicastGroup: unicast ? null : this.config.globalDefs.vrrpMcastGroup4,
      unicastPeers: instance.unicastPeers.map((p) => p.address),
      ttl: unicast ? instance.unicastTtl : 255,
      vrid: instance.virtualRouterId,
    };
  }

  /** One instance: removes VIPs a crashed run left behind, opens its channel, builds its shell. */
  private async buildInstance(instance: VrrpInstance): Promise<InstanceEntry | null> {
    const { platform, logger } = this.deps;
    const name = instance.name;
    if (instance.interface !== null && platform.links.current(instance.interface) === null) {
      logger.error(`(${name}) interface ${instance.interface} doesn't exist - instance not started`);
      return null;
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
    let io;
    try {
      io = platform.openChannel(options);
    } catch (e) {
      logger.error(`(${name}) cannot open VRRP socket: ${(e as Error).message}`);
      return null;
    }
    const params = paramsFromConfig(instance, this.config.globalDefs, options.sourceAddress);
    const shell = new VrrpInstanceShell(instance, params, {
      clock: this.deps.clock,
      io,
      vips: platform.vips,
      garp: platform.garp,
      notifier: platform.notifier,
      logger,
    });
    const group = instance.syncGroup !== null ? (this.groups.get(instance.syncGroup) ?? null) : null;
    const entry: InstanceEntry = {
      config: instance,
      shell,
      group,
      lastPriority: params.basePriority,
      lastFault: null,
      channel: { key: JSON.stringify(options) },
    };
    shell.onStateChange((c) => this.onInstanceStateChange(entry, c));
    if (group !== null) shell.setSyncGate(() => canGoToMaster(this.groupView(group), instance.name));
    return entry;
  }

  /** Starts trackers and instances. Tracking known before startup is fed first (FAULT at init). */
  start(): void {
    const { platform } = this.deps;
    this.started = true;
    this.watchTrackFiles();
    platform.links.onChange(() => {
      if (!this.stopped) this.refreshAll();
    });
    for (const entry of this.instances.values()) {
      this.refresh(entry, true);
      entry.shell.start();
    }
    for (const s of this.scripts.values()) this.runScript(s);
  }

  private watchTrackFiles(): void {
    const { platform } = this.deps;
    for (const t of this.config.trackFiles) {
      if (t.initFile !== null) platform.initFile(t.file, t.initFile.value, t.initFile.overwrite);
      this.watchers.push(
        platform.watchFile(t.file, (text) => {
          const parsed = parseTrackFileValue(text);
          if (!parsed.ok) {
            // keepalived ignores the number and keeps the file's previous value.
            this.deps.logger.info(`Invalid number ${parsed.error} read from ${t.file} - ignoring`);
            return;
          }
          this.fileValues.set(t.name, parsed.value);
          if (!this.stopped) this.refreshAll();
        }),
      );
    }
  }

  /** Every MASTER sends one advert now (the daemon calls this when a reload begins). */
  advertNow(): void {
    for (const e of this.instances.values()) e.shell.advertNow();
  }

  /**
   * Reload (keepalived-behaviour.md §2.7). Instances are matched by keepalived's identity
   * (config/identity.ts), not by name: a matched one keeps its state and applies the new config
   * (a MASTER stays MASTER, adverts at once, applies VIP differences). An old instance with no
   * match stops as at shutdown (a MASTER sends priority 0 and removes its VIPs); a new one starts
   * in INIT -> BACKUP. vrrp_script trackers carry over when name, command and user are equal.
   */
  async reload(next: Config): Promise<void> {
    if (this.stopped) return;
    const { logger, platform } = this.deps;
    const oldInstances = [...this.instances.values()];
    const oldScripts = new Map(this.scripts);
    const oldGroups = new Map(this.groups);
    this.config = next;

    // Sync groups: a group of the same name keeps its state.
    this.groups.clear();
    for (const g of next.vrrpSyncGroups) {
      const old = oldGroups.get(g.name);
      if (old !== undefined) {
        old.config = g;
        this.groups.set(g.name, old);
      } else this.groups.set(g.name, { config: g, state: 'INIT' });
    }

    // Scripts: carried trackers keep running on their timers; dropped ones stop.
    this.scripts.clear();
    this.buildScripts(oldScripts);
    for (const s of oldScripts.values()) {
      if (this.scripts.get(s.config.name) === s) continue;
      s.removed = true;
      s.timer?.cancel();
      s.timer = null;
    }

    // Instances by identity.
    const mcast = next.globalDefs.vrrpMcastGroup4;
    const byIdentity = new Map<string, InstanceEntry>();
    for (const e of oldInstances) byIdentity.set(vrrpInstanceIdentity(e.config, mcast), e);
    const matched: { entry: InstanceEntry; config: VrrpInstance }[] = [];
    const added: VrrpInstance[] = [];
    for (const i of next.vrrpInstances) {
      const k = vrrpInstanceIdentity(i, mcast);
      const old = byIdentity.get(k);
      if (old !== undefined) {
        byIdentity.delete(k);
        matched.push({ entry: old, config: i });
      } else added.push(i);
    }
    const removed = [...byIdentity.values()];

    // Removed first, so a VIP that moved to another instance is free.
    await Promise.all(removed.map((e) => e.shell.stop()));
    this.instances.clear();

    for (const { entry, config } of matched) {
      const options = await this.channelOptions(config);
      if (options === null) {
        await entry.shell.stop();
        continue;
      }
      let io = null;
      const key = JSON.stringify(options);
      if (key !== entry.channel.key) {
        try {
          io = platform.openChannel(options);
          entry.channel = { key };
        } catch (e) {
          logger.error(`(${config.name}) cannot open VRRP socket: ${(e as Error).message}`);
        }
      }
      const params = paramsFromConfig(
        config,
        next.globalDefs,
        io !== null ? options.sourceAddress : entry.shell.params.sourceAddress,
      );
      entry.config = config;
      entry.group = config.syncGroup !== null ? (this.groups.get(config.syncGroup) ?? null) : null;
      const group = entry.group;
      if (group !== null) entry.shell.setSyncGate(() => canGoToMaster(this.groupView(group), config.name));
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
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.fileValues.clear();
    if (this.started) this.watchTrackFiles();

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
        entry.shell.start();
      }
      for (const s of this.scripts.values()) if (s.timer === null && !s.running) this.runScript(s);
    }
  }

  async stop(options: { readonly keepVips?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.scripts.values()) s.timer?.cancel();
    for (const w of this.watchers) w.close();
    await Promise.all([...this.instances.values()].map((e) => e.shell.stop(options)));
    await Promise.all(
      [...this.groups.values()].map((g) => {
        const specific = notifyScriptFor(g.config.notify, 'STOP');
        if (specific === null && g.config.notify.generic === null) return Promise.resolve();
        return this.deps.platform.notifier.notify('GROUP', g.config.name, 'STOP', 0, {
          specific,
          generic: g.config.notify.generic,
        });
      }),
    );
  }

  status(): InstanceStatus[] {
    return [...this.instances.values()].map((e) => e.shell.status());
  }

  /** keepalived's /tmp/keepalived.stats layout (vrrp_print.c), one block per instance. */
  statsText(): string {
    const lines: string[] = [];
    for (const s of this.status()) {
      const c = s.counters;
      lines.push(
        `VRRP Instance: ${s.name}`,
        '  Advertisements:',
        `    Received: ${c.advert_rcvd}`,
        `    Sent: ${c.advert_sent}`,
        `  Became master: ${c.become_master}`,
        `  Released master: ${c.release_master}`,
        '  Packet Errors:',
        `    Length: ${c.packet_len_err}`,
        `    TTL: ${c.ip_ttl_err}`,
        `    Invalid Type: ${c.invalid_type_rcvd}`,
        `    Advertisement Interval: ${c.advert_interval_err}`,
        `    Address List: ${c.addr_list_err}`,
        '  Authentication Errors:',
        `    Invalid Type: ${c.invalid_authtype}`,
        `    Type Mismatch: ${c.authtype_mismatch}`,
        `    Failure: ${c.auth_failure}`,
        '  Priority Zero:',
        `    Received: ${c.pri_zero_rcvd}`,
        `    Sent: ${c.pri_zero_sent}`,
      );
    }
    return lines.join('\n') + '\n';
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
    const items: TrackedItem[] = [];
    const links = this.deps.platform.links;
    const addRefs = (refs: {
      scripts: readonly TrackRef[];
      interfaces: readonly TrackRef[];
      files: readonly TrackRef[];
    }): void => {
      for (const r of refs.scripts) {
        const s = this.scripts.get(r.name);
        if (s)
          items.push({
            kind: 'script',
            name: r.name,
            weight: r.weight,
            reverse: r.reverse,
            status: s.tracker.status,
          });
      }
      for (const r of refs.interfaces) {
        items.push({
          kind: 'interface',
          name: r.name,
          weight: r.weight,
          reverse: r.reverse,
          up: links.current(r.name)?.up === true,
        });
      }
      for (const r of refs.files) {
        items.push({
          kind: 'file',
          name: r.name,
          weight: r.weight,
          reverse: r.reverse,
          value: this.fileValues.get(r.name) ?? 0,
        });
      }
    };
    const c = entry.config;
    // The VRRP interface itself: down means FAULT, unless dont_track_primary.
    if (c.interface !== null && !c.dontTrackPrimary) {
      items.push({
        kind: 'interface',
        name: c.interface,
        weight: 0,
        reverse: false,
        up: links.current(c.interface)?.up === true,
      });
    }
    addRefs({ scripts: c.trackScripts, interfaces: c.trackInterfaces, files: c.trackFiles });
    if (entry.group) {
      const g = entry.group.config;
      addRefs({ scripts: g.trackScripts, interfaces: g.trackInterfaces, files: g.trackFiles });
    }
    return items;
  }

  private refresh(entry: InstanceEntry, initial = false): void {
    const ignoreWeights = entry.group !== null && !entry.group.config.syncGroupTrackingWeight;
    const result = evaluateTracking(entry.config.priority, this.trackedItems(entry), {
      instance: entry.config.name,
      ignoreWeights,
    });
    if (result.priority === entry.lastPriority && result.fault === entry.lastFault && !initial) return;
    if (initial && result.priority === entry.lastPriority && result.fault === null) return;
    if (result.fault !== null && result.fault !== entry.lastFault && result.faultLog !== null) {
      this.deps.logger.info(result.faultLog);
    }
    entry.lastPriority = result.priority;
    entry.lastFault = result.fault;
    entry.shell.setTracking(result.priority, result.fault);
  }

  private refreshAll(): void {
    for (const entry of this.instances.values()) this.refresh(entry);
  }

  private runScript(s: ScriptState): void {
    if (this.stopped || s.running) return;
    s.running = true;
    const { config } = s;
    const timeoutMs = Math.max(1, config.timeout * 1000);
    void this.deps.platform.scripts.run(scriptSpecOf(config), [], timeoutMs).then((result) => {
      s.running = false;
      if (this.stopped || s.removed) return;
      this.onScriptResult(s, result);
      s.timer = this.deps.clock.setTimer(config.interval * 1000, () => this.runScript(s));
    });
  }

  private onScriptResult(s: ScriptState, result: ScriptResult): void {
    const name = s.config.name;
    const success = result.kind === 'exited' && result.code === 0;
    if (result.kind === 'timeout') this.deps.logger.info(`VRRP_Script(${name}) timed_out`);
    if (result.kind === 'spawn-error')
      this.deps.logger.error(`VRRP_Script(${name}) cannot run: ${result.message}`);
    const step = scriptTrackerStep(s.tracker, success, s.config);
    s.tracker = step.tracker;
    if (step.transition === 'up') this.deps.logger.info(`VRRP_Script(${name}) succeeded`);
    if (step.transition === 'down') {
      const why =
        result.kind === 'exited'
          ? ` (exited with status ${result.code})`
          : result.kind === 'signaled'
            ? ` (due to signal ${result.signal})`
            : '';
      this.deps.logger.info(`VRRP_Script(${name}) failed${why}`);
    }
    if (step.transition !== null) this.refreshAll();
  }

  // -------------------------------------------------------------------------------------------
  // Sync groups

  private groupView(group: GroupEntry): SyncGroupView {
    const members = group.config.group
      .map((n) => this.instances.get(n))
      .filter((m): m is InstanceEntry => m !== undefined)
      .map((m) => ({
        name: m.config.name,
        state: m.shell.currentState,
        wantState: m.shell.wantState,
        faulty: m.lastFault !== null,
      }));
    return { name: group.config.name, state: group.state, members };
  }

  private onInstanceStateChange(entry: InstanceEntry, change: StateChange): void {
    for (const fn of this.stateListeners) fn(change);
    const group = entry.group;
    if (group === null || this.stopped) return;
    const decision = onMemberTransition(this.groupView(group), change.instance, change.to);
    if (decision.log !== null) this.deps.logger.info(decision.log);
    const before = group.state;
    group.state = decision.groupState;
    if (before !== group.state && group.state !== 'INIT') {
      const specific = notifyScriptFor(group.config.notify, group.state);
      if (specific !== null || group.config.notify.generic !== null) {
        void this.deps.platform.notifier.notify('GROUP', group.config.name, group.state, 0, {
          specific,
          generic: group.config.notify.generic,
        });
      }
    }
    for (const cmd of decision.commands)
      this.instances.get(cmd.member)?.shell.sync(group.config.name, cmd.to);
  }
}
