/**
 * UDP_CHECK: send `payload` to the (connected) port. With require_reply a reply whose length is
 * within min/max_reply_length and that matches the pattern (`x` nibbles are wildcards) is
 * success; without it, silence for connect_timeout is success and an ICMP port unreachable
 * (ECONNREFUSED on a connected socket) is failure (check_udp.c).
 */
import { createSocket, type Socket } from 'node:dgram';
import { closeSync } from 'node:fs';
import type { UdpCheck } from '../config/model.js';
import type { CheckerIo } from './checker.js';
import { down, isSocketShortage, skipped, up, type AttemptContext, type CheckResult } from './checker.js';
import { checkSocketSpec, socketSetupCause, type SocketSetupCause } from './socket-options.js';

/**
 * The dgram socket of a checker with `fwmark` (or, `device` true, `bind_if`): null when it sets
 * neither (the caller makes and binds a plain one); else the socket over the opener's descriptor,
 * already bound there, which `adopt(cb)` hands to dgram (`bind({ fd })`) before it connects; or
 * why there is none (`cause` null: socket(2) failed, the `fail to create socket` case).
 */
export function optionedUdp(
  checker: Parameters<typeof checkSocketSpec>[0],
  io: CheckerIo,
  device: boolean,
):
  | { readonly socket: null }
  | { readonly socket: Socket; adopt(cb: () => void): void }
  | { readonly error: { readonly code: string; readonly cause: SocketSetupCause | null } } {
  const spec = checkSocketSpec(checker, 'udp', device);
  if (spec === null) return { socket: null };
  let fd: number;
  try {
    fd = io.openCheckSocket(spec);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return { error: { code: typeof code === 'string' ? code : 'EIO', cause: socketSetupCause(e, spec) } };
  }
  const socket = createSocket(spec.family === 'inet6' ? 'udp6' : 'udp4');
  return {
    socket,
    adopt(cb) {
      try {
        socket.bind({ fd }, cb);
      } catch (e) {
        closeSync(fd);
        socket.emit('error', e);
      }
    },
  };
}

/** True when `reply` matches the hex `pattern` where `x`/`X` nibbles match anything. */
export function replyMatches(reply: Buffer, pattern: string | null): boolean {
  if (pattern === null) return true;
  const hex = reply.toString('hex');
  const want = pattern.toLowerCase();
  if (hex.length < want.length) return false;
  for (let i = 0; i < want.length; i++) if (want[i] !== 'x' && want[i] !== hex[i]) return false;
  return true;
}

export function udpAttempt(checker: UdpCheck, ctx: AttemptContext): Promise<CheckResult> {
  return new Promise((resolve) => {
    // keepalived's udp_bind_connect sets the fwmark but not bind_if (core/layer4.c).
    const optioned = optionedUdp(checker, ctx.io, false);
    if ('error' in optioned) {
      if (optioned.error.cause === null) resolve(skipped('UDP connect fail to create socket. Rescheduling.'));
      // udp_bind_connect's connect_error: logged, then a failed attempt (udp_epilog).
      else
        resolve({ kind: 'down', reason: 'failed', detail: optioned.error.code, cause: optioned.error.cause });
      return;
    }
    const socket = optioned.socket ?? createSocket(checker.connectIp.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const finish = (r: CheckResult): void => {
      if (done) return;
      done = true;
      ctx.signal.removeEventListener('abort', onAbort);
      socket.close();
      resolve(r);
    };
    const onAbort = (): void => finish(down('failed', 'timeout'));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (e: NodeJS.ErrnoException) =>
      finish(
        isSocketShortage(e)
          ? skipped('UDP connect fail to create socket. Rescheduling.')
          : down('failed', e.code ?? e.message),
      ),
    );
    socket.on('message', (msg) => {
      if (!checker.requireReply) return;
      if (
        msg.length < checker.minReplyLength ||
        msg.length > checker.maxReplyLength ||
        !replyMatches(msg, checker.replyPattern)
      )
        finish(down('reply data mismatch'));
      else finish(up());
    });
    const payload = checker.payload === null ? Buffer.alloc(0) : Buffer.from(checker.payload, 'hex');
    const send = (): void =>
      socket.connect(checker.connectPort, checker.connectIp, () => {
        socket.send(payload);
        if (!checker.requireReply)
          void ctx.wait(Math.round(checker.connectTimeout * 1000)).then(() => finish(up()));
      });
    if (optioned.socket !== null) optioned.adopt(send);
    else if (checker.bindTo !== null || checker.bindPort !== null)
      socket.bind({ address: checker.bindTo ?? undefined, port: checker.bindPort ?? 0 }, send);
    else send();
  });
}
