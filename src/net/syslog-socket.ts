/**
 * EDGE: the syslog socket (/dev/log) as the daemon's logger uses it: connected, as glibc's
 * openlog/syslog(3) connect, and never blocking. glibc blocks the caller while /dev/log is full;
 * here a full socket queues the datagrams in order (bounded) and sends them when it drains, and a
 * socket nobody listens on (no syslog daemon yet, or one restarting) drops them, counted, and is
 * connected again at most once a second, so a syslog daemon that starts later gets the lines from
 * then on (docs/operations.md "Logs").
 */
import { openUnixDatagramSocket, type UnixDatagramSocket } from './unix-dgram.js';

/** What the queue may hold while the syslog daemon is slow; beyond it lines are dropped. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
const RECONNECT_INTERVAL_MS = 1000;

export interface SyslogSocket {
  send(datagram: Buffer): void;
  /** Datagrams not delivered: no reader, or a full queue. */
  readonly dropped: number;
  /** Datagrams waiting for the reader. */
  readonly queued: number;
  close(): void;
}

/** Opens the socket; null when the addon cannot be loaded. */
export function openSyslogSocket(path: string, now: () => number = Date.now): SyslogSocket | null {
  let socket: UnixDatagramSocket;
  let connectFailed = false;
  try {
    socket = openUnixDatagramSocket(() => void (connectFailed = true));
  } catch {
    return null;
  }
  let connected = false;
  let lastAttempt = -Infinity;
  let congested = false;
  let closed = false;
  const queue: Buffer[] = [];
  let queuedBytes = 0;
  let dropped = 0;

  const connect = (): boolean => {
    if (connected) return true;
    const t = now();
    if (t - lastAttempt < RECONNECT_INTERVAL_MS) return false;
    lastAttempt = t;
    connectFailed = false;
    socket.connect(path);
    connected = !connectFailed && socket.connected === true;
    return connected;
  };

  /** Sends one datagram now; false when the socket is full (the datagram is still ours). */
  const sendNow = (datagram: Buffer): boolean => {
    // The callback runs before send returns (unix-dgram).
    let outcome = 'sent' as 'sent' | 'full' | 'failed';
    socket.send(datagram, (err) => {
      if (err === undefined) return;
      outcome = err.message === 'congestion' ? 'full' : 'failed';
    });
    if (outcome === 'full') {
      congested = true;
      return false;
    }
    if (outcome === 'failed') {
      // ECONNREFUSED: the syslog daemon went away (or restarted on a new socket).
      dropped++;
      connected = false;
    }
    return true;
  };

  const drain = (): void => {
    while (queue.length > 0 && !congested && connected) {
      const next = queue[0]!;
      if (!sendNow(next)) return;
      queue.shift();
      queuedBytes -= next.length;
    }
  };
  socket.on('writable', () => {
    congested = false;
    if (!closed) drain();
  });

  return {
    send(datagram) {
      if (closed) return;
      if (!connect()) {
        dropped += 1 + queue.length;
        queue.length = 0;
        queuedBytes = 0;
        return;
      }
      if (queue.length === 0 && !congested && sendNow(datagram)) return;
      if (queuedBytes + datagram.length > MAX_QUEUED_BYTES) {
        dropped++;
        return;
      }
      queue.push(datagram);
      queuedBytes += datagram.length;
    },
    get dropped() {
      return dropped;
    },
    get queued() {
      return queue.length;
    },
    close() {
      if (closed) return;
      closed = true;
      dropped += queue.length;
      queue.length = 0;
      try {
        socket.close();
      } catch {
        // already closed
      }
    },
  };
}
