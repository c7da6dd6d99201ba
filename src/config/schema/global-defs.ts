/** `global_defs { }` -> GlobalDefs (keywords/global-defs.ts). */
import type { GlobalDefs, ScriptSpec, SourceLoc } from '../model.js';
import { RawReader } from '../keywords/read.js';
import type { RawBlock } from '../keywords/types.js';
import { capTimer } from './common.js';

export function buildGlobalDefs(raw: RawBlock, loc: SourceLoc | null): GlobalDefs {
  const r = new RawReader(raw);
  const masterDelay = r.num('vrrp_garp_master_delay', 5);
  const masterRepeat = r.num('vrrp_garp_master_repeat', 5);
  const flushOnStop = r.get<'all' | 'vs'>('lvs_flush_on_stop');
  return {
    routerId: r.str('router_id'),
    notificationEmail: r.list<string>('notification_email'),
    notificationEmailFrom: r.str('notification_email_from'),
    smtpServer: r.get('smtp_server') ?? null,
    smtpHeloName: r.str('smtp_helo_name'),
    smtpConnectTimeout: r.num('smtp_connect_timeout', 30),
    enableScriptSecurity: r.bool('enable_script_security'),
    scriptUser: r.get('script_user') ?? null,
    ...(r.written('script_user') ? { scriptUserLoc: r.loc('script_user') } : {}),
    checkerLogAllFailures: r.bool('checker_log_all_failures'),
    logUnknownVrids: r.bool('log_unknown_vrids'),
    defaultInterface: r.str('default_interface') ?? 'eth0',
    vrrpMcastGroup4: r.str('vrrp_mcast_group4') ?? '224.0.0.18',
    vrrpMcastGroup6: r.str('vrrp_mcast_group6') ?? 'ff02::12',
    vrrpVersion: r.num('vrrp_version', 2) === 3 ? 3 : 2,
    vrrpStrict: r.bool('vrrp_strict'),
    vrrpSkipCheckAdvAddr: r.bool('vrrp_skip_check_adv_addr'),
    vrrpCheckUnicastSrc: r.bool('vrrp_check_unicast_src'),
    vrrpLowerPrioNoAdvert: r.has('vrrp_lower_prio_no_advert')
      ? r.bool('vrrp_lower_prio_no_advert')
      : r.bool('vrrp_strict'),
    vrrpHigherPrioSendAdvert: r.bool('vrrp_higher_prio_send_advert'),
    vrrpDownTimerAdverts: r.num('vrrp_down_timer_adverts', 3),
    vrrpStartupDelay: r.num('vrrp_startup_delay', 0),
    vrrpDelayAfterBoot: r.num('vrrp_delay_after_boot', 0),
    vrrpGarpMasterDelay: masterDelay,
    vrrpGarpMasterRepeat: masterRepeat,
    vrrpGarpLowerPrioDelay: r.num('vrrp_garp_lower_prio_delay', masterDelay),
    vrrpGarpLowerPrioRepeat: r.num('vrrp_garp_lower_prio_repeat', masterRepeat),
    vrrpGarpMasterRefresh: capTimer(r.num('vrrp_garp_master_refresh', 0)),
    vrrpGarpMasterRefreshRepeat: r.num('vrrp_garp_master_refresh_repeat', 1),
    vrrpGarpInterval: r.num('vrrp_garp_interval', 0),
    vrrpMinGarp: r.bool('vrrp_min_garp'),
    lvsSyncDaemon: r.get('lvs_sync_daemon') ?? null,
    lvsTimeouts: r.get('lvs_timeouts') ?? null,
    lvsFlush: r.bool('lvs_flush'),
    lvsFlushOnStop: flushOnStop ?? 'off',
    childWaitTime: r.num('child_wait_time', 5),
    jsonVersion: r.num('json_version', 1) === 2 ? 2 : 1,
    dynamicInterfaces: r.bool('dynamic_interfaces'),
    vmacPrefix: r.str('vmac_prefix'),
    vmacAddrPrefix: r.str('vmac_addr_prefix'),
    disableLocalIgmp: r.bool('disable_local_igmp'),
    stateFileLocation: r.str('state_dump_file'),
    statsFileLocation: r.str('stats_dump_file'),
    jsonFileLocation: r.str('json_dump_file'),
    notifyFifo: r.get<ScriptSpec>('notify_fifo') ?? null,
    vrrpNotifyFifo: r.get<ScriptSpec>('vrrp_notify_fifo') ?? null,
    lvsNotifyFifo: r.get<ScriptSpec>('lvs_notify_fifo') ?? null,
    notifyFifoScript: r.get<ScriptSpec>('notify_fifo_script') ?? null,
    vrrpNotifyFifoScript: r.get<ScriptSpec>('vrrp_notify_fifo_script') ?? null,
    lvsNotifyFifoScript: r.get<ScriptSpec>('lvs_notify_fifo_script') ?? null,
    fifoWriteVrrpStatesOnReload: r.bool('fifo_write_vrrp_states_on_reload'),
    vrrpNotifyPriorityChanges: r.bool('vrrp_notify_priority_changes'),
    loc,
  };
}

/**
 * keepalived reads some timers to UINT_MAX seconds or ULONG_MAX microseconds; Node's timers
 * fire at once beyond 2^31 - 1 ms, so keepalived-ts waits at most 2147483 s (24.8 days).
 */
