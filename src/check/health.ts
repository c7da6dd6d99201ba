/**
 * PURE per-checker and per-real-server health transitions, following keepalived's checker
 * epilogues (check_tcp.c `tcp_epilog` and its siblings):
 *
 * | state            | attempt  | retries used  | result                                    |
 * |------------------|----------|---------------|-------------------------------------------|
 * | any              | success  | -             | retries reset; log + go up if down/first  |
 * | up or first run  | failure  | >= retry      | go down; log "failed [after N retries]"   |
 * | up               | failure  | < retry       | retry after delay_before_retry            |
 * | down             | failure  | -             | stay down; next try after delay_loop      |
 *
 * At start every checker has its retries already used up (check_data.c), so without `alpha` a
 * server starts up and its first failure takes it down at once; with `alpha` it starts down and
 * comes up on its first success.
 */
import type { Checker } from '../config/model.js';
import type { CheckResult } from './checker.js';

export interface CheckerHealth {
  readonly up: boolean;
  /** False until the first attempt completed. */
  readonly hasRun: boolean;
  /** Retries used since the last success (keepalived `retry_it`). */
  readonly retryIt: number;
  /** Weight reported by the last successful attempt (dynamic weights), else null. */
  readonly weight: number | null;
}

export type CheckerLog =
  | { readonly kind: 'success' }
  /** The checker went (or, at start, stayed) down; `afterRetries` null for keepalived's short form. */
  | { readonly kind: 'failed'; readonly afterRetries: number | null }
  /** A failed attempt that changed nothing (logged only with log_all_failures). */
  | { readonly kind: 'attempt-failed' };

export interface CheckerStep {
  readonly health: CheckerHealth;
  /** The checker flipped state. */
  readonly change: 'up' | 'down' | null;
  readonly next: 'delay_loop' | 'delay_before_retry';
  readonly log: CheckerLog | null;
}

/** Retry count the epilogue uses; FILE_CHECK has no retries. */
export function checkerRetry(checker: Checker): number {
  return checker.type === 'FILE_CHECK' ? 0 : checker.retry;
}

export function initialCheckerHealth(checker: Checker): CheckerHealth {
  const alpha = checker.type === 'FILE_CHECK' ? false : checker.alpha;
  return { up: !alpha, hasRun: false, retryIt: checkerRetry(checker), weight: null };
}

/** Applies one attempt result to one checker (see the table above). */
export function stepChecker(h: CheckerHealth, result: CheckResult, retry: number): CheckerStep {
  // No verdict (no socket could be made): nothing changes; the next attempt after delay_loop.
  if (result.kind === 'skipped') return { health: h, change: null, next: 'delay_loop', log: null };
  if (result.kind === 'up') {
    const announce = !h.up || !h.hasRun;
    return {
      health: { up: true, hasRun: true, retryIt: 0, weight: result.weight },
      change: h.up ? null : 'up',
      next: 'delay_loop',
      log: announce ? { kind: 'success' } : null,
    };
  }
  if ((h.up || !h.hasRun) && h.retryIt >= retry) {
    return {
      health: { up: false, hasRun: true, retryIt: 0, weight: null },
      change: h.up ? 'down' : null,
      next: 'delay_loop',
      log: { kind: 'failed', afterRetries: retry > 0 && h.hasRun ? retry : null },
    };
  }
  if (h.up) {
    return {
      health: { ...h, hasRun: true, retryIt: h.retryIt + 1 },
      change: null,
      next: 'delay_before_retry',
      log: { kind: 'attempt-failed' },
    };
  }
  return {
    health: { ...h, hasRun: true },
    change: null,
    next: 'delay_loop',
    log: { kind: 'attempt-failed' },
  };
}

export const IPVS_WEIGHT_MAX = 2 ** 31 - 1;

export interface RealServerHealth {
  /** Up only when every checker is up; a server with no checker is always up. */
  readonly alive: boolean;
  /** Configured weight adjusted by dynamic weights, clamped to 0..INT32_MAX. */
  readonly effectiveWeight: number;
}

/** Aggregates a real server's checkers (ipwrapper.c `update_svr_checker_state`: AND). */
export function realServerHealth(
  configuredWeight: number,
  checkers: readonly CheckerHealth[],
): RealServerHealth {
  let alive = true;
  let weight = configuredWeight;
  for (const c of checkers) {
    if (!c.up) alive = false;
    // Each dynamic checker contributes its offset from the configured weight (keepalived `cur_weight`).
    if (c.weight !== null) weight += c.weight - configuredWeight;
  }
  return { alive, effectiveWeight: Math.min(IPVS_WEIGHT_MAX, Math.max(0, weight)) };
}

/**
 * What makes two checkers "the same" across a reload: type and connection parameters (the
 * per-type `compare` functions of keepalived's checkers). Timings may change freely.
 */
export function checkerIdentity(checker: Checker): string {
  switch (checker.type) {
    case 'MISC_CHECK':
      return JSON.stringify([
        checker.type,
        checker.miscPath.argv,
        checker.miscPath.user,
        checker.miscPath.group,
      ]);
    case 'FILE_CHECK':
      return JSON.stringify([checker.type, checker.trackFile, checker.weight, checker.weightReverse]);
    default: {
      const base = [
        checker.type,
        checker.connectIp,
        checker.connectPort,
        checker.bindTo,
        checker.bindPort,
        checker.bindIf,
        checker.fwmark,
      ];
      switch (checker.type) {
        case 'HTTP_GET':
        case 'SSL_GET':
          return JSON.stringify([
            ...base,
            checker.urls,
            checker.httpProtocol,
            checker.virtualhost,
            checker.enableSni,
            checker.sniName,
          ]);
        case 'SMTP_CHECK':
          return JSON.stringify([...base, checker.heloName]);
        case 'DNS_CHECK':
          return JSON.stringify([...base, checker.queryType, checker.name]);
        case 'UDP_CHECK':
          return JSON.stringify([
            ...base,
            checker.payload,
            checker.requireReply,
            checker.replyPattern,
            checker.minReplyLength,
            checker.maxReplyLength,
          ]);
        default:
          return JSON.stringify(base);
      }
    }
  }
}

/** Health a checker starts with after a reload (docs/behaviour.md §4.8, `migrate_checkers`). */
export function migratedCheckerHealth(
  checker: Checker,
  previous: CheckerHealth | undefined,
  realServerExisted: boolean,
  realServerWasAlive: boolean,
): CheckerHealth {
  // Same checker: keeps its up/down state and retry counter.
  if (previous !== undefined) return previous;
  // A new real server is added only after its checks pass; a new checker on a failed real
  // server starts down.
  if (!realServerExisted || !realServerWasAlive) return { up: false, hasRun: true, retryIt: 0, weight: null };
  return initialCheckerHealth(checker);
}
