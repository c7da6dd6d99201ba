/**
 * The logging port subsystems receive. Messages use keepalived's wording; the daemon's logger
 * (pino behind it) adds time, level and the process identity. `detail` lines appear only with
 * `-D/--log-detail`, as keepalived's detailed logging.
 */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  /** Logged only with -D (keepalived's `log_detail`). */
  detail(message: string): void;
  debug(message: string): void;
}

/** A logger that keeps lines in memory, for tests. */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string }[] = [];
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  detail(message: string): void {
    this.lines.push({ level: 'detail', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  messages(): string[] {
    return this.lines.map((l) => l.message);
  }
}
