import type { Diagnostic } from './diagnostics.js';
import type { SourceLoc } from './model.js';

/**
 * The generic syntax tree the lexer produces. It knows no keywords: every line is a statement
 * (first token = keyword, the rest = args) and a statement followed by `{ ... }` carries the
 * block's statements. Value blocks (`virtual_ipaddress { ... }`) are the same shape: each line
 * is a child statement whose keyword is the line's first token.
 */
export interface Statement {
  readonly keyword: string;
  /** General tokenization: whitespace split, `"..."` grouping with the quotes removed. */
  readonly args: readonly string[];
  /**
   * The text after the keyword on its line, after `$NAME` substitution and comment removal,
   * untouched otherwise: script keywords re-split it with shell-like quoting (config/quoting.ts).
   */
  readonly rest: string;
  readonly loc: SourceLoc;
  /** Child statements when the statement opened a `{ }` block, else null. */
  readonly block: readonly Statement[] | null;
  /** The line of the block's closing `}` (keepalived's end handlers report there). */
  readonly endLoc?: SourceLoc;
  /**
   * The line had an opening `"` with no closing one (the last token runs to the end of the line).
   * The lexer does not report it: the schema does, in the wording of the keyword's quoting rules.
   */
  readonly unmatchedQuote: boolean;
}

export interface ParsedFiles {
  readonly statements: readonly Statement[];
  readonly diagnostics: readonly Diagnostic[];
  /** Files read, main file first. */
  readonly files: readonly string[];
}
