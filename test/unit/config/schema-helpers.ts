/** Test helpers: parse config text held in memory and build the model. */
import type { Diagnostic } from '../../../src/config/diagnostics.js';
import { parseConfigFiles } from '../../../src/config/parse.js';
import { buildConfig } from '../../../src/config/schema.js';
import type { Config } from '../../../src/config/model.js';
import type { SourceLines } from '../../../src/config/semantic.js';
import { memoryFs } from '../../support/memory-fs.js';

export const MAIN = '/etc/keepalived/keepalived.conf';

/** Parses + builds; returns the model and every diagnostic (lexer and schema). */
export function build(
  text: string,
  extra: Record<string, string> = {},
): { config: Config; diagnostics: Diagnostic[]; lines: SourceLines } {
  const fs = memoryFs({ [MAIN]: text, ...extra });
  const parsed = parseConfigFiles(MAIN, { configId: 'test', fs });
  const built = buildConfig(parsed.statements, parsed.files);
  return {
    config: built.config,
    diagnostics: [...parsed.diagnostics, ...built.diagnostics],
    lines: built.lines,
  };
}

/** Diagnostics as `LINE severity message` strings, for readable assertions. */
export function summary(diags: readonly Diagnostic[]): string[] {
  return diags.map((d) => `${d.loc?.line ?? '-'} ${d.severity} ${d.message}`);
}
