/**
 * `vrrp_instance NAME { }` and `vrrp_sync_group NAME { }` (vrrp/vrrp_parser.c,
 * keepalived.conf(5) "VRRP instance(s)", "VRRP synchronization group(s)").
 */
import type { ScriptSpec, SourceLoc } from '../model.js';
import type { Statement } from '../tree.js';
import type { BlockTable, DiagnosticSink, KeywordSpec, SpecOptions } from './types.js';
import {
  block,
  custom,
  flag,
  ignored,
  int,
  lines,
  oneOf,
  presence,
  script,
  str,
  timer,
  uint,
} from './types.js';
import { trackLine, trackProcessLine } from './trackers.js';
import { parseScriptLine } from '../quoting.js';
import { ruleLine } from './ip-rule.js';
import { useIpvlanLine, useVmacLine } from '../vmac.js';
import { parseAddressValue, parseIntValue, parseSockAddrValue, TIMER_SECONDS, UINT_MAX } from './values.js';

/** A `virtual_ipaddress` line before the device default is applied. */
/** One `version` line of an instance. */
export interface VersionLine {
  readonly version: 2 | 3;
  readonly loc: SourceLoc;
}

export interface VipLine {
  readonly text: string;
  readonly address: string;
  readonly family: 'inet' | 'inet6';
  readonly prefixLength: number;
  readonly dev: string | null;
  readonly label: string | null;
  readonly scope: string | null;
  readonly broadcast: string | null;
  readonly peer: string | null;
  readonly noTrack: boolean;
  /** The `use_vmac` word: this VIP gets a VMAC of its own (vrrp.c, with use_vmac_addr's rules). */
  readonly useVmac: boolean;
  readonly loc: SourceLoc;
}

const VIP_FLAGS = new Set(['home', '-nodad', 'nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'use_vmac']);
const SCOPES = new Set(['global', 'site', 'link', 'host', 'nowhere']);

/** `IP[/MASK] [brd IP] [dev IF] [scope S] [label L] [peer IP] [no_track] ...`. */
export function vipLine(line: Statement, sink: DiagnosticSink): VipLine | undefined {
  const a = parseAddressValue(line.keyword, 'VIP', sink, line.loc, true);
  if (!a) return undefined;
  let dev: string | null = null;
  let label: string | null = null;
  let scope: string | null = null;
  let broadcast: string | null = null;
  let peer: string | null = null;
  let noTrack = false;
  let useVmac = false;
  const args = line.args;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const v = args[i + 1];
    const needValue = (): string | undefined => {
      if (v === undefined)
        sink.report('error', 'missing-parameter', `VIP ${line.keyword}: '${w}' needs a value`, line.loc);
      i++;
      return v;
    };
    switch (w) {
      case 'dev':
        dev = needValue() ?? null;
        break;
      case 'label':
        label = needValue() ?? null;
        break;
      case 'scope': {
        const s = needValue();
        if (s !== undefined && !SCOPES.has(s) && !/^\d+$/.test(s)) {
          sink.report(
            'error',
            'invalid-value',
            `Invalid scope '${s}' specified for ${line.keyword} - setting to global`,
            line.loc,
          );
        } else if (s !== undefined) scope = s;
        break;
      }
      case 'brd':
      case 'broadcast': {
        const b = needValue();
        if (b === '-' || b === '+') broadcast = b;
        else if (b !== undefined)
          broadcast = parseAddressValue(b, 'VIP broadcast', sink, line.loc)?.address ?? null;
        break;
      }
      case 'peer': {
        const p = needValue();
        if (p !== undefined) peer = parseAddressValue(p, 'VIP peer', sink, line.loc, true)?.address ?? null;
        break;
      }
      case 'preferred_lft':
        needValue();
        break;
      case 'no_track':
        noTrack = true;
        break;
      case 'track':
        noTrack = false;
        break;
      case 'use_vmac':
        useVmac = true;
        break;
      default:
        if (!VIP_FLAGS.has(w)) {
          sink.report(
            'error',
            'invalid-value',
            `Unknown configuration entry '${w}' for ip address - ignoring`,
            line.loc,
          );
        }
    }
  }
  const prefixLength = a.prefixLength ?? (a.family === 'inet' ? 32 : 128);
  return {
    text: `${a.address}/${prefixLength}`,
    address: a.address,
    family: a.family,
    prefixLength,
    dev,
    label,
    scope,
    broadcast,
    peer,
    noTrack,
    useVmac,
    loc: line.loc,
  };
}

export interface RouteLine {
  readonly to: string;
  readonly via: string | null;
  readonly src: string | null;
  readonly dev: string | null;
  readonly table: number | null;
  readonly metric: number | null;
  readonly scope: string | null;
  readonly blackhole: boolean;
  readonly noTrack: boolean;
  readonly loc: SourceLoc;
}

/** iproute2 route options that take one value and that keepalived-ts keeps as written or drops. */
const ROUTE_VALUE_OPTIONS = new Set([
  'protocol',
  'proto',
  'mtu',
  'advmss',
  'rtt',
  'rttvar',
  'reordering',
  'window',
  'cwnd',
  'ssthresh',
  'realms',
  'realm',
  'rto_min',
  'initcwnd',
  'initrwnd',
  'features',
  'quickack',
  'congctl',
  'pref',
  'tos',
  'dsfield',
  'hoplimit',
  'weight',
  'fastopen_no_cookie',
  'expires',
  'nexthop',
  'encap',
]);
const ROUTE_FLAGS = new Set(['onlink', 'pervasive', 'ttl-propagate', 'unicast', 'local']);
const ROUTE_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

/** `[src IP] [to] NET [via|gw IP] [or IP] [dev IF] [scope S] [table N] [metric N] [no_track] ...`. */
export function routeLine(line: Statement, sink: DiagnosticSink): RouteLine | undefined {
  const words = [line.keyword, ...line.args];
  let to: string | null = null;
  let via: string | null = null;
  let src: string | null = null;
  let dev: string | null = null;
  let table: number | null = null;
  let metric: number | null = null;
  let scope: string | null = null;
  let blackhole = false;
  let noTrack = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const v = words[i + 1];
    const take = (): string | undefined => {
      if (v === undefined)
        sink.report('error', 'missing-parameter', `virtual route: '${w}' needs a value`, line.loc);
      i++;
      return v;
    };
    if (w === 'src') src = parseAddressValue(take(), 'route src', sink, line.loc)?.address ?? null;
    else if (w === 'to') to = take() ?? null;
    else if (w === 'via' || w === 'gw')
      via = parseAddressValue(take(), 'route via', sink, line.loc)?.address ?? null;
    else if (w === 'or') take();
    else if (w === 'dev' || w === 'oif') dev = take() ?? null;
    else if (w === 'scope') scope = take() ?? null;
    else if (w === 'table') table = parseIntValue(take(), 0, 4294967295, sink, line.loc) ?? null;
    else if (w === 'metric' || w === 'preference' || w === 'priority')
      metric = parseIntValue(take(), 0, 4294967295, sink, line.loc) ?? null;
    else if (w === 'no_track') noTrack = true;
    else if (ROUTE_TYPES.has(w)) blackhole = blackhole || w === 'blackhole';
    else if (ROUTE_VALUE_OPTIONS.has(w)) take();
    else if (ROUTE_FLAGS.has(w)) continue;
    else if (to === null) to = w;
    else sink.report('error', 'invalid-value', `Unknown route option '${w}' - ignoring`, line.loc);
  }
  if (to === null) {
    sink.report('error', 'missing-parameter', 'Virtual route has no destination', line.loc);
    return undefined;
  }
  const dest = to === 'default' ? '0.0.0.0/0' : to;
  if (!parseAddressValue(dest, 'route destination', sink, line.loc, true)) return undefined;
  return { to: dest, via, src, dev, table, metric, scope, blackhole, noTrack, loc: line.loc };
}

export interface PeerLine {
  readonly address: string;
  readonly family: 'inet' | 'inet6';
  readonly minTtl: number | null;
  readonly maxTtl: number | null;
  readonly loc: SourceLoc;
}

/** `IP [min_ttl N] [max_ttl N]`. */
export function peerLine(line: Statement, sink: DiagnosticSink): PeerLine | undefined {
  const a = parseSockAddrValue(line.keyword, 'unicast_peer', sink, line.loc);
  if (!a) return undefined;
  let minTtl: number | null = null;
  let maxTtl: number | null = null;
  for (let i = 0; i < line.args.length; i++) {
    const w = line.args[i]!;
    if (w === 'min_ttl') minTtl = parseIntValue(line.args[++i], 0, 255, sink, line.loc) ?? null;
    else if (w === 'max_ttl') maxTtl = parseIntValue(line.args[++i], 0, 255, sink, line.loc) ?? null;
    else sink.report('error', 'invalid-value', `Unknown unicast_peer option '${w}'`, line.loc);
  }
  return { address: a.address, family: a.family, minTtl, maxTtl, loc: line.loc };
}

/**
 * A `timer_expired_backup [PRIO]` or `thread_timer_expired [PRIO]` line, as written: the schema
 * reads the priority and reports with the instance's name (vrrp_parser.c
 * vrrp_timer_expired_backup_handler, keepalived 2.2.8 and later).
 */
export interface TimerExpiredBackupLine {
  readonly keyword: string;
  readonly priority: string | null;
  readonly loc: SourceLoc;
}

function timerExpiredBackupLine(line: Statement): TimerExpiredBackupLine {
  return { keyword: line.keyword, priority: line.args[0] ?? null, loc: line.loc };
}

function addressArg(
  stmt: Statement,
  sink: DiagnosticSink,
): { address: string; family: 'inet' | 'inet6' } | undefined {
  return parseSockAddrValue(stmt.args[0], stmt.keyword, sink, stmt.loc);
}

/** `authentication { }`'s keywords, read by schema/vrrp-instance.ts through these specs. */
export const authenticationKeywords = {
  // Checked against PASS and AH by the instance, which names itself in the message.
  auth_type: str('auth_type', {
    doc: {
      text: '`PASS` (a clear-text password in each advert) or `AH` (IPsec AH with the password as key).',
      value: '`PASS` or `AH`',
    },
  }),
  auth_pass: custom(
    'auth_pass',
    (s, sink): string | undefined => {
      const p = s.args[0];
      if (p === undefined) {
        sink.report('error', 'missing-parameter', 'auth_pass requires a password', s.loc);
        return undefined;
      }
      if (p.length > 8)
        sink.report('error', 'auth-pass-truncated', 'Truncating auth_pass to 8 characters', s.loc);
      return p.slice(0, 8);
    },
    {
      doc: { text: 'The password; longer than 8 characters is cut to 8 with a line.', value: 'word' },
    },
  ),
};

export const authenticationTable: BlockTable = {
  name: 'authentication',
  doc: {
    title: 'authentication (in vrrp_instance)',
    source: '`keepalived/vrrp/vrrp_parser.c`, checks in `vrrp/vrrp.c`',
    text:
      'RFC 2338 authentication of adverts. Refused with VRRPv3 and in strict mode; with no `auth_type` ' +
      'there is none.',
  },
  keywords: Object.values(authenticationKeywords),
};

/** One `auth_hmac` line as written; the instance checks it and names itself (schema/vrrp-instance.ts). */
export interface AuthHmacLine {
  readonly args: readonly string[];
  readonly loc: SourceLoc;
}

const authHmacLine = (s: Statement): AuthHmacLine => ({ args: s.args, loc: s.loc });

/** `auth_hmac { }`'s keywords, read by schema/vrrp-instance.ts through these specs. */
export const authHmacKeywords = {
  key: custom('key', authHmacLine, {
    repeatable: true,
    doc: {
      text: 'A key by id; a receiver verifies with the key the trailer names, so several keys allow rotation.',
      value:
        '`ID VALUE`: id 1..255; `hex:DIGITS`, an ASCII string, or `file:PATH` (a file holding either; mode 0600), 32 to 64 bytes',
    },
  }),
  active_key: custom('active_key', authHmacLine, {
    doc: {
      text: 'The key id that signs sent adverts; it must be one of the keys, else the block is dropped.',
      value: '1..255',
    },
  }),
  anti_replay: custom('anti_replay', authHmacLine, {
    doc: {
      text: "`time`: a trailer older or newer than `time_window` is stale, and each sender's sequence must grow; `monotonic`: only the growth (no shared clock needed).",
      value: '`time` or `monotonic`',
      default: 'time',
    },
  }),
  time_window: custom('time_window', authHmacLine, {
    doc: {
      text: 'The freshness window of `anti_replay time`.',
      value: 'seconds 1..300',
      default: 'max(3 x advert_int, 5)',
    },
  }),
  mode: custom('mode', authHmacLine, {
    doc: {
      text: '`enforce`: an advert needs a valid trailer; `permissive`: signs, and still accepts adverts without a trailer; `receive-only`: sends none, checks a trailer that is there (to roll the extension out: receive-only, permissive, then enforce). `strict_mode` requires enforce.',
      value: '`enforce`, `permissive` or `receive-only`',
      default: 'enforce',
    },
  }),
};

export const authHmacTable: BlockTable = {
  name: 'auth_hmac',
  doc: {
    title: 'auth_hmac (in vrrp_instance)',
    source:
      'keepalived 2.4.3 `keepalived/vrrp/vrrp_parser.c`, `vrrp/vrrp_auth_hmac.c`, checks in `vrrp/vrrp.c`',
    text:
      'An HMAC-SHA256 trailer (truncated to 128 bits, with a time-based sequence) on every advert, ' +
      'checked on receive: origin, integrity and replay protection (keepalived 2.4.2 and later wire ' +
      'format; keepalived 2.2.7 does not know the block). Replaces `authentication`, which is dropped ' +
      'when both are given. Every router of the VRID needs the same keys under the same ids.',
  },
  keywords: Object.values(authHmacKeywords),
};

/**
 * Notify scripts shared by instances and sync groups: both tables hold these very specs, so one
 * reader (schema/vrrp-instance.ts notifyScripts) reads either block through them.
 */
export const notifyKeywords = {
  notify_master: script('notify_master', { doc: { text: 'Run on becoming MASTER.' } }),
  notify_backup: script('notify_backup', { doc: { text: 'Run on becoming BACKUP.' } }),
  notify_fault: script('notify_fault', { doc: { text: 'Run on entering FAULT.' } }),
  notify_stop: script('notify_stop', {
    doc: { text: 'Run when the instance stops (daemon stop or reload removing it).' },
  }),
  notify: script('notify', {
    doc: { text: 'Run on every change with `GROUP|INSTANCE NAME STATE PRIORITY` appended.' },
  }),
};

/** A `<BOOL>` keyword with no default: unset is told apart from off (a wider value applies). */
const unsetFlag = (keyword: string, extra: SpecOptions<boolean>): KeywordSpec<boolean> => ({
  keyword,
  value: { kind: 'flag' },
  ...extra,
});

/** A `<BOOL>` keyword with no default here: unset means the global_defs value applies. */
const optionalFlag = (keyword: string, text: string): KeywordSpec<boolean> =>
  unsetFlag(keyword, {
    invalid: (v, n) => `(${n}) invalid ${keyword} ${v} specified`,
    doc: { text, default: `global \`vrrp_${keyword === 'strict_mode' ? 'strict' : keyword}\`` },
  });

/** `vrrp_instance NAME { }`'s keywords, read by schema/vrrp-instance.ts through these specs. */
export const vrrpInstanceKeywords = {
  lvs_sync_daemon_interface: custom(
    'lvs_sync_daemon_interface',
    (s, sink) => {
      sink.report(
        'warning',
        'deprecated',
        'Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon',
        s.loc,
      );
      return undefined;
    },
    {
      doc: {
        text: 'Old form of the sync daemon interface: a deprecation warning.',
        inert: 'the value is not used; use global `lvs_sync_daemon`.',
        value: 'interface',
      },
    },
  ),
  state: oneOf('state', ['MASTER', 'BACKUP'], {
    default: 'BACKUP',
    doc: {
      text: 'Initial state. Upper case only. Strict mode makes it follow the priority (255: MASTER).',
      default: 'MASTER at priority 255, else BACKUP',
    },
  }),
  interface: str('interface', {
    doc: {
      text: 'Interface the adverts go out on and VIPs without `dev` go to. Required (`Unknown interface!`) unless the instance is unicast with `unicast_src_ip` and peers; VIPs without `dev` then go to `default_interface`.',
    },
  }),
  virtual_router_id: custom(
    'virtual_router_id',
    (s, sink): string | undefined =>
      s.args[0] ??
      (sink.report('error', 'missing-parameter', 'virtual_router_id requires a value', s.loc), undefined),
    {
      doc: {
        text: 'The VRID, the same on every router of the group. Required: an instance without a valid one is dropped.',
        value: '1..255',
      },
    },
  ),
  priority: custom(
    'priority',
    (s, sink): string | undefined =>
      s.args[0] ?? (sink.report('error', 'missing-parameter', 'priority requires a value', s.loc), undefined),
    {
      doc: {
        text: 'Election priority; the highest becomes master, 255 is the address owner. Out of range: 100 with a line.',
        value: '1..255',
        default: '255 with `state MASTER`, else 100',
      },
    },
  ),
  advert_int: timer(
    'advert_int',
    0.01,
    255,
    {
      default: 1,
      invalid: (v, n) => `(${n}) Advert interval (${v}) not valid! Must be > 0 - ignoring`,
      doc: {
        text: 'Seconds between adverts; VRRPv2 rounds it to whole seconds, VRRPv3 to centiseconds up to 40.95 s, each with a line.',
      },
    },
    '[0.010000, 255.000000]',
  ),
  // vrrp_parser.c vrrp_version_handler: every line is kept (with its place) for the schema, which
  // keeps the first and refuses a conflicting one as keepalived does.
  version: custom(
    'version',
    (stmt, sink): VersionLine | undefined => {
      const v = parseIntValue(stmt.args[0], 2, 3, sink, stmt.loc);
      return v === undefined ? undefined : { version: v === 3 ? 3 : 2, loc: stmt.loc };
    },
    {
      repeatable: true,
      invalid: (_v, n) => `(${n}): Version must be either 2 or 3`,
      doc: {
        text: 'VRRP version of this instance; IPv6 VIPs make it 3 unless it is set to 2 first (without strict mode).',
        value: 'integer 2..3',
        default: 'global `vrrp_version`',
        differs: 'adverts are always VRRPv2 (docs/behaviour.md).',
      },
    },
  ),
  nopreempt: presence('nopreempt', {
    doc: {
      text: 'A higher-priority backup does not take over from a working master. Cleared (with a line) at priority 255 or state MASTER.',
    },
  }),
  // vrrp_parser.c vrrp_preempt_handler clears the flag: of `nopreempt` and `preempt`, the last stands.
  preempt: custom('preempt', () => false, {
    field: 'nopreempt',
    doc: {
      text: 'The default; clears an earlier `nopreempt` (the last of the two stands).',
      value: 'flag (a word after it is ignored)',
      default: 'on',
    },
  }),
  native_ipv6: presence('native_ipv6', {
    doc: {
      text: 'The instance is IPv6 (and VRRPv3) before any address says so; refused after an IPv4 address.',
    },
  }),
  preempt_delay: timer('preempt_delay', 0, 1000, {
    default: 0,
    doc: {
      text: 'Seconds after start before a higher-priority backup preempts. Cleared with state MASTER, nopreempt or strict mode.',
    },
  }),
  authentication: block('authentication', () => authenticationTable, {
    doc: { text: 'Advert authentication (subsection below).' },
  }),
  auth_hmac: block('auth_hmac', () => authHmacTable, {
    doc: {
      text: 'HMAC authentication of adverts (subsection below).',
      differs:
        'a block added after keepalived 2.2.7 (keepalived 2.4.2 wire format), read on purpose (compatibility.md `newer-keywords`).',
    },
  }),
  virtual_ipaddress: lines('virtual_ipaddress', vipLine, {
    doc: {
      text: 'The VIPs added while master and removed otherwise: `IP[/LEN] [brd IP] [dev IF] [scope S] [label L] [peer IP] [no_track]`. More than fit one advert move to the excluded list with a line.',
    },
  }),
  virtual_ipaddress_excluded: lines('virtual_ipaddress_excluded', vipLine, {
    doc: { text: 'VIPs managed like `virtual_ipaddress` but not carried in adverts; same syntax.' },
  }),
  no_virtual_ipaddress: flag('no_virtual_ipaddress', {
    doc: {
      text: 'Allow an instance with no VIP without the warning (refused in strict mode).',
      differs: 'a keyword added after keepalived 2.2.7, read on purpose (compatibility.md `newer-keywords`).',
    },
  }),
  virtual_routes: lines('virtual_routes', routeLine, {
    doc: {
      text: 'Routes added while master: `[src IP] [to] NET [via|gw IP] [dev IF] [scope S] [table N] [metric N] [blackhole] [no_track]`; other iproute2 options are accepted and dropped.',
    },
  }),
  virtual_rules: lines('virtual_rules', (line, sink) => ruleLine(line, sink, false), {
    doc: {
      text: 'Policy routing rules added while master (after the routes) and removed before them: `[inet|inet6] [not] [from A[/N]] [to A[/N]] [preference|priority|order N] [tos T] [fwmark M[/MASK]] [dev|iif IF] [oif IF] [uidrange A-B] [sport A-B] [dport A-B] [ipproto P] [realms [S/]D] [suppress_prefixlength N] [suppress_ifgroup G] [tunnel-id N] [protocol N]` then one action: `table|lookup T`, `goto N`, `nop`, `l3mdev`, `[type] blackhole|unreachable|prohibit`; `[no_track]`. A rule without a preference gets one counting down from 16384, with a line.',
      differs:
        'table, dsfield, realm and group names are the built-in ones only (`main`, `local`, `default`); /etc/iproute2 files are not read (keepalived lib/rttables.c reads them).',
    },
  }),
  track_interface: lines('track_interface', trackLine(-253, 253), {
    doc: {
      text: '`IF [weight -253..253]`: FAULT while the interface is down (weight 0), else the weight applies.',
    },
  }),
  track_script: lines('track_script', trackLine(-253, 253), {
    doc: {
      text: "`NAME [weight -253..253 [reverse]]`: follow a vrrp_script; without a weight the script's own applies.",
    },
  }),
  track_file: lines('track_file', trackLine(-254, 254), {
    doc: { text: '`NAME [weight -254..254 [reverse]]`: follow a track_file.' },
  }),
  track_process: lines('track_process', trackProcessLine, {
    doc: {
      text: "`NAME [weight -254..254 [reverse|noreverse]]`: follow a vrrp_track_process; without a weight the tracker's own applies.",
    },
  }),
  dont_track_primary: presence('dont_track_primary', {
    doc: { text: "Do not go to FAULT when the instance's own interface goes down." },
  }),
  mcast_src_ip: custom('mcast_src_ip', addressArg, {
    doc: {
      text: 'Source address of multicast adverts.',
      value: 'address',
      default: "the interface's primary address",
    },
  }),
  unicast_src_ip: custom('unicast_src_ip', addressArg, {
    doc: {
      text: 'Source address of unicast adverts.',
      value: 'address',
      default: "the interface's primary address",
    },
  }),
  unicast_peer: lines('unicast_peer', peerLine, {
    doc: {
      text: 'Send adverts to these addresses instead of the multicast group: `IP [min_ttl N] [max_ttl N]`. Refused in strict mode.',
    },
  }),
  unicast_ttl: int('unicast_ttl', 0, 255, {
    default: 255,
    doc: { text: 'TTL of unicast adverts; without peers it is reset with a line.' },
  }),
  check_unicast_src: presence('check_unicast_src', {
    doc: {
      text: 'Drop unicast adverts from addresses that are not peers.',
      default: 'global `vrrp_check_unicast_src`',
    },
  }),
  // vrrp_parser.c reads these as global_parser.c does, naming the instance.
  garp_master_delay: uint('garp_master_delay', 0, TIMER_SECONDS, {
    invalid: (v, n) => `(${n}): garp_master_delay '${v}' invalid - ignoring`,
    doc: {
      text: 'As `vrrp_garp_master_delay`, for this instance.',
      default: 'global `vrrp_garp_master_delay`',
    },
  }),
  garp_master_repeat: uint('garp_master_repeat', 0, UINT_MAX, {
    invalid: (v, n) => `(${n}): garp_master_repeat '${v}' invalid - ignoring`,
    zeroToOne: (n) => `(${n}): garp_master_repeat must be greater than 0, setting to 1`,
    doc: {
      text: 'As `vrrp_garp_master_repeat`, for this instance.',
      default: 'global `vrrp_garp_master_repeat`',
    },
  }),
  garp_lower_prio_delay: uint('garp_lower_prio_delay', 0, TIMER_SECONDS, {
    invalid: (v, n) => `(${n}): garp_lower_prio_delay '${v}' invalid - ignoring`,
    doc: {
      text: 'As `vrrp_garp_lower_prio_delay`, for this instance (0 in strict mode).',
      default: 'global `vrrp_garp_lower_prio_delay`',
    },
  }),
  garp_lower_prio_repeat: uint('garp_lower_prio_repeat', 0, 2147483647, {
    invalid: (v, n) => `(${n}): Invalid garp_lower_prio_repeat '${v}'`,
    doc: {
      text: 'As `vrrp_garp_lower_prio_repeat`, for this instance (0 in strict mode).',
      default: 'global `vrrp_garp_lower_prio_repeat`',
    },
  }),
  garp_master_refresh: uint('garp_master_refresh', 0, UINT_MAX, {
    invalid: (v, n) => `(${n}): Invalid garp_master_refresh '${v}' - ignoring`,
    onInvalid: 0,
    doc: {
      text: 'As `vrrp_garp_master_refresh`, for this instance.',
      default: 'global `vrrp_garp_master_refresh`',
    },
  }),
  garp_master_refresh_repeat: uint('garp_master_refresh_repeat', 0, UINT_MAX, {
    invalid: (v, n) => `(${n}): garp_master_refresh_repeat '${v}' invalid - ignoring`,
    zeroToOne: (n) => `(${n}): garp_master_refresh_repeat must be greater than 0, setting to 1`,
    doc: {
      text: 'As `vrrp_garp_master_refresh_repeat`, for this instance.',
      default: 'global `vrrp_garp_master_refresh_repeat`',
    },
  }),
  lower_prio_no_advert: optionalFlag(
    'lower_prio_no_advert',
    'As `vrrp_lower_prio_no_advert`, for this instance (on in strict mode).',
  ),
  higher_prio_send_advert: optionalFlag(
    'higher_prio_send_advert',
    'As `vrrp_higher_prio_send_advert`, for this instance (off in strict mode).',
  ),
  down_timer_adverts: uint('down_timer_adverts', 1, 100, {
    invalid: (v, n) => `(${n}): Invalid down_timer_adverts [1:100] '${v}'`,
    doc: {
      text: 'As `vrrp_down_timer_adverts`, for this instance (3 in strict mode).',
      default: 'global `vrrp_down_timer_adverts`',
    },
  }),
  skip_check_adv_addr: optionalFlag(
    'skip_check_adv_addr',
    'As `vrrp_skip_check_adv_addr`, for this instance.',
  ),
  strict_mode: optionalFlag('strict_mode', 'As `vrrp_strict`, for this instance.'),
  ...notifyKeywords,
  notify_deleted: custom(
    'notify_deleted',
    (st, sink): { script: ScriptSpec | null } | undefined => {
      // vrrp_parser.c vrrp_notify_deleted_handler: alone it only turns the FAULT notify of a
      // removed instance into DELETED; with a script it also runs that script.
      if (st.rest.trim() === '') return { script: null };
      const r = parseScriptLine(st.rest, true);
      if (!r.ok) {
        sink.report('error', 'bad-script', `notify_deleted: ${r.error}`, st.loc);
        return undefined;
      }
      return { script: r.value };
    },
    {
      doc: {
        text: 'A reload that removes the instance notifies DELETED instead of FAULT (scripts, FIFO lines); a script given runs then.',
        value: '[script]',
      },
    },
  ),
  notify_master_rx_lower_pri: script('notify_master_rx_lower_pri', {
    doc: { text: 'Run when the master receives an advert of lower priority.' },
  }),
  smtp_alert: flag('smtp_alert', {
    invalid: (v) => `Invalid vrrp_instance smtp_alert parameter ${v}`,
    doc: { text: 'Email on state changes.', inert: 'keepalived-ts sends no email.' },
  }),
  notify_priority_changes: unsetFlag('notify_priority_changes', {
    invalid: (v, name) => `(${name}) Invalid value '${v}' for notify_priority_changes specified`,
    doc: {
      text: 'Write `INSTANCE "VI_1" MASTER_PRIORITY 140` (`BACKUP_PRIORITY` when not master) to the notify FIFOs when the effective priority changes. Unset: the sync group\'s, else `vrrp_notify_priority_changes`.',
    },
  }),
  use_vmac: custom('use_vmac', useVmacLine, {
    doc: {
      text: 'Put the VIPs on a macvlan interface (mode private, on `interface`) with the virtual router MAC `00:00:5e:00:01:VRID` (`02` for IPv6), created at start with its sysctls and removed at stop; adverts and gratuitous ARPs go out from it (docs/behaviour.md §3.8).',
      value:
        '`[[name] NAME] [MAC] [group GROUP] [netlink_notify_msg]`: a name (`vrrp.VRID` by default) and/or a unicast MAC that is not an RFC 5798 one (five octets: the VRID is the sixth); keepalived 2.3.0 added `name`, `group` (the interface group, a number or `default`) and `netlink_notify_msg` (read, not acted on)',
    },
  }),
  use_vmac_addr: presence('use_vmac_addr', {
    doc: {
      text: 'Each VIP on another interface than `interface`, or of the other address family, goes on a VMAC of its own on that interface (`vrrp1.VRID`, ...; VIPs on one interface share it), as a VIP line with the `use_vmac` word does.',
    },
  }),
  timer_expired_backup: custom('timer_expired_backup', timerExpiredBackupLine, {
    doc: {
      text: 'With `nopreempt`: a MASTER whose adverts were held up (the daemon not scheduled) for longer than another router with this priority waits (3 adverts + its skew) goes BACKUP instead of resuming as MASTER, logging `VRRP thread timer expired`.',
      value: '`[PRIORITY]`: the highest priority of the other routers, 1..254',
      default: '254 when given without a priority; off when absent',
      differs:
        'a keyword added after keepalived 2.2.7 (keepalived 2.2.8 vrrp.c vrrp_thread_timeout_handler), read on purpose (compatibility.md `newer-keywords`).',
    },
  }),
  thread_timer_expired: custom('thread_timer_expired', timerExpiredBackupLine, {
    field: 'timer_expired_backup',
    doc: {
      text: 'The first name of `timer_expired_backup`: keepalived reads it as that keyword and asks for the new name.',
      value: 'as `timer_expired_backup`',
      differs: 'a keyword added after keepalived 2.2.7, read on purpose (compatibility.md `newer-keywords`).',
    },
  }),
  use_ipvlan: custom('use_ipvlan', useIpvlanLine, {
    repeatable: true,
    doc: {
      text: 'Send and receive the adverts on an ipvlan interface (mode l2, on `interface`, sharing its MAC: no virtual MAC) from its own address; created up at start (IPv6 off on it for an IPv4 instance) and removed at stop. VIPs without `dev` stay on `interface` (keepalived 2.2.7 moves VIPs onto a VMAC, never an ipvlan), and a `dev` naming the ipvlan is refused until it exists, as keepalived refuses it. An IPv4 instance needs the address.',
      value:
        '`[[name] NAME] [ADDRESS[/PREFIX]] [bridge|private|vepa] [group GROUP]` in any order: a name (`vrrp.VRID` by default), the address, the ipvlan flags (bridge by default); keepalived 2.3.0 added `name` and `group` (the interface group, a number or `default`)',
      differs:
        'an IPv4 ipvlan without an address is reported as keepalived reports it, but the instance runs (keepalived holds it in FAULT); an existing interface of the name that is not an ipvlan is not replaced by a default name at run time (keepalived checks it when it reads the configuration): the instance runs without its ipvlan (`vrrp/vrrp_parser.c`, `vrrp/vrrp.c`).',
    },
  }),
  vmac_xmit_base: presence('vmac_xmit_base', {
    doc: {
      text: 'With `use_vmac`: send and receive adverts on the base interface instead of the VMAC (the VIPs stay on the VMAC). Set by unicast with `use_vmac`, cleared in strict mode.',
    },
  }),
};

export const vrrpInstanceTable: BlockTable = {
  name: 'vrrp_instance',
  doc: {
    title: 'vrrp_instance NAME',
    source:
      '`keepalived/vrrp/vrrp_parser.c`, completed and checked in `vrrp/vrrp.c` `vrrp_complete_instance`, defaults in `include/vrrp.h`',
    text:
      'One VRRP virtual router on one interface. `virtual_router_id` is required; everything else has ' +
      'a default. The state machine and timers are RFC 3768 (docs/behaviour.md §3).',
  },
  keywords: [
    ...Object.values(vrrpInstanceKeywords),
    ...ignored(
      [
        'unicast_fault_no_peer',
        'mcast_dst_ip',
        'track_bfd',
        'vrf',
        'accept',
        'no_accept',
        'owner_ignore_adverts',
        'garp_extra_if',
        'vmac_garp_intvl',
        'promote_secondaries',
        'kernel_rx_buf_size',
      ],
      'warning',
    ),
    ...ignored([
      'old_unicast_checksum',
      'track_src_ip',
      'linkbeat_use_polling',
      'v3_checksum_as_v2',
      'debug',
    ]),
  ],
};

/** `vrrp_sync_group NAME { }`'s keywords, read by schema/vrrp-instance.ts through these specs. */
export const vrrpSyncGroupKeywords = {
  group: lines('group', (line) => ({ names: [line.keyword, ...line.args], loc: line.loc }), {
    doc: {
      text: 'The member instances, names on one or more lines. Required: a group without it is removed.',
    },
  }),
  track_interface: lines('track_interface', trackLine(-253, 253), {
    doc: { text: 'As in vrrp_instance, applied to every member.' },
  }),
  track_script: lines('track_script', trackLine(-253, 253), {
    doc: { text: 'As in vrrp_instance, applied to every member.' },
  }),
  track_file: lines('track_file', trackLine(-254, 254), {
    doc: { text: 'As in vrrp_instance, applied to every member.' },
  }),
  track_process: lines('track_process', trackProcessLine, {
    doc: { text: 'As in vrrp_instance, applied to every member.' },
  }),
  ...notifyKeywords,
  smtp_alert: flag('smtp_alert', {
    invalid: (v) => `Invalid vrrp_group smtp_alert parameter ${v}`,
    doc: { text: 'Email on group state changes.', inert: 'keepalived-ts sends no email.' },
  }),
  notify_priority_changes: unsetFlag('notify_priority_changes', {
    invalid: (v, name) => `(${name}) Invalid value '${v}' for sync group notify_priority_changes specified`,
    doc: {
      text: "Default of its members' `notify_priority_changes` (unset: `vrrp_notify_priority_changes`).",
    },
  }),
  sync_group_tracking_weight: flag('sync_group_tracking_weight', {
    doc: {
      text: 'Let members keep weighted trackers.',
      differs:
        'without it keepalived zeroes or drops weighted member trackers with config errors; keepalived-ts ignores every non-zero member weight (docs/behaviour.md §3.9).',
    },
  }),
};

export const vrrpSyncGroupTable: BlockTable = {
  name: 'vrrp_sync_group',
  doc: {
    title: 'vrrp_sync_group NAME',
    source: '`keepalived/vrrp/vrrp_parser.c`, `vrrp/vrrp_sync.c`',
    text:
      'Instances that move together: when one goes to FAULT or MASTER the others follow ' +
      '(docs/behaviour.md §3.10). The notify scripts run for the group instead of per instance.',
  },
  keywords: [
    ...Object.values(vrrpSyncGroupKeywords),
    ...ignored(['global_tracking', 'track_bfd'], 'warning'),
  ],
};
