import fc from 'fast-check';
import { checkProperty } from '../../support/property.js';
import { describe, expect, it } from 'vitest';
import { parseConfigFiles } from '../../../src/config/parse.js';
import type { Statement } from '../../../src/config/tree.js';
import { memoryFs } from '../../support/memory-fs.js';

const MAIN = '/etc/k/keepalived.conf';
const parseText = (text: string, extra: Record<string, string> = {}) =>
  parseConfigFiles(MAIN, { configId: 'n1', fs: memoryFs({ [MAIN]: text, ...extra }), env: {} });

const walk = (stmts: readonly Statement[], f: (s: Statement) => void): void => {
  const stack = [...stmts];
  while (stack.length) {
    const s = stack.pop()!;
    f(s);
    if (s.block) stack.push(...s.block);
  }
};

// Fragments that exercise every lexer path, mixed with arbitrary text.
const fragment = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '"',
    "'",
    '#',
    '!',
    '\\',
    '\n',
    ' ',
    '\t',
    '\0',
    '@n1 ',
    '@^n1 ',
    '$A=',
    '$A',
    '${A}',
    '${_RANDOM 1 5}',
  ),
  fc.constantFrom(
    '~SEQ(i, 1, 3) ',
    '~SEQ(',
    '~LST(v, a, b) ',
    'include x.conf\n',
    'include *.conf\n',
    'vrrp_instance V {',
    '\\\n',
  ),
  fc.string({ maxLength: 12 }),
);

describe('lexer properties', () => {
  it('never throws on arbitrary text and every diagnostic names a file and line', () => {
    checkProperty(
      'lexer-arbitrary-fragments',
      [fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join(''))],
      (text) => {
        const r = parseText(text, { '/etc/k/x.conf': text.slice(0, 50) });
        for (const d of r.diagnostics) {
          expect(d.loc).not.toBeNull();
          expect(d.loc!.line).toBeGreaterThan(0);
        }
        walk(r.statements, (s) => expect(s.loc.line).toBeGreaterThan(0));
      },
      { numRuns: 400 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    checkProperty(
      'lexer-arbitrary-bytes',
      [fc.uint8Array({ maxLength: 400 })],
      (bytes) => {
        const r = parseText(Buffer.from(bytes).toString('utf8'));
        for (const d of r.diagnostics) expect(d.loc?.line).toBeGreaterThan(0);
      },
      { numRuns: 300 },
    );
  });

  it('keeps balanced blocks intact: n nested blocks give depth n', () => {
    checkProperty('lexer-balanced-blocks', [fc.integer({ min: 1, max: 15 })], (n) => {
      const r = parseText('b {\n'.repeat(n) + '}\n'.repeat(n));
      expect(r.diagnostics).toEqual([]);
      let depth = 0;
      let level: readonly Statement[] | null = r.statements;
      while (level && level.length) {
        depth++;
        level = level[0]!.block;
      }
      expect(depth).toBe(n);
    });
  });
});
