/**
 * docs/configuration.md is generated from the keyword tables (scripts/config-doc.ts): it must be
 * what `npm run docs:config` writes today, and every keyword the parser reads must have its entry.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  configurationDoc,
  documentedTables,
  renderConfigurationDoc,
  undocumented,
} from '../../../scripts/config-doc.js';

const PAGE = new URL('../../../docs/configuration.md', import.meta.url);

describe('docs/configuration.md', () => {
  it('has an entry for every keyword keepalived-ts reads and every block', () => {
    expect(undocumented()).toEqual([]);
  });

  it('names every keyword of every table, the ignored ones included', () => {
    const page = renderConfigurationDoc();
    const missing: string[] = [];
    for (const t of documentedTables())
      for (const s of t.keywords)
        for (const k of [s.keyword, ...(s.aliases ?? []), ...(s.deprecated ?? [])])
          if (!page.includes(`\`${k}\``)) missing.push(`${t.name}.${k}`);
    expect(missing).toEqual([]);
  });

  it('is up to date with the tables (npm run docs:config writes it)', async () => {
    const committed = readFileSync(PAGE, 'utf8');
    const generated = await configurationDoc();
    // One boolean, not a 500-line diff: the fix is always the same command.
    expect(committed === generated, 'docs/configuration.md is out of date: run `npm run docs:config`').toBe(
      true,
    );
  });
});
