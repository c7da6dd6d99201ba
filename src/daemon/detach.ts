/**
 * Daemon mode without `-n` (docs/operations.md "Daemon mode and pid files"). keepalived forks
 * (core/main.c `xdaemon`: fork, setsid, chdir /, stdio to /dev/null) and the command returns 0.
 * Node cannot fork, so the command (the launcher) spawns the same program again, detached in its
 * own session with stdio on /dev/null and an IPC channel, and waits: the detached daemon sends its
 * start-up error lines over the channel and `ready` once its pid file is written and start-up is
 * complete, then closes the channel. The launcher prints the lines on stderr and exits 0 on
 * `ready`, or with the daemon's own exit code if it ends first (config file missing 6, config
 * errors 2, already running 0, as keepalived with `-n`), so a start-up failure is reported before
 * the command returns, which keepalived does only for the checks it makes before forking.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { DETACHED_CHILD_ENV, type DaemonOptions } from './cli.js';
import type { LogFields, Logger } from '../util/log.js';

/** The messages of the channel, daemon to launcher. */
export type StartupMessage = { readonly kind: 'line'; readonly text: string } | { readonly kind: 'ready' };

/**
 * The launcher: runs this program again (same Node, same flags, same arguments) detached, and
 * resolves with the exit code the command must return.
 */
export function launchDetached(
  args: readonly string[],
  io: {
    readonly stderr?: (text: string) => void;
    /** The program to run detached (default: this one, process.argv[1]). */
    readonly script?: string;
  } = {},
): Promise<number> {
  const stderr = io.stderr ?? ((t: string) => void process.stderr.write(t));
  const script = io.script ?? process.argv[1];
  if (script === undefined) return Promise.resolve(70);
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [DETACHED_CHILD_ENV]: '1' },
  });
  return new Promise<number>((resolveCode) => {
    let settled = false;
    const settle = (code: number): void => {
      if (settled) return;
      settled = true;
      if (child.connected) child.disconnect();
      // The daemon lives on; the launcher no longer waits for it.
      child.unref();
      resolveCode(code);
    };
    child.on('message', (m: StartupMessage) => {
      if (m.kind === 'line') stderr(`${m.text}\n`);
      else if (m.kind === 'ready') settle(0);
    });
    child.on('error', (e) => {
      stderr(`keepalived-ts: cannot start the daemon: ${e.message}\n`);
      settle(1);
    });
    // Ended before `ready`: a start-up failure; its exit code is the command's.
    child.on('exit', (code, signal) => settle(code ?? (signal === null ? 1 : 128 + signalNumber(signal))));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return (constants.signals as Partial<Record<NodeJS.Signals, number>>)[signal] ?? 0;
}

/** The detached daemon's end of the channel. */
export interface StartupReport {
  /** A start-up log line for the launcher to print. */
  line(text: string): void;
  /** Start-up is complete: the launcher exits 0; the channel closes. */
  ready(): void;
  /** Sends what is pending and closes the channel (before the process exits on a failure). */
  close(): Promise<void>;
}

/** The report to the launcher when this process is the detached daemon, else null. */
export function detachedChildReport(env: NodeJS.ProcessEnv = process.env): StartupReport | null {
  if (env[DETACHED_CHILD_ENV] === undefined || typeof process.send !== 'function') return null;
  // Scripts and workers started from here are not the detached daemon.
  delete env[DETACHED_CHILD_ENV];
  const send = process.send.bind(process);
  let open = true;
  let pending = Promise.resolve();
  const post = (m: StartupMessage): void => {
    if (!open) return;
    pending = pending.then(
      () =>
        new Promise<void>((done) => {
          try {
            send(m, undefined, {}, () => done());
          } catch {
            done();
          }
        }),
    );
  };
  const close = async (): Promise<void> => {
    if (!open) return pending;
    open = false;
    await pending;
    if (process.connected) process.disconnect();
  };
  return {
    line: (text) => post({ kind: 'line', text }),
    ready: () => {
      post({ kind: 'ready' });
      void close();
    },
    close,
  };
}

/**
 * The logger the detached daemon starts with: every line also goes to the launcher until `ready`,
 * error lines always, the others when the console would show them (`-l`, detail lines with `-D`).
 */
export function reportingLogger<L extends Logger>(
  logger: L,
  report: StartupReport,
  options: Pick<DaemonOptions, 'logConsole' | 'logDetail'>,
): L {
  const wrap =
    (level: 'error' | 'warn' | 'info' | 'detail', forward: boolean) =>
    (message: string, fields?: LogFields): void => {
      logger[level](message, fields);
      if (forward) report.line(message);
    };
  const tee: Logger = {
    error: wrap('error', true),
    warn: wrap('warn', options.logConsole),
    info: wrap('info', options.logConsole),
    detail: wrap('detail', options.logConsole && options.logDetail),
    debug: (m, f) => logger.debug(m, f),
  };
  return Object.assign(Object.create(logger) as L, tee);
}

/**
 * The detached daemon runs in `/` (keepalived's xdaemon), so the paths of the command line are
 * made absolute first against the directory the command was run in: a relative `-f` keeps
 * working for reloads.
 */
export function absolutePaths(options: DaemonOptions, cwd: string): DaemonOptions {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  const absOrNull = (p: string | null): string | null => (p === null ? null : abs(p));
  return {
    ...options,
    configFile: abs(options.configFile),
    pidFile: abs(options.pidFile),
    vrrpPidFile: absOrNull(options.vrrpPidFile),
    checkersPidFile: absOrNull(options.checkersPidFile),
    runtimeDir: abs(options.runtimeDir),
    // A relative -g name is in $TMPDIR or /tmp, never the working directory (log-format.ts).
  };
}
