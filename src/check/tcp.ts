/**
 * TCP_CHECK: one connect() within connect_timeout (the runner's signal bounds it). Success is
 * the completed handshake; the socket is closed at once (check_tcp.c).
 */
import { connect, type Socket } from 'node:net';
import type { TcpCheck } from '../config/model.js';
import { down, up, type AttemptContext, type CheckResult } from './checker.js';

/** Connection options shared by the connecting checkers (connect_ip/port, bindto, bind_port). */
export function connectOptions(checker: {
  readonly connectIp: string;
  readonly connectPort: number;
  readonly bindTo: string | null;
  readonly bindPort: number | null;
}): { host: string; port: number; localAddress?: string; localPort?: number } {
  return {
    host: checker.connectIp,
    port: checker.connectPort,
    ...(checker.bindTo !== null ? { localAddress: checker.bindTo } : {}),
    ...(checker.bindPort !== null ? { localPort: checker.bindPort } : {}),
  };
}

/** Connects and resolves with the socket, or null with keepalived's reason on failure/abort. */
export function openTcp(
  options: ReturnType<typeof connectOptions>,
  signal: AbortSignal,
): Promise<{ socket: Socket } | { reason: string; detail: string }> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ reason: 'Timeout connecting', detail: '' });
      return;
    }
    const socket = connect({ ...options, noDelay: true });
    const onAbort = (): void => {
      socket.destroy();
      resolve({ reason: 'Timeout connecting', detail: '' });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      resolve({ socket });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ reason: 'Error connecting', detail: e.code ?? e.message });
    });
  });
}

export async function tcpAttempt(checker: TcpCheck, ctx: AttemptContext): Promise<CheckResult> {
  const r = await openTcp(connectOptions(checker), ctx.signal);
  if ('socket' in r) {
    // RST instead of FIN: no TIME_WAIT pile-up on the checker side at thousands of checks.
    r.socket.resetAndDestroy();
    return up();
  }
  return down(r.reason, r.detail);
}
