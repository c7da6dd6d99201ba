/**
 * Printing diagnostics as keepalived does (lib/parser.c vreport_config_error): `(Line 12) text`
 * for the main config file, `(FILE: Line 3) text` for an included file, and the bare text when
 * the problem has no line. keepalived 2.2.7 prints the file name for the main file too; current
 * keepalived prints it only when more than one file is read.
 */
import type { Logger } from '../util/log.js';
import type { Diagnostic, Severity } from './diagnostics.js';

export function formatDiagnostic(d: Diagnostic, mainFile: string | null): string {
  const message = printable(d.message);
  if (d.loc === null || d.loc.line <= 0) return message;
  if (mainFile !== null && d.loc.file === mainFile) return `(Line ${d.loc.line}) ${message}`;
  return `(${printable(d.loc.file)}: Line ${d.loc.line}) ${message}`;
}

/** Control characters from a binary or corrupted file must not reach the operator's terminal raw. */
function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\x00-\x08\x0b-\x1f\x7f\x9b]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/**
 * The config-test exit code for a set of diagnostics (keepalived lib/scheduler.h chk_exit_code,
 * keepalived/core/main.c config_test_exit). Every problem keepalived reports with
 * report_config_error counts, its warnings and deprecations too (5, `no scheduler set` and
 * `nb_get_retry is deprecated` among them); what it only logs (`info` here) does not, nor
 * keepalived-ts's own notice that it accepts a keyword without acting on it (`unsupported`),
 * which keepalived has no line for.
 */
export function exitCodeFor(diagnostics: readonly Diagnostic[]): 0 | 4 | 5 | 6 {
  // What keepalived-ts adds about keywords it does not act on has no keepalived counterpart: it
  // never changes the exit code keepalived would give.
  const has = (s: Severity) =>
    diagnostics.some((d) => d.severity === s && d.code !== 'unsupported' && d.code !== 'not-acted-on');
  if (has('fatal')) return 4;
  if (has('security')) return 6;
  if (has('error') || has('warning')) return 5;
  return 0;
}

/** Logs each diagnostic in keepalived's form: errors (and worse) at error level, the rest at info. */
export function logDiagnostics(diagnostics: readonly Diagnostic[], file: string, logger: Logger): void {
  for (const d of diagnostics) {
    const line = formatDiagnostic(d, file);
    if (d.severity === 'fatal' || d.severity === 'error' || d.severity === 'security') logger.error(line);
    else logger.info(line);
  }
}
