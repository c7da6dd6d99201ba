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
 *
 * The IPv4 header codec and the RFC 1071 checksum are util/ipv4-header.ts and util/checksum.ts.
 */
import { internetChecksum } from '../util/checksum.js';
import {
  decodeIpv4Header,
  encodeIpv4Header,
  type Ipv4DecodeErrorCode,
  type Ipv4Header,
} from '../util/ipv4-header.js';
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
  /**
   * With `auth_hmac`: what the trailer check found (the shell runs it, as it keeps the replay
   * marks; the trailer is then not counted in the lengths above). Absent without auth_hmac.
   */
  readonly authHmac?: AuthHmacFinding;
}

/** keepalived 2.4 vrrp_auth_ext_verify's inputs to the verdict. */
export type AuthHmacFinding =
  | { readonly kind: 'no-trailer' }
  | { readonly kind: 'not-a-peer' }
  | {
      readonly kind: 'checked';
      readonly result: 'ok' | 'malformed' | 'unknown-key' | 'bad-hmac' | 'stale' | 'replay';
      readonly keyId: number;
      readonly skew: number;
    };

export type DecodeErrorCode = Ipv4DecodeErrorCode | 'not-vrrp' | 'short-vrrp-header';

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
  const ipHeader = encodeIpv4Header({
    source: Uint8Array.from(src),
    destination: Uint8Array.from(dst),
    payloadLength: payload.length,
    tos: header.tos ?? VRRP_TOS,
    ttl: header.ttl ?? VRRP_TTL,
    id: header.id ?? 0,
    protocol: header.protocol ?? IPPROTO_VRRP,
    dontFragment: header.dontFragment === true,
  });
  return Buffer.concat([ipHeader, payload]);
}

/** Syntactic decode of an IPv4 packet carrying a VRRP message. Never throws. */
export function decodePacket(bytes: Uint8Array): Result<ReceivedPacket, DecodeError> {
  const decoded = decodeIpv4Header(bytes);
  if (!decoded.ok) return decoded;
  const ip: Ipv4Header = decoded.value;
  const { headerLength, protocol } = ip;
  if (protocol !== IPPROTO_VRRP)
    return err({ code: 'not-vrrp', reason: `IP protocol ${protocol}, expected ${IPPROTO_VRRP}` });
  const vrrpLength = bytes.length - headerLength;
  if (vrrpLength < VRRP_FIXED_HEADER_LENGTH) {
    return err({
      code: 'short-vrrp-header',
      reason: `VRRP message of ${vrrpLength} bytes is shorter than its fixed header`,
    });
  }
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
