/**
 * How many file descriptors the daemon needs for a config, and the open-file limit set for it at
 * start and after each reload (net/open-file-limit.ts; keepalived's set_max_file_limit). One
 * process does what keepalived's three do, so the count is the sum of theirs, with Node's own
 * descriptors (event loop, worker thread, pipes) in the base.
 */
import type { Config } from '../config/model.js';
import type { OpenFileLimitChange } from '../net/open-file-limit.js';
import type { Logger } from '../util/log.js';

/** Node and the daemon's fixed descriptors: the event loop, the worker, netlink, syslog, logs, pid files. */
const BASE = 64;
/** keepalived's spare (check_daemon.c: 10, vrrp_daemon.c: 20). */
const SPARE = 20;
/** A MISC_CHECK script in flight: its stdin, stdout and stderr pipes and a pidfd. */
const PER_SCRIPT = 4;
/** A VRRP instance: its receive socket and its share of the send socket (vrrp_daemon.c: 2). */
const PER_INSTANCE = 2;
/** The control socket's clients (control-server.ts MAX_CLIENTS). */
const CONTROL_CLIENTS = 16;
/** The observation listener's connections (http-server.ts MAX_CONNECTIONS). */
const LISTENER_CONNECTIONS = 64;

export interface OpenFilesScope {
  readonly checkers: boolean;
  readonly vrrp: boolean;
  readonly listener: boolean;
}

/** PURE: the descriptors `config` may hold open at once. */
export function openFilesRequired(config: Config, scope: OpenFilesScope): number {
  let n = BASE + SPARE + CONTROL_CLIENTS + (scope.listener ? LISTENER_CONNECTIONS : 0);
  if (scope.vrrp) n += PER_INSTANCE * config.vrrpInstances.length;
  if (scope.checkers) {
    for (const vs of config.virtualServers)
      for (const rs of vs.realServers)
        for (const c of rs.checkers) {
          // check_api.c: every checker with a socket counts one (TCP, HTTP, SSL, SMTP, DNS, UDP, PING).
          if (c.type === 'MISC_CHECK') n += PER_SCRIPT;
          else if (c.type !== 'FILE_CHECK') n += 1;
        }
  }
  return n;
}

const ERRNO: Readonly<Record<string, number>> = { EPERM: 1, EINVAL: 22 };

/** Logs what setting the limit did, in keepalived's words (lib/process.c set_max_file_limit). */
export function logOpenFileLimit(change: OpenFileLimitChange, logger: Logger): void {
  const pair = (l: { soft: number; hard: number }): string =>
    `${l.soft === Infinity ? 'unlimited' : l.soft}:${l.hard === Infinity ? 'unlimited' : l.hard}`;
  switch (change.kind) {
    case 'unchanged':
      return;
    case 'set':
      logger.detail(`Set open file limit to ${pair(change.limits)}.`);
      return;
    case 'failed':
      logger.info(
        `Failed to set open file limit to ${pair(change.limits)} failed - errno ${ERRNO[change.code] ?? change.code}`,
      );
      if (change.capped !== null) logger.info(`Set open file limit to ${pair(change.capped)} instead.`);
  }
}
