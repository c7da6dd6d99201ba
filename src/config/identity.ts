/**
 * PURE: the identity of a vrrp_instance across a reload, as keepalived matches instances
 * (vrrp.c vrrp_exist): VRID, address family, configured interface, then unicast with its source
 * address or multicast with its destination group. The name is not part of it: a renamed
 * instance with the same identity is the same instance, and keeps its state.
 */
import type { VrrpInstance } from './model.js';

/**
 * `mcastGroup` is the multicast destination (global vrrp_mcast_group4). VRRPv2 here is IPv4 only,
 * so the family is always inet.
 */
export function vrrpInstanceIdentity(
  instance: Pick<VrrpInstance, 'virtualRouterId' | 'interface' | 'unicastPeers' | 'unicastSrcIp'>,
  mcastGroup: string,
): string {
  const unicast = instance.unicastPeers.length > 0;
  return [
    instance.virtualRouterId,
    'inet',
    instance.interface ?? '',
    unicast ? `unicast|${instance.unicastSrcIp ?? ''}` : `multicast|${mcastGroup}`,
  ].join('|');
}
