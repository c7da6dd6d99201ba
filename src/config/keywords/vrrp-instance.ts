/**
 * `vrrp_instance NAME { }` and `vrrp_sync_group NAME { }` (vrrp/vrrp_parser.c,
 * keepalived.conf(5) "VRRP instance(s)", "VRRP synchronization group(s)").
 */
import type { SourceLoc } from '../model.js';
import type { Statement } from '../tree.js';
import type { BlockTable, DiagnosticSink, KeywordSpec } from './types.js';
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
import { trackLine } from './trackers.js';
import { parseAddressValue, parseIntValue, parseSockAddrValue, TIMER_SECONDS, UINT_MAX } from './values.js';

/** A `virtual_ipaddress` line before the device default is applied. */
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

function addressArg(
  stmt: Statement,
  sink: DiagnosticSink,
): { address: string; family: 'inet' | 'inet6' } | undefined {
  return parseSockAddrValue(stmt.args[0], stmt.keyword, sink, stmt.loc);
}

export const authenticationTable: BlockTable = {
  name: 'authentication',
  keywords: [
    // Checked against PASS and AH by the instance, which names itself in the message.
    str('auth_type'),
    custom('auth_pass', (s, sink) => {
      const p = s.args[0];
      if (p === undefined) {
        sink.report('error', 'missing-parameter', 'auth_pass requires a password', s.loc);
        return undefined;
      }
      if (p.length > 8)
        sink.report('error', 'auth-pass-truncated', 'Truncating auth_pass to 8 characters', s.loc);
      return p.slice(0, 8);
    }),
  ],
};

/** Notify scripts shared by instances and sync groups. */
const NOTIFY: KeywordSpec[] = [
  script('notify_master'),
  script('notify_backup'),
  script('notify_fault'),
  script('notify_stop'),
  script('notify'),
];

/** A `<BOOL>` keyword with no default here: unset means the global_defs value applies. */
const optionalFlag = (keyword: string): KeywordSpec => ({
  keyword,
  value: { kind: 'flag' },
  invalid: (v, n) => `(${n}) invalid ${keyword} ${v} specified`,
});

export const vrrpInstanceTable: BlockTable = {
  name: 'vrrp_instance',
  keywords: [
    custom('lvs_sync_daemon_interface', (s, sink) => {
      sink.report(
        'warning',
        'deprecated',
        'Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon',
        s.loc,
      );
      return undefined;
    }),
    oneOf('state', ['MASTER', 'BACKUP'], { default: 'BACKUP' }),
    str('interface'),
    custom(
      'virtual_router_id',
      (s, sink) =>
        s.args[0] ??
        (sink.report('error', 'missing-parameter', 'virtual_router_id requires a value', s.loc), undefined),
    ),
    custom(
      'priority',
      (s, sink) =>
        s.args[0] ??
        (sink.report('error', 'missing-parameter', 'priority requires a value', s.loc), undefined),
    ),
    timer('advert_int', 0, 255, { default: 1 }),
    int('version', 2, 3),
    presence('nopreempt'),
    presence('preempt'),
    timer('preempt_delay', 0, 1000, { default: 0 }),
    block('authentication', () => authenticationTable),
    lines('virtual_ipaddress', vipLine),
    lines('virtual_ipaddress_excluded', vipLine),
    flag('no_virtual_ipaddress'),
    lines('virtual_routes', routeLine),
    lines('track_interface', trackLine(-253, 253)),
    lines('track_script', trackLine(-253, 253)),
    lines('track_file', trackLine(-254, 254)),
    presence('dont_track_primary'),
    custom('mcast_src_ip', addressArg),
    custom('unicast_src_ip', addressArg),
    lines('unicast_peer', peerLine),
    int('unicast_ttl', 0, 255, { default: 255 }),
    presence('check_unicast_src'),
    // vrrp_parser.c reads these as global_parser.c does, naming the instance.
    uint('garp_master_delay', 0, TIMER_SECONDS, {
      invalid: (v, n) => `(${n}): garp_master_delay '${v}' invalid - ignoring`,
    }),
    uint('garp_master_repeat', 0, UINT_MAX, {
      invalid: (v, n) => `(${n}): garp_master_repeat '${v}' invalid - ignoring`,
      zeroToOne: (n) => `(${n}): garp_master_repeat must be greater than 0, setting to 1`,
    }),
    uint('garp_lower_prio_delay', 0, TIMER_SECONDS, {
      invalid: (v, n) => `(${n}): garp_lower_prio_delay '${v}' invalid - ignoring`,
    }),
    uint('garp_lower_prio_repeat', 0, 2147483647, {
      invalid: (v, n) => `(${n}): Invalid garp_lower_prio_repeat '${v}'`,
    }),
    uint('garp_master_refresh', 0, UINT_MAX, {
      invalid: (v, n) => `(${n}): Invalid garp_master_refresh '${v}' - ignoring`,
      onInvalid: 0,
    }),
    uint('garp_master_refresh_repeat', 0, UINT_MAX, {
      invalid: (v, n) => `(${n}): garp_master_refresh_repeat '${v}' invalid - ignoring`,
      zeroToOne: (n) => `(${n}): garp_master_refresh_repeat must be greater than 0, setting to 1`,
    }),
    optionalFlag('lower_prio_no_advert'),
    optionalFlag('higher_prio_send_advert'),
    uint('down_timer_adverts', 1, 100, {
      invalid: (v, n) => `(${n}): Invalid down_timer_adverts [1:100] '${v}'`,
    }),
    optionalFlag('skip_check_adv_addr'),
    optionalFlag('strict_mode'),
    ...NOTIFY,
    script('notify_deleted'),
    script('notify_master_rx_lower_pri'),
    flag('smtp_alert', { invalid: (v) => `Invalid vrrp_instance smtp_alert parameter ${v}` }),
    ...ignored(
      [
        'use_vmac',
        'use_vmac_addr',
        'vmac_xmit_base',
        'use_ipvlan',
        'unicast_fault_no_peer',
        'mcast_dst_ip',
        'track_process',
        'track_bfd',
        'vrf',
        'virtual_rules',
        'accept',
        'no_accept',
        'owner_ignore_adverts',
        'garp_extra_if',
        'vmac_garp_intvl',
        'timer_expired_backup',
        'promote_secondaries',
        'auth_hmac',
        'kernel_rx_buf_size',
      ],
      'warning',
    ),
    ...ignored([
      'native_ipv6',
      'old_unicast_checksum',
      'track_src_ip',
      'linkbeat_use_polling',
      'v3_checksum_as_v2',
      'debug',
      'notify_priority_changes',
      'thread_timer_expired',
    ]),
  ],
};

export const vrrpSyncGroupTable: BlockTable = {
  name: 'vrrp_sync_group',
  keywords: [
    lines('group', (line) => ({ names: [line.keyword, ...line.args], loc: line.loc })),
    lines('track_interface', trackLine(-253, 253)),
    lines('track_script', trackLine(-253, 253)),
    lines('track_file', trackLine(-254, 254)),
    ...NOTIFY,
    flag('smtp_alert', { invalid: (v) => `Invalid vrrp_group smtp_alert parameter ${v}` }),
    flag('sync_group_tracking_weight'),
    { keyword: 'global_tracking', value: { kind: 'ignored' }, unsupported: 'warning' },
    ...ignored(['track_process', 'track_bfd'], 'warning'),
    ...ignored(['notify_priority_changes']),
  ],
};
