/**
 * PURE semantic check of a decoded VRRPv3 advert (packet-v3.ts) against one VRRPv3 instance,
 * in the order of RFC 5798 section 7.1 as the VRRPv2 check (validate.ts) orders RFC 3768's,
 * with keepalived's counters and log wording (vrrp.c vrrp_check_packet; 2.3.3 for the lines that
 * name the sender and for the RFC 9568 address-list rule).
 *
 * Differences from the VRRPv2 check:
 * - the version must be 3 (a VRRPv2 advert to a VRRPv3 instance is `vers_err`);
 * - the checksum covers the IPv4/IPv6 pseudo-header; with `v3_checksum_as_v2` (IPv4) keepalived
 *   does not check the received checksum at all (vrrp.c: the error needs the flag clear), and
 *   neither does this;
 * - there is no authentication (bytes 4-5 are Max Adver Int);
 * - a Max Adver Int differing from ours is accepted (a backup takes the master's,
 *   RFC 5798 section 6.4.2): logged once (rate-limited) as keepalived 2.3.3 does, not counted;
 * - Max Adver Int 0 is dropped (`advert_interval_err`): keepalived accepts it and would run its
 *   master-down timer at skew time only; no keepalived sends 0 (its minimum is 1 cs);
 * - multicast is ff02::12 for IPv6; the hop limit must be 255 as the IPv4 TTL;
 * - keepalived built with OLD_CHKSUM_COMPAT (Debian's 2.2.7 is) accepts a unicast IPv4 advert whose
 *   checksum used the multicast group as pseudo-header destination (keepalived 1.3.6 and earlier),
 *   logs `Setting unicast VRRPv3 checksum to old version` and sends that way from then on
 *   (vrrp.c vrrp_check_packet, vrrp_csum_mcast; `old_unicast_checksum` sets it from config).
 *
 * API: `validateAdvertV3(packet, params, options) -> V3Verdict`; `masterDownIntervalUs`,
 * `skewTimeUs` (RFC 5798 section 6.1, keepalived's integer arithmetic).
 */
import type { AddressFamily } from '../util/ip.js';
import type { VrrpCounterName } from './counters.js';
import { VRRP_MULTICAST_GROUP_V4, VRRP_TTL, VRRP_TYPE_ADVERTISEMENT } from './packet.js';
import { v3Checksum, VRRP_VERSION_3, vrrpV3Length, type ReceivedV3Packet } from './packet-v3.js';
import type { InstanceParams } from './params.js';
import { isEthernetPadding, type ValidationOptions, type VerdictLog } from './validate.js';

export type V3ValidationParams = Pick<
  InstanceParams,
  'name' | 'vrid' | 'vipAddresses' | 'multicast' | 'unicastPeers' | 'checkUnicastSrc'
> & {
  readonly family: AddressFamily;
  /** Our configured advert_int in centiseconds (1..4095). */
  readonly advertIntCs: number;
  /** `v3_checksum_as_v2` (IPv4 only). */
  readonly checksumAsV2: boolean;
  /**
   * keepalived's VRRPv3 unicast checksum compatibility with 1.3.6 and earlier (IPv4, a build with
   * OLD_CHKSUM_COMPAT as Debian's): 'none' (default) switches to the old sum when an advert verifies
   * only with it, 'never' (`old_unicast_checksum never`) does not, 'config' (`old_unicast_checksum`)
   * and 'auto' (switched) use it: the multicast group in the pseudo-header instead of the unicast
   * destination.
   */
  readonly unicastChecksumCompat?: 'none' | 'never' | 'config' | 'auto';
  /** `vrrp_mcast_group4`, for the old unicast checksum; 224.0.0.18 by default. */
  readonly multicastGroup?: string;
};

export type V3Verdict =
  | {
      readonly kind: 'accept';
      readonly counters: readonly VrrpCounterName[];
      /** Rate-limited lines (interval mismatch, address list), in this order. */
      readonly logs: readonly VerdictLog[];
      /** The sender's Max Adver Int: Master_Adver_Interval for a backup (RFC 5798 section 6.4.2). */
      readonly masterAdverIntCs: number;
      /**
       * The checksum verified only with the multicast group in the pseudo-header (a keepalived
       * 1.3.6 peer): the instance goes to the old unicast checksum ('auto') for what it sends too.
       */
      readonly switchToOldUnicastChecksum: boolean;
    }
  | { readonly kind: 'drop'; readonly counters: readonly VrrpCounterName[]; readonly log: VerdictLog };

function drop(counter: VrrpCounterName | null, error: VerdictLog['error'], message: string): V3Verdict {
  return { kind: 'drop', counters: counter ? [counter] : [], log: { error, message } };
}

function isMulticast(family: AddressFamily, address: string): boolean {
  if (family === 'inet6') return address.toLowerCase().startsWith('ff');
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

export function validateAdvertV3(
  packet: ReceivedV3Packet,
  params: V3ValidationParams,
  options: ValidationOptions,
): V3Verdict {
  const { advert } = packet;
  const name = params.name;
  const from = packet.source;

  // 7.1: "MUST verify that the IPv4 TTL or IPv6 Hop Limit is 255" (keepalived: multicast only).
  if (params.multicast && packet.ttl !== VRRP_TTL) {
    return drop(
      'ip_ttl_err',
      'invalid-ttl',
      `(${name}) invalid TTL/HL from ${from}. Received ${packet.ttl} and expect ${VRRP_TTL}`,
    );
  }

  // 7.1: "MUST verify that the VRRP version is 3".
  if (advert.version !== VRRP_VERSION_3) {
    return drop(
      'vers_err',
      'wrong-version',
      `(${name}) wrong VRRP version from ${from}. Received ${advert.version} and expect ${VRRP_VERSION_3}`,
    );
  }

  // 7.1: "MUST verify that the received packet contains the complete VRRP packet (including
  // fixed fields, and IPvX Address(es))". Counted by the Count IPvX Addr byte and the family's
  // address size; keepalived's lengths include the IPv4 header but not the IPv6 one (a raw IPv6
  // socket delivers the payload only). Ethernet padding only for IPv4 (an IPv6 frame is never short).
  const v4 = packet.family === 'inet';
  const expectedTotal = packet.headerLength + vrrpV3Length(packet.family, packet.addressCount);
  const shownLength = v4 ? packet.bufferLength : packet.vrrpLength;
  const shownExpected = v4 ? expectedTotal : vrrpV3Length(packet.family, packet.addressCount);
  if (
    packet.bufferLength !== expectedTotal &&
    !(v4 && isEthernetPadding(expectedTotal, packet.bufferLength))
  ) {
    const which = packet.bufferLength > expectedTotal ? 'long' : 'short';
    return drop(
      'packet_len_err',
      'incomplete-packet',
      `(${name}) vrrp packet from ${from} too ${which}, length ${shownLength} and expect ${shownExpected}`,
    );
  }
  if (
    packet.statedLength !== packet.bufferLength &&
    !(v4 && isEthernetPadding(packet.statedLength, packet.bufferLength))
  ) {
    return drop(
      'packet_len_err',
      'bad-length',
      v4
        ? `(${name}) ip_tot_len mismatch against received length from ${from}. ${packet.statedLength} and received ${packet.bufferLength}`
        : `(${name}) IPv6 payload length mismatch against received length from ${from}. ${packet.statedLength - packet.headerLength} and received ${packet.vrrpLength}`,
    );
  }

  // 7.1: "MUST verify the VRRP checksum" (section 5.2.8, with the pseudo-header). keepalived
  // leaves IPv6 to the kernel (IPV6_CHECKSUM) and skips IPv4 with v3_checksum_as_v2. For IPv4
  // it may use the multicast group as the pseudo-header destination (old unicast checksum).
  let switchToOldUnicastChecksum = false;
  if (!(v4 && params.checksumAsV2)) {
    const compat = params.unicastChecksumCompat ?? 'none';
    const group = params.multicastGroup ?? VRRP_MULTICAST_GROUP_V4;
    const withGroup = (): boolean =>
      v3Checksum(packet.message, { family: 'inet', source: from, destination: group }) === packet.checksum;
    let valid = v4 && (compat === 'config' || compat === 'auto') ? withGroup() : packet.checksumValid;
    if (!valid && v4 && !params.multicast && compat === 'none' && packet.destination !== group) {
      valid = withGroup();
      switchToOldUnicastChecksum = valid;
    }
    if (!valid) return drop('chk_err', 'bad-checksum', `(${name}) Invalid VRRPv3 checksum from ${from}`);
  }

  // 5.2.2: "A packet with unknown type MUST be discarded."
  if (advert.type !== VRRP_TYPE_ADVERTISEMENT) {
    return drop(
      'invalid_type_rcvd',
      'not-advertisement',
      `(${name}) Invalid packet type from ${from}. ${advert.type} and expect ${VRRP_TYPE_ADVERTISEMENT}`,
    );
  }

  // 7.1: "MUST verify that the VRID is configured on the receiving interface".
  if (advert.vrid !== params.vrid) {
    return drop(
      'vrid_err',
      'vrid-mismatch',
      `(${name}) wrong VRID from ${from}. Received ${advert.vrid} and expect ${params.vrid}`,
    );
  }

  // Not in keepalived: a zero interval would make a backup's Master_Down_Interval the skew alone.
  if (advert.maxAdvertIntCs === 0) {
    return drop(
      'advert_interval_err',
      'invalid-adv-interval',
      `(${name}) advertisement interval 0 centi-sec from ${from} is invalid`,
    );
  }

  const logs: VerdictLog[] = [];
  if (switchToOldUnicastChecksum) {
    logs.push({
      error: 'old-unicast-checksum',
      message: `(${name}) Setting unicast VRRPv3 checksum to old version`,
    });
  }
  // RFC 5798 7.1 has no interval check; keepalived 2.3.3 logs a difference ("SHOULD check
  // advert intervals match") and accepts: a backup learns the master's interval (6.4.2).
  if (advert.maxAdvertIntCs !== params.advertIntCs) {
    logs.push({
      error: 'adv-interval-mismatch',
      message: `(${name}) advertisement interval mismatch ours = ${params.advertIntCs} centi-sec rcv'd=${advert.maxAdvertIntCs} centi-sec`,
    });
  }

  // keepalived: the destination must match the configured mode.
  const multicastPacket = isMulticast(packet.family, packet.destination);
  if (multicastPacket !== params.multicast) {
    const expected = params.multicast ? 'mult' : 'un';
    const got = multicastPacket ? 'mult' : 'un';
    return drop(
      'addr_list_err',
      'uni-multicast',
      `(${name}) Expected ${expected}icast packet but received ${got}icast packet from ${from}`,
    );
  }

  // keepalived: a unicast source must be a configured peer (check_unicast_src), with its TTL range.
  if (!params.multicast && params.checkUnicastSrc) {
    const peer = params.unicastPeers.find((p) => p.address === from);
    if (!peer) {
      return drop(
        'addr_list_err',
        'unknown-unicast-src',
        `(${name}) unicast source address ${from} not a unicast peer`,
      );
    }
    if (packet.ttl < peer.minTtl || packet.ttl > peer.maxTtl) {
      return drop(
        'ip_ttl_err',
        'ttl-not-in-range',
        `(${name}) TTL/HL ${packet.ttl} from ${from} not in range [${peer.minTtl}, ${peer.maxTtl}]`,
      );
    }
  }

  const counters: VrrpCounterName[] = ['advert_rcvd'];
  // RFC 9568 section 7.1 (and keepalived >= 2.3.3): a differing count or list is accepted,
  // counted as an address-list error and logged; dropping it makes two masters while VIPs change.
  if (advert.addresses.length !== params.vipAddresses.length) {
    counters.push('addr_list_err');
    logs.push({
      error: 'wrong-addr-count',
      message: `(${name}) expected ${params.vipAddresses.length} VIPs but received ${advert.addresses.length}`,
    });
  } else if (options.checkAddresses) {
    const missing = params.vipAddresses.find((vip) => !advert.addresses.includes(vip));
    if (missing !== undefined) {
      counters.push('addr_list_err');
      logs.push({
        error: 'vips-mismatch',
        message: `(${name}) ip address associated with VRID ${params.vrid} not present in advert from ${from}: ${missing}`,
      });
    }
  }

  if (advert.priority === 0) counters.push('pri_zero_rcvd');
  return {
    kind: 'accept',
    counters,
    logs,
    masterAdverIntCs: advert.maxAdvertIntCs,
    switchToOldUnicastChecksum,
  };
}

/**
 * RFC 5798 section 6.1 Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256, in
 * microseconds as keepalived computes it (vrrp.h VRRP_TIMER_SKEW_CALC: (256 - p) * cs * 625 / 16,
 * integer division).
 */
export function skewTimeUs(priority: number, masterAdverIntCs: number): number {
  return Math.floor(((256 - priority) * masterAdverIntCs * 625) / 16);
}

/** Master_Down_Interval = down_timer_adverts (3) x Master_Adver_Interval + Skew_Time, in us. */
export function masterDownIntervalUs(
  priority: number,
  masterAdverIntCs: number,
  downTimerAdverts = 3,
): number {
  return downTimerAdverts * masterAdverIntCs * 10_000 + skewTimeUs(priority, masterAdverIntCs);
}
