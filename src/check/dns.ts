/**
 * DNS_CHECK: one UDP query (type, name, recursion desired); success is a response with our id,
 * QR set and RCODE 0 (check_dns.c `dns_recv_thread`). Other datagrams are ignored.
 */
import { createSocket } from 'node:dgram';
import type { DnsCheck } from '../config/model.js';
import { down, isSocketShortage, skipped, up, type AttemptContext, type CheckResult } from './checker.js';
import { optionedUdp } from './udp.js';

/** RFC 1035 §3.2.2 TYPE values. */
export const DNS_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 } as const;

/** RFC 1035 §4.1 query: header (id, RD), one question of `type` IN for `name`. */
export function buildDnsQuery(id: number, type: keyof typeof DNS_TYPES, name: string): Buffer {
  const labels = name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  parts.push(header);
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii').subarray(0, 63);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt8(0, 0);
  tail.writeUInt16BE(DNS_TYPES[type], 1);
  tail.writeUInt16BE(1, 3); // IN
  parts.push(tail);
  return Buffer.concat(parts);
}

/** null when `reply` answers query `id` successfully, else a reason; null-safe on any bytes. */
export function dnsReplyVerdict(reply: Buffer, id: number): 'ok' | 'ignore' | string {
  if (reply.length < 12) return 'ignore';
  if (reply.readUInt16BE(0) !== (id & 0xffff)) return 'ignore';
  const flags = reply.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return 'ignore';
  const rcode = flags & 0x000f;
  return rcode === 0 ? 'ok' : `read error occurred. (rcode = ${rcode})`;
}

export function dnsAttempt(checker: DnsCheck, ctx: AttemptContext): Promise<CheckResult> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 0x10000);
    // keepalived's DNS_CHECK sets both fwmark and bind_if (core/layer4.c socket_bind_connect).
    const optioned = optionedUdp(checker, ctx.io, true);
    if ('error' in optioned) {
      resolve(
        optioned.error.cause === null
          ? skipped(`DNS_CHECK (${ctx.target}) failed to create socket. Rescheduling.`)
          : skipped(`DNS_CHECK (${ctx.target}) UDP socket bind failed. Rescheduling.`, optioned.error.cause),
      );
      return;
    }
    const socket = optioned.socket ?? createSocket(checker.connectIp.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const finish = (r: CheckResult): void => {
      if (done) return;
      done = true;
      ctx.signal.removeEventListener('abort', onAbort);
      socket.close();
      resolve(r);
    };
    const onAbort = (): void => finish(down('timeout'));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (e: NodeJS.ErrnoException) =>
      finish(
        isSocketShortage(e)
          ? skipped(`DNS_CHECK (${ctx.target}) failed to create socket. Rescheduling.`)
          : down(`failed to read socket; ${e.code ?? e.message}`),
      ),
    );
    socket.on('message', (msg) => {
      const v = dnsReplyVerdict(msg, id);
      if (v === 'ok') finish(up());
      else if (v !== 'ignore') finish(down(v));
    });
    const send = (): void =>
      socket.connect(checker.connectPort, checker.connectIp, () =>
        socket.send(buildDnsQuery(id, checker.queryType, checker.name)),
      );
    if (optioned.socket !== null) optioned.adopt(send);
    else if (checker.bindTo !== null || checker.bindPort !== null)
      socket.bind({ address: checker.bindTo ?? undefined, port: checker.bindPort ?? 0 }, send);
    else send();
  });
}
