/**
 * PURE VRRPv3 advertisement codec (RFC 5798 section 5, as updated by RFC 9568) over IPv4 and
 * IPv6. The VRRPv2 codec is packet.ts; both share IP protocol 112 and the fixed 8-byte header
 * shape, but v3 carries Max Adver Int in centiseconds where v2 had Auth Type and Adver Int, has
 * no Authentication Data, and checksums a pseudo-header.
 *
 * Layout (RFC 5798 section 5.1):
 *   byte 0      version (4 bits, 3) | type (4 bits, 1 = ADVERTISEMENT)
 *   byte 1      Virtual Rtr ID
 *   byte 2      Priority
 *   byte 3      Count IPvX Addr
 *   bytes 4-5   reserved (4 bits, 0) | Max Adver Int (12 bits, centiseconds)
 *   bytes 6-7   Checksum
 *   then        Count x 4 (IPv4) or 16 (IPv6) address bytes
 *
 * Checksum (RFC 5798 section 5.2.8): the RFC 1071 sum over the VRRP message and the IPv4 pseudo-
 * header (source, destination, zero, protocol 112, VRRP length; RFC 768 style) or the IPv6 one
 * (RFC 8200 section 8.1: source, destination, upper-layer length as 32 bits, 3 zero bytes, next
 * header 112). keepalived's `v3_checksum_as_v2` (2.2.8 and later, not in 2.2.7) sends IPv4 v3
 * adverts with the checksum over the message alone, as VRRPv2 does (vrrp.c vrrp_build_vrrp_v3).
 *
 * API summary
 * - `AdvertV3`; `encodeAdvertV3(advert, context) -> Result<Buffer>` (the VRRP message a raw socket
 *   sends); `encodeIpPacketV3(header, advert) -> Result<Buffer>` (a whole IPv4 or IPv6 packet).
 * - `decodePacketV3(bytes, family) -> Result<ReceivedV3Packet>`: a whole IP packet;
 *   `decodeMessageV3(message, meta) -> Result<ReceivedV3Packet>`: the payload of a raw IPv6
 *   socket with the addresses and hop limit from ancillary data. Neither throws; they fail only
 *   when the bytes cannot be read as IP + the 8-byte VRRP header. Version, type, length and
 *   checksum are reported as found and judged by validate-v3.ts.
 * - `v3Checksum(message, context)`: the checksum of a message (its checksum field taken as 0).
 */
import { internetChecksum } from '../util/checksum.js';
import type { AddressFamily } from '../util/ip.js';
import { bytesToAddress } from '../util/ip.js';
import { decodeIpv4Header, encodeIpv4Header, type Ipv4Header } from '../util/ipv4-header.js';
import {
  decodeIpv6Header,
  encodeIpv6Header,
  IPV6_HEADER_LENGTH,
  ipv6Bytes,
  type Ipv6Header,
} from '../util/ipv6-header.js';
import { err, ok, type Result } from '../util/result.js';
import {
  IPPROTO_VRRP,
  VRRP_FIXED_HEADER_LENGTH,
  VRRP_TOS,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  type DecodeErrorCode,
} from './packet.js';

export const VRRP_VERSION_3 = 3;
/** RFC 5798 section 5.1.2.2: the IPv6 multicast destination. */
export const VRRP_MULTICAST_GROUP_V6 = 'ff02::12';
/** Max Adver Int is 12 bits of centiseconds (RFC 5798 section 5.2.7): at most 40.95 s. */
export const VRRP_V3_MAX_ADVER_INT_CS = 0xfff;
export { VRRP_TYPE_ADVERTISEMENT };

/** The VRRPv3 message (RFC 5798 section 5.1). Count IPvX Addr is `addresses.length`. */
export interface AdvertV3 {
  /** High nibble of byte 0; 3 for VRRPv3. */
  readonly version: number;
  /** Low nibble of byte 0; 1 = ADVERTISEMENT. */
  readonly type: number;
  readonly vrid: number;
  readonly priority: number;
  /** Max Adver Int in centiseconds, 12 bits. */
  readonly maxAdvertIntCs: number;
  /** The 4 reserved bits in front of Max Adver Int: sent as 0, ignored on receive. */
  readonly reserved: number;
  /** IPv4 dotted or IPv6 canonical text, by the packet's family. */
  readonly addresses: readonly string[];
}

/** How the checksum is formed: RFC 5798 (pseudo-header), or keepalived's `v3_checksum_as_v2`. */
export type V3ChecksumMode = 'pseudo-header' | 'as-v2';

export interface V3ChecksumContext {
  readonly family: AddressFamily;
  /** The IP source and destination of the packet (the pseudo-header). */
  readonly source: string;
  readonly destination: string;
  /** IPv4 only; IPv6 always uses its pseudo-header. Default 'pseudo-header'. */
  readonly mode?: V3ChecksumMode;
}

export interface ReceivedV3Packet {
  readonly family: AddressFamily;
  /** The IPv4 header, or the IPv6 one; null when decoded from a raw IPv6 socket's payload. */
  readonly ip: Ipv4Header | Ipv6Header | null;
  readonly source: string;
  readonly destination: string;
  /** IPv4 TTL or IPv6 Hop Limit. */
  readonly ttl: number;
  /** Bytes of IP header in the buffer (0 for a raw-socket IPv6 payload). */
  readonly headerLength: number;
  /**
   * The IP packet length the header states (IPv4 Total Length, IPv6 40 + Payload Length);
   * the buffer length when there is no header.
   */
  readonly statedLength: number;
  /** The VRRP fields as found; `addresses` may be shorter than the count when truncated. */
  readonly advert: AdvertV3;
  /** The Count IPvX Addr byte. */
  readonly addressCount: number;
  /** Checksum field as received. */
  readonly checksum: number;
  /** Bytes after the IP header in the buffer (may include Ethernet padding). */
  readonly vrrpLength: number;
  readonly bufferLength: number;
  /** True when the RFC 5798 checksum (with pseudo-header) verifies over 8 + n x address bytes. */
  readonly checksumValid: boolean;
  /** IPv4: true when the checksum over the message alone verifies (`v3_checksum_as_v2`). */
  readonly checksumValidAsV2: boolean;
  /** The VRRP message bytes received (8 + n x address bytes, fewer when truncated). */
  readonly message: Uint8Array;
}

export interface V3DecodeError {
  readonly code: DecodeErrorCode | 'not-ipv6';
  readonly reason: string;
}

export interface RawMessageMeta {
  readonly family: AddressFamily;
  readonly source: string;
  readonly destination: string;
  /** TTL / hop limit from IP_TTL / IPV6_HOPLIMIT ancillary data. */
  readonly ttl: number;
}

/** Bytes per address in the list. */
export function addressLength(family: AddressFamily): number {
  return family === 'inet' ? 4 : 16;
}

/** Expected VRRPv3 message length for `count` addresses (RFC 5798 section 5.1). */
export function vrrpV3Length(family: AddressFamily, count: number): number {
  return VRRP_FIXED_HEADER_LENGTH + addressLength(family) * count;
}

function ipv4Bytes(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

function addressBytes(family: AddressFamily, text: string): Uint8Array | null {
  if (family === 'inet') {
    const b = ipv4Bytes(text);
    return b ? Uint8Array.from(b) : null;
  }
  return ipv6Bytes(text);
}

/** The pseudo-header bytes the checksum covers, or null for bad address text. */
function pseudoHeader(context: V3ChecksumContext, length: number): Buffer | null {
  const src = addressBytes(context.family, context.source);
  const dst = addressBytes(context.family, context.destination);
  if (!src || !dst) return null;
  if (context.family === 'inet') {
    // RFC 768 shape: src(4) dst(4) zero(1) protocol(1) length(2).
    const p = Buffer.alloc(12);
    p.set(src, 0);
    p.set(dst, 4);
    p[9] = IPPROTO_VRRP;
    p.writeUInt16BE(length, 10);
    return p;
  }
  // RFC 8200 section 8.1: src(16) dst(16) upper-layer length(4) zero(3) next header(1).
  const p = Buffer.alloc(40);
  p.set(src, 0);
  p.set(dst, 16);
  p.writeUInt32BE(length, 32);
  p[39] = IPPROTO_VRRP;
  return p;
}

/**
 * The checksum of a VRRPv3 message, its own checksum field taken as zero; null when an address
 * of the context is not of its family.
 */
export function v3Checksum(message: Uint8Array, context: V3ChecksumContext): number | null {
  const body = Buffer.from(message);
  if (body.length >= VRRP_FIXED_HEADER_LENGTH) body.writeUInt16BE(0, 6);
  if (context.family === 'inet' && context.mode === 'as-v2') return internetChecksum(body);
  const pseudo = pseudoHeader(context, body.length);
  if (!pseudo) return null;
  // The pseudo-header is 12 or 40 bytes (even), so the sums concatenate without re-alignment.
  return internetChecksum(Buffer.concat([pseudo, body]));
}

/**
 * Encodes the VRRPv3 message with its checksum. Fields are masked to their widths; more than 255
 * addresses, an address not of the context's family, or a bad pseudo-header address is an error.
 */
export function encodeAdvertV3(advert: AdvertV3, context: V3ChecksumContext): Result<Buffer, string> {
  const count = advert.addresses.length;
  if (count > 255) return err(`${count} addresses; Count IPvX Addr is 8 bits`);
  const { family } = context;
  const width = addressLength(family);
  const out = Buffer.alloc(vrrpV3Length(family, count));
  out[0] = ((advert.version & 0x0f) << 4) | (advert.type & 0x0f);
  out[1] = advert.vrid & 0xff;
  out[2] = advert.priority & 0xff;
  out[3] = count;
  out.writeUInt16BE(((advert.reserved & 0x0f) << 12) | (advert.maxAdvertIntCs & VRRP_V3_MAX_ADVER_INT_CS), 4);
  for (let i = 0; i < count; i++) {
    const bytes = addressBytes(family, advert.addresses[i]!);
    if (!bytes) return err(`not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address: ${advert.addresses[i]}`);
    out.set(bytes, VRRP_FIXED_HEADER_LENGTH + width * i);
  }
  const sum = v3Checksum(out, context);
  if (sum === null)
    return err(`pseudo-header addresses ${context.source} > ${context.destination} are not ${family}`);
  out.writeUInt16BE(sum, 6);
  return ok(out);
}

export interface IpHeaderInputV3 {
  readonly family: AddressFamily;
  readonly source: string;
  readonly destination: string;
  /** TTL / hop limit; 255 by default. */
  readonly ttl?: number;
  /** IPv4 TOS / IPv6 traffic class; 0xc0 by default, as keepalived. */
  readonly tos?: number;
  /** IPv4 identification. */
  readonly id?: number;
  readonly dontFragment?: boolean;
  /** IPv6 flow label (Linux picks one per socket). */
  readonly flowLabel?: number;
  readonly checksum?: V3ChecksumMode;
  /**
   * The pseudo-header destination when it is not the IP destination: keepalived's
   * `old_unicast_checksum` (1.3.6 and earlier) sums unicast adverts with the multicast group.
   */
  readonly checksumDestination?: string;
}

/** A whole IPv4 or IPv6 packet (no options / extension headers) around a VRRPv3 advert. */
export function encodeIpPacketV3(header: IpHeaderInputV3, advert: AdvertV3): Result<Buffer, string> {
  const message = encodeAdvertV3(advert, {
    family: header.family,
    source: header.source,
    destination: header.checksumDestination ?? header.destination,
    mode: header.checksum ?? 'pseudo-header',
  });
  if (!message.ok) return message;
  const payload = message.value;
  if (header.family === 'inet6') {
    const ip = encodeIpv6Header({
      source: header.source,
      destination: header.destination,
      payloadLength: payload.length,
      nextHeader: IPPROTO_VRRP,
      hopLimit: header.ttl ?? VRRP_TTL,
      trafficClass: header.tos ?? VRRP_TOS,
      flowLabel: header.flowLabel ?? 0,
    });
    return ip.ok ? ok(Buffer.concat([ip.value, payload])) : ip;
  }
  const src = ipv4Bytes(header.source);
  const dst = ipv4Bytes(header.destination);
  if (!src || !dst) return err(`not an IPv4 address: ${!src ? header.source : header.destination}`);
  const ip = encodeIpv4Header({
    source: Uint8Array.from(src),
    destination: Uint8Array.from(dst),
    payloadLength: payload.length,
    tos: header.tos ?? VRRP_TOS,
    ttl: header.ttl ?? VRRP_TTL,
    id: header.id ?? 0,
    protocol: IPPROTO_VRRP,
    dontFragment: header.dontFragment === true,
  });
  return ok(Buffer.concat([ip, payload]));
}

interface Frame {
  readonly family: AddressFamily;
  readonly ip: Ipv4Header | Ipv6Header | null;
  readonly source: string;
  readonly destination: string;
  readonly ttl: number;
  readonly headerLength: number;
  readonly statedLength: number;
}

function decodeAfter(bytes: Uint8Array, f: Frame): Result<ReceivedV3Packet, V3DecodeError> {
  const v = f.headerLength;
  const vrrpLength = bytes.length - v;
  if (vrrpLength < VRRP_FIXED_HEADER_LENGTH) {
    return err({
      code: 'short-vrrp-header',
      reason: `VRRP message of ${vrrpLength} bytes is shorter than its fixed header`,
    });
  }
  const width = addressLength(f.family);
  const count = bytes[v + 3]!;
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = v + VRRP_FIXED_HEADER_LENGTH + width * i;
    if (at + width > bytes.length) break;
    addresses.push(bytesToAddress(bytes.subarray(at, at + width))!);
  }
  const expected = vrrpV3Length(f.family, count);
  const complete = vrrpLength >= expected;
  const message = bytes.subarray(v, v + Math.min(expected, vrrpLength));
  const checksum = (bytes[v + 6]! << 8) | bytes[v + 7]!;
  const context = { family: f.family, source: f.source, destination: f.destination };
  const checksumValid = complete && v3Checksum(message, context) === checksum;
  const checksumValidAsV2 =
    f.family === 'inet' && complete && v3Checksum(message, { ...context, mode: 'as-v2' }) === checksum;
  const interval = (bytes[v + 4]! << 8) | bytes[v + 5]!;
  return ok({
    ...f,
    advert: {
      version: bytes[v]! >> 4,
      type: bytes[v]! & 0x0f,
      vrid: bytes[v + 1]!,
      priority: bytes[v + 2]!,
      maxAdvertIntCs: interval & VRRP_V3_MAX_ADVER_INT_CS,
      reserved: interval >> 12,
      addresses,
    },
    addressCount: count,
    checksum,
    vrrpLength,
    bufferLength: bytes.length,
    checksumValid,
    checksumValidAsV2,
    message,
  });
}

/**
 * Syntactic decode of a whole IP packet carrying a VRRP message, read as VRRPv3 of `family`
 * (IPv4 as a raw IPv4 socket delivers it; IPv6 as captured). Never throws.
 */
export function decodePacketV3(
  bytes: Uint8Array,
  family: AddressFamily,
): Result<ReceivedV3Packet, V3DecodeError> {
  if (family === 'inet') {
    const d = decodeIpv4Header(bytes);
    if (!d.ok) return d;
    const ip = d.value;
    if (ip.protocol !== IPPROTO_VRRP)
      return err({ code: 'not-vrrp', reason: `IP protocol ${ip.protocol}, expected ${IPPROTO_VRRP}` });
    return decodeAfter(bytes, {
      family,
      ip,
      source: ip.source,
      destination: ip.destination,
      ttl: ip.ttl,
      headerLength: ip.headerLength,
      statedLength: ip.totalLength,
    });
  }
  const d = decodeIpv6Header(bytes);
  if (!d.ok) return d;
  const ip = d.value;
  if (ip.nextHeader !== IPPROTO_VRRP) {
    return err({ code: 'not-vrrp', reason: `IPv6 next header ${ip.nextHeader}, expected ${IPPROTO_VRRP}` });
  }
  return decodeAfter(bytes, {
    family,
    ip,
    source: ip.source,
    destination: ip.destination,
    ttl: ip.hopLimit,
    headerLength: IPV6_HEADER_LENGTH,
    statedLength: IPV6_HEADER_LENGTH + ip.payloadLength,
  });
}

/** Decode of a VRRPv3 message without its IP header (a raw IPv6 socket's payload). Never throws. */
export function decodeMessageV3(
  message: Uint8Array,
  meta: RawMessageMeta,
): Result<ReceivedV3Packet, V3DecodeError> {
  return decodeAfter(message, {
    family: meta.family,
    ip: null,
    source: meta.source,
    destination: meta.destination,
    ttl: meta.ttl,
    headerLength: 0,
    statedLength: message.length,
  });
}
