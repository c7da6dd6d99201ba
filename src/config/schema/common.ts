/** Helpers shared by the block builders. */

/**
 * keepalived reads some timers to UINT_MAX seconds or ULONG_MAX microseconds; Node's timers
 * fire at once beyond 2^31 - 1 ms, so keepalived-ts waits at most 2147483 s (24.8 days).
 */
export const NODE_TIMER_MAX_S = 2147483;
export function capTimer<T extends number | null>(v: T): T {
  return (v === null ? v : Math.min(v, NODE_TIMER_MAX_S)) as T;
}
