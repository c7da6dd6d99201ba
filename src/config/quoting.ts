/**
 * keepalived's shell-like word splitting for script keywords (`script`, `notify*`, `misc_path`,
 * `quorum_up`, ...): `"` and `'` both quote, words split on unquoted whitespace, and backslash
 * escapes `\a \b \E \f \n \r \t \v \nnn \xXX \cC` (keepalived.conf(5) "Quoted strings").
 *
 * A script line is split twice, as keepalived does: first without escapes, giving
 * `COMMAND [USER [GROUP]]` where COMMAND is usually one quoted word; then COMMAND itself is split
 * with escapes into argv.
 *
 * Pure: never throws; problems come back as a message in keepalived's wording.
 */
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import type { ScriptSpec } from './model.js';

const WHITE = ' \t\f\n\r\v';

function isWhite(c: string): boolean {
  return WHITE.includes(c);
}
function isOctal(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7';
}
function hexValue(c: string | undefined): number {
  if (c === undefined) return -1;
  const v = parseInt(c, 16);
  return Number.isNaN(v) || !/^[0-9a-fA-F]$/.test(c) ? -1 : v;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/**
 * Splits `text` into words. With `escapes`, backslash sequences are decoded; without, a backslash
 * and the character after it are kept as written (the second pass decodes them).
 */
export function splitQuoted(text: string, escapes: boolean): Result<string[], string> {
  const words: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && isWhite(text[i]!)) i++;
    if (i >= n) break;
    let word = '';
    let quote: string | null = null;
    while (i < n) {
      const c = text[i]!;
      if (c === '\\') {
        i++;
        if (i >= n) return err(`Missing escape char at end: '${text}'`);
        if (!escapes) {
          word += '\\' + text[i]!;
          i++;
          continue;
        }
        const e = text[i]!;
        if (e === 'x' && hexValue(text[i + 1]) >= 0) {
          i++;
          let v = 0;
          for (let k = 0; k < 2 && hexValue(text[i]) >= 0; k++) {
            v = (v << 4) | hexValue(text[i]);
            i++;
          }
          word += String.fromCharCode(v);
        } else if (e === 'c' && i + 1 < n) {
          word += String.fromCharCode(text.charCodeAt(i + 1) & 0x1f);
          i += 2;
        } else if (isOctal(e)) {
          let v = 0;
          for (let k = 0; k < 3 && isOctal(text[i]); k++) {
            v = (v << 3) + (text.charCodeAt(i) - 48);
            i++;
          }
          word += String.fromCharCode(v & 0xff);
        } else {
          word += SIMPLE_ESCAPES[e] ?? e;
          i++;
        }
        continue;
      }
      if (quote !== null) {
        if (c === quote) quote = null;
        else word += c;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      }
      if (isWhite(c)) break;
      word += c;
      i++;
    }
    if (quote !== null) return err(`String '${text}': missing terminating ${quote}`);
    words.push(word);
  }
  return ok(words);
}

/**
 * Parses the text after a script keyword: `COMMAND [USER [GROUP]]`, where `USER:GROUP` is also
 * accepted. `allowUser` is false for keywords that take only the command (vrrp_script `script`,
 * whose user comes from the `user` keyword); extra words are then ignored, as keepalived does.
 */
export function parseScriptLine(rest: string, allowUser = true): Result<ScriptSpec, string> {
  const outer = splitQuoted(rest, false);
  if (!outer.ok) return outer;
  const words = outer.value;
  if (words.length === 0 || words[0] === '') return err('Unable to parse script - no command given');
  const inner = splitQuoted(words[0]!, true);
  if (!inner.ok) return inner;
  if (inner.value.length === 0) return err('Unable to parse script - no command given');
  let user: string | null = null;
  let group: string | null = null;
  if (allowUser && words.length > 1) {
    const u = words[1]!;
    const colon = u.indexOf(':');
    if (colon >= 0) {
      user = u.slice(0, colon);
      group = u.slice(colon + 1) || (words[2] ?? null);
    } else {
      user = u;
      group = words[2] ?? null;
    }
    if (user === '') return err(`Invalid user/group '${words.slice(1).join(' ')}'`);
  }
  return ok({ command: inner.value.join(' '), argv: inner.value, user, group });
}
