/**
 * Tokenized lines -> generic statement tree (PURE). Knows no keywords.
 *
 * Block structure (docs/behaviour.md §1.0 "`{` placement"):
 * - `kw args {` opens a block for `kw`; a `{` alone on the next line opens it for the statement
 *   just before, when that statement has no block yet.
 * - A stray `{` gives "Unexpected '{' - ignoring"; a `}` with no open block gives "Extra '}' found".
 * - Braces in the middle of a line are honoured (`virtual_ipaddress { 10.0.0.1 }`).
 * - A block left open at end of input is reported at the line that opened it.
 * Built iteratively with an explicit stack, and nesting deeper than MAX_DEPTH is dropped with one
 * diagnostic, so megabytes of `{` cannot overflow anything downstream.
 */
import type { Diagnostic } from './diagnostics.js';
import { decomment, isBrace, tokenizeLine, type LineToken } from './lexer.js';
import type { SourceLoc } from './model.js';
import type { OutputLine } from './preprocess.js';
import type { Statement } from './tree.js';

export const MAX_DEPTH = 16;

interface MutableStatement {
  keyword: string;
  args: string[];
  rest: string;
  loc: SourceLoc;
  block: MutableStatement[] | null;
  endLoc?: SourceLoc;
  unmatchedQuote: boolean;
}

interface Frame {
  readonly owner: MutableStatement | null;
  readonly children: MutableStatement[];
  /** Depth beyond MAX_DEPTH: children are discarded. */
  readonly discarding: boolean;
}

export class TreeBuilder {
  private readonly root: MutableStatement[] = [];
  private readonly stack: Frame[] = [{ owner: null, children: this.root, discarding: false }];
  /** The last statement, when it ended its line without opening a block (`{` may follow alone). */
  private awaitingBrace: MutableStatement | null = null;
  private depthReported = false;
  readonly diagnostics: Diagnostic[] = [];

  /**
   * Adds one preprocessed line (already decommented and substituted). `loc` may be null: it is
   * then made from `file`/`lineNo` only if a statement or diagnostic needs it.
   */
  addLine(text: string, file: string, lineNo: number, givenLoc: SourceLoc | null = null): void {
    const { tokens, unmatchedQuote } = tokenizeLine(text);
    if (tokens.length === 0) return;
    const loc: SourceLoc = givenLoc ?? { file, line: lineNo };
    const line: OutputLine = { text, loc };
    let i = 0;
    while (i < tokens.length) {
      const tok = tokens[i]!;
      if (isBrace(tok, '{')) {
        this.openBlock(this.awaitingBrace, line.loc);
        this.awaitingBrace = null;
        i++;
        continue;
      }
      if (isBrace(tok, '}')) {
        this.closeBlock(line.loc);
        this.awaitingBrace = null;
        i++;
        continue;
      }
      // A statement runs to the next structural brace or the end of the line.
      let j = i + 1;
      while (j < tokens.length && !isBrace(tokens[j]!, '{') && !isBrace(tokens[j]!, '}')) j++;
      const stmt = this.makeStatement(line, tokens, i, j, unmatchedQuote);
      this.current().children.push(stmt);
      this.awaitingBrace = stmt;
      i = j;
      if (i < tokens.length && isBrace(tokens[i]!, '{')) {
        this.openBlock(stmt, line.loc);
        this.awaitingBrace = null;
        i++;
      }
    }
  }

  /** Ends input; reports blocks left open. */
  finish(): readonly Statement[] {
    while (this.stack.length > 1) {
      const frame = this.stack.pop()!;
      // Blocks below the depth cap were dropped already; report only the ones kept.
      if (frame.owner && !frame.discarding) {
        this.diagnostics.push({
          severity: 'error',
          code: 'missing-close-brace',
          message: `Missing '}' for block '${frame.owner.keyword}' opened here`,
          loc: frame.owner.loc,
        });
      }
    }
    return this.root;
  }

  private current(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  private openBlock(owner: MutableStatement | null, loc: SourceLoc): void {
    if (owner === null || owner.block !== null) {
      this.diagnostics.push({
        severity: 'warning',
        code: 'unexpected-open-brace',
        message: `Unexpected '{' - ignoring`,
        loc,
      });
      return;
    }
    const parent = this.current();
    if (parent.discarding || this.stack.length > MAX_DEPTH) {
      if (!this.depthReported) {
        this.depthReported = true;
        this.diagnostics.push({
          severity: 'error',
          code: 'nesting-too-deep',
          message: `Configuration blocks nested more than ${MAX_DEPTH} deep - ignoring the deeper blocks`,
          loc,
        });
      }
      owner.block = [];
      this.stack.push({ owner, children: [], discarding: true });
      return;
    }
    owner.block = [];
    this.stack.push({ owner, children: owner.block, discarding: false });
  }

  private closeBlock(loc: SourceLoc): void {
    if (this.stack.length <= 1) {
      this.diagnostics.push({
        severity: 'error',
        code: 'extra-close-brace',
        message: `Extra '}' found`,
        loc,
      });
      return;
    }
    const frame = this.stack.pop()!;
    if (frame.owner && !frame.discarding) frame.owner.endLoc = loc;
  }

  private makeStatement(
    line: OutputLine,
    tokens: readonly LineToken[],
    from: number,
    to: number,
    unmatchedQuote: boolean,
  ): MutableStatement {
    const first = tokens[from]!;
    const last = tokens[to - 1]!;
    const args: string[] = [];
    for (let k = from + 1; k < to; k++) args.push(tokens[k]!.text);
    return {
      keyword: first.text,
      args,
      rest: line.text.slice(first.end, last.end).trim(),
      loc: line.loc,
      block: null,
      unmatchedQuote: unmatchedQuote && to === tokens.length,
    };
  }
}

export { decomment };
