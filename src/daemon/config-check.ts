import type { DaemonOptions } from './cli.js';

// Replaced by the config front end (issue: config parser).
export async function runConfigTest(_options: DaemonOptions, _outputFile: string | null): Promise<number> {
  process.stderr.write('config test: not built yet\n');
  return 4;
}
export async function runDumpConfig(_options: DaemonOptions): Promise<number> {
  process.stderr.write('dump-config: not built yet\n');
  return 4;
}
