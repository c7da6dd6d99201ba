/**
 * sd_notify(3) for Type=notify units: READY=1 once the subsystems have started, RELOADING=1 on
 * SIGHUP (with MONOTONIC_USEC, so Type=notify-reload works too), STOPPING=1 on shutdown, and
 * WATCHDOG=1 pings when the unit sets WatchdogSec. A no-op when NOTIFY_SOCKET is unset.
 * NOTIFY_SOCKET may be a path or an abstract `@name` (docs/operations.md "systemd").
 */
import { openNotifySocket, type NotifySocket } from '../net/notify-socket.js';

export interface SystemdNotifier {
  ready(status?: string): void;
  reloading(): void;
  stopping(): void;
  status(text: string): void;
  /** Interval at which `watchdog()` should be called, or null when no watchdog is configured. */
  readonly watchdogIntervalMs: number | null;
  watchdog(): void;
  close(): void;
}

const noop: SystemdNotifier = {
  ready() {},
  reloading() {},
  stopping() {},
  status() {},
  watchdogIntervalMs: null,
  watchdog() {},
  close() {},
};

export function createSystemdNotifier(
  env: NodeJS.ProcessEnv = process.env,
  onError: (message: string) => void = () => {},
): SystemdNotifier {
  const path = env.NOTIFY_SOCKET;
  if (!path) return noop;
  let socket: NotifySocket;
  try {
    socket = openNotifySocket(path);
  } catch (e) {
    onError(`sd_notify unavailable: ${(e as Error).message} - not notifying systemd`);
    return noop;
  }
  const send = (text: string): void => {
    try {
      socket.send(text);
    } catch (e) {
      onError(`sd_notify: ${(e as Error).message}`);
    }
  };
  // WATCHDOG_USEC applies to us only if WATCHDOG_PID is unset or ours (sd_watchdog_enabled(3)).
  const usec = Number(env.WATCHDOG_USEC);
  const watchdogForUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
  const watchdogIntervalMs =
    watchdogForUs && Number.isFinite(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : null;
  const monotonicUsec = (): string => String(process.hrtime.bigint() / 1000n);
  return {
    ready: (status) => send(`READY=1\nMAINPID=${process.pid}${status ? `\nSTATUS=${status}` : ''}`),
    reloading: () => send(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`),
    stopping: () => send('STOPPING=1'),
    status: (text) => send(`STATUS=${text}`),
    watchdogIntervalMs,
    watchdog: () => send('WATCHDOG=1'),
    close: () => {
      try {
        socket.close();
      } catch {
        // already closed
      }
    },
  };
}
