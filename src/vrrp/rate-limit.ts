/**
 * PURE log rate limiter for receive errors, as keepalived's `log_rate_limited_error`: each error
 * kind is logged once, then suppressed until the instance changes state (which clears the set).
 *
 * API: `RateLimitState` (readonly set of kinds), `emptyRateLimit()`,
 * `rateLimitDecision(state, kind) -> { log, state }`.
 */

export type RateLimitedError =
  | 'incomplete-packet'
  | 'invalid-ttl'
  | 'wrong-version'
  | 'bad-checksum'
  | 'not-advertisement'
  | 'bad-auth-type'
  | 'wrong-auth'
  | 'wrong-auth-passwd'
  | 'adv-interval-mismatch'
  | 'bad-length'
  | 'uni-multicast'
  | 'wrong-addr-count'
  | 'vips-mismatch'
  | 'unknown-unicast-src'
  | 'ttl-not-in-range'
  | 'vrid-mismatch'
  // keepalived-ts: a VRRPv3 advert with Max Adver Int 0 (validate-v3.ts).
  | 'invalid-adv-interval'
  // keepalived 2.4 auth_hmac (vrrp.h VRRP_RLFLAG_AUTH_EXT_*).
  | 'auth-ext-missing'
  | 'auth-ext-malformed'
  | 'auth-ext-unknown-key'
  | 'auth-ext-bad-hmac'
  | 'auth-ext-stale'
  | 'auth-ext-replay'
  | 'auth-ext-clock-skew'
  // keepalived logs this once, as the instance then stays in the old unicast checksum mode.
  | 'old-unicast-checksum';

export type RateLimitState = ReadonlySet<RateLimitedError>;

export function emptyRateLimit(): RateLimitState {
  return new Set();
}

export function rateLimitDecision(
  state: RateLimitState,
  kind: RateLimitedError,
): { readonly log: boolean; readonly state: RateLimitState } {
  if (state.has(kind)) return { log: false, state };
  const next = new Set(state);
  next.add(kind);
  return { log: true, state: next };
}
