/**
 * Value parsers shared by the keyword tables. Each reports in keepalived's wording
 * (lib/parser.c read_int / read_unsigned / read_decimal) and returns undefined when rejected.
 */
import { parseAddress } from '../../util/ip.js';
import type { AddressFamily, SourceLoc } from '../model.js';
import type { Statement } from '../tree.js';
import type { DiagnosticSink } from './types.js';

const INT_RE = /^[-+]?\d+$/;
const DEC_RE = /^\+?(\d+)(?:\.(\d*))?$|^\+?\.(\d+)$/;

/** An integer within [min, max]. */
export function parseIntValue(
  text: string | undefined,
  min: number,
  max: number,
  sink: DiagnosticSink,
  loc: SourceLoc,
): number | undefined {
  if (text === undefined) {
    sink.report('error', 'missing-parameter', 'Configuration line is missing a parameter', loc);
    return undefined;
  }
  if (!INT_RE.test(text)) {
    sink.report('error', 'invalid-number', `invalid number '${text}'`, loc);
    return undefined;
  }
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    sink.report('error', 'out-of-range', `number '${text}' outside range [${min}, ${max}]`, loc);
    return undefined;
  }
  return v;
}

export const UINT_MAX = 4294967295;
/** keepalived's UINT_MAX / TIMER_HZ: whole seconds that still fit its microsecond unsigned. */
export const TIMER_SECONDS = 4294;
/** UINT_MAX microseconds, in seconds (read_decimal_unsigned_strvec's bound). */
export const UINT_MAX_US = 4294.967295;
/** read_timer with no maximum: TIMER_MAXIMUM (ULONG_MAX - 1) microseconds, as it prints it. */
export const TIMER_MAXIMUM_S = 2 ** 64 / 1e6;
export const TIMER_MAXIMUM_RANGE = '[0.000000, 18446744073709.551614]';

/**
 * keepalived's read_unsigned (lib/parser.c, strtoul): leading blanks skipped, `-` refused as
 * negative, more than UINT_MAX refused as outside the unsigned range, then [min, max].
 */
export function parseUnsignedValue(
  text: string,
  min: number,
  max: number,
  sink: DiagnosticSink,
  loc: SourceLoc,
): number | undefined {
  const t = text.replace(/^[ \t\n\v\f\r]+/, '');
  if (t.startsWith('-')) {
    sink.report('error', 'invalid-number', `negative number '${text}'`, loc);
    return undefined;
  }
  if (!/^\+?\d+$/.test(t)) {
    sink.report('error', 'invalid-number', `invalid number '${text}'`, loc);
    return undefined;
  }
  const v = Number(t);
  if (v > UINT_MAX) {
    sink.report('error', 'out-of-range', `number '${text}' outside unsigned integer range`, loc);
    return undefined;
  }
  if (v < min || v > max) {
    sink.report('error', 'out-of-range', `number '${text}' outside range [${min}, ${max}]`, loc);
    return undefined;
  }
  return v;
}

/** A `<TIMER>`: decimal seconds, at most 6 decimal places (keepalived keeps microseconds). */
export function parseTimerValue(
  text: string | undefined,
  min: number,
  max: number,
  sink: DiagnosticSink,
  loc: SourceLoc,
  /** The range as keepalived prints it, where the bound is not a double (ULONG_MAX us). */
  rangeText = `[${min}, ${max}]`,
): number | undefined {
  if (text === undefined) {
    sink.report('error', 'missing-parameter', 'Configuration line is missing a parameter', loc);
    return undefined;
  }
  if (text.startsWith('-')) {
    sink.report('error', 'invalid-number', `negative number '${text}'`, loc);
    return undefined;
  }
  const m = DEC_RE.exec(text);
  if (!m) {
    sink.report('error', 'invalid-number', `invalid number '${text}'`, loc);
    return undefined;
  }
  const decimals = m[2] ?? m[3] ?? '';
  if (decimals.length > 6) {
    sink.report('error', 'invalid-number', `number '${text}' has too many decimal places`, loc);
    return undefined;
  }
  const v = Number(text.startsWith('+') ? text.slice(1) : text);
  if (!Number.isFinite(v) || v < min || v > max) {
    sink.report('error', 'out-of-range', `number '${text}' outside range ${rangeText}`, loc);
    return undefined;
  }
  return v;
}

const TRUE_WORDS = new Set(['on', 'true', 'yes']);
const FALSE_WORDS = new Set(['off', 'false', 'no']);

/**
 * `<BOOL>`; a bare keyword (no word) means true. Lower case only: keepalived's check_true_false
 * (lib/parser.c) compares with strcmp, so `ON` is no boolean. `message` is the handler's words.
 */
export function parseBoolValue(
  text: string | undefined,
  sink: DiagnosticSink,
  loc: SourceLoc,
  message = `Invalid boolean value '${text}'`,
): boolean | undefined {
  if (text === undefined) return true;
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  sink.report('error', 'invalid-bool', message, loc);
  return undefined;
}

export interface AddressValue {
  readonly address: string;
  readonly family: AddressFamily;
  readonly prefixLength: number | null;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** Canonical dotted quad (no leading zeros), optional `/0..32`. */
const V4_RE = new RegExp(`^(${OCTET}(?:\\.${OCTET}){3})(?:/(3[0-2]|[12]?\\d))?$`);

/**
 * Plain dotted-quad IPv4 (the common case, tens of thousands of real servers in big configs)
 * without the general parser; anything unusual falls through to util/ip.ts.
 */
function fastIpv4(text: string): AddressValue | null {
  const m = V4_RE.exec(text);
  if (!m) return null;
  return { address: m[1]!, family: 'inet', prefixLength: m[2] === undefined ? null : Number(m[2]) };
}

/** An IPv4/IPv6 address, optionally with `/prefix` when `allowPrefix`. */
export function parseAddressValue(
  text: string | undefined,
  what: string,
  sink: DiagnosticSink,
  loc: SourceLoc,
  allowPrefix = false,
): AddressValue | undefined {
  if (text === undefined) {
    sink.report('error', 'missing-parameter', `${what}: missing address`, loc);
    return undefined;
  }
  const p = fastIpv4(text) ?? parseAddress(text);
  if (!p || (!allowPrefix && p.prefixLength !== null)) {
    sink.report('error', 'invalid-address', `${what}: invalid address '${text}'`, loc);
    return undefined;
  }
  return p;
}

/**
 * An address as keepalived's `inet_stosockaddr` reads it (lib/utils.c): a `-range` or `/prefix`
 * after it is dropped without a word, so `unicast_peer { 192.168.0.92/24 }` is 192.168.0.92.
 */
export function parseSockAddrValue(
  text: string | undefined,
  what: string,
  sink: DiagnosticSink,
  loc: SourceLoc,
): AddressValue | undefined {
  const cut = text === undefined ? -1 : text.search(/[-/]/);
  const bare = text !== undefined && cut > 0 ? text.slice(0, cut) : text;
  const parsed = parseAddressValue(bare, what, sink, loc);
  return parsed === undefined ? undefined : { ...parsed, prefixLength: null };
}

/** A port 0..65535 (keepalived accepts service names too; keepalived-ts accepts numbers). */
export function parsePortValue(
  text: string | undefined,
  sink: DiagnosticSink,
  loc: SourceLoc,
): number | undefined {
  if (text !== undefined && !INT_RE.test(text)) {
    sink.report('error', 'invalid-port', `Invalid port '${text}'`, loc);
    return undefined;
  }
  return parseIntValue(text, 0, 65535, sink, loc);
}

/** The first argument, or a missing-parameter error. */
export function firstArg(stmt: Statement, sink: DiagnosticSink): string | undefined {
  const a = stmt.args[0];
  if (a === undefined) {
    sink.report(
      'error',
      'missing-parameter',
      `*** Configuration line starting \`${stmt.keyword}\` is missing a parameter after keyword \`${stmt.keyword}\` at word position 2`,
      stmt.loc,
    );
  }
  return a;
}

/**
 * `delay_loop`: keepalived's read_timer from 1 us up, then a line of its own naming where it
 * was (check_parser.c, check_api.c): `virtual server delay loop '0' invalid - ignoring`.
 */
export function delayLoopValue(
  invalid: (text: string) => string,
): (stmt: Statement, sink: DiagnosticSink) => number | undefined {
  return (stmt, sink) => {
    const a = firstArg(stmt, sink);
    if (a === undefined) return undefined;
    const v = parseTimerValue(
      a,
      0.000001,
      2 ** 64 / 1e6,
      sink,
      stmt.loc,
      '[0.000001, 18446744073709.551614]',
    );
    if (v === undefined) sink.report('error', 'invalid-value', invalid(a), stmt.loc);
    return v;
  };
}
