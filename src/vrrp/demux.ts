/**
 * Demultiplexing of one shared socket's adverts to the instances on it, by VRID: every instance
 * with the same interface, group, source and TTL shares one raw socket (channels.ts), and the
 * kernel hands each received protocol-112 datagram to that socket once.
 */

/** A received datagram: the whole IPv4 packet, and the bytes after its header (the VRRP message). */
export interface ReceivedDatagram {
  readonly datagram: Buffer;
  readonly payload: Buffer;
}

/** The VRID of a VRRP message (RFC 3768 section 5.3.3, the second byte), or -1 when too short. */
export function vridOf(vrrpMessage: Uint8Array): number {
  return vrrpMessage.length >= 2 ? vrrpMessage[1]! : -1;
}

export class VridDemux {
  private readonly byVrid = new Map<number, (datagram: Buffer) => void>();

  /** `onUnknown` hears the datagrams of VRIDs no instance listens for (-1: too short for one). */
  constructor(private readonly onUnknown: (vrid: number, d: ReceivedDatagram) => void) {}

  /** The instance of `vrid` receives whole datagrams (IPv4 header first); replaces any previous one. */
  listen(vrid: number, fn: (datagram: Buffer) => void): void {
    this.byVrid.set(vrid, fn);
  }

  unlisten(vrid: number): void {
    this.byVrid.delete(vrid);
  }

  get listeners(): number {
    return this.byVrid.size;
  }

  dispatch(d: ReceivedDatagram): void {
    const vrid = vridOf(d.payload);
    const fn = this.byVrid.get(vrid);
    if (fn) fn(d.datagram);
    else this.onUnknown(vrid, d);
  }
}
