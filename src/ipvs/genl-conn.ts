/**
 * Generic netlink conversation over a NetlinkTransport port: sequence numbers, acknowledgements,
 * multipart (dump) replies, NLMSG_ERROR, and family resolution through the controller.
 *
 * Requests are pipelined: everything asked for in one tick is framed back to back into one
 * datagram (up to a window of unacknowledged requests), because the kernel handles the messages
 * of a datagram in order (netlink_rcv_skb), in the sender's sendmsg. Only the last message of a
 * datagram asks for an ACK (NLM_F_ACK): netlink_rcv_skb answers a message without that flag only
 * when it fails, so one ACK for the last message settles every earlier message of the datagram
 * that got no error (an error always arrives before the ACK that follows it). This spares the
 * kernel and us one ACK datagram per request (40,000 on a big cold start). The window bounds
 * the error replies that can be queued at once within the socket's receive buffer; a lost reply
 * (ENOBUFS) fails the requests in flight so the caller retries them. Dumps go alone, since the
 * kernel runs one dump at a time per socket.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { err, ok, type Result } from '../util/result.js';
import {
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_ATTR_MAXATTR,
  CTRL_ATTR_VERSION,
  CTRL_CMD_GETFAMILY,
  CTRL_VERSION,
  ERRNO,
  GENL_ID_CTRL,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
} from './constants.js';
import {
  attrGet,
  decodeAttrTable,
  decodeError,
  decodeGenl,
  decodeMessages,
  NetlinkWriter,
  readI32,
  type GenlPayload,
} from './netlink-codec.js';

/** The socket seam: bytes out, datagrams in. net/netlink-socket.ts satisfies it. */
export interface NetlinkTransport {
  /** Sends one datagram to the kernel; resolves when handed to the socket. */
  send(datagram: Buffer): Promise<Result<void, TransportError>>;
  /** Datagrams received from the kernel (port 0) only. */
  onMessage(handler: (datagram: Buffer) => void): void;
  /** Socket errors, such as ENOBUFS when replies were dropped. */
  onError(handler: (e: TransportError) => void): void;
  close(): void;
}

export interface TransportError {
  readonly errno: number;
  readonly message: string;
}

/** Why a request failed: a kernel errno (positive), a timeout, or a local problem. */
export interface GenlError {
  readonly errno: number;
  readonly message: string;
}

export interface GenlRequest {
  readonly cmd: number;
  readonly dump: boolean;
  readonly write: (w: NetlinkWriter) => Result<void>;
}

export type GenlResult = Result<GenlPayload[], GenlError>;

export interface GenlConnectionOptions {
  readonly clock: Clock;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** Unacknowledged requests allowed at once (default 1024). */
  readonly window?: number;
  /** Largest datagram to send (default 32 KiB, well under the default send buffer). */
  readonly maxDatagram?: number;
}

interface Pending {
  readonly seq: number;
  readonly dump: boolean;
  readonly replies: GenlPayload[];
  readonly resolve: (r: GenlResult) => void;
  /** The datagram's requests, in order; the last one carries NLM_F_ACK. */
  batch: Batch | null;
}

interface Batch {
  readonly members: Pending[];
  timer: TimerHandle | null;
}

interface Queued {
  readonly familyId: number;
  readonly version: number;
  readonly req: GenlRequest;
  readonly resolve: (r: GenlResult) => void;
}

/** First in, first out, O(1) at both ends (Array#shift copies the array: quadratic over 40,000 requests). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  drain(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}

export interface FamilyInfo {
  readonly id: number;
  readonly version: number;
  readonly maxAttr: number;
}

export class GenlConnection {
  private seq: number;
  private readonly pending = new Map<number, Pending>();
  private readonly queue = new Fifo<Queued>();
  private pumpScheduled = false;
  private dumpsInFlight = 0;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly window: number;
  private readonly maxDatagram: number;
  /** Replies that matched no request (late after a timeout, or foreign); counted, not fatal. */
  unmatchedReplies = 0;
  /** Datagrams that failed to decode. */
  malformedDatagrams = 0;

  constructor(
    private readonly transport: NetlinkTransport,
    private readonly options: GenlConnectionOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.window = options.window ?? 1024;
    this.maxDatagram = options.maxDatagram ?? 32 * 1024;
    this.seq = (Math.floor(options.clock.now()) & 0xffff) + 1;
    transport.onMessage((d) => this.receive(d));
    transport.onError((e) => this.failInFlight({ errno: e.errno, message: e.message }));
  }

  /** Sends one request; resolves with its reply messages (none for a plain ACK). */
  request(familyId: number, version: number, req: GenlRequest): Promise<GenlResult> {
    if (this.closed) return Promise.resolve(err({ errno: ERRNO.EINVAL, message: 'connection closed' }));
    return new Promise((resolve) => {
      this.queue.push({ familyId, version, req, resolve });
      this.schedulePump();
    });
  }

  /** Resolves a generic netlink family name (CTRL_CMD_GETFAMILY). ENOENT when not registered. */
  async resolveFamily(name: string): Promise<Result<FamilyInfo, GenlError>> {
    const r = await this.request(GENL_ID_CTRL, CTRL_VERSION, {
      cmd: CTRL_CMD_GETFAMILY,
      dump: false,
      write: (w) => {
        w.string(CTRL_ATTR_FAMILY_NAME, name);
        return ok(undefined);
      },
    });
    if (!r.ok) return r;
    for (const reply of r.value) {
      const t = decodeAttrTable(reply.attrs);
      if (!t.ok) return err({ errno: ERRNO.EINVAL, message: `family reply: ${t.error}` });
      const id = attrGet.u16(t.value, CTRL_ATTR_FAMILY_ID);
      const version = attrGet.u32(t.value, CTRL_ATTR_VERSION);
      const maxAttr = attrGet.u32(t.value, CTRL_ATTR_MAXATTR);
      if (id.ok && id.value !== null) {
        return ok({
          id: id.value,
          version: version.ok ? (version.value ?? 1) : 1,
          maxAttr: maxAttr.ok ? (maxAttr.value ?? 0) : 0,
        });
      }
    }
    return err({ errno: ERRNO.ENOENT, message: `generic netlink family ${name} not in reply` });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failInFlight({ errno: ERRNO.EINVAL, message: 'connection closed' });
    for (const q of this.queue.drain()) q.resolve(err({ errno: ERRNO.EINVAL, message: 'connection closed' }));
    this.transport.close();
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Frames as many queued requests as the window allows into one datagram and sends it. */
  private pump(): void {
    if (this.closed || this.queue.length === 0) return;
    if (this.dumpsInFlight > 0) return; // a dump runs alone
    const w = new NetlinkWriter(4096);
    const members: Pending[] = [];
    let lastStart = -1;
    while (this.queue.length > 0 && this.pending.size < this.window) {
      const q = this.queue.peek()!;
      if (q.req.dump && (this.pending.size > 0 || members.length > 0)) break; // dump waits for quiet
      const before = w.length;
      const seq = this.nextSeq();
      const flags = NLM_F_REQUEST | (q.req.dump ? NLM_F_DUMP : 0);
      w.beginMessage({ type: q.familyId, flags, seq, pid: 0 }, { cmd: q.req.cmd, version: q.version });
      const enc = q.req.write(w);
      w.endMessage();
      if (!enc.ok) {
        w.truncate(before);
        this.queue.shift();
        q.resolve(err({ errno: ERRNO.EINVAL, message: enc.error }));
        continue;
      }
      if (w.length > this.maxDatagram && members.length > 0) {
        w.truncate(before); // does not fit: goes first in the next datagram
        break;
      }
      this.queue.shift();
      const p: Pending = { seq, dump: q.req.dump, replies: [], resolve: q.resolve, batch: null };
      this.pending.set(seq, p);
      members.push(p);
      lastStart = before;
      if (q.req.dump) break;
    }
    if (members.length === 0) return;
    const batch: Batch = { members, timer: null };
    for (const p of members) p.batch = batch;
    if (members[0]!.dump) this.dumpsInFlight++;
    else w.addMessageFlags(lastStart, NLM_F_ACK);
    batch.timer = this.options.clock.setTimer(this.timeoutMs, () => {
      for (const p of members)
        this.settle(p.seq, err({ errno: ERRNO.ETIMEDOUT, message: 'no reply from the kernel' }));
    });
    const datagram = w.finish();
    void this.transport.send(datagram).then((sent) => {
      if (!sent.ok) for (const p of members) this.settle(p.seq, err(sent.error));
    });
    if (this.queue.length > 0 && this.pending.size < this.window) this.schedulePump();
  }

  private settle(seq: number, result: GenlResult): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    if (p.dump) this.dumpsInFlight--;
    const batch = p.batch;
    if (batch && batch.members[batch.members.length - 1] === p) batch.timer?.cancel();
    p.resolve(result);
    if (this.queue.length > 0) this.schedulePump();
  }

  /**
   * A reply (ACK or error) to a datagram's last request: every earlier request of the datagram
   * that has not had an error by now succeeded, since the kernel answers in order.
   */
  private settleBatch(last: Pending, result: GenlResult): void {
    const members = last.batch?.members ?? [];
    for (const p of members) if (p !== last) this.settle(p.seq, ok(p.replies));
    this.settle(last.seq, result);
  }

  private failInFlight(e: GenlError): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq, err(e));
  }

  private receive(datagram: Buffer): void {
    const msgs = decodeMessages(datagram);
    if (!msgs.ok) {
      this.malformedDatagrams++;
      return;
    }
    for (const m of msgs.value) {
      const p = this.pending.get(m.seq);
      if (!p) {
        this.unmatchedReplies++;
        continue;
      }
      if (m.type === NLMSG_ERROR) {
        const e = decodeError(m);
        const result: GenlResult = !e.ok
          ? err({ errno: ERRNO.EINVAL, message: e.error })
          : e.value.errno === 0
            ? ok(p.replies)
            : err({ errno: e.value.errno, message: e.value.message ?? '' });
        const batch = p.batch;
        if (batch && batch.members[batch.members.length - 1] === p) this.settleBatch(p, result);
        else this.settle(m.seq, result);
      } else if (m.type === NLMSG_DONE) {
        // A dump may end with a negative error in the DONE payload.
        const code = m.payload.length >= 4 ? -readI32(m.payload, 0) : 0;
        this.settle(m.seq, code > 0 ? err({ errno: code, message: '' }) : ok(p.replies));
      } else if (m.type === NLMSG_NOOP || m.type === NLMSG_OVERRUN) {
        continue;
      } else {
        const g = decodeGenl(m.payload);
        if (!g.ok) this.settle(m.seq, err({ errno: ERRNO.EINVAL, message: g.error }));
        else p.replies.push(g.value);
      }
    }
  }
}
