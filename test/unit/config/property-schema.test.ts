/**
 * Robustness: arbitrary text, arbitrary mutations of the conf/ samples and arbitrary statement
 * trees never make the front end throw, and every diagnostic names a line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkProperty } from '../../support/property.js';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config/schema.js';
import type { Statement } from '../../../src/config/tree.js';
import { lookupTable } from '../../../src/config/keywords/types.js';
import { rootTable } from '../../../src/config/keywords/root.js';
import { globalDefsTable } from '../../../src/config/keywords/global-defs.js';
import { vrrpInstanceTable } from '../../../src/config/keywords/vrrp-instance.js';
import { realServerTable, virtualServerTable } from '../../../src/config/keywords/virtual-server.js';
import { build } from './schema-helpers.js';

const CONF = join(import.meta.dirname, '../../../conf');
const SAMPLES = readdirSync(CONF)
  .filter((f) => f.endsWith('.conf'))
  .map((f) => readFileSync(join(CONF, f), 'utf8'));

const VOCAB = [
  ...new Set(
    [rootTable, globalDefsTable, vrrpInstanceTable, virtualServerTable, realServerTable].flatMap((t) => [
      ...lookupTable(t).keys(),
    ]),
  ),
  'TCP_CHECK',
  'HTTP_GET',
  'url',
  'path',
  'digest',
  'status_code',
  'nb_get_retry',
  'group',
  'fwmark',
  '{',
  '}',
  '"',
  "'",
  '\\',
  '#',
  '!',
  '$X=1',
  '$X',
  '@test',
  '@^test',
  '~SEQ(i,1,3)',
  'include',
  '-1',
  '0',
  '256',
  '4294967296',
  '1e9',
  '1.5',
  '192.0.2.1',
  '192.0.2.1/24',
  '2001:db8::1',
  'dev',
  'eth0',
  'weight',
  'reverse',
  'MASTER',
];

function assertLines(diags: readonly { loc: { line: number } | null }[]): void {
  for (const d of diags) {
    expect(d.loc, JSON.stringify(d)).not.toBeNull();
    expect(d.loc!.line).toBeGreaterThanOrEqual(1);
  }
}

describe('config front end robustness', () => {
  it('arbitrary text never throws and every diagnostic has a line', () => {
    checkProperty(
      'schema-arbitrary-text',
      [fc.string({ unit: 'binary', maxLength: 400 })],
      (text) => {
        assertLines(build(text).diagnostics);
      },
      { numRuns: 300 },
    );
  });

  it('lines built from config words never throw', () => {
    const line = fc.array(fc.constantFrom(...VOCAB), { maxLength: 6 }).map((w) => w.join(' '));
    checkProperty(
      'schema-config-word-lines',
      [fc.array(line, { maxLength: 60 })],
      (lines) => {
        assertLines(build(lines.join('\n')).diagnostics);
      },
      { numRuns: 300 },
    );
  });

  it('mutated samples never throw', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), word: fc.constantFrom(...VOCAB) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), word: fc.constantFrom(...VOCAB) }),
    );
    checkProperty(
      'schema-mutated-samples',
      [fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 8 })],
      (sample, muts) => {
        let lines = sample.split('\n');
        for (const m of muts) {
          const i = lines.length === 0 ? 0 : m.at % lines.length;
          if (m.kind === 'delete') lines.splice(i, 1);
          else if (m.kind === 'duplicate') lines.splice(i, 0, lines[i] ?? '');
          else if (m.kind === 'insert') lines.splice(i, 0, m.word);
          else if (m.kind === 'truncate') lines = lines.slice(0, i);
          else {
            const words = (lines[i] ?? '').trim().split(/\s+/);
            words[m.at % Math.max(1, words.length)] = m.word;
            lines[i] = words.join(' ');
          }
        }
        assertLines(build(lines.join('\n')).diagnostics);
      },
      { numRuns: 300 },
    );
  });

  it('arbitrary statement trees (any depth, any keywords) never throw', () => {
    const loc = { file: '/x.conf', line: 1 };
    const { tree } = fc.letrec<{ tree: Statement; forest: Statement[] }>((tie) => ({
      tree: fc
        .record({
          keyword: fc.constantFrom(...VOCAB),
          args: fc.array(fc.constantFrom(...VOCAB), { maxLength: 4 }),
          block: fc.option(tie('forest'), { nil: null }),
        })
        .map((r) => ({ ...r, rest: r.args.join(' '), loc, unmatchedQuote: false }) as Statement),
      forest: fc.array(tie('tree'), { maxLength: 5 }),
    }));
    checkProperty(
      'schema-statement-trees',
      [fc.array(tree, { maxLength: 8 })],
      (stmts) => {
        assertLines(buildConfig(stmts, ['/x.conf']).diagnostics);
      },
      { numRuns: 300 },
    );
  });

  it('deep nesting and long inputs stay bounded', () => {
    const loc = { file: '/x.conf', line: 1 };
    let deep: Statement = {
      keyword: 'vrrp_instance',
      args: ['X'],
      rest: 'X',
      loc,
      unmatchedQuote: false,
      block: [],
    };
    for (let i = 0; i < 100_000; i++)
      deep = {
        keyword: i % 2 ? 'virtual_server' : 'vrrp_instance',
        args: ['X'],
        rest: 'X',
        loc,
        unmatchedQuote: false,
        block: [deep],
      };
    expect(() => buildConfig([deep], ['/x.conf'])).not.toThrow();
    const braces = build('{\n'.repeat(20_000) + 'vrrp_instance A {\n'.repeat(5_000));
    assertLines(braces.diagnostics);
    expect(build('').diagnostics).toEqual([]);
    expect(build('\0\0\0').config.vrrpInstances).toEqual([]);
  });
});

describe('huge blocks', () => {
  it('a value block and a global_defs block of 300,000 lines do not overflow the stack', () => {
    const vips = Array.from(
      { length: 300_000 },
      (_, i) => `    10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    );
    const big = build(
      `vrrp_instance V {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n${vips.join('\n')}\n  }\n}\n`,
    );
    const vi = big.config.vrrpInstances[0]!;
    expect(vi.virtualIpaddresses).toHaveLength(255);
    expect(vi.virtualIpaddressesExcluded).toHaveLength(300_000 - 255);
    const globals = build(`global_defs {\n${'  router_id X\n'.repeat(300_000)}}\n`);
    expect(globals.config.globalDefs.routerId).toBe('X');
  });
});
