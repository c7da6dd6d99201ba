/**
 * Property tests with a memory. `checkProperty(name, [arbitraries], predicate, params)` is
 * `fc.assert(fc.property(...arbitraries, predicate), params)` plus a corpus of inputs that once
 * failed, kept in test/fixtures/property-corpus/<name>.json (committed):
 *
 * - Before the random run, every stored input is replayed through the predicate; one that fails
 *   again fails the test, naming its corpus entry.
 * - When the random run fails, the seed and path are printed (replay them with
 *   `fc.assert(property, { seed, path, endOnFailure: true })`) and the shrunk counterexample is
 *   appended to the corpus file, so it is replayed on every later run: commit the file with the fix.
 *
 * Inputs are stored as JSON; Buffers and Uint8Arrays as hex, and Map, Set, bigint, undefined,
 * non-finite numbers, -0 and Date under one-key `{"$tag": ...}` wrappers (`encodeCorpusValue`). The corpus
 * file must exist (an empty array to start with), so a renamed property cannot silently drop its
 * corpus.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc, { PreconditionFailure } from 'fast-check';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PROPERTY_CORPUS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'property-corpus');

/** One stored counterexample: the encoded argument tuple and where the random run found it. */
export interface CorpusEntry {
  readonly seed: number | null;
  readonly path: string | null;
  readonly input: unknown;
}

export type PropertyParams<Ts> = fc.Parameters<Ts> & {
  /** Where the corpus files are; the repository's test/fixtures/property-corpus by default. */
  readonly corpusDir?: string;
};

type Tagged =
  | { $buffer: string }
  | { $uint8array: string }
  | { $map: unknown[] }
  | { $set: unknown[] }
  | { $bigint: string }
  | { $undefined: true }
  | { $number: 'NaN' | 'Infinity' | '-Infinity' | '-0' }
  | { $date: string }
  | { $object: Record<string, unknown> };

/** A value of the shapes fast-check generates, as JSON (throws on what JSON cannot carry back). */
export function encodeCorpusValue(value: unknown): unknown {
  if (value === undefined) return { $undefined: true } satisfies Tagged;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $number: 'NaN' } satisfies Tagged;
    if (value === Infinity) return { $number: 'Infinity' } satisfies Tagged;
    if (value === -Infinity) return { $number: '-Infinity' } satisfies Tagged;
    if (Object.is(value, -0)) return { $number: '-0' } satisfies Tagged;
    return value;
  }
  if (typeof value === 'bigint') return { $bigint: value.toString() } satisfies Tagged;
  if (Buffer.isBuffer(value)) return { $buffer: value.toString('hex') } satisfies Tagged;
  if (value instanceof Uint8Array)
    return { $uint8array: Buffer.from(value).toString('hex') } satisfies Tagged;
  if (value instanceof Map)
    return {
      $map: [...value].map(([k, v]) => [encodeCorpusValue(k), encodeCorpusValue(v)]),
    } satisfies Tagged;
  if (value instanceof Set) return { $set: [...value].map(encodeCorpusValue) } satisfies Tagged;
  if (value instanceof Date) return { $date: value.toISOString() } satisfies Tagged;
  if (Array.isArray(value)) return value.map(encodeCorpusValue);
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new Error(`cannot store a ${value.constructor?.name ?? 'class'} instance in a property corpus`);
    }
    const entries = Object.entries(value);
    const out = Object.fromEntries(entries.map(([k, v]) => [k, encodeCorpusValue(v)]));
    // A lone `$key` would read back as a tag: wrap such an object.
    return entries.length === 1 && entries[0]![0].startsWith('$') ? ({ $object: out } satisfies Tagged) : out;
  }
  throw new Error(`cannot store a ${typeof value} in a property corpus`);
}

/** The inverse of `encodeCorpusValue`. */
export function decodeCorpusValue(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(decodeCorpusValue);
  if (json === null || typeof json !== 'object') return json;
  const o = json as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0]!.startsWith('$')) {
    const t = o as Tagged;
    if ('$buffer' in t) return Buffer.from(t.$buffer, 'hex');
    if ('$uint8array' in t) return new Uint8Array(Buffer.from(t.$uint8array, 'hex'));
    if ('$map' in t)
      return new Map(
        t.$map.map((pair) => {
          const [k, v] = pair as [unknown, unknown];
          return [decodeCorpusValue(k), decodeCorpusValue(v)];
        }),
      );
    if ('$set' in t) return new Set(t.$set.map(decodeCorpusValue));
    if ('$bigint' in t) return BigInt(t.$bigint);
    if ('$undefined' in t) return undefined;
    if ('$number' in t) return t.$number === '-0' ? -0 : Number(t.$number);
    if ('$date' in t) return new Date(t.$date);
    if ('$object' in t) return decodeEntries(t.$object);
  }
  return decodeEntries(o);
}

function decodeEntries(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decodeCorpusValue(v)]));
}

function corpusPath(name: string, dir: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(`property name "${name}" must be lower-case words joined by '-' (it names a file)`);
  }
  return join(dir, `${name}.json`);
}

function readCorpus(file: string): CorpusEntry[] {
  if (!existsSync(file)) {
    throw new Error(`no property corpus ${file}: create it containing [] (and commit it)`);
  }
  const entries = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(entries)) throw new Error(`property corpus ${file} must hold a JSON array`);
  return entries as CorpusEntry[];
}

function describeFailure(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * `fc.assert(fc.property(...arbitraries, predicate), params)` that first replays the corpus
 * `name` and, on a new failure, records it there (see the comment at the top of this file).
 */
export function checkProperty<Ts extends [unknown, ...unknown[]]>(
  name: string,
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (...args: Ts) => boolean | void,
  params: PropertyParams<Ts> = {},
): void {
  const { corpusDir = PROPERTY_CORPUS_DIR, ...fcParams } = params;
  const file = corpusPath(name, corpusDir);
  const shown = relative(REPO_ROOT, file);
  const corpus = readCorpus(file);
  const property = fc.property(...arbitraries, predicate) as fc.IPropertyWithHooks<Ts>;

  corpus.forEach((entry, i) => {
    const input = decodeCorpusValue(entry.input) as Ts;
    property.runBeforeEach();
    let outcome: ReturnType<typeof property.run>;
    try {
      outcome = property.run(input);
    } finally {
      property.runAfterEach();
    }
    if (outcome === null || PreconditionFailure.isFailure(outcome)) return;
    throw new Error(
      `property "${name}": stored counterexample #${i} of ${shown} (seed ${entry.seed}, path ` +
        `"${entry.path}") fails again: ${fc.stringify(input)}\n${describeFailure(outcome.error)}`,
      { cause: outcome.error },
    );
  });

  const details = fc.check(property, fcParams);
  if (!details.failed) return;
  const report = fc.defaultReportMessage(details) ?? `property "${name}" failed`;
  if (details.counterexample !== null) {
    let note: string;
    try {
      const input = encodeCorpusValue(details.counterexample);
      const known = corpus.some((e) => JSON.stringify(e.input) === JSON.stringify(input));
      if (!known) {
        const entry: CorpusEntry = { seed: details.seed, path: details.counterexamplePath, input };
        writeFileSync(file, JSON.stringify([...corpus, entry], null, 2) + '\n');
      }
      note = known ? `already in ${shown}` : `counterexample appended to ${shown}: commit it with the fix`;
    } catch (e) {
      note = `counterexample not stored (${(e as Error).message})`;
    }
    console.error(
      `property "${name}" failed: seed ${details.seed}, path "${details.counterexamplePath}"; ${note}`,
    );
  }
  throw new Error(report, { cause: details.errorInstance ?? undefined });
}
