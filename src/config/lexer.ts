/**
 * keepalived.conf line lexing (PURE). docs/behaviour.md §1.0:
 * - `#` and `!` start a comment anywhere outside `"..."`; `\#` and `\!` outside quotes are literal.
 * - Tokens split on whitespace; `"..."` groups words into one token with the quotes removed.
 * - `{` and `}` are structure only as separate tokens (`VI_1{` is one word).
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
 * Removes the comment part of a line and turns `\#` / `\!` outside quotes into literal characters.
 * Other backslashes are kept for the shell-like parser of script keywords.
 */
export function decomment(line: string): string {
  // Fast path: most lines have neither comment characters nor backslashes.
  if (!/[#!\\]/.test(line)) return line;
  let out = '';
  let inQuote = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"') {
      inQuote = !inQuote;
      out += ch;
    } else if (!inQuote && ch === '\\' && (line[i + 1] === '#' || line[i + 1] === '!')) {
      out += line[i + 1];
      i++;
    } else if (!inQuote && (ch === '#' || ch === '!')) {
      break;
    } else {
      out += ch;
    }
  }
  return out;
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
