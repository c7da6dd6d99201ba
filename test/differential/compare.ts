/**
 * Runs one config through `keepalived -t` (2.2.7, the Debian package) and `keepalived-ts -t` in
 * the same network namespace and compares what each says: the exit code, the lines reported, and
 * the messages keepalived prints with no line (its checks after parsing) by their text.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Verdict {
  readonly code: number | null;
  readonly diagnostics: readonly { readonly line: number | null; readonly text: string }[];
  readonly output: string;
}

export interface Comparison {
  readonly keepalived: Verdict;
  readonly ours: Verdict;
  /** Empty when they agree. */
  readonly differences: readonly string[];
}

const BIN = join(import.meta.dirname, '..', '..', 'dist', 'keepalived-ts.js');

function run(cmd: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** `(FILE: Line N) text`, `(Line N) text` or a line of text alone. */
export function parseDiagnostics(output: string): Verdict['diagnostics'] {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^\((?:.*: )?Line (\d+)\) (.*)$/.exec(l);
      return m ? { line: Number(m[1]), text: m[2]! } : { line: null, text: l };
    });
}

export function compareVerdicts(keepalived: Verdict, ours: Verdict): string[] {
  const differences: string[] = [];
  if (keepalived.code !== ours.code)
    differences.push(`exit code: keepalived ${keepalived.code}, ours ${ours.code}`);
  const lineless = new Set(keepalived.diagnostics.filter((d) => d.line === null).map((d) => d.text));
  // keepalived's checks after parsing have no line; ours carry one: match those by text.
  for (const text of lineless) {
    if (!ours.diagnostics.some((d) => d.text === text)) differences.push(`keepalived only: ${text}`);
  }
  const kaLines = new Set(keepalived.diagnostics.flatMap((d) => (d.line === null ? [] : [d.line])));
  const ourLines = new Set(
    ours.diagnostics.flatMap((d) => (d.line === null || lineless.has(d.text) ? [] : [d.line])),
  );
  for (const l of kaLines) if (!ourLines.has(l)) differences.push(`line ${l}: keepalived only`);
  for (const l of ourLines) if (!kaLines.has(l)) differences.push(`line ${l}: ours only`);
  return differences;
}

/** Writes the config to `dir/NAME.conf` and judges it with both in `ns`. */
export async function compareConfig(
  ns: string,
  dir: string,
  name: string,
  text: string,
): Promise<Comparison> {
  const file = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.conf`);
  writeFileSync(file, text);
  const [ka, ts] = await Promise.all([
    run('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-f', file]),
    run('ip', ['netns', 'exec', ns, process.execPath, BIN, '-t', '-f', file]),
  ]);
  const keepalived = { code: ka.code, output: ka.output, diagnostics: parseDiagnostics(ka.output) };
  const ours = { code: ts.code, output: ts.output, diagnostics: parseDiagnostics(ts.output) };
  return { keepalived, ours, differences: compareVerdicts(keepalived, ours) };
}
