/**
 * TCP_CHECK: one connect() within connect_timeout (the runner's cancellation bounds it). Success
 * is the completed handshake; the socket is closed at once (check_tcp.c), with RST.
 *
 * Public API only (net.Socket + resetAndDestroy). An earlier version drove a bare libuv handle
 * through the internal `tcp_wrap` binding; measured with bench/checkers.mjs it saved about 15 us
 * of user CPU per check (a refusal builds an Error with a stack on the net.Socket path) but
 * neither path meets the CPU goal at 10,000 loopback checks a second, because the kernel's
 * share of a loopback handshake alone is about 30 us (docs/benchmarks.md), so the internal,
 * deprecated API was dropped.
 */
import { connect, Socket } from 'node:net';
import type { TcpCheck } from '../config/model.js';
import {
  down,
  isSocketShortage,
  skipped,
  up,
  type AttemptContext,
  type Cancellation,
  type CheckResult,
} from './checker.js';

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

/**
 * Connects and resolves with the socket, with keepalived's reason on failure/abort, or with
 * `noSocket` when no socket could be made (isSocketShortage).
 */
export function openTcp(
  options: ReturnType<typeof connectOptions>,
  signal: AbortSignal,
): Promise<{ socket: Socket } | { reason: string; detail: string } | { noSocket: true }> {
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
      resolve(
        isSocketShortage(e)
          ? { noSocket: true }
          : { reason: 'Error connecting', detail: e.code ?? e.message },
      );
    });
  });
}

type ProbeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly detail: string }
  | { readonly ok: 'no-socket' };

/**
 * One handshake on a net.Socket (public API), closed at once with RST. Listeners are the
 * socket's own once-handlers and the cancellation's plain callback: no AbortSignal, no timer.
 */
export function probeTcp(
  options: ReturnType<typeof connectOptions>,
  cancel: Cancellation,
): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    if (cancel.cancelled) {
      resolve(TIMEOUT);
      return;
    }
    const socket = new Socket();
    let done = false;
    const onConnect = (): void => {
      if (done) return;
      done = true;
      // RST instead of FIN: no TIME_WAIT entries pile up on the checker side (5,000 a second
      // would exhaust the ephemeral ports within a minute).
      socket.resetAndDestroy();
      resolve(UP);
    };
    const onError = (e: NodeJS.ErrnoException): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(
        isSocketShortage(e)
          ? NO_SOCKET
          : { ok: false, reason: 'Error connecting', detail: e.code ?? e.message },
      );
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    cancel.onCancel(() => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(TIMEOUT);
    });
    socket.connect(options);
  });
}

const UP: ProbeResult = { ok: true };
const TIMEOUT: ProbeResult = { ok: false, reason: 'Timeout connecting', detail: '' };
const NO_SOCKET: ProbeResult = { ok: 'no-socket' };
const TCP_NO_SOCKET = skipped('TCP connect fail to create socket. Rescheduling.');

/** Results are shared: a steady pool produces thousands a second and they are never mutated. */
const UP_RESULT = up();
const downResults = new Map<string, CheckResult>();
function downResult(reason: string, detail: string): CheckResult {
  const key = `${reason}\0${detail}`;
  let r = downResults.get(key);
  if (r === undefined) {
    r = down(reason, detail);
    if (downResults.size < 64) downResults.set(key, r);
  }
  return r;
}

const optionsByChecker = new WeakMap<TcpCheck, ReturnType<typeof connectOptions>>();

export async function tcpAttempt(checker: TcpCheck, ctx: AttemptContext): Promise<CheckResult> {
  let options = optionsByChecker.get(checker);
  if (options === undefined) {
    options = connectOptions(checker);
    optionsByChecker.set(checker, options);
  }
  const r = await probeTcp(options, ctx.cancel);
  if (r.ok === true) return UP_RESULT;
  return r.ok === 'no-socket' ? TCP_NO_SOCKET : downResult(r.reason, r.detail);
}
