/**
 * PURE: keepalived's `auth_hmac` advert authentication (keepalived 2.4.2 and later wire format,
 * vrrp/vrrp_auth_hmac.c; draft-cassen-vrrp-auth-hmac). A 28-byte trailer follows the VRRP
 * message:
 *
 *   byte 0      ext type (1 = HMAC-SHA256 truncated to 128 bits)
 *   byte 1      key id (selects the verifying key)
 *   bytes 2-3   reserved, zero
 *   bytes 4-7   sequence: UTC seconds
 *   bytes 8-9   sequence: binary fraction of a second (1/65536)
 *   bytes 10-11 sequence: counter within one timestamp
 *   bytes 12-27 HMAC-SHA256(key, pseudo-header | message with its checksum read as 0 |
 *               trailer bytes 0-11 | 16 zero bytes), first 16 bytes
 *
 * The pseudo-header (20 bytes) binds family (4 or 6), VRRP version, VRID, a zero byte and the
 * source address (zero padded): a trailer cannot be spliced onto another instance or sender.
 * Reading the checksum as zero (2.4.2) keeps the kernel-written IPv6 checksum out of the HMAC;
 * 2.4.0 and 2.4.1 signed otherwise and do not interoperate.
 *
 * API summary
 * - `clockSequence(realtimeMs)`, `nextSequence(last, realtimeMs, params)`: the 64-bit sequence.
 * - `signTrailer(input, seq)`: the trailer for one advert (the caller appends it).
 * - `checkTrailer(input, trailer, params, nowSec, state, unicast)`: keepalived's
 *   vrrp_auth_hmac_check outcome, the clock skew and the new receive (anti-replay) state.
 * Clocks and the HMAC-SHA256 primitive come in as arguments (the daemon passes node:crypto's,
 * net/hmac.ts).
 */
import { ipv6Bytes } from '../util/ipv6-header.js';

/** HMAC-SHA256 (RFC 2104) of the concatenation of `parts`: the 32-byte digest. */
export type HmacSha256 = (key: Uint8Array, parts: readonly Uint8Array[]) => Uint8Array;

/** vrrp_auth_hmac.h VRRP_AUTH_HMAC_TYPE_SHA256 and the truncated HMAC length. */
export const AUTH_HMAC_TYPE_SHA256 = 1;
export const AUTH_HMAC_LEN = 16;
export const AUTH_HMAC_TRAILER_LENGTH = 28;
/** Offset of the HMAC inside the trailer. */
export const AUTH_HMAC_OFFSET = 12;
/** Multicast sender replay slots per instance. */
export const AUTH_HMAC_MCAST_SENDERS = 4;
export const AUTH_HMAC_PSEUDO_LENGTH = 20;

export type AuthHmacMode = 'enforce' | 'permissive' | 'receive-only';
export type AuthHmacAntiReplay = 'time' | 'monotonic';

export interface AuthHmacParams {
  /** Key id (1..255) -> key bytes (32..64). */
  readonly keys: ReadonlyMap<number, Uint8Array>;
  /** The id signing sent adverts. */
  readonly activeKey: number;
  readonly mode: AuthHmacMode;
  readonly antiReplay: AuthHmacAntiReplay;
  /** Freshness window (seconds), used with `antiReplay: 'time'`. */
  readonly timeWindowSec: number;
}

/** vrrp_auth_hmac_result_t. */
export type AuthHmacResult = 'ok' | 'malformed' | 'unknown-key' | 'bad-hmac' | 'stale' | 'replay';

/** What is signed or checked: the message and what the pseudo-header binds. */
export interface AuthHmacInput {
  readonly family: 'inet' | 'inet6';
  readonly version: number;
  readonly vrid: number;
  /** The advert's source address (ours when sending, the packet's when receiving). */
  readonly source: string;
  /** The VRRP message without the trailer (its checksum field is read as zero). */
  readonly message: Uint8Array;
}

/** A sender's high water mark (vrrp_replay_state_t). */
export interface ReplayMark {
  readonly valid: boolean;
  readonly seq: bigint;
}

interface McastSlot {
  readonly address: string;
  readonly mark: ReplayMark;
  /** LRU rank, 0 = empty. */
  readonly lastUsed: number;
}

/** Receive state of one instance: per unicast peer, and keepalived's multicast sender table. */
export interface AuthHmacReceiveState {
  readonly peers: ReadonlyMap<string, ReplayMark>;
  readonly mcast: readonly McastSlot[];
  readonly lruClock: number;
}

export function emptyReceiveState(): AuthHmacReceiveState {
  const mcast: McastSlot[] = [];
  for (let i = 0; i < AUTH_HMAC_MCAST_SENDERS; i++)
    mcast.push({ address: '', mark: { valid: false, seq: 0n }, lastUsed: 0 });
  return { peers: new Map(), mcast, lruClock: 0 };
}

const U64 = (1n << 64n) - 1n;
const int32 = (n: number): number => n | 0;

/** RFC 1982 serial number order over the 64-bit sequence. */
export function seqAfter(a: bigint, b: bigint): boolean {
  return BigInt.asIntN(64, a - b) > 0n;
}

/** keepalived clock_seq: seconds in the high 32 bits, a 1/65536 fraction in the next 16. */
export function clockSequence(realtimeMs: number): bigint {
  const sec = Math.floor(realtimeMs / 1000);
  const nsec = Math.min(999_999_999, Math.round((realtimeMs - sec * 1000) * 1e6));
  const subsec = (BigInt(nsec) << 16n) / 1_000_000_000n;
  return (BigInt(sec >>> 0) << 32n) | (subsec << 16n);
}

/**
 * keepalived next_seq: the larger of the clock and the last value plus one. In time mode a last
 * value stranded beyond the window ahead of the clock (a corrected clock step) restarts from the
 * clock (2.4.3); monotonic mode keeps strict growth.
 */
export function nextSequence(
  last: bigint,
  realtimeMs: number,
  params: Pick<AuthHmacParams, 'antiReplay' | 'timeWindowSec'>,
): bigint {
  const clk = clockSequence(realtimeMs);
  if (seqAfter(clk, last)) return clk;
  const ahead = int32(Number((last >> 32n) & 0xffffffffn) - Number((clk >> 32n) & 0xffffffffn));
  if (params.antiReplay === 'time' && ahead > params.timeWindowSec) return clk;
  return (last + 1n) & U64;
}

function addressBytes(family: 'inet' | 'inet6', address: string): Uint8Array {
  if (family === 'inet6') {
    const b = ipv6Bytes(address);
    if (b === null) throw new Error(`auth-hmac: bad IPv6 address ${address} (this is a bug)`);
    return b;
  }
  const bytes = address.split('.').map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (bytes.length !== 4 || bytes.some((b) => !(b <= 255)))
    throw new Error(`auth-hmac: bad IPv4 address ${address} (this is a bug)`);
  return Uint8Array.from(bytes);
}

/** The 20-byte pseudo-header (build_pseudo). */
export function pseudoHeader(input: Omit<AuthHmacInput, 'message'>): Buffer {
  const out = Buffer.alloc(AUTH_HMAC_PSEUDO_LENGTH);
  out[0] = input.family === 'inet6' ? 6 : 4;
  out[1] = input.version & 0xff;
  out[2] = input.vrid & 0xff;
  out.set(addressBytes(input.family, input.source), 4);
  return out;
}

/** The truncated HMAC over pseudo-header, message (checksum as 0), trailer head, zero HMAC. */
function digest(hmac: HmacSha256, key: Uint8Array, input: AuthHmacInput, trailerHead: Uint8Array): Buffer {
  const full = hmac(key, [
    pseudoHeader(input),
    input.message.subarray(0, 6),
    Buffer.alloc(2),
    input.message.subarray(8),
    trailerHead.subarray(0, AUTH_HMAC_OFFSET),
    Buffer.alloc(AUTH_HMAC_LEN),
  ]);
  return Buffer.from(full.buffer, full.byteOffset, AUTH_HMAC_LEN);
}

/** Constant-time comparison (keepalived memcmp_constant_time). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * vrrp_auth_hmac_sign: the trailer for `input` with sequence `seq`, signed with the active key.
 * An active key that is not configured leaves a zero HMAC, which every receiver rejects (the
 * config check keeps that from happening).
 */
export function signTrailer(
  hmac: HmacSha256,
  input: AuthHmacInput,
  params: Pick<AuthHmacParams, 'keys' | 'activeKey'>,
  seq: bigint,
): Buffer {
  const out = Buffer.alloc(AUTH_HMAC_TRAILER_LENGTH);
  out[0] = AUTH_HMAC_TYPE_SHA256;
  out[1] = params.activeKey & 0xff;
  out.writeUInt32BE(Number((seq >> 32n) & 0xffffffffn), 4);
  out.writeUInt16BE(Number((seq >> 16n) & 0xffffn), 8);
  out.writeUInt16BE(Number(seq & 0xffffn), 10);
  const key = params.keys.get(params.activeKey);
  if (key !== undefined) digest(hmac, key, input, out).copy(out, AUTH_HMAC_OFFSET);
  return out;
}

/** The sequence a trailer carries. */
export function trailerSequence(trailer: Uint8Array): bigint {
  const b = Buffer.from(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  return (BigInt(b.readUInt32BE(4)) << 32n) | (BigInt(b.readUInt16BE(8)) << 16n) | BigInt(b.readUInt16BE(10));
}

export interface CheckOutcome {
  readonly result: AuthHmacResult;
  /** Our clock minus the trailer's seconds (time mode; 0 in monotonic mode). */
  readonly skew: number;
  readonly state: AuthHmacReceiveState;
}

function outside(delta: number, window: number): boolean {
  return delta > window || delta < -window;
}

/** replay_ok: expire a mark outside the window (time mode), then require strict growth. */
function replayOk(
  mark: ReplayMark,
  seq: bigint,
  params: AuthHmacParams,
  nowSec: number,
): { ok: boolean; mark: ReplayMark } {
  let valid = mark.valid;
  if (valid && params.antiReplay === 'time') {
    const age = int32((nowSec >>> 0) - Number((mark.seq >> 32n) & 0xffffffffn));
    if (outside(age, params.timeWindowSec)) valid = false;
  }
  if (valid && !seqAfter(seq, mark.seq)) return { ok: false, mark: { valid, seq: mark.seq } };
  return { ok: true, mark: { valid: true, seq } };
}

/**
 * vrrp_auth_hmac_check. `unicast`: the sender is a configured unicast peer and its mark is kept
 * by address; otherwise the multicast table (least recently used slot evicted) is consulted, and
 * only after the HMAC verified, so forged sources cannot churn it.
 */
export function checkTrailer(
  hmac: HmacSha256,
  input: AuthHmacInput,
  trailer: Uint8Array,
  params: AuthHmacParams,
  nowSec: number,
  state: AuthHmacReceiveState,
  unicast: boolean,
): CheckOutcome {
  const t = Buffer.from(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  if (t.length !== AUTH_HMAC_TRAILER_LENGTH || t[0] !== AUTH_HMAC_TYPE_SHA256 || t.readUInt16BE(2) !== 0)
    return { result: 'malformed', skew: 0, state };
  const sec = t.readUInt32BE(4);
  const seq = trailerSequence(t);
  let skew = 0;
  // The stale check runs before the costly HMAC; it only rejects.
  if (params.antiReplay === 'time') {
    skew = int32((nowSec >>> 0) - sec);
    if (outside(skew, params.timeWindowSec)) return { result: 'stale', skew, state };
  }
  const key = params.keys.get(t[1]!);
  if (key === undefined) return { result: 'unknown-key', skew, state };
  if (!sameBytes(digest(hmac, key, input, t), t.subarray(AUTH_HMAC_OFFSET)))
    return { result: 'bad-hmac', skew, state };

  if (unicast) {
    const r = replayOk(state.peers.get(input.source) ?? { valid: false, seq: 0n }, seq, params, nowSec);
    const peers = new Map(state.peers).set(input.source, r.mark);
    return { result: r.ok ? 'ok' : 'replay', skew, state: { ...state, peers } };
  }
  // mcast_state: the sender's slot, else the least recently used one, reset.
  const lruClock = state.lruClock + 1 > 0xffffffff ? 1 : state.lruClock + 1;
  let index = state.mcast.findIndex((s) => s.lastUsed !== 0 && s.address === input.source);
  let mark: ReplayMark;
  if (index >= 0) mark = state.mcast[index]!.mark;
  else {
    index = 0;
    state.mcast.forEach((s, i) => {
      if (s.lastUsed < state.mcast[index]!.lastUsed) index = i;
    });
    mark = { valid: false, seq: 0n };
  }
  const r = replayOk(mark, seq, params, nowSec);
  const mcast = state.mcast.map((s, i) =>
    i === index ? { address: input.source, mark: r.mark, lastUsed: lruClock } : s,
  );
  return { result: r.ok ? 'ok' : 'replay', skew, state: { ...state, mcast, lruClock } };
}
