// Minimal libpcap file reader/writer for the VRRP golden tests (classic format, microseconds).
const MAGIC_US = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;

export interface PcapFile {
  readonly linkType: number;
  readonly frames: readonly Buffer[];
}

export function readPcap(file: Buffer): PcapFile {
  const magic = file.readUInt32LE(0);
  const le = magic === MAGIC_US;
  if (!le && file.readUInt32BE(0) !== MAGIC_US) throw new Error('not a microsecond pcap file');
  const u32 = (at: number): number => (le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const linkType = u32(20);
  const frames: Buffer[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const capLen = u32(at + 8);
    frames.push(file.subarray(at + 16, at + 16 + capLen));
    at += 16 + capLen;
  }
  return { linkType, frames };
}

/** The IP packet of an Ethernet (or raw) frame. */
export function ipPacketOf(pcap: PcapFile, frame: Buffer): Buffer {
  return pcap.linkType === LINKTYPE_ETHERNET ? frame.subarray(14) : frame;
}

/** A pcap of raw IPv4 packets (LINKTYPE_RAW), one second apart. */
export function writeRawIpPcap(packets: readonly Uint8Array[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(MAGIC_US, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(LINKTYPE_RAW, 20);
  const records = packets.map((p, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(i, 0);
    rec.writeUInt32LE(p.length, 8);
    rec.writeUInt32LE(p.length, 12);
    return Buffer.concat([rec, Buffer.from(p)]);
  });
  return Buffer.concat([header, ...records]);
}
