/**
 * Checker blocks inside `real_server` (check/check_api.c common keywords, check_tcp.c,
 * check_http.c, check_misc.c, check_smtp.c, check_dns.c, check_udp.c, check_ping.c,
 * check_file.c). Per-checker retry defaults live in schema/virtual-server.ts with the inheritance
 * rules. A keyword several checker tables share is one spec object placed in each of them, so
 * the builder reads it through that object whatever the checker type.
 */
import type { CheckerType, SourceLoc } from '../model.js';
import type { Statement } from '../tree.js';
import { readBlock } from './read.js';
import type { BlockTable, DiagnosticSink, KeywordSpec, RawBlock, Repeated, SpecOptions } from './types.js';
import { block, custom, flag, ignored, int, oneOf, str, userlessScript, timer, uint } from './types.js';
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
/** linux/if.h: an interface name and its NUL. */
const IFNAMSIZ = 16;
/** Checker timing default: own value, else the real server's, else the virtual server's, else the type's. */
const INHERITED = "the real server's (or the virtual server's), else the type's (table above)";

/** Common to every checker but FILE_CHECK (check_api.c install_checker_common_keywords). */
const timingKeywords = {
  // check_api.c: retry to UINT_MAX, the timers with no maximum, each with its own line.
  // keepalived 2.x rejects nb_get_retry outside HTTP_GET/SSL_GET; keepalived-ts accepts it in
  // every checker (classic LVS guides put it in TCP_CHECK) with the same deprecation warning.
  retry: uint('retry', 0, UINT_MAX, {
    deprecated: ['nb_get_retry'],
    deprecationMessage: "nb_get_retry is deprecated - please use 'retry'",
    invalid: (v) => `Invalid retry connection value '${v}'`,
    doc: {
      text: 'Failed attempts in a row before the real server is down (each retried after `delay_before_retry`).',
      default: INHERITED,
    },
  }),
  delay_before_retry: timer(
    'delay_before_retry',
    0,
    TIMER_MAXIMUM_S,
    {
      invalid: (v) => `Invalid delay_before_retry connection value '${v}'`,
      doc: { text: 'Seconds between a failed attempt and its retry.', default: INHERITED },
    },
    TIMER_MAXIMUM_RANGE,
  ),
  warmup: timer(
    'warmup',
    0,
    TIMER_MAXIMUM_S,
    {
      invalid: (v) => `Invalid warmup connection value '${v}'`,
      doc: { text: 'Longest random delay before the first check.', default: INHERITED },
    },
    TIMER_MAXIMUM_RANGE,
  ),
  delay_loop: custom(
    'delay_loop',
    delayLoopValue((v) => `delay_loop '${v}' is invalid - ignoring`),
    { doc: { text: 'Seconds between checks.', value: 'seconds from 0.000001', default: INHERITED } },
  ),
  alpha: custom(
    'alpha',
    (s) => s.args[0] === undefined || ['on', 'true', 'yes'].includes(s.args[0].toLowerCase()),
    {
      doc: {
        text: 'Start this checker failed until its first success.',
        value: 'flag, or on/off words (any case)',
        default: "the real server's",
      },
    },
  ),
  log_all_failures: flag('log_all_failures', {
    invalid: (v) => `Invalid log_all_failures parameter ${v}`,
    doc: {
      text: 'Log every failed attempt of this checker.',
      default: 'global `checker_log_all_failures`',
    },
  }),
};

/** The common keywords of the checkers that connect (all but MISC_CHECK and FILE_CHECK). */
const connectionKeywords = {
  connect_ip: custom(
    'connect_ip',
    (s, sink) => parseAddressValue(s.args[0], 'connect_ip', sink, s.loc)?.address,
    {
      doc: {
        text: "Address to check instead of the real server's.",
        value: 'address',
        default: "the real server's address",
      },
    },
  ),
  connect_port: custom('connect_port', (s, sink) => parsePortValue(s.args[0], sink, s.loc), {
    doc: { text: 'Port to check.', value: '0..65535', default: "the real server's port" },
  }),
  bindto: custom('bindto', (s, sink) => parseAddressValue(s.args[0], 'bindto', sink, s.loc)?.address, {
    doc: { text: 'Source address of the check.', value: 'address' },
  }),
  bind_port: custom('bind_port', (s, sink) => parsePortValue(s.args[0], sink, s.loc), {
    doc: { text: 'Source port of the check.', value: '0..65535' },
  }),
  // check_api.c co_srcif_handler: a name that fits IFNAMSIZ; whether it exists is found out
  // when the socket is set up (SO_BINDTODEVICE, core/layer4.c).
  bind_if: custom(
    'bind_if',
    (s, sink) => {
      const a = firstArg(s, sink);
      if (a === undefined) return undefined;
      if (a.length > IFNAMSIZ - 1) {
        sink.report('error', 'invalid-value', `Interface name ${a} is too long - ignoring`, s.loc);
        return undefined;
      }
      return a;
    },
    {
      doc: {
        text:
          "Interface the check's socket is bound to (SO_BINDTODEVICE): its packets leave through it " +
          'whatever the routes say, and only what arrives on it is received. Required with an IPv6 ' +
          'link-local destination (without it the checker is dropped: `Checker link local address X ' +
          'requires a bind_if`) or `bindto`. An interface that does not exist is not a config error: each ' +
          "attempt then logs `Checker can't bind to device NAME: No such device` and is rescheduled. " +
          'TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK and DNS_CHECK set it; UDP_CHECK and PING_CHECK ' +
          'accept and ignore it, as keepalived does (core/layer4.c udp_bind_connect, check_ping.c).',
        value: 'interface name, at most 15 bytes',
      },
    },
  ),
  // check_api.c: read_timer from 1 us to UINT_MAX us, then its own line when that fails.
  connect_timeout: custom(
    'connect_timeout',
    (s, sink) => {
      const a = firstArg(s, sink);
      if (a === undefined) return undefined;
      const v = parseTimerValue(a, 0.000001, 4294.967295, sink, s.loc);
      if (v === undefined)
        sink.report('error', 'invalid-value', `connect_timeout ${a} invalid - ignoring`, s.loc);
      return v;
    },
    {
      doc: {
        text: 'Seconds an attempt may take to connect and answer.',
        value: 'seconds [0.000001, 4294.967295]',
        default: INHERITED,
      },
    },
  ),
  // check_api.c co_fwmark_handler (read_unsigned_strvec to UINT_MAX, then its own line).
  fwmark: uint('fwmark', 0, UINT_MAX, {
    invalid: (v) => `Invalid fwmark connection value '${v}'`,
    doc: {
      text:
        "Firewall mark set on the check's socket (SO_MARK), for policy routing (`ip rule fwmark`) " +
        'and nftables/iptables `meta mark` rules; 0 sets none. Needs CAP_NET_ADMIN: without it each ' +
        'attempt logs `Error setting fwmark N to socket: Operation not permitted` and is ' +
        'rescheduled. TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK and UDP_CHECK set it; ' +
        'PING_CHECK accepts and ignores it, as keepalived does (check_ping.c).',
    },
  }),
};

/** Every common checker keyword, read by schema/virtual-server.ts through these specs. */
export const checkerKeywords = { ...timingKeywords, ...connectionKeywords };

/** fe80::/10 (IN6_IS_ADDR_LINKLOCAL), for an address as the config gives it. */
export function isIpv6LinkLocal(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

/** Inclusive status code ranges. */
type StatusRanges = readonly (readonly [number, number])[];

/** `status_code N|N-M ...` -> inclusive ranges. */
function statusCodes(stmt: Statement, sink: DiagnosticSink): StatusRanges | undefined {
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

/** A url's keywords, in HTTP_GET's and SSL_GET's urls alike. */
export const urlKeywords = {
  path: str('path', { doc: { text: 'Request path. Required.' } }),
  // check_http.c keeps the first digest of a url.
  digest: custom('digest', digest, {
    duplicate: (s) => `Digest '${s.args[0] ?? ''}' is a duplicate`,
    doc: { text: 'MD5 of the body the page must have (as `genhash` prints it).', value: '32 hex digits' },
  }),
  status_code: custom<StatusRanges>('status_code', statusCodes, {
    default: [[200, 299]],
    doc: {
      text: 'Status codes that pass.',
      value: 'codes and ranges `N` or `N-M`, 100..599',
      default: '200-299',
    },
  }),
  virtualhost: str('virtualhost', {
    doc: { text: 'Host header of this url.', default: "the checker's `virtualhost`" },
  }),
  regex: custom(
    'regex',
    (s, sink) => {
      const r = s.rest.trim().replace(/^"(.*)"$/, '$1');
      if (r === '') {
        sink.report('error', 'missing-parameter', 'regex requires a pattern', s.loc);
        return undefined;
      }
      return r;
    },
    {
      doc: {
        text: 'Regular expression the body must match.',
        value: 'the rest of the line, quotes removed',
      },
    },
  ),
  regex_no_match: flag('regex_no_match', { doc: { text: 'The body must not match `regex`.' } }),
};

export const urlTable: BlockTable = {
  name: 'url',
  doc: {
    title: 'url (in HTTP_GET, SSL_GET)',
    source: '`keepalived/check/check_http.c`',
    text: 'One request of an HTTP checker; all urls of a checker must pass. A url without `path` is dropped.',
  },
  keywords: [
    ...Object.values(urlKeywords),
    ...ignored(['regex_options', 'regex_min_offset', 'regex_max_offset', 'regex_stack'], 'warning'),
  ],
};

/**
 * keepalived 2.2.8+ installs `tls_compliant` in SSL_GET and its urls only: in HTTP_GET it is an
 * unknown keyword (check_http.c install_http_ssl_check_keyword).
 */
const tlsCompliant = (text: string) =>
  flag('tls_compliant', {
    invalid: (v) => `Invalid tls_compliant option ${v}`,
    doc: { text },
  });

/** What SSL_GET's urls have besides `urlKeywords`. */
export const sslUrlKeywords = {
  tls_compliant: tlsCompliant(
    "Send a TLS close_notify alert when this url's session ends (keepalived 2.2.8+).",
  ),
};

export const sslUrlTable: BlockTable = {
  name: 'url',
  doc: {
    title: 'url (in SSL_GET)',
    source: '`keepalived/check/check_http.c`',
    text: 'The keywords of `url (in HTTP_GET, SSL_GET)`, and:',
  },
  keywords: [...urlTable.keywords, ...Object.values(sslUrlKeywords)],
};

const URL_DOC = { text: 'A request to make (subsection below).' };

/** HTTP_GET's own keywords (after the common ones). */
export const httpGetKeywords = {
  url: block('url', () => urlTable, { repeatable: true, doc: URL_DOC }),
  virtualhost: str('virtualhost', {
    doc: { text: 'Host header.', default: "the real server's `virtualhost`, else the address" },
  }),
  http_protocol: oneOf('http_protocol', ['1.0', '1.0C', '1.1'], {
    default: '1.0',
    doc: { text: 'HTTP version of the request (`1.0C`: 1.0 with `Connection: close`).' },
  }),
  enable_sni: flag('enable_sni', {
    invalid: (v) => `Invalid enable_sni parameter ${v}`,
    doc: { text: 'SSL_GET: send SNI.' },
  }),
  sni_name: str('sni_name', { doc: { text: 'SSL_GET: the SNI name.', default: 'the virtualhost' } }),
  fast_recovery: flag('fast_recovery', {
    invalid: (v) => `Invalid fast_recovery parameter ${v}`,
    doc: {
      text: 'Retry a failed real server at once instead of after `delay_loop`.',
      inert: 'the normal timing applies.',
    },
  }),
};

/**
 * SSL_GET's own keywords: HTTP_GET's (the same spec objects), its `url` read through the SSL url
 * table, and `tls_compliant`.
 */
export const sslGetKeywords = {
  ...httpGetKeywords,
  url: block('url', () => sslUrlTable, { repeatable: true, doc: URL_DOC }),
  tls_compliant: tlsCompliant(
    'Send a TLS close_notify alert when a session ends (keepalived 2.2.8+; SSL_set_quiet_shutdown(3)). Without it the session is dropped with no alert.',
  ),
};

export const miscCheckKeywords = {
  misc_path: userlessScript('misc_path', {
    doc: { text: 'The command. Required: a checker without it is skipped.' },
  }),
  misc_timeout: timer('misc_timeout', 0, MAX_SECONDS, {
    doc: { text: 'Seconds the script may run.', default: '`delay_loop`' },
  }),
  misc_dynamic: flag('misc_dynamic', { doc: { text: 'The exit code sets the weight (see above).' } }),
  user: custom('user', userGroup, {
    doc: {
      text: 'User and group the script runs as.',
      value: 'user [group]',
      default: 'global `script_user`',
    },
  }),
};

export const smtpCheckKeywords = {
  helo_name: str('helo_name', {
    default: 'smtpchecker.keepalived.org',
    doc: { text: 'Name sent with HELO.' },
  }),
};

export const dnsCheckKeywords = {
  type: oneOf('type', ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'], {
    default: 'SOA',
    doc: { text: 'Query type.' },
  }),
  name: str('name', { default: '.', doc: { text: 'Name queried.' } }),
};

export const udpCheckKeywords = {
  payload: custom('payload', (s, sink) => hexArg(s, sink, false), {
    doc: { text: 'Bytes to send.', value: 'hex digits (optional `0x`)', default: 'empty' },
  }),
  require_reply: custom(
    'require_reply',
    (s, sink) => (s.args[0] === undefined ? '' : hexArg(s, sink, true)),
    {
      doc: {
        text: 'A reply is required; with a pattern it must match (`x` is any digit).',
        value: '[hex pattern]',
      },
    },
  ),
  min_reply_length: int('min_reply_length', 0, 65535, {
    default: 0,
    doc: { text: 'Shortest reply accepted.' },
  }),
  max_reply_length: int('max_reply_length', 0, 65535, {
    default: 255,
    doc: { text: 'Longest reply compared.' },
  }),
};

export const fileCheckKeywords = {
  track_file: str('track_file', { doc: { text: 'Name of a track_file block. Required.' } }),
  weight: custom(
    'weight',
    (s, sink): { weight: number; reverse: boolean } | undefined => {
      const w = parseIntValue(s.args[0], -254, 254, sink, s.loc);
      return w === undefined ? undefined : { weight: w, reverse: s.args[1] === 'reverse' };
    },
    {
      default: { weight: 0, reverse: false },
      doc: {
        text: "Multiplier of the file's number (0: down on any non-zero number).",
        value: '-254..254 [`reverse`]',
        default: '0',
      },
    },
  ),
  dynamic: flag('dynamic', { doc: { text: "The file's number changes the real server's weight." } }),
};

/** The common keywords of the checkers that connect, in table order. */
const connecting = (): KeywordSpec[] => Object.values(checkerKeywords);

const tables: Record<CheckerType, BlockTable> = {
  TCP_CHECK: {
    name: 'TCP_CHECK',
    doc: {
      title: 'TCP_CHECK',
      source: '`keepalived/check/check_tcp.c`',
      text: 'Up when a TCP connection to the real server (or `connect_ip`:`connect_port`) opens in time.',
    },
    keywords: connecting(),
  },
  HTTP_GET: {
    name: 'HTTP_GET',
    doc: {
      title: 'HTTP_GET',
      source: '`keepalived/check/check_http.c`',
      text: 'GET each `url` and compare the status code, digest or regex. At least one url is required.',
    },
    keywords: [...connecting(), ...Object.values(httpGetKeywords)],
  },
  SSL_GET: {
    name: 'SSL_GET',
    doc: {
      title: 'SSL_GET',
      source: '`keepalived/check/check_ssl.c`, `check_http.c`',
      text: 'HTTP_GET over TLS; the same keywords. The certificate is not verified (the top-level `SSL` block is ignored).',
    },
    keywords: [...connecting(), ...Object.values(sslGetKeywords)],
  },
  MISC_CHECK: {
    name: 'MISC_CHECK',
    doc: {
      title: 'MISC_CHECK',
      source: '`keepalived/check/check_misc.c`',
      text: 'Up while a script exits 0; with `misc_dynamic`, exit 2..255 sets the weight to the code minus 2.',
    },
    keywords: [...Object.values(timingKeywords), ...Object.values(miscCheckKeywords)],
  },
  SMTP_CHECK: {
    name: 'SMTP_CHECK',
    doc: {
      title: 'SMTP_CHECK',
      source: '`keepalived/check/check_smtp.c`',
      text: 'Up when the server greets with 220 and answers HELO with 250.',
    },
    keywords: [...connecting(), ...Object.values(smtpCheckKeywords), ...ignored(['host'], 'warning')],
  },
  DNS_CHECK: {
    name: 'DNS_CHECK',
    doc: {
      title: 'DNS_CHECK',
      source: '`keepalived/check/check_dns.c`',
      text: 'Up when a UDP query for `name` gets an answer with our id and no error.',
    },
    keywords: [...connecting(), ...Object.values(dnsCheckKeywords)],
  },
  UDP_CHECK: {
    name: 'UDP_CHECK',
    doc: {
      title: 'UDP_CHECK',
      source: '`keepalived/check/check_udp.c`',
      text: 'Send a datagram; down on an ICMP unreachable, or without the reply `require_reply` asks for.',
    },
    keywords: [...connecting(), ...Object.values(udpCheckKeywords)],
  },
  PING_CHECK: {
    name: 'PING_CHECK',
    doc: {
      title: 'PING_CHECK',
      source: '`keepalived/check/check_ping.c`',
      text: 'Up when an ICMP echo gets its reply in time.',
    },
    keywords: connecting(),
  },
  FILE_CHECK: {
    name: 'FILE_CHECK',
    doc: {
      title: 'FILE_CHECK',
      source: '`keepalived/check/check_file.c`',
      text: 'Health and weight from a `track_file`: none of the common keywords, no timing.',
    },
    keywords: Object.values(fileCheckKeywords),
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
  /** The block's closing `}`. */
  readonly endLoc?: SourceLoc;
}

export const CHECKER_TYPES = Object.keys(tables) as CheckerType[];

/**
 * A keyword of a block whose parser reads the statement's `{ }` block itself (`real_server`, the
 * checker blocks): its statements append to a list.
 */
export function blockStatements<T>(
  keyword: string,
  parse: (stmt: Statement, sink: DiagnosticSink) => T | undefined,
  extra: Omit<SpecOptions<T>, 'repeatable'> = {},
): Repeated<T> {
  return { keyword, value: { kind: 'custom', parse, acceptsBlock: true }, ...extra, repeatable: true };
}

/** The real-server entry of one checker block type. */
function checkerBlock(type: CheckerType): Repeated<RawChecker> {
  return blockStatements(
    type,
    (stmt, sink): RawChecker | undefined => {
      if (stmt.block === null) {
        sink.report('error', 'missing-block', `Missing '{' at beginning of configuration block`, stmt.loc);
        return undefined;
      }
      const raw = readBlock(stmt.block, tables[type], sink, stmt.loc);
      return stmt.endLoc ? { type, raw, endLoc: stmt.endLoc } : { type, raw };
    },
    {
      field: 'checkers',
      doc: { text: `A ${type} health checker (section below).`, value: '`{ }` block' },
    },
  );
}

/**
 * The real server's checker blocks. They share one field, `checkers`, that lists every checker
 * block of the real server in config order whatever its type: reading the items of any of these
 * specs gives them all.
 */
export const checkerBlockKeywords: Record<CheckerType, Repeated<RawChecker>> = {
  TCP_CHECK: checkerBlock('TCP_CHECK'),
  HTTP_GET: checkerBlock('HTTP_GET'),
  SSL_GET: checkerBlock('SSL_GET'),
  MISC_CHECK: checkerBlock('MISC_CHECK'),
  SMTP_CHECK: checkerBlock('SMTP_CHECK'),
  DNS_CHECK: checkerBlock('DNS_CHECK'),
  UDP_CHECK: checkerBlock('UDP_CHECK'),
  PING_CHECK: checkerBlock('PING_CHECK'),
  FILE_CHECK: checkerBlock('FILE_CHECK'),
};

const bfdCheck = ignored(['BFD_CHECK'], 'warning');

/** Real-server entries for every checker block (and BFD_CHECK, accepted and ignored). */
export function checkerSpecs(): KeywordSpec[] {
  return [...Object.values(checkerBlockKeywords), ...bfdCheck];
}
