/**
 * PURE VRRPv2 timer arithmetic (RFC 3768 section 6.1), in milliseconds (fractional: keepalived
 * works in microseconds, so 156/256 s is 609.375 ms, not rounded here).
 *
 * API: `skewTimeMs(priority)`, `masterDownIntervalMs(advertIntSec, priority, downTimerAdverts=3)`,
 * `advertIntervalMs(advertIntSec)`.
 */

/** RFC 3768 section 6.1: Skew_Time = ((256 - Priority) / 256) seconds. */
export function skewTimeMs(priority: number): number {
  return ((256 - priority) * 1000) / 256;
}

/**
 * RFC 3768 section 6.1: Master_Down_Interval = (3 * Advertisement_Interval) + Skew_time.
 * keepalived makes the 3 configurable (`down_timer_adverts`).
 */
export function masterDownIntervalMs(advertIntSec: number, priority: number, downTimerAdverts = 3): number {
  return downTimerAdverts * advertIntSec * 1000 + skewTimeMs(priority);
}

/** Adver_Timer period (RFC 3768 section 6.2). */
export function advertIntervalMs(advertIntSec: number): number {
  return advertIntSec * 1000;
}
