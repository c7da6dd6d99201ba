/**
 * PURE IPv6 fixed header codec (RFC 8200 section 3): the 40-byte header in front of a VRRPv3
 * advert over IPv6. A raw IPv6 socket delivers only the payload (the kernel keeps the header and
 * reports the hop limit and destination in ancillary data); this decode serves captures, tests
 * and packet sockets. Extension headers are not followed: `nextHeader` is reported as found.
 * Decoding never throws; the encoder returns an error for bad address text.
 */
import { addressToBytes, bytesToAddress } from './ip.js';
import { err, ok, type Result } from './result.js';

export const IPV6_HEADER_LENGTH = 40;

export interface Ipv6Header {
  /** Traffic Class (8 bits; keepalived sends 0xc0, as the IPv4 TOS). */
  readonly trafficClass: number;
  /** Flow Label (20 bits; Linux fills it in per socket unless told not to). */
  readonly flowLabel: number;
  /** Payload Length as the header states it. */
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  /** Canonical text (RFC 5952). */
  readonly source: string;
  readonly destination: string;
}

export type Ipv6DecodeErrorCode = 'short-ip-header' | 'not-ipv6';

export interface Ipv6DecodeError {
  readonly code: Ipv6DecodeErrorCode;
  readonly reason: string;
}

/** Reads the fixed header at the start of `bytes`; the payload starts at byte 40. */
export function decodeIpv6Header(bytes: Uint8Array): Result<Ipv6Header, Ipv6DecodeError> {
  if (bytes.length < IPV6_HEADER_LENGTH) {
    return err({
      code: 'short-ip-header',
      reason: `packet of ${bytes.length} bytes is shorter than an IPv6 header`,
    });
  }
  const version = bytes[0]! >> 4;
  if (version !== 6) return err({ code: 'not-ipv6', reason: `IP version ${version}, expected 6` });
  return ok({
    trafficClass: ((bytes[0]! & 0x0f) << 4) | (bytes[1]! >> 4),
    flowLabel: ((bytes[1]! & 0x0f) << 16) | (bytes[2]! << 8) | bytes[3]!,
    payloadLength: (bytes[4]! << 8) | bytes[5]!,
    nextHeader: bytes[6]!,
    hopLimit: bytes[7]!,
    source: bytesToAddress(bytes.subarray(8, 24))!,
    destination: bytesToAddress(bytes.subarray(24, 40))!,
  });
}

export interface Ipv6HeaderFields {
  readonly source: string;
  readonly destination: string;
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
}

/** The 40-byte fixed header; an error when an address is not IPv6 text. */
export function encodeIpv6Header(fields: Ipv6HeaderFields): Result<Buffer, string> {
  const src = ipv6Bytes(fields.source);
  const dst = ipv6Bytes(fields.destination);
  if (!src || !dst) return err(`not an IPv6 address: ${!src ? fields.source : fields.destination}`);
  const h = Buffer.alloc(IPV6_HEADER_LENGTH);
  const tc = (fields.trafficClass ?? 0) & 0xff;
  const flow = (fields.flowLabel ?? 0) & 0xfffff;
  h.writeUInt32BE(((6 << 28) | (tc << 20) | flow) >>> 0, 0);
  h.writeUInt16BE(fields.payloadLength & 0xffff, 4);
  h[6] = fields.nextHeader & 0xff;
  h[7] = fields.hopLimit & 0xff;
  h.set(src, 8);
  h.set(dst, 24);
  return ok(h);
}

/** 16 bytes of an IPv6 address in text, or null (IPv4 text, a prefix, garbage). */
export function ipv6Bytes(text: string): Buffer | null {
  if (!text.includes(':')) return null;
  const b = addressToBytes(text);
  return b && b.length === 16 ? b : null;
}
