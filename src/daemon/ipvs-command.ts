import type { Command } from './cli.js';

// Replaced by the IPVS writer issue.
export async function runIpvsCommand(_cmd: Extract<Command, { kind: 'ipvs' }>): Promise<number> {
  process.stderr.write('ipvs: not built yet\n');
  return 1;
}
