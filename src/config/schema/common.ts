/** Helpers shared by the block builders. */

/** Node's timers take at most 2^31-1 ms (setTimeout); longer timers are capped to it. */
export const NODE_TIMER_MAX_S = 2147483;
export function capTimer<T extends number | null>(v: T): T {
  return (v === null ? v : Math.min(v, NODE_TIMER_MAX_S)) as T;
}
