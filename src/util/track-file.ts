/**
 * PURE: the value of a `track_file`, read as keepalived 2.2.7 reads it for both of its users, VRRP
 * track_file weights and FILE_CHECK (trackers/track_file.c, process_track_file): the first 127
 * bytes go through `strtol(buf, NULL, 0)`, so leading white space, an optional sign, then
 * decimal, `0x` hexadecimal or `0` octal digits; whatever follows is ignored, and no digits at
 * all (or an empty or unreadable file) reads as 0. A number outside [INT32_MIN, INT32_MAX + 1],
 * or beyond strtol's 64-bit range, is refused: keepalived logs `Invalid number N read from PATH -
 * ignoring` and the file keeps its previous value.
 */
import { err, ok, type Result } from './result.js';

/** keepalived reads at most this many bytes of the file (a 128-byte buffer, NUL terminated). */
export const TRACK_FILE_READ_LIMIT = 127;

const INT32_MIN = -(2n ** 31n);
const INT32_MAX_PLUS_ONE = 2n ** 31n;
const LONG_MAX = 2n ** 63n - 1n;
const LONG_MIN = -(2n ** 63n);

/** C isspace() in the "C" locale. */
const isCSpace = (c: string): boolean => c === ' ' || (c >= '\t' && c <= '\r');

/** strtol(text, NULL, 0) as a bigint, saturated at the 64-bit limits as glibc does on ERANGE. */
function strtol0(text: string): bigint {
  let i = 0;
  while (i < text.length && isCSpace(text[i]!)) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-';
  let radix = 10;
  if (text[i] === '0') {
    const hexDigitFollows =
      (text[i + 1] === 'x' || text[i + 1] === 'X') && /[0-9a-f]/i.test(text[i + 2] ?? '');
    if (hexDigitFollows) {
      radix = 16;
      i += 2;
    } else radix = 8;
  }
  const digit = radix === 16 ? /[0-9a-f]/i : radix === 8 ? /[0-7]/ : /[0-9]/;
  let magnitude = 0n;
  while (i < text.length && digit.test(text[i]!)) {
    magnitude = magnitude * BigInt(radix) + BigInt(Number.parseInt(text[i]!, radix));
    i++;
  }
  const value = negative ? -magnitude : magnitude;
  if (value > LONG_MAX) return LONG_MAX;
  if (value < LONG_MIN) return LONG_MIN;
  return value;
}

/**
 * The value of a track file's text (null: the file could not be read, which counts as 0). An
 * error carries the refused number as keepalived logs it, for `Invalid number N read from ...`.
 */
export function parseTrackFileValue(text: string | null): Result<number, string> {
  if (text === null) return ok(0);
  const head = Buffer.from(text, 'utf8').subarray(0, TRACK_FILE_READ_LIMIT).toString('latin1');
  const nul = head.indexOf('\0');
  const value = strtol0(nul >= 0 ? head.slice(0, nul) : head);
  // Saturated values (strtol's ERANGE) are outside this range too.
  if (value < INT32_MIN || value > INT32_MAX_PLUS_ONE) return err(value.toString());
  return ok(Number(value));
}
