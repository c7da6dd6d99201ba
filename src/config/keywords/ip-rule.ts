/**
 * One `static_rules` / `virtual_rules` line: keepalived 2.2.7's alloc_rule (vrrp/vrrp_iprule.c),
 * with its words for what it refuses. A refused line is dropped (keepalived's `goto err`); a
 * missing value after a word is fatal, as keepalived's null_strvec handler exits (lib/parser.c).
 * The preference of a rule without one is given later, in file order (schema.ts), as keepalived
 * numbers them while it reads the file.
 *
 * Names keepalived looks up in iproute2's files (rt_tables, rt_dsfield, rt_realms, group) are
 * read from its built-in lists only: tables `default`, `main`, `local`; any number works.
 */
import type { AddressFamily, IpRule, IpRuleAction, SourceLoc } from '../model.js';
import type { Statement } from '../tree.js';
import { parseAddress } from '../../util/ip.js';
import type { DiagnosticSink } from './types.js';

/** A parsed rule before its preference is settled (null = not given). */
export type RuleLine = Omit<IpRule, 'priority'> & { readonly priority: number | null };

const UINT32_MAX = 0xffffffff;
const INT32_MAX = 0x7fffffff;
/** RTPROT_KEEPALIVED (lib/rttables.h): the protocol keepalived marks the routes and rules it tracks. */
export const RTPROT_KEEPALIVED = 18;

const TABLE_NAMES: Record<string, number> = { default: 253, main: 254, local: 255 };
/** rtntypes (lib/rttables.c): the route types find_rttables_rtntype knows by name. */
const RTN_TYPES: Record<string, number> = {
  local: 2,
  nat: 10,
  broadcast: 3,
  brd: 3,
  anycast: 4,
  multicast: 5,
  prohibit: 8,
  unreachable: 7,
  blackhole: 6,
  xresolve: 11,
  unicast: 1,
  throw: 9,
};
/** The numbers /etc/protocols gives the usual names (getprotobyname). */
const IP_PROTOCOLS: Record<string, number> = {
  ip: 0,
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  sctp: 132,
  udplite: 136,
};

/** C's strtoul: blanks, a sign, base 0 prefixes; the value and the unread rest. */
export function strtoul(text: string, base: 0 | 10 | 16 = 10): { value: number; rest: string } {
  let i = 0;
  while (i < text.length && ' \t\n\v\f\r'.includes(text[i]!)) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') {
    negative = text[i] === '-';
    i++;
  }
  let b: number = base;
  if ((b === 0 || b === 16) && text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
    if (/[0-9a-fA-F]/.test(text[i + 2] ?? '')) i += 2;
    b = 16;
  } else if (b === 0) b = text[i] === '0' ? 8 : 10;
  const digits = b === 16 ? /[0-9a-fA-F]/ : b === 8 ? /[0-7]/ : /[0-9]/;
  const start = i;
  let v = 0n;
  while (i < text.length && digits.test(text[i]!)) {
    v = v * BigInt(b) + BigInt(parseInt(text[i]!, b));
    i++;
  }
  if (i === start) return { value: 0, rest: text };
  const max = 0xffffffffffffffffn;
  if (v > max) v = max;
  else if (negative) v = (max + 1n - v) & max;
  return { value: Number(v), rest: text.slice(i) };
}

/** A reader for one line: keepalived's strvec with its position. */
class Words {
  i = 0;
  constructor(
    readonly words: readonly string[],
    private readonly sink: DiagnosticSink,
    readonly loc: SourceLoc,
  ) {}
  /** strvec_slot(strvec, ++i): the next word, or the fatal missing-parameter line. */
  next(): string | undefined {
    this.i++;
    const w = this.words[this.i];
    if (w === undefined) {
      this.sink.report(
        'fatal',
        'missing-parameter',
        `*** Configuration line starting \`${this.words[0]}\` is missing a parameter after keyword \`${this.words[this.i - 1]}\` at word position ${this.i + 1}`,
        this.loc,
      );
    }
    return w;
  }
}

/**
 * keepalived's read_unsigned_func: its line for a refused number, and whether the value stands
 * (`ignoreError`: out-of-form text still gives the number strtoul read, with `WARNING - `).
 */
function readUnsigned(
  text: string,
  base: 0 | 10,
  min: number,
  max: number,
  ignoreError: boolean,
  sink: DiagnosticSink,
  loc: SourceLoc,
): number | undefined {
  const warn = ignoreError ? 'WARNING - ' : '';
  const t = text.replace(/^[ \t\n\v\f\r]+/, '');
  const { value, rest } = strtoul(t, base);
  let message: string | null = null;
  if (t.startsWith('-')) message = `${warn}negative number '${text}'`;
  else if (rest !== '') message = `${warn}invalid number '${text}'`;
  else if (value > UINT32_MAX) message = `${warn}number '${text}' outside unsigned integer range`;
  else if (value < min || value > max) message = `${warn}number '${text}' outside range [${min}, ${max}]`;
  if (message === null) return value;
  sink.report('error', 'invalid-number', message, loc);
  return ignoreError && value >= min && value <= max ? value : undefined;
}

/** find_entry (lib/rttables.c): a number (base 0) up to `max`, or a known name. */
function findEntry(text: string, names: Record<string, number>, max: number): number | undefined {
  const { value, rest } = strtoul(text, 0);
  if (text !== '' && rest !== text && rest === '') return value <= max ? value : undefined;
  return Object.prototype.hasOwnProperty.call(names, text) ? names[text] : undefined;
}

/** sscanf("%u-%u") / ("%hu-%hu"): how many numbers it read, and them. */
function scanRange(text: string, bits: 16 | 32): { count: number; start: number; end: number } {
  const m = /^\s*([+-]?\d+)(?:-\s*([+-]?\d+))?/.exec(text);
  if (!m) return { count: 0, start: 0, end: 0 };
  const mod = bits === 16 ? 0x10000 : 0x100000000;
  const conv = (s: string): number => {
    const n = Number(s);
    return ((n % mod) + mod) % mod;
  };
  const start = conv(m[1]!);
  if (m[2] === undefined) return { count: 1, start, end: 0 };
  return { count: 2, start, end: conv(m[2]) };
}

/** parse_route (vrrp_ipaddress.c) for `from`/`to`; null when refused. */
function ruleAddress(
  text: string,
  sink: DiagnosticSink,
  loc: SourceLoc,
): { address: string | null; family: AddressFamily | null; prefixLength: number } | null {
  if (text === 'default' || text === 'any' || text === 'all')
    return { address: null, family: null, prefixLength: 0 };
  if (text === 'default6') {
    sink.report(
      'warning',
      'deprecated',
      "'default6' is deprecated - please replace with 'inet6 default'",
      loc,
    );
    return { address: null, family: 'inet6', prefixLength: 0 };
  }
  // parse_ipaddress: the family from a ':', then `/LEN` with read_unsigned. Its errors are
  // "ignored" (the daemon keeps what strtoul read, `/abc` is /0); as `keepalived -t` reports
  // them, a bad length is refused and the full length used, with both lines.
  const family: AddressFamily = text.includes(':') ? 'inet6' : 'inet';
  const full = family === 'inet' ? 32 : 128;
  const slash = text.indexOf('/');
  let prefixLength = full;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    const len = readUnsigned(lenText, 10, 0, full, false, sink, loc);
    if (len === undefined) {
      sink.report(
        'error',
        'invalid-value',
        `Invalid address prefix len ${lenText} for address ${text} - using ${full}`,
        loc,
      );
    } else prefixLength = len;
  }
  const bare = slash >= 0 ? text.slice(0, slash) : text;
  const p = parseAddress(bare);
  if (!p || p.family !== family) {
    sink.report('error', 'invalid-address', `VRRP parsed invalid IP ${text}. skipping IP...`, loc);
    return null;
  }
  return { address: p.address, family, prefixLength };
}

/** `[inet|inet6] [not] [from A] [to A] [table T] [preference N] ... ACTION [no_track]`. */
export function ruleLine(
  line: Statement,
  sink: DiagnosticSink,
  allowTrackGroup: boolean,
): RuleLine | undefined {
  const w = new Words([line.keyword, ...line.args], sink, line.loc);
  const loc = line.loc;
  const fail = (message: string): undefined => {
    sink.report('error', 'invalid-value', message, loc);
    return undefined;
  };
  let family: AddressFamily | null = null;
  let invert = false;
  let from: ReturnType<typeof ruleAddress> = null;
  let to: ReturnType<typeof ruleAddress> = null;
  let priority: number | null = null;
  let tos = 0;
  let fwmark: number | null = null;
  let fwmask: number | null = null;
  let realms = 0;
  let suppressPrefixLength: number | null = null;
  let suppressIfgroup: number | null = null;
  let iif: string | null = null;
  let oif: string | null = null;
  let tunnelId: string | null = null;
  let uidRange: { start: number; end: number } | null = null;
  let l3mdev = false;
  let protocol: number | null = null;
  let ipProto: number | null = null;
  let sport: { start: number; end: number } | null = null;
  let dport: { start: number; end: number } | null = null;
  let action: IpRuleAction | null = null;
  let table = 0;
  let gotoTarget = 0;
  let noTrack = false;
  let trackGroup: string | null = null;
  let tableOption = false;

  for (; w.i < w.words.length; w.i++) {
    let str = w.words[w.i]!;
    if (str === 'inet6' || str === 'inet') {
      const f: AddressFamily = str;
      if (family === null) family = f;
      else if (family !== f)
        return fail(f === 'inet6' ? 'inet6 specified for IPv4 rule' : 'inet specified for IPv6 rule');
      // alloc_rule steps over the word after `inet`/`inet6` as well (its own i++ and the loop's).
      w.i++;
    } else if (str === 'from' || str === 'to') {
      const text = w.next();
      if (text === undefined) return undefined;
      const a = ruleAddress(text, sink, loc);
      if (!a) return fail(`Invalid rule ${str} address ${text}`);
      // `all` has no family: it keeps an unset one unset and clashes with a set one.
      if (family === null) family = a.family;
      else if (a.family !== family) return fail('rule specification has mixed IPv4 and IPv6');
      if (str === 'from') from = a;
      else to = a;
    } else if (str === 'table' || str === 'lookup') {
      const text = w.next();
      if (text === undefined) return undefined;
      const t = findEntry(text, TABLE_NAMES, UINT32_MAX);
      if (t === undefined) return fail(`Routing table ${text} not found for rule`);
      if (t === 0) return fail('Table 0 is not valid');
      table = t;
      if (action !== null)
        return fail('Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule');
      action = 'table';
    } else if (str === 'not') invert = true;
    else if (str === 'preference' || str === 'order' || str === 'priority') {
      const text = w.next();
      if (text === undefined) return undefined;
      const v = readUnsigned(text, 0, 0, UINT32_MAX, false, sink, loc);
      if (v === undefined) return fail(`Invalid rule preference ${str} specified`);
      priority = v;
    } else if (str === 'tos' || str === 'dsfield') {
      const text = w.next();
      if (text === undefined) return undefined;
      const v = findEntry(text, {}, 255);
      if (v === undefined) return fail(`TOS value ${text} is invalid`);
      tos = v & 0xff;
    } else if (str === 'fwmark') {
      const text = w.next();
      if (text === undefined) return undefined;
      const t = text.replace(/^[ \t\n\v\f\r]+/, '');
      const bad = (): undefined => fail(`Invalid rule fwmark ${t} specified`);
      if (t.startsWith('-')) return bad();
      const mark = strtoul(t, 0);
      if (mark.value > UINT32_MAX) return bad();
      let rest = mark.rest;
      let mask: number | null = null;
      if (rest.startsWith('/')) {
        if (/^[\s-]/.test(rest.slice(1))) return bad();
        const m = strtoul(rest.slice(1), 0);
        if (m.value > UINT32_MAX) return bad();
        mask = m.value;
        rest = m.rest;
      }
      if (rest !== '') return bad();
      fwmark = mark.value;
      fwmask = mask;
    } else if (str === 'realms') {
      const text = w.next();
      if (text === undefined) return undefined;
      const slash = text.indexOf('/');
      const a = findEntry(slash >= 0 ? text.slice(0, slash) : text, {}, 255);
      const b = slash >= 0 ? findEntry(text.slice(slash + 1), {}, 255) : 0;
      if (a === undefined || b === undefined) return fail(`invalid realms ${text} for rule`);
      realms = slash >= 0 ? ((a << 16) | b) >>> 0 : a;
      tableOption = true;
      if (family === null) family = 'inet';
      else if (family !== 'inet') return fail('realms is only valid for IPv4');
    } else if (str === 'suppress_prefixlength' || str === 'sup_pl') {
      const text = w.next();
      if (text === undefined) return undefined;
      const v = readUnsigned(text, 10, 0, INT32_MAX, false, sink, loc);
      if (v === undefined) return fail(`Invalid suppress_prefixlength ${str} specified`);
      suppressPrefixLength = v;
      tableOption = true;
    } else if (str === 'suppress_ifgroup' || str === 'sup_group') {
      const text = w.next();
      if (text === undefined) return undefined;
      const v = findEntry(text, { default: 0 }, INT32_MAX);
      if (v === undefined) return fail(`suppress_group ${text} is invalid`);
      suppressIfgroup = v;
      tableOption = true;
    } else if (str === 'dev' || str === 'iif') {
      const text = w.next();
      if (text === undefined) return undefined;
      iif = text;
    } else if (str === 'oif') {
      const text = w.next();
      if (text === undefined) return undefined;
      oif = text;
    } else if (str === 'tunnel-id') {
      const text = w.next();
      if (text === undefined) return undefined;
      const t = text.replace(/^[ \t\n\v\f\r]+/, '');
      if (t.startsWith('-')) {
        sink.report('error', 'invalid-number', `negative number '${text}'`, loc);
        return fail(`Invalid tunnel-id ${str} specified`);
      }
      if (!/^\+?\d+$/.test(t)) {
        sink.report('error', 'invalid-number', `invalid number '${text}'`, loc);
        return fail(`Invalid tunnel-id ${str} specified`);
      }
      const v = BigInt(t.replace(/^\+/, ''));
      if (v > 0xffffffffffffffffn) {
        sink.report('error', 'invalid-number', `number '${text}' outside unsigned 64 bit range`, loc);
        return fail(`Invalid tunnel-id ${str} specified`);
      }
      tunnelId = v === 0n ? null : v.toString();
    } else if (str === 'uidrange') {
      const text = w.next();
      if (text === undefined) return undefined;
      const r = scanRange(text, 32);
      if (r.count !== 2) return fail(`Invalid uidrange ${str} specified`);
      uidRange = { start: r.start, end: r.end };
    } else if (str === 'l3mdev') {
      l3mdev = true;
      if (action !== null) return fail('Cannot specify l3mdev with other action');
      action = 'table';
    } else if (str === 'protocol') {
      const text = w.next();
      if (text === undefined) return undefined;
      const v = readUnsigned(text, 10, 0, 255, false, sink, loc);
      if (v === undefined) sink.report('error', 'invalid-value', `Invalid protocol ${text}`, loc);
      else protocol = v;
    } else if (str === 'ipproto') {
      const text = w.next();
      if (text === undefined) return undefined;
      const v = ipProtocol(text);
      if (v === undefined) sink.report('error', 'invalid-value', `Invalid ipproto ${text}`, loc);
      else ipProto = v;
    } else if (str === 'sport' || str === 'dport') {
      const text = w.next();
      if (text === undefined) return undefined;
      const r = scanRange(text, 16);
      // keepalived sets end = start for one number, then accepts only two (vrrp_iprule.c).
      if (r.count !== 2) sink.report('error', 'invalid-value', `invalid ${str} range ${text}`, loc);
      else if (str === 'sport') sport = { start: r.start, end: r.end };
      else dport = { start: r.start, end: r.end };
    } else if (str === 'no_track') noTrack = true;
    else if (allowTrackGroup && str === 'track_group') {
      const text = w.next();
      if (text === undefined) return undefined;
      if (trackGroup !== null) {
        sink.report('error', 'duplicate', `track_group ${text} is a duplicate`, loc);
        break;
      }
      trackGroup = text;
    } else {
      let a: IpRuleAction;
      if (str === 'type') {
        const t = w.next();
        if (t === undefined) return undefined;
        str = t;
      }
      if (str === 'goto') {
        const text = w.next();
        if (text === undefined) return undefined;
        const v = readUnsigned(text, 10, 0, UINT32_MAX, false, sink, loc);
        if (v === undefined) return fail(`Invalid target ${str} specified`);
        gotoTarget = v;
        a = 'goto';
      } else if (str === 'nop') a = 'nop';
      else {
        const type = rtnType(str);
        if (type === undefined) return fail(`Unknown rule option ${str}`);
        if (type === 6) a = 'blackhole';
        else if (type === 7) a = 'unreachable';
        else if (type === 8) a = 'prohibit';
        else return fail(`Invalid rule action ${str}`);
      }
      if (action !== null)
        return fail(
          'Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule',
        );
      action = a;
    }
  }

  if (action === 'goto') {
    if (priority !== null) {
      if (priority >= gotoTarget)
        return fail(`Invalid rule - preference ${priority} >= goto target ${gotoTarget}`);
    } else return fail(`Invalid rule - goto target ${gotoTarget} specified without preference`);
  }
  if (action === null) return fail('No action specified for rule - ignoring');
  if (action !== 'table' && tableOption)
    return fail('suppressor/realm specified for non table action - skipping');
  if (table !== 0 && l3mdev) return fail('table cannot be specified for l3mdev rules');
  if (!noTrack) {
    if (protocol !== null && protocol !== RTPROT_KEEPALIVED) {
      sink.report(
        'error',
        'invalid-value',
        `Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(${RTPROT_KEEPALIVED}), resetting protocol`,
        loc,
      );
    }
    protocol = RTPROT_KEEPALIVED;
  }
  if (trackGroup !== null && iif === null) {
    sink.report(
      'error',
      'invalid-value',
      'Static rule cannot have track_group if dev/iif not specified',
      loc,
    );
    trackGroup = null;
  }
  const fam: AddressFamily = family ?? 'inet';
  const resolve = (a: ReturnType<typeof ruleAddress>): IpRule['from'] =>
    a === null
      ? null
      : { address: a.address ?? (fam === 'inet' ? '0.0.0.0' : '::'), prefixLength: a.prefixLength };
  return {
    family: fam,
    invert,
    from: resolve(from),
    to: resolve(to),
    priority,
    tos,
    fwmark,
    fwmask,
    realms,
    suppressPrefixLength,
    suppressIfgroup,
    iif,
    oif,
    tunnelId,
    uidRange,
    l3mdev,
    protocol,
    ipProto,
    sport,
    dport,
    action,
    table,
    gotoTarget,
    noTrack,
    trackGroup,
    loc,
  };
}

/** find_rttables_rtntype: a type name or a number 0..255. */
function rtnType(text: string): number | undefined {
  if (Object.prototype.hasOwnProperty.call(RTN_TYPES, text)) return RTN_TYPES[text];
  const { value, rest } = strtoul(text, 0);
  if (rest !== '' || value > 255 || text.startsWith('-')) return undefined;
  return value;
}

/** inet_proto_a2n (vrrp_iprule.c): a number up to 127 or a protocol name. */
function ipProtocol(text: string): number | undefined {
  const t = text.replace(/^[ \t\n\v\f\r]+/, '');
  if (t === '' || t.startsWith('-')) return undefined;
  const { value, rest } = strtoul(t, 10);
  if (value > 127) return undefined;
  if (rest === '') return value;
  return Object.prototype.hasOwnProperty.call(IP_PROTOCOLS, t) ? IP_PROTOCOLS[t] : undefined;
}

/** The first preference keepalived gives a rule without one, counting down (vrrp_iprule.c). */
export const RULE_START_PRIORITY = 16384;

/** format_iprule (vrrp_iprule.c): how keepalived prints a rule in its logs and dumps. */
export function formatRule(r: IpRule): string {
  const addr = (a: { address: string; prefixLength: number }): string =>
    a.prefixLength === (r.family === 'inet' ? 32 : 128) ? a.address : `${a.address}/${a.prefixLength}`;
  const parts: string[] = [];
  let s = '';
  if (!r.to && !r.from && r.family === 'inet6') s += 'inet6 ';
  if (r.invert) s += 'not ';
  s += r.from ? `from ${addr(r.from)}` : 'from all';
  parts.push(s);
  if (r.to) parts.push(`to ${addr(r.to)}`);
  parts.push(`priority ${r.priority}`);
  parts.push(`tos 0x${r.tos.toString(16)}`);
  if (r.fwmark !== null) {
    let f = `fwmark 0x${r.fwmark.toString(16)}`;
    if (r.fwmask !== null && r.fwmask !== UINT32_MAX) f += `/0x${r.fwmask.toString(16)}`;
    parts.push(f);
  }
  if (r.iif) parts.push(`iif ${r.iif}`);
  if (r.oif) parts.push(`oif ${r.oif}`);
  if (r.suppressPrefixLength !== null) parts.push(`suppress_prefixlen ${r.suppressPrefixLength}`);
  if (r.suppressIfgroup !== null) parts.push(`suppress_ifgroup ${r.suppressIfgroup}`);
  if (r.tunnelId !== null) parts.push(`tunnel-id ${r.tunnelId}`);
  if (r.uidRange) parts.push(`uidrange ${r.uidRange.start}-${r.uidRange.end}`);
  if (r.l3mdev) parts.push('l3mdev');
  if (r.protocol !== null) parts.push(`protocol ${r.protocol}`);
  if (r.ipProto !== null) parts.push(`ipproto ${r.ipProto}`);
  if (r.sport) parts.push(`sport ${r.sport.start}-${r.sport.end}`);
  if (r.dport) parts.push(`dport ${r.dport.start}-${r.dport.end}`);
  if (r.realms) parts.push(`realms ${r.realms >>> 16}/${r.realms & 0xffff}`);
  if (r.action === 'table') parts.push(`lookup ${r.table}`);
  else if (r.action === 'goto') parts.push(`goto ${r.gotoTarget}`);
  else if (r.action === 'nop') parts.push('nop');
  else parts.push(`type ${r.action}`);
  if (r.noTrack) parts.push('no_track');
  if (r.trackGroup) parts.push(`track_group ${r.trackGroup}`);
  return parts.join(' ');
}
