/**
 * A health checker's socket with `fwmark` (SO_MARK) and `bind_if` (SO_BINDTODEVICE), which Node
 * cannot set: the port the connecting checkers (check/socket-options.ts) take it through, which
 * net/check-socket.ts satisfies. keepalived sets both, then binds to bindto/bind_port, before it
 * connects (core/layer4.c socket_bind_connect).
 */
import type { AddressFamily } from '../util/ip.js';

export interface CheckSocketSpec {
  readonly protocol: 'tcp' | 'udp';
  readonly family: AddressFamily;
  /** SO_MARK; 0: none. */
  readonly mark: number;
  /** SO_BINDTODEVICE; null: none. */
  readonly device: string | null;
  readonly bindAddress: string | null;
  /** 0: any. */
  readonly bindPort: number;
}

/**
 * Makes a non-blocking, close-on-exec socket with the spec's options set and bound, not
 * connected, and returns its file descriptor, which the caller hands to net.Socket or dgram
 * (net/check-socket.ts satisfies it). Throws an Error with `code` (the errno name) and
 * `syscall` (`socket`, `SO_MARK`, `SO_BINDTODEVICE` or `bind`).
 */
export type CheckSocketOpener = (spec: CheckSocketSpec) => number;
