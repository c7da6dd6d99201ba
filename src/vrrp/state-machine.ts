/**
 * PURE VRRPv2 instance state machine (RFC 3768 section 6.4) as a reducer.
 *
 * API summary (for the instance shell)
 * - `paramsFromConfig(instance, globals, sourceAddress) -> InstanceParams` (params.ts): the small,
 *   derived, millisecond-based parameter object the reducer works from.
 * - `initialState(params) -> InstanceState` (state INIT).
 * - `reduce(params, state, event) -> { state, actions }`. Time comes in every event as `now`
 *   (monotonic ms from the injected Clock). The reducer never schedules anything itself: timers are
 *   actions (`arm-timer` / `cancel-timer` by name); when one fires, the shell feeds
 *   `{ kind: 'timer', timer, now }`. Re-arming a timer name replaces the previous one.
 * - Events: `startup`, `packet` (a decoded packet already matched to this VRID; the reducer runs
 *   `validate.ts` itself so counters and rate-limited logs stay in one place), `timer`,
 *   `tracking` (effective priority / fault from `tracking.ts`), `sync` (a sync-group command from
 *   `sync-group.ts`), `admin` (the operator's standby/resume from the control socket),
 *   `vip-removed` (a VIP deleted by someone else), `stop`.
 * - Actions, run by the shell in order: `send-advert {priority}`, `add-vips`, `remove-vips`,
 *   `send-garp {reason, repeat, intervalMs}`, `arm-timer {timer, ms}`, `cancel-timer {timer}`,
 *   `run-notify {state, priority}`, `log {level, message}`, `count {counter}`,
 *   `state-changed {from, to, reason}` (for sync groups, notify FIFO, metrics).
 */
import type { VrrpCounterName } from './counters.js';
import type { InstanceParams } from './params.js';
import type { ReceivedPacket } from './packet.js';
import { emptyRateLimit, rateLimitDecision, type RateLimitState } from './rate-limit.js';
import { advertIntervalMs, masterDownIntervalMs, skewTimeMs } from './timers.js';
import { validateAdvert, type Verdict } from './validate.js';
import { addressToBytes } from '../util/ip.js';
import type { LogFields } from '../util/log.js';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';
/** State names as keepalived prints them. */
export const STATE_NAMES: Readonly<Record<VrrpState, string>> = {
  INIT: 'INIT',
  BACKUP: 'BACKUP',
  MASTER: 'MASTER',
  FAULT: 'FAULT',
  STOP: 'STOP',
};

export type TimerName =
  /** Backup: Master_Down_Timer (RFC 3768 section 6.2). */
  | 'master-down'
  /** Master: Adver_Timer (RFC 3768 section 6.2). */
  | 'advert'
  /** Master: second gratuitous ARP burst after garp_master_delay. */
  | 'garp-delay'
  /** Master: periodic gratuitous ARP refresh (garp_master_refresh). */
  | 'garp-refresh'
  /** Master: second burst after a lower-priority advert (garp_lower_prio_delay). */
  | 'garp-lower-prio';

export interface InstanceState {
  readonly state: VrrpState;
  /** State the instance wants (sync groups gate BACKUP -> MASTER on every member's wantState). */
  readonly wantState: VrrpState;
  /** Effective priority after tracking (basePriority for an owner). */
  readonly effectivePriority: number;
  /** Set when a tracker or the interface puts us in FAULT; null otherwise. */
  readonly fault: string | null;
  /** Last accepted master (backup side), for logs and status. */
  readonly masterAddress: string | null;
  readonly masterPriority: number | null;
  /** preempt_delay: time after which lower-priority adverts are discarded (null = not started). */
  readonly preemptDeadline: number | null;
  /** Monotonic ms when the armed master-down timer fires (BACKUP), else null. */
  readonly masterDownAt: number | null;
  /** Error kinds logged since the last state change (keepalived logs each once). */
  readonly rateLimit: RateLimitState;
  /**
   * Administrative standby (`keepalived-ts vrrp standby`, docs/control.md): the instance stays
   * BACKUP and never takes over until resumed, as if its priority were 0 for the election.
   */
  readonly standby: boolean;
  /**
   * An address owner that heard another owner's advert (keepalived 2.2.7 vrrp_state_master_rx):
   * its base and effective priority are 254 from then on, and it is no longer an owner.
   */
  readonly ownerDemoted: boolean;
  /** `vrrp_startup_delay`: the clock time the delay ends, null once past (or none). */
  readonly delayedStartAt: number | null;
  /**
   * Tokens for answering adverts at once, beyond the Adver_Timer schedule (ANSWER_BUCKET): a
   * flood of lower-priority or priority-0 adverts must not make the master an amplifier.
   */
  readonly answerTokens: number;
  /** Clock time the answer tokens were last topped up. */
  readonly answerRefilledAt: number;
  /** Clock time of our last advert (keepalived's last_advert_sent), null before the first. */
  readonly lastAdvertSentAt: number | null;
}

/**
 * The bound on a master's immediate answers (docs/operations.md "Logs", bounded answers):
 * keepalived answers every lower-priority advert at once with its own advert, gratuitous ARPs
 * and notify_master_rx_lower_pri, and every priority-0 advert with an advert. keepalived-ts keeps
 * that, up to `burst` answers back to back and one more each `refillMs`; the answers it does not
 * give are counted (`advert_answer_suppressed`), and the Adver_Timer keeps its schedule.
 */
export const ANSWER_BUCKET = { burst: 3, refillMs: 1000 } as const;

export type Event =
  | {
      readonly kind: 'startup';
      readonly now: number;
      /**
       * `vrrp_startup_delay` (vrrp_scheduler.c vrrp_init_instance_sands): the clock time before
       * which no Master_Down_Timer ends; each one armed earlier runs from then. Omitted: none.
       */
      readonly delayedStartAt?: number;
    }
  | { readonly kind: 'packet'; readonly packet: ReceivedPacket; readonly now: number }
  | {
      readonly kind: 'timer';
      readonly timer: TimerName;
      readonly now: number;
      /**
       * Sync-group members only: `canGoToMaster` from sync-group.ts, asked when the
       * master-down timer fires. Omitted (or true) for instances outside a group.
       */
      readonly syncAllowsMaster?: boolean;
    }
  | {
      readonly kind: 'tracking';
      /** Effective priority from tracking.ts (ignored for an owner). */
      readonly effectivePriority: number;
      /** Fault reason (log text) or null when every weight-0 tracker is fine. */
      readonly fault: string | null;
      readonly now: number;
    }
  | {
      readonly kind: 'sync';
      readonly group: string;
      readonly to: 'MASTER' | 'BACKUP' | 'FAULT';
      readonly now: number;
    }
  | {
      /**
       * A datagram with this instance's VRID that does not decode as a VRRP message (shorter than
       * the fixed header): counted as a length error (packet_len_err) and logged, rate-limited.
       */
      readonly kind: 'malformed';
      readonly length: number;
      readonly reason: string;
      readonly now: number;
    }
  | {
      /**
       * One of this instance's tracked VIPs was removed from its interface by someone else
       * (`ip addr del`, NetworkManager). A MASTER gives up (keepalived's set_vrrp_backup): it
       * enters BACKUP and, unless a master speaks up, takes over again after Skew_Time, which
       * puts the VIPs back.
       */
      readonly kind: 'vip-removed';
      readonly address: string;
      readonly now: number;
    }
  | {
      /** The operator's standby (true) or resume (false) (docs/control.md). */
      readonly kind: 'admin';
      readonly standby: boolean;
      readonly now: number;
    }
  | {
      /**
       * A reload removed the instance (vrrp.c clear_diff_vrrp): a MASTER sends priority 0 and
       * removes its VIPs; the notify is DELETED with `notify_deleted`, else FAULT (none when already
       * in FAULT). No log line, as keepalived.
       */
      readonly kind: 'delete';
      readonly notifyDeleted: boolean;
      readonly now: number;
    }
  | { readonly kind: 'stop'; readonly now: number };

export type LogLevel = 'error' | 'warn' | 'info' | 'detail' | 'debug';
export type NotifyState =
  | 'MASTER'
  | 'BACKUP'
  | 'FAULT'
  | 'STOP'
  /** A reload removed the instance and it has `notify_deleted` (vrrp_notify.c). */
  | 'DELETED'
  | 'MASTER_RX_LOWER_PRI'
  /** `notify_priority_changes` (vrrp_notify.c send_instance_priority_notifies): no script runs. */
  | 'MASTER_PRIORITY'
  | 'BACKUP_PRIORITY';

export type Action =
  | { readonly kind: 'send-advert'; readonly priority: number }
  | { readonly kind: 'add-vips' }
  | { readonly kind: 'remove-vips' }
  | {
      readonly kind: 'send-garp';
      readonly reason: 'master' | 'lower-prio' | 'refresh';
      /** Packets per VIP in this burst. */
      readonly repeat: number;
      /** Gap between packets of the burst (vrrp_garp_interval), ms. */
      readonly intervalMs: number;
    }
  | { readonly kind: 'arm-timer'; readonly timer: TimerName; readonly ms: number }
  | { readonly kind: 'cancel-timer'; readonly timer: TimerName }
  | {
      readonly kind: 'run-notify';
      readonly state: NotifyState;
      readonly priority: number;
      /**
       * A removed instance's notify: its notify_<state> script is notify_deleted's whatever the
       * state (vrrp_notify.c send_instance_notifies picks it before DELETED becomes FAULT).
       */
      readonly deleted?: true;
    }
  | {
      readonly kind: 'log';
      readonly level: LogLevel;
      readonly message: string;
      /** Structured fields (util/log.ts); `limit` keys a line that may repeat in a flood. */
      readonly fields?: LogFields;
    }
  | { readonly kind: 'count'; readonly counter: VrrpCounterName }
  | {
      readonly kind: 'state-changed';
      readonly from: VrrpState;
      readonly to: VrrpState;
      readonly reason: string;
    };

export interface Step {
  readonly state: InstanceState;
  readonly actions: readonly Action[];
}

export const OWNER_PRIORITY = 255;
const STOP_PRIORITY = 0;
const ALL_TIMERS: readonly TimerName[] = [
  'master-down',
  'advert',
  'garp-delay',
  'garp-refresh',
  'garp-lower-prio',
];
const MASTER_TIMERS: readonly TimerName[] = ['advert', 'garp-delay', 'garp-refresh', 'garp-lower-prio'];

export function initialState(params: InstanceParams): InstanceState {
  return {
    state: 'INIT',
    wantState: params.initialState,
    effectivePriority: params.basePriority,
    fault: null,
    masterAddress: null,
    masterPriority: null,
    preemptDeadline: null,
    masterDownAt: null,
    rateLimit: emptyRateLimit(),
    standby: false,
    ownerDemoted: false,
    delayedStartAt: null,
    answerTokens: ANSWER_BUCKET.burst,
    answerRefilledAt: 0,
    lastAdvertSentAt: null,
  };
}

/** Mutable working context of one reduce call; the reducer stays pure from the outside. */
interface Ctx {
  readonly p: InstanceParams;
  readonly now: number;
  s: InstanceState;
  readonly actions: Action[];
}

function log(ctx: Ctx, level: LogLevel, message: string, fields?: LogFields): void {
  ctx.actions.push(
    fields === undefined ? { kind: 'log', level, message } : { kind: 'log', level, message, fields },
  );
}

/** The rate-limit key of an instance's repeating line (util/rate-limited-log.ts). */
function limitKey(ctx: Ctx, what: string): string {
  return `${ctx.p.name}:${what}`;
}

/**
 * Takes one answer token (ANSWER_BUCKET) if there is one. The bucket refills with time, one token
 * per `refillMs`, up to `burst`.
 */
function takeAnswerToken(ctx: Ctx): boolean {
  const { burst, refillMs } = ANSWER_BUCKET;
  let tokens = ctx.s.answerTokens;
  let refilledAt = ctx.s.answerRefilledAt;
  if (tokens < burst) {
    const earned = Math.floor((ctx.now - refilledAt) / refillMs);
    if (earned > 0) {
      tokens = Math.min(burst, tokens + earned);
      refilledAt += earned * refillMs;
    }
  }
  if (tokens === burst) refilledAt = ctx.now;
  const answered = tokens >= 1;
  if (answered) tokens -= 1;
  else count(ctx, 'advert_answer_suppressed');
  ctx.s = { ...ctx.s, answerTokens: tokens, answerRefilledAt: refilledAt };
  return answered;
}

function count(ctx: Ctx, counter: VrrpCounterName): void {
  ctx.actions.push({ kind: 'count', counter });
}

function arm(ctx: Ctx, timer: TimerName, delay: number, fromNow = false): void {
  let at = Math.max(0, delay);
  // vrrp_init_instance_sands: during vrrp_startup_delay a BACKUP's down timer runs from its end.
  const delayed = ctx.s.delayedStartAt;
  if (timer === 'master-down' && delayed !== null) {
    if (ctx.now < delayed) {
      if (!fromNow) at += delayed - ctx.now;
    } else ctx.s = { ...ctx.s, delayedStartAt: null };
  }
  ctx.actions.push({ kind: 'arm-timer', timer, ms: at });
  if (timer === 'master-down') ctx.s = { ...ctx.s, masterDownAt: ctx.now + at };
}

function cancel(ctx: Ctx, timers: readonly TimerName[]): void {
  for (const timer of timers) ctx.actions.push({ kind: 'cancel-timer', timer });
  if (timers.includes('master-down')) ctx.s = { ...ctx.s, masterDownAt: null };
}

function masterDown(ctx: Ctx): number {
  return masterDownIntervalMs(ctx.p.advertIntSec, ctx.s.effectivePriority, ctx.p.downTimerAdverts);
}

function sendAdvert(ctx: Ctx, priority: number): void {
  ctx.actions.push({ kind: 'send-advert', priority });
  ctx.s = { ...ctx.s, lastAdvertSentAt: ctx.now };
  count(ctx, 'advert_sent');
  if (priority === STOP_PRIORITY) {
    count(ctx, 'pri_zero_sent');
    log(ctx, 'detail', `(${ctx.p.name}) sent 0 priority`);
  }
}

/** Emits the counters and the rate-limited log line of a validation verdict. */
function applyVerdict(ctx: Ctx, verdict: Verdict): void {
  for (const counter of verdict.counters) count(ctx, counter);
  if (verdict.log) {
    const decision = rateLimitDecision(ctx.s.rateLimit, verdict.log.error);
    ctx.s = { ...ctx.s, rateLimit: decision.state };
    if (decision.log) {
      log(ctx, 'info', verdict.log.message, {
        error: verdict.log.error,
        limit: limitKey(ctx, verdict.log.error),
      });
    }
  }
}

function stateFields(ctx: Ctx, from: VrrpState, to: VrrpState, reason: string): LogFields {
  return { state: to, from, reason, priority: ctx.s.effectivePriority };
}

/**
 * The one transition function: every state change goes through here, which emits the entry
 * actions in keepalived's order, the log line, counters, notify and `state-changed`.
 */
function changeState(ctx: Ctx, to: VrrpState, reason: string): void {
  const from = ctx.s.state;
  const name = ctx.p.name;
  if (from === to) return;
  // keepalived clears the rate-limited error flags on every state change.
  ctx.s = { ...ctx.s, state: to, rateLimit: emptyRateLimit() };
  switch (to) {
    case 'MASTER': {
      // RFC 3768 section 6.4.2 / keepalived become_master: advert first (so the old master
      // drops its VIPs before our GARPs), then log, VIPs, GARP burst, notify.
      cancel(ctx, ['master-down']);
      sendAdvert(ctx, ctx.s.effectivePriority);
      log(ctx, 'info', `(${name}) Entering MASTER STATE`, stateFields(ctx, from, to, reason));
      count(ctx, 'become_master');
      ctx.actions.push({ kind: 'add-vips' });
      const g = ctx.p.garp;
      ctx.actions.push({
        kind: 'send-garp',
        reason: 'master',
        repeat: g.masterRepeat,
        intervalMs: g.intervalMs,
      });
      if (g.masterDelayMs > 0) arm(ctx, 'garp-delay', g.masterDelayMs);
      if (g.masterRefreshMs > 0) arm(ctx, 'garp-refresh', g.masterDelayMs + g.masterRefreshMs);
      ctx.actions.push({ kind: 'run-notify', state: 'MASTER', priority: ctx.s.effectivePriority });
      arm(ctx, 'advert', advertIntervalMs(ctx.p.advertIntSec));
      ctx.s = { ...ctx.s, wantState: 'MASTER', preemptDeadline: null };
      break;
    }
    case 'BACKUP': {
      log(
        ctx,
        'info',
        `(${name}) Entering BACKUP STATE${from === 'INIT' ? ' (init)' : ''}`,
        stateFields(ctx, from, to, reason),
      );
      if (from === 'MASTER') {
        ctx.actions.push({ kind: 'remove-vips' });
        cancel(ctx, MASTER_TIMERS);
        count(ctx, 'release_master');
      }
      ctx.actions.push({ kind: 'run-notify', state: 'BACKUP', priority: ctx.s.effectivePriority });
      ctx.s = { ...ctx.s, wantState: 'BACKUP', preemptDeadline: null };
      arm(ctx, 'master-down', masterDown(ctx));
      break;
    }
    case 'FAULT': {
      log(
        ctx,
        'info',
        `(${name}) Entering FAULT STATE${from === 'INIT' ? ' (init)' : ''}`,
        stateFields(ctx, from, to, reason),
      );
      if (from === 'MASTER') {
        // docs/behaviour.md §3.4: a master entering FAULT sends priority 0.
        sendAdvert(ctx, STOP_PRIORITY);
        ctx.actions.push({ kind: 'remove-vips' });
        cancel(ctx, MASTER_TIMERS);
        count(ctx, 'release_master');
      } else {
        cancel(ctx, ['master-down']);
      }
      ctx.actions.push({ kind: 'run-notify', state: 'FAULT', priority: ctx.s.effectivePriority });
      ctx.s = { ...ctx.s, wantState: 'FAULT', masterAddress: null, masterPriority: null };
      break;
    }
    case 'STOP': {
      if (from === 'MASTER') {
        // RFC 3768 section 6.4.3 (Shutdown): "Send an ADVERTISEMENT with Priority = 0".
        sendAdvert(ctx, STOP_PRIORITY);
        ctx.actions.push({ kind: 'remove-vips' });
      }
      cancel(ctx, ALL_TIMERS);
      ctx.actions.push({ kind: 'run-notify', state: 'STOP', priority: ctx.s.effectivePriority });
      ctx.s = { ...ctx.s, wantState: 'STOP' };
      break;
    }
    case 'INIT':
      throw new Error(`changeState to INIT from ${from} (this is a bug)`);
  }
  ctx.actions.push({ kind: 'state-changed', from, to, reason });
}

/** Priority 255 in the config and not demoted by a second owner (keepalived's base_priority). */
function isOwner(ctx: Ctx): boolean {
  return ctx.p.basePriority === OWNER_PRIORITY && !ctx.s.ownerDemoted;
}

/** State an instance returns to when it is allowed to run (startup, fault cleared). */
function goUp(ctx: Ctx, reason: string): void {
  const owner = isOwner(ctx);
  // docs/behaviour.md §3.4: owner with `state MASTER` takes over at once
  // (RFC 3768 section 6.4.1: "If the Priority = 255 ... transition to the {Master} state").
  // An instance in standby never does: it waits in BACKUP until resumed.
  if (owner && ctx.p.initialState === 'MASTER' && !ctx.s.standby) changeState(ctx, 'MASTER', reason);
  else changeState(ctx, 'BACKUP', reason);
}

function onStartup(ctx: Ctx, delayedStartAt: number | undefined): void {
  if (ctx.s.state !== 'INIT') return;
  if (delayedStartAt !== undefined && delayedStartAt > ctx.now) {
    ctx.s = { ...ctx.s, delayedStartAt };
    // keepalived's owner waits the delay silently (state BACKUP, ms_down_timer 1 us, no line or
    // notify), then takes over: INIT here, and the startup again when the timer ends.
    if (ctx.s.fault === null && isOwner(ctx) && ctx.p.initialState === 'MASTER' && !ctx.s.standby) {
      arm(ctx, 'master-down', 0);
      return;
    }
  }
  if (ctx.s.fault !== null) changeState(ctx, 'FAULT', 'init');
  else goUp(ctx, 'init');
}

/**
 * `timer_expired_backup` (keepalived 2.2.8+ vrrp.c vrrp_thread_timeout_handler): when the daemon
 * was not scheduled for so long that a router of the configured highest other priority has taken
 * over (3 adverts + its skew since our last advert), this MASTER goes BACKUP instead of resuming
 * and pre-empting it against nopreempt. No priority-0 advert, as keepalived.
 */
function heldUpPastTakeover(ctx: Ctx): boolean {
  const other = ctx.p.timerExpiredBackupPriority;
  const last = ctx.s.lastAdvertSentAt;
  if (other === 0 || last === null) return false;
  const intervalMs = advertIntervalMs(ctx.p.advertIntSec);
  const takeoverMs = 3 * intervalMs + ((256 - other) * 1000) / 256;
  if (ctx.now < last + takeoverMs) return false;
  const lateUs = Math.max(0, Math.round((ctx.now - last - intervalMs) * 1000));
  const late = `${Math.floor(lateUs / 1e6)}.${String(lateUs % 1e6).padStart(6, '0')}`;
  log(ctx, 'info', `VRRP thread timer expired ${late} seconds ago`);
  changeState(ctx, 'BACKUP', 'timer-expired-backup');
  return true;
}

function onTimer(ctx: Ctx, event: Extract<Event, { kind: 'timer' }>): void {
  const g = ctx.p.garp;
  switch (event.timer) {
    case 'master-down':
      if (ctx.s.state === 'INIT' && ctx.s.delayedStartAt !== null) {
        // An owner's delayed start (onStartup).
        ctx.s = { ...ctx.s, delayedStartAt: null };
        onStartup(ctx, undefined);
        return;
      }
      if (ctx.s.state !== 'BACKUP') return; // stale expiry after a transition
      if (ctx.s.standby) {
        // Standby: the master is gone (or never was), but the operator holds this node back.
        arm(ctx, 'master-down', masterDown(ctx));
        return;
      }
      if (event.syncAllowsMaster === false) {
        // Sync group: wait for the other members to want MASTER too (keepalived re-arms).
        ctx.s = { ...ctx.s, wantState: 'MASTER' };
        arm(ctx, 'master-down', masterDown(ctx));
        return;
      }
      // RFC 3768 section 6.4.2: "If the Master_Down_Timer fires ... Transition to the {Master} state".
      log(ctx, 'detail', `(${ctx.p.name}) Receive advertisement timeout`);
      changeState(ctx, 'MASTER', 'master-down-timeout');
      return;
    case 'advert':
      if (ctx.s.state !== 'MASTER') return;
      if (heldUpPastTakeover(ctx)) return;
      // RFC 3768 section 6.4.3: "If the Adver_Timer fires ... Send an ADVERTISEMENT".
      sendAdvert(ctx, ctx.s.effectivePriority);
      arm(ctx, 'advert', advertIntervalMs(ctx.p.advertIntSec));
      return;
    case 'garp-delay':
      if (ctx.s.state !== 'MASTER') return;
      ctx.actions.push({
        kind: 'send-garp',
        reason: 'master',
        repeat: g.masterRepeat,
        intervalMs: g.intervalMs,
      });
      return;
    case 'garp-refresh':
      if (ctx.s.state !== 'MASTER') return;
      ctx.actions.push({
        kind: 'send-garp',
        reason: 'refresh',
        repeat: g.masterRefreshRepeat,
        intervalMs: g.intervalMs,
      });
      arm(ctx, 'garp-refresh', g.masterRefreshMs);
      return;
    case 'garp-lower-prio':
      if (ctx.s.state !== 'MASTER') return;
      ctx.actions.push({
        kind: 'send-garp',
        reason: 'lower-prio',
        repeat: g.lowerPrioRepeat,
        intervalMs: g.intervalMs,
      });
      return;
  }
}

function onBackupPacket(ctx: Ctx, packet: ReceivedPacket): void {
  const { advert, ip } = packet;
  const name = ctx.p.name;
  const from = ip.source;
  const masterChange = ctx.s.masterAddress !== from;
  const verdict = validateAdvert(packet, ctx.p, { checkAddresses: masterChange || !ctx.p.skipCheckAdvAddr });
  applyVerdict(ctx, verdict);
  // RFC 3768 section 7.1: a discarded packet changes nothing, so the down timer keeps running.
  if (verdict.kind === 'drop') return;
  // Reset only once accepted, so spoofed rejects cannot defeat the rate limiting.
  if (masterChange) ctx.s = { ...ctx.s, rateLimit: emptyRateLimit() };

  const ours = ctx.s.effectivePriority;
  const prio = advert.priority;
  const delay = ctx.p.preemptDelayMs;
  if (prio === 0) {
    // RFC 3768 section 6.4.2: "If the Priority in the ADVERTISEMENT is zero, then: Set the
    // Master_Down_Timer to Skew_Time".
    log(ctx, 'detail', `(${name}) Backup received priority 0 advertisement`);
    arm(ctx, 'master-down', skewTimeMs(ours));
    return;
  }
  const preemptDelayRunning =
    delay > 0 && (ctx.s.preemptDeadline === null || ctx.s.preemptDeadline > ctx.now);
  if (ctx.s.standby) {
    // Standby takes part in no election: any master is accepted as a priority-0 node would.
    arm(ctx, 'master-down', masterDown(ctx));
    ctx.s = {
      ...ctx.s,
      masterAddress: from,
      masterPriority: prio,
      preemptDeadline: null,
      wantState: 'BACKUP',
    };
    return;
  }
  if (ctx.p.nopreempt || prio >= ours || preemptDelayRunning) {
    // RFC 3768 section 6.4.2: "If Preempt_Mode is False, or If the Priority in the ADVERTISEMENT
    // is greater than or equal to the local Priority, then: Reset the Master_Down_Timer".
    arm(ctx, 'master-down', masterDown(ctx));
    let preemptDeadline = ctx.s.preemptDeadline;
    if (delay > 0) {
      if (prio >= ours) {
        if (preemptDeadline !== null) log(ctx, 'detail', `(${name}) stop preempt delay`);
        preemptDeadline = null;
      } else if (preemptDeadline === null) {
        log(ctx, 'detail', `(${name}) start preempt delay (${(delay / 1000).toFixed(6)})`);
        preemptDeadline = ctx.now + delay;
      }
    }
    ctx.s = { ...ctx.s, masterAddress: from, masterPriority: prio, preemptDeadline, wantState: 'BACKUP' };
    return;
  }
  // RFC 3768 section 6.4.2: "Otherwise: Discard the ADVERTISEMENT" - we take over when the
  // running down timer fires.
  log(ctx, 'info', `(${name}) received lower priority (${prio}) advert from ${from} - discarding`, {
    source: from,
    advertPriority: prio,
    limit: limitKey(ctx, 'lower-priority'),
  });
  ctx.s = { ...ctx.s, masterAddress: from };
}

/**
 * RFC 3768 section 6.4.3 tie-break: sign of (sender - our primary address) compared as unsigned
 * integers. 0 when our address is unknown (keepalived's vrrp_saddr_cmp does the same).
 */
function compareSource(sender: string, ours: string): number {
  const a = addressToBytes(sender);
  const b = addressToBytes(ours);
  if (!a || !b || a.length !== b.length) return 0;
  return Math.sign(Buffer.compare(a, b));
}

function onMasterPacket(ctx: Ctx, packet: ReceivedPacket): void {
  const { advert, ip } = packet;
  const name = ctx.p.name;
  const from = ip.source;
  const verdict = validateAdvert(packet, ctx.p, { checkAddresses: true });
  applyVerdict(ctx, verdict);
  if (verdict.kind === 'drop') return;

  let ours = ctx.s.effectivePriority;
  const prio = advert.priority;
  const cmp = compareSource(from, ctx.p.sourceAddress);
  const advertTimer = (): void => arm(ctx, 'advert', advertIntervalMs(ctx.p.advertIntSec));

  if (prio === 0 || (ctx.p.higherPrioSendAdvert && (prio > ours || (prio === ours && cmp > 0)))) {
    // RFC 3768 section 6.4.3: "If the Priority in the ADVERTISEMENT is zero, then: Send an
    // ADVERTISEMENT, Reset the Adver_Timer" - at a bounded rate (ANSWER_BUCKET).
    if (takeAnswerToken(ctx)) {
      sendAdvert(ctx, ours);
      advertTimer();
    }
    if (prio === 0) {
      log(ctx, 'detail', `(${name}) Master received priority 0 message`, {
        limit: limitKey(ctx, 'priority-0'),
      });
      return;
    }
  }

  if (prio === ours) {
    if (cmp === 0) {
      log(
        ctx,
        'info',
        `(${name}) WARNING - equal priority advert received from remote host with our IP address.`,
        { limit: limitKey(ctx, 'equal-priority-own-address') },
      );
      return;
    }
    if (ours === OWNER_PRIORITY) {
      // keepalived 2.2.7 (vrrp.c vrrp_state_master_rx): two address owners are a configuration
      // error; the one hearing the other drops its base and effective priority to 254, whatever
      // the addresses, and so yields to the other's 255 below.
      log(
        ctx,
        'info',
        `(${name}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority`,
        { source: from, limit: limitKey(ctx, 'both-owners') },
      );
      ours = OWNER_PRIORITY - 1;
      ctx.s = { ...ctx.s, effectivePriority: ours, ownerDemoted: true };
    }
  }

  if (prio < ours || (prio === ours && cmp < 0)) {
    // RFC 3768 section 6.4.3: lower priority (or equal with a lower address) is discarded;
    // keepalived also re-advertises and re-ARPs at once ("forcing new election").
    const forcing = ctx.p.lowerPrioNoAdvert ? '' : ', forcing new election';
    log(
      ctx,
      'info',
      `(${name}) Received advert from ${from} with lower priority ${prio}, ours ${ours}${forcing}`,
      { source: from, advertPriority: prio, priority: ours, limit: limitKey(ctx, 'lower-priority') },
    );
    // The whole answer (advert, GARPs, notify) is bounded: one flood packet, at most one answer.
    if (!takeAnswerToken(ctx)) return;
    if (!ctx.p.lowerPrioNoAdvert) {
      sendAdvert(ctx, ours);
      advertTimer();
    }
    const g = ctx.p.garp;
    if (g.lowerPrioRepeat > 0) {
      ctx.actions.push({
        kind: 'send-garp',
        reason: 'lower-prio',
        repeat: g.lowerPrioRepeat,
        intervalMs: g.intervalMs,
      });
      if (g.lowerPrioDelayMs > 0) arm(ctx, 'garp-lower-prio', g.lowerPrioDelayMs);
    }
    ctx.actions.push({ kind: 'run-notify', state: 'MASTER_RX_LOWER_PRI', priority: ours });
    return;
  }

  // RFC 3768 section 6.4.3: "If the Priority in the ADVERTISEMENT is greater than the local
  // Priority, or ... equal and the primary IP Address of the sender is greater than the local
  // primary IP Address, then: Cancel Adver_Timer, Set Master_Down_Timer, Transition to {Backup}".
  if (prio > ours) {
    log(
      ctx,
      'info',
      `(${name}) Master received advert from ${from} with higher priority ${prio}, ours ${ours}`,
    );
  } else {
    log(
      ctx,
      'info',
      `(${name}) Master received advert from ${from} with same priority ${prio} but higher IP address than ours`,
    );
  }
  ctx.s = { ...ctx.s, masterAddress: from, masterPriority: prio };
  changeState(ctx, 'BACKUP', 'higher-priority-advert');
}

function onTracking(ctx: Ctx, event: Extract<Event, { kind: 'tracking' }>): void {
  // An owner tracks nothing by weight (vrrp.c): 255, or 254 once demoted by a second owner.
  const newPriority = isOwner(ctx)
    ? OWNER_PRIORITY
    : ctx.p.basePriority === OWNER_PRIORITY
      ? OWNER_PRIORITY - 1
      : Math.min(254, Math.max(1, Math.round(event.effectivePriority)));
  const old = ctx.s.effectivePriority;
  if (newPriority !== old) {
    log(ctx, 'info', `(${ctx.p.name}) Changing effective priority from ${old} to ${newPriority}`, {
      priority: newPriority,
      previousPriority: old,
    });
    const oldDown = masterDown(ctx);
    ctx.s = { ...ctx.s, effectivePriority: newPriority };
    // keepalived moves a running down timer by the change of Skew_Time.
    if (ctx.s.state === 'BACKUP' && ctx.s.masterDownAt !== null) {
      arm(ctx, 'master-down', ctx.s.masterDownAt + (masterDown(ctx) - oldDown) - ctx.now, true);
    }
    // vrrp_track.c vrrp_update_priority: the change is notified last, MASTER or not.
    if (ctx.p.notifyPriorityChanges) {
      const state = ctx.s.state === 'MASTER' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY';
      ctx.actions.push({ kind: 'run-notify', state, priority: newPriority });
    }
  }
  if (event.fault !== null && ctx.s.fault === null) {
    ctx.s = { ...ctx.s, fault: event.fault };
    if (ctx.s.state === 'MASTER' || ctx.s.state === 'BACKUP')
      changeState(ctx, 'FAULT', `fault: ${event.fault}`);
  } else if (event.fault === null && ctx.s.fault !== null) {
    ctx.s = { ...ctx.s, fault: null };
    if (ctx.s.state === 'FAULT') goUp(ctx, 'fault-cleared');
  } else if (event.fault !== null) {
    ctx.s = { ...ctx.s, fault: event.fault };
  }
}

function onSync(ctx: Ctx, event: Extract<Event, { kind: 'sync' }>): void {
  const state = ctx.s.state;
  const reason = `sync-group ${event.group}`;
  switch (event.to) {
    case 'MASTER':
      if (ctx.s.standby) return; // the operator's standby outranks the group
      if (state === 'BACKUP' || (state === 'FAULT' && ctx.s.fault === null))
        changeState(ctx, 'MASTER', reason);
      return;
    case 'BACKUP':
      if (state === 'MASTER' || (state === 'FAULT' && ctx.s.fault === null))
        changeState(ctx, 'BACKUP', reason);
      return;
    case 'FAULT':
      if (state === 'MASTER' || state === 'BACKUP') changeState(ctx, 'FAULT', reason);
      return;
  }
}

/**
 * The operator's standby and resume (docs/control.md). Standby on a MASTER hands over at once as
 * at shutdown (RFC 3768 section 6.4.3: "Send an ADVERTISEMENT with Priority = 0", so the backup
 * takes over after Skew_Time), then goes BACKUP and stays there; the checkers and trackers keep
 * running. Resume only lifts the hold: a backup with the higher priority preempts in the normal
 * way (section 6.4.2) when the master's next lower-priority advert is discarded and its
 * Master_Down_Timer fires.
 */
function onAdmin(ctx: Ctx, event: Extract<Event, { kind: 'admin' }>): void {
  if (event.standby === ctx.s.standby) return;
  const name = ctx.p.name;
  ctx.s = { ...ctx.s, standby: event.standby };
  if (!event.standby) {
    log(ctx, 'info', `(${name}) Leaving administrative standby`);
    return;
  }
  log(ctx, 'info', `(${name}) Entering administrative standby`);
  if (ctx.s.state === 'MASTER') {
    sendAdvert(ctx, STOP_PRIORITY);
    changeState(ctx, 'BACKUP', 'standby');
  } else {
    ctx.s = { ...ctx.s, wantState: ctx.s.state === 'FAULT' ? 'FAULT' : 'BACKUP' };
  }
}

/**
 * vrrp.c clear_diff_vrrp for an instance missing from the new config: vrrp_restore_interface (a
 * MASTER's priority-0 advert and VIP removal), then send_instance_notifies with state DELETED,
 * which is FAULT without `notify_deleted` - and nothing for an instance already in FAULT then.
 * The FAULT case is a state change (its FIFO line is the state's); DELETED is no state of ours:
 * the notifier writes its line, and the instance ends in STOP without a STOP notify.
 */
function onDelete(ctx: Ctx, notifyDeleted: boolean): void {
  const from = ctx.s.state;
  if (from === 'MASTER') {
    sendAdvert(ctx, STOP_PRIORITY);
    ctx.actions.push({ kind: 'remove-vips' });
    count(ctx, 'release_master');
  }
  cancel(ctx, ALL_TIMERS);
  const priority = ctx.s.effectivePriority;
  if (notifyDeleted) {
    ctx.actions.push({ kind: 'run-notify', state: 'DELETED', priority, deleted: true });
  } else if (from !== 'FAULT') {
    // Without notify_deleted the FAULT notify runs the generic script only (notify_fault not).
    ctx.s = { ...ctx.s, state: 'FAULT' };
    ctx.actions.push({ kind: 'run-notify', state: 'FAULT', priority, deleted: true });
    ctx.actions.push({ kind: 'state-changed', from, to: 'FAULT', reason: 'deleted' });
  }
  // STOP without a state change: a STOP line or notify would be one keepalived does not write.
  ctx.s = { ...ctx.s, state: 'STOP', wantState: 'STOP' };
}

/** The reducer: pure, total over (state, event); unknown combinations are no-ops. */
export function reduce(params: InstanceParams, state: InstanceState, event: Event): Step {
  const ctx: Ctx = { p: params, now: event.now, s: state, actions: [] };
  switch (event.kind) {
    case 'startup':
      onStartup(ctx, event.delayedStartAt);
      break;
    case 'timer':
      onTimer(ctx, event);
      break;
    case 'packet':
      // keepalived's scheduler runs its late-timer check before the socket's events: adverts
      // queued while the daemon was held up reach a MASTER that has gone BACKUP.
      if (ctx.s.state === 'MASTER') heldUpPastTakeover(ctx);
      // INIT, FAULT and STOP ignore adverts (keepalived reads nothing for them).
      if (ctx.s.state === 'BACKUP') onBackupPacket(ctx, event.packet);
      else if (ctx.s.state === 'MASTER') onMasterPacket(ctx, event.packet);
      break;
    case 'tracking':
      if (ctx.s.state !== 'STOP') onTracking(ctx, event);
      break;
    case 'sync':
      onSync(ctx, event);
      break;
    case 'admin':
      if (ctx.s.state !== 'STOP') onAdmin(ctx, event);
      break;
    case 'vip-removed':
      if (ctx.s.state === 'MASTER') {
        changeState(ctx, 'BACKUP', `vip-removed ${event.address}`);
        // keepalived: "We want a quick transition back to master" (ms_down_timer = skew time).
        arm(ctx, 'master-down', skewTimeMs(ctx.s.effectivePriority));
      }
      break;
    case 'malformed':
      // As adverts: only BACKUP and MASTER read them.
      if (ctx.s.state === 'BACKUP' || ctx.s.state === 'MASTER') {
        count(ctx, 'packet_len_err');
        // keepalived's line (vrrp.c vrrp_get_header; the length is the whole IPv4 datagram's). keepalived
        // cannot tell the instance and counts nothing; the VRID is there, so it is this instance's.
        log(ctx, 'info', `IPv4 VRRP packet too short - ${event.length} bytes`, {
          error: 'short-packet',
          limit: limitKey(ctx, 'short-packet'),
        });
      }
      break;
    case 'stop':
      if (ctx.s.state !== 'STOP') changeState(ctx, 'STOP', 'stop');
      break;
    case 'delete':
      if (ctx.s.state !== 'STOP') onDelete(ctx, event.notifyDeleted);
      break;
  }
  return { state: ctx.s, actions: ctx.actions };
}
