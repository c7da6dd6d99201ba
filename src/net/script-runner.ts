/**
 * EDGE: runs configured scripts (vrrp_script, notify_*) as their `user [group]`, or as the
 * global `script_user` (keepalived_script, else root with a warning), through net/exec.ts.
 * Satisfies vrrp/ports.ts `ScriptRunner` structurally.
 */
import type { ScriptOutcome } from '../contracts/script.js';
import { resolveScriptUser, runScript } from './exec.js';

/** `script_user USER [GROUP]` of global_defs. */
export interface ScriptUserSetting {
  readonly user: string;
  readonly group: string | null;
}

/** The parts of a configured script this runner reads. */
export interface ScriptCommand {
  readonly argv: readonly string[];
  readonly user: string | null;
  readonly group: string | null;
}

export class UserScriptRunner {
  /** `scriptUser` is read at every run, so a reload's new script_user applies at once. */
  constructor(private readonly scriptUser: () => ScriptUserSetting | null) {}

  async run(spec: ScriptCommand, extraArgs: readonly string[], timeoutMs: number): Promise<ScriptOutcome> {
    const global = this.scriptUser();
    const user = spec.user ?? global?.user ?? null;
    const group = spec.user !== null ? spec.group : (global?.group ?? null);
    const who = resolveScriptUser(user, group);
    if (!who.ok) return { kind: 'spawn-error', message: who.error };
    return runScript({
      argv: [...spec.argv, ...extraArgs],
      uid: who.value.identity.uid,
      gid: who.value.identity.gid,
      timeoutMs,
    });
  }

  /** keepalived's warning when the default script user is missing, if it is. */
  warnings(): string[] {
    const global = this.scriptUser();
    const who = resolveScriptUser(global?.user ?? null, global?.group ?? null);
    return who.ok && who.value.warning !== null ? [who.value.warning] : [];
  }
}
