/**
 * EDGE: unbound AF_UNIX datagram sockets (syslog's /dev/log, systemd's NOTIFY_SOCKET), over the
 * `unix-dgram` native addon: Node's dgram module has no AF_UNIX support.
 */
import { createRequire } from 'node:module';

/** A datagram socket that sends to a filesystem path. */
export interface UnixDatagramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
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
