/**
 * PING_CHECK: one ICMP (or ICMPv6) echo request; success is the matching echo reply from the
 * target (check_ping.c). The raw socket comes from the injected `openIcmpSocket` (net/icmp-socket.ts;
 * root), one per attempt; replies are matched on identifier, sequence and source, since a raw
 * socket sees every reply.
 */
import type { PingCheck } from '../config/model.js';
import { internetChecksum } from '../util/checksum.js';
import { down, up, type AttemptContext, type CheckResult, type IcmpSocket } from './checker.js';

/** RFC 792 / RFC 4443 message types. */
const ECHO_REQUEST_V4 = 8;
const ECHO_REPLY_V4 = 0;
const ECHO_REQUEST_V6 = 128;
const ECHO_REPLY_V6 = 129;

let sequence = 0;
const identifier = process.pid & 0xffff;

/**
 * RFC 792 echo request (type 8, checksum over the message) or RFC 4443 echo request (type 128;
 * the kernel computes the ICMPv6 checksum, which covers a pseudo-header).
 */
export function buildEcho(v6: boolean, id: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(v6 ? ECHO_REQUEST_V6 : ECHO_REQUEST_V4, 0);
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  b.write('keepalived-ts', 8, 'latin1');
  if (!v6) b.writeUInt16BE(internetChecksum(b), 2);
  return b;
}

export function pingAttempt(checker: PingCheck, ctx: AttemptContext): Promise<CheckResult> {
  return new Promise((resolve) => {
    const v6 = checker.connectIp.includes(':');
    let socket: IcmpSocket;
    try {
      socket = ctx.io.openIcmpSocket(v6 ? 'inet6' : 'inet');
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
    socket.onError((e) => finish(down('failed', e.message)));
    socket.onMessage((message, source) => {
      if (message.length < 8 || source !== checker.connectIp) return;
      if (message[0] !== (v6 ? ECHO_REPLY_V6 : ECHO_REPLY_V4)) return;
      if (message.readUInt16BE(4) !== identifier || message.readUInt16BE(6) !== seq) return;
      finish(up());
    });
    const packet = buildEcho(v6, identifier, seq);
    socket.send(packet, checker.connectIp).catch((e: unknown) => {
      finish(down('send ICMP packet fail', e instanceof Error ? e.message : String(e)));
    });
  });
}
