/**
 * The logging port subsystems receive. Messages use keepalived's wording; the daemon's logger
 * (pino behind it) adds time, level and the process identity. `detail` lines appear only with
 * `-D/--log-detail`, as keepalived's detailed logging.
 *
 * Every method takes optional structured fields (instance, state, reason, vip, vs, rs, counters,
 * ...): the text output ignores them and keeps keepalived's wording exactly; `--log-format json`
 * writes them beside `msg` (docs/operations.md "Logs"). Two field names are read by the daemon's
 * logger itself: `subsystem` picks the syslog ident and log file (`vrrp`, `lvs`; none: the core),
 * and `limit` marks a line that may repeat in a flood: lines with the same `limit` key share one
 * token bucket (rate-limited-log.ts), and neither field is written out as a field.
 */

/** A field value: plain data, so the JSON output needs no custom serialiser. */
export type LogFieldValue =
  | string
  | number
  | boolean
  | null
  | readonly (string | number)[]
  | Readonly<Record<string, string | number | boolean | null>>;

export type LogFields = Readonly<Record<string, LogFieldValue | undefined>>;

export type LogLevel = 'error' | 'warn' | 'info' | 'detail' | 'debug';

/**
 * A line logged in another thread (the checker worker) carries the time it was logged there in
 * this field (epoch ms): the daemon's logger stamps its record and text lines with that time, not
 * the time the main thread got round to writing it (keepalived's checker process stamps its own).
 */
export const EVENT_TIME_FIELD = 'eventTime';

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  /** Logged only with -D (keepalived's `log_detail`). */
  detail(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'detail', 'debug'];

/**
 * A logger that adds `bound` to every line's fields (the call's own fields win), as pino's
 * child loggers: the daemon gives each subsystem `withFields(logger, { subsystem: 'vrrp' })`.
 */
export function withFields(logger: Logger, bound: LogFields): Logger {
  const merge = (fields: LogFields | undefined): LogFields => (fields ? { ...bound, ...fields } : bound);
  return {
    error: (m, f) => logger.error(m, merge(f)),
    warn: (m, f) => logger.warn(m, merge(f)),
    info: (m, f) => logger.info(m, merge(f)),
    detail: (m, f) => logger.detail(m, merge(f)),
    debug: (m, f) => logger.debug(m, merge(f)),
  };
}

/** A logger that keeps lines in memory, for tests. */
export class MemoryLogger implements Logger {
  readonly lines: { level: LogLevel; message: string; fields?: LogFields }[] = [];
  error(message: string, fields?: LogFields): void {
    this.push('error', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.push('warn', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.push('info', message, fields);
  }
  detail(message: string, fields?: LogFields): void {
    this.push('detail', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.push('debug', message, fields);
  }
  messages(): string[] {
    return this.lines.map((l) => l.message);
  }
  private push(level: LogLevel, message: string, fields: LogFields | undefined): void {
    this.lines.push(fields === undefined ? { level, message } : { level, message, fields });
  }
}
