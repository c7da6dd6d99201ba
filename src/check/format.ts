/**
 * PURE: the checkers' log lines in keepalived's wording. Virtual and real servers are named by
 * the one formatter in src/config/virtual-server-format.ts.
 */
import type { Checker, RealServer, VirtualServer } from '../config/model.js';
import { formatRs, formatTrio } from '../config/virtual-server-format.js';
import type { CheckResult } from './checker.js';
import type { CheckerLog } from './health.js';

/** The endpoint a checker talks to (connect_ip/connect_port), else the real server. */
export function formatChecker(checker: Checker, rs: RealServer, vs: VirtualServer): string {
  if ('connectIp' in checker) return formatTrio(checker.connectIp, vs.protocol, checker.connectPort);
  return formatRs(rs, vs);
}

/** What a checker log line needs to know (see `checkerLogLines`). */
export interface CheckerLogInput {
  readonly checker: Checker;
  /** `formatChecker` of the checker. */
  readonly target: string;
  readonly vsName: string;
  readonly result: CheckResult;
  readonly log: CheckerLog | null;
  /** The step brought the checker up (HTTP/SSL/SMTP only announce real transitions). */
  readonly cameUp: boolean;
  /** Retries used so far, for MISC_CHECK's `on retry i/N`. */
  readonly retryIt: number;
  /** `log_all_failures` or global `checker_log_all_failures`. */
  readonly logAllFailures: boolean;
}

function failedLine(prefix: string, target: string, afterRetries: number | null): string {
  return afterRetries !== null
    ? `${prefix} on service ${target} failed after ${afterRetries} retries.`
    : `${prefix} on service ${target} failed.`;
}

/**
 * keepalived's lines for one checker attempt (check_tcp.c, check_http.c, check_misc.c,
 * check_udp.c, check_ping.c, check_dns.c, check_smtp.c): success on coming up, failure on going
 * down, and per-attempt failures only with log_all_failures.
 */
export function checkerLogLines(i: CheckerLogInput): string[] {
  const { checker, target, result, log } = i;
  const lines: string[] = [];
  const attemptFailed = result.kind === 'down' && i.logAllFailures;
  const reason = result.kind === 'down' ? result.reason : '';
  const detail = result.kind === 'down' && result.detail !== '' ? ` ${result.detail}` : '';
  const retry = checker.type === 'FILE_CHECK' ? 0 : checker.retry;
  switch (checker.type) {
    case 'TCP_CHECK':
      if (attemptFailed)
        lines.push(`TCP connection to ${target} ${reason === 'Timeout connecting' ? 'timeout' : 'failed'}.`);
      if (log?.kind === 'success') lines.push(`TCP connection to ${target} success.`);
      if (log?.kind === 'failed') lines.push(failedLine('TCP_CHECK', target, log.afterRetries));
      break;
    case 'HTTP_GET':
    case 'SSL_GET': {
      if (attemptFailed) lines.push(`${reason} server ${target}.`);
      if (i.cameUp && result.kind === 'up') {
        lines.push(...result.notes);
        lines.push(`Remote Web server ${target} succeed on service.`);
      }
      if (log?.kind === 'failed')
        lines.push(
          failedLine(checker.type === 'SSL_GET' ? 'SSL_CHECK' : 'HTTP_CHECK', target, log.afterRetries),
        );
      break;
    }
    case 'MISC_CHECK': {
      const head = `Misc check for [${target} VS ${i.vsName}] by [${checker.miscPath.argv[0] ?? ''}]`;
      if (log?.kind === 'success') lines.push(`${head} succeeded.`);
      else if (log?.kind === 'failed') {
        const how =
          retry === 0 ? ' with retry disabled' : ` after ${retry} ${retry === 1 ? 'retry' : 'retries'}`;
        lines.push(`${head} ${reason}${how}${detail}.`);
      } else if (log?.kind === 'attempt-failed' && i.logAllFailures) {
        const how = retry === 0 ? ' with retry disabled' : ` on retry ${i.retryIt}/${retry}`;
        lines.push(`${head} ${reason}${how}${detail}.`);
      }
      break;
    }
    case 'UDP_CHECK':
      if (attemptFailed) lines.push(`UDP connection to ${target} failed.`);
      if (log?.kind === 'success') lines.push(`UDP connection to ${target} success.`);
      if (log?.kind === 'failed') lines.push(failedLine('UDP_CHECK', target, log.afterRetries));
      break;
    case 'PING_CHECK':
      if (attemptFailed) lines.push(`ICMP connection to ${target} of ${i.vsName} failed.`);
      if (log?.kind === 'success') lines.push(`ICMP connection to ${target} success.`);
      if (log?.kind === 'failed')
        lines.push(
          log.afterRetries !== null
            ? `ICMP CHECK on service ${target} of ${i.vsName} failed after ${log.afterRetries} retries.`
            : `ICMP CHECK on service ${target} failed.`,
        );
      break;
    case 'DNS_CHECK':
      if (attemptFailed) lines.push(`DNS_CHECK (${target}) ${reason}${detail}`);
      if (log?.kind === 'success') lines.push(`DNS_CHECK (${target}) succeed`);
      if (log?.kind === 'failed') lines.push(failedLine('DNS_CHECK', target, log.afterRetries));
      break;
    case 'SMTP_CHECK':
      if (attemptFailed) lines.push(`${reason} server ${target}.`);
      if (i.cameUp) lines.push(`Remote SMTP server ${target} succeed on service.`);
      if (log?.kind === 'failed') lines.push(failedLine('SMTP_CHECK', target, log.afterRetries));
      break;
    case 'FILE_CHECK':
      if (i.cameUp) lines.push(`FILE_CHECK on service ${target} succeed.`);
      if (log?.kind === 'failed') lines.push(`FILE_CHECK on service ${target} failed (${reason}${detail}).`);
      break;
  }
  return lines;
}
