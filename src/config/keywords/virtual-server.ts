/**
 * `virtual_server_group NAME { }`, `virtual_server IP PORT | fwmark N | group NAME { }` and
 * `real_server IP [PORT] { }` (check/check_parser.c, keepalived.conf(5) "Virtual server(s)").
 */
import type {
  AddressFamily,
  ForwardingMethod,
  Protocol,
  Scheduler,
  SourceLoc,
  TunnelSettings,
} from '../model.js';
import type { Statement } from '../tree.js';
import type { BlockTable, DiagnosticSink } from './types.js';
import { custom, ignored, int, presence, script, str, timer, uint } from './types.js';
import { blockStatements, checkerBlockKeywords } from './checkers.js';
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
/** A virtual server's delay_loop without one (check_data.h), the checkers' through inheritance. */
export const DEFAULT_DELAY_LOOP = 60;

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
  const found = SCHEDULERS.find((x) => x === s);
  if (found === undefined)
    sink.report('error', 'invalid-value', `Invalid lvs_scheduler '${s ?? ''}' - ignoring`, stmt.loc);
  return found;
}

function protocol(stmt: Statement, sink: DiagnosticSink): Protocol | undefined {
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
function timingRest(where: 'virtual server' | 'real server') {
  const rs = where === 'real server';
  const below = rs ? 'its checkers' : 'its real servers and their checkers';
  const above = rs ? "the virtual server's" : "the checker type's";
  return {
    connect_timeout: timer('connect_timeout', 0, MAX_SECONDS, {
      doc: {
        text: `Connect timeout for ${below}.`,
        default: rs ? "the virtual server's" : "the checker's (5)",
      },
    }),
    retry: uint('retry', 1, 4294967295, {
      invalid: (v) => `retry value invalid - ${v}`,
      doc: { text: `Retries before a failure counts, for ${below}.`, default: above },
    }),
    delay_before_retry: timer(
      'delay_before_retry',
      0,
      TIMER_MAXIMUM_S,
      {
        invalid: (v) =>
          `${where} ${rs ? 'delay_before_retry' : 'delay before retry'} '${v}' invalid - ignoring`,
        doc: { text: `Seconds between retries, for ${below}.`, default: above },
      },
      TIMER_MAXIMUM_RANGE,
    ),
    warmup: timer(
      'warmup',
      0,
      TIMER_MAXIMUM_S,
      {
        invalid: (v) => `${where} warmup '${v}' invalid - ignoring`,
        doc: {
          text: `Longest random delay before the first check, for ${below}.`,
          default: rs ? "the virtual server's, else `delay_loop`" : '`delay_loop`',
        },
      },
      TIMER_MAXIMUM_RANGE,
    ),
  };
}

/** A `weight` line: keepalived's range line for its block (0 allowed for a real server only). */
function weightValue(owner: 'Real server' | 'Virtual server', min: 0 | 1) {
  return (s: Statement, sink: DiagnosticSink): number | undefined => {
    const v = parseIntValue(s.args[0], min, IPVS_WEIGHT_LIMIT, sink, s.loc);
    if (v === undefined)
      sink.report(
        'error',
        'out-of-range',
        `${owner} weight ${s.args[0] ?? ''} is outside range ${min}-${IPVS_WEIGHT_LIMIT}`,
        s.loc,
      );
    return v;
  };
}

/** `real_server IP [PORT] { }`'s keywords, read by schema/virtual-server.ts through these specs. */
export const realServerKeywords = {
  weight: custom('weight', weightValue('Real server', 0), {
    doc: {
      text: 'IPVS weight; 0 takes no new connections.',
      value: `0..${IPVS_WEIGHT_LIMIT}`,
      default: "the virtual server's `weight`, else 1",
    },
  }),
  lvs_method: custom('lvs_method', forwardingMethod, {
    aliases: ['lb_kind'],
    doc: {
      text: 'Forwarding method of this real server.',
      value: '`NAT`, `DR` or `TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`',
      default: "the virtual server's",
    },
  }),
  uthreshold: uint('uthreshold', 0, 4294967295, {
    invalid: (v) => `Invalid real_server uthreshold '${v}' - ignoring`,
    doc: { text: 'IPVS upper connection threshold (0: none).' },
  }),
  lthreshold: uint('lthreshold', 0, 4294967295, {
    invalid: (v) => `Invalid real_server lthreshold '${v}' - ignoring`,
    doc: { text: 'IPVS lower connection threshold (0: none).' },
  }),
  inhibit_on_failure: custom('inhibit_on_failure', optionalBool, {
    doc: {
      text: 'A failed real server stays in the table with weight 0 instead of being removed.',
      value: 'flag, or on/off words',
      default: "the virtual server's",
    },
  }),
  notify_up: script('notify_up', { doc: { text: 'Run when the real server comes up.' } }),
  notify_down: script('notify_down', { doc: { text: 'Run when the real server goes down.' } }),
  alpha: custom('alpha', optionalBool, {
    doc: {
      text: 'Start the real server down until its checkers succeed once.',
      value: 'flag, or on/off words',
      default: "the virtual server's",
    },
  }),
  delay_loop: custom(
    'delay_loop',
    delayLoopValue((v) => `real server delay_loop '${v}' invalid - ignoring`),
    {
      doc: {
        text: 'Seconds between checks, for its checkers.',
        value: 'seconds from 0.000001',
        default: "the virtual server's",
      },
    },
  ),
  ...timingRest('real server'),
  smtp_alert: custom('smtp_alert', (st, sink) => optionalBool(st, sink, 'real_server smtp_alert'), {
    doc: {
      text: 'Email on health changes.',
      value: 'flag, or on/off words',
      default: "the virtual server's, else on",
      inert: 'keepalived-ts sends no email.',
    },
  }),
  virtualhost: str('virtualhost', {
    doc: { text: 'Host header of its HTTP checkers.', default: "the virtual server's" },
  }),
  ...checkerBlockKeywords,
};

export const realServerTable: BlockTable = {
  name: 'real_server',
  doc: {
    title: 'real_server IP [PORT] (in virtual_server)',
    source: '`keepalived/check/check_parser.c`, completed in `check/check_data.c`',
    text:
      "A backend of the virtual server. Without PORT it takes the virtual server's; a DR or TUN real " +
      "server with another port is reset with a line, a fwmark service's real servers have none. Two " +
      'real servers with one address and port keep the first.',
  },
  // After the checker blocks (checkerBlockKeywords), BFD_CHECK: accepted and ignored.
  keywords: [
    ...Object.values(realServerKeywords),
    ...ignored(['BFD_CHECK'], 'warning'),
    ...ignored(['snmp_name']),
  ],
};

/** `virtual_server ... { }`'s keywords, read by schema/virtual-server.ts through these specs. */
export const virtualServerKeywords = {
  lvs_sched: custom<Scheduler>('lvs_sched', scheduler, {
    aliases: ['lb_algo'],
    default: 'wlc',
    doc: {
      text: 'IPVS scheduler.',
      value: `one of ${SCHEDULERS.map((x) => `\`${x}\``).join(', ')}`,
      default: '`wlc` (with a line)',
    },
  }),
  lvs_method: custom<MethodValue>('lvs_method', forwardingMethod, {
    aliases: ['lb_kind'],
    default: { method: 'NAT', tunnel: null },
    doc: {
      text: 'Forwarding method of its real servers. Upper case only (`dr` is refused and NAT runs, as in keepalived).',
      value: '`NAT`, `DR` or `TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`',
      default: '`NAT` (with a line)',
    },
  }),
  protocol: custom<Protocol>('protocol', protocol, {
    default: 'UDP',
    doc: {
      text: 'Transport protocol.',
      value: '`TCP`, `UDP` or `SCTP`',
      default: '`UDP` with a line (fwmark services: TCP)',
    },
  }),
  persistence_timeout: custom('persistence_timeout', persistenceTimeout, {
    default: 0,
    doc: {
      text: 'Seconds a client stays on its real server; 0 is no persistence.',
      value: '[1..2678400]; alone: 360',
    },
  }),
  persistence_granularity: custom('persistence_granularity', granularity, {
    doc: {
      text: 'Netmask (IPv4) or prefix length (IPv6) of clients that share persistence.',
      value: 'solid IPv4 netmask or 0..128',
    },
  }),
  persistence_engine: str('persistence_engine', {
    doc: { text: 'IPVS persistence engine (`sip`).', inert: 'the engine is not passed to the kernel.' },
  }),
  // check_parser.c lbflags_handler reads only the keyword itself.
  ops: presence('ops', { doc: { text: 'One-packet scheduling (UDP only; reset with a line otherwise).' } }),
  hashed: presence('hashed', {
    doc: {
      text: 'Accepted; sets no flag (check_parser.c `lbflags_handler` knows no `hashed`): dropped under `sh`/`mh`, refused with a line otherwise.',
    },
  }),
  'flag-1': presence('flag-1', { doc: { text: 'Scheduler flag IP_VS_SVC_F_SCHED1.' } }),
  'flag-2': presence('flag-2', { doc: { text: 'Scheduler flag IP_VS_SVC_F_SCHED2.' } }),
  'flag-3': presence('flag-3', { doc: { text: 'Scheduler flag IP_VS_SVC_F_SCHED3.' } }),
  'sh-port': presence('sh-port', {
    doc: { text: '`sh`: hash the port too (other schedulers: refused with a line).' },
  }),
  'sh-fallback': presence('sh-fallback', {
    doc: { text: '`sh`: fall back to another real server when the chosen one is unavailable.' },
  }),
  'mh-port': presence('mh-port', { doc: { text: '`mh`: hash the port too.' } }),
  'mh-fallback': presence('mh-fallback', {
    doc: { text: '`mh`: fall back when the chosen real server is unavailable.' },
  }),
  delay_loop: custom(
    'delay_loop',
    delayLoopValue((v) => `virtual server delay loop '${v}' invalid - ignoring`),
    {
      default: DEFAULT_DELAY_LOOP,
      doc: { text: 'Seconds between checks, for its checkers.', value: 'seconds from 0.000001' },
    },
  ),
  ...timingRest('virtual server'),
  // check_parser.c's virtual-server handlers for these read no word (the real server's do).
  inhibit_on_failure: presence('inhibit_on_failure', {
    doc: {
      text: 'Failed real servers stay in the table with weight 0 (each real server can override it).',
    },
  }),
  alpha: presence('alpha', {
    doc: { text: 'Real servers start down until their checkers succeed once.' },
  }),
  omega: presence('omega', {
    doc: {
      text: "At stop, run the `quorum_down` and real servers' `notify_down` scripts that apply.",
    },
  }),
  quorum: custom(
    'quorum',
    (s, sink) => {
      const v = parseIntValue(s.args[0], 1, 4294967295, sink, s.loc);
      if (v === undefined)
        sink.report(
          'error',
          'out-of-range',
          `Quorum ${s.args[0] ?? ''} must be in [1, 4294967295]. Setting to 1.`,
          s.loc,
        );
      return v;
    },
    {
      default: 1,
      doc: {
        text: 'Least total weight of healthy real servers for the service to be up; above the total weight it is reduced with a line.',
        value: '1..4294967295',
      },
    },
  ),
  hysteresis: int('hysteresis', 0, 4294967295, {
    default: 0,
    doc: { text: 'Margin around the quorum before it changes state; kept below the quorum.' },
  }),
  quorum_up: script('quorum_up', { doc: { text: 'Run when the quorum is gained.' } }),
  quorum_down: script('quorum_down', { doc: { text: 'Run when the quorum is lost.' } }),
  sorry_server: custom('sorry_server', (s, sink) => serverAddress(s, 'sorry_server', sink), {
    doc: { text: 'Real server put in the table while the quorum is lost.', value: 'IP [PORT]' },
  }),
  sorry_server_inhibit: presence('sorry_server_inhibit', {
    doc: {
      text: '`inhibit_on_failure` for the sorry server: it stays in the table with weight 0 while not in use.',
    },
  }),
  sorry_server_lvs_method: custom('sorry_server_lvs_method', forwardingMethod, {
    doc: {
      text: 'Forwarding method of the sorry server.',
      value: 'as `lvs_method`',
      default: "the virtual server's",
    },
  }),
  ha_suspend: presence('ha_suspend', {
    doc: {
      text: "Suspend the checkers while the virtual server's address is not on this host (`Suspending healthchecker for service ... for VS ...`), resume them when it is back (`Activating ...`).",
      differs:
        'a `virtual_server group` has its checkers run all along (keepalived matches the group addresses).',
    },
  }),
  virtualhost: str('virtualhost', { doc: { text: 'Host header of the HTTP checkers of its real servers.' } }),
  weight: custom('weight', weightValue('Virtual server', 1), {
    default: 1,
    doc: { text: 'Weight of real servers that set none.', value: `1..${IPVS_WEIGHT_LIMIT}` },
  }),
  ip_family: custom<AddressFamily>(
    'ip_family',
    (s, sink) => {
      const f = s.args[0];
      if (f === 'inet' || f === 'inet6') return f;
      sink.report('error', 'invalid-value', `unknown address family ${f ?? ''}`, s.loc);
      return undefined;
    },
    {
      default: 'inet',
      doc: { text: 'Address family of a fwmark or group service.', value: '`inet` or `inet6`' },
    },
  ),
  smtp_alert: custom('smtp_alert', (st, sink) => optionalBool(st, sink, 'virtual_server smtp_alert'), {
    default: false,
    doc: {
      text: 'Email on health changes of its real servers.',
      value: 'flag, or on/off words',
      inert: 'keepalived-ts sends no email.',
    },
  }),
  real_server: blockStatements('real_server', (s) => s, {
    doc: { text: 'A backend (section below). At least one is required.', value: 'IP [PORT] `{ }`' },
  }),
};

export const virtualServerTable: BlockTable = {
  name: 'virtual_server',
  doc: {
    title: 'virtual_server',
    source:
      '`keepalived/check/check_parser.c`, completed in `check/check_data.c`, defaults in `include/check_data.h`',
    text:
      '`virtual_server IP PORT { }`, `virtual_server fwmark N { }` or `virtual_server group NAME { }`: one ' +
      'IPVS service and its real servers, programmed over generic netlink (docs/ipvs.md). A virtual server ' +
      'with no real server is dropped, as keepalived drops it. A zero port needs persistence (set to 360 s ' +
      'with a line).',
  },
  keywords: [...Object.values(virtualServerKeywords), ...ignored(['snmp_name'])],
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
