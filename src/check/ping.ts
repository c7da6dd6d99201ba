/**
 * PING_CHECK: one ICMP (or ICMPv6) echo request; success is the matching echo reply from the
 * target (check_ping.c). Every PING_CHECK of the pool shares one raw socket per address family
 * (`IcmpEchoDemux`, opened through the injected `openIcmpSocket`, net/icmp-socket.ts; root):
 * each echo carries the pool's identifier and a sequence number no other echo in flight holds,
 * and a reply is credited only to the echo with its identifier, sequence and source. A reply
 * after its echo timed out, or to anyone else's echo, matches nothing and is dropped.
 */
import type { PingCheck } from '../config/model.js';
import type { AddressFamily } from '../util/ip.js';
import { internetChecksum } from '../util/checksum.js';
import {
  down,
  up,
  type AttemptContext,
  type Cancellation,
  type CheckResult,
  type IcmpSocket,
  type IcmpSocketOpener,
} from './checker.js';

/** RFC 792 / RFC 4443 message types. */
const ECHO_REQUEST_V4 = 8;
const ECHO_REPLY_V4 = 0;
const ECHO_REQUEST_V6 = 128;
const ECHO_REPLY_V6 = 129;

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

interface Pending {
  readonly target: string;
  readonly finish: (result: CheckResult) => void;
}

interface Shared {
  readonly socket: IcmpSocket;
  /** Echoes in flight by sequence number. */
  readonly pending: Map<number, Pending>;
  nextSeq: number;
}

/** Echoes in flight and replies matched to them, over one socket per address family. */
export class IcmpEchoDemux {
  private readonly shared = new Map<AddressFamily, Shared>();
  private closed = false;

  constructor(
    private readonly open: IcmpSocketOpener,
    /** The ICMP identifier of every echo (the process's, as ping(8) uses). */
    readonly identifier: number = process.pid & 0xffff,
  ) {}

  /** Sockets open now (one per family in use at most). */
  get openSockets(): number {
    return this.shared.size;
  }

  /** Echoes in flight. */
  get inFlight(): number {
    let n = 0;
    for (const s of this.shared.values()) n += s.pending.size;
    return n;
  }

  /** One echo to `target`; settles with the reply, a failure, or `timeout` on cancellation. */
  echo(target: string, cancel: Cancellation): Promise<CheckResult> {
    if (cancel.cancelled) return Promise.resolve(down('timeout'));
    const family: AddressFamily = target.includes(':') ? 'inet6' : 'inet';
    const shared = this.socketFor(family);
    if (!('socket' in shared)) return Promise.resolve(down('connect fail to create socket', shared.error));
    let seq = shared.nextSeq;
    for (let tries = 0; shared.pending.has(seq); tries++) {
      if (tries > 0xffff) return Promise.resolve(down('connect fail to create socket', 'no free sequence'));
      seq = (seq + 1) & 0xffff;
    }
    shared.nextSeq = (seq + 1) & 0xffff;
    return new Promise((resolve) => {
      let done = false;
      const finish = (result: CheckResult): void => {
        if (done) return;
        done = true;
        if (shared.pending.get(seq)?.finish === finish) shared.pending.delete(seq);
        resolve(result);
      };
      shared.pending.set(seq, { target, finish });
      cancel.onCancel(() => finish(down('timeout')));
      shared.socket.send(buildEcho(family === 'inet6', this.identifier, seq), target).catch((e: unknown) => {
        finish(down('send ICMP packet fail', e instanceof Error ? e.message : String(e)));
      });
    });
  }

  /** Closes the sockets; echoes in flight end as failed. */
  close(): void {
    this.closed = true;
    for (const family of [...this.shared.keys()]) this.drop(family, 'closed');
  }

  private socketFor(family: AddressFamily): Shared | { error: string } {
    const existing = this.shared.get(family);
    if (existing !== undefined) return existing;
    if (this.closed) return { error: 'closed' };
    let socket: IcmpSocket;
    try {
      socket = this.open(family);
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
    const shared: Shared = { socket, pending: new Map(), nextSeq: 1 };
    this.shared.set(family, shared);
    const replyType = family === 'inet6' ? ECHO_REPLY_V6 : ECHO_REPLY_V4;
    socket.onMessage((message, source) => {
      if (message.length < 8 || message[0] !== replyType) return;
      if (message.readUInt16BE(4) !== this.identifier) return;
      const p = shared.pending.get(message.readUInt16BE(6));
      if (p === undefined || p.target !== source) return;
      p.finish(up());
    });
    // A broken socket fails the echoes in flight on it; the next echo opens a new one.
    socket.onError((e) => {
      if (this.shared.get(family) === shared) this.drop(family, e.message);
    });
    return shared;
  }

  private drop(family: AddressFamily, why: string): void {
    const shared = this.shared.get(family);
    if (shared === undefined) return;
    this.shared.delete(family);
    const pending = [...shared.pending.values()];
    shared.pending.clear();
    for (const p of pending) p.finish(down('failed', why));
    shared.socket.close();
  }
}

export function pingAttempt(checker: PingCheck, ctx: AttemptContext): Promise<CheckResult> {
  return ctx.io.icmpEcho.echo(checker.connectIp, ctx.cancel);
}
