/**
 * Netlink framing, PURE: struct nlmsghdr, struct genlmsghdr and struct nlattr encode and decode
 * (<linux/netlink.h>, <linux/genetlink.h>). Encoding writes into one growing buffer; decoding
 * never throws on bytes from the socket and returns a Result with a readable reason instead.
 *
 * Layout reminders (all native-endian unless said otherwise):
 *   nlmsghdr   u32 len | u16 type | u16 flags | u32 seq | u32 pid          (16 bytes)
 *   genlmsghdr u8 cmd  | u8 version | u16 reserved                         (4 bytes)
 *   nlattr     u16 len | u16 type (NLA_F_NESTED 0x8000, NLA_F_NET_BYTEORDER 0x4000) | payload
 *   Every message and attribute starts on a 4-byte boundary (NLMSG_ALIGN / NLA_ALIGN); an
 *   attribute's len counts its header and payload but not the trailing pad.
 */
import { err, ok, type Result } from '../util/result.js';
import {
  GENL_HDRLEN,
  NLA_ALIGNTO,
  NLA_F_NESTED,
  NLA_F_NET_BYTEORDER,
  NLA_HDRLEN,
  NLA_TYPE_MASK,
  NLMSG_ALIGNTO,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSGERR_ATTR_MSG,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
} from './constants.js';

/** True on little-endian hosts; netlink integers are in host order. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const nlmsgAlign = (n: number): number => (n + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
export const nlaAlign = (n: number): number => (n + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

export interface NlmsgHeader {
  /** nlmsg_type: a generic netlink family id, or NLMSG_* */
  readonly type: number;
  /** nlmsg_flags: NLM_F_* */
  readonly flags: number;
  /** nlmsg_seq */
  readonly seq: number;
  /** nlmsg_pid: the sender's port; 0 lets the kernel fill in the socket's own */
  readonly pid: number;
}

export interface GenlHeader {
  /** genlmsghdr.cmd */
  readonly cmd: number;
  /** genlmsghdr.version */
  readonly version: number;
}

/**
 * Builds netlink messages into one buffer. Several messages can be written back to back and
 * sent in one datagram: the kernel processes them in order (netlink_rcv_skb).
 */
export class NetlinkWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly msgStarts: number[] = [];
  private readonly nestStarts: number[] = [];

  constructor(initialSize = 256) {
    this.buf = Buffer.alloc(initialSize);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private u16At(at: number, v: number): void {
    if (HOST_LITTLE_ENDIAN) this.buf.writeUInt16LE(v, at);
    else this.buf.writeUInt16BE(v, at);
  }

  private u32At(at: number, v: number): void {
    if (HOST_LITTLE_ENDIAN) this.buf.writeUInt32LE(v >>> 0, at);
    else this.buf.writeUInt32BE(v >>> 0, at);
  }

  private pad(): void {
    const aligned = nlaAlign(this.pos);
    this.ensure(aligned - this.pos);
    this.buf.fill(0, this.pos, aligned);
    this.pos = aligned;
  }

  /** Starts a message: nlmsghdr (length patched by endMessage) then genlmsghdr when given. */
  beginMessage(h: NlmsgHeader, genl?: GenlHeader): this {
    if (this.nestStarts.length > 0 || this.msgStarts.length > 0) {
      throw new Error('NetlinkWriter: message begun inside another (this is a bug)');
    }
    this.pad();
    this.ensure(NLMSG_HDRLEN + GENL_HDRLEN);
    const at = this.pos;
    this.msgStarts.push(at);
    this.u32At(at, 0);
    this.u16At(at + 4, h.type);
    this.u16At(at + 6, h.flags);
    this.u32At(at + 8, h.seq);
    this.u32At(at + 12, h.pid);
    this.pos += NLMSG_HDRLEN;
    if (genl) {
      this.buf[this.pos] = genl.cmd;
      this.buf[this.pos + 1] = genl.version;
      this.u16At(this.pos + 2, 0);
      this.pos += GENL_HDRLEN;
    }
    return this;
  }

  endMessage(): this {
    const at = this.msgStarts.pop();
    if (at === undefined || this.nestStarts.length > 0) {
      throw new Error('NetlinkWriter: unbalanced endMessage (this is a bug)');
    }
    this.pad();
    this.u32At(at, this.pos - at);
    return this;
  }

  /** An attribute with raw payload bytes. */
  bytes(type: number, payload: Uint8Array): this {
    const len = NLA_HDRLEN + payload.length;
    if (len > 0xffff) throw new Error(`NetlinkWriter: attribute ${type} too long (this is a bug)`);
    this.ensure(nlaAlign(len));
    this.u16At(this.pos, len);
    this.u16At(this.pos + 2, type);
    this.buf.set(payload, this.pos + NLA_HDRLEN);
    this.pos += len;
    this.pad();
    return this;
  }

  private fixed(type: number, size: number, write: (at: number) => void): this {
    this.ensure(nlaAlign(NLA_HDRLEN + size));
    this.u16At(this.pos, NLA_HDRLEN + size);
    this.u16At(this.pos + 2, type);
    write(this.pos + NLA_HDRLEN);
    this.pos += NLA_HDRLEN + size;
    this.pad();
    return this;
  }

  u8(type: number, v: number): this {
    return this.fixed(type, 1, (at) => void (this.buf[at] = v & 0xff));
  }
  u16(type: number, v: number): this {
    return this.fixed(type, 2, (at) => this.u16At(at, v & 0xffff));
  }
  /** A u16 attribute whose value is in network order (__be16 ports). */
  be16(type: number, v: number): this {
    return this.fixed(type, 2, (at) => void this.buf.writeUInt16BE(v & 0xffff, at));
  }
  u32(type: number, v: number): this {
    return this.fixed(type, 4, (at) => this.u32At(at, v));
  }
  u64(type: number, v: bigint): this {
    return this.fixed(type, 8, (at) => {
      if (HOST_LITTLE_ENDIAN) this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), at);
      else this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), at);
    });
  }
  /** A NUL-terminated string (NLA_NUL_STRING / NLA_STRING as the kernel and libnl send them). */
  string(type: number, s: string): this {
    const text = Buffer.from(s, 'utf8');
    const payload = Buffer.alloc(text.length + 1);
    text.copy(payload);
    return this.bytes(type, payload);
  }

  /** Opens a nested attribute; `flagNested` sets NLA_F_NESTED in its type. */
  beginNested(type: number, flagNested = false): this {
    this.ensure(NLA_HDRLEN);
    this.nestStarts.push(this.pos);
    this.u16At(this.pos, 0);
    this.u16At(this.pos + 2, flagNested ? type | NLA_F_NESTED : type);
    this.pos += NLA_HDRLEN;
    return this;
  }

  endNested(): this {
    const at = this.nestStarts.pop();
    if (at === undefined) throw new Error('NetlinkWriter: unbalanced endNested (this is a bug)');
    const len = this.pos - at;
    if (len > 0xffff) throw new Error('NetlinkWriter: nested attribute too long (this is a bug)');
    this.u16At(at, len);
    return this;
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  finish(): Buffer {
    if (this.msgStarts.length > 0 || this.nestStarts.length > 0) {
      throw new Error('NetlinkWriter: finish with an open message or nest (this is a bug)');
    }
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  get length(): number {
    return this.pos;
  }

  /** ORs `flags` into nlmsg_flags of the finished message that starts at `at`. */
  addMessageFlags(at: number, flags: number): void {
    if (at < 0 || at + NLMSG_HDRLEN > this.pos) {
      throw new Error('NetlinkWriter: addMessageFlags outside the buffer (this is a bug)');
    }
    const current = HOST_LITTLE_ENDIAN ? this.buf.readUInt16LE(at + 6) : this.buf.readUInt16BE(at + 6);
    this.u16At(at + 6, current | flags);
  }

  reset(): void {
    this.pos = 0;
  }

  /** Drops everything written after `length` (to discard a message that failed to encode). */
  truncate(length: number): void {
    if (this.msgStarts.length > 0 || this.nestStarts.length > 0 || length > this.pos) {
      throw new Error('NetlinkWriter: truncate inside a message (this is a bug)');
    }
    this.pos = length;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

export interface NlMessage extends NlmsgHeader {
  /** Bytes after the nlmsghdr, up to nlmsg_len (not including the alignment pad). */
  readonly payload: Buffer;
}

export function readU16(b: Buffer, at: number): number {
  return HOST_LITTLE_ENDIAN ? b.readUInt16LE(at) : b.readUInt16BE(at);
}
export function readU32(b: Buffer, at: number): number {
  return HOST_LITTLE_ENDIAN ? b.readUInt32LE(at) : b.readUInt32BE(at);
}
export function readI32(b: Buffer, at: number): number {
  return HOST_LITTLE_ENDIAN ? b.readInt32LE(at) : b.readInt32BE(at);
}

/** Splits a datagram into messages; a truncated or malformed header is an error. */
export function decodeMessages(data: Buffer): Result<NlMessage[]> {
  const out: NlMessage[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= data.length) {
    const len = readU32(data, at);
    if (len < NLMSG_HDRLEN) return err(`nlmsghdr at ${at}: length ${len} below header size`);
    if (at + len > data.length) return err(`nlmsghdr at ${at}: length ${len} runs past ${data.length} bytes`);
    out.push({
      type: readU16(data, at + 4),
      flags: readU16(data, at + 6),
      seq: readU32(data, at + 8),
      pid: readU32(data, at + 12),
      payload: data.subarray(at + NLMSG_HDRLEN, at + len),
    });
    at += nlmsgAlign(len);
  }
  if (at < data.length && data.length - at < NLMSG_HDRLEN && out.length === 0) {
    return err(`datagram of ${data.length} bytes is shorter than a nlmsghdr`);
  }
  return ok(out);
}

export interface GenlPayload extends GenlHeader {
  /** The attribute stream after genlmsghdr. */
  readonly attrs: Buffer;
}

export function decodeGenl(payload: Buffer): Result<GenlPayload> {
  if (payload.length < GENL_HDRLEN)
    return err(`genlmsghdr needs ${GENL_HDRLEN} bytes, got ${payload.length}`);
  return ok({ cmd: payload[0]!, version: payload[1]!, attrs: payload.subarray(GENL_HDRLEN) });
}

export interface NlAttr {
  /** nla_type without NLA_F_NESTED / NLA_F_NET_BYTEORDER */
  readonly type: number;
  readonly nested: boolean;
  readonly netByteOrder: boolean;
  readonly payload: Buffer;
}

/** Parses an attribute stream; every attribute length is bounded by the enclosing buffer. */
export function decodeAttrs(data: Buffer): Result<NlAttr[]> {
  const out: NlAttr[] = [];
  let at = 0;
  while (at + NLA_HDRLEN <= data.length) {
    const len = readU16(data, at);
    const rawType = readU16(data, at + 2);
    if (len < NLA_HDRLEN) return err(`nlattr at ${at}: length ${len} below header size`);
    if (at + len > data.length) return err(`nlattr type ${rawType & NLA_TYPE_MASK}: length ${len} overruns`);
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      netByteOrder: (rawType & NLA_F_NET_BYTEORDER) !== 0,
      payload: data.subarray(at + NLA_HDRLEN, at + len),
    });
    at += nlaAlign(len);
  }
  return ok(out);
}

/** Attributes by type; a repeated type keeps the last one, as nla_parse does. */
export type AttrTable = ReadonlyMap<number, Buffer>;

export function decodeAttrTable(data: Buffer): Result<AttrTable> {
  const list = decodeAttrs(data);
  if (!list.ok) return list;
  const table = new Map<number, Buffer>();
  for (const a of list.value) table.set(a.type, a.payload);
  return ok(table);
}

/** Typed getters over an AttrTable: null when absent, an error when the size is wrong. */
export const attrGet = {
  u8(t: AttrTable, type: number): Result<number | null> {
    const b = t.get(type);
    if (!b) return ok(null);
    return b.length >= 1 ? ok(b[0]!) : err(`attribute ${type}: u8 needs 1 byte`);
  },
  u16(t: AttrTable, type: number): Result<number | null> {
    const b = t.get(type);
    if (!b) return ok(null);
    return b.length >= 2 ? ok(readU16(b, 0)) : err(`attribute ${type}: u16 needs 2 bytes, got ${b.length}`);
  },
  be16(t: AttrTable, type: number): Result<number | null> {
    const b = t.get(type);
    if (!b) return ok(null);
    return b.length >= 2
      ? ok(b.readUInt16BE(0))
      : err(`attribute ${type}: be16 needs 2 bytes, got ${b.length}`);
  },
  u32(t: AttrTable, type: number): Result<number | null> {
    const b = t.get(type);
    if (!b) return ok(null);
    return b.length >= 4 ? ok(readU32(b, 0)) : err(`attribute ${type}: u32 needs 4 bytes, got ${b.length}`);
  },
  u64(t: AttrTable, type: number): Result<bigint | null> {
    const b = t.get(type);
    if (!b) return ok(null);
    if (b.length < 8) return err(`attribute ${type}: u64 needs 8 bytes, got ${b.length}`);
    return ok(HOST_LITTLE_ENDIAN ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0));
  },
  /** A string up to the first NUL (or the attribute's end). */
  string(t: AttrTable, type: number): Result<string | null> {
    const b = t.get(type);
    if (!b) return ok(null);
    const nul = b.indexOf(0);
    return ok(b.subarray(0, nul >= 0 ? nul : b.length).toString('utf8'));
  },
  bytes(t: AttrTable, type: number): Buffer | null {
    return t.get(type) ?? null;
  },
};

/**
 * Typed reads over one attribute table with a sticky error: the first failure (a malformed
 * stream, an attribute of the wrong size, a required one missing, or one the decoder reports with
 * `fail`) is kept and later reads return null, so a decoder says `if (!x.ok) return x` once, in
 * `result`, and still reports the first thing that went wrong in reading order.
 */
export class AttrReader {
  private failure: string | null = null;

  private constructor(private readonly table: AttrTable) {}

  /** A reader over an attribute stream; a stream that does not parse is the first failure. */
  static of(data: Buffer): AttrReader {
    const t = decodeAttrTable(data);
    const reader = new AttrReader(t.ok ? t.value : new Map());
    if (!t.ok) reader.failure = t.error;
    return reader;
  }

  /** A value, or null (kept as a failure) for an error; null after an earlier failure. */
  take<T>(r: Result<T | null>): T | null {
    if (this.failure !== null) return null;
    if (!r.ok) {
      this.failure = r.error;
      return null;
    }
    return r.value;
  }

  /** Records a failure the decoder found (kept only if it is the first) and returns the first. */
  fail(message: string): Result<never> {
    this.failure ??= message;
    return err(this.failure);
  }

  /** The first failure, for a decoder that cannot go on without a value that failed. */
  stop(): Result<never> {
    if (this.failure === null) throw new Error('AttrReader.stop with nothing failed (this is a bug)');
    return err(this.failure);
  }

  /** `value` when nothing failed, else the first failure. */
  result<T>(value: T): Result<T> {
    return this.failure === null ? ok(value) : err(this.failure);
  }

  /** The raw payload of an attribute, or null (also after a failure). */
  bytes(type: number): Buffer | null {
    return this.failure === null ? (this.table.get(type) ?? null) : null;
  }

  u8(type: number): number | null {
    return this.take(attrGet.u8(this.table, type));
  }
  u16(type: number): number | null {
    return this.take(attrGet.u16(this.table, type));
  }
  be16(type: number): number | null {
    return this.take(attrGet.be16(this.table, type));
  }
  u32(type: number): number | null {
    return this.take(attrGet.u32(this.table, type));
  }
  u64(type: number): bigint | null {
    return this.take(attrGet.u64(this.table, type));
  }
  string(type: number): string | null {
    return this.take(attrGet.string(this.table, type));
  }

  /** A required attribute: absent is the failure `${what} missing`. 0 stands in after a failure. */
  need(value: number | null, what: string): number {
    if (value === null) {
      this.fail(`${what} missing`);
      return 0;
    }
    return value;
  }
}

export interface NlError {
  /** Positive errno; 0 for an acknowledgement. */
  readonly errno: number;
  /** The header of the request the kernel answers. */
  readonly request: NlmsgHeader | null;
  /** NLMSGERR_ATTR_MSG when the kernel sent an extended ack text. */
  readonly message: string | null;
}

/** struct nlmsgerr { int error; struct nlmsghdr msg; } plus optional extended-ack attributes. */
export function decodeError(msg: NlMessage): Result<NlError> {
  if (msg.type !== NLMSG_ERROR) return err(`not an NLMSG_ERROR (type ${msg.type})`);
  const p = msg.payload;
  if (p.length < 4) return err(`NLMSG_ERROR payload of ${p.length} bytes`);
  const errno = -readI32(p, 0);
  let request: NlmsgHeader | null = null;
  let message: string | null = null;
  if (p.length >= 4 + NLMSG_HDRLEN) {
    request = { type: readU16(p, 8), flags: readU16(p, 10), seq: readU32(p, 12), pid: readU32(p, 16) };
    if (msg.flags & NLM_F_ACK_TLVS) {
      // The original message follows in full unless NLM_F_CAPPED says only its header does.
      const origLen = msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : readU32(p, 4);
      const tlvAt = 4 + nlmsgAlign(origLen);
      if (tlvAt <= p.length) {
        const t = decodeAttrTable(p.subarray(tlvAt));
        if (t.ok) {
          const m = attrGet.string(t.value, NLMSGERR_ATTR_MSG);
          if (m.ok) message = m.value;
        }
      }
    }
  }
  return ok({ errno, request, message });
}
