/**
 * FILE_CHECK: reads the tracked file's integer (keepalived track_file). With weight 0 a value
 * of 0 is up and anything else down; with a weight the server stays up and its weight moves by
 * value x weight (negated with `reverse`), down only at IPVS_WEIGHT_FAULT (check_file.c).
 */
import { readFile } from 'node:fs/promises';
import type { FileCheck } from '../config/model.js';
import { parseTrackFileValue } from '../util/track-file.js';
import { down, up, type AttemptContext, type CheckResult } from './checker.js';

const IPVS_WEIGHT_FAULT = -(2 ** 31);

/** The last value each FILE_CHECK accepted: a refused (out-of-range) number keeps it, as keepalived. */
const lastAccepted = new WeakMap<FileCheck, number>();

export function fileCheckVerdict(checker: FileCheck, value: number, configuredWeight: number): CheckResult {
  if (checker.weight === 0) return value === 0 ? up() : down('tracked file', `has status ${value}`);
  const offset = value * checker.weight * (checker.weightReverse ? -1 : 1);
  if (offset <= IPVS_WEIGHT_FAULT) return down('tracked file', `has status ${value}`);
  return up([], configuredWeight + offset);
}

export async function fileAttempt(checker: FileCheck, ctx: AttemptContext): Promise<CheckResult> {
  const path = ctx.io.trackFilePath(checker.trackFile);
  if (path === null) return down('tracked file', 'undefined');
  let text: string | null = null;
  try {
    text = await readFile(path, { encoding: 'utf8', signal: ctx.signal });
  } catch {
    text = null;
  }
  const parsed = parseTrackFileValue(text);
  if (parsed.ok) lastAccepted.set(checker, parsed.value);
  const value = parsed.ok ? parsed.value : (lastAccepted.get(checker) ?? 0);
  return fileCheckVerdict(checker, value, ctx.configuredWeight);
}
