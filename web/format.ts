/** Readable forms, as `keepalived-ts status` words them (src/daemon/status-format.ts). */
import type { FeedEntry, RealServerStatus, VirtualServerStatus } from './protocol.js';

/** `5s`, `3m07s`, `2h05m`, `3d04h`. */
export function duration(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export const ago = (at: string, now: number): string => `${duration(now - Date.parse(at))} ago`;

/** `12:04:05` in the browser's time zone. */
export function clock(at: string): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export function lastCheck(rs: RealServerStatus, now: number): string {
  const c = rs.lastCheck;
  if (c === null) return '-';
  return `${c.ok ? 'ok' : `failed: ${c.reason ?? ''}`} ${c.latencyMs.toFixed(1)}ms ${ago(c.at, now)}`;
}

/** How the control commands name a virtual server (docs/control.md "rs drain / rs enable"). */
export function vsEndpoint(vs: VirtualServerStatus): string {
  if (vs.group !== null) return `group:${vs.group}`;
  if (vs.fwmark !== null) return `fwmark:${vs.fwmark}`;
  const a = vs.address ?? '';
  return a.includes(':') ? `[${a}]:${vs.port ?? 0}` : `${a}:${vs.port ?? 0}`;
}

export function rsEndpoint(rs: RealServerStatus): string {
  return rs.address.includes(':') ? `[${rs.address}]:${rs.port}` : `${rs.address}:${rs.port}`;
}

/** One line for the event list. */
export function describeEvent(e: FeedEntry): string {
  switch (e.kind) {
    case 'vrrp-state':
      return `${e.instance}: ${e.from} → ${e.to}`;
    case 'rs-health':
      return `${e.rsName} of ${e.vsName} ${e.up ? 'up' : 'down'}`;
    case 'reload':
      return e.applied ? `reload applied in ${e.durationMs} ms` : 'reload refused';
    default:
      // A kind this page does not know yet (the feed only ever gains kinds).
      return JSON.stringify(e);
  }
}
