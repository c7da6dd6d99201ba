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
import { closeSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import type { TcpCheck } from '../config/model.js';
import type { CheckSocketOpener, CheckSocketSpec } from '../contracts/check-socket.js';
import {
  down,
  isSocketShortage,
  skipped,
  up,
  type AttemptContext,
  type Cancellation,
  type CheckerIo,
  type CheckResult,
} from './checker.js';
import { checkSocketSpec, socketSetupCause, type SocketSetupCause } from './socket-options.js';

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

/** A connecting checker's socket with `fwmark`/`bind_if` (check/socket-options.ts). */
export interface OptionedSocket {
  readonly spec: CheckSocketSpec;
  readonly open: CheckSocketOpener;
}

/** The TCP socket `checker` needs when it sets `fwmark` or `bind_if`, else null (plain path). */
export function optionedTcp(
  checker: Parameters<typeof checkSocketSpec>[0],
  io: CheckerIo,
): OptionedSocket | null {
  const spec = checkSocketSpec(checker, 'tcp', true);
  return spec === null ? null : { spec, open: io.openCheckSocket };
}

/**
 * An unconnected net.Socket over the opener's descriptor (bound there), or why there is none:
 * `cause` null when socket(2) itself failed (the checker's `fail to create socket` line).
 */
function adoptTcp(o: OptionedSocket): Socket | { readonly cause: SocketSetupCause | null } {
  let fd: number;
  try {
    fd = o.open(o.spec);
  } catch (e) {
    return { cause: socketSetupCause(e, o.spec) };
  }
  try {
    // libuv adopts an unconnected TCP socket (uv_tcp_open); connect() then runs as on its own.
    return new Socket({ fd });
  } catch {
    closeSync(fd);
    return { cause: null };
  }
}

/** A plain socket connecting, or an adopted one connecting to the same endpoint (bound by the opener). */
export function connectTcp(
  options: ReturnType<typeof connectOptions>,
  optioned: OptionedSocket | null,
): { readonly socket: Socket } | { readonly cause: SocketSetupCause | null } {
  if (optioned === null) return { socket: connect({ ...options, noDelay: true }) };
  const socket = adoptTcp(optioned);
  if (!(socket instanceof Socket)) return socket;
  socket.setNoDelay(true);
  return { socket: socket.connect({ host: options.host, port: options.port }) };
}

/**
 * Connects and resolves with the socket, with keepalived's reason on failure/abort, with
 * `noSocket` when no socket could be made (isSocketShortage), or with `setup` when the
 * `fwmark`/`bind_if`/bind step of an optioned socket failed (keepalived's line for it).
 */
export function openTcp(
  options: ReturnType<typeof connectOptions>,
  signal: AbortSignal,
  optioned: OptionedSocket | null = null,
): Promise<
  { socket: Socket } | { reason: string; detail: string } | { noSocket: true } | { setup: SocketSetupCause }
> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ reason: 'Timeout connecting', detail: '' });
      return;
    }
    const made = connectTcp(options, optioned);
    if ('cause' in made) {
      resolve(made.cause === null ? { noSocket: true } : { setup: made.cause });
      return;
    }
    const socket = made.socket;
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
  | { readonly ok: 'no-socket' }
  | { readonly ok: 'setup'; readonly cause: SocketSetupCause };

/**
 * One handshake on a net.Socket (public API), closed at once with RST. Listeners are the
 * socket's own once-handlers and the cancellation's plain callback: no AbortSignal, no timer.
 */
export function probeTcp(
  options: ReturnType<typeof connectOptions>,
  cancel: Cancellation,
  optioned: OptionedSocket | null = null,
): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    if (cancel.cancelled) {
      resolve(TIMEOUT);
      return;
    }
    let socket: Socket;
    if (optioned === null) socket = new Socket();
    else {
      const made = adoptTcp(optioned);
      if (!(made instanceof Socket)) {
        resolve(made.cause === null ? NO_SOCKET : { ok: 'setup', cause: made.cause });
        return;
      }
      socket = made;
    }
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
    socket.connect(optioned === null ? options : { host: options.host, port: options.port });
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
/** The spec of a checker with `fwmark`/`bind_if`; most have neither and are never looked up. */
const specByChecker = new WeakMap<TcpCheck, CheckSocketSpec>();

export async function tcpAttempt(checker: TcpCheck, ctx: AttemptContext): Promise<CheckResult> {
  let options = optionsByChecker.get(checker);
  if (options === undefined) {
    options = connectOptions(checker);
    optionsByChecker.set(checker, options);
    const spec = checkSocketSpec(checker, 'tcp', true);
    if (spec !== null) specByChecker.set(checker, spec);
  }
  let optioned: OptionedSocket | null = null;
  if ((checker.fwmark !== null && checker.fwmark !== 0) || checker.bindIf !== null) {
    const spec = specByChecker.get(checker);
    if (spec !== undefined) optioned = { spec, open: ctx.io.openCheckSocket };
  }
  const r = await probeTcp(options, ctx.cancel, optioned);
  if (r.ok === true) return UP_RESULT;
  if (r.ok === 'setup') return skipped('TCP socket bind failed. Rescheduling.', r.cause);
  return r.ok === 'no-socket' ? TCP_NO_SOCKET : downResult(r.reason, r.detail);
}
