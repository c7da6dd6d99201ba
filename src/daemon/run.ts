import type { DaemonOptions } from './cli.js';

// Replaced by the daemon wiring (VRRP engine issue).
export async function runDaemon(_options: DaemonOptions): Promise<number> {
  process.stderr.write('daemon: not built yet\n');
  return 1;
}
