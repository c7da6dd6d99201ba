// Every diagnostic code is documented in docs/config-diagnostics.md, and the page documents no
// code that does not exist: the first column of its code tables is compared with DIAGNOSTIC_CODES.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../../src/config/diagnostics.js';

const page = readFileSync(new URL('../../../docs/config-diagnostics.md', import.meta.url), 'utf8');

/** Codes named in the first cell of a table row (`| \`code\` / \`other\` | severity | ...`). */
function documentedCodes(markdown: string): Set<string> {
  const codes = new Set<string>();
  for (const line of markdown.split('\n')) {
    const cell = /^\| ((?:`[a-z0-9-]+`(?: \/ )?)+) \|/.exec(line);
    if (cell === null) continue;
    for (const m of (cell[1] ?? '').matchAll(/`([a-z0-9-]+)`/g)) if (m[1] !== undefined) codes.add(m[1]);
  }
  return codes;
}

describe('diagnostic codes', () => {
  const documented = documentedCodes(page);

  it('reads the tables of the page (guards the parser above)', () => {
    expect(documented.has('unknown-keyword')).toBe(true);
    expect(documented.size).toBeGreaterThan(50);
  });

  it('documents every code', () => {
    expect(DIAGNOSTIC_CODES.filter((c) => !documented.has(c))).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const known = new Set<string>(DIAGNOSTIC_CODES);
    expect([...documented].filter((c) => !known.has(c))).toEqual([]);
  });

  it('lists each code once', () => {
    expect(new Set(DIAGNOSTIC_CODES).size).toBe(DIAGNOSTIC_CODES.length);
  });
});
