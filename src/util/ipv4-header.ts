/**
 * PURE IPv4 header codec (RFC 791 section 3.1): the decode that the VRRP receive path and the raw
 * socket adapter share, and the 20-byte header (no options) that adverts are sent with.
 * Decoding never throws; a bad address given to the encoder is a programmer error.
 */
import { internetChecksum } from './checksum.js';
import { err, ok, type Result } from './result.js';

/** A header without options: 5 words. */
export const IPV4_HEADER_LENGTH = 20;
/** RFC 791: the Don't Fragment bit of the flags field. */
const DONT_FRAGMENT = 0x4000;

/** The header fields a receiver looks at. */
export interface Ipv4Header {
  /** IHL in bytes (options included). */
  readonly headerLength: number;
  readonly tos: number;
  /** Total Length as the header states it (not the buffer's length). */
  readonly totalLength: number;
  readonly id: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly source: string;
  readonly destination: string;
}

export type Ipv4DecodeErrorCode = 'short-ip-header' | 'not-ipv4' | 'bad-header-length';

export interface Ipv4DecodeError {
  readonly code: Ipv4DecodeErrorCode;
  readonly reason: string;
}

function ipv4Text(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Reads the header at the start of `bytes`; the payload starts at `headerLength`. */
export function decodeIpv4Header(bytes: Uint8Array): Result<Ipv4Header, Ipv4DecodeError> {
  if (bytes.length < IPV4_HEADER_LENGTH) {
    return err({
      code: 'short-ip-header',
      reason: `packet of ${bytes.length} bytes is shorter than an IPv4 header`,
    });
  }
  const version = bytes[0]! >> 4;
  if (version !== 4) return err({ code: 'not-ipv4', reason: `IP version ${version}, expected 4` });
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH || headerLength > bytes.length) {
    return err({
      code: 'bad-header-length',
      reason: `IPv4 header length ${headerLength} in a ${bytes.length}-byte packet`,
    });
  }
  return ok({
    headerLength,
    tos: bytes[1]!,
    totalLength: (bytes[2]! << 8) | bytes[3]!,
    id: (bytes[4]! << 8) | bytes[5]!,
    ttl: bytes[8]!,
    protocol: bytes[9]!,
    source: ipv4Text(bytes, 12),
    destination: ipv4Text(bytes, 16),
  });
}

export interface Ipv4HeaderFields {
  /** 4 address bytes. */
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  /** Bytes after the header; Total Length is 20 more. */
  readonly payloadLength: number;
  readonly tos: number;
  readonly ttl: number;
  readonly id: number;
  readonly protocol: number;
  /** Linux sets DF on raw-socket sends (path MTU discovery). */
  readonly dontFragment?: boolean;
}

/** The 20-byte header, checksum computed (RFC 791: the sum over the header, checksum field 0). */
export function encodeIpv4Header(fields: Ipv4HeaderFields): Buffer {
  if (fields.source.length !== 4 || fields.destination.length !== 4) {
    throw new Error('encodeIpv4Header: an address is not 4 bytes (this is a bug)');
  }
  const h = Buffer.alloc(IPV4_HEADER_LENGTH);
  h[0] = 0x45; // version 4, IHL 5 words
  h[1] = fields.tos & 0xff;
  h.writeUInt16BE(IPV4_HEADER_LENGTH + fields.payloadLength, 2);
  h.writeUInt16BE(fields.id & 0xffff, 4);
  h.writeUInt16BE(fields.dontFragment === true ? DONT_FRAGMENT : 0, 6); // flags, fragment offset 0
  h[8] = fields.ttl & 0xff;
  h[9] = fields.protocol & 0xff;
  h.set(fields.source, 12);
  h.set(fields.destination, 16);
  h.writeUInt16BE(internetChecksum(h), 10);
  return h;
}
