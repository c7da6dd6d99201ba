/**
 * keepalived's signals (keepalived(8) SIGNALS): TERM/INT stop, HUP reload, USR1 data dump,
 * USR2 stats dump. Handlers are plain callbacks; repeated stop signals are ignored while a stop
 * is in progress.
 */
export interface SignalHandlers {
  stop(signal: 'SIGTERM' | 'SIGINT'): void;
  reload(): void;
  dumpData(): void;
  dumpStats(): void;
}

/** Installs the handlers; returns a function that removes them. */
export function installSignalHandlers(h: SignalHandlers): () => void {
  const table: [NodeJS.Signals, () => void][] = [
    ['SIGTERM', () => h.stop('SIGTERM')],
    ['SIGINT', () => h.stop('SIGINT')],
    ['SIGHUP', () => h.reload()],
    ['SIGUSR1', () => h.dumpData()],
    ['SIGUSR2', () => h.dumpStats()],
  ];
  for (const [signal, fn] of table) process.on(signal, fn);
  return () => {
    for (const [signal, fn] of table) process.off(signal, fn);
  };
}
