/**
 * `auth_hmac` key values (keepalived 2.4.3 vrrp_parser.c vrrp_auth_hmac_decode_key and
 * vrrp_auth_hmac_read_key_file): `hex:DIGITS` is raw bytes, anything else its ASCII bytes, and
 * `file:PATH` a file holding either (a trailing line end dropped), read by load.ts
 * (readAuthHmacKeyFile) while the configuration is read, as keepalived does.
 */
/** vrrp_auth_hmac.h: key bytes, freshness window seconds, the floor of the derived window. */
export const AUTH_HMAC_KEY_MIN = 32;
export const AUTH_HMAC_KEY_MAX = 64;
export const AUTH_HMAC_WINDOW_MIN = 1;
export const AUTH_HMAC_WINDOW_MAX = 300;
const AUTH_HMAC_WINDOW_FLOOR = 5;

/** vrrp.c vrrp_complete_instance: max(3 x advert_int, 5), at most 300, when not configured. */
export function defaultTimeWindow(advertIntSec: number): number {
  const window = 3 * Math.floor(advertIntSec);
  return Math.min(AUTH_HMAC_WINDOW_MAX, Math.max(AUTH_HMAC_WINDOW_FLOOR, window));
}

/** The bytes of a value; bad hex (lib/parser.c read_hex_str fails) gives no bytes. */
export function decodeKeyValue(text: string): Buffer {
  if (!text.startsWith('hex:')) return Buffer.from(text, 'latin1');
  const digits = text.slice(4).replace(/[ \t]/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) return Buffer.alloc(0);
  return Buffer.from(digits, 'hex');
}

export type KeyFileResult =
  | { readonly ok: true; readonly bytes: Buffer; readonly groupOrOther: boolean }
  | { readonly ok: false; readonly problem: 'cannot be opened' | 'is too large' };

/** Reads a `file:` key; the schema reports what it says. */
export type KeyFileReader = (path: string) => KeyFileResult;

/** Without a reader (a model built from text alone) a key file cannot be opened. */
export const noKeyFiles: KeyFileReader = () => ({ ok: false, problem: 'cannot be opened' });
