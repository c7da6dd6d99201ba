/**
 * `global_defs { }` (keepalived core/global_parser.c, keepalived.conf(5) "GLOBAL DEFINITIONS").
 */
import type { GlobalDefs, LvsSyncDaemon, LvsTimeouts, ScriptSpec } from '../model.js';
import type { Statement } from '../tree.js';
import type { BlockTable, DiagnosticSink } from './types.js';
import { custom, flag, ignored, int, lines, presence, script, str, timer, uint } from './types.js';
import {
  parseAddressValue,
  parseIntValue,
  parsePortValue,
  parseTimerValue,
  TIMER_SECONDS,
  UINT_MAX,
  UINT_MAX_US,
} from './values.js';

const MAX_SECONDS = 2147483;

function smtpServer(stmt: Statement, sink: DiagnosticSink): { host: string; port: number } | undefined {
  const host = stmt.args[0];
  if (host === undefined) {
    sink.report('error', 'missing-parameter', 'smtp_server requires an address', stmt.loc);
    return undefined;
  }
  const port = stmt.args[1] === undefined ? 25 : parsePortValue(stmt.args[1], sink, stmt.loc);
  return port === undefined ? undefined : { host, port };
}

/** `USER [:][GROUP]` or `USER [GROUP]`. */
export function userGroup(
  stmt: Statement,
  sink: DiagnosticSink,
): { user: string; group: string | null } | undefined {
  const u = stmt.args[0];
  if (u === undefined || u === '' || u === ':') {
    // keepalived's words for script_user (global_parser.c); the others have none of their own.
    const message =
      stmt.keyword === 'script_user' ? 'No script username specified' : `${stmt.keyword} requires a user`;
    sink.report('error', 'missing-parameter', message, stmt.loc);
    return undefined;
  }
  const colon = u.indexOf(':');
  if (colon >= 0) return { user: u.slice(0, colon), group: u.slice(colon + 1) || (stmt.args[1] ?? null) };
  return { user: u, group: stmt.args[1] ?? null };
}

function lvsSyncDaemon(stmt: Statement, sink: DiagnosticSink): LvsSyncDaemon | undefined {
  const ifname = stmt.args[0];
  if (ifname === undefined) {
    sink.report('error', 'missing-parameter', 'lvs_sync_daemon requires interface', stmt.loc);
    return undefined;
  }
  let instance: string | null = null;
  let syncId: number | null = null;
  let maxlen: number | null = null;
  let port: number | null = null;
  let ttl: number | null = null;
  let group: string | null = null;
  const a = stmt.args;
  for (let i = 1; i < a.length; i++) {
    const w = a[i]!;
    const next = a[i + 1];
    switch (w) {
      case 'inst':
        instance = next ?? null;
        i++;
        break;
      case 'id':
        syncId = parseIntValue(next, 0, 255, sink, stmt.loc) ?? null;
        i++;
        break;
      case 'maxlen':
        maxlen = parseIntValue(next, 1, 65507, sink, stmt.loc) ?? null;
        i++;
        break;
      case 'port':
        port = parsePortValue(next, sink, stmt.loc) ?? null;
        i++;
        break;
      case 'ttl':
        ttl = parseIntValue(next, 1, 255, sink, stmt.loc) ?? null;
        i++;
        break;
      case 'group': {
        const g = parseAddressValue(next, 'lvs_sync_daemon group', sink, stmt.loc);
        group = g?.address ?? null;
        i++;
        break;
      }
      default:
        // Before `inst` existed the instance name followed the interface directly.
        if (i === 1) instance = w;
        else
          sink.report(
            'error',
            'invalid-value',
            `Unknown option ${w} specified for lvs_sync_daemon`,
            stmt.loc,
          );
    }
  }
  return { interface: ifname, instance, syncId, maxlen, port, ttl, group };
}

function lvsTimeouts(stmt: Statement, sink: DiagnosticSink): LvsTimeouts | undefined {
  if (stmt.args.length < 2) {
    sink.report('error', 'missing-parameter', 'lvs_timeouts requires at least one option', stmt.loc);
    return undefined;
  }
  const t: { tcp: number | null; tcpfin: number | null; udp: number | null } = {
    tcp: null,
    tcpfin: null,
    udp: null,
  };
  for (let i = 0; i < stmt.args.length; i++) {
    const w = stmt.args[i]!;
    if (w === 'tcp' || w === 'tcpfin' || w === 'udp') {
      const v = stmt.args[i + 1];
      if (v === undefined) {
        sink.report(
          'error',
          'missing-parameter',
          `No value specified for lvs_timeout ${w} - ignoring`,
          stmt.loc,
        );
        continue;
      }
      const n = parseTimerValue(v, 0, 86400 * 31, sink, stmt.loc);
      if (n !== undefined) t[w] = n;
      i++;
    } else {
      sink.report('error', 'invalid-value', `Unknown option ${w} specified for lvs_timeouts`, stmt.loc);
    }
  }
  return t;
}

/** Bare `lvs_flush_on_stop` flushes all, `VS` only the configured virtual servers. */
function flushOnStop(stmt: Statement, sink: DiagnosticSink): GlobalDefs['lvsFlushOnStop'] | undefined {
  const a = stmt.args[0];
  if (a === undefined) return 'all';
  if (a === 'VS') return 'vs';
  sink.report('error', 'invalid-value', `Invalid lvs_flush_on_stop parameter ${a}`, stmt.loc);
  return undefined;
}

/** `FIFO [USER [GROUP]]` kept as a ScriptSpec whose command is the FIFO path. */
function fifo(stmt: Statement, sink: DiagnosticSink): ScriptSpec | undefined {
  const path = stmt.args[0];
  if (path === undefined) {
    sink.report('error', 'missing-parameter', `${stmt.keyword} requires a FIFO name`, stmt.loc);
    return undefined;
  }
  return { command: path, argv: [path], user: stmt.args[1] ?? null, group: stmt.args[2] ?? null };
}

function mcastGroup(family: 'inet' | 'inet6') {
  return (stmt: Statement, sink: DiagnosticSink): string | undefined => {
    const a = parseAddressValue(stmt.args[0], stmt.keyword, sink, stmt.loc);
    if (!a) return undefined;
    if (a.family !== family) {
      sink.report(
        'error',
        'invalid-address',
        `${stmt.keyword} '${stmt.args[0]}' is not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address - ignoring`,
        stmt.loc,
      );
      return undefined;
    }
    return a.address;
  };
}

/** `global_defs { }`'s keywords, read by schema/global-defs.ts through these specs. */
export const globalDefsKeywords = {
  router_id: str('router_id', {
    doc: {
      text: 'Name of this director in the dumps (keepalived also puts it in email subjects).',
      default: 'the host name',
    },
  }),
  notification_email: lines('notification_email', (line) => [line.keyword, ...line.args].join(' '), {
    doc: {
      text: 'Addresses alert emails go to.',
      inert: 'keepalived-ts sends no email; use notify scripts.',
    },
  }),
  notification_email_from: str('notification_email_from', {
    doc: { text: 'Sender of alert emails.', inert: 'keepalived-ts sends no email.' },
  }),
  smtp_server: custom('smtp_server', smtpServer, {
    doc: {
      text: 'SMTP relay for alert emails.',
      value: 'address [port]',
      default: 'unset (port 25)',
      inert: 'keepalived-ts sends no email.',
    },
  }),
  smtp_helo_name: str('smtp_helo_name', {
    doc: { text: 'HELO name of alert emails.', inert: 'keepalived-ts sends no email.' },
  }),
  smtp_connect_timeout: uint('smtp_connect_timeout', 0, TIMER_SECONDS, {
    default: 30,
    invalid: (v) => `smtp_connect_timeout '${v}' must be in [0, ${TIMER_SECONDS}] - ignoring`,
    // keepalived's own spelling.
    zeroToOne: () => 'smtp_conect_timeout must be greater than 0, setting to 1',
    doc: { text: 'Timeout of the SMTP connection, seconds.', inert: 'keepalived-ts sends no email.' },
  }),
  // global_parser.c ignores any word after it: `enable_script_security off` still enables it.
  enable_script_security: custom('enable_script_security', () => true, {
    default: false,
    doc: {
      text: 'Refuse scripts a non-root user could change (`-t` exits 6 for them, as keepalived does).',
      value: 'flag (a word after it is ignored: `off` also enables it, as in global_parser.c)',
    },
  }),
  script_user: custom('script_user', userGroup, {
    doc: {
      text: 'User (and group) scripts run as when they name none; a user that does not exist is reported and not used.',
      value: 'user [group] or user:group',
      default: '`keepalived_script` if that account exists, else root with a warning',
    },
  }),
  checker_log_all_failures: flag('checker_log_all_failures', {
    invalid: () => 'Invalid value for checker_log_all_failures specified',
    doc: { text: 'Log every failed check attempt, not only changes of state.' },
  }),
  log_unknown_vrids: presence('log_unknown_vrids', {
    doc: { text: 'Log adverts for a VRID no instance on the interface has.' },
  }),
  // global_parser.c: the first one stays.
  vmac_prefix: str('vmac_prefix', {
    duplicate: (s) => `vmac prefix has already been specified - ignoring ${s.args[0] ?? ''}`,
    doc: {
      text: 'Prefix of the default VMAC names (`PREFIX.VRID`, `PREFIX1.VRID`, ...).',
      default: '`vrrp`',
    },
  }),
  vmac_addr_prefix: str('vmac_addr_prefix', {
    duplicate: (s) => `vmac_addr prefix has already been specified - ignoring ${s.args[0] ?? ''}`,
    doc: { text: 'Prefix of the names of the VMACs `use_vmac_addr` makes.', default: '`vmac_prefix`' },
  }),
  disable_local_igmp: presence('disable_local_igmp', {
    doc: {
      text: 'No IGMP reports for link-local groups (net.ipv4.igmp_link_local_mcast_reports 0) while the daemon runs, put back at stop, so that a VMAC does not announce 224.0.0.18 from the virtual MAC (vrrp_daemon.c).',
      differs: 'a kernel without the parameter is told at start (`Unable to open ...`), not by `-t`.',
    },
  }),
  default_interface: str('default_interface', {
    default: 'eth0',
    doc: { text: 'Interface of instances and VIPs that name none.' },
  }),
  vrrp_mcast_group4: custom('vrrp_mcast_group4', mcastGroup('inet'), {
    default: '224.0.0.18',
    doc: { text: 'Multicast group of IPv4 adverts.', value: 'IPv4 address' },
  }),
  vrrp_mcast_group6: custom('vrrp_mcast_group6', mcastGroup('inet6'), {
    default: 'ff02::12',
    doc: {
      text: 'Multicast group of IPv6 adverts.',
      value: 'IPv6 address',
      inert: 'keepalived-ts sends VRRP over IPv4 only.',
    },
  }),
  vrrp_version: int('vrrp_version', 2, 3, {
    default: 2,
    doc: {
      text: 'VRRP version of instances that set none; checked as keepalived checks it (VRRPv3 refuses authentication, needs a VIP).',
      differs: 'adverts are always VRRPv2 (docs/behaviour.md).',
    },
  }),
  vrrp_strict: presence('vrrp_strict', {
    doc: {
      text: 'Strict RFC mode for every instance: the checks and resets of vrrp.c `vrrp_complete_instance` (no authentication, no unicast, no preempt_delay, ...).',
    },
  }),
  vrrp_skip_check_adv_addr: presence('vrrp_skip_check_adv_addr', {
    doc: {
      text: 'Do not compare the addresses in adverts from the current master with the configured VIPs.',
    },
  }),
  vrrp_check_unicast_src: presence('vrrp_check_unicast_src', {
    doc: { text: 'Drop unicast adverts whose source is not a configured peer (every instance).' },
  }),
  vrrp_lower_prio_no_advert: flag('vrrp_lower_prio_no_advert', {
    invalid: () => 'Invalid value for vrrp_lower_prio_no_advert specified',
    doc: {
      text: 'A master receiving a lower-priority advert does not answer it.',
      default: 'on with `vrrp_strict`, else off',
    },
  }),
  vrrp_higher_prio_send_advert: flag('vrrp_higher_prio_send_advert', {
    invalid: () => 'Invalid value for vrrp_higher_prio_send_advert specified',
    doc: {
      text: 'A master that sees a higher-priority advert sends one of its own before it becomes backup.',
    },
  }),
  vrrp_down_timer_adverts: uint('vrrp_down_timer_adverts', 1, 100, {
    default: 3,
    invalid: (v) => `Invalid vrrp_down_timer_adverts [1:100] '${v}'`,
    doc: { text: 'Adverts a backup misses before it declares the master down (RFC 3768: 3).' },
  }),
  // read_decimal_unsigned from 1 ms to UINT_MAX us.
  vrrp_startup_delay: timer(
    'vrrp_startup_delay',
    0.001,
    UINT_MAX_US,
    {
      default: 0,
      invalid: (v) => `vrrp_startup_delay '${v}' is invalid`,
      doc: {
        text: 'At start-up (not at a reload) no VRRP instance takes over before this delay has passed; they enter BACKUP at once and read adverts (`Delaying startup for N seconds`).',
      },
    },
    '[0.001000, 4294.967295]',
  ),
  vrrp_delay_after_boot: timer(
    'vrrp_delay_after_boot',
    0.001,
    UINT_MAX_US,
    {
      default: 0,
      invalid: (v) => `vrrp_delay_after_boot '${v}' is invalid`,
      doc: {
        text: 'As `vrrp_startup_delay`, counted from the system boot (/proc/uptime): a daemon started later than this after boot does not wait; with both, the longer wait applies.',
        differs:
          'a keyword added after keepalived 2.2.7 (keepalived 2.4.0 global_parser.c), read on purpose (compatibility.md `newer-keywords`).',
      },
    },
    '[0.001000, 4294.967295]',
  ),
  vrrp_garp_master_delay: uint('vrrp_garp_master_delay', 0, TIMER_SECONDS, {
    default: 5,
    invalid: (v) => `vrrp_garp_master_delay '${v}' invalid - ignoring`,
    doc: { text: 'Seconds after becoming master before the second burst of gratuitous ARPs (0: none).' },
  }),
  vrrp_garp_master_repeat: uint('vrrp_garp_master_repeat', 0, UINT_MAX, {
    default: 5,
    invalid: (v) => `vrrp_garp_master_repeat '${v}' invalid - ignoring`,
    zeroToOne: () => 'vrrp_garp_master_repeat must be greater than 0, setting to 1',
    doc: { text: 'Gratuitous ARPs per VIP in each burst.' },
  }),
  // lower_prio defaults follow the master values; resolved by the builder.
  vrrp_garp_lower_prio_delay: uint('vrrp_garp_lower_prio_delay', 0, TIMER_SECONDS, {
    invalid: (v) => `vrrp_garp_lower_prio_delay '${v}' invalid - ignoring`,
    doc: {
      text: 'Delay of the second burst after a lower-priority advert reaches the master.',
      default: '`vrrp_garp_master_delay`',
    },
  }),
  vrrp_garp_lower_prio_repeat: uint('vrrp_garp_lower_prio_repeat', 0, 2147483647, {
    invalid: (v) => `Invalid vrrp_garp_lower_prio_repeat '${v}'`,
    doc: {
      text: 'Gratuitous ARPs per VIP after a lower-priority advert reaches the master.',
      default: '`vrrp_garp_master_repeat`',
    },
  }),
  // Whole seconds to UINT_MAX; a rejected value sets it to 0 rather than keeping the last one.
  vrrp_garp_master_refresh: uint('vrrp_garp_master_refresh', 0, UINT_MAX, {
    default: 0,
    invalid: (v) => `Invalid vrrp_garp_master_refresh '${v}' - ignoring`,
    onInvalid: 0,
    doc: { text: 'Seconds between refresh bursts while master (0: no refresh); a rejected value sets 0.' },
  }),
  vrrp_garp_master_refresh_repeat: uint('vrrp_garp_master_refresh_repeat', 0, UINT_MAX, {
    default: 1,
    invalid: (v) => `vrrp_garp_master_refresh_repeat '${v}' invalid - ignoring`,
    zeroToOne: () => 'vrrp_garp_master_refresh_repeat must be greater than 0, setting to 1',
    doc: { text: 'Gratuitous ARPs per VIP in each refresh burst.' },
  }),
  vrrp_garp_interval: timer(
    'vrrp_garp_interval',
    0.000001,
    UINT_MAX_US,
    {
      default: 0,
      invalid: (v) => `vrrp_garp_interval '${v}' is invalid`,
      doc: {
        text: 'Gap between gratuitous ARPs on one interface.',
        differs: 'spaces whole rounds of the burst, not each frame (docs/behaviour.md §3.7).',
      },
    },
    '[0.000001, 4294.967295]',
  ),
  vrrp_min_garp: flag('vrrp_min_garp', {
    invalid: () => 'Invalid value for vrrp_min_garp specified',
    doc: {
      text: 'One gratuitous ARP, no second burst, no refresh, where the values are unset.',
      inert: 'the GARP values apply as set (docs/behaviour.md §3.7).',
    },
  }),
  lvs_sync_daemon: custom('lvs_sync_daemon', lvsSyncDaemon, {
    doc: {
      text: 'Run the kernel IPVS connection synchronisation daemon on the interface, master or backup as the named VRRP instance is.',
      value: 'interface [inst] instance [id 0..255] [maxlen 1..65507] [port N] [ttl 1..255] [group address]',
    },
  }),
  lvs_timeouts: custom('lvs_timeouts', lvsTimeouts, {
    doc: {
      text: 'IPVS connection timeouts set in the kernel at start.',
      value: '[tcp S] [tcpfin S] [udp S], seconds to 31 days',
    },
  }),
  lvs_flush: presence('lvs_flush', { doc: { text: 'Flush the whole IPVS table at start.' } }),
  lvs_flush_on_stop: custom<GlobalDefs['lvsFlushOnStop']>('lvs_flush_on_stop', flushOnStop, {
    default: 'off',
    deprecated: ['lvs_flush_onstop'],
    deprecationMessage: "lvs_flush_onstop is deprecated - please use 'lvs_flush_on_stop'",
    doc: {
      text: 'At stop, flush the whole IPVS table (no word) or only the virtual servers of the config (`VS`).',
      value: 'nothing or `VS`',
      default: 'off: the entries the daemon owns are removed',
    },
  }),
  child_wait_time: timer('child_wait_time', 0, MAX_SECONDS, {
    default: 5,
    doc: {
      text: 'Seconds to wait for scripts and children at stop.',
      differs:
        'a keyword added after keepalived 2.2.7 (its main.c fixes 5 s), read on purpose (compatibility.md `newer-keywords`).',
    },
  }),
  json_version: uint('json_version', 1, 2, {
    default: 1,
    invalid: () => 'Invalid JSON version',
    doc: {
      text: 'Layout of the JSON dump (SIGRTMIN+2): 1 is an array of instances; 2 an object with that array as `vrrp` and the `vrrp_track_process` trackers as `track_process`, and each instance naming its tracked processes.',
      differs:
        'a keyword added after keepalived 2.2.7 (keepalived 2.3.3 vrrp_json.c), read on purpose (compatibility.md `newer-keywords`).',
    },
  }),
  dynamic_interfaces: custom('dynamic_interfaces', () => true, {
    default: false,
    doc: {
      text: 'Interfaces may appear later: `-t` does not refuse instances and VIPs on interfaces that do not exist.',
      value: 'flag (a word after it is ignored)',
    },
  }),
  state_dump_file: str('state_dump_file', {
    aliases: ['state_file_location'],
    doc: { text: 'Path of the SIGUSR1 data dump.', default: '`/tmp/keepalived.data`' },
  }),
  stats_dump_file: str('stats_dump_file', {
    aliases: ['stats_file_location'],
    doc: { text: 'Path of the SIGUSR2 stats dump.', default: '`/tmp/keepalived.stats`' },
  }),
  json_dump_file: str('json_dump_file', {
    aliases: ['json_file_location'],
    doc: { text: 'Path of the JSON dump (SIGRTMIN+2).', default: '`/tmp/keepalived.json`' },
  }),
  notify_fifo: custom('notify_fifo', fifo, {
    doc: {
      text: 'FIFO for every VRRP and LVS line; created 0600 (0644 less the -u umask) and chowned to user [group] if missing, removed at stop if created (docs/behaviour.md §2.6).',
      value: 'path [user [group]]',
    },
  }),
  notify_fifo_script: script('notify_fifo_script', {
    doc: {
      text: 'Started with the notify_fifo path as its last argument, to read it; SIGTERM at stop and reload.',
    },
  }),
  vrrp_notify_fifo: custom('vrrp_notify_fifo', fifo, {
    doc: {
      text: 'FIFO for the VRRP lines only: `INSTANCE "VI_1" MASTER 150`, `GROUP "G1" BACKUP 0`.',
      value: 'path [user [group]]',
    },
  }),
  vrrp_notify_fifo_script: script('vrrp_notify_fifo_script', {
    doc: { text: 'Started with the vrrp_notify_fifo path as its last argument.' },
  }),
  lvs_notify_fifo: custom('lvs_notify_fifo', fifo, {
    doc: {
      text: 'FIFO for the LVS lines only: `VS [10.0.0.1]:tcp:80 UP`, `RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN`.',
      value: 'path [user [group]]',
    },
  }),
  lvs_notify_fifo_script: script('lvs_notify_fifo_script', {
    doc: { text: 'Started with the lvs_notify_fifo path as its last argument.' },
  }),
  vrrp_notify_priority_changes: flag('vrrp_notify_priority_changes', {
    invalid: (v) => `Invalid value '${v}' for global vrrp_notify_priority_changes specified`,
    doc: {
      text: "Default of the instances' `notify_priority_changes` (priority change lines to the notify FIFOs).",
    },
  }),
  fifo_write_vrrp_states_on_reload: presence('fifo_write_vrrp_states_on_reload', {
    doc: {
      text: 'A reload writes the unchanged states of the sync groups and of the instances not kept MASTER to the FIFOs.',
    },
  }),
};

/** keepalived global keywords keepalived-ts accepts and does not act on. */
export const GLOBAL_DEFS_IGNORED_WARNING = [
  'net_namespace',
  'net_namespace_ipvs',
  'namespace_with_ipsets',
  'instance',
  'startup_script',
  'shutdown_script',
  'vrrp_iptables',
  'vrrp_ipsets',
  'nftables',
  'nftables_ipvs',
  'vrrp_garp_extra_if',
  'vrrp_gna_interval',
  'reload_check_config',
  'reload_time_file',
  'reload_repeat',
  'reload_file',
  'vrrp_owner_ignore_adverts',
  'max_auto_priority',
];

export const GLOBAL_DEFS_IGNORED_INFO = [
  'linkbeat_use_polling',
  'use_pid_dir',
  'process_names',
  'process_name',
  'vrrp_process_name',
  'checker_process_name',
  'lvs_process_name',
  'bfd_process_name',
  'use_symlink_paths',
  'set_supplementary_groups',
  'smtp_alert',
  'smtp_alert_vrrp',
  'smtp_alert_checker',
  'startup_script_timeout',
  'shutdown_script_timeout',
  'min_auto_priority_delay',
  'no_email_faults',
  'v3_checksum_as_v2',
  'vrrp_vmac_garp_intvl',
  'nftables_priority',
  'nftables_ifindex',
  'nftables_ipvs_priority',
  'nftables_ipvs_start_fwmark',
  'nftables_counters',
  'vrrp_priority',
  'vrrp_no_swap',
  'vrrp_rt_priority',
  'vrrp_cpu_affinity',
  'vrrp_rlimit_rttime',
  'vrrp_rlimit_rtime',
  'checker_priority',
  'checker_no_swap',
  'checker_rt_priority',
  'checker_cpu_affinity',
  'checker_rlimit_rttime',
  'checker_rlimit_rtime',
  'bfd_priority',
  'bfd_no_swap',
  'bfd_rt_priority',
  'bfd_cpu_affinity',
  'bfd_rlimit_rttime',
  'bfd_rlimit_rtime',
  'snmp_socket',
  'enable_traps',
  'enable_snmp_vrrp',
  'enable_snmp_keepalived',
  'enable_snmp_rfc',
  'enable_snmp_rfcv2',
  'enable_snmp_rfcv3',
  'enable_snmp_checker',
  'snmp_vs_stats_update_interval',
  'snmp_rs_stats_update_interval',
  'enable_dbus',
  'dbus_service_name',
  'dbus_no_interface_name',
  'vrrp_netlink_cmd_rcv_bufs',
  'vrrp_netlink_cmd_rcv_bufs_force',
  'vrrp_netlink_monitor_rcv_bufs',
  'vrrp_netlink_monitor_rcv_bufs_force',
  'process_monitor_rcv_bufs',
  'process_monitor_rcv_bufs_force',
  'lvs_netlink_cmd_rcv_bufs',
  'lvs_netlink_cmd_rcv_bufs_force',
  'lvs_netlink_monitor_rcv_bufs',
  'lvs_netlink_monitor_rcv_bufs_force',
  'rs_init_notifies',
  'no_checker_emails',
  'vrrp_rx_bufs_policy',
  'vrrp_rx_bufs_multiplier',
  'umask',
  'random_seed',
  'include_check',
  'config_save_dir',
  'tmp_config_directory',
  'data_use_instance',
  'iproute_usr_dir',
  'iproute_etc_dir',
];

export const globalDefsTable: BlockTable = {
  name: 'global_defs',
  doc: {
    title: 'global_defs',
    source: '`keepalived/core/global_parser.c`, defaults in `core/global_data.c` and `include/vrrp.h`',
    text:
      'Settings of the whole daemon. Several `global_defs` blocks are read as one. The instance-level ' +
      '`garp_*`, `lower_prio_no_advert`, `higher_prio_send_advert`, `down_timer_adverts`, ' +
      '`skip_check_adv_addr` and `strict_mode` keywords override the global ones for one instance.',
  },
  keywords: [
    ...Object.values(globalDefsKeywords),
    ...ignored(GLOBAL_DEFS_IGNORED_WARNING, 'warning'),
    ...ignored(GLOBAL_DEFS_IGNORED_INFO, 'info'),
  ],
};
