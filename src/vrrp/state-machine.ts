/**
 * PURE VRRPv2 instance state machine (RFC 3768 section 6.4) as a reducer.
 *
 * API summary (for the instance shell)
 * - `paramsFromConfig(instance, globals, sourceAddress) -> InstanceParams`: the small, derived,
 *   millisecond-based parameter object the reducer works from.
 * - `initialState(params) -> InstanceState` (state INIT).
 * - `reduce(params, state, event) -> { state, actions }`. Time comes in every event as `now`
 *   (monotonic ms from the injected Clock). The reducer never schedules anything itself: timers are
 *   actions (`arm-timer` / `cancel-timer` by name); when one fires, the shell feeds
 *   `{ kind: 'timer', timer, now }`. Re-arming a timer name replaces the previous one.
 * - Events: `startup`, `packet` (a decoded packet already matched to this VRID; the reducer runs
 *   `validate.ts` itself so counters and rate-limited logs stay in one place), `timer`,
 *   `tracking` (effective priority / fault from `tracking.ts`), `sync` (a sync-group command from
 *   `sync-group.ts`), `stop`.
 * - Actions, run by the shell in order: `send-advert {priority}`, `add-vips`, `remove-vips`,
 *   `send-garp {reason, repeat, intervalMs}`, `arm-timer {timer, ms}`, `cancel-timer {timer}`,
 *   `run-notify {state, priority}`, `log {level, message}`, `count {counter}`,
 *   `state-changed {from, to, reason}` (for sync groups, notify FIFO, metrics).
 */
import type { GlobalDefs, VrrpInstance } from '../config/model.js';
import type { VrrpCounterName } from './counters.js';
import type { ReceivedPacket } from './packet.js';
import type { RateLimitState } from './rate-limit.js';

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
  | 'garp-refresh';

export type AuthParams =
  | { readonly type: 'none' }
  | { readonly type: 'pass'; readonly authData: Uint8Array }
  /** AH is parsed by config but not implemented on the wire; adverts are rejected. */
  | { readonly type: 'ah' };

export interface GarpParams {
  readonly masterDelayMs: number;
  readonly masterRepeat: number;
  readonly lowerPrioDelayMs: number;
  readonly lowerPrioRepeat: number;
  readonly masterRefreshMs: number;
  readonly masterRefreshRepeat: number;
  readonly intervalMs: number;
}

/** Everything the reducer needs about one instance, derived once from config. */
export interface InstanceParams {
  readonly name: string;
  readonly vrid: number;
  /** Configured priority 1..255 (255 = address owner). */
  readonly basePriority: number;
  /** Whole seconds (VRRPv2 field). */
  readonly advertIntSec: number;
  readonly initialState: 'MASTER' | 'BACKUP';
  readonly nopreempt: boolean;
  readonly preemptDelayMs: number;
  readonly auth: AuthParams;
  /** IPv4 VIPs carried in adverts (no prefix), in config order. */
  readonly vipAddresses: readonly string[];
  /** Our primary address (advert source), for the equal-priority tie-break (section 6.4.3). */
  readonly sourceAddress: string;
  /** True for multicast (TTL must be 255); false with unicast peers. */
  readonly multicast: boolean;
  /** Unicast peers with their TTL range, when checked. */
  readonly unicastPeers: readonly {
    readonly address: string;
    readonly minTtl: number;
    readonly maxTtl: number;
  }[];
  readonly checkUnicastSrc: boolean;
  readonly downTimerAdverts: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly skipCheckAdvAddr: boolean;
  readonly garp: GarpParams;
  readonly syncGroup: string | null;
}

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
  /** Error kinds logged since the last state change (keepalived logs each once). */
  readonly rateLimit: RateLimitState;
}

export type Event =
  | { readonly kind: 'startup'; readonly now: number }
  | { readonly kind: 'packet'; readonly packet: ReceivedPacket; readonly now: number }
  | { readonly kind: 'timer'; readonly timer: TimerName; readonly now: number }
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
  | { readonly kind: 'stop'; readonly now: number };

export type LogLevel = 'error' | 'warn' | 'info' | 'detail' | 'debug';
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'MASTER_RX_LOWER_PRI';

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
  | { readonly kind: 'run-notify'; readonly state: NotifyState; readonly priority: number }
  | { readonly kind: 'log'; readonly level: LogLevel; readonly message: string }
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

export declare function paramsFromConfig(
  instance: VrrpInstance,
  globals: GlobalDefs,
  sourceAddress: string,
): InstanceParams;

export declare function initialState(params: InstanceParams): InstanceState;

export declare function reduce(params: InstanceParams, state: InstanceState, event: Event): Step;
