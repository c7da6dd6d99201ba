// An AttemptContext for calling one checker attempt directly, with real I/O ports.
import {
  cancellationFromSignal,
  type AttemptContext,
  type CheckerIo,
} from '../../../../src/check/checker.js';
import { runScript } from '../../../../src/net/exec.js';
import { openCheckSocket } from '../../../../src/net/check-socket.js';
import { openIcmpSocket } from '../../../../src/net/icmp-socket.js';
import { IcmpEchoDemux } from '../../../../src/check/ping.js';

export const realIo: CheckerIo = {
  runScript,
  resolveScriptUser: () => ({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }),
  trackFilePath: () => null,
  icmpEcho: new IcmpEchoDemux(openIcmpSocket),
  openCheckSocket,
};

export function attemptContext(over: Partial<AttemptContext> = {}, timeoutMs = 2000): AttemptContext {
  const signal = over.signal ?? AbortSignal.timeout(timeoutMs);
  return {
    io: realIo,
    wait: (ms) => new Promise((r) => setTimeout(r, ms)),
    target: '[127.0.0.1]:tcp:0',
    configuredWeight: 1,
    ...over,
    signal,
    cancel: over.cancel ?? cancellationFromSignal(signal),
  };
}
