/**
 * SHELL: builds the VRRP side of the daemon from the config model. One instance shell per
 * `vrrp_instance`, the trackers that feed them (vrrp_script runs, track_interface from link
 * events, track_file watches; the arithmetic is tracking.ts) and the vrrp_sync_group wiring
 * (rules in sync-group.ts). All host access goes through the VrrpPlatform port.
 */
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
import { VRRP_COUNTER_NAMES } from './counters.js';
import { VrrpInstanceShell, type InstanceStatus, type StateChange } from './instance.js';
import type { ScriptResult, VrrpPlatform } from './ports.js';
import { paramsFromConfig } from './state-machine.js';
import { canGoToMaster, onMemberTransition, type GroupState, type SyncGroupView } from './sync-group.js';
import {
  evaluateTracking,
  initialScriptTracker,
  scriptTrackerStep,
  type ScriptTracker,
  type TrackedItem,
} from './tracking.js';

interface ScriptState {
  readonly config: VrrpScript;
  tracker: ScriptTracker;
  timer: TimerHandle | null;
  running: boolean;
}

interface GroupEntry {
  readonly config: VrrpSyncGroup;
  state: GroupState;
}

interface InstanceEntry {
  readonly config: VrrpInstance;
  readonly shell: VrrpInstanceShell;
  readonly group: GroupEntry | null;
  lastPriority: number;
  lastFault: string | null;
}

export interface EngineDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly platform: VrrpPlatform;
}

function scriptSpecOf(s: VrrpScript): ScriptSpec {
  return { command: s.script, argv: s.argv, user: s.user, group: s.group };
}

function groupNotifyFor(group: VrrpSyncGroup, state: GroupState | 'STOP'): ScriptSpec | null {
  switch (state) {
    case 'MASTER':
      return group.notify.master;
    case 'BACKUP':
      return group.notify.backup;
    case 'FAULT':
      return group.notify.fault;
    case 'STOP':
      return group.notify.stop;
    case 'INIT':
      return null;
  }
}

export class VrrpEngine {
  private readonly instances = new Map<string, InstanceEntry>();
  private readonly scripts = new Map<string, ScriptState>();
  private readonly groups = new Map<string, GroupEntry>();
  private readonly fileValues = new Map<string, number>();
  private readonly watchers: { close(): void }[] = [];
  private stopped = false;

  private constructor(
    private readonly config: Config,
    private readonly deps: EngineDeps,
  ) {}

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
    const { platform, logger } = this.deps;
    for (const g of this.config.vrrpSyncGroups) this.groups.set(g.name, { config: g, state: 'INIT' });

    const used = new Set<string>();
    for (const i of this.config.vrrpInstances) for (const r of i.trackScripts) used.add(r.name);
    for (const g of this.config.vrrpSyncGroups) for (const r of g.trackScripts) used.add(r.name);
    for (const s of this.config.vrrpScripts) {
      if (!used.has(s.name)) {
        logger.warn(`Warning - script ${s.name} is not used`);
        continue;
      }
      this.scripts.set(s.name, { config: s, tracker: initialScriptTracker(s), timer: null, running: false });
    }

    for (const instance of this.config.vrrpInstances) {
      const name = instance.name;
      if (instance.interface !== null && platform.links.current(instance.interface) === null) {
        logger.error(`(${name}) interface ${instance.interface} doesn't exist - instance not started`);
        continue;
      }
      const all = [...instance.vips, ...instance.excludedVips];
      // keepalived removes its VIPs left by a crashed run before it starts (#2387 logs).
      const leftovers = await platform.vips.present(all);
      if (leftovers.length > 0) {
        logger.detail(`(${name}) removing VIPs.`);
        const out = await platform.vips.removeAddresses(leftovers);
        for (const e of out.errors) logger.error(`(${name}) ${e}`);
      }
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
        continue;
      }
      let io;
      try {
        io = platform.openChannel({
          interfaceName: instance.interface,
          sourceAddress: source,
          multicastGroup: unicast ? null : this.config.globalDefs.vrrpMcastGroup4,
          unicastPeers: instance.unicastPeers.map((p) => p.address),
          ttl: unicast ? instance.unicastTtl : 255,
          vrid: instance.virtualRouterId,
        });
      } catch (e) {
        logger.error(`(${name}) cannot open VRRP socket: ${(e as Error).message}`);
        continue;
      }
      const params = paramsFromConfig(instance, this.config.globalDefs, source);
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
      };
      shell.onStateChange((c) => this.onStateChange(entry, c));
      if (group !== null) shell.setSyncGate(() => canGoToMaster(this.groupView(group), name));
      this.instances.set(name, entry);
    }
  }

  /** Starts trackers and instances. Tracking known before startup is fed first (FAULT at init). */
  start(): void {
    const { platform } = this.deps;
    for (const t of this.config.trackFiles) {
      if (t.initFile !== null) platform.initFile(t.file, t.initFile.value, t.initFile.overwrite);
      this.watchers.push(
        platform.watchFile(t.file, (text) => {
          const n = text === null ? 0 : Number.parseInt(text.trim(), 10);
          this.fileValues.set(t.name, Number.isFinite(n) ? n : 0);
          if (!this.stopped) this.refreshAll();
        }),
      );
    }
    platform.links.onChange(() => {
      if (!this.stopped) this.refreshAll();
    });
    for (const entry of this.instances.values()) {
      this.refresh(entry, true);
      entry.shell.start();
    }
    for (const s of this.scripts.values()) this.runScript(s);
  }

  async stop(options: { readonly keepVips?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.scripts.values()) s.timer?.cancel();
    for (const w of this.watchers) w.close();
    await Promise.all([...this.instances.values()].map((e) => e.shell.stop(options)));
    await Promise.all(
      [...this.groups.values()].map((g) => {
        const specific = groupNotifyFor(g.config, 'STOP');
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
      if (this.stopped) return;
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

  private onStateChange(entry: InstanceEntry, change: StateChange): void {
    const group = entry.group;
    if (group === null || this.stopped) return;
    const decision = onMemberTransition(this.groupView(group), change.instance, change.to);
    if (decision.log !== null) this.deps.logger.info(decision.log);
    const before = group.state;
    group.state = decision.groupState;
    if (before !== group.state && group.state !== 'INIT') {
      const specific = groupNotifyFor(group.config, group.state);
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
