/**
 * keepalived.conf line lexing (PURE). docs/behaviour.md §1.0:
 * - `#` and `!` start a comment anywhere outside `"..."`; `\#` and `\!` outside quotes are literal.
 * - Tokens split on whitespace; `"..."` groups words into one token with the quotes removed.
 * - An unquoted `{` or `}` is a token of its own wherever it stands: `VI_1{` is `VI_1` then `{`,
 *   `10.0.0.1}` is `10.0.0.1` then `}` (keepalived's read_line cuts the line before the first
 *   brace outside quotes and reads the rest as the next line, lib/parser.c).
 */

export interface LineToken {
  /** Token text with quotes removed. */
  readonly text: string;
  /** Offsets of the token in the line (quotes included). */
  readonly start: number;
  readonly end: number;
  /** True when any part of the token was quoted: a quoted `{` is a word, not structure. */
  readonly quoted: boolean;
}

export interface TokenizedLine {
  readonly tokens: readonly LineToken[];
  /** An opening `"` had no closing one: the token runs to the end of the line. */
  readonly unmatchedQuote: boolean;
}

const WHITESPACE = new Set([' ', '\t', '\f', '\n', '\r', '\v']);

export function isWhitespace(ch: string | undefined): boolean {
  return ch !== undefined && WHITESPACE.has(ch);
}

/**
 * Removes the comment part of a line as keepalived's `decomment` does (lib/parser.c):
 * - an unquoted `#` or `!` starts the comment; quotes no longer count after it;
 * - a backslash and the character after it go together: outside quotes `\#` and `\!` become the
 *   literal character, every other pair is kept as written (a quote after a backslash does not
 *   open or close a string);
 * - a lone backslash that ends the line, comment or not, is kept at the end of the result: it
 *   continues a multi-line `$NAME=` definition (a `# note \` line inside one continues it too);
 * - blanks around the result are removed.
 */
export function decomment(line: string): string {
  // Fast path: most lines have neither comment characters nor backslashes.
  if (!/[#!\\]/.test(line)) return line;
  let out = '';
  let inQuote = false;
  let commentAt = -1;
  let continued = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"') {
      if (commentAt < 0) inQuote = !inQuote;
      out += ch;
    } else if (ch === '\\') {
      const next = line[i + 1];
      if (next === undefined) {
        continued = true;
        break;
      }
      out += !inQuote && (next === '#' || next === '!') ? next : ch + next;
      i++;
    } else {
      if (!inQuote && commentAt < 0 && (ch === '#' || ch === '!')) commentAt = out.length;
      out += ch;
    }
  }
  if (commentAt >= 0) out = out.slice(0, commentAt);
  out = out.trim();
  return continued ? `${out}\\` : out;
}

/** Splits a decommented line into tokens. Never throws. */
export function tokenizeLine(line: string): TokenizedLine {
  // Hot path (hundreds of thousands of lines): scan char codes and slice, no per-char concatenation.
  const tokens: LineToken[] = [];
  let unmatchedQuote = false;
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && isSpaceCode(line.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let text = '';
    let quoted = false;
    let segment = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (isSpaceCode(c)) break;
      if (c === 123 /* { */ || c === 125 /* } */) {
        // A brace ends the word before it and is a word of its own.
        if (i === start) i++;
        break;
      }
      if (c === 34 /* " */) {
        quoted = true;
        text += line.slice(segment, i);
        const close = line.indexOf('"', i + 1);
        if (close < 0) {
          unmatchedQuote = true;
          text += line.slice(i + 1);
          i = n;
          segment = n;
          break;
        }
        text += line.slice(i + 1, close);
        i = close + 1;
        segment = i;
      } else {
        i++;
      }
    }
    if (segment < i) text += line.slice(segment, i);
    tokens.push({ text, start, end: i, quoted });
  }
  return { tokens, unmatchedQuote };
}

function isSpaceCode(c: number): boolean {
  // ' ', \t, \n, \v, \f, \r
  return c === 32 || (c >= 9 && c <= 13);
}

/** True for an unquoted `{` or `}` token, the only forms that are block structure. */
export function isBrace(tok: LineToken, brace: '{' | '}'): boolean {
  return !tok.quoted && tok.text === brace;
}
