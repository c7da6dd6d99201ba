/**
 * PURE: how keepalived's log lines look on each of its outputs, and the names the daemon's
 * logger (logger.ts) writes under. Kept apart from logger.ts so the command line (cli.ts) can
 * check `-S` without loading pino.
 */
/** Where a line comes from: the core (start, stop, reload), the VRRP side, the checkers and IPVS. */
export type LogSubsystem = 'core' | 'vrrp' | 'lvs';

/**
 * syslog idents: keepalived's parent, VRRP child and checker child (include/vrrp_daemon.h
 * PROG_VRRP, include/check_daemon.h PROG_CHECK). keepalived-ts is one process, so each line takes
 * the ident of the keepalived process that would have written it.
 */
export const SYSLOG_IDENTS: Readonly<Record<LogSubsystem, string>> = {
  core: 'Keepalived',
  vrrp: 'Keepalived_vrrp',
  lvs: 'Keepalived_healthcheckers',
};

/** The subsystem of a line from its `subsystem` field (absent or unknown: the core). */
export function subsystemOf(field: unknown): LogSubsystem {
  return field === 'vrrp' || field === 'lvs' ? field : 'core';
}

/** <syslog.h> facility codes (already shifted left by 3). */
export const LOG_USER = 1 << 3;
export const LOG_DAEMON = 3 << 3;
export const LOG_LOCAL0 = 16 << 3;

/**
 * `-S`/`--log-facility`, as keepalived 2.2.7 reads it (core/main.c): `0`-`7` and `local0`-
 * `local7` are LOG_LOCAL0..7, and `user` and `daemon` name themselves. null: not a facility.
 */
export function parseLogFacility(text: string): number | null {
  const m = /^(?:local)?([0-7])$/.exec(text);
  if (m !== null) return LOG_LOCAL0 + (Number(m[1]) << 3);
  if (text === 'user') return LOG_USER;
  if (text === 'daemon') return LOG_DAEMON;
  return null;
}

/** syslog severities (<syslog.h>) of the logger's levels; `detail` is keepalived's LOG_INFO. */
export const SYSLOG_SEVERITY: Readonly<Record<string, number>> = {
  error: 3,
  warn: 4,
  info: 6,
  detail: 6,
  debug: 7,
};

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad0 = (n: number, w = 2): string => String(n).padStart(w, '0');
const hms = (d: Date): string => `${pad0(d.getHours())}:${pad0(d.getMinutes())}:${pad0(d.getSeconds())}`;

/**
 * `Tue Dec  1 22:42:02 2026`: keepalived's console timestamp, strftime `%c` in the C locale
 * (lib/logger.c vlog_message), day of month padded with a space.
 */
export function consoleTimestamp(d: Date): string {
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${hms(d)} ${d.getFullYear()}`;
}

/**
 * `Tue Dec 01 22:42:02.123000000 2026`: keepalived's log file timestamp, `%a %b %d %T` then
 * nanoseconds then ` %Y` (lib/logger.c vlog_message); Date has milliseconds.
 */
export function fileTimestamp(d: Date): string {
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${pad0(d.getDate())} ${hms(d)}.${pad0(d.getMilliseconds(), 3)}000000 ${d.getFullYear()}`;
}

/**
 * One datagram for /dev/log as glibc's syslog(3) writes it (RFC 3164 without the host name):
 * `<PRI>Mmm dd hh:mm:ss IDENT[PID]: message`, the day padded with a space (`%h %e %T`).
 */
export function syslogLine(pri: number, d: Date, ident: string, pid: number, message: string): string {
  const stamp = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${hms(d)}`;
  return `<${pri}>${stamp} ${ident}[${pid}]: ${message}`;
}

/** `-g` without a file name: keepalived's default, `keepalived.log` in the temporary directory. */
export const DEFAULT_LOG_FILE = 'keepalived.log';

/**
 * The file a subsystem's lines go to with `-g NAME` (lib/utils.c make_file_name): a relative
 * NAME is in $TMPDIR (when absolute) or /tmp; the VRRP child inserts `_vrrp` and the checker
 * child `_check` before the extension of the last path component (`/var/log/ka.log` ->
 * `/var/log/ka_vrrp.log`, `/var/log/ka_check.log`); the core's lines go to NAME itself.
 */
export function logFileFor(name: string, subsystem: LogSubsystem, tmpDir: string | undefined): string {
  const base = name.startsWith('/') ? name : `${tmpDir?.startsWith('/') ? tmpDir : '/tmp'}/${name}`;
  if (subsystem === 'core') return base;
  const suffix = subsystem === 'vrrp' ? '_vrrp' : '_check';
  const slash = base.lastIndexOf('/');
  const dot = base.lastIndexOf('.');
  return dot > slash ? `${base.slice(0, dot)}${suffix}${base.slice(dot)}` : `${base}${suffix}`;
}
