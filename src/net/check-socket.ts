/**
 * EDGE: the health checkers' sockets with `fwmark` (SO_MARK) and `bind_if` (SO_BINDTODEVICE),
 * which Node's net and dgram cannot set. The native addon `@keepalived-ts/signals` makes the
 * socket (native/signals/src/checksock.c): non-blocking and close-on-exec, the mark and the
 * device set, then bound to bindto/bind_port, in keepalived's order (core/layer4.c
 * socket_bind_connect). It is not connected: the checker hands the descriptor to libuv, which
 * adopts an unconnected socket (`new net.Socket({ fd })` then `connect()`, and for UDP
 * `dgram.Socket.bind({ fd })` then `connect()`), so the connect, its timeout and the reads run on
 * Node's event loop as they do for a plain socket.
 */
import { createRequire } from 'node:module';
import type { CheckSocketOpener, CheckSocketSpec } from '../contracts/check-socket.js';

interface CheckSocketAddon {
  checkSocket(
    udp: boolean,
    ipv6: boolean,
    mark: number,
    device: string | null,
    bindAddress: string | null,
    bindPort: number,
  ): number;
  socketMarkAndDevice(fd: number): { readonly mark: number; readonly device: string };
}

let addon: CheckSocketAddon | null = null;
function load(): CheckSocketAddon {
  addon ??= createRequire(import.meta.url)('@keepalived-ts/signals') as CheckSocketAddon;
  return addon;
}

/** Throws an Error with `code` (EPERM, ENODEV, EADDRNOTAVAIL, ...) and `syscall`. */
export const openCheckSocket: CheckSocketOpener = (spec: CheckSocketSpec) =>
  load().checkSocket(
    spec.protocol === 'udp',
    spec.family === 'inet6',
    spec.mark,
    spec.device,
    spec.bindAddress,
    spec.bindPort,
  );

/** SO_MARK and SO_BINDTODEVICE of a socket ('' when bound to no device). */
export function socketMarkAndDevice(fd: number): { readonly mark: number; readonly device: string } {
  return load().socketMarkAndDevice(fd);
}
