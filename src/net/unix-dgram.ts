/**
 * EDGE: unbound AF_UNIX datagram sockets (syslog's /dev/log, systemd's NOTIFY_SOCKET), over the
 * `unix-dgram` native addon: Node's dgram module has no AF_UNIX support.
 */
import { createRequire } from 'node:module';

/** A datagram socket that sends to a filesystem path, or to the one it is connected to. */
export interface UnixDatagramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  /**
   * On a connected socket: a full peer answers `congestion` (the datagram was not sent) and the
   * socket emits `writable` once the peer can take more.
   */
  send(buf: Buffer, cb: (err?: Error) => void): void;
  /** Connects (`connect` event) or fails (`error` event); may be called again after a failure. */
  connect(path: string): void;
  on(event: 'error', fn: (err: Error) => void): void;
  on(event: 'writable' | 'connect', fn: () => void): void;
  readonly connected?: boolean;
  close(): void;
}

interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDatagramSocket;
}

/** Opens a socket; `onError` receives asynchronous socket errors. Throws if the addon is missing. */
export function openUnixDatagramSocket(onError: (err: Error) => void): UnixDatagramSocket {
  const require = createRequire(import.meta.url);
  const unix = require('unix-dgram') as UnixDgramModule;
  const socket = unix.createSocket('unix_dgram');
  socket.on('error', onError);
  return socket;
}
