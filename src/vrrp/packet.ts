/**
 * PURE VRRPv2 advertisement codec (RFC 3768 section 5) with a read-only IPv4 header view.
 *
 * API summary
 * - `Advert`: the VRRP message fields (version, type, vrid, priority, authType, advertInt in whole
 *   seconds, addresses as IPv4 text, authData as 8 bytes). Count IP Addrs is `addresses.length`.
 * - `encodeAdvert(advert) -> Buffer`: the VRRP message (8 + 4n + 8 bytes) with its checksum
 *   computed over the message alone, no pseudo-header (section 5.3.8). This is the payload a raw
 *   IP socket (protocol 112) sends; the kernel adds the IPv4 header.
 * - `encodeIpv4Packet(header, payload) -> Buffer`: a whole IPv4 packet (tests, pcap fixtures,
 *   IP_HDRINCL senders). Header checksum computed.
 * - `decodePacket(bytes) -> Result<ReceivedPacket, DecodeError>`: syntactic decode of an IPv4
 *   packet as a raw socket delivers it (IPv4 header first). Never throws. It fails only when the
 *   bytes cannot be read as IPv4 + the 8-byte VRRP fixed header; everything else (version, type,
 *   length, checksum) is reported as found and judged by `validate.ts` in RFC order.
 * - `passwordAuthData(password) -> Uint8Array`: PASS auth bytes (first 8 bytes, NUL padded).
 * - `internetChecksum(bytes)`: RFC 1071 ones' complement sum.
 */
import { err, ok, type Result } from '../util/result.js';

/** IANA protocol number for VRRP (RFC 3768 section 5.2.4). */
export const IPPROTO_VRRP = 112;
/** Destination of multicast adverts (RFC 3768 section 5.2.2). */
export const VRRP_MULTICAST_GROUP_V4 = '224.0.0.18';
/** RFC 3768 section 5.2.3: the TTL MUST be 255. */
export const VRRP_TTL = 255;
/** keepalived sends with TOS 0xc0 (internetwork control). */
export const VRRP_TOS = 0xc0;
export const VRRP_VERSION = 2;
/** RFC 3768 section 5.3.2: the only type. */
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** RFC 3768 section 5.3.6 (RFC 2338 values, kept by keepalived). */
export const AUTH_TYPE_NONE = 0;
export const AUTH_TYPE_PASS = 1;
export const AUTH_TYPE_AH = 2;
export const AUTH_DATA_LENGTH = 8;
export const VRRP_FIXED_HEADER_LENGTH = 8;
export const IPV4_HEADER_LENGTH = 20;

/** The VRRPv2 message (RFC 3768 section 5.1). */
export interface Advert {
  /** High nibble of byte 0; 2 for VRRPv2. */
  readonly version: number;
  /** Low nibble of byte 0; 1 = ADVERTISEMENT. */
  readonly type: number;
  readonly vrid: number;
  /** 0 = master stopping, 255 = address owner. */
  readonly priority: number;
  /** 0 none, 1 PASS (simple text), 2 AH. */
  readonly authType: number;
  /** Advertisement interval in whole seconds. */
  readonly advertInt: number;
  /** IPv4 addresses as dotted text; the count byte is their number. */
  readonly addresses: readonly string[];
  /** The 8 authentication data bytes (zeros unless PASS). */
  readonly authData: Uint8Array;
}

/** Fields of the IPv4 header the receive path looks at. */
export interface Ipv4Header {
  readonly headerLength: number;
  readonly tos: number;
  readonly totalLength: number;
  readonly id: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly source: string;
  readonly destination: string;
}

export interface ReceivedPacket {
  readonly ip: Ipv4Header;
  /** The VRRP fields as found; addresses/authData may be short-filled when truncated. */
  readonly advert: Advert;
  /** The Count IP Addrs byte (RFC 3768 section 5.3.5); `advert.addresses` may be shorter when truncated. */
  readonly addressCount: number;
  /** Checksum field as received. */
  readonly checksum: number;
  /** Bytes after the IPv4 header in the buffer as received (may include Ethernet padding). */
  readonly vrrpLength: number;
  /** Length of the buffer as received. */
  readonly bufferLength: number;
  /** True when the VRRPv2 checksum over 8 + 4n + 8 bytes verifies (false when truncated). */
  readonly checksumValid: boolean;
}

export type DecodeErrorCode =
  'short-ip-header' | 'not-ipv4' | 'bad-header-length' | 'not-vrrp' | 'short-vrrp-header';

export interface DecodeError {
  readonly code: DecodeErrorCode;
  readonly reason: string;
}

export interface Ipv4HeaderInput {
  readonly source: string;
  readonly destination: string;
  readonly ttl?: number;
  readonly tos?: number;
  readonly id?: number;
  readonly protocol?: number;
  /** Don't-fragment flag; Linux sets it on raw-socket sends (PMTU discovery). */
  readonly dontFragment?: boolean;
}

/** Expected VRRPv2 message length for `count` addresses (RFC 3768 section 5.1). */
export function vrrpV2Length(count: number): number {
  return VRRP_FIXED_HEADER_LENGTH + 4 * count + AUTH_DATA_LENGTH;
}

/** RFC 1071 Internet checksum of `bytes` (odd length padded with a zero byte). */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** PASS authentication data: the password's first 8 bytes, NUL padded (keepalived truncates). */
export function passwordAuthData(password: string): Uint8Array {
  const out = new Uint8Array(AUTH_DATA_LENGTH);
  out.set(Buffer.from(password, 'utf8').subarray(0, AUTH_DATA_LENGTH));
  return out;
}

function ipv4ToBytes(text: string): number[] | null {
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

function bytesToIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * Encodes the VRRPv2 message. Fields are masked to their widths; a bad address text or more
 * than 255 addresses is a programmer error (config is validated upstream) and throws.
 */
export function encodeAdvert(advert: Advert): Buffer {
  const count = advert.addresses.length;
  if (count > 255) throw new Error(`encodeAdvert: ${count} addresses (this is a bug)`);
  const out = Buffer.alloc(vrrpV2Length(count));
  out[0] = ((advert.version & 0x0f) << 4) | (advert.type & 0x0f);
  out[1] = advert.vrid & 0xff;
  out[2] = advert.priority & 0xff;
  out[3] = count;
  out[4] = advert.authType & 0xff;
  out[5] = advert.advertInt & 0xff;
  advert.addresses.forEach((address, i) => {
    const bytes = ipv4ToBytes(address);
    if (!bytes) throw new Error(`encodeAdvert: bad IPv4 address ${address} (this is a bug)`);
    out.set(bytes, VRRP_FIXED_HEADER_LENGTH + 4 * i);
  });
  out.set(advert.authData.subarray(0, AUTH_DATA_LENGTH), VRRP_FIXED_HEADER_LENGTH + 4 * count);
  // RFC 3768 section 5.3.8: checksum of the entire VRRP message, checksum field zero.
  out.writeUInt16BE(internetChecksum(out), 6);
  return out;
}

/** Builds an IPv4 packet around `payload` (no options), header checksum included. */
export function encodeIpv4Packet(header: Ipv4HeaderInput, payload: Uint8Array): Buffer {
  const src = ipv4ToBytes(header.source);
  const dst = ipv4ToBytes(header.destination);
  if (!src || !dst) throw new Error('encodeIpv4Packet: bad address (this is a bug)');
  const out = Buffer.alloc(IPV4_HEADER_LENGTH + payload.length);
  out[0] = 0x45;
  out[1] = header.tos ?? VRRP_TOS;
  out.writeUInt16BE(out.length, 2);
  out.writeUInt16BE((header.id ?? 0) & 0xffff, 4);
  out.writeUInt16BE(header.dontFragment ? 0x4000 : 0, 6);
  out[8] = header.ttl ?? VRRP_TTL;
  out[9] = header.protocol ?? IPPROTO_VRRP;
  out.set(src, 12);
  out.set(dst, 16);
  out.writeUInt16BE(internetChecksum(out.subarray(0, IPV4_HEADER_LENGTH)), 10);
  out.set(payload, IPV4_HEADER_LENGTH);
  return out;
}

/** Syntactic decode of an IPv4 packet carrying a VRRP message. Never throws. */
export function decodePacket(bytes: Uint8Array): Result<ReceivedPacket, DecodeError> {
  if (bytes.length < IPV4_HEADER_LENGTH) {
    return err({
      code: 'short-ip-header',
      reason: `packet of ${bytes.length} bytes is shorter than an IPv4 header`,
    });
  }
  const ipVersion = bytes[0]! >> 4;
  if (ipVersion !== 4) return err({ code: 'not-ipv4', reason: `IP version ${ipVersion}, expected 4` });
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH || headerLength > bytes.length) {
    return err({
      code: 'bad-header-length',
      reason: `IPv4 header length ${headerLength} in a ${bytes.length}-byte packet`,
    });
  }
  const protocol = bytes[9]!;
  if (protocol !== IPPROTO_VRRP)
    return err({ code: 'not-vrrp', reason: `IP protocol ${protocol}, expected ${IPPROTO_VRRP}` });
  const vrrpLength = bytes.length - headerLength;
  if (vrrpLength < VRRP_FIXED_HEADER_LENGTH) {
    return err({
      code: 'short-vrrp-header',
      reason: `VRRP message of ${vrrpLength} bytes is shorter than its fixed header`,
    });
  }
  const ip: Ipv4Header = {
    headerLength,
    tos: bytes[1]!,
    totalLength: (bytes[2]! << 8) | bytes[3]!,
    id: (bytes[4]! << 8) | bytes[5]!,
    ttl: bytes[8]!,
    protocol,
    source: bytesToIpv4(bytes, 12),
    destination: bytesToIpv4(bytes, 16),
  };
  const v = headerLength;
  const count = bytes[v + 3]!;
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = v + VRRP_FIXED_HEADER_LENGTH + 4 * i;
    if (at + 4 > bytes.length) break;
    addresses.push(bytesToIpv4(bytes, at));
  }
  const authAt = v + VRRP_FIXED_HEADER_LENGTH + 4 * count;
  const authData = new Uint8Array(AUTH_DATA_LENGTH);
  if (authAt < bytes.length)
    authData.set(bytes.subarray(authAt, Math.min(authAt + AUTH_DATA_LENGTH, bytes.length)));
  const expected = vrrpV2Length(count);
  const checksumValid = vrrpLength >= expected && internetChecksum(bytes.subarray(v, v + expected)) === 0;
  return ok({
    ip,
    advert: {
      version: bytes[v]! >> 4,
      type: bytes[v]! & 0x0f,
      vrid: bytes[v + 1]!,
      priority: bytes[v + 2]!,
      authType: bytes[v + 4]!,
      advertInt: bytes[v + 5]!,
      addresses,
      authData,
    },
    addressCount: count,
    checksum: (bytes[v + 6]! << 8) | bytes[v + 7]!,
    vrrpLength,
    bufferLength: bytes.length,
    checksumValid,
  });
}
