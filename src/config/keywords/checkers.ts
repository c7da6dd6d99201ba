/**
 * Checker blocks inside `real_server` (check/check_api.c common keywords, check_tcp.c,
 * check_http.c, check_misc.c, check_smtp.c, check_dns.c, check_udp.c, check_ping.c,
 * check_file.c). Per-checker retry defaults live in schema.ts with the inheritance rules.
 */
import type { CheckerType } from '../model.js';
import type { Statement } from '../tree.js';
import { readBlock } from './read.js';
import type { BlockTable, DiagnosticSink, KeywordSpec, RawBlock } from './types.js';
import { block, custom, flag, ignored, int, oneOf, script, str, timer, uint } from './types.js';
import { userGroup } from './global-defs.js';
import {
  delayLoopValue,
  firstArg,
  parseAddressValue,
  parseIntValue,
  parsePortValue,
  parseTimerValue,
  TIMER_MAXIMUM_RANGE,
  TIMER_MAXIMUM_S,
  UINT_MAX,
} from './values.js';

const MAX_SECONDS = 2147483;

/** Common to every checker but FILE_CHECK (check_api.c install_checker_common_keywords). */
function common(connecting: boolean): KeywordSpec[] {
  const timing: KeywordSpec[] = [
    // check_api.c: retry to UINT_MAX, the timers with no maximum, each with its own line.
    uint('retry', 0, UINT_MAX, { invalid: (v) => `Invalid retry connection value '${v}'` }),
    timer(
      'delay_before_retry',
      0,
      TIMER_MAXIMUM_S,
      { invalid: (v) => `Invalid delay_before_retry connection value '${v}'` },
      TIMER_MAXIMUM_RANGE,
    ),
    timer(
      'warmup',
      0,
      TIMER_MAXIMUM_S,
      { invalid: (v) => `Invalid warmup connection value '${v}'` },
      TIMER_MAXIMUM_RANGE,
    ),
    custom(
      'delay_loop',
      delayLoopValue((v) => `delay_loop '${v}' is invalid - ignoring`),
    ),
    custom(
      'alpha',
      (s) => s.args[0] === undefined || ['on', 'true', 'yes'].includes(s.args[0].toLowerCase()),
    ),
    flag('log_all_failures', { invalid: (v) => `Invalid log_all_failures parameter ${v}` }),
  ];
  if (!connecting) return timing;
  return [
    ...timing,
    custom('connect_ip', (s, sink) => parseAddressValue(s.args[0], 'connect_ip', sink, s.loc)?.address),
    custom('connect_port', (s, sink) => parsePortValue(s.args[0], sink, s.loc)),
    custom('bindto', (s, sink) => parseAddressValue(s.args[0], 'bindto', sink, s.loc)?.address),
    custom('bind_port', (s, sink) => parsePortValue(s.args[0], sink, s.loc)),
    str('bind_if'),
    // check_api.c: read_timer from 1 us to UINT_MAX us, then its own line when that fails.
    custom('connect_timeout', (s, sink) => {
      const a = firstArg(s, sink);
      if (a === undefined) return undefined;
      const v = parseTimerValue(a, 0.000001, 4294.967295, sink, s.loc);
      if (v === undefined)
        sink.report('error', 'invalid-value', `connect_timeout ${a} invalid - ignoring`, s.loc);
      return v;
    }),
    int('fwmark', 0, 4294967295),
  ];
}

/** `status_code N|N-M ...` -> inclusive ranges. */
function statusCodes(stmt: Statement, sink: DiagnosticSink): [number, number][] | undefined {
  const out: [number, number][] = [];
  for (const w of stmt.args) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 100 || hi > 599 || hi < lo) {
      sink.report('error', 'invalid-value', `Invalid HTTP_GET status code '${w}'`, stmt.loc);
      return undefined;
    }
    out.push([lo, hi]);
  }
  if (out.length === 0) {
    sink.report('error', 'missing-parameter', 'status_code requires at least one code', stmt.loc);
    return undefined;
  }
  return out;
}

function digest(stmt: Statement, sink: DiagnosticSink): string | undefined {
  const d = stmt.args[0];
  if (d === undefined) {
    sink.report('error', 'missing-parameter', 'digest requires a value', stmt.loc);
    return undefined;
  }
  if (d.length !== 32) {
    sink.report(
      'error',
      'invalid-value',
      `digest '${d}' character length should be 32 rather than ${d.length}`,
      stmt.loc,
    );
    return undefined;
  }
  if (!/^[0-9a-fA-F]{32}$/.test(d)) {
    sink.report('error', 'invalid-value', `digest '${d}' is not a valid hex string`, stmt.loc);
    return undefined;
  }
  return d.toLowerCase();
}

export const urlTable: BlockTable = {
  name: 'url',
  keywords: [
    str('path'),
    // check_http.c keeps the first digest of a url.
    custom('digest', digest, { duplicate: (s) => `Digest '${s.args[0] ?? ''}' is a duplicate` }),
    custom('status_code', statusCodes),
    str('virtualhost'),
    custom('regex', (s, sink) => {
      const r = s.rest.trim().replace(/^"(.*)"$/, '$1');
      if (r === '') {
        sink.report('error', 'missing-parameter', 'regex requires a pattern', s.loc);
        return undefined;
      }
      return r;
    }),
    flag('regex_no_match'),
    ...ignored(
      ['regex_options', 'regex_min_offset', 'regex_max_offset', 'regex_stack', 'tls_compliant'],
      'warning',
    ),
  ],
};

const NB_GET_RETRY: Partial<KeywordSpec> = {
  deprecated: ['nb_get_retry'],
  deprecationMessage: "nb_get_retry is deprecated - please use 'retry'",
};

/** Replaces the common `retry` spec so that `nb_get_retry` is accepted as its deprecated alias. */
function withNbGetRetry(specs: KeywordSpec[]): KeywordSpec[] {
  return specs.map((s) => (s.keyword === 'retry' ? { ...s, ...NB_GET_RETRY } : s));
}

const httpTable: BlockTable = {
  name: 'HTTP_GET',
  keywords: [
    ...withNbGetRetry(common(true)),
    block('url', () => urlTable, { repeatable: true }),
    str('virtualhost'),
    oneOf('http_protocol', ['1.0', '1.0C', '1.1']),
    flag('enable_sni', { invalid: (v) => `Invalid enable_sni parameter ${v}` }),
    str('sni_name'),
    flag('fast_recovery', { invalid: (v) => `Invalid fast_recovery parameter ${v}` }),
    flag('tls_compliant'),
  ],
};

const tables: Record<CheckerType, BlockTable> = {
  // keepalived 2.x rejects nb_get_retry outside HTTP_GET/SSL_GET; keepalived-ts accepts it in
  // every checker (classic LVS guides put it in TCP_CHECK) with the same deprecation warning.
  TCP_CHECK: { name: 'TCP_CHECK', keywords: withNbGetRetry(common(true)) },
  HTTP_GET: httpTable,
  SSL_GET: { ...httpTable, name: 'SSL_GET' },
  MISC_CHECK: {
    name: 'MISC_CHECK',
    keywords: [
      ...withNbGetRetry(common(false)),
      script('misc_path', { value: { kind: 'script', allowUser: false } }),
      timer('misc_timeout', 0, MAX_SECONDS),
      flag('misc_dynamic'),
      custom('user', userGroup),
    ],
  },
  SMTP_CHECK: {
    name: 'SMTP_CHECK',
    keywords: [
      ...withNbGetRetry(common(true)),
      str('helo_name', { default: 'smtpchecker.keepalived.org' }),
      {
        keyword: 'host',
        value: { kind: 'ignored' },
        unsupported: 'warning',
      },
    ],
  },
  DNS_CHECK: {
    name: 'DNS_CHECK',
    keywords: [
      ...withNbGetRetry(common(true)),
      oneOf('type', ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'], { default: 'SOA' }),
      str('name', { default: '.' }),
    ],
  },
  UDP_CHECK: {
    name: 'UDP_CHECK',
    keywords: [
      ...withNbGetRetry(common(true)),
      custom('payload', (s, sink) => hexArg(s, sink, false)),
      custom('require_reply', (s, sink) => (s.args[0] === undefined ? '' : hexArg(s, sink, true))),
      int('min_reply_length', 0, 65535, { default: 0 }),
      int('max_reply_length', 0, 65535, { default: 255 }),
    ],
  },
  PING_CHECK: { name: 'PING_CHECK', keywords: withNbGetRetry(common(true)) },
  FILE_CHECK: {
    name: 'FILE_CHECK',
    keywords: [
      str('track_file'),
      custom('weight', (s, sink) => {
        const w = parseIntValue(s.args[0], -254, 254, sink, s.loc);
        return w === undefined ? undefined : { weight: w, reverse: s.args[1] === 'reverse' };
      }),
      flag('dynamic'),
    ],
  },
};

function hexArg(s: Statement, sink: DiagnosticSink, wildcards: boolean): string | undefined {
  const text = s.args.join('').replace(/^0x/i, '');
  const re = wildcards ? /^[0-9a-fA-Fx]*$/ : /^[0-9a-fA-F]*$/;
  if (!re.test(text) || text.length % 2 !== 0) {
    sink.report('error', 'invalid-value', `${s.keyword} '${s.args.join(' ')}' is not valid hex`, s.loc);
    return undefined;
  }
  return text.toLowerCase();
}

export function checkerTable(type: CheckerType): BlockTable {
  return tables[type];
}

/** A checker block as read: its type and raw values. */
export interface RawChecker {
  readonly type: CheckerType;
  readonly raw: RawBlock;
}

export const CHECKER_TYPES = Object.keys(tables) as CheckerType[];

/** Real-server entries for every checker block. */
export function checkerSpecs(): KeywordSpec[] {
  const specs: KeywordSpec[] = CHECKER_TYPES.map((type) =>
    custom(
      type,
      (stmt, sink): RawChecker | undefined => {
        if (stmt.block === null) {
          sink.report('error', 'missing-block', `Missing '{' at beginning of configuration block`, stmt.loc);
          return undefined;
        }
        return { type, raw: readBlock(stmt.block, tables[type], sink, stmt.loc) };
      },
      { field: 'checkers', repeatable: true },
    ),
  ).map((spec) => ({ ...spec, value: { ...spec.value, acceptsBlock: true } as KeywordSpec['value'] }));
  return [...specs, ...ignored(['BFD_CHECK'], 'warning')];
}
