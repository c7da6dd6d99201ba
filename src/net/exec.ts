/**
 * EDGE: the one script runner (MISC_CHECK, notify_up/down, quorum_up/down, vrrp_script,
 * notify_master/backup/...). Spawns argv directly (no shell), in its own process group so a
 * timeout can kill the whole tree, and never blocks the event loop: the caller gets a Promise
 * that settles when the child has gone.
 *
 * keepalived runs scripts as `script_user` (default `keepalived_script`, else root) and on a
 * timeout sends SIGTERM, then SIGKILL (docs/behaviour.md §2.5).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ScriptOutcome } from '../contracts/script.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';
import { ok, err, type Result } from '../util/result.js';

export interface RunScriptOptions {
  /** argv[0] is the program (a path, or a name looked up in PATH); no shell is involved. */
  readonly argv: readonly string[];
  readonly uid?: number;
  readonly gid?: number;
  /** After this the process group gets SIGTERM, then SIGKILL `killGraceMs` later. */
  readonly timeoutMs: number;
  /** Replaces the environment when given (keepalived passes its own environment). */
  readonly env?: Readonly<Record<string, string>>;
  /** Time between SIGTERM and SIGKILL on timeout; default 1000 ms. */
  readonly killGraceMs?: number;
  /** Timer source; default the real clock. */
  readonly clock?: Clock;
  /**
   * Ends the script early as a timeout does (SIGTERM to its group, SIGKILL `killGraceMs` later):
   * keepalived terminates every script when it stops or reloads (lib/notify.c script_killall).
   */
  readonly signal?: AbortSignal;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs one script. Settles with how it ended; never rejects. On timeout the result is
 * `{kind:'timeout'}` once the child has been reaped (after TERM, or KILL if TERM is ignored).
 */
export function runScript(options: RunScriptOptions): Promise<ScriptOutcome> {
  const clock = options.clock ?? realClock;
  const graceMs = options.killGraceMs ?? 1000;
  return new Promise<ScriptOutcome>((resolve) => {
    const [program, ...args] = options.argv;
    if (program === undefined || program === '') {
      resolve({ kind: 'spawn-error', message: 'empty command' });
      return;
    }
    let settled = false;
    let timedOut = false;
    let timeoutTimer: TimerHandle | null = null;
    let killTimer: TimerHandle | null = null;
    const finish = (outcome: ScriptOutcome): void => {
      if (settled) return;
      settled = true;
      timeoutTimer?.cancel();
      killTimer?.cancel();
      resolve(outcome);
    };
    let child;
    try {
      child = spawn(program, args, {
        stdio: 'ignore',
        detached: true, // own process group: the timeout kills grandchildren too
        ...(options.uid !== undefined ? { uid: options.uid } : {}),
        ...(options.gid !== undefined ? { gid: options.gid } : {}),
        ...(options.env !== undefined ? { env: { ...options.env } } : {}),
      });
    } catch (e) {
      finish({ kind: 'spawn-error', message: e instanceof Error ? e.message : String(e) });
      return;
    }
    child.on('error', (e) => {
      // ENOENT/EACCES arrive here with no pid; with a pid, 'exit' reports the end.
      if (child.pid === undefined) finish({ kind: 'spawn-error', message: e.message });
    });
    child.on('exit', (code, signal) => {
      if (timedOut) finish({ kind: 'timeout' });
      else if (code !== null) finish({ kind: 'exited', code });
      else finish({ kind: 'signaled', signal: signal ?? 'unknown' });
    });
    const pid = child.pid;
    if (pid === undefined) return; // 'error' follows
    const terminate = (): void => {
      if (settled || killTimer !== null) return;
      killGroup(pid, 'SIGTERM');
      killTimer = clock.setTimer(graceMs, () => killGroup(pid, 'SIGKILL'));
    };
    timeoutTimer = clock.setTimer(options.timeoutMs, () => {
      timedOut = true;
      terminate();
    });
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) terminate();
      else {
        signal.addEventListener('abort', terminate, { once: true });
        child.once('exit', () => signal.removeEventListener('abort', terminate));
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// script_user resolution
// ---------------------------------------------------------------------------------------------

export interface ScriptIdentity {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
}

export interface ResolvedScriptUser {
  readonly identity: ScriptIdentity;
  /** keepalived's warning when the default user is missing and root is used instead. */
  readonly warning: string | null;
}

/** The account databases, injectable for tests. */
export interface AccountFiles {
  readonly passwd: string;
  readonly group: string;
}

export const DEFAULT_SCRIPT_USER = 'keepalived_script';

function readAccountFiles(): AccountFiles {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  return { passwd: read('/etc/passwd'), group: read('/etc/group') };
}

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || f[0] === '' || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) out.push({ name: f[0]!, uid, gid });
  }
  return out;
}

function parseGroup(text: string): { name: string; gid: number }[] {
  const out: { name: string; gid: number }[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || f[0] === '' || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid)) out.push({ name: f[0]!, gid });
  }
  return out;
}

const NUMERIC = /^\d+$/;

/**
 * Resolves `script_user USER [GROUP]` (or a script's own `user [group]`) to uid/gid, as
 * keepalived does: with no user, `keepalived_script` if that account exists, else root with a
 * warning; a user without a group runs with the user's primary group. Names or numeric ids.
 * Reads /etc/passwd and /etc/group (synchronously: call at configuration time, not per run).
 */
export function resolveScriptUser(
  user: string | null,
  group: string | null,
  files: AccountFiles = readAccountFiles(),
): Result<ResolvedScriptUser> {
  const users = parsePasswd(files.passwd);
  const groups = parseGroup(files.group);
  let warning: string | null = null;
  let entry: PasswdEntry | undefined;
  if (user === null) {
    entry = users.find((u) => u.name === DEFAULT_SCRIPT_USER);
    if (entry === undefined) {
      warning = `WARNING - default user '${DEFAULT_SCRIPT_USER}' for script execution does not exist - please create.`;
      entry = users.find((u) => u.uid === 0) ?? { name: 'root', uid: 0, gid: 0 };
    }
  } else {
    entry = users.find((u) => u.name === user);
    if (entry === undefined && NUMERIC.test(user)) {
      const uid = Number(user);
      entry = users.find((u) => u.uid === uid) ?? { name: user, uid, gid: uid };
    }
    if (entry === undefined) return err(`Unable to find user '${user}'`);
  }
  let gid = entry.gid;
  if (group !== null) {
    const g = groups.find((x) => x.name === group);
    if (g !== undefined) gid = g.gid;
    else if (NUMERIC.test(group)) gid = Number(group);
    else return err(`Unable to find group '${group}'`);
  }
  return ok({ identity: { user: entry.name, uid: entry.uid, gid }, warning });
}
