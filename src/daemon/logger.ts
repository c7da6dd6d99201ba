/**
 * The daemon's logger: pino underneath, keepalived's line format on top. With `-l` lines go to
 * stderr as `Sat Nov 21 19:23:48 2026: (VI_1) Entering MASTER STATE`; with `-g FILE` also to a
 * file; otherwise (unless `-G`) to syslog through /dev/log with keepalived's idents.
 * `detail` lines appear only with `-D`, as keepalived's log_detail.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { openUnixDatagramSocket, type UnixDatagramSocket } from '../net/unix-dgram.js';
import pino from 'pino';
import type { Logger } from '../util/log.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `Sat Nov 21 19:23:48 2026`, as keepalived's console timestamps (ctime without the newline). */
export function consoleTimestamp(d: Date): string {
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${d.getFullYear()}`;
}

export interface DaemonLoggerOptions {
  readonly console: boolean;
  readonly detail: boolean;
  readonly logFile: string | null;
  readonly syslog: boolean;
  /** syslog ident, e.g. `Keepalived_vrrp`. */
  readonly ident: string;
}

// syslog priorities (facility LOG_DAEMON = 3 << 3).
const LOG_DAEMON = 3 << 3;
const SYSLOG_SEVERITY: Record<string, number> = { error: 3, warn: 4, info: 6, detail: 6, debug: 7 };

function openSyslog(): UnixDatagramSocket | null {
  if (!existsSync('/dev/log')) return null;
  try {
    return openUnixDatagramSocket(() => {
      // syslog is best effort: a missing reader must not stop the daemon.
    });
  } catch {
    return null;
  }
}

export interface DaemonLogger extends Logger {
  close(): void;
}

export function createDaemonLogger(options: DaemonLoggerOptions): DaemonLogger {
  const syslog = options.syslog && !options.console ? openSyslog() : null;
  const sink = {
    write(json: string): void {
      let record: { level?: number; msg?: string };
      try {
        record = JSON.parse(json) as { level?: number; msg?: string };
      } catch {
        return;
      }
      const message = record.msg ?? '';
      const line = `${consoleTimestamp(new Date())}: ${message}\n`;
      if (options.console) process.stderr.write(line);
      if (options.logFile !== null) {
        try {
          appendFileSync(options.logFile, line);
        } catch {
          // An unwritable log file must not stop the daemon.
        }
      }
      if (syslog !== null) {
        const levelName = LEVEL_NAMES[record.level ?? 30] ?? 'info';
        const pri = LOG_DAEMON | (SYSLOG_SEVERITY[levelName] ?? 6);
        const buf = Buffer.from(`<${pri}>${options.ident}[${process.pid}]: ${message}`);
        syslog.send(buf, 0, buf.length, '/dev/log');
      }
    },
  };
  const p = pino(
    {
      level: 'debug',
      customLevels: { detail: 25 },
      base: null,
      timestamp: false,
    },
    sink,
  );
  const LEVEL_NAMES: Record<number, string> = {
    50: 'error',
    40: 'warn',
    30: 'info',
    25: 'detail',
    20: 'debug',
  };
  const debugEnabled = process.env['KEEPALIVED_TS_DEBUG'] === '1';
  return {
    error: (m) => p.error(m),
    warn: (m) => p.warn(m),
    info: (m) => p.info(m),
    detail: (m) => {
      if (options.detail) p.detail(m);
    },
    debug: (m) => {
      if (debugEnabled) p.debug(m);
    },
    close: () => syslog?.close(),
  };
}
