/**
 * EDGE: the credentials of a unix socket's peer (SO_PEERCRED, unix(7)), which Node does not
 * expose. The native addon `@keepalived-ts/signals` carries the one getsockopt call
 * (native/signals/src/peercred.c); the file descriptor comes from the accepted socket's libuv
 * handle. The kernel records the credentials at connect time, so they name the process that
 * connected, whatever it does later.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

interface PeercredAddon {
  peerCredentials(fd: number): PeerCredentials;
}

let addon: PeercredAddon | null = null;
function load(): PeercredAddon {
  addon ??= createRequire(import.meta.url)('@keepalived-ts/signals') as PeercredAddon;
  return addon;
}

/** The connected peer of an accepted unix socket, or null when they cannot be read. */
export function peerCredentials(socket: Socket): PeerCredentials | null {
  // net.Socket keeps its libuv pipe handle in `_handle`; `fd` is -1 once it is closed.
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return load().peerCredentials(fd);
  } catch {
    return null;
  }
}
