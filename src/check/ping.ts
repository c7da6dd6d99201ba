/**
 * PING_CHECK: one ICMP (or ICMPv6) echo request; success is the matching echo reply from the
 * target (check_ping.c). Uses a raw ICMP socket (`raw-socket`; root), one per attempt, and
 * matches replies on identifier, sequence and source, since a raw socket sees every reply.
 */
import { createRequire } from 'node:module';
import type { PingCheck } from '../config/model.js';
import { down, up, type AttemptContext, type CheckResult } from './checker.js';

interface RawSocket {
  send(buf: Buffer, offset: number, length: number, address: string, cb: (error: Error | null) => void): void;
  on(event: 'message', fn: (buf: Buffer, source: string) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  close(): void;
}
interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily?: number }): RawSocket;
  createChecksum(...buffers: Buffer[]): number;
  writeChecksum(buf: Buffer, offset: number, checksum: number): void;
  Protocol: { ICMP: number; ICMPv6: number };
  AddressFamily: { IPv4: number; IPv6: number };
}

const require = createRequire(import.meta.url);
let rawModule: RawSocketModule | null = null;
function raw(): RawSocketModule {
  rawModule ??= require('raw-socket') as RawSocketModule;
  return rawModule;
}

let sequence = 0;
const identifier = process.pid & 0xffff;

/** RFC 792 echo request (type 8) or RFC 4443 echo request (type 128; kernel sums v6). */
export function buildEcho(v6: boolean, id: number, seq: number, checksum: (b: Buffer) => number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(v6 ? 128 : 8, 0);
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  b.write('keepalived-ts', 8, 'latin1');
  if (!v6) b.writeUInt16BE(checksum(b), 2);
  return b;
}

export function pingAttempt(checker: PingCheck, ctx: AttemptContext): Promise<CheckResult> {
  return new Promise((resolve) => {
    const v6 = checker.connectIp.includes(':');
    const r = raw();
    let socket: RawSocket;
    try {
      socket = r.createSocket({
        protocol: v6 ? r.Protocol.ICMPv6 : r.Protocol.ICMP,
        addressFamily: v6 ? r.AddressFamily.IPv6 : r.AddressFamily.IPv4,
      });
    } catch (e) {
      resolve(down('connect fail to create socket', e instanceof Error ? e.message : String(e)));
      return;
    }
    const seq = (sequence = (sequence + 1) & 0xffff);
    let done = false;
    const finish = (result: CheckResult): void => {
      if (done) return;
      done = true;
      ctx.signal.removeEventListener('abort', onAbort);
      socket.close();
      resolve(result);
    };
    const onAbort = (): void => finish(down('timeout'));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (e) => finish(down('failed', e.message)));
    socket.on('message', (buf, source) => {
      // IPv4 raw sockets deliver the IP header; IPv6 ones do not.
      const off = v6 ? 0 : (buf[0]! & 0x0f) * 4;
      if (buf.length < off + 8 || source !== checker.connectIp) return;
      const type = buf[off]!;
      if (type !== (v6 ? 129 : 0)) return;
      if (buf.readUInt16BE(off + 4) !== identifier || buf.readUInt16BE(off + 6) !== seq) return;
      finish(up());
    });
    const packet = buildEcho(v6, identifier, seq, (b) => r.createChecksum(b));
    socket.send(packet, 0, packet.length, checker.connectIp, (e) => {
      if (e) finish(down('send ICMP packet fail', e.message));
    });
  });
}
