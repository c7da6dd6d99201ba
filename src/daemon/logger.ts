/**
 * The daemon's logger (docs/operations.md "Logs"): each line is rendered for every output
 * keepalived has:
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
  /**
   * Writes the pending `N similar messages suppressed` summaries now and lets later lines through
   * unlimited: the daemon calls it before its last lines, so `Stopped` stays the last one.
   */
  endRateLimiting(): void;
  /** Lines the outputs could not take (full buffers, no syslog reader), by output. */
  dropped(): Readonly<Record<'console' | 'file' | 'syslog', number>>;
}

/**
 * The bound on what an output buffers while its reader is slow (a stderr pipe nobody drains, a
 * stuck disk); beyond it lines are dropped and counted rather than held in memory.
 */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** The most text gathered for one write to an output. */
const MAX_BATCH_CHARS = 64 * 1024;
/** How long close() waits for an output's reader before dropping what it still holds. */
const CLOSE_WAIT_MS = 2000;

type SonicBoom = ReturnType<typeof pino.destination>;

/** An output's sonic-boom stream, with the lines of the current loop turn gathered for it. */
interface Output {
  readonly stream: SonicBoom;
  write(line: string): void;
  /** Hands the gathered lines to the stream now. */
  flush(): void;
}

/**
 * Lines written in one loop turn reach the stream as one string. sonic-boom appends each write
 * to its last pending chunk and measures that chunk's UTF-8 length again (flattening it), so
 * line by line, while the reader lags, every line copied up to 16 KB: at 40,000 real servers
 * going down that was most of the main thread's allocation.
 */
function batched(stream: SonicBoom): Output {
  let pending: string[] = [];
  let pendingChars = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingChars = 0;
    try {
      stream.write(text);
    } catch {
      // Destroyed by an error already counted: the lines are dropped.
    }
  };
  return {
    stream,
    flush,
    write(line) {
      pending.push(line);
      pendingChars += line.length;
      // A bounded batch: beyond the output's limit sonic-boom drops a write whole.
      if (pendingChars >= MAX_BATCH_CHARS) return flush();
      if (scheduled) return;
      scheduled = true;
      setImmediate(flush);
    },
  };
}

/** --flush-log-file: each line is written before the call returns. */
function unbatched(stream: SonicBoom): Output {
  return { stream, write: (line) => void stream.write(line), flush: () => undefined };
}

/** The number of lines in a dropped write (each line ends with a newline). */
function linesIn(data: unknown): number {
  if (typeof data !== 'string') return 1;
  let n = 0;
  for (let i = data.indexOf('\n'); i !== -1; i = data.indexOf('\n', i + 1)) n++;
  return Math.max(1, n);
}

export function createDaemonLogger(options: DaemonLoggerOptions): DaemonLogger {
  const format = options.format ?? 'text';
  const facility = options.facility ?? LOG_DAEMON;
  const syslogPath = options.syslogPath ?? DEFAULT_SYSLOG_PATH;
  const pid = process.pid;
  const drops = { console: 0, file: 0 };

  const destination = (fd: number, sync: boolean, kind: 'console' | 'file'): Output => {
    const d = pino.destination({
      fd,
      sync,
      minLength: 0,
      maxLength: MAX_BUFFERED_BYTES,
      // A full non-blocking pipe is retried while running, never while closing (no hang at exit).
      retryEAGAIN: () => !closing,
    });
    d.on('drop', (data: unknown) => void (drops[kind] += linesIn(data)));
    // EPIPE and friends: a console or file that went away must not take the daemon with it.
    d.on('error', () => void drops[kind]++);
    return sync ? unbatched(d) : batched(d);
  };

  const consoleOut = options.console ? destination(options.consoleFd ?? 2, false, 'console') : null;
  const files = new Map<LogSubsystem, Output | null>();
  const fileFor = (subsystem: LogSubsystem): Output | null => {
    if (options.logFile === null) return null;
    const known = files.get(subsystem);
    if (known !== undefined) return known;
    const path = logFileFor(options.logFile, subsystem, options.tmpDir ?? process.env['TMPDIR']);
    let out: Output | null = null;
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

  /** Writes one line to every output: `json` is pino's record, otherwise the text is rendered. */
  const emit = (level: LogLevel, subsystem: LogSubsystem, at: Date, message: string, json?: string): void => {
    if (json !== undefined) {
      consoleOut?.write(json);
      fileFor(subsystem)?.write(json);
      sendSyslog(level, subsystem, json.endsWith('\n') ? json.slice(0, -1) : json, at);
      return;
    }
    consoleOut?.write(`${consoleTimestamp(at)}: ${message}\n`);
    fileFor(subsystem)?.write(`${fileTimestamp(at)}: ${message}\n`);
    sendSyslog(level, subsystem, message, at);
  };

  // The record pino is building (set just around the call): its time, level and subsystem, so
  // the fan-out need not parse the line it is handed.
  let current: { level: LogLevel; subsystem: LogSubsystem; at: number } | null = null;

  /** pino's JSON lines (--log-format json only): written as they are to every output. */
  const fanOut: DestinationStream = {
    write(line: string): void {
      if (current === null) return;
      emit(current.level, current.subsystem, new Date(current.at), '', line);
    },
  };

  // pino is loaded for JSON records only: a text line needs no record, and building one (then
  // parsing it back to render the text) cost more than the rest of the line's path together.
  const p =
    format === 'json'
      ? pino(
          {
            level: 'debug',
            customLevels: { detail: 25 },
            base: { pid },
            timestamp: () => `,"time":"${new Date(current?.at ?? Date.now()).toISOString()}"`,
            formatters: { level: (label) => ({ level: label }) },
          },
          fanOut,
        )
      : null;

  function writeRecordLine(
    level: LogLevel,
    message: string,
    subsystem: LogSubsystem,
    fields?: LogFields,
  ): void {
    // The event's time: now, or the eventTime of a line logged on another thread.
    const eventTime = fields?.[EVENT_TIME_FIELD];
    const at = typeof eventTime === 'number' ? eventTime : Date.now();
    if (p === null) {
      emit(level, subsystem, new Date(at), message);
      return;
    }
    const { limit: _limit, subsystem: _subsystem, [EVENT_TIME_FIELD]: _at, ...rest } = fields ?? {};
    const record = subsystem === 'core' ? rest : { subsystem, ...rest };
    current = { level, subsystem, at };
    try {
      p[level](record, message);
    } finally {
      current = null;
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
    endRateLimiting: () => limited.close(),
    close: async () => {
      if (closing) return;
      limited.close();
      closing = true;
      const outputs = [consoleOut, ...files.values()].filter((o): o is Output => o !== null);
      for (const out of outputs) out.flush();
      await Promise.all(outputs.map((o) => drain(o.stream, o !== consoleOut)));
      for (const out of outputs) if (out !== consoleOut) out.stream.end();
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
