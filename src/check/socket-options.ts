/**
 * `fwmark` (SO_MARK) and `bind_if` (SO_BINDTODEVICE) of the connecting checkers, which Node's
 * sockets cannot set: when a checker has either, its attempt takes its socket from the injected
 * CheckSocketOpener (net/check-socket.ts) instead of making a plain one. What each checker sets
 * follows keepalived 2.2.7: TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK and DNS_CHECK both
 * (core/layer4.c socket_bind_connect), UDP_CHECK the mark only (udp_bind_connect never sets
 * SO_BINDTODEVICE), PING_CHECK neither (check_ping.c sends on a bare socket).
 *
 * Pure: the spec and keepalived's lines for a socket that could not be set up.
 */
import type { CheckSocketSpec } from '../contracts/check-socket.js';

interface ConnectionOptions {
  readonly connectIp: string;
  readonly bindTo: string | null;
  readonly bindPort: number | null;
  readonly bindIf: string | null;
  readonly fwmark: number | null;
}

/**
 * The socket a checker needs, or null when it sets neither option (the plain path: Node's own
 * socket, bound by Node). `device`: whether this checker type sets SO_BINDTODEVICE.
 */
export function checkSocketSpec(
  checker: ConnectionOptions,
  protocol: 'tcp' | 'udp',
  device: boolean,
): CheckSocketSpec | null {
  const mark = checker.fwmark ?? 0;
  const dev = device ? checker.bindIf : null;
  if (mark === 0 && dev === null) return null;
  return {
    protocol,
    family: checker.connectIp.includes(':') ? 'inet6' : 'inet',
    mark,
    device: dev,
    bindAddress: checker.bindTo,
    bindPort: checker.bindPort ?? 0,
  };
}

export interface SocketSetupCause {
  readonly level: 'error' | 'info';
  readonly text: string;
}

/**
 * What keepalived logs when setting up the socket failed (core/layer4.c), or null when the
 * socket itself could not be made (socket(2): the checker's `fail to create socket` line).
 * `error`: what the opener threw (`code`, `syscall`, `errno`, the strerror text as message).
 */
export function socketSetupCause(error: unknown, spec: CheckSocketSpec): SocketSetupCause | null {
  const e = error as { syscall?: unknown; errno?: unknown; message?: unknown };
  const text = typeof e.message === 'string' ? e.message : String(error);
  switch (e.syscall) {
    case 'SO_MARK':
      return { level: 'error', text: `Error setting fwmark ${spec.mark} to socket: ${text}` };
    case 'SO_BINDTODEVICE':
      return { level: 'info', text: `Checker can't bind to device ${spec.device ?? ''}: ${text}` };
    case 'bind':
      return spec.protocol === 'udp'
        ? {
            level: 'info',
            text: `bind failed. errno: ${typeof e.errno === 'number' ? Math.abs(e.errno) : 0}, error: ${text}`,
          }
        : { level: 'info', text: `Checker bind failed: ${text}` };
    default:
      return null;
  }
}
