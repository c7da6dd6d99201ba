/**
 * keepalived's line-level extensions (PURE), applied to decommented lines in stream order
 * (docs/behaviour.md §1.0; keepalived.conf(5) "Conditional configuration",
 * "Parameter substitution", "Sequence blocks"):
 * - `@ID line` keeps the line only when ID is the config id; `@^ID line` only when it is not.
 * - `$NAME=VALUE` defines NAME (no space before `=`); a value ending in `\` continues on the next
 *   line, giving a multi-line definition that can expand into whole blocks.
 * - `$NAME` (followed by whitespace or end of line) and `${NAME}` are replaced, recursively, at use
 *   time; an undefined name is left as written.
 * - `~SEQ(var, [start, [step,]] end)` repeats the rest of the line for each value; `~SEQx` formats
 *   the value in hex. `~LST(var, v1, v2, ...)` repeats it for each listed value.
 *
 * Expansion is bounded (recursion depth, lines produced) so hostile input cannot hang the parser.
 */
import type { Diagnostic, DiagnosticCode } from './diagnostics.js';
import type { SourceLoc } from './model.js';

export interface PreprocessOptions {
  /** The `-i/--config-id` value (default: short host name, decided by the caller). */
  readonly configId: string;
  /** Directory of the file being read, for `${_PWD}`. */
  readonly pwd?: (loc: SourceLoc) => string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Deterministic source for `${_RANDOM}`; defaults to Math.random. */
  readonly random?: () => number;
}

export interface OutputLine {
  readonly text: string;
  readonly loc: SourceLoc;
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const DEFINITION = new RegExp(`^\\s*\\$(${NAME})=(.*)$`);
const VARIABLE = new RegExp(`^${NAME}$`);
/** `${NAME}`, `${NAME arg}` or `$NAME` before whitespace; compiled once (once per line was slow). */
const REFERENCE = new RegExp(`\\$\\{(${NAME})(?:\\s+([^}]*))?\\}|\\$(${NAME})(?=\\s|$)`, 'g');
const MAX_SUBSTITUTION_DEPTH = 32;
const MAX_EXPANDED_LINE = 1 << 20;
/** Lines a single source line may expand into (sequences included). */
const MAX_LINES_PER_SOURCE_LINE = 2_000_000;
/**
 * Lines and characters all expansions of one configuration may produce together: a per-line
 * budget alone lets N short lines make N x 2,000,000 lines, or one `~SEQ` of a 1 MiB `$NAME`
 * make terabytes (found by the fuzz tier, test/fuzz/config.test.ts).
 */
const MAX_EXPANDED_LINES_TOTAL = 2_000_000;
const MAX_EXPANDED_CHARS_TOTAL = 64 * 1024 * 1024;

export class Preprocessor {
  private readonly defs = new Map<string, string>();
  /** A multi-line definition being collected. */
  private pending: { name: string; lines: string[] } | null = null;
  /** What expansions may still produce in this configuration (MAX_EXPANDED_*_TOTAL). */
  private readonly total = { lines: MAX_EXPANDED_LINES_TOTAL, chars: MAX_EXPANDED_CHARS_TOTAL };
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly opts: PreprocessOptions) {}

  /**
   * Feeds one decommented line; `emit` receives the lines it produces for tokenizing. `loc` is
   * built only when needed (diagnostics, expansions): most lines pass straight through.
   */
  process(
    line: string,
    file: string,
    lineNo: number,
    emit: (text: string, loc: SourceLoc | null) => void,
  ): void {
    if (this.pending) {
      const cont = line.endsWith('\\');
      this.pending.lines.push(cont ? line.slice(0, -1) : line);
      if (!cont) {
        this.defs.set(this.pending.name, this.pending.lines.join('\n'));
        this.pending = null;
      }
      return;
    }

    let text = line;
    // Fast path: a line with no `@`, `$` or `~` needs no preprocessing (nearly every line).
    if (!text.includes('@') && !text.includes('$') && !text.includes('~')) {
      emit(text, null);
      return;
    }
    const loc: SourceLoc = { file, line: lineNo };
    const trimmed = text.trimStart();
    if (trimmed.startsWith('@')) {
      const m = /^@(\^?)(\S*)\s*(.*)$/.exec(trimmed);
      if (!m) return;
      const negate = m[1] === '^';
      const matches = m[2] === this.opts.configId;
      if (matches === negate) return;
      text = m[3]!;
    }

    const def = text.includes('$') ? DEFINITION.exec(text) : null;
    if (def) {
      const name = def[1]!;
      const value = def[2]!;
      if (value.endsWith('\\')) this.pending = { name, lines: [value.slice(0, -1)] };
      else this.defs.set(name, value);
      return;
    }

    const out: OutputLine[] = [];
    const budget = {
      lines: Math.min(MAX_LINES_PER_SOURCE_LINE, this.total.lines),
      chars: this.total.chars,
      exhausted: false,
    };
    this.expandSequences(text, loc, out, budget, 0);
    this.total.lines -= out.length;
    this.total.chars = budget.chars;
    if (budget.exhausted) {
      this.diag(
        'error',
        'expansion-limit',
        `Expansion of this line produces too many lines - truncated`,
        loc,
      );
    }
    for (const o of out) emit(o.text, o.loc);
  }

  /** Called at end of input: an unfinished multi-line definition is an error. */
  finish(loc: SourceLoc): void {
    if (this.pending) {
      this.diag('error', 'unterminated-definition', `Definition '$${this.pending.name}' not terminated`, loc);
      this.defs.set(this.pending.name, this.pending.lines.join('\n'));
      this.pending = null;
    }
  }

  private expandSequences(
    text: string,
    loc: SourceLoc,
    out: OutputLine[],
    budget: { lines: number; chars: number; exhausted: boolean },
    depth: number,
  ): void {
    if (budget.exhausted) return;
    const m = text.includes('~') ? /^\s*~(SEQx?|LST)\(([^)]*)\)(.*)$/.exec(text) : null;
    if (!m || depth > 8) {
      for (const l of this.substitute(text, loc).split('\n')) {
        budget.chars -= l.length;
        if (budget.lines-- <= 0 || budget.chars < 0) {
          budget.exhausted = true;
          return;
        }
        out.push({ text: l, loc });
      }
      return;
    }
    const kind = m[1]!;
    const params = m[2]!.split(',').map((s) => this.substitute(s.trim(), loc));
    const body = m[3]!;
    const variable = params[0] ?? '';
    if (!VARIABLE.test(variable)) {
      this.diag('error', 'bad-sequence', `Invalid ~${kind} variable '${variable}'`, loc);
      return;
    }
    const previous = this.defs.get(variable);
    const values = kind === 'LST' ? params.slice(1) : this.sequenceValues(kind, params.slice(1), loc);
    if (values === null) return;
    for (const v of values) {
      if (budget.exhausted) break;
      this.defs.set(variable, v);
      this.expandSequences(body, loc, out, budget, depth + 1);
    }
    if (previous === undefined) this.defs.delete(variable);
    else this.defs.set(variable, previous);
  }

  private sequenceValues(kind: string, params: string[], loc: SourceLoc): string[] | null {
    const nums = params.map((p) => (/^[-+]?\d{1,12}$/.test(p) ? Number(p) : NaN));
    if (nums.length < 1 || nums.length > 3 || nums.some((x) => Number.isNaN(x))) {
      this.diag('error', 'bad-sequence', `Invalid ~${kind} parameters '${params.join(', ')}'`, loc);
      return null;
    }
    let start: number, step: number, end: number;
    if (nums.length === 1) {
      end = nums[0]!;
      start = end < 0 ? -1 : 1;
      step = end < start ? -1 : 1;
    } else if (nums.length === 2) {
      [start, end] = nums as [number, number];
      step = end < start ? -1 : 1;
    } else {
      [start, step, end] = nums as [number, number, number];
    }
    if (step === 0 || (step > 0 && end < start) || (step < 0 && end > start)) {
      this.diag('error', 'bad-sequence', `Invalid ~${kind} parameters '${params.join(', ')}'`, loc);
      return null;
    }
    const count = Math.floor((end - start) / step) + 1;
    if (count > MAX_LINES_PER_SOURCE_LINE) {
      this.diag('error', 'expansion-limit', `~${kind} would produce ${count} values - too many`, loc);
      return null;
    }
    const values: string[] = [];
    for (let i = 0, v = start; i < count; i++, v += step)
      values.push(kind === 'SEQx' ? v.toString(16) : String(v));
    return values;
  }

  /** Replaces `$NAME` / `${NAME}` recursively (use-time evaluation). */
  substitute(text: string, loc: SourceLoc, depth = 0): string {
    if (!text.includes('$')) return text;
    if (depth >= MAX_SUBSTITUTION_DEPTH) {
      this.diag('error', 'substitution-depth', `Parameter substitution nested too deeply`, loc);
      return text;
    }
    let changed = false;
    const out = text.replace(
      REFERENCE,
      (whole, braced: string | undefined, arg: string | undefined, bare: string | undefined) => {
        const name = (braced ?? bare)!;
        const value = this.lookup(name, arg?.trim() ?? null, loc);
        if (value === null) return whole;
        changed = true;
        return value;
      },
    );
    if (out.length > MAX_EXPANDED_LINE) {
      this.diag('error', 'expansion-limit', `Parameter substitution produces a line too long`, loc);
      return text;
    }
    return changed ? this.substitute(out, loc, depth + 1) : out;
  }

  private lookup(name: string, arg: string | null, loc: SourceLoc): string | null {
    const defined = this.defs.get(name);
    if (defined !== undefined && arg === null) return defined;
    switch (name) {
      case '_PWD':
        return this.opts.pwd ? this.opts.pwd(loc) : null;
      case '_INSTANCE':
        return this.opts.configId;
      case '_HASH':
        return '#';
      case '_BANG':
        return '!';
      case '_ENV':
        return arg !== null ? (this.opts.env?.[arg] ?? '') : null;
      case '_RANDOM': {
        const [lo, hi] = (arg ?? '').split(/\s+/).filter(Boolean).map(Number);
        const min = Number.isFinite(lo) ? lo! : 0;
        const max = Number.isFinite(hi) ? hi! : 32767;
        const r = this.opts.random ? this.opts.random() : Math.random();
        return String(min + Math.floor(r * (Math.max(min, max) - min + 1)));
      }
      default:
        return null;
    }
  }

  private diag(
    severity: Diagnostic['severity'],
    code: DiagnosticCode,
    message: string,
    loc: SourceLoc,
  ): void {
    this.diagnostics.push({ severity, code, message, loc });
  }
}
