/**
 * EDGE: IPv4 raw socket for IP protocol 112 (VRRP), over the `raw-socket` native addon.
 *
 * The only file that knows how VRRP adverts travel: we write the IPv4 header ourselves
 * (IP_HDRINCL) so the source address is `mcast_src_ip`/`unicast_src_ip` or the interface's primary
 * address, the TTL is 255 (RFC 3768 section 5.2.3) and the TOS is 0xC0 (internetwork control, as
 * keepalived). Received buffers start with the IPv4 header, so the caller can check the TTL
 * (RFC 3768 section 7.1). Multicast mode joins 224.0.0.18 on the interface with `struct ip_mreqn`.
 *
 * Two sockets: a protocol-112 socket that only receives, and an IPPROTO_RAW socket (send only,
 * IP_HDRINCL implied, raw(7)) that only sends. `raw-socket` reports one event per poll wake-up and
 * prefers readable to writable, so on one socket a receive flood would hold every advert in its
 * send queue: the master would fall silent and its backup take over (docs/operations.md "Logs",
 * floods).
 */
import { createRequire } from 'node:module';
import { addressToBytes } from '../util/ip.js';
import { decodeIpv4Header, encodeIpv4Header } from '../util/ipv4-header.js';

// setsockopt constants from <netinet/in.h> and <asm-generic/socket.h>.
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const SO_RCVBUF = 8;
const IPPROTO_IP = 0;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IP_DROP_MEMBERSHIP = 36;

export const IPPROTO_VRRP = 112;
/** <netinet/in.h>: a send-only raw socket whose datagrams carry their own IPv4 header. */
const IPPROTO_RAW = 255;
export const VRRP_MULTICAST_GROUP4 = '224.0.0.18';
/** RFC 3768 section 5.2.3: the TTL MUST be 255. */
export const VRRP_TTL = 255;
/** IPTOS_PREC_INTERNETCONTROL, as keepalived sets it. */
const VRRP_TOS = 0xc0;

/** The subset of the untyped `raw-socket` module this adapter uses. */
interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily?: number; bufferSize?: number }): RawSocket;
}
interface RawSocket {
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    afterCallback: (error: Error | null, bytes: number) => void,
  ): void;
  on(event: 'message', fn: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', fn: (error: Error) => void): void;
  close(): void;
  pauseRecv(): void;
}

const require = createRequire(import.meta.url);
let rawModule: RawSocketModule | null = null;
function loadRawSocket(): RawSocketModule {
  rawModule ??= require('raw-socket') as RawSocketModule;
  return rawModule;
}

export interface VrrpSocketOptions {
  /** Interface to bind to (SO_BINDTODEVICE) and to join the group on; null for unbound unicast. */
  readonly interfaceName: string | null;
  readonly ifindex: number | null;
  /** Source address written into every IPv4 header. */
  readonly sourceAddress: string;
  /** Multicast group to join (224.0.0.18), or null in unicast mode. */
  readonly multicastGroup: string | null;
  /** TTL written into the header: 255, or `unicast_ttl` for unicast. */
  readonly ttl: number;
}

/** One received IPv4 datagram of protocol 112, with the header fields validation needs. */
export interface ReceivedVrrpDatagram {
  readonly source: string;
  readonly destination: string;
  readonly ttl: number;
  /** IPv4 total length as the header states it. */
  readonly totalLength: number;
  /** The whole datagram, IPv4 header included. */
  readonly datagram: Buffer;
  /** The bytes after the IPv4 header (the VRRP packet, possibly with link padding). */
  readonly payload: Buffer;
}

/** A view of the IPv4 header of a received datagram; null when it is not a well-formed IPv4 header. */
export function parseIpv4Header(datagram: Buffer): Omit<ReceivedVrrpDatagram, 'datagram'> | null {
  const decoded = decodeIpv4Header(datagram);
  if (!decoded.ok) return null;
  const h = decoded.value;
  return {
    ttl: h.ttl,
    totalLength: h.totalLength,
    source: h.source,
    destination: h.destination,
    payload: datagram.subarray(h.headerLength),
  };
}

/**
 * Builds the 20-byte IPv4 header for an advert. The kernel fills in the checksum under
 * IP_HDRINCL; we compute it anyway so the bytes are right whatever the kernel does.
 */
export function buildIpv4Header(
  source: Buffer,
  destination: Buffer,
  payloadLength: number,
  ttl: number,
  id: number,
): Buffer {
  return encodeIpv4Header({
    source,
    destination,
    payloadLength,
    tos: VRRP_TOS,
    ttl,
    id,
    protocol: IPPROTO_VRRP,
  });
}

/** `struct ip_mreqn { in_addr multiaddr; in_addr address; int ifindex; }` */
function ipMreqn(group: Buffer, local: Buffer, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  group.copy(b, 0);
  local.copy(b, 4);
  b.writeInt32LE(ifindex, 8);
  return b;
}

export class VrrpSocketError extends Error {
  readonly code = 'EKA_VRRP_SOCKET';
}

/**
 * A raw protocol-112 socket for one interface (or none, for unbound unicast). Sends adverts with
 * our own IPv4 header; delivers every received protocol-112 datagram to the listener.
 */
export class VrrpRawSocket {
  /** Receives protocol 112 (and sends nothing). */
  private readonly socket: RawSocket;
  /** Sends our adverts (and receives nothing). */
  private readonly sender: RawSocket;
  private readonly source: Buffer;
  private readonly groupBytes: Buffer | null;
  private ipId = 0;
  private closed = false;
  private listener: ((d: ReceivedVrrpDatagram) => void) | null = null;
  private errorListener: ((e: Error) => void) | null = null;

  private constructor(
    socket: RawSocket,
    sender: RawSocket,
    private readonly options: VrrpSocketOptions,
  ) {
    this.socket = socket;
    this.sender = sender;
    this.source = addressToBytes(options.sourceAddress)!;
    this.groupBytes = options.multicastGroup ? addressToBytes(options.multicastGroup) : null;
    socket.on('message', (buffer) => this.onMessage(buffer));
    socket.on('error', (e) => this.errorListener?.(e));
    sender.on('error', (e) => this.errorListener?.(e));
  }

  /** Opens and configures the socket; throws VrrpSocketError on any setsockopt failure. */
  static open(options: VrrpSocketOptions): VrrpRawSocket {
    const source = addressToBytes(options.sourceAddress);
    if (!source || source.length !== 4) {
      throw new VrrpSocketError(`bad IPv4 source address ${options.sourceAddress}`);
    }
    const raw = loadRawSocket();
    const socket = raw.createSocket({ protocol: IPPROTO_VRRP, bufferSize: 65535 });
    let sender: RawSocket | null = null;
    const step = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        socket.close();
        sender?.close();
        throw new VrrpSocketError(`${what}: ${(e as Error).message}`);
      }
    };
    step('socket(IPPROTO_RAW)', () => {
      sender = raw.createSocket({ protocol: IPPROTO_RAW });
    });
    const out = sender!;
    // It never receives; without this its poll would wake for nothing.
    out.pauseRecv();
    step('SO_RCVBUF', () => socket.setOption(SOL_SOCKET, SO_RCVBUF, 256 * 1024));
    if (options.interfaceName !== null) {
      const name = Buffer.from(options.interfaceName + '\0');
      for (const s of [socket, out]) {
        step('SO_BINDTODEVICE', () => s.setOption(SOL_SOCKET, SO_BINDTODEVICE, name, name.length));
      }
    }
    if (options.multicastGroup !== null) {
      const group = addressToBytes(options.multicastGroup);
      if (!group || options.ifindex === null) {
        socket.close();
        out.close();
        throw new VrrpSocketError('multicast needs a group address and an interface');
      }
      const mreqn = ipMreqn(group, source, options.ifindex);
      step('IP_ADD_MEMBERSHIP', () => socket.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreqn, mreqn.length));
      step('IP_MULTICAST_IF', () =>
        out.setOption(IPPROTO_IP, IP_MULTICAST_IF, ipMreqn(Buffer.alloc(4), source, options.ifindex!), 12),
      );
      step('IP_MULTICAST_TTL', () => out.setOption(IPPROTO_IP, IP_MULTICAST_TTL, VRRP_TTL));
      // Our own adverts must not come back to us as if a peer sent them.
      step('IP_MULTICAST_LOOP', () => out.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, 0));
    }
    return new VrrpRawSocket(socket, out, options);
  }

  get sourceAddress(): string {
    return this.options.sourceAddress;
  }

  onDatagram(fn: (d: ReceivedVrrpDatagram) => void): void {
    this.listener = fn;
  }

  onError(fn: (e: Error) => void): void {
    this.errorListener = fn;
  }

  /** Sends one VRRP packet to `destination` (the group, or one unicast peer). */
  send(vrrpPacket: Buffer, destination: string): Promise<void> {
    if (this.closed) return Promise.reject(new VrrpSocketError('send on a closed socket'));
    const dst = addressToBytes(destination);
    if (!dst || dst.length !== 4)
      return Promise.reject(new VrrpSocketError(`bad destination ${destination}`));
    // The IP ID increments and skips 0, as keepalived.
    this.ipId = (this.ipId % 0xffff) + 1;
    const header = buildIpv4Header(this.source, dst, vrrpPacket.length, this.options.ttl, this.ipId);
    const datagram = Buffer.concat([header, vrrpPacket]);
    return new Promise((resolve, reject) => {
      this.sender.send(datagram, 0, datagram.length, destination, (error) =>
        error ? reject(new VrrpSocketError(`sendto ${destination}: ${error.message}`)) : resolve(),
      );
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.groupBytes !== null && this.options.ifindex !== null) {
      try {
        const m = ipMreqn(this.groupBytes, this.source, this.options.ifindex);
        this.socket.setOption(IPPROTO_IP, IP_DROP_MEMBERSHIP, m, m.length);
      } catch {
        // The interface may be gone; closing drops the membership anyway.
      }
    }
    this.socket.close();
    this.sender.close();
  }

  private onMessage(buffer: Buffer): void {
    const header = parseIpv4Header(buffer);
    if (!header) return;
    // The buffer is reused by raw-socket for the next read; keep our own copy.
    const datagram = Buffer.from(buffer);
    const view = parseIpv4Header(datagram)!;
    this.listener?.({ ...view, datagram });
  }
}
