/**
 * The fuzz tier: fast-check properties run many times over structure-aware inputs (a
 * coverage-guided fuzzer does not install on Debian 12: Jazzer.js needs glibc 2.38).
 *
 * Knobs (environment):
 * - FUZZ_RUNS: runs per harness (overrides each harness's CI default, sized so the whole tier
 *   takes about a minute on 2 cores).
 * - FUZZ_SECONDS: a time budget per harness; the run stops there (not a failure) or at FUZZ_RUNS.
 * - FUZZ_SEED: the seed (default: each harness's fixed seed, so CI runs are reproducible).
 *
 * Every input is timed: one call above PER_INPUT_MS fails as a hang. Failing inputs go to
 * test/fixtures/property-corpus/<name>.json (checkProperty) and are replayed on every run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import {
  PROPERTY_CORPUS_DIR,
  checkProperty,
  decodeCorpusValue,
  encodeCorpusValue,
  type CorpusEntry,
} from '../support/property.js';

export const PER_INPUT_MS = Number(process.env.FUZZ_INPUT_MS ?? 1000);

const envInt = (name: string): number | null => {
  const v = process.env[name];
  if (v === undefined || v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${v} is not a positive number`);
  return n;
};

export interface FuzzOptions {
  /** Runs in CI (no FUZZ_RUNS/FUZZ_SECONDS). */
  readonly runs: number;
  readonly seed: number;
}

function params(o: FuzzOptions): { numRuns: number; seed: number; interruptAfterTimeLimit?: number } {
  const seconds = envInt('FUZZ_SECONDS');
  const runs = envInt('FUZZ_RUNS') ?? (seconds !== null ? Number.MAX_SAFE_INTEGER : o.runs);
  const seed = envInt('FUZZ_SEED') ?? o.seed;
  return {
    numRuns: runs,
    seed,
    ...(seconds !== null ? { interruptAfterTimeLimit: seconds * 1000 } : {}),
  };
}

function report(name: string, execs: number, ms: number, slowest: number): void {
  const rate = ms > 0 ? Math.round((execs / ms) * 1000) : 0;
  console.log(
    `fuzz ${name}: ${execs} executions in ${(ms / 1000).toFixed(1)} s (${rate}/s, slowest input ${slowest.toFixed(1)} ms)`,
  );
}

function tooSlow(ms: number): Error {
  return new Error(`one input took ${ms.toFixed(0)} ms (bound ${PER_INPUT_MS} ms): a hang`);
}

/** `checkProperty` with the tier's run counts, a time bound per input and an executions line. */
export function fuzz<Ts extends [unknown, ...unknown[]]>(
  name: string,
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (...args: Ts) => void,
  options: FuzzOptions,
): void {
  let execs = 0;
  let slowest = 0;
  const start = performance.now();
  try {
    checkProperty<Ts>(
      name,
      arbitraries,
      (...args) => {
        execs++;
        const t = performance.now();
        predicate(...args);
        const ms = performance.now() - t;
        if (ms > slowest) slowest = ms;
        if (ms > PER_INPUT_MS) throw tooSlow(ms);
      },
      params(options),
    );
  } finally {
    report(name, execs, performance.now() - start, slowest);
  }
}

/**
 * The async form (loopback sockets, loadConfig): the same corpus file format and replay as
 * checkProperty, over fc.asyncProperty.
 */
export async function fuzzAsync<Ts extends [unknown, ...unknown[]]>(
  name: string,
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (...args: Ts) => Promise<void>,
  options: FuzzOptions,
): Promise<void> {
  const file = join(PROPERTY_CORPUS_DIR, `${name}.json`);
  const shown = relative(join(PROPERTY_CORPUS_DIR, '..', '..', '..'), file);
  if (!existsSync(file))
    throw new Error(`no property corpus ${file}: create it containing [] (and commit it)`);
  const corpus = JSON.parse(readFileSync(file, 'utf8')) as CorpusEntry[];
  let execs = 0;
  let slowest = 0;
  const timed = async (...args: Ts): Promise<void> => {
    execs++;
    const t = performance.now();
    await predicate(...args);
    const ms = performance.now() - t;
    if (ms > slowest) slowest = ms;
    if (ms > PER_INPUT_MS) throw tooSlow(ms);
  };
  const start = performance.now();
  try {
    for (const [i, entry] of corpus.entries()) {
      const input = decodeCorpusValue(entry.input) as Ts;
      try {
        await timed(...input);
      } catch (e) {
        throw new Error(`property "${name}": stored counterexample #${i} of ${shown} fails again`, {
          cause: e,
        });
      }
    }
    const property = fc.asyncProperty(...arbitraries, timed);
    const details = await fc.check(property as fc.IAsyncProperty<Ts>, params(options));
    if (!details.failed) return;
    if (details.counterexample !== null) {
      const input = encodeCorpusValue(details.counterexample);
      if (!corpus.some((e) => JSON.stringify(e.input) === JSON.stringify(input))) {
        const entry: CorpusEntry = { seed: details.seed, path: details.counterexamplePath, input };
        writeFileSync(file, JSON.stringify([...corpus, entry], null, 2) + '\n');
        console.error(`property "${name}": counterexample appended to ${shown}: commit it with the fix`);
      }
    }
    throw new Error(fc.defaultReportMessage(details) ?? `property "${name}" failed`, {
      cause: details.errorInstance ?? undefined,
    });
  } finally {
    report(name, execs, performance.now() - start, slowest);
  }
}

/** Byte-level mutations of a seed input (flip, set, insert, delete, truncate, splice). */
export function mutatedBytes(seeds: readonly Uint8Array[], maxOps = 8): fc.Arbitrary<Buffer> {
  const op = fc.oneof(
    fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.nat(255) }),
    fc.record({ k: fc.constant('flip' as const), at: fc.nat(), v: fc.nat(7) }),
    fc.record({
      k: fc.constant('ins' as const),
      at: fc.nat(),
      v: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
    fc.record({ k: fc.constant('del' as const), at: fc.nat(), v: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ k: fc.constant('cut' as const), at: fc.nat(), v: fc.constant(0) }),
  );
  return fc.tuple(fc.constantFrom(...seeds), fc.array(op, { maxLength: maxOps })).map(([seed, ops]) => {
    let b = Buffer.from(seed);
    for (const o of ops) {
      const at = b.length === 0 ? 0 : o.at % (b.length + 1);
      if (o.k === 'set' && at < b.length) b[at] = o.v;
      else if (o.k === 'flip' && at < b.length) b[at]! ^= 1 << o.v;
      else if (o.k === 'ins') b = Buffer.concat([b.subarray(0, at), Buffer.from(o.v), b.subarray(at)]);
      else if (o.k === 'del') b = Buffer.concat([b.subarray(0, at), b.subarray(at + o.v)]);
      else if (o.k === 'cut') b = b.subarray(0, at);
    }
    return b;
  });
}
