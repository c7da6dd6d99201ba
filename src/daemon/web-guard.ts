/**
 * PURE: what the status page's control requests (`POST /api/rs/drain`, `/api/rs/enable`, only
 * with --web-control) must satisfy before they run, and what they answer. docs/status-page.md
 * "Control from the page" explains the rules; in short, a request is served only when
 *  - its body is JSON (`content-type: application/json`): a cross-site HTML form can only send
 *    `text/plain`, urlencoded or multipart, and a cross-site fetch with JSON needs a CORS
 *    preflight, which this server never grants;
 *  - it carries CONTROL_HEADER: a custom header, which no form can set and which also needs a
 *    preflight from another origin;
 *  - it names its origin (`Origin`, which browsers send on every POST) and that is the page's
 *    own (`http://` + the Host the request was sent to), and `Sec-Fetch-Site`, when the browser
 *    sends it, says `same-origin`;
 *  - the Host it was sent to is an address (or `localhost`), not a name: a name could be one an
 *    attacker's DNS points at the director (DNS rebinding), making his page "same-origin".
 */
import { isIP } from 'node:net';
import type { ControlErrorCode, ControlReply, Protocol } from './control-protocol.js';

/** The custom header the page sends with every control request (its value must be `1`). */
export const CONTROL_HEADER = 'x-keepalived-ts-control';
/** Longest `vs` or `rs` accepted. */
const MAX_ENDPOINT_LENGTH = 256;

export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export type GuardVerdict =
  { readonly ok: true } | { readonly ok: false; readonly status: 403 | 415; readonly message: string };

const one = (h: string | readonly string[] | undefined): string | undefined =>
  Array.isArray(h) ? (h.length === 1 ? h[0] : undefined) : (h as string | undefined);

/** The host part of a Host header (`10.0.0.1:9100`, `[::1]:9100`, `localhost`), lowercased; null when malformed. */
export function hostOfHostHeader(host: string): string | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/@]+))(?::(\d{1,5}))?$/.exec(host);
  if (m === null) return null;
  return (m[1] ?? m[2]!).toLowerCase();
}

/** The cross-site rules above, on a request's headers (Node lowercases their names). */
export function checkControlRequest(headers: RequestHeaders): GuardVerdict {
  const deny = (message: string): GuardVerdict => ({ ok: false, status: 403, message });
  const type = one(headers['content-type']);
  if (type === undefined || type.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    return { ok: false, status: 415, message: 'the body must be application/json' };
  }
  if (one(headers[CONTROL_HEADER]) !== '1') return deny(`the ${CONTROL_HEADER}: 1 header is missing`);

  const host = one(headers.host);
  const hostName = host === undefined ? null : hostOfHostHeader(host);
  if (host === undefined || hostName === null) return deny('no usable Host header');
  if (isIP(hostName) === 0 && hostName !== 'localhost') {
    return deny(`the page must be opened by address, not by the name ${hostName}`);
  }

  const site = one(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin') return deny(`a ${site} request`);
  const origin = one(headers.origin);
  if (origin === undefined) return deny('no Origin header');
  if (origin.toLowerCase() !== `http://${host.toLowerCase()}`) {
    return deny(`origin ${origin} is not the page's (http://${host})`);
  }
  return { ok: true };
}

export interface RsTarget {
  readonly vs: string;
  readonly rs: string;
  readonly protocol: Protocol | null;
}

export type BodyVerdict =
  { readonly ok: true; readonly target: RsTarget } | { readonly ok: false; readonly message: string };

/** `{"vs": "...", "rs": "...", "protocol"?: "TCP"|"UDP"|"SCTP"|null}`, nothing else. */
export function parseRsBody(body: Buffer | string): BodyVerdict {
  const fail = (message: string): BodyVerdict => ({ ok: false, message });
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return fail('the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('the body must be a JSON object');
  }
  const o = parsed as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => k !== 'vs' && k !== 'rs' && k !== 'protocol');
  if (unknown.length > 0) return fail(`unknown field ${JSON.stringify(unknown[0])}`);
  for (const k of ['vs', 'rs'] as const) {
    const v = o[k];
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ENDPOINT_LENGTH) {
      return fail(`"${k}" must be a non-empty string of at most ${MAX_ENDPOINT_LENGTH} characters`);
    }
  }
  const p = o.protocol;
  if (p !== undefined && p !== null && p !== 'TCP' && p !== 'UDP' && p !== 'SCTP') {
    return fail('"protocol" must be TCP, UDP or SCTP');
  }
  return { ok: true, target: { vs: o.vs as string, rs: o.rs as string, protocol: (p as Protocol) ?? null } };
}

/** The HTTP status a control reply's error code answers with. */
export function httpStatusOf(code: ControlErrorCode): number {
  switch (code) {
    case 'bad-request':
      return 400;
    case 'not-found':
      return 404;
    case 'ambiguous':
      return 409;
    case 'denied':
      return 403;
    case 'unavailable':
    case 'busy':
      return 503;
    default:
      return 500;
  }
}

/** What the page gets back: the control reply without its protocol envelope (`v`, `id`). */
export function webReply(reply: ControlReply): { status: number; body: unknown } {
  return reply.ok
    ? { status: 200, body: { ok: true, result: reply.result } }
    : { status: httpStatusOf(reply.error.code), body: { ok: false, error: reply.error } };
}
