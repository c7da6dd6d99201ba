/**
 * PURE: the C time formats keepalived's dump files print (local time, as ctime(3)):
 * `ctime24` is ctime_r's `Tue Dec  1 23:04:55 2026`; `ctimeUs` is keepalived's ctime_us_r
 * (lib/timer.c), with the microseconds after the seconds: `Tue Dec  1 23:04:55.199417 2026`;
 * `secondsDotMicros` is `%ld.%6.6ld` of a timeval: `1796166295.199417`.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number): string => String(n).padStart(2, '0');

/** Microseconds 0..999999 of an instant given in (possibly fractional) ms since the epoch. */
function micros(ms: number): number {
  return Math.floor(Math.round(ms * 1000)) - Math.floor(ms / 1000) * 1_000_000;
}

function parts(ms: number): { day: string; clock: string; year: number } {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  return {
    day: `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')}`,
    clock: `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`,
    year: d.getFullYear(),
  };
}

export function ctime24(ms: number): string {
  const p = parts(ms);
  return `${p.day} ${p.clock} ${p.year}`;
}

export function ctimeUs(ms: number): string {
  const p = parts(ms);
  return `${p.day} ${p.clock}.${String(micros(ms)).padStart(6, '0')} ${p.year}`;
}

export function secondsDotMicros(ms: number): string {
  return `${Math.floor(ms / 1000)}.${String(micros(ms)).padStart(6, '0')}`;
}

/** The microseconds field alone, zero-padded to six digits. */
export function microsField(ms: number): string {
  return String(micros(ms)).padStart(6, '0');
}
