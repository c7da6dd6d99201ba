/**
 * EDGE: the processes `vrrp_track_process` counts (keepalived 2.2.7 core/track_process.c).
 *
 * As keepalived: a NETLINK_CONNECTOR socket joined to CN_IDX_PROC and told PROC_CN_MCAST_LISTEN
 * gives fork, exec, comm and exit events (thread events dropped); /proc is read once when the
 * subscription is in place, and /proc/PID is read for each exec. The kernel's proc connector only
 * exists in the initial network namespace: elsewhere (a daemon run with `ip netns exec`) the
 * subscription fails with ECONNREFUSED, keepalived's line is logged, and /proc is read every
 * `pollMs` instead (keepalived 2.2.7 then tracks nothing). Structurally typed: imports nothing
 * from src/vrrp.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { RawNetlinkSocket } from 'netlink';
import type { Logger } from '../util/log.js';
import { hardenSubscription } from './netlink-fd.js';

const NETLINK_CONNECTOR = 11;
const CN_IDX_PROC = 1;
const CN_VAL_PROC = 1;
const NLMSG_DONE = 3;
const PROC_CN_MCAST_LISTEN = 1;
const PROC_CN_MCAST_IGNORE = 2;
const PROC_EVENT_NONE = 0;
const PROC_EVENT_FORK = 0x1;
const PROC_EVENT_EXEC = 0x2;
const PROC_EVENT_COMM = 0x200;
const PROC_EVENT_EXIT = 0x80000000;
/** nlmsghdr (16) + cn_msg (20): where struct proc_event starts. */
const EVENT = 36;
/** proc_event: what, cpu, timestamp_ns, then event_data. */
const DATA = EVENT + 16;

export interface ProcessSnapshot {
  readonly pid: number;
  readonly comm: string;
  readonly cmdline: readonly string[];
}

export type ProcessWatchEvent =
  | { readonly kind: 'exec'; readonly pid: number; readonly info: ProcessSnapshot | null }
  | { readonly kind: 'fork'; readonly parent: number; readonly child: number }
  | { readonly kind: 'exit'; readonly pid: number }
  | { readonly kind: 'comm'; readonly pid: number; readonly comm: string };

export interface ProcessWatchHandlers {
  /** The processes running once the watch is in place. */
  scan(processes: readonly ProcessSnapshot[]): void;
  event(e: ProcessWatchEvent): void;
  /** Polling: the processes running now, every `pollMs`. */
  poll(processes: readonly ProcessSnapshot[]): void;
}

export interface ProcessWatchOptions {
  /** Read /proc/PID/cmdline (a tracker uses full_command); comm is always read. */
  readonly cmdline: boolean;
  readonly pollMs?: number;
}

/** /proc/PID as keepalived reads it: comm from `stat` (zombies skipped), argv from `cmdline`. */
export function readProcess(pid: number, cmdline: boolean): ProcessSnapshot | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  if (stat[close + 2] === 'Z') return null;
  const comm = stat.slice(open + 1, close);
  let argv: string[] = [];
  if (cmdline) {
    try {
      const text = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      argv = text.split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
    } catch {
      return null;
    }
  }
  return { pid, comm, cmdline: argv };
}

export function readProcesses(cmdline: boolean): ProcessSnapshot[] {
  const out: ProcessSnapshot[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[1-9]\d*$/.test(name)) continue;
    const p = readProcess(Number(name), cmdline);
    if (p !== null) out.push(p);
  }
  return out;
}

/** strerror(3) as keepalived's %m prints it, from libuv's text of the errno. */
function strerror(errno: number): string {
  const text = getSystemErrorMap().get(-Math.abs(errno))?.[1];
  return text === undefined ? `Unknown error ${errno}` : text.charAt(0).toUpperCase() + text.slice(1);
}

function listenMessage(enable: boolean): Buffer {
  const b = Buffer.alloc(40);
  b.writeUInt32LE(40, 0);
  b.writeUInt16LE(NLMSG_DONE, 4);
  b.writeUInt32LE(process.pid, 12);
  b.writeUInt32LE(CN_IDX_PROC, 16);
  b.writeUInt32LE(CN_VAL_PROC, 20);
  b.writeUInt16LE(4, 32);
  b.writeUInt32LE(enable ? PROC_CN_MCAST_LISTEN : PROC_CN_MCAST_IGNORE, 36);
  return b;
}

/** The events in one datagram from the proc connector (several netlink messages may share it). */
export function parseProcEvents(
  datagram: Buffer,
  readInfo: (pid: number) => ProcessSnapshot | null,
): (ProcessWatchEvent | 'ack')[] {
  const out: (ProcessWatchEvent | 'ack')[] = [];
  let off = 0;
  while (off + DATA <= datagram.length) {
    const len = datagram.readUInt32LE(off);
    if (len < DATA || off + len > datagram.length) break;
    const what = datagram.readUInt32LE(off + EVENT);
    const d = off + DATA;
    const pid = datagram.readUInt32LE(d);
    const tgid = datagram.readUInt32LE(d + 4);
    if (what === PROC_EVENT_NONE) out.push('ack');
    else if (what === PROC_EVENT_FORK && len >= DATA + 16) {
      const childPid = datagram.readUInt32LE(d + 8);
      const childTgid = datagram.readUInt32LE(d + 12);
      // A new thread has child_pid != child_tgid.
      if (childPid === childTgid) out.push({ kind: 'fork', parent: tgid, child: childTgid });
    } else if (what === PROC_EVENT_EXEC && pid === tgid) {
      out.push({ kind: 'exec', pid: tgid, info: readInfo(tgid) });
    } else if (what === PROC_EVENT_COMM && pid === tgid && len >= DATA + 24) {
      const raw = datagram.subarray(d + 8, d + 24);
      const nul = raw.indexOf(0);
      out.push({ kind: 'comm', pid: tgid, comm: raw.subarray(0, nul < 0 ? 16 : nul).toString('latin1') });
    } else if (what === PROC_EVENT_EXIT && pid === tgid) {
      out.push({ kind: 'exit', pid: tgid });
    }
    off += (len + 3) & ~3;
  }
  return out;
}

/** Watches processes through the proc connector, or by polling /proc where it is unavailable. */
export function watchProcesses(
  handlers: ProcessWatchHandlers,
  options: ProcessWatchOptions,
  logger: Logger,
): { close(): void } {
  const pollMs = options.pollMs ?? 200;
  const read = () => readProcesses(options.cmdline);
  let closed = false;
  let socket: RawNetlinkSocket | null = null;
  let poller: NodeJS.Timeout | null = null;
  let ackTimer: NodeJS.Timeout | null = null;

  const startPolling = (): void => {
    if (closed || poller !== null) return;
    socket?.close();
    socket = null;
    logger.info(`track_process: reading /proc every ${pollMs} ms`);
    poller = setInterval(() => {
      if (!closed) handlers.poll(read());
    }, pollMs);
    poller.unref();
  };

  // The first count is read at once (the instances' first tracking state depends on it);
  // processes that come and go before the subscription is in place are caught by one poll then.
  handlers.scan(read());
  try {
    // Room for a burst of events (every fork, exec and exit on the host).
    socket = new RawNetlinkSocket(NETLINK_CONNECTOR, {
      recvBufferSize: 256 * 1024,
      sendBufferSize: 16 * 1024,
    });
    socket.addMembership(CN_IDX_PROC);
    // A fork storm must not abort the process on ENOBUFS (netlink-fd.ts); lost events are
    // caught up by the next exit or fork of a tracked name, as keepalived's are.
    const hardened = hardenSubscription(socket, NETLINK_CONNECTOR);
    for (const p of hardened.problems) logger.detail(`process monitor socket: ${p}`);
  } catch (e) {
    const errno = Math.abs((e as { errno?: number }).errno ?? 0);
    logger.info(`Failed to open process monitoring socket - errno ${errno} - ${strerror(errno)}`);
    socket = null;
    startPolling();
    return { close: () => close() };
  }
  let acked = false;
  socket.on('message', (msg, rinfo) => {
    if (closed || rinfo.port !== 0) return;
    for (const e of parseProcEvents(msg, (pid) => readProcess(pid, options.cmdline))) {
      if (e === 'ack') {
        if (!acked) logger.detail('proc_events has confirmed it is configured');
        acked = true;
      } else handlers.event(e);
    }
  });
  socket.on('error', (e) => logger.info(`process monitor netlink recv error - ${e.message}`));
  socket.send(listenMessage(true), {}, (error) => {
    if (closed) return;
    if (error) {
      // keepalived's line; it then tracks nothing, keepalived-ts reads /proc instead.
      const errno = Math.abs(error.errno);
      logger.info(`Failed to set/clear process event listen - errno ${errno} - ${strerror(errno)}`);
      startPolling();
      return;
    }
    handlers.poll(read());
    // The kernel answers the subscription with PROC_EVENT_NONE when proc events are built in.
    ackTimer = setTimeout(() => {
      if (acked || closed) return;
      logger.info('WARNING - the kernel does not support proc events - track_process will not work');
      startPolling();
    }, 1000);
    ackTimer.unref();
  });

  const close = (): void => {
    if (closed) return;
    closed = true;
    if (poller !== null) clearInterval(poller);
    if (ackTimer !== null) clearTimeout(ackTimer);
    if (socket !== null) {
      const s = socket;
      socket = null;
      s.send(listenMessage(false), {}, () => s.close());
    }
  };
  return { close };
}
