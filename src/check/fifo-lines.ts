/**
 * PURE: the lines keepalived's checker writes to `notify_fifo` and `lvs_notify_fifo`
 * (check/ipwrapper.c `notify_fifo_vs`, `notify_fifo_rs`): `VS [10.0.0.1]:tcp:80 UP` and
 * `RS [192.168.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN`, names as check_data.c `format_vs` /
 * `format_rs` print them, each ended by a newline and written with one write.
 *
 * Which pool events write one (ipwrapper.c `do_rs_notifies`, `do_vs_notifies`): a real server
 * going up or down, or an alpha one whose first check failed; quorum gained or lost (at start-up too); at shutdown, with `omega`, every live
 * server's DOWN and the VS's DOWN (the pool reports those only with omega).
 */
import type { PoolEvent } from './table.js';

export function vsFifoLine(vsName: string, up: boolean): string {
  return `VS ${vsName} ${up ? 'UP' : 'DOWN'}\n`;
}

export function rsFifoLine(rsName: string, vsName: string, up: boolean): string {
  return `RS ${rsName} ${vsName} ${up ? 'UP' : 'DOWN'}\n`;
}

/** The line a pool event writes, or null when keepalived writes none for it. */
export function poolEventFifoLine(event: PoolEvent): string | null {
  switch (event.kind) {
    case 'rs-up':
    case 'rs-down':
      return rsFifoLine(event.rsName, event.vsName, event.kind === 'rs-up');
    case 'rs-first-down':
      return rsFifoLine(event.rsName, event.vsName, false);
    case 'rs-shutdown':
      return event.notify ? rsFifoLine(event.rsName, event.vsName, false) : null;
    case 'quorum-up':
    case 'quorum-down':
      return vsFifoLine(event.vsName, event.kind === 'quorum-up');
    default:
      return null;
  }
}
