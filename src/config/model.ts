/**
 * The one typed configuration model. Built once by `config/schema.ts` from keepalived.conf;
 * every subsystem (vrrp, check, ipvs, daemon) consumes it read-only and never re-parses or
 * re-applies defaults. Defaults live in the schema, nowhere else.
 *
 * Conventions:
 * - Durations are `Seconds` (decimal numbers, as keepalived's <TIMER> values), so
 *   `keepalived-ts dump-config` prints this model as it is (docs/config-model.md).
 * - Addresses are kept as canonical text (`10.1.1.166`, `2001:db8::1`) with their family.
 * - Every collection element carries `loc` so later stages can report file and line.
 * - Identity keys (`key`) are plain strings so reload can diff with Maps.
 */
import type { AddressFamily } from '../util/ip.js';

export type { AddressFamily };
export type Seconds = number;

/** Where a config element came from. `line` is 1-based. */
export interface SourceLoc {
  readonly file: string;
  readonly line: number;
}

/** A command line from a script keyword (`script`, `notify_*`, `misc_path`, `quorum_up`, ...). */
export interface ScriptSpec {
  /** The command line as written, after quote processing (for logs). */
  readonly command: string;
  /** argv after keepalived's shell-like splitting; argv[0] is the program. */
  readonly argv: readonly string[];
  /** Explicit `user [group]` after the command, else null (script_user applies). */
  readonly user: string | null;
  readonly group: string | null;
}

// ---------------------------------------------------------------------------------------------
// global_defs
// ---------------------------------------------------------------------------------------------

export interface LvsSyncDaemon {
  readonly interface: string;
  /** VRRP instance the sync daemon follows (master while it is MASTER), or null for both roles. */
  readonly instance: string | null;
  readonly syncId: number | null;
  readonly maxlen: number | null;
  readonly port: number | null;
  readonly ttl: number | null;
  readonly group: string | null;
}

export interface LvsTimeouts {
  readonly tcp: Seconds | null;
  readonly tcpfin: Seconds | null;
  readonly udp: Seconds | null;
}

export interface GlobalDefs {
  readonly routerId: string | null;
  readonly notificationEmail: readonly string[];
  readonly notificationEmailFrom: string | null;
  readonly smtpServer: { readonly host: string; readonly port: number } | null;
  readonly smtpHeloName: string | null;
  readonly smtpConnectTimeout: Seconds;
  readonly enableScriptSecurity: boolean;
  /** `script_user`; null when unset (keepalived_script if it exists, else root, decided at run time). */
  readonly scriptUser: { readonly user: string; readonly group: string | null } | null;
  /** The `script_user` line (`Error setting global script uid/gid` is reported there). */
  readonly scriptUserLoc?: SourceLoc;
  readonly checkerLogAllFailures: boolean;
  readonly logUnknownVrids: boolean;
  readonly defaultInterface: string;
  readonly vrrpMcastGroup4: string;
  readonly vrrpMcastGroup6: string;
  readonly vrrpVersion: 2 | 3;
  readonly vrrpStrict: boolean;
  readonly vrrpSkipCheckAdvAddr: boolean;
  readonly vrrpCheckUnicastSrc: boolean;
  readonly vrrpLowerPrioNoAdvert: boolean;
  readonly vrrpHigherPrioSendAdvert: boolean;
  readonly vrrpDownTimerAdverts: number;
  readonly vrrpStartupDelay: Seconds;
  /** `vrrp_delay_after_boot`: the VRRP start waits until this long after boot (0 = none). */
  readonly vrrpDelayAfterBoot: Seconds;
  readonly vrrpGarpMasterDelay: Seconds;
  readonly vrrpGarpMasterRepeat: number;
  readonly vrrpGarpLowerPrioDelay: Seconds;
  readonly vrrpGarpLowerPrioRepeat: number;
  readonly vrrpGarpMasterRefresh: Seconds;
  readonly vrrpGarpMasterRefreshRepeat: number;
  readonly vrrpGarpInterval: Seconds;
  readonly vrrpMinGarp: boolean;
  readonly lvsSyncDaemon: LvsSyncDaemon | null;
  readonly lvsTimeouts: LvsTimeouts | null;
  readonly lvsFlush: boolean;
  /** `lvs_flush_on_stop`: off, flush everything, or delete virtual servers only (`VS`). */
  readonly lvsFlushOnStop: 'off' | 'all' | 'vs';
  readonly childWaitTime: Seconds;
  /** `json_version` (keepalived 2.3.3+): 2 wraps the JSON dump as `{"vrrp": [...], "track_process": [...]}`. */
  readonly jsonVersion: 1 | 2;
  readonly dynamicInterfaces: boolean;
  /** `vmac_prefix`: the default VMAC names' prefix (`vrrp`). */
  readonly vmacPrefix: string | null;
  /** `vmac_addr_prefix`: the prefix of use_vmac_addr VMACs' names (else vmac_prefix). */
  readonly vmacAddrPrefix: string | null;
  /** `disable_local_igmp`: net.ipv4.igmp_link_local_mcast_reports is 0 while running (VMAC). */
  readonly disableLocalIgmp: boolean;
  readonly stateFileLocation: string | null;
  readonly statsFileLocation: string | null;
  readonly jsonFileLocation: string | null;
  /** `notify_fifo PATH [user [group]]`: a ScriptSpec whose command is the FIFO's path. */
  readonly notifyFifo: ScriptSpec | null;
  readonly vrrpNotifyFifo: ScriptSpec | null;
  readonly lvsNotifyFifo: ScriptSpec | null;
  /** `notify_fifo_script` and the others: started with the FIFO's path as last argument. */
  readonly notifyFifoScript: ScriptSpec | null;
  readonly vrrpNotifyFifoScript: ScriptSpec | null;
  readonly lvsNotifyFifoScript: ScriptSpec | null;
  /** `fifo_write_vrrp_states_on_reload`: a reload writes the states that did not change. */
  readonly fifoWriteVrrpStatesOnReload: boolean;
  /** `vrrp_notify_priority_changes`: the default of the instances' `notify_priority_changes`. */
  readonly vrrpNotifyPriorityChanges: boolean;
  readonly loc: SourceLoc | null;
}

// ---------------------------------------------------------------------------------------------
// Trackers
// ---------------------------------------------------------------------------------------------

export interface VrrpScript {
  readonly name: string;
  /** The command line as written (after quote processing). */
  readonly script: string;
  readonly argv: readonly string[];
  readonly interval: Seconds;
  readonly timeout: Seconds;
  /** -253..253; 0 means a failure puts tracking instances into FAULT. */
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly rise: number;
  readonly fall: number;
  readonly user: string | null;
  readonly group: string | null;
  readonly initFail: boolean;
  readonly loc: SourceLoc;
  /** The block's closing `}` (vrrp_parser.c vrrp_vscript_end_handler reports there). */
  readonly endLoc?: SourceLoc;
}

export interface TrackFile {
  readonly name: string;
  readonly file: string;
  readonly weight: number;
  readonly weightReverse: boolean;
  /** `init_file [VALUE] [overwrite]`, or null. */
  readonly initFile: { readonly value: number; readonly overwrite: boolean } | null;
  readonly loc: SourceLoc;
}

/** A `vrrp_track_process` block (vrrp/vrrp_parser.c, core/track_process.c). */
export interface TrackProcess {
  readonly name: string;
  /** `process`: the comm (or, with fullCommand, argv[0]) to match. */
  readonly process: string;
  /** The parameters after the name on the `process` line (argv[1..]). */
  readonly params: readonly string[];
  /** How params are compared; 'none' = not at all. */
  readonly paramMatch: 'none' | 'exact' | 'initial' | 'partial';
  /** Match the command line (cmdline) rather than comm. */
  readonly fullCommand: boolean;
  readonly weight: number;
  readonly weightReverse: boolean;
  /** Quorum held while quorum <= count <= quorumMax. */
  readonly quorum: number;
  /** null = no upper limit (keepalived's UINT_MAX). */
  readonly quorumMax: number | null;
  /** Seconds; 0 = none. */
  readonly forkDelay: number;
  readonly terminateDelay: number;
  readonly loc: SourceLoc;
}

/** A tracker reference inside an instance or sync group, with the weight resolved. */
export interface TrackRef {
  readonly name: string;
  readonly weight: number;
  readonly reverse: boolean;
}

// ---------------------------------------------------------------------------------------------
// VRRP
// ---------------------------------------------------------------------------------------------

/** One `virtual_ipaddress` line. */
export interface Vip {
  readonly address: string;
  readonly family: AddressFamily;
  readonly prefixLength: number;
  /** The device it is added to: `dev`, else the instance interface. */
  readonly dev: string;
  readonly label: string | null;
  readonly scope: string | null;
  readonly broadcast: string | null;
  readonly peer: string | null;
  readonly noTrack: boolean;
  readonly loc: SourceLoc;
}

/** One `virtual_routes` line, kept in iproute2 terms. */
export interface VirtualRoute {
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

/** What a rule does (fib_rule_hdr action): `lookup` a table, `goto` a rule, or a route type. */
export type IpRuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/**
 * One `static_rules` / `virtual_rules` line as keepalived 2.2.7 reads it (vrrp_iprule.c
 * alloc_rule). Numbers are the kernel's; null = not given (the attribute is not sent).
 */
export interface IpRule {
  readonly family: AddressFamily;
  /** `not`: FIB_RULE_INVERT. */
  readonly invert: boolean;
  /** `from ADDR[/LEN]`; `from all|any|default` is `0.0.0.0/0` (`::/0`). */
  readonly from: { readonly address: string; readonly prefixLength: number } | null;
  readonly to: { readonly address: string; readonly prefixLength: number } | null;
  /** `preference|order|priority`; rules without one are numbered down from 16384 (with a line). */
  readonly priority: number;
  /** `tos|dsfield`, 0 when not given. */
  readonly tos: number;
  readonly fwmark: number | null;
  /** `fwmark MARK/MASK`. */
  readonly fwmask: number | null;
  /** `realms [SRC/]DST`: SRC << 16 | DST, 0 when not given. */
  readonly realms: number;
  readonly suppressPrefixLength: number | null;
  readonly suppressIfgroup: number | null;
  /** `dev|iif NAME`, `oif NAME`. */
  readonly iif: string | null;
  readonly oif: string | null;
  /** `tunnel-id N`, decimal text (64 bits). */
  readonly tunnelId: string | null;
  readonly uidRange: { readonly start: number; readonly end: number } | null;
  readonly l3mdev: boolean;
  /** FRA_PROTOCOL: RTPROT_KEEPALIVED (18) unless `no_track`, or `protocol N`. */
  readonly protocol: number | null;
  readonly ipProto: number | null;
  readonly sport: { readonly start: number; readonly end: number } | null;
  readonly dport: { readonly start: number; readonly end: number } | null;
  readonly action: IpRuleAction;
  /** `table|lookup` (action `table`), else 0. */
  readonly table: number;
  /** `goto N` (action `goto`), else 0. */
  readonly gotoTarget: number;
  readonly noTrack: boolean;
  /** `track_group NAME` (static rules only): read, not acted on. */
  readonly trackGroup: string | null;
  readonly loc: SourceLoc;
}

export interface UnicastPeer {
  readonly address: string;
  readonly minTtl: number | null;
  readonly maxTtl: number | null;
}

export interface GarpSettings {
  readonly masterDelay: Seconds;
  readonly masterRepeat: number;
  readonly lowerPrioDelay: Seconds;
  readonly lowerPrioRepeat: number;
  readonly masterRefresh: Seconds;
  readonly masterRefreshRepeat: number;
  readonly interval: Seconds;
}

/** `use_vmac`: the instance's macvlan interface (vrrp/vrrp_vmac.c). */
export interface VmacSettings {
  /** The interface name: as configured, else `vrrp.VRID` (vrrp1.VRID, ... when taken). */
  readonly ifname: string;
  /** Its MAC, `00:00:5e:00:01:VRID` (`02` for IPv6) unless configured; '' for an ipvlan (the parent's). */
  readonly mac: string;
  /** `vmac_xmit_base`: adverts go out on (and come in on) the base interface. */
  readonly xmitBase: boolean;
  /** `use_vmac ... group G` (keepalived 2.3.0+): the VMAC's interface group; absent: none set. */
  readonly group?: number;
  /** `use_ipvlan`: the interface is an ipvlan (mode l2) on the base, not a macvlan; absent for a VMAC. */
  readonly ipvlan?: IpvlanSettings;
}

/** `use_ipvlan` (vrrp/vrrp_vmac.c netlink_link_add_ipvlan): the parent's MAC, an address of its own. */
export interface IpvlanSettings {
  /** IFLA_IPVLAN_FLAGS: bridge (0, the default), private (IPVLAN_F_PRIVATE) or vepa (IPVLAN_F_VEPA). */
  readonly type: 'bridge' | 'private' | 'vepa';
  /** The address put on it (the adverts' source); null when none was given. */
  readonly address: string | null;
  readonly prefixLength: number | null;
  readonly family: AddressFamily;
}

/** A VMAC for VIPs on another interface (`use_vmac_addr`, or a VIP line's `use_vmac`). */
export interface VipVmac {
  readonly ifname: string;
  /** The interface it is on: the VIPs' `dev`. */
  readonly base: string;
  readonly mac: string;
  readonly family: AddressFamily;
}

export interface NotifyScripts {
  readonly master: ScriptSpec | null;
  readonly backup: ScriptSpec | null;
  readonly fault: ScriptSpec | null;
  readonly stop: ScriptSpec | null;
  readonly deleted: ScriptSpec | null;
  /** Generic `notify`: gets `INSTANCE|GROUP name STATE priority` appended. */
  readonly generic: ScriptSpec | null;
  readonly masterRxLowerPri: ScriptSpec | null;
}

/** An `auth_hmac` block as keepalived completes it (vrrp.c vrrp_complete_instance). */
export interface AuthHmacConfig {
  /** Keys by id 1..255, the bytes as lowercase hex (32 to 64 bytes), in config order. */
  readonly keys: readonly { readonly id: number; readonly hex: string }[];
  /** The id that signs sent adverts; always one of `keys`. */
  readonly activeKey: number;
  readonly mode: 'enforce' | 'permissive' | 'receive-only';
  readonly antiReplay: 'time' | 'monotonic';
  /** Freshness window (seconds): as configured, else max(3 x advert_int, 5). */
  readonly timeWindow: number;
}

export interface VrrpInstance {
  readonly name: string;
  /** Initial state as configured. `state MASTER` clears nopreempt and preempt_delay. */
  readonly state: 'MASTER' | 'BACKUP';
  /** null only for unicast instances configured without an interface. */
  readonly interface: string | null;
  /** Where `interface` was written (the host checks report there). */
  readonly interfaceLoc?: SourceLoc;
  readonly virtualRouterId: number;
  /** Base priority 1..255; 255 = address owner. */
  readonly priority: number;
  readonly advertInt: Seconds;
  readonly version: 2 | 3;
  readonly nopreempt: boolean;
  readonly preemptDelay: Seconds;
  readonly authentication: { readonly type: 'PASS' | 'AH'; readonly password: string } | null;
  /** `auth_hmac` (keepalived 2.4.2+): the HMAC trailer on adverts; absent or null = none. */
  readonly authHmac?: AuthHmacConfig | null;
  /** The VIPs as written, canonical `address/prefix` (e.g. "10.1.1.166/32"). */
  readonly virtualIpaddresses: readonly string[];
  readonly virtualIpaddressesExcluded: readonly string[];
  /** Details of each `virtual_ipaddress` line, in order (same order as virtualIpaddresses). */
  readonly vips: readonly Vip[];
  readonly excludedVips: readonly Vip[];
  readonly virtualRoutes: readonly VirtualRoute[];
  /** `virtual_rules`: added with the VIPs while MASTER. */
  readonly virtualRules: readonly IpRule[];
  readonly trackScripts: readonly TrackRef[];
  readonly trackInterfaces: readonly TrackRef[];
  readonly trackFiles: readonly TrackRef[];
  readonly trackProcesses: readonly TrackRef[];
  readonly dontTrackPrimary: boolean;
  readonly mcastSrcIp: string | null;
  readonly unicastSrcIp: string | null;
  readonly unicastPeers: readonly UnicastPeer[];
  readonly unicastTtl: number;
  readonly checkUnicastSrc: boolean;
  readonly garp: GarpSettings;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  /**
   * `timer_expired_backup`: the highest priority of the other routers (0 = off); a MASTER held up
   * past their takeover time goes BACKUP (keepalived 2.2.8+, needs nopreempt).
   */
  readonly timerExpiredBackup: number;
  readonly downTimerAdverts: number;
  readonly skipCheckAdvAddr: boolean;
  readonly strictMode: boolean;
  readonly notify: NotifyScripts;
  /** `notify_deleted` (with or without a script): a reload removing the instance notifies DELETED, not FAULT. */
  readonly notifyDeleted: boolean;
  readonly smtpAlert: boolean;
  /** `notify_priority_changes`; null: the sync group's, else `vrrp_notify_priority_changes`. */
  readonly notifyPriorityChanges: boolean | null;
  /** `use_vmac`; VIPs of the instance's family without another `dev` go on it. */
  readonly vmac: VmacSettings | null;
  /** `use_vmac_addr`. */
  readonly useVmacAddr: boolean;
  /** The VMACs of VIPs on other interfaces (or of the other family), which those VIPs' `dev` name. */
  readonly vipVmacs: readonly VipVmac[];
  /** Name of the vrrp_sync_group this instance belongs to, or null. */
  readonly syncGroup: string | null;
  readonly loc: SourceLoc;
}

export interface VrrpSyncGroup {
  readonly name: string;
  readonly group: readonly string[];
  readonly trackScripts: readonly TrackRef[];
  readonly trackInterfaces: readonly TrackRef[];
  readonly trackFiles: readonly TrackRef[];
  readonly trackProcesses: readonly TrackRef[];
  readonly notify: NotifyScripts;
  readonly smtpAlert: boolean;
  readonly syncGroupTrackingWeight: boolean;
  /** `notify_priority_changes` of the group (null: not set). */
  readonly notifyPriorityChanges: boolean | null;
  readonly loc: SourceLoc;
}

// ---------------------------------------------------------------------------------------------
// LVS
// ---------------------------------------------------------------------------------------------

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type ForwardingMethod = 'NAT' | 'DR' | 'TUN';
export type Scheduler =
  'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'lblcr' | 'dh' | 'sh' | 'sed' | 'nq' | 'fo' | 'ovf' | 'mh' | 'twos';

export interface TunnelSettings {
  readonly type: 'ipip' | 'gue' | 'gre';
  /** gue only. */
  readonly port: number | null;
  readonly checksum: 'nocsum' | 'csum' | 'remcsum' | null;
}

export type VirtualServerGroupEntry =
  | {
      readonly kind: 'address';
      readonly family: AddressFamily;
      readonly address: string;
      /** Last address of an `a.b.c.d-e` or CIDR range, or null for a single address. */
      readonly lastAddress: string | null;
      readonly port: number;
      readonly loc: SourceLoc;
    }
  | {
      readonly kind: 'fwmark';
      readonly fwmark: number;
      readonly family: AddressFamily;
      readonly loc: SourceLoc;
    };

export interface VirtualServerGroup {
  readonly name: string;
  readonly entries: readonly VirtualServerGroupEntry[];
  readonly loc: SourceLoc;
}

interface CheckerCommon {
  /** Checker timing, resolved through virtual_server -> real_server -> checker inheritance. */
  readonly delayLoop: Seconds;
  readonly warmup: Seconds;
  readonly retry: number;
  readonly delayBeforeRetry: Seconds;
  readonly alpha: boolean;
  readonly logAllFailures: boolean;
  readonly loc: SourceLoc;
}

interface ConnectingChecker extends CheckerCommon {
  readonly connectTimeout: Seconds;
  /** Resolved: `connect_ip`, else the real server address. */
  readonly connectIp: string;
  /** Resolved: `connect_port`, else the real server port. */
  readonly connectPort: number;
  readonly bindTo: string | null;
  readonly bindPort: number | null;
  readonly bindIf: string | null;
  readonly fwmark: number | null;
}

export interface HttpUrl {
  readonly path: string;
  /** Lower-case MD5 hex of the body, or null. */
  readonly digest: string | null;
  /** Accepted status ranges, inclusive; default [[200, 299]]. */
  readonly statusCodes: readonly (readonly [number, number])[];
  readonly virtualhost: string | null;
  readonly regex: string | null;
  readonly regexNoMatch: boolean;
  /** SSL_GET url `tls_compliant` (keepalived 2.2.8+): send close_notify (or the checker's). */
  readonly tlsCompliant: boolean;
}

export interface TcpCheck extends ConnectingChecker {
  readonly type: 'TCP_CHECK';
}
export interface HttpCheck extends ConnectingChecker {
  readonly type: 'HTTP_GET' | 'SSL_GET';
  readonly urls: readonly HttpUrl[];
  readonly httpProtocol: '1.0' | '1.0C' | '1.1';
  readonly virtualhost: string | null;
  readonly enableSni: boolean;
  readonly sniName: string | null;
  readonly fastRecovery: boolean;
  readonly tlsCompliant: boolean;
}
export interface MiscCheck extends CheckerCommon {
  readonly type: 'MISC_CHECK';
  readonly miscPath: ScriptSpec;
  readonly miscTimeout: Seconds;
  readonly miscDynamic: boolean;
  /** The block's closing `}` (check_misc.c misc_end_handler reports there). */
  readonly endLoc?: SourceLoc;
}
export interface SmtpCheck extends ConnectingChecker {
  readonly type: 'SMTP_CHECK';
  readonly heloName: string;
}
export interface DnsCheck extends ConnectingChecker {
  readonly type: 'DNS_CHECK';
  readonly queryType: 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';
  readonly name: string;
}
export interface UdpCheck extends ConnectingChecker {
  readonly type: 'UDP_CHECK';
  /** Hex payload to send, or null for an empty datagram. */
  readonly payload: string | null;
  readonly requireReply: boolean;
  /** Hex pattern (`x` nibbles are wildcards) the reply must match, or null for any reply. */
  readonly replyPattern: string | null;
  readonly minReplyLength: number;
  readonly maxReplyLength: number;
}
export interface PingCheck extends ConnectingChecker {
  readonly type: 'PING_CHECK';
}
export interface FileCheck {
  readonly type: 'FILE_CHECK';
  readonly trackFile: string;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly dynamic: boolean;
  readonly loc: SourceLoc;
}

export type Checker =
  TcpCheck | HttpCheck | MiscCheck | SmtpCheck | DnsCheck | UdpCheck | PingCheck | FileCheck;
export type CheckerType = Checker['type'];

export interface RealServer {
  /** Identity within its virtual server: `address|port`. */
  readonly key: string;
  readonly address: string;
  readonly family: AddressFamily;
  /** Resolved port: as written, else the VS port; non-NAT forced to the VS port; 0 for fwmark. */
  readonly port: number;
  readonly weight: number;
  readonly inhibitOnFailure: boolean;
  readonly forwardingMethod: ForwardingMethod;
  readonly tunnel: TunnelSettings | null;
  readonly uthreshold: number | null;
  readonly lthreshold: number | null;
  readonly alpha: boolean;
  readonly notifyUp: ScriptSpec | null;
  readonly notifyDown: ScriptSpec | null;
  readonly virtualhost: string | null;
  readonly smtpAlert: boolean;
  readonly checkers: readonly Checker[];
  readonly loc: SourceLoc;
}

export interface SorryServer {
  readonly address: string;
  readonly family: AddressFamily;
  readonly port: number;
  readonly forwardingMethod: ForwardingMethod;
  readonly tunnel: TunnelSettings | null;
  readonly inhibit: boolean;
}

export interface ServiceFlags {
  readonly onePacket: boolean;
  readonly shPort: boolean;
  readonly shFallback: boolean;
  readonly mhPort: boolean;
  readonly mhFallback: boolean;
  readonly sched1: boolean;
  readonly sched2: boolean;
  readonly sched3: boolean;
}

export interface VirtualServer {
  /**
   * Identity for reload diffs: `fwmark:<af>:<mark>`, `group:<name>:<port>`, or
   * `<proto>:<address>:<port>`.
   */
  readonly key: string;
  readonly family: AddressFamily;
  /** Address for `virtual_server IP PORT`, else null. */
  readonly address: string | null;
  /** Port for address and group services (0 for a zero-port service); null for fwmark. */
  readonly port: number | null;
  readonly fwmark: number | null;
  /** `virtual_server group NAME`, else null. */
  readonly group: string | null;
  readonly protocol: Protocol;
  readonly scheduler: Scheduler;
  readonly forwardingMethod: ForwardingMethod;
  readonly tunnel: TunnelSettings | null;
  /** 0 when not persistent. */
  readonly persistenceTimeout: Seconds;
  /** Netmask text (`255.255.255.0`) or IPv6 prefix length text, or null. */
  readonly persistenceGranularity: string | null;
  readonly persistenceEngine: string | null;
  readonly flags: ServiceFlags;
  readonly delayLoop: Seconds;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp: ScriptSpec | null;
  readonly quorumDown: ScriptSpec | null;
  readonly sorryServer: SorryServer | null;
  readonly alpha: boolean;
  readonly omega: boolean;
  readonly inhibitOnFailure: boolean;
  readonly haSuspend: boolean;
  readonly virtualhost: string | null;
  readonly smtpAlert: boolean;
  readonly realServers: readonly RealServer[];
  readonly loc: SourceLoc;
}

// ---------------------------------------------------------------------------------------------
// The whole model
// ---------------------------------------------------------------------------------------------

export interface Config {
  /** Files read, main file first (includes in the order opened). */
  readonly files: readonly string[];
  readonly globalDefs: GlobalDefs;
  readonly vrrpScripts: readonly VrrpScript[];
  readonly trackFiles: readonly TrackFile[];
  readonly trackProcesses: readonly TrackProcess[];
  readonly vrrpSyncGroups: readonly VrrpSyncGroup[];
  readonly vrrpInstances: readonly VrrpInstance[];
  readonly virtualServerGroups: readonly VirtualServerGroup[];
  readonly virtualServers: readonly VirtualServer[];
  /** `static_ipaddress`: added at start whatever the VRRP state, removed at stop. */
  readonly staticAddresses: readonly Vip[];
  /** `static_routes`. */
  readonly staticRoutes: readonly VirtualRoute[];
  /** `static_rules`. */
  readonly staticRules: readonly IpRule[];
}
