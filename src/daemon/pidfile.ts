/**
 * PID files (docs/operations.md "Daemon mode and pid files"). keepalived (core/pidfile.c
 * `process_running`) refuses to start when its pid file names a process that `kill(pid, 0)`
 * finds, whoever that process is, and two daemons starting at once can both pass the check.
 * keepalived-ts holds an exclusive flock(2) on the open pid file for its whole life instead:
 *
 * - the lock is held by a live daemon: "daemon is already running";
 * - the lock is free but the file names a live keepalived or keepalived-ts process (one that
 *   writes its pid file without a lock, e.g. keepalived itself): also "already running";
 * - the lock is free and the pid is gone, or belongs to another program (/proc/PID/cmdline: a
 *   pid reused after a crash, `sleep`, a shell): the file is stale and taken over.
 *
 * The kernel drops the lock when the daemon's descriptor closes, however it ends (SIGKILL too),
 * so a crash never leaves a pid file that blocks the next start. The descriptor is close-on-exec,
 * so scripts the daemon runs never inherit the lock. Every path is set from the command line, so
 * several daemons can run side by side (one per network namespace).
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { tryLockExclusive } from '../net/file-lock.js';

/** A pid file this process holds; `release()` removes it (if still ours) and drops the lock. */
export interface PidFileLock {
  readonly path: string;
  release(): void;
}

export type PidFileResult =
  | {
      readonly kind: 'locked';
      readonly lock: PidFileLock;
      /** Why the file's previous contents were not a running daemon (logged), or null for a new file. */
      readonly takenOver: string | null;
    }
  | { readonly kind: 'running'; readonly pid: number | null; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

/** How the pid file check sees processes; the default reads /proc. Replaced in tests. */
export interface ProcessTable {
  alive(pid: number): boolean;
  /** The process's argv (/proc/PID/cmdline), or null when it cannot be read. */
  commandLine(pid: number): readonly string[] | null;
}

export const procProcessTable: ProcessTable = {
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  commandLine(pid) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1')
        .split('\0')
        .filter((a) => a !== '');
    } catch {
      return null;
    }
  },
};

/**
 * Whether an argv is keepalived's or keepalived-ts's: the program (`keepalived`,
 * `/usr/bin/keepalived-ts`) or, for an interpreter such as `node`, its script
 * (`node --enable-source-maps /opt/kts/dist/keepalived-ts.js ...`).
 */
export function isKeepalivedCommandLine(argv: readonly string[]): boolean {
  const named = (arg: string | undefined): boolean =>
    arg !== undefined && basename(arg).startsWith('keepalived');
  if (named(argv[0])) return true;
  return named(argv.slice(1).find((a) => !a.startsWith('-')));
}

/** The pid a pid file's text names (keepalived writes `%d\n`), or null. */
export function parsePidText(text: string): number | null {
  const m = /^\s*(\d+)\s*$/.exec(text);
  if (m === null) return null;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function readAll(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64);
  let position = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, position);
    if (n === 0 || position > 4096) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    position += n;
  }
  return Buffer.concat(chunks).toString('latin1');
}

/** The file at `path` is still the one open on `fd` (not unlinked or replaced since). */
function sameFile(fd: number, path: string): boolean {
  try {
    const open = fstatSync(fd);
    const now = lstatSync(path);
    return open.ino === now.ino && open.dev === now.dev;
  } catch {
    return false;
  }
}

function describe(pid: number, argv: readonly string[] | null): string {
  return argv === null || argv.length === 0 ? `pid ${pid}` : `pid ${pid} (${basename(argv[0]!)})`;
}

/**
 * Opens, locks and writes the pid file `path` with this process's pid. The file is opened with
 * O_NOFOLLOW (keepalived's pidfile_write): a symlink planted at the path is refused, not followed.
 */
export function acquirePidFile(path: string, table: ProcessTable = procProcessTable): PidFileResult {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    return {
      kind: 'error',
      message: `pidfile_write : Cannot open ${path} pidfile (${(e as Error).message})`,
    };
  }
  // A daemon stopping between our open and our lock unlinks the file we opened: open again.
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    } catch (e) {
      return {
        kind: 'error',
        message: `pidfile_write : Cannot open ${path} pidfile (${(e as Error).message})`,
      };
    }
    try {
      if (!tryLockExclusive(fd)) {
        const pid = parsePidText(readAll(fd));
        closeSync(fd);
        return {
          kind: 'running',
          pid,
          message: `daemon is already running (pid ${pid ?? '?'} holds the lock on ${path})`,
        };
      }
      if (!sameFile(fd, path)) {
        closeSync(fd);
        continue;
      }
      const pid = parsePidText(readAll(fd));
      let takenOver: string | null = null;
      if (pid !== null && pid !== process.pid) {
        if (table.alive(pid)) {
          const argv = table.commandLine(pid);
          // Unreadable: we cannot tell it is another program, so it may be a daemon.
          if (argv === null || isKeepalivedCommandLine(argv)) {
            closeSync(fd);
            return {
              kind: 'running',
              pid,
              message: `daemon is already running (${describe(pid, argv)} in ${path})`,
            };
          }
          takenOver = `pid file ${path} names ${describe(pid, argv)}, which is not keepalived - taking it over`;
        } else {
          takenOver = `Remove a zombie pid file ${path} (pid ${pid} is not running)`;
        }
      }
      ftruncateSync(fd, 0);
      writeSync(fd, `${process.pid}\n`, 0);
      fchmodSync(fd, 0o644);
      return { kind: 'locked', lock: heldLock(path, fd), takenOver };
    } catch (e) {
      closeSync(fd);
      return {
        kind: 'error',
        message: `pidfile_write : Cannot write ${path} pidfile (${(e as Error).message})`,
      };
    }
  }
  return { kind: 'error', message: `pidfile_write : ${path} keeps being replaced - giving up` };
}

function heldLock(path: string, fd: number): PidFileLock {
  let open = true;
  return {
    path,
    release() {
      if (!open) return;
      open = false;
      // Unlink while still holding the lock, and only our own file: one another daemon took over
      // (after an operator removed ours) is left alone.
      try {
        if (sameFile(fd, path)) unlinkSync(path);
      } catch {
        // Already gone.
      }
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
    },
  };
}
