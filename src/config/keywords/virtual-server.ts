/**
 * `virtual_server_group NAME { }`, `virtual_server IP PORT | fwmark N | group NAME { }` and
 * `real_server IP [PORT] { }` (check/check_parser.c, keepalived.conf(5) "Virtual server(s)").
 */
import type { ForwardingMethod, Scheduler, SourceLoc, TunnelSettings } from '../model.js';
import type { Statement } from '../tree.js';
import type { BlockTable, DiagnosticSink, KeywordSpec } from './types.js';
import { custom, ignored, int, presence, script, str, timer, uint } from './types.js';
import { checkerSpecs } from './checkers.js';
import {
  delayLoopValue,
  parseAddressValue,
  parseIntValue,
  parsePortValue,
  TIMER_MAXIMUM_RANGE,
  TIMER_MAXIMUM_S,
} from './values.js';

const MAX_SECONDS = 2147483;
/** IPVS_WEIGHT_LIMIT in keepalived. */
export const IPVS_WEIGHT_LIMIT = 65535;

export const SCHEDULERS: readonly Scheduler[] = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'sh',
  'mh',
  'dh',
  'fo',
  'ovf',
  'lblcr',
  'sed',
  'nq',
  'twos',
];

export interface MethodValue {
  readonly method: ForwardingMethod;
  readonly tunnel: TunnelSettings | null;
}

/** `NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` (lvs_method / lb_kind). */
export function forwardingMethod(stmt: Statement, sink: DiagnosticSink): MethodValue | undefined {
  const m = stmt.args[0];
  if (m === undefined) {
    sink.report('error', 'missing-parameter', `${stmt.keyword} requires a forwarding method`, stmt.loc);
    return undefined;
  }
  // Upper case only: keepalived compares with strcmp, so `dr` is refused and NAT runs.
  const upper = m;
  if (upper !== 'NAT' && upper !== 'DR' && upper !== 'TUN') {
    sink.report(
      'error',
      'invalid-value',
      `PARSER : unknown [${m}] routing method for virtual server.`,
      stmt.loc,
    );
    return undefined;
  }
  if (upper !== 'TUN') return { method: upper, tunnel: null };
  let type: TunnelSettings['type'] = 'ipip';
  let port: number | null = null;
  let checksum: TunnelSettings['checksum'] = null;
  for (let i = 1; i < stmt.args.length; i++) {
    const w = stmt.args[i]!;
    if (w === 'type') {
      const t = stmt.args[++i];
      if (t === 'ipip' || t === 'gue' || t === 'gre') type = t;
      else {
        sink.report(
          'error',
          'invalid-value',
          t === undefined
            ? 'Missing tunnel type for virtual server.'
            : `Unknown tunnel type ${t} for virtual server.`,
          stmt.loc,
        );
        return undefined;
      }
    } else if (w === 'port') {
      const p = parsePortValue(stmt.args[++i], sink, stmt.loc);
      if (p === undefined) return undefined;
      port = p;
    } else if (w === 'nocsum' || w === 'csum' || w === 'remcsum') checksum = w;
    else {
      sink.report('error', 'invalid-value', `Invalid tunnel option ${w} for virtual server.`, stmt.loc);
      return undefined;
    }
  }
  if ((type === 'gue') !== (port !== null)) {
    sink.report('error', 'invalid-value', 'gue tunnels require port, otherwise cannot have port.', stmt.loc);
    return undefined;
  }
  if (type === 'ipip' && checksum !== null) {
    sink.report('error', 'invalid-value', 'ipip tunnels do not support checksum option.', stmt.loc);
    return undefined;
  }
  if (type === 'gre' && checksum === 'remcsum') {
    sink.report('error', 'invalid-value', 'gre tunnels do not support remote checksum option.', stmt.loc);
    return undefined;
  }
  return { method: 'TUN', tunnel: { type, port, checksum } };
}

function scheduler(stmt: Statement, sink: DiagnosticSink): Scheduler | undefined {
  const s = stmt.args[0];
  if (s === undefined || !(SCHEDULERS as readonly string[]).includes(s)) {
    sink.report('error', 'invalid-value', `Invalid lvs_scheduler '${s ?? ''}' - ignoring`, stmt.loc);
    return undefined;
  }
  return s as Scheduler;
}

function protocol(stmt: Statement, sink: DiagnosticSink): 'TCP' | 'UDP' | 'SCTP' | undefined {
  const p = (stmt.args[0] ?? '').toUpperCase();
  if (p === 'TCP' || p === 'UDP' || p === 'SCTP') return p;
  sink.report('error', 'invalid-value', `Unknown protocol ${stmt.args[0] ?? ''} - ignoring`, stmt.loc);
  return undefined;
}

/** `persistence_timeout [N]`: a bare keyword means 360 s. */
function persistenceTimeout(stmt: Statement, sink: DiagnosticSink): number | undefined {
  if (stmt.args[0] === undefined) return 360;
  const v = parseIntValue(stmt.args[0], 1, 2678400, sink, stmt.loc);
  if (v === undefined) sink.report('error', 'invalid-value', 'persistence_timeout invalid', stmt.loc);
  return v;
}

function granularity(stmt: Statement, sink: DiagnosticSink): string | undefined {
  const g = stmt.args[0];
  if (g === undefined) {
    sink.report('error', 'missing-parameter', 'persistence_granularity requires a netmask', stmt.loc);
    return undefined;
  }
  if (/^\d{1,3}$/.test(g) && Number(g) <= 128) return g; // IPv6 prefix length
  const a = parseAddressValue(g, 'persistence_granularity', sink, stmt.loc);
  if (!a) return undefined;
  if (a.family !== 'inet') {
    sink.report('error', 'invalid-value', `Invalid IPv4 persistence_granularity specified - ${g}`, stmt.loc);
    return undefined;
  }
  const n = a.address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const inverted = ~n >>> 0;
  if ((inverted & (inverted + 1)) !== 0) {
    sink.report(
      'error',
      'invalid-value',
      `IPv4 persistence_granularity netmask is not solid - ${g}`,
      stmt.loc,
    );
    return undefined;
  }
  return a.address;
}

export interface ServerAddress {
  readonly address: string;
  readonly family: 'inet' | 'inet6';
  readonly port: number | null;
  readonly loc: SourceLoc;
}

/** `IP [PORT]` (sorry_server, real_server header). */
export function serverAddress(
  stmt: Statement,
  what: string,
  sink: DiagnosticSink,
): ServerAddress | undefined {
  const a = parseAddressValue(stmt.args[0], what, sink, stmt.loc);
  if (!a) return undefined;
  let port: number | null = null;
  if (stmt.args[1] !== undefined) {
    const p = parsePortValue(stmt.args[1], sink, stmt.loc);
    if (p === undefined) return undefined;
    port = p;
  }
  return { address: a.address, family: a.family, port, loc: stmt.loc };
}

function optionalBool(stmt: Statement, sink: DiagnosticSink, what = stmt.keyword): boolean | undefined {
  const a = stmt.args[0];
  if (a === undefined) return true;
  // check_true_false compares with strcmp: lower case only.
  if (['on', 'true', 'yes'].includes(a)) return true;
  if (['off', 'false', 'no'].includes(a)) return false;
  sink.report('error', 'invalid-bool', `Invalid ${what} parameter ${a}`, stmt.loc);
  return undefined;
}

/**
 * Checker timing keywords of a virtual_server or real_server (check_parser.c vs_ and rs_
 * handlers): retry from 1, the timers with no maximum, each with the handler's own line.
 */
function timingRest(where: 'virtual server' | 'real server'): KeywordSpec[] {
  const rs = where === 'real server';
  return [
    timer('connect_timeout', 0, MAX_SECONDS),
    uint('retry', 1, 4294967295, { invalid: (v) => `retry value invalid - ${v}` }),
    timer(
      'delay_before_retry',
      0,
      TIMER_MAXIMUM_S,
      {
        invalid: (v) =>
          `${where} ${rs ? 'delay_before_retry' : 'delay before retry'} '${v}' invalid - ignoring`,
      },
      TIMER_MAXIMUM_RANGE,
    ),
    timer(
      'warmup',
      0,
      TIMER_MAXIMUM_S,
      { invalid: (v) => `${where} warmup '${v}' invalid - ignoring` },
      TIMER_MAXIMUM_RANGE,
    ),
  ];
}

export const realServerTable: BlockTable = {
  name: 'real_server',
  keywords: [
    custom('weight', (s, sink) => {
      const v = parseIntValue(s.args[0], 0, IPVS_WEIGHT_LIMIT, sink, s.loc);
      if (v === undefined)
        sink.report(
          'error',
          'out-of-range',
          `Real server weight ${s.args[0] ?? ''} is outside range 0-${IPVS_WEIGHT_LIMIT}`,
          s.loc,
        );
      return v;
    }),
    custom('lvs_method', forwardingMethod, { aliases: ['lb_kind'] }),
    uint('uthreshold', 0, 4294967295, {
      invalid: (v) => `Invalid real_server uthreshold '${v}' - ignoring`,
    }),
    uint('lthreshold', 0, 4294967295, {
      invalid: (v) => `Invalid real_server lthreshold '${v}' - ignoring`,
    }),
    custom('inhibit_on_failure', optionalBool),
    script('notify_up'),
    script('notify_down'),
    custom('alpha', optionalBool),
    custom(
      'delay_loop',
      delayLoopValue((v) => `real server delay_loop '${v}' invalid - ignoring`),
    ),
    ...timingRest('real server'),
    custom('smtp_alert', (st, sink) => optionalBool(st, sink, 'real_server smtp_alert')),
    str('virtualhost'),
    ...checkerSpecs(),
    ...ignored(['snmp_name']),
  ],
};

export const virtualServerTable: BlockTable = {
  name: 'virtual_server',
  keywords: [
    custom('lvs_sched', scheduler, { aliases: ['lb_algo'] }),
    custom('lvs_method', forwardingMethod, { aliases: ['lb_kind'] }),
    custom('protocol', protocol),
    custom('persistence_timeout', persistenceTimeout),
    custom('persistence_granularity', granularity),
    str('persistence_engine'),
    // check_parser.c lbflags_handler reads only the keyword itself.
    presence('ops'),
    presence('hashed'),
    presence('flag-1'),
    presence('flag-2'),
    presence('flag-3'),
    presence('sh-port'),
    presence('sh-fallback'),
    presence('mh-port'),
    presence('mh-fallback'),
    custom(
      'delay_loop',
      delayLoopValue((v) => `virtual server delay loop '${v}' invalid - ignoring`),
    ),
    ...timingRest('virtual server'),
    // check_parser.c's virtual-server handlers for these read no word (the real server's do).
    presence('inhibit_on_failure', { default: undefined }),
    presence('alpha', { default: undefined }),
    presence('omega', { default: undefined }),
    custom('quorum', (s, sink) => {
      const v = parseIntValue(s.args[0], 1, 4294967295, sink, s.loc);
      if (v === undefined)
        sink.report(
          'error',
          'out-of-range',
          `Quorum ${s.args[0] ?? ''} must be in [1, 4294967295]. Setting to 1.`,
          s.loc,
        );
      return v;
    }),
    int('hysteresis', 0, 4294967295),
    script('quorum_up'),
    script('quorum_down'),
    custom('sorry_server', (s, sink) => serverAddress(s, 'sorry_server', sink)),
    presence('sorry_server_inhibit'),
    custom('sorry_server_lvs_method', forwardingMethod),
    presence('ha_suspend'),
    str('virtualhost'),
    custom('weight', (s, sink) => {
      const v = parseIntValue(s.args[0], 1, IPVS_WEIGHT_LIMIT, sink, s.loc);
      if (v === undefined)
        sink.report(
          'error',
          'out-of-range',
          `Virtual server weight ${s.args[0] ?? ''} is outside range 1-${IPVS_WEIGHT_LIMIT}`,
          s.loc,
        );
      return v;
    }),
    custom('ip_family', (s, sink) => {
      const f = s.args[0];
      if (f === 'inet' || f === 'inet6') return f;
      sink.report('error', 'invalid-value', `unknown address family ${f ?? ''}`, s.loc);
      return undefined;
    }),
    custom('smtp_alert', (st, sink) => optionalBool(st, sink, 'virtual_server smtp_alert')),
    {
      keyword: 'real_server',
      value: { kind: 'custom', parse: (s) => s, acceptsBlock: true },
      repeatable: true,
    },
    ...ignored(['snmp_name']),
  ],
};

/** One virtual_server_group line before validation against its neighbours. */
export type GroupLine =
  | {
      readonly kind: 'address';
      readonly family: 'inet' | 'inet6';
      readonly address: string;
      readonly lastAddress: string | null;
      readonly port: number;
      readonly loc: SourceLoc;
    }
  | {
      readonly kind: 'fwmark';
      readonly fwmark: number;
      readonly family: 'inet' | 'inet6';
      readonly loc: SourceLoc;
    };

/** `IP [PORT]`, `a.b.c.d-e [PORT]`, `a.b.c.d/nn [PORT]`, `fwmark N [inet|inet6]`. */
export function groupLine(line: Statement, sink: DiagnosticSink): GroupLine | undefined {
  if (line.keyword === 'fwmark') {
    const m = parseIntValue(line.args[0], 1, 4294967295, sink, line.loc);
    if (m === undefined) return undefined;
    const f = line.args[1] ?? 'inet';
    if (f !== 'inet' && f !== 'inet6') {
      sink.report('error', 'invalid-value', `unknown address family ${f}`, line.loc);
      return undefined;
    }
    return { kind: 'fwmark', fwmark: m, family: f, loc: line.loc };
  }
  const text = line.keyword;
  let port = 0;
  if (line.args[0] !== undefined) {
    const p = parsePortValue(line.args[0], sink, line.loc);
    if (p === undefined) return undefined;
    port = p;
  }
  const dash = text.indexOf('-');
  if (dash > 0) {
    const first = parseAddressValue(text.slice(0, dash), 'virtual_server_group range', sink, line.loc);
    if (!first) return undefined;
    const endText = text.slice(dash + 1);
    let last: string;
    if (first.family === 'inet' && /^\d{1,3}$/.test(endText)) {
      const parts = first.address.split('.');
      const end = Number(endText);
      if (end > 255 || end < Number(parts[3])) {
        sink.report('error', 'invalid-address', `Virtual server group range ${text} is invalid`, line.loc);
        return undefined;
      }
      parts[3] = String(end);
      last = parts.join('.');
    } else if (first.family === 'inet6' && /^[0-9a-fA-F]{1,4}$/.test(endText)) {
      // IPv6 `2001:db8::1-20`: the end replaces the last 16-bit group (hex).
      const groups = first.address.split(':');
      const start = parseInt(groups[groups.length - 1] || '0', 16);
      const end = parseInt(endText, 16);
      if (end < start) {
        sink.report('error', 'invalid-address', `Virtual server group range ${text} is invalid`, line.loc);
        return undefined;
      }
      groups[groups.length - 1] = end.toString(16);
      const l = parseAddressValue(groups.join(':'), 'virtual_server_group range', sink, line.loc);
      if (!l) return undefined;
      last = l.address;
    } else {
      const l = parseAddressValue(endText, 'virtual_server_group range', sink, line.loc);
      if (!l || l.family !== first.family) return undefined;
      last = l.address;
    }
    return {
      kind: 'address',
      family: first.family,
      address: first.address,
      lastAddress: last,
      port,
      loc: line.loc,
    };
  }
  const a = parseAddressValue(text, 'virtual_server_group', sink, line.loc, true);
  if (!a) return undefined;
  if (a.prefixLength !== null && a.family === 'inet' && a.prefixLength < 32) {
    const n = a.address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - a.prefixLength);
    const base = n - (n % size);
    const toText = (v: number) => [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
    return {
      kind: 'address',
      family: 'inet',
      address: toText(base),
      lastAddress: toText(base + size - 1),
      port,
      loc: line.loc,
    };
  }
  return { kind: 'address', family: a.family, address: a.address, lastAddress: null, port, loc: line.loc };
}
