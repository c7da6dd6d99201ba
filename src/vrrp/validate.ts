/**
 * PURE semantic check of a decoded advert against one instance, in the order of RFC 3768
 * section 7.1, with keepalived's counters and log wording. The syntactic decode is packet.ts.
 *
 * API: `validateAdvert(packet, params, options) -> Verdict`.
 * - `accept`: process the advert; `counters` (advert_rcvd, maybe addr_list_err and
 *   pri_zero_rcvd) and an optional rate-limited `log` (address-list mismatch) still apply.
 * - `drop`: ignore it (the master-down timer keeps running); bump `counters`, emit `log` through
 *   the rate limiter (rate-limit.ts) keyed by `log.error`.
 * Log messages are complete lines (`(VI_1) ...`), logged at info level as keepalived does.
 */
import type { VrrpCounterName } from './counters.js';
import {
  AUTH_DATA_LENGTH,
  AUTH_TYPE_AH,
  AUTH_TYPE_NONE,
  AUTH_TYPE_PASS,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  VRRP_VERSION,
  vrrpV2Length,
  type ReceivedPacket,
} from './packet.js';
import type { RateLimitedError } from './rate-limit.js';
import type { InstanceParams } from './params.js';

export type ValidationParams = Pick<
  InstanceParams,
  | 'name'
  | 'vrid'
  | 'advertIntSec'
  | 'auth'
  | 'authHmac'
  | 'vipAddresses'
  | 'multicast'
  | 'unicastPeers'
  | 'checkUnicastSrc'
>;

export interface ValidationOptions {
  /**
   * Compare the address list with ours. keepalived skips it for a known master when
   * `skip_check_adv_addr` is set; the count is always compared.
   */
  readonly checkAddresses: boolean;
}

export interface VerdictLog {
  readonly error: RateLimitedError;
  readonly message: string;
}

export type Verdict =
  | {
      readonly kind: 'accept';
      readonly counters: readonly VrrpCounterName[];
      readonly log: VerdictLog | null;
    }
  | { readonly kind: 'drop'; readonly counters: readonly VrrpCounterName[]; readonly log: VerdictLog };

/** Ethernet minimum payload (ETH_ZLEN 60 - ETH_HLEN 14) and the VLAN tag size. */
const ETH_MIN_PAYLOAD = 46;
const VLAN_TAG_SIZE = 4;

/**
 * True when `received - expected` bytes (IP packet lengths) can be Ethernet minimum-frame
 * padding: the packet is shorter than the 46-byte minimum payload and the excess matches
 * 46 - expected modulo 4 (VLAN tags are stripped before the socket sees the frame).
 */
export function isEthernetPadding(expected: number, received: number): boolean {
  return (
    expected < ETH_MIN_PAYLOAD &&
    received > expected &&
    (received - expected) % VLAN_TAG_SIZE ===
      (VLAN_TAG_SIZE - (ETH_MIN_PAYLOAD % VLAN_TAG_SIZE)) % VLAN_TAG_SIZE
  );
}

/** Constant-time comparison of two 8-byte authentication fields. */
function authDataEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < AUTH_DATA_LENGTH; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function configuredAuthType(params: ValidationParams): number {
  switch (params.auth.type) {
    case 'none':
      return AUTH_TYPE_NONE;
    case 'pass':
      return AUTH_TYPE_PASS;
    case 'ah':
      return AUTH_TYPE_AH;
  }
}

function drop(counter: VrrpCounterName | null, error: RateLimitedError, message: string): Verdict {
  return { kind: 'drop', counters: counter ? [counter] : [], log: { error, message } };
}

function isMulticast(address: string): boolean {
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

/**
 * The checks keepalived makes before the auth_hmac trailer (TTL, version, lengths): null when the
 * advert passes them. The shell runs the stateful trailer check only then, as keepalived moves a
 * replay mark only for an advert that reached it.
 */
export function preAuthVerdict(packet: ReceivedPacket, params: ValidationParams): Verdict | null {
  const { ip, advert } = packet;
  const name = params.name;
  const from = ip.source;

  // 7.1: "MUST verify that the IP TTL is 255" (keepalived: multicast only; unicast peers may
  // carry a min_ttl..max_ttl range, checked below).
  if (params.multicast && ip.ttl !== VRRP_TTL) {
    return drop(
      'ip_ttl_err',
      'invalid-ttl',
      `(${name}) invalid TTL/HL from ${from}. Received ${ip.ttl} and expect ${VRRP_TTL}`,
    );
  }

  // 7.1: "MUST verify the VRRP version is 2".
  if (advert.version !== VRRP_VERSION) {
    return drop(
      'vers_err',
      'wrong-version',
      `(${name}) wrong VRRP version from ${from}. Received ${advert.version} and expect ${VRRP_VERSION}`,
    );
  }

  // 7.1: "MUST verify that the received packet contains the complete VRRP packet (including
  // fixed fields, IP Address(es), and Authentication Data)". Ethernet padding is tolerated.
  const expectedTotal = ip.headerLength + vrrpV2Length(packet.addressCount);
  if (packet.bufferLength !== expectedTotal && !isEthernetPadding(expectedTotal, packet.bufferLength)) {
    const which = packet.bufferLength > expectedTotal ? 'long' : 'short';
    return drop(
      'packet_len_err',
      'incomplete-packet',
      `(${name}) vrrp packet from ${from} too ${which}, length ${packet.bufferLength} and expect ${expectedTotal}`,
    );
  }
  if (ip.totalLength !== packet.bufferLength && !isEthernetPadding(ip.totalLength, packet.bufferLength)) {
    return drop(
      'packet_len_err',
      'bad-length',
      `(${name}) ip_tot_len mismatch against received length from ${from}. ${ip.totalLength} and received ${packet.bufferLength}`,
    );
  }

  return null;
}

/** vrrp.c vrrp_auth_ext_verify (keepalived 2.4): the trailer's verdict, null to go on. */
function authHmacVerdict(packet: ReceivedPacket, params: ValidationParams): Verdict | null {
  const hmac = params.authHmac;
  if (!hmac) return null;
  const name = params.name;
  const from = packet.ip.source;
  const finding = packet.authHmac ?? { kind: 'no-trailer' };
  switch (finding.kind) {
    case 'no-trailer':
      // The migration modes accept trailerless adverts.
      if (hmac.mode !== 'enforce') return null;
      return drop(
        'auth_ext_missing',
        'auth-ext-missing',
        `(${name}) missing authentication trailer from ${from}`,
      );
    case 'not-a-peer':
      return drop(null, 'unknown-unicast-src', `(${name}) unicast source address ${from} not a unicast peer`);
    case 'checked':
      switch (finding.result) {
        case 'ok':
          return null;
        case 'malformed':
          return drop(
            'auth_ext_malformed',
            'auth-ext-malformed',
            `(${name}) malformed authentication trailer from ${from}`,
          );
        case 'unknown-key':
          return drop(
            'auth_ext_unknown_key',
            'auth-ext-unknown-key',
            `(${name}) unknown authentication key id ${finding.keyId} from ${from}`,
          );
        case 'bad-hmac':
          return drop(
            'auth_ext_invalid_hmac',
            'auth-ext-bad-hmac',
            `(${name}) invalid authentication HMAC from ${from}`,
          );
        case 'stale':
          return drop(
            'auth_ext_stale',
            'auth-ext-stale',
            `(${name}) stale authentication trailer from ${from}, clock skew ${finding.skew} sec exceeds window ${hmac.timeWindowSec} sec`,
          );
        case 'replay':
          return drop(
            'auth_ext_replay',
            'auth-ext-replay',
            `(${name}) replayed authentication trailer from ${from}`,
          );
      }
  }
}

/** Warns early when an accepted trailer's clock skew passes half the window (vrrp.c). */
function clockSkewLog(packet: ReceivedPacket, params: ValidationParams): VerdictLog | null {
  const hmac = params.authHmac;
  const f = packet.authHmac;
  if (!hmac || hmac.antiReplay !== 'time' || f?.kind !== 'checked' || f.result !== 'ok') return null;
  const half = Math.trunc(hmac.timeWindowSec / 2);
  if (f.skew <= half && f.skew >= -half) return null;
  return {
    error: 'auth-ext-clock-skew',
    message: `(${params.name}) authentication clock skew ${f.skew} sec from ${packet.ip.source} approaching window ${hmac.timeWindowSec} sec`,
  };
}

export function validateAdvert(
  packet: ReceivedPacket,
  params: ValidationParams,
  options: ValidationOptions,
): Verdict {
  const { ip, advert } = packet;
  const name = params.name;
  const from = ip.source;

  const early = preAuthVerdict(packet, params) ?? authHmacVerdict(packet, params);
  if (early) return early;

  // 7.1: "MUST verify the VRRP checksum" (section 5.3.8, no pseudo-header in v2).
  if (!packet.checksumValid) {
    return drop('chk_err', 'bad-checksum', `(${name}) Invalid VRRPv2 checksum from ${from}`);
  }

  // 5.3.2: "A packet with unknown type MUST be discarded."
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

  // 7.1: "MUST verify that the Auth Type matches the locally configured authentication method
  // ... and perform that authentication method".
  if (
    advert.authType !== AUTH_TYPE_NONE &&
    advert.authType !== AUTH_TYPE_PASS &&
    advert.authType !== AUTH_TYPE_AH
  ) {
    return drop(
      'invalid_authtype',
      'bad-auth-type',
      `(${name}) Invalid auth type from ${from}: ${advert.authType}`,
    );
  }
  const ourAuthType = configuredAuthType(params);
  if (params.auth.type === 'ah') {
    // AH adverts are IP protocol 51 and never reach here; a protocol-112 packet lacks the header.
    return drop('authtype_mismatch', 'wrong-auth', `(${name}) No AH header but auth type is AH from ${from}`);
  }
  if (advert.authType !== ourAuthType) {
    return drop(
      'authtype_mismatch',
      'wrong-auth',
      `(${name}) received a ${advert.authType} auth from ${from}, expecting ${ourAuthType}!`,
    );
  }
  if (params.auth.type === 'pass' && !authDataEqual(advert.authData, params.auth.authData)) {
    return drop('auth_failure', 'wrong-auth-passwd', `(${name}) received an invalid passwd from ${from}!`);
  }

  // 7.1: "MUST verify that the Adver Interval in the packet is the same as the locally
  // configured for this virtual router" - dropped so two masters of one VRID stay visible.
  if (advert.advertInt !== params.advertIntSec) {
    return drop(
      'advert_interval_err',
      'adv-interval-mismatch',
      `(${name}) advertisement interval mismatch with ${from} mine=${params.advertIntSec} sec rcv'd=${advert.advertInt} sec`,
    );
  }

  // keepalived: the destination must match the configured mode.
  const multicastPacket = isMulticast(ip.destination);
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
    if (ip.ttl < peer.minTtl || ip.ttl > peer.maxTtl) {
      return drop(
        'ip_ttl_err',
        'ttl-not-in-range',
        `(${name}) TTL/HL ${ip.ttl} from ${from} not in range [${peer.minTtl}, ${peer.maxTtl}]`,
      );
    }
  }

  const counters: VrrpCounterName[] = ['advert_rcvd'];
  let log: VerdictLog | null = null;

  // 7.1: "MAY verify that "Count IP Addrs" and the list of IP Address(es) matches". Logged and
  // counted but accepted (keepalived >= 2.3.3): dropping makes two masters during VIP changes.
  if (advert.addresses.length !== params.vipAddresses.length) {
    counters.push('addr_list_err');
    log = {
      error: 'wrong-addr-count',
      message: `(${name}) expected ${params.vipAddresses.length} VIPs but received ${advert.addresses.length}`,
    };
  } else if (options.checkAddresses) {
    const missing = params.vipAddresses.find((vip) => !advert.addresses.includes(vip));
    if (missing !== undefined) {
      counters.push('addr_list_err');
      log = {
        error: 'vips-mismatch',
        message: `(${name}) ip address associated with VRID ${params.vrid} not present in advert from ${from}: ${missing}`,
      };
    }
  }

  if (advert.priority === 0) counters.push('pri_zero_rcvd');
  return { kind: 'accept', counters, log: log ?? clockSkewLog(packet, params) };
}

/**
 * keepalived's line for an advert whose VRID no instance on the interface has; logged only with
 * `log_unknown_vrids` (GlobalDefs.logUnknownVrids), by the shell that dispatches by VRID.
 */
export function unknownVridLogLine(vrid: number, interfaceName: string): string {
  return `Unknown VRID(${vrid}) received on interface(${interfaceName}). ignoring...`;
}
