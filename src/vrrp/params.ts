/**
 * PURE: the reducer's per-instance parameters (InstanceParams), derived once from the config
 * model. Its own module so the reducer (state-machine.ts) and the advert checks (validate.ts)
 * both depend on it without depending on each other.
 */
import type { GlobalDefs, VrrpInstance, VrrpSyncGroup } from '../config/model.js';
import type { AuthHmacParams } from './auth-hmac.js';
import { passwordAuthData } from './packet.js';

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
  /** `auth_hmac` (keepalived 2.4.2+); absent or null = none. */
  readonly authHmac?: AuthHmacParams | null;
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
  /** `timer_expired_backup`: the other routers' highest priority, 0 = off (docs/behaviour.md §3.4). */
  readonly timerExpiredBackupPriority: number;
  readonly skipCheckAdvAddr: boolean;
  readonly garp: GarpParams;
  readonly syncGroup: string | null;
  /**
   * `notify_priority_changes`: a change of effective priority is notified (`MASTER_PRIORITY` or
   * `BACKUP_PRIORITY`, written to the notify FIFOs only); vrrp.c resolves the instance's setting,
   * else its sync group's, else `vrrp_notify_priority_changes`.
   */
  readonly notifyPriorityChanges: boolean;
}

const ms = (seconds: number): number => Math.round(seconds * 1000);

/** Derives the reducer's parameters from the config model (defaults were applied by the schema). */
export function paramsFromConfig(
  instance: VrrpInstance,
  globals: GlobalDefs,
  sourceAddress: string,
  group: Pick<VrrpSyncGroup, 'notifyPriorityChanges'> | null = null,
): InstanceParams {
  const auth: AuthParams =
    instance.authentication === null
      ? { type: 'none' }
      : instance.authentication.type === 'PASS'
        ? { type: 'pass', authData: passwordAuthData(instance.authentication.password) }
        : { type: 'ah' };
  const unicastPeers = instance.unicastPeers.map((p) => ({
    address: p.address,
    minTtl: p.minTtl ?? 0,
    maxTtl: p.maxTtl ?? 255,
  }));
  const ttlRange = instance.unicastPeers.some((p) => p.minTtl !== null || p.maxTtl !== null);
  const hmac = instance.authHmac ?? null;
  const authHmac: AuthHmacParams | null =
    hmac === null
      ? null
      : {
          keys: new Map(hmac.keys.map((k) => [k.id, Buffer.from(k.hex, 'hex')])),
          activeKey: hmac.activeKey,
          mode: hmac.mode,
          antiReplay: hmac.antiReplay,
          timeWindowSec: hmac.timeWindow,
        };
  return {
    name: instance.name,
    vrid: instance.virtualRouterId,
    basePriority: instance.priority,
    // VRRPv2 carries whole seconds, 1..255 (keepalived rounds with a config error).
    advertIntSec: Math.min(255, Math.max(1, Math.round(instance.advertInt))),
    initialState: instance.state,
    // `state MASTER` clears nopreempt and preempt_delay (docs/behaviour.md §1.3).
    nopreempt: instance.state === 'MASTER' ? false : instance.nopreempt,
    preemptDelayMs: instance.state === 'MASTER' ? 0 : ms(instance.preemptDelay),
    auth,
    authHmac,
    vipAddresses: instance.vips.filter((v) => v.family === 'inet').map((v) => v.address),
    sourceAddress,
    multicast: instance.unicastPeers.length === 0,
    unicastPeers,
    checkUnicastSrc: instance.checkUnicastSrc || globals.vrrpCheckUnicastSrc || ttlRange,
    downTimerAdverts: instance.downTimerAdverts,
    lowerPrioNoAdvert: instance.lowerPrioNoAdvert,
    higherPrioSendAdvert: instance.higherPrioSendAdvert,
    timerExpiredBackupPriority: instance.timerExpiredBackup,
    skipCheckAdvAddr: instance.skipCheckAdvAddr,
    garp: {
      masterDelayMs: ms(instance.garp.masterDelay),
      masterRepeat: instance.garp.masterRepeat,
      lowerPrioDelayMs: ms(instance.garp.lowerPrioDelay),
      lowerPrioRepeat: instance.garp.lowerPrioRepeat,
      masterRefreshMs: ms(instance.garp.masterRefresh),
      masterRefreshRepeat: instance.garp.masterRefreshRepeat,
      intervalMs: ms(instance.garp.interval),
    },
    syncGroup: instance.syncGroup,
    notifyPriorityChanges:
      instance.notifyPriorityChanges ?? group?.notifyPriorityChanges ?? globals.vrrpNotifyPriorityChanges,
  };
}
