/**
 * FILE_CHECK: reads the tracked file's integer (keepalived track_file). With weight 0 a value
 * of 0 is up and anything else down; with a weight the server stays up and its weight moves by
 * value x weight (negated with `reverse`), down only at IPVS_WEIGHT_FAULT (check_file.c).
 * The pool acts on each change of the file as it is seen (keepalived's inotify watch on the
 * file's directory, track_file.c), not on delay_loop.
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

/**
 * The verdict for the file's text (null: unreadable or absent, which reads as 0). A refused
 * number keeps the last accepted value; `refused` carries it for keepalived's line.
 */
export function fileTextResult(
  checker: FileCheck,
  text: string | null,
  configuredWeight: number,
): { readonly result: CheckResult; readonly refused: string | null } {
  const parsed = parseTrackFileValue(text);
  if (parsed.ok) lastAccepted.set(checker, parsed.value);
  const value = parsed.ok ? parsed.value : (lastAccepted.get(checker) ?? 0);
  return {
    result: fileCheckVerdict(checker, value, configuredWeight),
    refused: parsed.ok ? null : parsed.error,
  };
}

/** One read of the file: the polled form, for a pool given no file watcher. */
export async function fileAttempt(checker: FileCheck, ctx: AttemptContext): Promise<CheckResult> {
  const path = ctx.io.trackFilePath(checker.trackFile);
  if (path === null) return down('tracked file', 'undefined');
  let text: string | null = null;
  try {
    text = await readFile(path, { encoding: 'utf8', signal: ctx.signal });
  } catch {
    text = null;
  }
  return fileTextResult(checker, text, ctx.configuredWeight).result;
}
