/**
 * EDGE: raw ICMP and ICMPv6 sockets for PING_CHECK, over the `raw-socket` native addon (needs
 * root). A raw socket sees every echo reply the host receives, so the checker matches replies
 * itself. IPv4 raw sockets deliver the IPv4 header with each message and IPv6 ones do not; this
 * adapter strips it, so listeners always get the ICMP message alone. Satisfies check/checker.ts
 * `IcmpSocketOpener` structurally.
 */
import { createRequire } from 'node:module';
import type { AddressFamily } from '../util/ip.js';
import { decodeIpv4Header } from '../util/ipv4-header.js';

/** The subset of the untyped `raw-socket` module this adapter uses. */
interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily?: number }): RawSocket;
  Protocol: { ICMP: number; ICMPv6: number };
  AddressFamily: { IPv4: number; IPv6: number };
}
interface RawSocket {
  send(buf: Buffer, offset: number, length: number, address: string, cb: (error: Error | null) => void): void;
  on(event: 'message', fn: (buf: Buffer, source: string) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  close(): void;
}

const require = createRequire(import.meta.url);
let rawModule: RawSocketModule | null = null;
function loadRawSocket(): RawSocketModule {
  rawModule ??= require('raw-socket') as RawSocketModule;
  return rawModule;
}

export interface IcmpSocket {
  /** Sends one ICMP message to `address`; rejects with the send error. */
  send(message: Buffer, address: string): Promise<void>;
  /** Every ICMP message received; `message` is only valid during the call (the addon reuses it). */
  onMessage(fn: (message: Buffer, source: string) => void): void;
  onError(fn: (error: Error) => void): void;
  close(): void;
}

/** Opens a raw ICMP (inet) or ICMPv6 (inet6) socket; throws when the host refuses (not root). */
export function openIcmpSocket(family: AddressFamily): IcmpSocket {
  const raw = loadRawSocket();
  const v6 = family === 'inet6';
  const socket = raw.createSocket({
    protocol: v6 ? raw.Protocol.ICMPv6 : raw.Protocol.ICMP,
    addressFamily: v6 ? raw.AddressFamily.IPv6 : raw.AddressFamily.IPv4,
  });
  return {
    send: (message, address) =>
      new Promise((resolve, reject) => {
        socket.send(message, 0, message.length, address, (e) => (e ? reject(e) : resolve()));
      }),
    onMessage: (fn) =>
      socket.on('message', (buf, source) => {
        if (v6) return fn(buf, source);
        const header = decodeIpv4Header(buf);
        if (header.ok) fn(buf.subarray(header.value.headerLength), source);
      }),
    onError: (fn) => socket.on('error', fn),
    close: () => socket.close(),
  };
}
