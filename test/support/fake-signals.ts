// A SignalSource for unit tests: `send(signum)` delivers a signal number to the daemon's handlers
// as the native watcher would (held until the daemon listens, then in order).
import type { SignalSource } from '../../src/daemon/signals.js';

export class FakeSignalSource implements SignalSource {
  readonly realtime = { min: 34, max: 64 };
  private listener: ((signum: number) => void) | null = null;
  private readonly held: number[] = [];

  listen(fn: (signum: number) => void): () => void {
    this.listener = fn;
    for (const s of this.held.splice(0)) fn(s);
    return () => {
      if (this.listener === fn) this.listener = null;
    };
  }

  send(signum: number): void {
    if (this.listener === null) this.held.push(signum);
    else this.listener(signum);
  }
}
