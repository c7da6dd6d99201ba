/**
 * EDGE: one notify FIFO (`notify_fifo`, `vrrp_notify_fifo`, `lvs_notify_fifo`) as keepalived
 * opens it (lib/notify.c `fifo_open`, `fifo_close`):
 *
 *   open    mkfifo(path, 0644 less keepalived's umask: 0177 unless -u, so 0600); if it was created here and `user [group]` differs
 *           from ours, chown it ("Failed to set uid:gid for fifo ..." when that fails). A path that
 *           exists already is used as it is. Then the FIFO's script, if any, is started with the
 *           FIFO's path as its last argument, and the FIFO is opened O_RDWR | O_NONBLOCK |
 *           O_NOFOLLOW (O_CLOEXEC is libuv's default): holding the read side ourselves, opening never
 *           waits for a reader, a write never blocks and never gets EPIPE, and lines written
 *           while no reader is there wait in the pipe for the next one.
 *   write   one write(2) per line (a line is far below PIPE_BUF, so it is never split); a full
 *           pipe drops the line (EAGAIN), counted and logged under one rate-limit key.
 *   close   unlink the FIFO if it was created here (first, so a script that reopens it in a loop
 *           cannot), then close the descriptor.
 *
 * The script runs in its own process group as its `user [group]` (else script_user);
 * `terminateScript` sends the group SIGTERM (keepalived's `script_killall` at stop and reload),
 * SIGKILL a second later if it is still there. Nothing here throws.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, constants, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { Logger } from '../util/log.js';

/** The FIFO's script: argv (the FIFO's path is appended) and who it runs as. */
export interface FifoScript {
  readonly argv: readonly string[];
  readonly uid: number;
  readonly gid: number;
}

export interface NotifyFifoOptions {
  readonly path: string;
  /** `""`, `"vrrp_"` or `"lvs_"`: keepalived's prefix in its messages. */
  readonly type: string;
  /** The FIFO's owner when it is created here (its `user [group]`, else the script user). */
  readonly uid: number;
  readonly gid: number;
  /** The mode it is created with (mkfifo -m: the process umask does not apply). */
  readonly mode: number;
  readonly script: FifoScript | null;
  /** Logged when the script ends: keepalived's `vrrp notify fifo script terminated`. */
  readonly scriptExitMessage: string;
  readonly logger: Logger;
}

/** FIFO mode before the umask (lib/notify.c: S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH). */
export const FIFO_MODE = 0o644;

/** keepalived's umask when -u does not set one (core/main.c umask_val). */
export const KEEPALIVED_UMASK = 0o177;

/** The mode keepalived creates a FIFO with under `umask` (-u), by default 0600. */
export function fifoMode(umask: number | null): number {
  return FIFO_MODE & ~(umask ?? KEEPALIVED_UMASK);
}

/** Time between the script's SIGTERM and SIGKILL (keepalived: TIMER_HZ). */
const SCRIPT_KILL_GRACE_MS = 1000;

function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

function errnoNumber(e: unknown): number | string {
  const n = (e as NodeJS.ErrnoException).errno;
  return typeof n === 'number' ? -n : errnoOf(e);
}

/** mkfifo(1) (Node has no mkfifo(3)): 'created', 'exists', or the error text. */
function makeFifo(path: string, mode: number): 'created' | 'exists' | string {
  try {
    lstatSync(path);
    return 'exists';
  } catch {
    // Not there: create it.
  }
  const r = spawnSync('mkfifo', ['-m', mode.toString(8), '--', path], { encoding: 'utf8', timeout: 5000 });
  if (r.status === 0) return 'created';
  try {
    lstatSync(path);
    return 'exists'; // created by someone else meanwhile (the other subsystem's global FIFO)
  } catch {
    return (r.stderr ?? '').trim() || (r.error?.message ?? 'mkfifo failed');
  }
}

export class NotifyFifo {
  private fd: number | null;
  private child: ChildProcess | null = null;
  private killTimer: ReturnType<typeof setTimeout> | null = null;
  private droppedLines = 0;

  private constructor(
    private readonly options: NotifyFifoOptions,
    private readonly created: boolean,
    fd: number,
    child: ChildProcess | null,
  ) {
    this.fd = fd;
    this.child = child;
  }

  /** Creates (if missing) and opens the FIFO, starting its script; null when it cannot (logged). */
  static open(options: NotifyFifoOptions): NotifyFifo | null {
    const { path, type, logger } = options;
    const made = makeFifo(path, options.mode);
    if (made !== 'created' && made !== 'exists') {
      logger.info(`Unable to create ${type}notify fifo ${path}`, { error: made });
      return null;
    }
    const created = made === 'created';
    if (created && (options.uid !== process.getuid?.() || options.gid !== process.getgid?.())) {
      try {
        chownSync(
          path,
          options.uid !== process.getuid?.() ? options.uid : -1,
          options.gid !== process.getgid?.() ? options.gid : -1,
        );
      } catch {
        logger.info(`Failed to set uid:gid for fifo ${path}`);
      }
    }
    const child = options.script !== null ? NotifyFifo.startScript(options, options.script) : null;
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (e) {
      logger.info(`Unable to open ${type}notify fifo ${path} - errno ${errnoNumber(e)}`);
      if (created) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
      if (child !== null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      return null;
    }
    return new NotifyFifo(options, created, fd, child);
  }

  private static startScript(options: NotifyFifoOptions, script: FifoScript): ChildProcess | null {
    const [program, ...args] = [...script.argv, options.path];
    if (program === undefined || program === '') return null;
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        stdio: 'ignore',
        detached: true,
        uid: script.uid,
        gid: script.gid,
      });
    } catch (e) {
      options.logger.error(
        `Failed to exec ${options.type}notify fifo script ${program}: ${(e as Error).message}`,
      );
      return null;
    }
    child.on('error', (e) => {
      if (child.pid === undefined)
        options.logger.error(`Failed to exec ${options.type}notify fifo script ${program}: ${e.message}`);
    });
    child.on('exit', () => options.logger.info(options.scriptExitMessage));
    child.unref();
    return child;
  }

  get path(): string {
    return this.options.path;
  }

  /** Lines dropped because the pipe was full (or the write failed). */
  get dropped(): number {
    return this.droppedLines;
  }

  /** The script's pid while it runs (tests). */
  get scriptPid(): number | null {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null
      ? (this.child.pid ?? null)
      : null;
  }

  /** Writes one line with one write; never blocks, never throws; false when it was dropped. */
  write(line: string): boolean {
    if (this.fd === null) return false;
    const buf = Buffer.from(line);
    try {
      writeSync(this.fd, buf, 0, buf.length);
      return true;
    } catch (e) {
      this.droppedLines++;
      this.options.logger.warn(
        `${this.options.type}notify fifo ${this.options.path}: line dropped (${errnoOf(e)}), ${this.droppedLines} dropped so far`,
        { limit: `notify fifo ${this.options.path}` },
      );
      return false;
    }
  }

  /** SIGTERM to the script's process group, SIGKILL a second later if it is still there. */
  terminateScript(): void {
    const child = this.child;
    if (child === null || child.pid === undefined) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const pid = child.pid;
    const kill = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-pid, signal);
      } catch {
        // gone
      }
    };
    kill('SIGTERM');
    this.killTimer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) kill('SIGKILL');
    }, SCRIPT_KILL_GRACE_MS);
    this.killTimer.unref();
    child.once('exit', () => {
      if (this.killTimer !== null) clearTimeout(this.killTimer);
      this.killTimer = null;
    });
  }

  /** Unlinks the FIFO if it was created here, then closes it. */
  close(): void {
    if (this.fd === null) return;
    if (this.created) {
      try {
        unlinkSync(this.options.path);
      } catch {
        // already gone
      }
    }
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = null;
  }
}
