import type { SourceLoc } from './model.js';

/**
 * Severity, most severe first. Mirrors keepalived's config_err_t ordering collapsed to what
 * `-t` reports: `fatal` = the daemon could not run (exit 4), `security` = script security
 * problem (exit 6), `error` = errors it would run with (exit 5), `warning`/`info` = exit 0.
 */
export type Severity = 'fatal' | 'security' | 'error' | 'warning' | 'info';

/**
 * Every diagnostic code, each documented in docs/config-diagnostics.md (a unit test checks both
 * ways). Codes are stable: tools may match on them.
 */
export const DIAGNOSTIC_CODES = [
  'advert-int',
  'auth-ah-master',
  'auth-hmac',
  'auth-pass-truncated',
  'auth-v3',
  'bad-script',
  'bad-sequence',
  'config-file-missing',
  'default-method',
  'default-protocol',
  'default-scheduler',
  'deprecated',
  'duplicate',
  'duplicate-rs',
  'duplicate-vrid',
  'empty-group',
  'empty-sync-group',
  'expansion-limit',
  'extra-close-brace',
  'extra-parameters',
  'family-mismatch',
  'fwmark-protocol',
  'ha-suspend',
  'include-cycle',
  'include-empty',
  'include-limit',
  'include-missing',
  'internal-error',
  'invalid-address',
  'invalid-bool',
  'invalid-number',
  'invalid-port',
  'invalid-value',
  'loopback-interface',
  'missing-block',
  'missing-close-brace',
  'missing-interface',
  'missing-parameter',
  'missing-script',
  'missing-url',
  'missing-vrid',
  'multiple-sync-groups',
  'nesting-too-deep',
  'no-real-servers',
  'no-vip',
  'nopreempt-master',
  'nopreempt-owner',
  'nul-byte',
  'ops-not-udp',
  'out-of-range',
  'quorum',
  'route-no-dev',
  'rs-port',
  'sched-flag',
  'script-insecure',
  'script-missing',
  'script-security',
  'script-user',
  'single-sync-group',
  'sorry',
  'strict-mode',
  'substitution-depth',
  'too-many-vips',
  'track-own-interface',
  'unexpected-block',
  'unicast-no-peers',
  'unexpected-open-brace',
  'unknown-file',
  'unknown-instance',
  'unknown-keyword',
  'unknown-process',
  'unknown-script',
  'unknown-vs-group',
  'unmatched-quote',
  'unsupported',
  'not-acted-on',
  'unterminated-definition',
  'vmac',
  'zero-port',
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable machine-readable code, e.g. `unknown-keyword`. */
  readonly code: DiagnosticCode;
  /** Human text in keepalived's wording where one exists, without the location prefix. */
  readonly message: string;
  readonly loc: SourceLoc | null;
}
