/** EtherType for ARP (ETH_P_ARP, 0x0806). */
export declare const ETH_P_ARP: number;

/** An AF_PACKET SOCK_RAW socket bound to one interface; sends whole Ethernet frames. */
export declare class PacketSocket {
  /** Opens and binds; throws an Error with code 'EKA_AF_PACKET' and `errno` on failure. */
  constructor(ifindex: number, protocol?: number);
  readonly fd: number;
  /** Sends one frame (destination MAC first); returns the bytes sent. Never blocks: EAGAIN throws. */
  send(frame: Buffer): number;
  /** Idempotent. */
  close(): void;
}

export declare function openPacketSocket(ifindex: number, protocol?: number): PacketSocket;

/** An unbound AF_UNIX SOCK_DGRAM socket (non-blocking, close-on-exec). */
export declare class UnixDatagramSender {
  /** Throws an Error with code 'EKA_AF_PACKET' and `errno` on failure. */
  constructor();
  readonly fd: number;
  /**
   * Sends one datagram to `address`, the exact sun_path bytes: a filesystem path followed by its
   * NUL, or a NUL followed by an abstract name. Returns the bytes sent; never blocks (EAGAIN throws).
   */
  sendTo(address: Buffer, data: Buffer): number;
  /** Binds to `address` (same bytes as sendTo), e.g. to receive on an abstract address; read the fd. */
  bind(address: Buffer): void;
  /** Idempotent. */
  close(): void;
}

/**
 * setsockopt(fd, level, name, &value, sizeof(int)) on a socket another module opened. Throws an
 * Error with code 'EKA_AF_PACKET' and `errno` on failure.
 */
export declare function setSocketOptionInt(fd: number, level: number, name: number, value: number): void;
