// Tier gating. Outside CI a tier whose prerequisites are missing is skipped with the reason;
// under CI=true it fails instead, because a skipped tier must never pass for a green run.
import { describe } from 'vitest';

export function inCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
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
