/**
 * keepalived's signals (keepalived(8) SIGNALS; docs/operations.md "Signals"): TERM/INT stop,
 * HUP reload, USR1 data dump, USR2 stats dump, SIGRTMIN+2 JSON dump, SIGRTMAX-1 stats clear.
 * Every other signal whose default action would end the process is caught and ignored with a
 * log line, so no signal can take the daemon down without its clean stop (VIPs released, IPVS
 * entries removed). Program-fault signals (SEGV, BUS, FPE, ILL, ABRT, TRAP, SYS) keep their
 * default action.
 */
import {
  catchableTerminatingSignals,
  holdSignals,
  listen,
  realtimeSignalRange,
} from '../net/signal-watch.js';

export interface SignalHandlers {
  stop(signal: 'SIGTERM' | 'SIGINT'): void;
  reload(): void;
  dumpData(): void;
  dumpStats(): void;
  dumpJson(): void;
  clearStats(): void;
  /** A caught signal keepalived gives no meaning to. */
  ignored(signum: number, name: string): void;
}

/** What a signal number means to the daemon; the real-time range is the process's own. */
export type SignalAction =
  | { readonly kind: 'stop'; readonly signal: 'SIGTERM' | 'SIGINT' }
  | { readonly kind: 'reload' }
  | { readonly kind: 'data' }
  | { readonly kind: 'stats' }
  | { readonly kind: 'json' }
  | { readonly kind: 'stats-clear' }
  | { readonly kind: 'ignore'; readonly name: string };

const STANDARD_NAMES: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  10: 'SIGUSR1',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  16: 'SIGSTKFLT',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  26: 'SIGVTALRM',
  27: 'SIGPROF',
  29: 'SIGIO',
  30: 'SIGPWR',
};

/** A signal's name as kill -l prints it (`SIGRTMIN+2`, `SIGRTMAX-1`). */
export function signalName(signum: number, rt: { readonly min: number; readonly max: number }): string {
  const standard = STANDARD_NAMES[signum];
  if (standard !== undefined) return standard;
  if (signum >= rt.min && signum <= rt.max) {
    const fromMin = signum - rt.min;
    const fromMax = rt.max - signum;
    if (fromMin === 0) return 'SIGRTMIN';
    if (fromMax === 0) return 'SIGRTMAX';
    return fromMin <= fromMax ? `SIGRTMIN+${fromMin}` : `SIGRTMAX-${fromMax}`;
  }
  return `signal ${signum}`;
}

/** keepalived's meaning of each signal (lib/signals.c get_signum). */
export function signalAction(
  signum: number,
  rt: { readonly min: number; readonly max: number },
): SignalAction {
  switch (signum) {
    case 15:
      return { kind: 'stop', signal: 'SIGTERM' };
    case 2:
      return { kind: 'stop', signal: 'SIGINT' };
    case 1:
      return { kind: 'reload' };
    case 10:
      return { kind: 'data' };
    case 12:
      return { kind: 'stats' };
  }
  if (signum === rt.min + 2) return { kind: 'json' };
  if (signum === rt.max - 1) return { kind: 'stats-clear' };
  return { kind: 'ignore', name: signalName(signum, rt) };
}

/** Where caught signal numbers come from (the native watcher; a fake in unit tests). */
export interface SignalSource {
  readonly realtime: { readonly min: number; readonly max: number };
  /** Routes signals to `fn` (held ones first); returns a function that detaches it. */
  listen(fn: (signum: number) => void): () => void;
}

/** The process's signals through the native watcher; holds them until `listen`. */
export function nativeSignalSource(): SignalSource {
  holdSignals(catchableTerminatingSignals());
  return {
    realtime: realtimeSignalRange(),
    listen: (fn) => listen(fn).stop,
  };
}

/** Installs the handlers; returns a function that removes them (signals are then held). */
export function installSignalHandlers(h: SignalHandlers, source: SignalSource): () => void {
  return source.listen((signum) => {
    const action = signalAction(signum, source.realtime);
    switch (action.kind) {
      case 'stop':
        return h.stop(action.signal);
      case 'reload':
        return h.reload();
      case 'data':
        return h.dumpData();
      case 'stats':
        return h.dumpStats();
      case 'json':
        return h.dumpJson();
      case 'stats-clear':
        return h.clearStats();
      case 'ignore':
        return h.ignored(signum, action.name);
    }
  });
}

/** keepalived's --signum names (core/main.c, lib/signals.c get_signum). */
export function signumFor(name: string, rt: { readonly min: number; readonly max: number }): number | null {
  switch (name) {
    case 'STOP':
      return 15;
    case 'RELOAD':
      return 1;
    case 'DATA':
      return 10;
    case 'STATS':
      return 12;
    case 'JSON':
      return rt.min + 2;
    case 'STATS_CLEAR':
      return rt.max - 1;
    default:
      return null;
  }
}
