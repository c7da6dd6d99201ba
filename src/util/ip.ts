/**
 * Address helpers over `ip-address`: parse text to a canonical form and family, and to bytes.
 * Pure: never throws on bad text, returns null instead.
 */
import { Address4, Address6 } from 'ip-address';

/** An address family by its Linux name (AF_INET, AF_INET6), as the config model spells it. */
export type AddressFamily = 'inet' | 'inet6';

export interface ParsedAddress {
  readonly address: string;
  readonly family: AddressFamily;
  /** Prefix length when written with `/N`, else null. */
  readonly prefixLength: number | null;
}

const V4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Parses `10.0.0.1`, `10.0.0.1/24`, `2001:db8::1`, `2001:db8::/64`. */
export function parseAddress(text: string): ParsedAddress | null {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const lenText = slash >= 0 ? text.slice(slash + 1) : null;
  if (lenText !== null && !/^\d{1,3}$/.test(lenText)) return null;
  const len = lenText === null ? null : Number(lenText);
  if (V4.test(addr)) {
    if (!Address4.isValid(addr)) return null;
    if (len !== null && len > 32) return null;
    return { address: new Address4(addr).correctForm(), family: 'inet', prefixLength: len };
  }
  if (addr.includes(':') && !addr.includes('%') && Address6.isValid(addr)) {
    if (len !== null && len > 128) return null;
    return { address: new Address6(addr).correctForm(), family: 'inet6', prefixLength: len };
  }
  return null;
}

/** 4 bytes for IPv4, 16 for IPv6, or null for bad text. */
export function addressToBytes(address: string): Buffer | null {
  const p = parseAddress(address);
  if (!p || p.prefixLength !== null) return null;
  return p.family === 'inet'
    ? Buffer.from(new Address4(p.address).toArray())
    : Buffer.from(
        new Address6(p.address)
          .toByteArray()
          .slice(-16)
          .map((b) => b & 0xff)
          .concat(),
      );
}

/** Text form of 4 or 16 address bytes. */
export function bytesToAddress(bytes: Uint8Array): string | null {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return new Address6(groups.join(':')).correctForm();
  }
  return null;
}

/** Numeric comparison of two addresses of one family (VRRP tie-break, RFC 3768 section 6.4.3). */
export function compareAddresses(a: string, b: string): number {
  const x = addressToBytes(a);
  const y = addressToBytes(b);
  if (!x || !y) throw new Error(`compareAddresses: bad address ${a} or ${b} (this is a bug)`);
  return Buffer.compare(x, y);
}
