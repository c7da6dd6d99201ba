/** HMAC-SHA256 of the concatenated parts, node:crypto's (vrrp/auth-hmac.ts HmacSha256). */
import { createHmac } from 'node:crypto';

export function hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}
