/**
 * SHELL for one VRRP instance: turns received datagrams, timer expiries, tracking results and
 * sync-group commands into reducer events (state-machine.ts), and runs the actions the reducer
 * returns through the ports (ports.ts). It makes no protocol decision of its own.
 *
 * Ordering: timers, logs, counters and state-change events run at once; adverts, VIP changes,
 * gratuitous ARPs and notify scripts go through one per-instance I/O chain so they happen in
 * the reducer's order (RFC 3768 section 6.4.1: advert, then ARP; keepalived: advert, VIPs, GARP,
 * notify), without ever blocking the event loop.
 */
import type { NotifyScripts, ScriptSpec, VrrpInstance } from '../config/model.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { LogFields, Logger } from '../util/log.js';
import {
  AUTH_HMAC_TRAILER_LENGTH,
  checkTrailer,
  emptyReceiveState,
  nextSequence,
  signTrailer,
  type AuthHmacReceiveState,
  type HmacSha256,
} from './auth-hmac.js';
import { bumpCounter, emptyCounters, type VrrpCounters } from './counters.js';
import {
  AUTH_TYPE_AH,
  AUTH_TYPE_NONE,
  AUTH_TYPE_PASS,
  decodePacket,
  encodeAdvert,
  VRRP_TYPE_ADVERTISEMENT,
  VRRP_VERSION,
  vrrpV2Length,
  type ReceivedPacket,
} from './packet.js';
import type { InstanceParams } from './params.js';
import type { GarpSender, Notifier, VipManager, VipOutcome, VrrpIo } from './ports.js';
import {
  initialState,
  OWNER_PRIORITY,
  reduce,
  type Action,
  type Event,
  type InstanceState,
  type NotifyState,
  type TimerName,
  type VrrpState,
} from './state-machine.js';
import { preAuthVerdict } from './validate.js';

export interface InstanceDeps {
  readonly clock: Clock;
  readonly io: VrrpIo;
  readonly vips: VipManager;
  readonly garp: GarpSender;
  readonly notifier: Notifier;
  readonly logger: Logger;
  /** How late each Adver_Timer fired against its deadline (ms): metrics (daemon/metrics.ts). */
  readonly onAdvertTimer?: (instance: string, latenessMs: number) => void;
  /** Wall-clock milliseconds (the auth_hmac sequence and freshness window); Date.now by default. */
  readonly wallClock?: () => number;
  /** HMAC-SHA256 (net/hmac.ts), needed by an auth_hmac instance. */
  readonly hmacSha256?: HmacSha256;
}

export interface StateChange {
  readonly instance: string;
  readonly from: VrrpState;
  readonly to: VrrpState;
  readonly reason: string;
  readonly priority: number;
}

export interface InstanceStatus {
  readonly name: string;
  readonly state: VrrpState;
  readonly wantState: VrrpState;
  readonly effectivePriority: number;
  readonly basePriority: number;
  readonly masterAddress: string | null;
  readonly counters: VrrpCounters;
}

/** The status with what the control socket's `status` shows beyond the dump files. */
export interface InstanceDetail extends InstanceStatus {
  readonly masterPriority: number | null;
  readonly fault: string | null;
  /** The operator's standby (state-machine.ts `admin`). */
  readonly standby: boolean;
  /** Clock time (monotonic ms) the current state was entered (construction for INIT). */
  readonly stateSince: number;
  /** The last state change with its reason; `at` in clock time. */
  readonly lastTransition: {
    readonly from: VrrpState;
    readonly to: VrrpState;
    readonly reason: string;
    readonly at: number;
  } | null;
}

/** The dump files' extra view of an instance. */
export interface InstanceDumpDetail {
  /** Clock time (ms) the next timer fires (Adver_Timer or Master_Down_Timer), null when none runs. */
  readonly nextTimerAt: number | null;
  /** The VIPs are added (MASTER). */
  readonly vipsSet: boolean;
}

/** keepalived's notify_* script per state, for an instance or a sync group. */
export function notifyScriptFor(notify: NotifyScripts, state: NotifyState | 'INIT'): ScriptSpec | null {
  switch (state) {
    case 'MASTER':
      return notify.master;
    case 'BACKUP':
      return notify.backup;
    case 'FAULT':
      return notify.fault;
    case 'STOP':
      return notify.stop;
    case 'DELETED':
      return notify.deleted;
    case 'MASTER_RX_LOWER_PRI':
      return notify.masterRxLowerPri;
    case 'MASTER_PRIORITY':
    case 'BACKUP_PRIORITY':
    case 'INIT':
      return null;
  }
}

export class VrrpInstanceShell {
  private state: InstanceState;
  private counters: VrrpCounters = emptyCounters();
  private readonly timers = new Map<TimerName, TimerHandle>();
  /** Clock time each armed timer fires at (the data file's `Read timeout`). */
  private readonly timerDeadlines = new Map<TimerName, number>();
  /** The VIPs were last added (not removed): keepalived's `vipset`, the dump's ` set` marks. */
  private vipsSet = false;
  private readonly garpTimers = new Set<TimerHandle>();
  private chain: Promise<void> = Promise.resolve();
  /** I/O steps started and not yet finished; 0 means the next one may start synchronously. */
  private pendingIo = 0;
  /** Log lines held back while a dispatch runs its actions (see dispatch). */
  private deferredLogs: (() => void)[] | null = null;
  private readonly pendingNotifies = new Set<Promise<void>>();
  /** Adverts handed to the socket and not yet written (the priority-0 one must go before close). */
  private readonly pendingSends = new Set<Promise<void>>();
  private readonly listeners: ((c: StateChange) => void)[] = [];
  private stopping = false;
  private stopped = false;
  /** -V/--dont-release-vrrp: on stop, keep VIPs and send no priority-0 advert. */
  private keepVipsOnStop = false;
  /** Sync-group gate asked when the master-down timer fires (sync-group.ts canGoToMaster). */
  private syncGate: (() => boolean) | null = null;
  private readonly authType: number;
  private readonly authData: Uint8Array;
  /** auth_hmac: the last sequence sent and the receive marks (vrrp_auth_hmac_t). */
  private hmacSendSeq = 0n;
  private hmacReceive: AuthHmacReceiveState = emptyReceiveState();
  private stateSince: number;
  private lastTransition: InstanceDetail['lastTransition'] = null;

  private currentConfig: VrrpInstance;
  private currentParams: InstanceParams;
  private io: VrrpIo;

  constructor(
    config: VrrpInstance,
    params: InstanceParams,
    private readonly deps: InstanceDeps,
  ) {
    this.currentConfig = config;
    this.currentParams = params;
    this.io = deps.io;
    this.state = initialState(params);
    this.stateSince = deps.clock.now();
    this.authType =
      params.auth.type === 'pass'
        ? AUTH_TYPE_PASS
        : params.auth.type === 'ah'
          ? AUTH_TYPE_AH
          : AUTH_TYPE_NONE;
    this.authData = params.auth.type === 'pass' ? params.auth.authData : new Uint8Array(8);
  }

  get config(): VrrpInstance {
    return this.currentConfig;
  }

  get params(): InstanceParams {
    return this.currentParams;
  }

  get name(): string {
    return this.params.name;
  }

  get currentState(): VrrpState {
    return this.state.state;
  }

  get wantState(): VrrpState {
    return this.state.wantState;
  }

  setSyncGate(gate: () => boolean): void {
    this.syncGate = gate;
  }

  onStateChange(fn: (c: StateChange) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Starts receiving and feeds the startup event (INIT -> BACKUP/FAULT, or MASTER for an owner);
   * `delayedStartAt`: the clock time vrrp_startup_delay ends (state-machine.ts).
   */
  start(delayedStartAt?: number): void {
    this.io.onDatagram((d) => this.onDatagram(d));
    const now = this.deps.clock.now();
    this.dispatch(
      delayedStartAt === undefined ? { kind: 'startup', now } : { kind: 'startup', now, delayedStartAt },
    );
  }

  onDatagram(datagram: Buffer): void {
    if (this.stopped) return;
    const decoded = decodePacket(datagram);
    if (!decoded.ok) {
      // It carries our VRID (the demux routed it here) but not a whole VRRP header: a length error.
      this.dispatch({
        kind: 'malformed',
        length: datagram.length,
        reason: decoded.error.reason,
        now: this.deps.clock.now(),
      });
      return;
    }
    if (decoded.value.advert.vrid !== this.params.vrid) return;
    const packet = this.params.authHmac ? this.checkAuthHmac(datagram, decoded.value) : decoded.value;
    this.dispatch({ kind: 'packet', packet, now: this.deps.clock.now() });
  }

  /**
   * keepalived 2.4 vrrp_check_packet / vrrp_auth_ext_verify: a trailer is there when the packet
   * is exactly 28 bytes longer than its VRRP message; it is checked (moving the sender's replay
   * mark) only when the advert passes the checks keepalived makes before it. The verdict is the
   * reducer's (validate.ts).
   */
  private checkAuthHmac(datagram: Buffer, packet: ReceivedPacket): ReceivedPacket {
    const hmac = this.params.authHmac!;
    const hmacSha256 = this.hmacPrimitive();
    const start = packet.ip.headerLength;
    const end = start + vrrpV2Length(packet.addressCount);
    if (datagram.length !== end + AUTH_HMAC_TRAILER_LENGTH)
      return { ...packet, authHmac: { kind: 'no-trailer' } };
    const stripped: ReceivedPacket = {
      ...packet,
      ip: { ...packet.ip, totalLength: packet.ip.totalLength - AUTH_HMAC_TRAILER_LENGTH },
      vrrpLength: packet.vrrpLength - AUTH_HMAC_TRAILER_LENGTH,
      bufferLength: packet.bufferLength - AUTH_HMAC_TRAILER_LENGTH,
    };
    if (preAuthVerdict(stripped, this.params) !== null) return stripped;
    const source = packet.ip.source;
    const unicast = !this.params.multicast;
    // A unicast sender must be a configured peer: it anchors the replay mark.
    if (unicast && !this.params.unicastPeers.some((p) => p.address === source))
      return { ...stripped, authHmac: { kind: 'not-a-peer' } };
    const trailer = datagram.subarray(end);
    const nowSec = Math.floor((this.deps.wallClock ?? Date.now)() / 1000);
    const outcome = checkTrailer(
      hmacSha256,
      {
        family: 'inet',
        version: VRRP_VERSION,
        vrid: this.params.vrid,
        source,
        message: datagram.subarray(start, end),
      },
      trailer,
      hmac,
      nowSec,
      this.hmacReceive,
      unicast,
    );
    this.hmacReceive = outcome.state;
    return {
      ...stripped,
      authHmac: { kind: 'checked', result: outcome.result, keyId: trailer[1]!, skew: outcome.skew },
    };
  }

  /**
   * vrrp_auth_hmac_sign: one trailer per advert (the copies to several unicast peers share it);
   * none in receive-only mode.
   */
  private hmacPrimitive(): HmacSha256 {
    const h = this.deps.hmacSha256;
    if (h === undefined) throw new Error('auth_hmac without an HMAC-SHA256 primitive (this is a bug)');
    return h;
  }

  private withAuthHmac(message: Buffer): Buffer {
    const hmac = this.params.authHmac;
    if (!hmac || hmac.mode === 'receive-only') return message;
    this.hmacSendSeq = nextSequence(this.hmacSendSeq, (this.deps.wallClock ?? Date.now)(), hmac);
    const trailer = signTrailer(
      this.hmacPrimitive(),
      {
        family: 'inet',
        version: VRRP_VERSION,
        vrid: this.params.vrid,
        source: this.params.sourceAddress,
        message,
      },
      hmac,
      this.hmacSendSeq,
    );
    return Buffer.concat([message, trailer]);
  }

  /** New tracking result: effective priority and fault reason (tracking.ts). */
  setTracking(effectivePriority: number, fault: string | null): void {
    if (this.stopped) return;
    this.dispatch({ kind: 'tracking', effectivePriority, fault, now: this.deps.clock.now() });
  }

  /** The operator's standby (true) or resume (false): state-machine.ts `admin`. */
  setStandby(standby: boolean): void {
    if (this.stopped) return;
    this.dispatch({ kind: 'admin', standby, now: this.deps.clock.now() });
  }

  /** One of our VIPs was removed by someone else (state-machine.ts `vip-removed`). */
  vipRemoved(address: string): void {
    if (this.stopped) return;
    this.dispatch({ kind: 'vip-removed', address, now: this.deps.clock.now() });
  }

  /** A sync-group command (sync-group.ts). */
  sync(group: string, to: 'MASTER' | 'BACKUP' | 'FAULT'): void {
    if (this.stopped) return;
    this.dispatch({ kind: 'sync', group, to, now: this.deps.clock.now() });
  }

  /**
   * Graceful stop: the reducer's stop actions (priority-0 advert and VIP removal when MASTER,
   * notify_stop), then waits for the I/O chain and the stop notify scripts.
   */
  async stop(options: { readonly keepVips?: boolean } = {}): Promise<void> {
    if (this.stopped || this.stopping) return;
    this.keepVipsOnStop = options.keepVips === true;
    this.stopping = true;
    this.dispatch({ kind: 'stop', now: this.deps.clock.now() });
    await this.finishStop();
  }

  private async finishStop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.timerDeadlines.clear();
    for (const t of this.garpTimers) t.cancel();
    this.garpTimers.clear();
    await this.chain;
    await Promise.all([...this.pendingSends, ...this.pendingNotifies]);
    this.io.close();
  }

  /**
   * Reload of a matched instance (keepalived's vrrp_exist match, §2.7): the reducer state
   * (MASTER, BACKUP, ...) stays; the new config and params apply from now on. A MASTER applies
   * the VIP and route differences and sends gratuitous ARPs when addresses were added; the
   * engine then feeds the new priority and calls advertNow (keepalived's reload_master).
   * `io`, when given, replaces the advert channel (its source or peers changed).
   */
  reconfigure(config: VrrpInstance, params: InstanceParams, io: VrrpIo | null): void {
    if (this.stopped || this.stopping) return;
    const before = this.currentConfig;
    // keepalived builds the instance afresh at a reload: the auth_hmac receive marks are empty
    // (a channel reopen keeps the params). The send sequence is kept: keepalived restarts it
    // from the clock, which it passes unless the clock stepped back; kept, it grows regardless.
    if (params !== this.currentParams) this.hmacReceive = emptyReceiveState();
    this.currentConfig = config;
    this.currentParams = params;
    // keepalived builds the instance afresh from the new config: an owner demoted to 254 by a
    // second owner (state-machine.ts ownerDemoted) is an owner again.
    if (this.state.ownerDemoted) {
      this.state = {
        ...this.state,
        ownerDemoted: false,
        effectivePriority: params.basePriority === 255 ? 255 : this.state.effectivePriority,
      };
    }
    if (io !== null && io !== this.io) {
      const old = this.io;
      this.io = io;
      io.onDatagram((d) => this.onDatagram(d));
      // After queued sends on the old channel have left.
      this.enqueue('closing the old channel', () => old.close());
    }
    if (this.state.state !== 'MASTER') return;
    const key = (v: { address: string; prefixLength: number; dev: string }): string =>
      `${v.address}/${v.prefixLength}|${v.dev}`;
    const oldVips = [...before.vips, ...before.excludedVips];
    const newVips = [...config.vips, ...config.excludedVips];
    const oldKeys = new Set(oldVips.map(key));
    const newKeys = new Set(newVips.map(key));
    const removed = oldVips.filter((v) => !newKeys.has(key(v)));
    const added = newVips.filter((v) => !oldKeys.has(key(v)));
    const routeKey = (r: unknown): string =>
      JSON.stringify(r, (k, v: unknown) => (k === 'loc' ? undefined : v));
    const oldRoutes = new Set(before.virtualRoutes.map(routeKey));
    const newRoutes = new Set(config.virtualRoutes.map(routeKey));
    const removedRoutes = before.virtualRoutes.filter((r) => !newRoutes.has(routeKey(r)));
    const addedRoutes = config.virtualRoutes.filter((r) => !oldRoutes.has(routeKey(r)));
    // vrrp_iprule.c clear_diff_rules: the rules gone from the config go, the new ones come.
    const oldRules = new Set(before.virtualRules.map(routeKey));
    const newRules = new Set(config.virtualRules.map(routeKey));
    const removedRules = before.virtualRules.filter((r) => !newRules.has(routeKey(r)));
    const addedRules = config.virtualRules.filter((r) => !oldRules.has(routeKey(r)));
    if (removed.length > 0 || removedRoutes.length > 0 || removedRules.length > 0) {
      this.enqueue('removing VIPs', async () => {
        this.log('detail', `(${this.name}) removing VIPs.`, { vips: removed.map((v) => v.address) });
        const u = await this.deps.vips.removeRules(removedRules);
        const r = await this.deps.vips.removeRoutes(removedRoutes, before.interface);
        const a = await this.deps.vips.removeAddresses(removed);
        for (const e of [...u.errors, ...r.errors, ...a.errors]) this.log('error', `(${this.name}) ${e}`);
      });
    }
    if (added.length > 0 || addedRoutes.length > 0 || addedRules.length > 0) {
      this.enqueue('setting VIPs', async () => {
        this.log('detail', `(${this.name}) setting VIPs.`, { vips: added.map((v) => v.address) });
        const a = await this.deps.vips.addAddresses(added);
        const r = await this.deps.vips.addRoutes(addedRoutes, config.interface);
        const u = await this.deps.vips.addRules(addedRules);
        for (const e of [...a.errors, ...r.errors, ...u.errors]) this.log('error', `(${this.name}) ${e}`);
      });
    }
    if (added.length > 0) {
      this.run({
        kind: 'send-garp',
        reason: 'master',
        repeat: params.garp.masterRepeat,
        intervalMs: params.garp.intervalMs,
      });
    }
  }

  /**
   * A reload removed the instance (vrrp.c clear_diff_vrrp): the reducer's delete actions (a
   * MASTER's priority-0 advert and VIP removal, the DELETED or FAULT notify), then as stop.
   */
  async delete(): Promise<void> {
    if (this.stopped || this.stopping) return;
    this.stopping = true;
    this.dispatch({ kind: 'delete', notifyDeleted: this.config.notifyDeleted, now: this.deps.clock.now() });
    await this.finishStop();
  }

  /** A MASTER sends one advert now (before a reload, whose parse may hold the event loop). */
  advertNow(): void {
    if (this.stopped || this.stopping || this.state.state !== 'MASTER') return;
    this.run({ kind: 'send-advert', priority: this.state.effectivePriority });
  }

  status(): InstanceStatus {
    return {
      name: this.name,
      state: this.state.state,
      wantState: this.state.wantState,
      effectivePriority: this.state.effectivePriority,
      // keepalived 2.2.7 (vrrp.c vrrp_state_master_rx) lowers base_priority with the effective
      // one when a second owner is heard: the dumps, JSON and status show 254 until a reload.
      basePriority: this.state.ownerDemoted ? OWNER_PRIORITY - 1 : this.params.basePriority,
      masterAddress: this.state.masterAddress,
      counters: this.counters,
    };
  }

  detail(): InstanceDetail {
    return {
      ...this.status(),
      masterPriority: this.state.masterPriority,
      fault: this.state.fault,
      standby: this.state.standby,
      stateSince: this.stateSince,
      lastTransition: this.lastTransition,
    };
  }

  /** What the dump files show beyond `detail()` (vrrp/dumps.ts). */
  dumpDetail(): InstanceDumpDetail {
    const deadlines = [...this.timerDeadlines.values()];
    return {
      nextTimerAt: deadlines.length === 0 ? null : Math.min(...deadlines),
      vipsSet: this.vipsSet,
    };
  }

  /** SIGRTMAX-1: zeroes the statistics (keepalived's vrrp_print_stats with clear_stats). */
  clearCounters(): void {
    this.counters = emptyCounters();
  }

  /**
   * Feeds one event to the reducer and runs its actions. Log lines are written after the
   * actions have started their I/O (in their original order), so a takeover's VIP request is
   * not delayed by formatting and writing log lines.
   */
  private dispatch(event: Event): void {
    const outermost = this.deferredLogs === null;
    if (outermost) this.deferredLogs = [];
    try {
      const step = reduce(this.params, this.state, event);
      this.state = step.state;
      for (const action of step.actions) this.run(action);
    } finally {
      if (outermost) {
        const logs = this.deferredLogs ?? [];
        this.deferredLogs = null;
        for (const write of logs) write();
      }
    }
  }

  /** Every line of an instance carries its name as the `instance` field (util/log.ts). */
  private log(
    level: 'error' | 'warn' | 'info' | 'detail' | 'debug',
    message: string,
    fields?: LogFields,
  ): void {
    const all: LogFields =
      fields === undefined ? { instance: this.name } : { instance: this.name, ...fields };
    if (this.deferredLogs !== null) this.deferredLogs.push(() => this.deps.logger[level](message, all));
    else this.deps.logger[level](message, all);
  }

  /**
   * Runs `fn` after every earlier I/O step. When nothing is pending it starts at once (no
   * microtask hop), which matters for the VIP request on a takeover.
   */
  private enqueue(what: string, fn: () => Promise<void> | void): void {
    const onError = (e: unknown): void => {
      this.log('error', `(${this.name}) ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    };
    let started: Promise<void>;
    if (this.pendingIo === 0) {
      let result: Promise<void> | void;
      try {
        result = fn();
      } catch (e) {
        onError(e);
        return;
      }
      if (!(result instanceof Promise)) return;
      started = result;
    } else {
      started = this.chain.then(fn);
    }
    this.pendingIo++;
    this.chain = started.catch(onError).finally(() => {
      this.pendingIo--;
    });
  }

  private run(action: Action): void {
    switch (action.kind) {
      case 'send-advert': {
        if (this.stopping && this.keepVipsOnStop) return;
        const message = this.withAuthHmac(
          encodeAdvert({
            version: VRRP_VERSION,
            type: VRRP_TYPE_ADVERTISEMENT,
            vrid: this.params.vrid,
            priority: action.priority,
            authType: this.authType,
            advertInt: this.params.advertIntSec,
            addresses: this.params.vipAddresses,
            authData: this.authData,
          }),
        );
        // Queued in order but not awaited: the socket sends FIFO, so the advert still leaves
        // before the GARPs, and the VIP add does not wait a loop turn for the send callback.
        this.enqueue('sending advert', () => {
          const sent: Promise<void> = this.io
            .send(message)
            .catch((e: unknown) => {
              this.log('error', `(${this.name}) sending advert failed: ${(e as Error).message}`, {
                limit: `${this.name}:send-failed`,
              });
            })
            .finally(() => this.pendingSends.delete(sent));
          this.pendingSends.add(sent);
        });
        return;
      }
      case 'add-vips':
        this.vipsSet = true;
        this.enqueue('setting VIPs', async () => {
          const all = [...this.config.vips, ...this.config.excludedVips];
          this.log('detail', `(${this.name}) setting VIPs.`, { vips: all.map((v) => v.address) });
          const a = await this.deps.vips.addAddresses(all);
          const r = await this.deps.vips.addRoutes(this.config.virtualRoutes, this.config.interface);
          // vrrp.c vrrp_state_become_master: addresses, routes, then rules.
          let u: VipOutcome = { changed: [], errors: [] };
          if (this.config.virtualRules.length > 0) {
            this.log('detail', `(${this.name}) setting Virtual Rules`);
            u = await this.deps.vips.addRules(this.config.virtualRules);
          }
          for (const e of [...a.errors, ...r.errors, ...u.errors]) this.log('error', `(${this.name}) ${e}`);
        });
        return;
      case 'remove-vips':
        if (this.stopping && this.keepVipsOnStop) return;
        this.vipsSet = false;
        this.enqueue('removing VIPs', async () => {
          const all = [...this.config.vips, ...this.config.excludedVips];
          this.log('detail', `(${this.name}) removing VIPs.`, { vips: all.map((v) => v.address) });
          // vrrp.c vrrp_restore_interface: rules, routes, then addresses.
          let u: VipOutcome = { changed: [], errors: [] };
          if (this.config.virtualRules.length > 0) {
            this.log('detail', `(${this.name}) removing Virtual Rules`);
            u = await this.deps.vips.removeRules(this.config.virtualRules);
          }
          const r = await this.deps.vips.removeRoutes(this.config.virtualRoutes, this.config.interface);
          const a = await this.deps.vips.removeAddresses(all);
          for (const e of [...u.errors, ...r.errors, ...a.errors]) this.log('error', `(${this.name}) ${e}`);
        });
        return;
      case 'send-garp':
        this.enqueue('sending gratuitous ARPs', () => this.garpBurst(action.repeat, action.intervalMs));
        return;
      case 'arm-timer': {
        this.timers.get(action.timer)?.cancel();
        const timer = action.timer;
        this.timerDeadlines.set(timer, this.deps.clock.now() + action.ms);
        this.timers.set(
          timer,
          this.deps.clock.setTimer(action.ms, () => {
            const deadline = this.timerDeadlines.get(timer);
            this.timers.delete(timer);
            this.timerDeadlines.delete(timer);
            if (this.stopped) return;
            const now = this.deps.clock.now();
            if (timer === 'advert' && deadline !== undefined)
              this.deps.onAdvertTimer?.(this.name, Math.max(0, now - deadline));
            if (timer === 'master-down' && this.syncGate !== null) {
              this.dispatch({ kind: 'timer', timer, now, syncAllowsMaster: this.syncGate() });
            } else {
              this.dispatch({ kind: 'timer', timer, now });
            }
          }),
        );
        return;
      }
      case 'cancel-timer':
        this.timers.get(action.timer)?.cancel();
        this.timers.delete(action.timer);
        this.timerDeadlines.delete(action.timer);
        return;
      case 'run-notify': {
        const specific = notifyScriptFor(this.config.notify, action.deleted ? 'DELETED' : action.state);
        // The generic `notify` is not called for the master-rx-lower-priority event nor for a
        // priority change (keepalived).
        const generic =
          action.state === 'MASTER_RX_LOWER_PRI' ||
          action.state === 'MASTER_PRIORITY' ||
          action.state === 'BACKUP_PRIORITY'
            ? null
            : this.config.notify.generic;
        // Called with no script too: the notifier also writes the notify FIFOs (vrrp_notify.c).
        const state = action.state;
        const priority = action.priority;
        this.enqueue('notify', () => {
          const p = this.deps.notifier
            .notify('INSTANCE', this.name, state, priority, { specific, generic })
            .finally(() => this.pendingNotifies.delete(p));
          this.pendingNotifies.add(p);
        });
        return;
      }
      case 'log':
        this.log(action.level, action.message, action.fields);
        return;
      case 'count':
        this.counters = bumpCounter(this.counters, action.counter);
        return;
      case 'state-changed': {
        const at = this.deps.clock.now();
        this.stateSince = at;
        this.lastTransition = { from: action.from, to: action.to, reason: action.reason, at };
        const change: StateChange = {
          instance: this.name,
          from: action.from,
          to: action.to,
          reason: action.reason,
          priority: this.state.effectivePriority,
        };
        for (const fn of this.listeners) fn(change);
        return;
      }
    }
  }

  /**
   * One burst: `repeat` gratuitous ARPs per IPv4 VIP (and eVIP), `intervalMs` apart
   * (vrrp_garp_interval; 0 sends them back to back).
   */
  private garpBurst(repeat: number, intervalMs: number): void {
    const vips = [...this.config.vips, ...this.config.excludedVips].filter((v) => v.family === 'inet');
    for (const vip of vips) {
      this.log('detail', `(${this.name}) Sending/queueing gratuitous ARPs on ${vip.dev} for ${vip.address}`);
    }
    const sendRound = (): void => {
      for (const vip of vips) {
        try {
          this.deps.garp.sendGarp(vip.dev, vip.address);
          this.log('detail', `Sending gratuitous ARP on ${vip.dev} for ${vip.address}`);
        } catch (e) {
          this.log(
            'error',
            `(${this.name}) gratuitous ARP on ${vip.dev} for ${vip.address} failed: ${(e as Error).message}`,
            { vip: vip.address, limit: `${this.name}:garp-failed` },
          );
        }
      }
    };
    if (intervalMs <= 0) {
      for (let i = 0; i < repeat; i++) sendRound();
      return;
    }
    sendRound();
    for (let i = 1; i < repeat; i++) {
      const handle = this.deps.clock.setTimer(i * intervalMs, () => {
        this.garpTimers.delete(handle);
        sendRound();
      });
      this.garpTimers.add(handle);
    }
  }
}
