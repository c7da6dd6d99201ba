/**
 * EDGE: seconds since boot from /proc/uptime (its first field), as keepalived's
 * vrrp_delay_after_boot handler reads it; null when the file cannot be read.
 */
import { readFileSync } from 'node:fs';

export function readUptimeSeconds(path = '/proc/uptime'): number | null {
  try {
    const first = Number(readFileSync(path, 'utf8').split(/\s+/)[0]);
    return Number.isFinite(first) ? first : null;
  } catch {
    return null;
  }
}
