/**
 * MISC_CHECK: runs misc_path (no shell) as its user or script_user, bounded by misc_timeout.
 * Exit 0 is up and 1 down; with misc_dynamic an exit of 2..255 is up with weight exit - 2
 * (check_misc.c). A signal or a timeout is a failure.
 */
import type { MiscCheck } from '../config/model.js';
import { down, up, type AttemptContext, type CheckResult } from './checker.js';

export async function miscAttempt(checker: MiscCheck, ctx: AttemptContext): Promise<CheckResult> {
  const who = ctx.io.resolveScriptUser(checker.miscPath.user, checker.miscPath.group);
  if ('error' in who) return down('failed', `(${who.error})`);
  const outcome = await ctx.io.runScript({
    argv: checker.miscPath.argv,
    uid: who.uid,
    gid: who.gid,
    timeoutMs: Math.round(checker.miscTimeout * 1000),
  });
  switch (outcome.kind) {
    case 'exited':
      if (outcome.code === 0) return up();
      if (checker.miscDynamic && outcome.code >= 2 && outcome.code <= 255) return up([], outcome.code - 2);
      return down('failed', `(exited with status ${outcome.code})`);
    case 'signaled':
      return down('failed', `(due to signal ${outcome.signal})`);
    case 'timeout':
      return down('timed out');
    case 'spawn-error':
      return down('failed', `(${outcome.message})`);
  }
}
