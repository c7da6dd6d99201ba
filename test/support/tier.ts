// Tier gating. Outside CI a tier whose prerequisites are missing is skipped with the reason;
// under CI=true it fails instead, because a skipped tier must never pass for a green run.
import { describe, it } from 'vitest';
import { isRoot } from './netns.js';

export function inCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/** `['root']` when the process is not root, else nothing: the prerequisite list of a privileged test. */
export function rootMissing(): string[] {
  return isRoot() ? [] : ['root'];
}

/**
 * Returns `describe` when `missing` is empty, otherwise `describe.skip` (local runs) or
 * throws (CI), naming what is missing.
 */
export function tierDescribe(tier: string, missing: string[]): typeof describe {
  if (missing.length === 0) return describe;
  const reason = `${tier} tier prerequisites missing: ${missing.join(', ')}`;
  if (inCi()) throw new Error(`${reason} (CI=true forbids skipping a tier)`);
  console.warn(`skipping ${reason}`);
  return describe.skip as typeof describe;
}

export type TierTest = (name: string, fn: () => unknown, timeout?: number) => void;

/**
 * The single-test form of `tierDescribe`, for a test that needs more than the rest of its file
 * (root, a tool): `it` when `missing` is empty, otherwise a visible skip (local runs) or, under
 * CI, a test of the same name that fails naming what is missing, so the file's other tests
 * still run and report. Never return early from a test instead: that passes having asserted nothing.
 */
export function tierIt(tier: string, missing: string[]): TierTest {
  if (missing.length === 0) return (name, fn, timeout) => it(name, fn, timeout);
  const reason = `${tier} prerequisites missing: ${missing.join(', ')}`;
  if (inCi()) {
    return (name) =>
      it(name, () => {
        throw new Error(`${reason} (CI=true forbids skipping a test)`);
      });
  }
  return (name, fn, timeout) => {
    console.warn(`skipping "${name}": ${reason}`);
    it.skip(name, fn, timeout);
  };
}
