// The property-test helper (test/support/property.ts): the corpus value codec, replay of stored
// counterexamples, and recording of new ones.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  checkProperty,
  decodeCorpusValue,
  encodeCorpusValue,
  PROPERTY_CORPUS_DIR,
  type CorpusEntry,
} from '../../support/property.js';

const roundTrip = (v: unknown): unknown =>
  decodeCorpusValue(JSON.parse(JSON.stringify(encodeCorpusValue(v))));

describe('corpus value codec', () => {
  it('stores bytes as hex and tags what JSON cannot carry', () => {
    expect(encodeCorpusValue([Buffer.from([0xca, 0xfe]), new Uint8Array([1, 2])])).toEqual([
      { $buffer: 'cafe' },
      { $uint8array: '0102' },
    ]);
    expect(encodeCorpusValue({ a: undefined, n: NaN, z: -0, big: 10n })).toEqual({
      a: { $undefined: true },
      n: { $number: 'NaN' },
      z: { $number: '-0' },
      big: { $bigint: '10' },
    });
    expect(encodeCorpusValue({ $set: 1 })).toEqual({ $object: { $set: 1 } });
  });

  it('reads back what it stored, with the same types', () => {
    const value = {
      buf: Buffer.from('0011', 'hex'),
      bytes: new Uint8Array([9]),
      map: new Map<string, unknown>([['k', new Set([1, 2])]]),
      inf: -Infinity,
      zero: -0,
      when: new Date(0),
      lone: { $buffer: 'not a tag' },
    };
    const back = roundTrip(value) as typeof value;
    expect(back).toEqual(value);
    expect(Buffer.isBuffer(back.buf)).toBe(true);
    expect(Buffer.isBuffer(back.bytes)).toBe(false);
    expect(Object.is(back.zero, -0)).toBe(true);
  });

  it('refuses values it could not read back', () => {
    expect(() => encodeCorpusValue(() => 1)).toThrow(/cannot store a function/);
    expect(() => encodeCorpusValue(new (class Point {})())).toThrow(/cannot store a Point instance/);
  });

  it('round-trips generated values', () => {
    checkProperty(
      'property-corpus-codec',
      [fc.anything({ withBigInt: true, withMap: true, withSet: true, withBoxedValues: false })],
      (v) => {
        expect(roundTrip(v)).toStrictEqual(v);
      },
      { numRuns: 300 },
    );
  });
});

describe('checkProperty', () => {
  let dir = '';
  let errors: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kts-prop-'));
    errors = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });
  const corpus = (name: string): CorpusEntry[] =>
    JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as CorpusEntry[];

  it('needs the corpus file to exist, and a file-safe name', () => {
    expect(() => checkProperty('absent', [fc.nat()], () => true, { corpusDir: dir })).toThrow(
      /no property corpus .*absent\.json: create it containing \[\]/,
    );
    expect(() => checkProperty('Bad Name', [fc.nat()], () => true, { corpusDir: dir })).toThrow(
      /must be lower-case words/,
    );
  });

  it('records a new failure with its seed and path, prints them, and replays it on the next run', () => {
    writeFileSync(join(dir, 'small.json'), '[]\n');
    const below = (n: number, b: Buffer): boolean => n < 100 || b.length > 100;
    const arbs = [fc.nat(1000), fc.uint8Array({ maxLength: 3 }).map((u) => Buffer.from(u))] as const;
    expect(() => checkProperty('small', [...arbs], below, { corpusDir: dir, seed: 42 })).toThrow(
      /Property failed after \d+ tests\n\{ seed: 42, path: "[^"]+", endOnFailure: true \}/,
    );
    const stored = corpus('small');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ seed: 42, input: [100, { $buffer: '' }] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^property "small" failed: seed 42, path "[^"]+"; counterexample appended to .*small\.json: commit it with the fix$/,
    );

    // Next run: the stored input fails first, whatever the random run would find.
    expect(() => checkProperty('small', [...arbs], below, { corpusDir: dir, seed: 1, numRuns: 1 })).toThrow(
      /stored counterexample #0 of .*small\.json \(seed 42, path "[^"]+"\) fails again: \[100,Buffer\.from\(\[\]\)\]/,
    );
    // Once the predicate holds for it, it passes and the corpus stays as it is.
    checkProperty('small', [...arbs], () => true, { corpusDir: dir });
    expect(corpus('small')).toEqual(stored);
  });

  it('does not store the same counterexample twice', () => {
    writeFileSync(join(dir, 'same.json'), '[]\n');
    const run = (): void => checkProperty('same', [fc.constant(7)], (n) => n !== 7, { corpusDir: dir });
    expect(run).toThrow(/Property failed/);
    // Replay fails before the random run can find it again.
    expect(run).toThrow(/stored counterexample #0/);
    expect(corpus('same')).toHaveLength(1);
  });

  it('skips a stored input that no longer meets an fc.pre precondition', () => {
    writeFileSync(
      join(dir, 'pre.json'),
      JSON.stringify([{ seed: 1, path: '0', input: [3] }] satisfies CorpusEntry[]),
    );
    checkProperty(
      'pre',
      [fc.nat()],
      (n) => {
        fc.pre(n !== 3);
        return n !== 3;
      },
      { corpusDir: dir },
    );
  });
});

describe('the property tests of the repository', () => {
  const testRoot = join(import.meta.dirname, '..', '..');
  // The helper and this file (whose corpora are temporary, but for the codec's) are not scanned.
  const helperFiles = new Set([join(testRoot, 'support', 'property.ts'), import.meta.filename]);
  const files = readdirSync(testRoot, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(testRoot, f))
    .filter((f) => !helperFiles.has(f));

  it('all go through checkProperty (or the fuzz tier wrappers), each under its own name, each with a committed corpus', () => {
    const names = ['property-corpus-codec'];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text.includes('fc.assert('), `${relative(testRoot, file)} calls fc.assert`).toBe(false);
      // The fuzz tier's wrappers (test/fuzz/support.ts) take the corpus name as checkProperty does.
      for (const m of text.matchAll(/\b(?:checkProperty|fuzz|fuzzAsync)\(\s*'([^']+)'/g)) names.push(m[1]!);
    }
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    const corpora = readdirSync(PROPERTY_CORPUS_DIR).map((f) => f.replace(/\.json$/, ''));
    expect(corpora.sort()).toEqual(names.sort());
  });
});
