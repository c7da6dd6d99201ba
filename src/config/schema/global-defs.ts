/** `global_defs { }` -> GlobalDefs (keywords/global-defs.ts). */
import type { GlobalDefs, SourceLoc } from '../model.js';
import { RawReader } from '../keywords/read.js';
import type { RawBlock } from '../keywords/types.js';
import { globalDefsKeywords as G } from '../keywords/global-defs.js';
import { capTimer } from './common.js';

export function buildGlobalDefs(raw: RawBlock, loc: SourceLoc | null): GlobalDefs {
  const r = new RawReader(raw);
  const masterDelay = r.value(G.vrrp_garp_master_delay);
  const masterRepeat = r.value(G.vrrp_garp_master_repeat);
  return {
    routerId: r.value(G.router_id) ?? null,
    notificationEmail: r.items(G.notification_email),
    notificationEmailFrom: r.value(G.notification_email_from) ?? null,
    smtpServer: r.value(G.smtp_server) ?? null,
    smtpHeloName: r.value(G.smtp_helo_name) ?? null,
    smtpConnectTimeout: r.value(G.smtp_connect_timeout),
    enableScriptSecurity: r.value(G.enable_script_security),
    scriptUser: r.value(G.script_user) ?? null,
    ...(r.written(G.script_user) ? { scriptUserLoc: r.loc(G.script_user) } : {}),
    checkerLogAllFailures: r.value(G.checker_log_all_failures),
    logUnknownVrids: r.value(G.log_unknown_vrids),
    defaultInterface: r.value(G.default_interface),
    vrrpMcastGroup4: r.value(G.vrrp_mcast_group4),
    vrrpMcastGroup6: r.value(G.vrrp_mcast_group6),
    vrrpVersion: r.value(G.vrrp_version) === 3 ? 3 : 2,
    vrrpStrict: r.value(G.vrrp_strict),
    vrrpSkipCheckAdvAddr: r.value(G.vrrp_skip_check_adv_addr),
    vrrpCheckUnicastSrc: r.value(G.vrrp_check_unicast_src),
    // The global value alone (its table default applies); an instance in strict mode turns it on
    // for itself (schema/vrrp-instance.ts), as vrrp.c does.
    vrrpLowerPrioNoAdvert: r.value(G.vrrp_lower_prio_no_advert),
    vrrpHigherPrioSendAdvert: r.value(G.vrrp_higher_prio_send_advert),
    vrrpDownTimerAdverts: r.value(G.vrrp_down_timer_adverts),
    vrrpStartupDelay: r.value(G.vrrp_startup_delay),
    vrrpDelayAfterBoot: r.value(G.vrrp_delay_after_boot),
    vrrpGarpMasterDelay: masterDelay,
    vrrpGarpMasterRepeat: masterRepeat,
    // Unset, the lower-priority values follow the master ones.
    vrrpGarpLowerPrioDelay: r.value(G.vrrp_garp_lower_prio_delay) ?? masterDelay,
    vrrpGarpLowerPrioRepeat: r.value(G.vrrp_garp_lower_prio_repeat) ?? masterRepeat,
    vrrpGarpMasterRefresh: capTimer(r.value(G.vrrp_garp_master_refresh)),
    vrrpGarpMasterRefreshRepeat: r.value(G.vrrp_garp_master_refresh_repeat),
    vrrpGarpInterval: r.value(G.vrrp_garp_interval),
    vrrpMinGarp: r.value(G.vrrp_min_garp),
    lvsSyncDaemon: r.value(G.lvs_sync_daemon) ?? null,
    lvsTimeouts: r.value(G.lvs_timeouts) ?? null,
    lvsFlush: r.value(G.lvs_flush),
    lvsFlushOnStop: r.value(G.lvs_flush_on_stop),
    childWaitTime: r.value(G.child_wait_time),
    jsonVersion: r.value(G.json_version) === 2 ? 2 : 1,
    dynamicInterfaces: r.value(G.dynamic_interfaces),
    vmacPrefix: r.value(G.vmac_prefix) ?? null,
    vmacAddrPrefix: r.value(G.vmac_addr_prefix) ?? null,
    disableLocalIgmp: r.value(G.disable_local_igmp),
    stateFileLocation: r.value(G.state_dump_file) ?? null,
    statsFileLocation: r.value(G.stats_dump_file) ?? null,
    jsonFileLocation: r.value(G.json_dump_file) ?? null,
    notifyFifo: r.value(G.notify_fifo) ?? null,
    vrrpNotifyFifo: r.value(G.vrrp_notify_fifo) ?? null,
    lvsNotifyFifo: r.value(G.lvs_notify_fifo) ?? null,
    notifyFifoScript: r.value(G.notify_fifo_script) ?? null,
    vrrpNotifyFifoScript: r.value(G.vrrp_notify_fifo_script) ?? null,
    lvsNotifyFifoScript: r.value(G.lvs_notify_fifo_script) ?? null,
    fifoWriteVrrpStatesOnReload: r.value(G.fifo_write_vrrp_states_on_reload),
    vrrpNotifyPriorityChanges: r.value(G.vrrp_notify_priority_changes),
    loc,
  };
}
