/**
 * EDGE: raw ICMP and ICMPv6 sockets for PING_CHECK, over the `raw-socket` native addon (needs
 * root). The checker pool opens one per family and shares it (check/ping.ts IcmpEchoDemux); a
 * raw socket sees every echo reply the host receives, so replies are matched there. IPv4 raw sockets deliver the IPv4 header with each message and IPv6 ones do not; this
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
  SocketLevel: { SOL_SOCKET: number };
  SocketOption: { SO_RCVBUF: number };
}
interface RawSocket {
  send(buf: Buffer, offset: number, length: number, address: string, cb: (error: Error | null) => void): void;
  on(event: 'message', fn: (buf: Buffer, source: string) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  setOption(level: number, option: number, value: number | Buffer, length?: number): void;
  close(): void;
}

/**
 * The pool's PING_CHECKs share the socket, so its receive buffer holds the replies of all of
 * them at once: keepalived gives each of its per-check sockets 128 KiB (check_ping.c
 * SOCK_RECV_BUFF); this asks for 4 MiB (the kernel caps it at net.core.rmem_max).
 */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
/** linux/icmp.h: SOL_RAW level, ICMP_FILTER option (a mask of the ICMP types to drop). */
const SOL_RAW = 255;
const ICMP_FILTER = 1;

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
  // Both are optimisations: a socket without them still works (keepalived ignores a failed
  // SO_RCVBUF too).
  try {
    socket.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_RCVBUF, RECEIVE_BUFFER_BYTES);
  } catch {
    /* the default buffer */
  }
  if (!v6) {
    // Only echo replies (type 0) reach the socket, not the host's other ICMP traffic.
    const mask = Buffer.alloc(4);
    mask.writeUInt32LE(~1 >>> 0);
    try {
      socket.setOption(SOL_RAW, ICMP_FILTER, mask, 4);
    } catch {
      /* every ICMP message, filtered in check/ping.ts */
    }
  }
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
