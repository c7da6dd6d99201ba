/**
 * TCP_CHECK: one connect() within connect_timeout (the runner's signal bounds it). Success is
 * the completed handshake; the socket is closed at once (check_tcp.c).
 */
import { connect, isIPv6, type Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { TcpCheck } from '../config/model.js';
import { down, up, type AttemptContext, type Cancellation, type CheckResult } from './checker.js';

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

// ---------------------------------------------------------------------------------------------
// Fast path: a bare libuv TCP handle. TCP_CHECK only needs the handshake, and a net.Socket
// (stream state, an Error with a captured stack per refusal) costs about four times the user
// CPU of the connect itself; at ten thousand checks a second that decides whether the checker
// fits in a fraction of a core (docs/benchmarks.md). Falls back to net.connect when the
// binding is not there.
// ---------------------------------------------------------------------------------------------

interface TcpHandle {
  connect(req: object, address: string, port: number): number;
  connect6(req: object, address: string, port: number): number;
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  close(cb?: () => void): void;
  /** uv_tcp_close_reset: SO_LINGER 0 and close, so the connection ends with RST. */
  reset?(cb?: () => void): number;
}
interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => { oncomplete: (status: number) => void; address: string; port: number };
  constants: { SOCKET: number };
}

let tcpWrap: TcpWrapBinding | null | undefined;
function loadTcpWrap(): TcpWrapBinding | null {
  if (tcpWrap !== undefined) return tcpWrap;
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding(
      'tcp_wrap',
    ) as TcpWrapBinding;
    tcpWrap =
      typeof binding.TCP === 'function' && typeof binding.TCPConnectWrap === 'function' ? binding : null;
  } catch {
    tcpWrap = null;
  }
  return tcpWrap;
}

type ProbeResult =
  { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly detail: string };

function errnoName(status: number): string {
  try {
    return getSystemErrorName(status);
  } catch {
    return String(status);
  }
}

/** One handshake on a bare handle, closed at once; null when the fast path is unavailable. */
export function probeTcpHandle(
  options: ReturnType<typeof connectOptions>,
  cancel: Cancellation,
): Promise<ProbeResult> | null {
  const wrap = loadTcpWrap();
  if (wrap === null) return null;
  return new Promise<ProbeResult>((resolve) => {
    if (cancel.cancelled) {
      resolve({ ok: false, reason: 'Timeout connecting', detail: '' });
      return;
    }
    const v6 = isIPv6(options.host);
    const handle = new wrap.TCP(wrap.constants.SOCKET);
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      // An established probe ends with RST, as the net path's resetAndDestroy: no TIME_WAIT
      // entries pile up (5,000 a second would exhaust the ephemeral ports within a minute).
      if (!(r.ok && handle.reset !== undefined && handle.reset() === 0)) handle.close();
      resolve(r);
    };
    const onAbort = (): void => finish({ ok: false, reason: 'Timeout connecting', detail: '' });
    if (options.localAddress !== undefined || options.localPort !== undefined) {
      const local = options.localAddress ?? (v6 ? '::' : '0.0.0.0');
      const e = v6
        ? handle.bind6(local, options.localPort ?? 0, 0)
        : handle.bind(local, options.localPort ?? 0);
      if (e !== 0) return finish({ ok: false, reason: 'Error connecting', detail: errnoName(e) });
    }
    const req = new wrap.TCPConnectWrap();
    req.address = options.host;
    req.port = options.port;
    req.oncomplete = (status: number) =>
      finish(
        status === 0 ? { ok: true } : { ok: false, reason: 'Error connecting', detail: errnoName(status) },
      );
    const e = v6
      ? handle.connect6(req, options.host, options.port)
      : handle.connect(req, options.host, options.port);
    if (e !== 0) return finish({ ok: false, reason: 'Error connecting', detail: errnoName(e) });
    cancel.onCancel(onAbort);
  });
}

export async function tcpAttempt(checker: TcpCheck, ctx: AttemptContext): Promise<CheckResult> {
  const options = connectOptions(checker);
  const fast = probeTcpHandle(options, ctx.cancel);
  if (fast !== null) {
    const r = await fast;
    return r.ok ? up() : down(r.reason, r.detail);
  }
  const r = await openTcp(options, ctx.signal);
  if ('socket' in r) {
    // RST instead of FIN: no TIME_WAIT pile-up on the checker side at thousands of checks.
    r.socket.resetAndDestroy();
    return up();
  }
  return down(r.reason, r.detail);
}
