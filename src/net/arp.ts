/**
 * EDGE: gratuitous ARP as real Ethernet frames on an AF_PACKET socket (native addon).
 *
 * Frame layout follows keepalived (vrrp_arp.c) and RFC 5227 section 3 announcements: an ARP
 * REQUEST (op 1) broadcast to ff:ff:ff:ff:ff:ff from the interface MAC, sender MAC = interface MAC,
 * sender IP = target IP = the VIP, target MAC = ff:ff:ff:ff:ff:ff.
 */
import { createRequire } from 'node:module';
import type { PacketSocket } from '@keepalived-ts/af-packet';
import { addressToBytes } from '../util/ip.js';

const ETH_P_ARP = 0x0806;
const ETH_P_IP = 0x0800;
const ARPHRD_ETHER = 1;
const ARPOP_REQUEST = 1;
const BROADCAST_MAC = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** 14 (Ethernet) + 28 (ARP); the NIC pads to the 60-byte minimum. */
export const GARP_FRAME_LENGTH = 42;

/** The gratuitous ARP frame for `vip` (IPv4 text) from `mac` (6 bytes). Null for bad input. */
export function buildGratuitousArp(mac: Buffer, vip: string): Buffer | null {
  const ip = addressToBytes(vip);
  if (!ip || ip.length !== 4 || mac.length !== 6) return null;
  const f = Buffer.alloc(GARP_FRAME_LENGTH);
  // Ethernet header
  BROADCAST_MAC.copy(f, 0); // destination
  mac.copy(f, 6); // source
  f.writeUInt16BE(ETH_P_ARP, 12);
  // ARP (RFC 826)
  f.writeUInt16BE(ARPHRD_ETHER, 14); // hardware type
  f.writeUInt16BE(ETH_P_IP, 16); // protocol type
  f[18] = 6; // hardware address length
  f[19] = 4; // protocol address length
  f.writeUInt16BE(ARPOP_REQUEST, 20);
  mac.copy(f, 22); // sender hardware address
  ip.copy(f, 28); // sender protocol address
  BROADCAST_MAC.copy(f, 32); // target hardware address
  ip.copy(f, 38); // target protocol address
  return f;
}

interface AfPacketModule {
  openPacketSocket(ifindex: number, protocol?: number): PacketSocket;
}
const require = createRequire(import.meta.url);
let afPacket: AfPacketModule | null = null;
function loadAfPacket(): AfPacketModule {
  afPacket ??= require('@keepalived-ts/af-packet') as AfPacketModule;
  return afPacket;
}

/** Sends gratuitous ARPs; keeps one packet socket per interface index. */
export class ArpSender {
  private readonly sockets = new Map<number, PacketSocket>();

  /** Sends one GARP for `vip` on `ifindex` from `mac`. Throws on socket errors. */
  send(ifindex: number, mac: Buffer, vip: string): void {
    const frame = buildGratuitousArp(mac, vip);
    if (!frame) throw new Error(`cannot build a gratuitous ARP for ${vip}`);
    let socket = this.sockets.get(ifindex);
    if (!socket) {
      socket = loadAfPacket().openPacketSocket(ifindex, ETH_P_ARP);
      this.sockets.set(ifindex, socket);
    }
    try {
      socket.send(frame);
    } catch (e) {
      // A socket whose interface went away stays broken: reopen next time.
      socket.close();
      this.sockets.delete(ifindex);
      throw e;
    }
  }

  close(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }
}
