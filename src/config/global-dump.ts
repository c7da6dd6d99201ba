/**
 * PURE: the `------< Global definitions >------` section that opens each of keepalived's SIGUSR1
 * data files (keepalived_parent.data, keepalived.data, keepalived_check.data), line for line as
 * keepalived 2.2.7 writes it (core/global_data.c `dump_global_data`, for the Debian build's
 * options: VRRP, LVS, BFD, nftables, SNMP, DBus, VMAC, track_process). Settings keepalived-ts does
 * not act on (SNMP, DBus, process priorities, realtime scheduling) print keepalived's defaults,
 * which is what keepalived-ts does. docs/operations.md "Dump files".
 */
import type { GlobalDefs, ScriptSpec } from './model.js';

/** Numeric ids of a script's (or FIFO's) user, resolved as the script runner resolves them. */
export type IdsOf = (
  user: string | null,
  group: string | null,
) => { readonly uid: number; readonly gid: number };

/** What the section needs beyond the config: facts of the running process and host. */
export interface GlobalDumpContext {
  /**
   * The keepalived process whose file this is: only the VRRP process prints `Default interface`
   * (dump_global_data's `prog_type == PROG_TYPE_VRRP`).
   */
  readonly process: 'parent' | 'vrrp' | 'checker';
  /** gethostname(): the default router_id, smtp_helo_name and email_from host. */
  readonly hostname: string;
  /** The daemon's user name (the default email_from is `USER@HOST`). */
  readonly userName: string;
  /** The default script user's ids (script_user, else keepalived_script, else root). */
  readonly defaultScriptIds: { readonly uid: number; readonly gid: number } | null;
  /** keepalived's umask_val: -u, else 0177. */
  readonly umask: number;
  readonly idsOf: IdsOf;
}

/** The libnftnl keepalived 2.2.7 is linked with on Debian 12 (`libnftnl version` line). */
const LIBNFTNL_VERSION = '1.2.3';

/** printf's `%f`: six decimals. */
function fixed6(n: number): string {
  return n.toFixed(6);
}

/** printf's `%g` for the small second counts keepalived prints with it. */
export function printfG(n: number): string {
  return String(Number(n.toPrecision(6)));
}

function fifoLines(
  label: string,
  fifo: ScriptSpec | null,
  script: ScriptSpec | null,
  ctx: GlobalDumpContext,
): string[] {
  if (fifo === null) return [];
  const { uid, gid } = ctx.idsOf(fifo.user, fifo.group);
  const out = [` ${label} notify fifo = ${fifo.command}, uid:gid ${uid}:${gid}`];
  if (script !== null) {
    const ids = ctx.idsOf(script.user, script.group);
    out.push(` ${label} notify fifo script = ${script.argv.join(' ')}, uid:gid ${ids.uid}:${ids.gid}`);
  }
  return out;
}

export function globalDefinitionsLines(g: GlobalDefs, ctx: GlobalDumpContext): string[] {
  const out: string[] = ['------< Global definitions >------'];
  const w = (line: string): void => void out.push(line);
  w(' Network namespace = (default)');
  w(' Network namespace ipvs = (main namespace)');
  w(` Router ID = ${g.routerId ?? ctx.hostname}`);
  if (g.smtpServer !== null) {
    w(` Smtp server = ${g.smtpServer.host}`);
    w(` Smtp server port = ${g.smtpServer.port}`);
    w(` Smtp HELO name = ${g.smtpHeloName ?? ctx.hostname}`);
    w(` Smtp server connection timeout = ${Math.floor(g.smtpConnectTimeout)}`);
  } else if (g.smtpHeloName !== null) {
    w(` Smtp HELO name = ${g.smtpHeloName}`);
  }
  const emailFrom =
    g.notificationEmailFrom ?? (g.smtpServer !== null ? `${ctx.userName}@${ctx.hostname}` : null);
  if (emailFrom !== null) {
    w(` Email notification from = ${emailFrom}`);
    w(' Email notification to:');
    for (const e of g.notificationEmail) w(`   ${e}`);
  }
  w(' Default smtp_alert = unset');
  w(' Default smtp_alert_vrrp = unset');
  w(' Default smtp_alert_checker = unset');
  w(` Checkers log all failures = ${g.checkerLogAllFailures}`);
  w(' No test config before reload');
  w(` Dynamic interfaces = ${g.dynamicInterfaces}`);
  if (g.dynamicInterfaces) w(' Allow interface changes = false');
  const t = g.lvsTimeouts;
  if (t !== null) {
    if (t.tcp) w(` LVS TCP timeout = ${t.tcp}`);
    if (t.tcpfin) w(` LVS TCP FIN timeout = ${t.tcpfin}`);
    // keepalived labels the UDP timeout "LVS TCP timeout" too; kept for exact output.
    if (t.udp) w(` LVS TCP timeout = ${t.udp}`);
  }
  if (ctx.process === 'vrrp') w(` Default interface = ${g.defaultInterface}`);
  w(` Disable local IGMP = ${g.disableLocalIgmp ? 'yes' : 'no'}`);
  const s = g.lvsSyncDaemon;
  if (s !== null) {
    if (s.instance !== null) w(` LVS syncd vrrp instance = ${s.instance}`);
    w(` LVS syncd interface = ${s.interface}`);
    w(` LVS syncd syncid = ${s.syncId ?? 0}`);
    if (s.maxlen) w(` LVS syncd maxlen = ${s.maxlen}`);
    if (s.group !== null) w(` LVS mcast group ${s.group}`);
    if (s.port) w(` LVS syncd mcast port = ${s.port}`);
    if (s.ttl) w(` LVS syncd mcast ttl = ${s.ttl}`);
  }
  w(` LVS flush = ${g.lvsFlush}`);
  w(
    ` LVS flush on stop = ${g.lvsFlushOnStop === 'all' ? 'full' : g.lvsFlushOnStop === 'vs' ? 'VS' : 'disabled'}`,
  );
  out.push(...fifoLines('Global', g.notifyFifo, g.notifyFifoScript, ctx));
  out.push(...fifoLines('VRRP', g.vrrpNotifyFifo, g.vrrpNotifyFifoScript, ctx));
  out.push(...fifoLines('LVS', g.lvsNotifyFifo, g.lvsNotifyFifoScript, ctx));
  w(` FIFO write vrrp states on reload = ${g.fifoWriteVrrpStatesOnReload}`);
  w(` VRRP notify priority changes = ${g.vrrpNotifyPriorityChanges}`);
  w(` VRRP IPv4 mcast group = ${g.vrrpMcastGroup4}`);
  w(` VRRP IPv6 mcast group = ${g.vrrpMcastGroup6}`);
  w(` Gratuitous ARP delay = ${Math.floor(g.vrrpGarpMasterDelay)}`);
  w(` Gratuitous ARP repeat = ${g.vrrpGarpMasterRepeat}`);
  w(` Gratuitous ARP refresh timer = ${Math.floor(g.vrrpGarpMasterRefresh)}`);
  w(` Gratuitous ARP refresh repeat = ${g.vrrpGarpMasterRefreshRepeat}`);
  w(` Gratuitous ARP lower priority delay = ${Math.floor(g.vrrpGarpLowerPrioDelay)}`);
  w(` Gratuitous ARP lower priority repeat = ${g.vrrpGarpLowerPrioRepeat}`);
  w(` Num adverts before down = ${g.vrrpDownTimerAdverts}`);
  w(' Gratuitous ARP for each secondary VMAC = 0s');
  w(` Send advert after receive lower priority advert = ${!g.vrrpLowerPrioNoAdvert}`);
  w(` Send advert after receive higher priority advert = ${g.vrrpHigherPrioSendAdvert}`);
  w(` Gratuitous ARP interval = ${fixed6(g.vrrpGarpInterval)}`);
  w(` Gratuitous NA interval = ${fixed6(0)}`);
  w(` VRRP default protocol version = ${g.vrrpVersion}`);
  w(' nftables without counters');
  w(` libnftnl version ${LIBNFTNL_VERSION}`);
  w(` VRRP check unicast_src = ${g.vrrpCheckUnicastSrc}`);
  w(` VRRP skip check advert addresses = ${g.vrrpSkipCheckAdvAddr}`);
  w(` VRRP strict mode = ${g.vrrpStrict}`);
  w(' Max auto priority = 0');
  w(' Min auto priority delay = 1000000 usecs');
  for (const who of ['VRRP', 'Checker', 'BFD']) {
    w(` ${who} process priority = 0`);
    w(` ${who} don't swap = false`);
    w(` ${who} realtime priority = 0`);
    w(` ${who} realtime limit = 10000`);
  }
  for (const snmp of ['vrrp', 'checker', 'RFCv2', 'RFCv3', 'traps']) w(` SNMP ${snmp} disabled`);
  w(' SNMP socket = default (unix:/var/agentx/master)');
  w(' DBus disabled');
  w(' DBus service name = ');
  w(` Script security ${g.enableScriptSecurity ? 'enabled' : 'disabled'}`);
  if (ctx.defaultScriptIds !== null) {
    w(` Default script uid:gid ${ctx.defaultScriptIds.uid}:${ctx.defaultScriptIds.gid}`);
  }
  for (const buf of [
    'vrrp_netlink_cmd_rcv_bufs',
    'vrrp_netlink_monitor_rcv_bufs',
    'process_monitor_rcv_bufs',
    'lvs_netlink_cmd_rcv_bufs',
    'lvs_netlink_monitor_rcv_bufs',
  ]) {
    w(` ${buf} = 0`);
    w(` ${buf}_force = 0`);
  }
  w(' rs_init_notifies = 0');
  w(' no_checker_emails = 0');
  w(' rx_bufs_multiples = 3');
  w(` umask = 0${ctx.umask.toString(8)}`);
  if (g.vrrpStartupDelay > 0) w(` vrrp_startup_delay = ${printfG(g.vrrpStartupDelay)}`);
  if (g.logUnknownVrids) w(' log_unknown_vrids');
  if (g.vmacPrefix !== null) w(` VMAC prefix = ${g.vmacPrefix}`);
  if (g.vmacAddrPrefix !== null) w(` VMAC address prefix = ${g.vmacAddrPrefix}`);
  return out;
}
