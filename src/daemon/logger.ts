/**
 * The daemon's logger (docs/operations.md "Logs"): pino builds every record, and one fan-out
 * stream renders it for each output keepalived has:
 * - syslog (unless `-G`): one datagram per line to /dev/log, RFC 3164 as glibc writes it, with
 *   the `-S` facility and the ident of the keepalived process the line belongs to
 *   (log-format.ts SYSLOG_IDENTS, picked by the line's `subsystem` field);
 * - the console with `-l`: stderr, `Tue Dec  1 22:42:02 2026: (VI_1) Entering MASTER STATE`;
 * - files with `-g[FILE]`: FILE for the core, FILE_vrrp and FILE_check for the subsystems, as
 *   keepalived's children write them (log-format.ts logFileFor).
 * `--log-format json` writes pino's JSON records instead of text (time, level, pid, subsystem,
 * the call's fields, msg), to every output. `detail` lines appear only with `-D`.
 *
 * Nothing here blocks the event loop on a slow reader: stderr and the files go through
 * asynchronous sonic-boom destinations (pino.destination) that drop beyond a bounded buffer, and
 * the syslog socket is non-blocking (a full /dev/log drops the line, where glibc's syslog(3)
 * would block). Lines marked with a `limit` key go through the one rate limiter
 * (util/rate-limited-log.ts) first.
 */
import { constants, openSync } from 'node:fs';
import pino, { type DestinationStream } from 'pino';
import { openSyslogSocket, type SyslogSocket } from '../net/syslog-socket.js';
import { realClock, type Clock } from '../util/clock.js';
import { EVENT_TIME_FIELD, type LogFields, type Logger, type LogLevel } from '../util/log.js';
import type { DaemonOptions } from './cli.js';
import {
  DEFAULT_LOG_RATE_LIMIT,
  rateLimitedLogger,
  type LogRateLimitOptions,
} from '../util/rate-limited-log.js';
import {
  consoleTimestamp,
  fileTimestamp,
  LOG_DAEMON,
  logFileFor,
  subsystemOf,
  SYSLOG_IDENTS,
  SYSLOG_SEVERITY,
  syslogLine,
  type LogSubsystem,
} from './log-format.js';

export { consoleTimestamp } from './log-format.js';

export type LogFormat = 'text' | 'json';

export const DEFAULT_SYSLOG_PATH = '/dev/log';

export interface DaemonLoggerOptions {
  /** -l: log to stderr. */
  readonly console: boolean;
  /** -D: write `detail` lines. */
  readonly detail: boolean;
  /** -g: the log file name (null: no file). */
  readonly logFile: string | null;
  /** --flush-log-file: every file line is written before the call returns. */
  readonly flushLogFile?: boolean;
  /** Not -G. */
  readonly syslog: boolean;
  /** The syslog socket (default /dev/log; tests point it at their own). */
  readonly syslogPath?: string;
  /** -S: facility code, already shifted (default LOG_DAEMON). */
  readonly facility?: number;
  /** --log-format. */
  readonly format?: LogFormat;
  /** For the rate limiter's end-of-burst summaries. */
  readonly clock?: Clock;
  readonly rateLimit?: LogRateLimitOptions;
  /** The console's file descriptor (default 2, stderr). */
  readonly consoleFd?: number;
  /** $TMPDIR, for a relative -g name (default: the environment's). */
  readonly tmpDir?: string;
}

export interface DaemonLogger extends Logger {
  /**
   * Writes pending summaries and waits (bounded) for the buffered lines to be written, in order;
   * the process may exit once it resolves. Lines logged after it are dropped.
   */
  close(): Promise<void>;
  /** Lines the outputs could not take (full buffers, no syslog reader), by output. */
  dropped(): Readonly<Record<'console' | 'file' | 'syslog', number>>;
}

/**
 * The bound on what an output buffers while its reader is slow (a stderr pipe nobody drains, a
 * stuck disk); beyond it lines are dropped and counted rather than held in memory.
 */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** How long close() waits for an output's reader before dropping what it still holds. */
const CLOSE_WAIT_MS = 2000;

type SonicBoom = ReturnType<typeof pino.destination>;

interface ParsedRecord {
  readonly level?: string;
  /** ISO time of the event (pino's timestamp, or the `eventTime` of a line logged elsewhere). */
  readonly time?: string;
  readonly msg?: string;
  readonly subsystem?: string;
}

export function createDaemonLogger(options: DaemonLoggerOptions): DaemonLogger {
  const format = options.format ?? 'text';
  const facility = options.facility ?? LOG_DAEMON;
  const syslogPath = options.syslogPath ?? DEFAULT_SYSLOG_PATH;
  const pid = process.pid;
  const drops = { console: 0, file: 0 };

  const destination = (fd: number, sync: boolean, kind: 'console' | 'file'): SonicBoom => {
    const d = pino.destination({
      fd,
      sync,
      minLength: 0,
      maxLength: MAX_BUFFERED_BYTES,
      // A full non-blocking pipe is retried while running, never while closing (no hang at exit).
      retryEAGAIN: () => !closing,
    });
    d.on('drop', () => void drops[kind]++);
    // EPIPE and friends: a console or file that went away must not take the daemon with it.
    d.on('error', () => void drops[kind]++);
    return d;
  };

  const consoleOut = options.console ? destination(options.consoleFd ?? 2, false, 'console') : null;
  const files = new Map<LogSubsystem, SonicBoom | null>();
  const fileFor = (subsystem: LogSubsystem): SonicBoom | null => {
    if (options.logFile === null) return null;
    const known = files.get(subsystem);
    if (known !== undefined) return known;
    const path = logFileFor(options.logFile, subsystem, options.tmpDir ?? process.env['TMPDIR']);
    let out: SonicBoom | null = null;
    try {
      // keepalived's fopen_safe for append: never through a symlink (lib/utils.c); 0666 & ~umask.
      const fd = openSync(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW,
        0o666,
      );
      out = destination(fd, options.flushLogFile === true, 'file');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      files.set(subsystem, null);
      // On the core's outputs: this subsystem's file is the one that failed.
      writeRecordLine('error', `Unable to open '${path}' - ${err.code ?? ''} (${err.message})`, 'core');
      return null;
    }
    files.set(subsystem, out);
    return out;
  };

  // Connected, queued while full, reconnected when the syslog daemon comes (back): syslog-socket.ts.
  const syslog: SyslogSocket | null = options.syslog ? openSyslogSocket(syslogPath) : null;
  const sendSyslog = (level: string, subsystem: LogSubsystem, text: string, at: Date): void => {
    if (syslog === null) return;
    const pri = facility | (SYSLOG_SEVERITY[level] ?? 6);
    syslog.send(Buffer.from(syslogLine(pri, at, SYSLOG_IDENTS[subsystem], pid, text)));
  };

  let eventTime: number | undefined;

  /** Renders one record (pino's JSON line) to every output. */
  const fanOut: DestinationStream = {
    write(line: string): void {
      let record: ParsedRecord;
      try {
        record = JSON.parse(line) as ParsedRecord;
      } catch {
        return;
      }
      const level = record.level ?? 'info';
      const subsystem = subsystemOf(record.subsystem);
      const parsed = record.time === undefined ? NaN : Date.parse(record.time);
      const at = Number.isNaN(parsed) ? new Date() : new Date(parsed);
      if (format === 'json') {
        consoleOut?.write(line);
        fileFor(subsystem)?.write(line);
        sendSyslog(level, subsystem, line.endsWith('\n') ? line.slice(0, -1) : line, at);
        return;
      }
      const message = record.msg ?? '';
      consoleOut?.write(`${consoleTimestamp(at)}: ${message}\n`);
      fileFor(subsystem)?.write(`${fileTimestamp(at)}: ${message}\n`);
      sendSyslog(level, subsystem, message, at);
    },
  };

  const p = pino(
    {
      level: 'debug',
      customLevels: { detail: 25 },
      base: { pid },
      // The event's time: now, or the eventTime of the line being written (set just around the call).
      timestamp: () => `,"time":"${new Date(eventTime ?? Date.now()).toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    fanOut,
  );

  function writeRecordLine(
    level: LogLevel,
    message: string,
    subsystem: LogSubsystem,
    fields?: LogFields,
  ): void {
    const { limit: _limit, subsystem: _subsystem, [EVENT_TIME_FIELD]: at, ...rest } = fields ?? {};
    const record = subsystem === 'core' ? rest : { subsystem, ...rest };
    eventTime = typeof at === 'number' ? at : undefined;
    try {
      p[level](record, message);
    } finally {
      eventTime = undefined;
    }
  }

  const debugEnabled = process.env['KEEPALIVED_TS_DEBUG'] === '1';
  const write =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (level === 'detail' && !options.detail) return;
      if (level === 'debug' && !debugEnabled) return;
      writeRecordLine(level, message, subsystemOf(fields?.subsystem), fields);
    };
  const base: Logger = {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    detail: write('detail'),
    debug: write('debug'),
  };
  const limited = rateLimitedLogger(
    base,
    options.clock ?? realClock,
    options.rateLimit ?? DEFAULT_LOG_RATE_LIMIT,
  );
  let closing = false;
  return {
    error: limited.error,
    warn: limited.warn,
    info: limited.info,
    detail: limited.detail,
    debug: limited.debug,
    dropped: () => ({ ...drops, syslog: syslog?.dropped ?? 0 }),
    close: async () => {
      if (closing) return;
      limited.close();
      closing = true;
      const outputs = [consoleOut, ...files.values()].filter((o): o is SonicBoom => o !== null);
      await Promise.all(outputs.map((o) => drain(o, o !== consoleOut)));
      for (const out of outputs) if (out !== consoleOut) out.end();
      // What the syslog daemon has not taken yet, for as long as the console may take.
      for (let waited = 0; syslog !== null && syslog.queued > 0 && waited < CLOSE_WAIT_MS; waited += 10) {
        await new Promise((r) => setTimeout(r, 10));
      }
      syslog?.close();
    },
  };
}

/** The daemon logger's options from the command line (and the syslog socket from the environment). */
export function daemonLoggerOptions(
  options: Pick<
    DaemonOptions,
    'logConsole' | 'logDetail' | 'logFile' | 'flushLogFile' | 'noSyslog' | 'logFacility' | 'logFormat'
  >,
  clock: Clock,
  env: NodeJS.ProcessEnv,
): DaemonLoggerOptions {
  return {
    console: options.logConsole,
    detail: options.logDetail,
    logFile: options.logFile,
    flushLogFile: options.flushLogFile,
    syslog: !options.noSyslog,
    // KEEPALIVED_TS_SYSLOG_PATH: another socket than /dev/log (tests, chroots).
    syslogPath: env['KEEPALIVED_TS_SYSLOG_PATH'] || DEFAULT_SYSLOG_PATH,
    facility: options.logFacility ?? LOG_DAEMON,
    format: options.logFormat,
    clock,
    tmpDir: env['TMPDIR'],
  };
}

/**
 * Waits for an asynchronous destination's write in flight (sonic-boom keeps the flag private),
 * then writes what is left synchronously: flushSync alone would put the queued lines before the
 * one in flight. A console whose reader is stuck past CLOSE_WAIT_MS keeps the rest (a blocking
 * write could hang the exit); a file is always written out.
 */
async function drain(out: SonicBoom, isFile: boolean): Promise<void> {
  const inFlight = (): boolean => (out as unknown as { _writing: boolean })._writing;
  if (inFlight()) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => out.once('drain', () => resolve())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }
  if (inFlight() && !isFile) return;
  try {
    out.flushSync();
  } catch {
    // An output that cannot take any more at exit: nothing else to do.
  }
}
