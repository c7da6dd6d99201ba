/**
 * PURE: the control socket's protocol (docs/control.md). Line-delimited JSON, one request per
 * line and one reply per request, both carrying the protocol version `v` and the client's `id`:
 *
 *   {"v":1,"id":7,"cmd":"rs.drain","args":{"vs":"10.0.0.1:80","rs":"10.0.1.2:80"}}
 *   {"v":1,"id":7,"ok":true,"result":{...}}
 *   {"v":1,"id":7,"ok":false,"error":{"code":"not-found","message":"..."}}
 *
 * Nothing here throws on what a client sends: a line that is not a valid request decodes to the
 * error reply it gets. `LineFramer` cuts a byte stream into lines and refuses a line longer than
 * MAX_REQUEST_BYTES before buffering more of it.
 */
import { err, ok, type Result } from '../util/result.js';

export const CONTROL_PROTOCOL_VERSION = 1;
/** Longest request line accepted (the newline excluded). */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Longest request id accepted, as text. */
const MAX_ID_LENGTH = 128;

export const CONTROL_COMMANDS = [
  'ping',
  'status',
  'reload',
  'rs.drain',
  'rs.enable',
  'vrrp.standby',
  'vrrp.resume',
] as const;
export type ControlCommandName = (typeof CONTROL_COMMANDS)[number];

/** Stable error codes (docs/control.md); tools may match on them. */
export type ControlErrorCode =
  /** Not JSON, not an object, or a field of the wrong type. */
  | 'bad-request'
  | 'unsupported-version'
  | 'unknown-command'
  /** The line exceeded MAX_REQUEST_BYTES; the connection is closed after the reply. */
  | 'request-too-large'
  /** No such virtual server, real server or VRRP instance. */
  | 'not-found'
  /** The virtual server named matches several (give --protocol). */
  | 'ambiguous'
  /** The subsystem the command is for is not running, or the daemon is stopping. */
  | 'unavailable'
  /** Too many clients are connected; try again. */
  | 'busy'
  /** The peer is neither root nor the socket's owner. */
  | 'denied'
  | 'internal';

export interface ControlError {
  readonly code: ControlErrorCode;
  readonly message: string;
}

export type RequestId = string | number | null;
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export type ControlCommand =
  | { readonly cmd: 'ping' | 'status' | 'reload' }
  | {
      readonly cmd: 'rs.drain' | 'rs.enable';
      /** `ADDR:PORT`, `[ADDR]:PORT` or `fwmark:N` (docs/control.md). */
      readonly vs: string;
      readonly rs: string;
      readonly protocol: Protocol | null;
    }
  | { readonly cmd: 'vrrp.standby' | 'vrrp.resume'; readonly instance: string | null };

export type ControlRequest = ControlCommand & { readonly id: RequestId };

export type ControlReply =
  | { readonly v: 1; readonly id: RequestId; readonly ok: true; readonly result: unknown }
  | { readonly v: 1; readonly id: RequestId; readonly ok: false; readonly error: ControlError };

export function okReply(id: RequestId, result: unknown): ControlReply {
  return { v: CONTROL_PROTOCOL_VERSION, id, ok: true, result };
}

export function errorReply(id: RequestId, code: ControlErrorCode, message: string): ControlReply {
  return { v: CONTROL_PROTOCOL_VERSION, id, ok: false, error: { code, message } };
}

/** One reply as its line (newline included). */
export function encodeReply(reply: ControlReply): string {
  return `${JSON.stringify(reply)}\n`;
}

/** One request as its line (newline included). */
export function encodeRequest(request: ControlRequest): string {
  const { id, cmd } = request;
  const args =
    request.cmd === 'rs.drain' || request.cmd === 'rs.enable'
      ? {
          vs: request.vs,
          rs: request.rs,
          ...(request.protocol !== null ? { protocol: request.protocol } : {}),
        }
      : request.cmd === 'vrrp.standby' || request.cmd === 'vrrp.resume'
        ? request.instance !== null
          ? { instance: request.instance }
          : {}
        : undefined;
  return `${JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, id, cmd, ...(args !== undefined ? { args } : {}) })}\n`;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

function idOf(x: unknown): RequestId | undefined {
  if (x === undefined || x === null) return null;
  if (typeof x === 'string' && x.length <= MAX_ID_LENGTH) return x;
  if (typeof x === 'number' && Number.isSafeInteger(x)) return x;
  return undefined;
}

export type DecodedRequest =
  | { readonly ok: true; readonly request: ControlRequest }
  | { readonly ok: false; readonly reply: ControlReply };

/** One request line (without its newline) -> the request, or the error reply it deserves. */
export function decodeRequest(line: string): DecodedRequest {
  const fail = (id: RequestId, code: ControlErrorCode, message: string): DecodedRequest => ({
    ok: false,
    reply: errorReply(id, code, message),
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return fail(null, 'bad-request', 'not a JSON object');
  }
  if (!isObject(parsed)) return fail(null, 'bad-request', 'not a JSON object');
  const id = idOf(parsed.id);
  if (id === undefined)
    return fail(
      null,
      'bad-request',
      `"id" must be a string (at most ${MAX_ID_LENGTH} characters) or an integer`,
    );
  if (parsed.v !== CONTROL_PROTOCOL_VERSION) {
    return fail(
      id,
      'unsupported-version',
      `protocol version ${JSON.stringify(parsed.v ?? null)} is not supported (this daemon speaks 1)`,
    );
  }
  const cmd = parsed.cmd;
  if (typeof cmd !== 'string') return fail(id, 'bad-request', '"cmd" must be a string');
  if (!(CONTROL_COMMANDS as readonly string[]).includes(cmd)) {
    return fail(id, 'unknown-command', `unknown command ${JSON.stringify(cmd.slice(0, 64))}`);
  }
  const args = parsed.args ?? {};
  if (!isObject(args)) return fail(id, 'bad-request', '"args" must be an object');
  const name = cmd as ControlCommandName;
  switch (name) {
    case 'ping':
    case 'status':
    case 'reload':
      return { ok: true, request: { id, cmd: name } };
    case 'rs.drain':
    case 'rs.enable': {
      const { vs, rs, protocol } = args;
      if (typeof vs !== 'string' || vs === '')
        return fail(id, 'bad-request', '"args.vs" must be a non-empty string');
      if (typeof rs !== 'string' || rs === '')
        return fail(id, 'bad-request', '"args.rs" must be a non-empty string');
      let proto: Protocol | null = null;
      if (protocol !== undefined && protocol !== null) {
        const p = typeof protocol === 'string' ? protocol.toUpperCase() : null;
        if (p !== 'TCP' && p !== 'UDP' && p !== 'SCTP')
          return fail(id, 'bad-request', '"args.protocol" must be TCP, UDP or SCTP');
        proto = p;
      }
      return { ok: true, request: { id, cmd: name, vs, rs, protocol: proto } };
    }
    case 'vrrp.standby':
    case 'vrrp.resume': {
      const instance = args.instance ?? null;
      if (instance !== null && (typeof instance !== 'string' || instance === ''))
        return fail(id, 'bad-request', '"args.instance" must be a non-empty string');
      return { ok: true, request: { id, cmd: name, instance } };
    }
  }
}

/** A reply line (client side); an error text when the daemon's line is not a reply. */
export function decodeReply(line: string): Result<ControlReply, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return err('the daemon sent a line that is not JSON');
  }
  if (!isObject(parsed) || parsed.v !== CONTROL_PROTOCOL_VERSION || typeof parsed.ok !== 'boolean')
    return err('the daemon sent something that is not a version 1 reply');
  const id = idOf(parsed.id);
  if (id === undefined) return err('the reply has an invalid id');
  if (parsed.ok) return ok(okReply(id, parsed.result ?? null));
  const e = parsed.error;
  if (!isObject(e) || typeof e.code !== 'string' || typeof e.message !== 'string')
    return err('the error reply has no code and message');
  return ok(errorReply(id, e.code as ControlErrorCode, e.message));
}

/**
 * Cuts a byte stream into lines (UTF-8, `\n` or `\r\n`). A line longer than `maxBytes` is never
 * buffered whole: `push` reports `overflow` as soon as the pending part exceeds it, and the
 * framer keeps nothing more (the caller replies and closes the connection).
 */
export class LineFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overflowed = false;

  constructor(private readonly maxBytes: number = MAX_REQUEST_BYTES) {}

  push(chunk: Buffer): { readonly lines: string[]; readonly overflow: boolean } {
    const lines: string[] = [];
    if (this.overflowed) return { lines, overflow: true };
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      if (this.pendingBytes + part.length > this.maxBytes) return this.overflow(lines);
      const whole = this.pending.length === 0 ? part : Buffer.concat([...this.pending, part]);
      this.pending = [];
      this.pendingBytes = 0;
      const text = whole.toString('utf8');
      lines.push(text.endsWith('\r') ? text.slice(0, -1) : text);
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (this.pendingBytes + rest.length > this.maxBytes) return this.overflow(lines);
      // A copy: the caller's chunk may be reused.
      this.pending.push(Buffer.from(rest));
      this.pendingBytes += rest.length;
    }
    return { lines, overflow: false };
  }

  private overflow(lines: string[]): { readonly lines: string[]; readonly overflow: boolean } {
    this.overflowed = true;
    this.pending = [];
    this.pendingBytes = 0;
    return { lines, overflow: true };
  }
}
