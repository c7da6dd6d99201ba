/** Test helpers: parse config text held in memory and build the model. */
import { dirname } from 'node:path';
import type { Diagnostic } from '../../../src/config/diagnostics.js';
import type { ConfigFs } from '../../../src/config/parse.js';
import { parseConfigFiles } from '../../../src/config/parse.js';
import { buildConfig } from '../../../src/config/schema.js';
import type { Config } from '../../../src/config/model.js';

export function memoryFs(files: Record<string, string>): ConfigFs {
  return {
    readFile: (path) =>
      path in files ? { ok: true, text: files[path]! } : { ok: false, reason: 'not found' },
    glob: (pattern, cwd) => {
      const re = new RegExp('^' + pattern.replace(/[.+^$()|\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '$');
      return Object.keys(files)
        .filter((f) => re.test(f) || re.test(f.slice(cwd.length + 1)))
        .sort();
    },
    realpath: (p) => p,
  };
}

export const MAIN = '/etc/keepalived/keepalived.conf';

/** Parses + builds; returns the model and every diagnostic (lexer and schema). */
export function build(
  text: string,
  extra: Record<string, string> = {},
): { config: Config; diagnostics: Diagnostic[] } {
  const fs = memoryFs({ [MAIN]: text, ...extra });
  const parsed = parseConfigFiles(MAIN, { configId: 'test', fs });
  const built = buildConfig(parsed.statements, parsed.files);
  return { config: built.config, diagnostics: [...parsed.diagnostics, ...built.diagnostics] };
}

/** Diagnostics as `LINE severity message` strings, for readable assertions. */
export function summary(diags: readonly Diagnostic[]): string[] {
  return diags.map((d) => `${d.loc?.line ?? '-'} ${d.severity} ${d.message}`);
}

export { dirname };
