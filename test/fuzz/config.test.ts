/**
 * Fuzz: the config front end (src/config: lexer, preprocessor, parser, schema, loadConfig).
 * Inputs: random text; grammar-aware configs generated from the keyword tables (every block
 * table, values by their syntax: flags, int and timer bounds +-1, enum words, scripts, value
 * blocks, nested checker/url/authentication blocks); line mutations of the conf/ samples with
 * the keyword names as a dictionary; preprocessor directives ($defs, ~SEQ, ~LST, @ids, include
 * cycles) over an in-memory file system. Properties: nothing throws (loadConfig reports an
 * `internal-error` diagnostic if the front end did), each config is read within the time bound,
 * every diagnostic names a line, diagnostics stay capped, and the lexer's tokens come from the line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Diagnostic } from '../../src/config/diagnostics.js';
import { decomment, tokenizeLine } from '../../src/config/lexer.js';
import { loadConfig } from '../../src/config/load.js';
import { capDiagnostics, parseConfigFiles } from '../../src/config/parse.js';
import { Preprocessor } from '../../src/config/preprocess.js';
import { buildConfig } from '../../src/config/schema.js';
import { lookupTable, type BlockTable, type KeywordSpec } from '../../src/config/keywords/types.js';
import { rootTable } from '../../src/config/keywords/root.js';
import { globalDefsTable } from '../../src/config/keywords/global-defs.js';
import {
  authenticationTable,
  vrrpInstanceTable,
  vrrpSyncGroupTable,
} from '../../src/config/keywords/vrrp-instance.js';
import { realServerTable, virtualServerTable } from '../../src/config/keywords/virtual-server.js';
import { trackFileTable, vrrpScriptTable } from '../../src/config/keywords/trackers.js';
import { CHECKER_TYPES, checkerTable, urlTable } from '../../src/config/keywords/checkers.js';
import { memoryFs } from '../support/memory-fs.js';
import { fuzz, fuzzAsync } from './support.js';

const MAIN = '/etc/keepalived/keepalived.conf';
const CONF = join(import.meta.dirname, '../../conf');
const SAMPLES = readdirSync(CONF)
  .filter((f) => f.endsWith('.conf'))
  .sort()
  .map((f) => readFileSync(join(CONF, f), 'utf8'));

/** The blocks the schema reads through a table other than by a `block` value (root `keep`s). */
const NAMED_BLOCKS: Record<string, { table: BlockTable; arg: boolean }> = {
  global_defs: { table: globalDefsTable, arg: false },
  vrrp_script: { table: vrrpScriptTable, arg: true },
  track_file: { table: trackFileTable, arg: true },
  vrrp_instance: { table: vrrpInstanceTable, arg: true },
  vrrp_sync_group: { table: vrrpSyncGroupTable, arg: true },
  virtual_server: { table: virtualServerTable, arg: true },
  real_server: { table: realServerTable, arg: true },
  authentication: { table: authenticationTable, arg: false },
  url: { table: urlTable, arg: false },
  ...Object.fromEntries(CHECKER_TYPES.map((t) => [t, { table: checkerTable(t), arg: false }])),
};

const TABLES = [rootTable, ...new Set(Object.values(NAMED_BLOCKS).map((b) => b.table))];
const KEYWORDS = [...new Set(TABLES.flatMap((t) => [...lookupTable(t).keys()]))].sort();

const WORDS = [
  '{',
  '}',
  '"',
  "'",
  '\\',
  '#',
  '!',
  '""',
  '"a b"',
  "'x'",
  '-1',
  '0',
  '1',
  '255',
  '256',
  '65535',
  '65536',
  '4294967295',
  '4294967296',
  '18446744073709551616',
  '1e9',
  '0x10',
  '1.5',
  '.5',
  '-0',
  'nan',
  'on',
  'off',
  'yes',
  'no',
  'true',
  'false',
  '192.0.2.1',
  '192.0.2.1/24',
  '192.0.2.1/33',
  '192.0.2.256',
  '2001:db8::1',
  '2001:db8::1/64',
  'fe80::1%eth0',
  'dev',
  'eth0',
  'lo',
  'label',
  'eth0:1',
  'scope',
  'global',
  'brd',
  'weight',
  'reverse',
  'MASTER',
  'BACKUP',
  'TCP',
  'UDP',
  'SCTP',
  'NAT',
  'DR',
  'TUN',
  'rr',
  'wlc',
  '/bin/true',
  '"/bin/sh -c \'exit 0\'"',
  'root',
  'nobody',
  'no_such_user',
  'group',
  'fwmark',
  'via',
  'table',
  'metric',
  'src',
  'to',
  'from',
  '${X}',
  '$X',
  '$UNDEF',
  '${_PWD}',
  '${_RANDOM}',
  '\u00e9',
  '\u0000',
  '\t',
  'a'.repeat(300),
];

const DIRECTIVES = [
  '$X=1',
  '$X=',
  '$Y=$X $X',
  '$B=vrrp_instance B {\\',
  '}',
  '$B',
  '$R=$R$R',
  '$R',
  '@test',
  '@^test',
  '@other',
  '@',
  '~SEQ(i,1,3) $i',
  '~SEQ(i,3) real_server 10.0.0.$i 80 {',
  '~SEQx(i,0,16,255) $i',
  '~LST(v,a,b,c) $v',
  '~SEQ(i,1,0)',
  '~SEQ(',
  '~LST()',
  'include /etc/keepalived/*.conf',
  'include /etc/keepalived/keepalived.conf',
  'include sub/a.conf',
  'include /nonexistent/*.conf',
  'include',
  'include "x y"',
  '~SEQ(i,1,20000) x',
];

/** Directives, now and then one that expands to a few hundred thousand lines (slow, so rare). */
const directive = fc.oneof(
  { weight: 300, arbitrary: fc.constantFrom(...DIRECTIVES) },
  { weight: 1, arbitrary: fc.constantFrom('~SEQ(i,1,100000) x', '~SEQ(i,1,300) ~SEQ(j,1,300) $i$j') },
);

const word = fc.oneof(fc.constantFrom(...KEYWORDS), fc.constantFrom(...WORDS), fc.string({ maxLength: 6 }));

/** Values as a keyword's syntax reads them, near and beyond their bounds. */
function valueArb(spec: KeywordSpec, depth: number): fc.Arbitrary<string[]> {
  const v = spec.value;
  const junk = fc.array(word, { maxLength: 3 });
  switch (v.kind) {
    case 'flag':
      return fc.oneof(fc.constant<string[]>([]), fc.constantFrom<string[]>(['on'], ['off'], ['maybe']), junk);
    case 'int':
    case 'timer': {
      const edges = [v.min, v.max, v.min - 1, v.max + 1, 0].map(String);
      return fc.oneof(
        fc.constantFrom(...edges).map((s) => [s]),
        fc.double({ min: v.min - 10, max: v.max + 10, noNaN: true }).map((x) => [String(x)]),
        junk,
      );
    }
    case 'enum':
      return fc.oneof(
        fc.constantFrom(...v.values).map((s) => [s]),
        junk,
      );
    case 'block':
      return depth > 0 ? blockArb(v.table(), depth - 1) : fc.constant(['{', '}']);
    case 'lines':
      return fc
        .array(fc.array(word, { minLength: 1, maxLength: 4 }), { maxLength: 4 })
        .map((ls) => ['{', ...ls.map((l) => l.join(' ')), '}']);
    default:
      return fc.oneof(
        junk,
        junk.map((w) => [...w, '{', '}']),
      );
  }
}

/** A block's body: statements of its table (and a few strays), as lines. */
function blockArb(table: BlockTable, depth: number): fc.Arbitrary<string[]> {
  const specs = table.keywords;
  const stmt: fc.Arbitrary<string[]> = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...specs).chain((s) => statementArb(s.keyword, s, depth)) },
    { weight: 1, arbitrary: fc.array(word, { maxLength: 4 }).map((w) => [w.join(' ')]) },
  );
  return fc.array(stmt, { maxLength: depth > 1 ? 8 : 4 }).map((ss) => ['{', ...ss.flat(), '}']);
}

function statementArb(keyword: string, spec: KeywordSpec | null, depth: number): fc.Arbitrary<string[]> {
  const named = NAMED_BLOCKS[keyword];
  if (named && depth > 0) {
    const args = named.arg
      ? fc.oneof(fc.constantFrom('VI_1', '192.0.2.1 80', 'fwmark 1', 'group G', '10.0.0.1 443'), word)
      : fc.constant('');
    return fc
      .tuple(args, blockArb(named.table, depth - 1))
      .map(([a, body]) => [`${keyword} ${a} ${body[0]}`, ...body.slice(1)]);
  }
  if (!spec) return fc.constant([keyword]);
  return valueArb(spec, depth).map((vals) => {
    const i = vals.indexOf('{');
    if (i < 0) return [`${keyword} ${vals.join(' ')}`];
    return [`${keyword} ${vals.slice(0, i + 1).join(' ')}`, ...vals.slice(i + 1)];
  });
}

const grammarConfig = fc
  .array(
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(...Object.keys(NAMED_BLOCKS)).chain((k) => statementArb(k, null, 3)),
      },
      { weight: 1, arbitrary: directive.map((d) => [d]) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(...rootTable.keywords).chain((s) => statementArb(s.keyword, s, 1)),
      },
    ),
    { maxLength: 6 },
  )
  .map((blocks) => blocks.flat().join('\n'));

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), word: fc.constant('') }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), word: fc.constant('') }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), word: fc.oneof(word, directive) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), word: fc.constant('') }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), word }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), word: fc.constant('') }),
);

function mutate(sample: string, muts: readonly { kind: string; at: number; word: string }[]): string {
  let lines = sample.split('\n');
  for (const m of muts) {
    const i = lines.length === 0 ? 0 : m.at % lines.length;
    if (m.kind === 'delete') lines.splice(i, 1);
    else if (m.kind === 'duplicate') lines.splice(i, 0, lines[i] ?? '');
    else if (m.kind === 'insert') lines.splice(i, 0, m.word);
    else if (m.kind === 'truncate') lines = lines.slice(0, i);
    else if (m.kind === 'swap') [lines[0], lines[i]] = [lines[i] ?? '', lines[0] ?? ''];
    else {
      const words = (lines[i] ?? '').trim().split(/\s+/);
      words[m.at % Math.max(1, words.length)] = m.word;
      lines[i] = words.join(' ');
    }
  }
  return lines.join('\n');
}

/** Extra files for include directives, one of them including the main file (a cycle). */
const files = (main: string, extra: string): Record<string, string> => ({
  [MAIN]: main,
  '/etc/keepalived/extra.conf': extra,
  '/etc/keepalived/sub/a.conf': 'include ../keepalived.conf\nglobal_defs {\n router_id SUB\n}\n',
});

function checkDiagnostics(diags: readonly Diagnostic[]): void {
  for (const d of diags) {
    expect(d.loc, JSON.stringify(d)).not.toBeNull();
    expect(d.loc!.line).toBeGreaterThanOrEqual(1);
    expect(d.code).not.toBe('internal-error');
  }
  // capDiagnostics: at most 100 of a code plus one summary line each.
  const byCode = new Map<string, number>();
  for (const d of diags) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);
  for (const n of byCode.values()) expect(n).toBeLessThanOrEqual(101);
}

function frontEnd(main: string, extra = ''): void {
  const fs = memoryFs(files(main, extra));
  const parsed = parseConfigFiles(MAIN, { configId: 'test', fs, env: {} });
  checkDiagnostics(parsed.diagnostics);
  const built = buildConfig(parsed.statements, parsed.files);
  // The schema's own list is capped by loadConfig together with the parser's, as here.
  checkDiagnostics(capDiagnostics([...parsed.diagnostics, ...built.diagnostics]));
}

describe('fuzz: config front end', () => {
  it('lexer: decomment and tokenizeLine on random lines', () => {
    const line = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(fc.oneof(word, directive), { maxLength: 10 }).map((w) => w.join(' ')),
    );
    fuzz(
      'fuzz-config-lexer',
      [line],
      (l) => {
        const d = decomment(l);
        expect(d.length).toBeLessThanOrEqual(l.length + 1);
        const t = tokenizeLine(d);
        // Tokens come from the line: never more of them than characters.
        expect(t.tokens.length).toBeLessThanOrEqual(d.length);
        for (const tok of t.tokens) expect(tok.text.length).toBeLessThanOrEqual(d.length);
      },
      { runs: 50_000, seed: 1 },
    );
  });

  it('preprocessor: directives, definitions and sequences', () => {
    const lines = fc.array(fc.oneof(directive, word), { maxLength: 20 });
    fuzz(
      'fuzz-config-preprocessor',
      [lines],
      (ls) => {
        const pre = new Preprocessor({ configId: 'test', env: {}, random: () => 0.5, pwd: () => '/etc' });
        let out = 0;
        ls.forEach((l, i) => pre.process(decomment(l), MAIN, i + 1, () => void out++));
        pre.finish({ file: MAIN, line: ls.length + 1 });
        expect(out).toBeLessThanOrEqual(ls.length * 2_000_000);
        expect(pre.diagnostics.every((d) => d.loc === null || d.loc.line >= 1)).toBe(true);
      },
      { runs: 4_000, seed: 2 },
    );
  });

  it('random text through parse + schema', () => {
    fuzz(
      'fuzz-config-random-text',
      [fc.string({ unit: 'binary', maxLength: 600 })],
      (text) => frontEnd(text),
      { runs: 20_000, seed: 3 },
    );
  });

  it('grammar-aware configs from the keyword tables', () => {
    fuzz(
      'fuzz-config-grammar',
      [grammarConfig, grammarConfig],
      (main, extra) => frontEnd(`${main}\ninclude /etc/keepalived/extra.conf\n`, extra),
      { runs: 1_500, seed: 4 },
    );
  });

  it('mutated conf/ samples with the keyword dictionary', () => {
    fuzz(
      'fuzz-config-mutated-samples',
      [fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 10 })],
      (sample, muts) => frontEnd(mutate(sample, muts)),
      { runs: 2_000, seed: 5 },
    );
  });

  it('loadConfig (parse, schema, host checks) on mutated samples and generated configs', async () => {
    await fuzzAsync(
      'fuzz-config-load',
      [
        fc.oneof(
          fc
            .tuple(fc.constantFrom(...SAMPLES), fc.array(mutation, { maxLength: 6 }))
            .map(([s, m]) => mutate(s, m)),
          grammarConfig,
        ),
      ],
      async (text) => {
        const r = await loadConfig(MAIN, {
          configId: 'test',
          checkInterfaces: true,
          interfaceNames: ['lo', 'eth0'],
          fs: memoryFs(files(text, '')),
          host: { scriptStatus: () => 'ok', userExists: (u) => u === 'root' },
        });
        expect([0, 4, 5, 6]).toContain(r.exitCode);
        for (const d of r.diagnostics) expect(d.code).not.toBe('internal-error');
        if (r.exitCode !== 4) expect(r.config).not.toBeNull();
      },
      { runs: 800, seed: 6 },
    );
  });
});
