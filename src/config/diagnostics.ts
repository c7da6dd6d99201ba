import type { SourceLoc } from './model.js';

/**
 * Severity, most severe first. Mirrors keepalived's config_err_t ordering collapsed to what
 * `-t` reports: `fatal` = the daemon could not run (exit 4), `security` = script security
 * problem (exit 6), `error` = errors it would run with (exit 5), `warning`/`info` = exit 0.
 */
export type Severity = 'fatal' | 'security' | 'error' | 'warning' | 'info';

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable machine-readable code, e.g. `unknown-keyword`. */
  readonly code: string;
  /** Human text in keepalived's wording where one exists, without the location prefix. */
  readonly message: string;
  readonly loc: SourceLoc | null;
}
