/**
 * PURE: which running instances a reloaded config keeps. Instances are matched by keepalived's
 * identity (config/identity.ts, vrrp.c vrrp_exist), not by name: a matched instance keeps its
 * state and takes the new config; an old one without a match stops; a new one starts.
 */
import { vrrpInstanceIdentity } from '../config/identity.js';
import type { VrrpInstance } from '../config/model.js';

export interface InstanceMatch<E> {
  /** Running instances paired with their new config, in the new config's order. */
  readonly matched: readonly { readonly entry: E; readonly config: VrrpInstance }[];
  /** New instances with no running counterpart, in config order. */
  readonly added: readonly VrrpInstance[];
  /** Running instances the new config does not have. */
  readonly removed: readonly E[];
}

/**
 * Matches `running` (each with the config it runs) against `next`. Both sides are keyed with
 * `mcastGroup`, the new config's multicast group. Of two new instances with one identity the
 * first is matched and the second added. Of two running ones only the later is matched or
 * removed; the earlier is in neither list (two instances of one identity are a duplicate-vrid
 * config error, config/semantic.ts).
 */
export function matchInstances<E extends { readonly config: VrrpInstance }>(
  running: readonly E[],
  next: readonly VrrpInstance[],
  mcastGroup: string,
): InstanceMatch<E> {
  const byIdentity = new Map<string, E>();
  for (const e of running) byIdentity.set(vrrpInstanceIdentity(e.config, mcastGroup), e);
  const matched: { entry: E; config: VrrpInstance }[] = [];
  const added: VrrpInstance[] = [];
  for (const i of next) {
    const k = vrrpInstanceIdentity(i, mcastGroup);
    const old = byIdentity.get(k);
    if (old !== undefined) {
      byIdentity.delete(k);
      matched.push({ entry: old, config: i });
    } else added.push(i);
  }
  return { matched, added, removed: [...byIdentity.values()] };
}
