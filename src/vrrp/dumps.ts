/**
 * PURE: the VRRP process's dump texts, in keepalived 2.2.7's layouts (docs/operations.md "Dump
 * files"), from a snapshot the engine takes (engine.ts `dumpSnapshot`):
 * - `vrrpStatsText`: /tmp/keepalived.stats (SIGUSR2; vrrp/vrrp_print.c `vrrp_print_stats`);
 * - `vrrpDataText`: /tmp/keepalived.data after its Global definitions (SIGUSR1; vrrp_data.c
 *   `dump_vrrp_data`: VRRP Topology, Sockpool, Sync groups, Scripts, Track files; vrrp_if.c
 *   `dump_if`: Interfaces);
 * - `vrrpJsonDocument`: /tmp/keepalived.json (SIGRTMIN+2; vrrp_json.c, JSON v1: one
 *   `{"data", "stats"}` per instance, keepalived's key names and order; `json_version 2`
 *   wraps it as keepalived 2.3.3 does).
 * The exporters read `   State = MASTER`, `   Wantstate`, `   Interface`, `   Virtual Router ID`,
 * `   Gratuitous ARP delay`, the 5-space VIP lines, ` VRRP Script = NAME` / `   Status`, every
 * stats line, and the JSON keys: those are exact. Values keepalived-ts has no counterpart for
 * (file descriptors, kernel buffer sizes) print what keepalived prints in the common case.
 */
import type {
  IpRule,
  TrackProcess,
  TrackRef,
  VirtualRoute,
  Vip,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
} from '../config/model.js';
import { ctimeUs, secondsDotMicros } from '../util/ctime.js';
import { formatRule } from '../config/keywords/ip-rule.js';
import type { VrrpCounters } from './counters.js';
import type { VrrpState } from './state-machine.js';
import type { ScriptTracker } from './tracking.js';

// ---------------------------------------------------------------------------------------------
// The snapshot

export interface InstanceDump {
  readonly config: VrrpInstance;
  readonly state: VrrpState;
  readonly wantState: VrrpState;
  /** The master as last seen (BACKUP), else null. */
  readonly masterAddress: string | null;
  readonly masterPriority: number;
  readonly effectivePriority: number;
  /** keepalived's base_priority: the configured one, or 254 for an owner demoted by another. */
  readonly basePriority: number;
  /** Base priority plus every tracker's weight, unclamped (keepalived's total_priority). */
  readonly totalPriority: number;
  readonly sourceAddress: string;
  /** The group adverts go to; null in unicast mode. */
  readonly multicastGroup: string | null;
  /** Wall-clock ms of the last state change (of the start before any). */
  readonly lastTransitionAt: number;
  /** Wall-clock ms the next timer fires, null when none is armed (FAULT). */
  readonly readTimeoutAt: number | null;
  /** Trackers holding the instance in FAULT now (keepalived's num_script_if_fault). */
  readonly trackerFaults: number;
  /** `notify_priority_changes` as resolved (instance, else sync group, else global). */
  readonly notifyPriorityChanges: boolean;
  /** Tracked scripts that have not reported yet. */
  readonly scriptsInit: number;
  readonly vipsSet: boolean;
  readonly counters: VrrpCounters;
  /** Its socket in `sockets`, or null before one is open. */
  readonly socket: number | null;
  /** The trackers as keepalived keeps them (own interface and, in a group, weighted ones dropped). */
  readonly trackScripts: readonly TrackRef[];
  readonly trackInterfaces: readonly TrackRef[];
  readonly trackFiles: readonly TrackRef[];
  readonly trackProcesses?: readonly TrackRef[];
}

export interface SocketDump {
  readonly interfaceName: string | null;
  readonly unicastSource: string | null;
  readonly multicastGroup: string | null;
  /** Instances on the socket: name and VRID, by VRID. */
  readonly instances: readonly { readonly name: string; readonly vrid: number }[];
}

export interface SyncGroupDump {
  readonly config: VrrpSyncGroup;
  readonly state: 'INIT' | 'MASTER' | 'BACKUP' | 'FAULT';
  readonly memberFaults: number;
  readonly membersInit: number;
}

export interface ScriptDump {
  readonly config: VrrpScript;
  readonly tracker: ScriptTracker;
  readonly running: boolean;
  /** Instances tracking it, with their weight. */
  readonly trackedBy: readonly {
    readonly name: string;
    readonly weight: number;
    readonly reverse: boolean;
  }[];
}

export interface TrackFileDump {
  readonly name: string;
  readonly file: string;
  readonly value: number;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly trackedBy: readonly {
    readonly name: string;
    readonly weight: number;
    readonly reverse: boolean;
  }[];
}

export interface TrackProcessDump {
  readonly config: TrackProcess;
  readonly count: number;
  readonly haveQuorum: boolean;
  readonly forkTimer: boolean;
  readonly terminateTimer: boolean;
  readonly trackedBy: readonly {
    readonly name: string;
    readonly weight: number;
    readonly reverse: boolean;
  }[];
}

/** One interface of the host as the kernel reports it (net/ adapter), for `------< Interfaces >------`. */
export interface InterfaceDump {
  readonly name: string;
  readonly index: number;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly mac: string | null;
  readonly macBroadcast: string | null;
  readonly flags: {
    readonly up: boolean;
    readonly running: boolean;
    readonly broadcast: boolean;
    readonly loopback: boolean;
    readonly pointToPoint: boolean;
    readonly noArp: boolean;
    readonly multicast: boolean;
  };
  readonly mtu: number;
  /** ARPHRD_* (1 ethernet, 772 loopback). */
  readonly hwType: number;
  /** A macvlan: its mode (MACVLAN_MODE_*) and the name of its lower link. */
  readonly macvlan?: { readonly mode: number | null; readonly base: string | null };
  /** An ipvlan: its mode (IPVLAN_MODE_*), its IPVLAN_F_* flags and the name of its lower link. */
  readonly ipvlan?: {
    readonly mode: number | null;
    readonly flags: number | null;
    readonly base: string | null;
  };
  /** The ARP parameters now, which keepalived's netlink view follows (null or absent: 0). */
  readonly arpIgnore?: number | null;
  readonly arpFilter?: number | null;
  readonly promoteSecondaries?: number | null;
}

/** if_link.h MACVLAN_MODE_* as vrrp_if.c dump_if names them. */
const MACVLAN_MODES: Record<number, string> = {
  1: 'private',
  2: 'vepa',
  4: 'bridge',
  8: 'passthru',
  16: 'source',
};

/** if_link.h IPVLAN_MODE_* as vrrp_if.c dump_if names them, with its trailing space. */
const IPVLAN_MODES: Record<number, string> = { 0: 'L2 ', 1: 'L3 ', 2: 'L3S ' };
/** if_link.h IPVLAN_F_PRIVATE and IPVLAN_F_VEPA. */
const IPVLAN_F_PRIVATE = 0x01;
const IPVLAN_F_VEPA = 0x02;

export interface VrrpDumpSnapshot {
  readonly instances: readonly InstanceDump[];
  readonly sockets: readonly SocketDump[];
  readonly syncGroups: readonly SyncGroupDump[];
  readonly scripts: readonly ScriptDump[];
  readonly trackFiles: readonly TrackFileDump[];
  readonly trackProcesses?: readonly TrackProcessDump[];
}

/** What the texts need from the host: script users' ids and programs' real paths. */
export interface DumpHost {
  /** Numeric ids a script runs as (its own user, else script_user, else keepalived_script/root). */
  ids(user: string | null, group: string | null): { readonly uid: number; readonly gid: number };
  /** A script's program as keepalived prints it: resolved to its real path (symlinks followed). */
  programOf(argv0: string): string;
}

// ---------------------------------------------------------------------------------------------
// Stats (vrrp_print.c vrrp_print_stats)

/** One block per instance, in keepalived's stats layout; empty without instances. */
export function vrrpStatsText(
  instances: readonly {
    readonly name: string;
    readonly counters: VrrpCounters;
    /** The instance has auth_hmac: keepalived 2.4's extension block follows the others. */
    readonly authHmac?: boolean;
  }[],
): string {
  const lines: string[] = [];
  for (const s of instances) {
    const c = s.counters;
    lines.push(
      `VRRP Instance: ${s.name}`,
      '  Advertisements:',
      `    Received: ${c.advert_rcvd}`,
      `    Sent: ${c.advert_sent}`,
      `  Became master: ${c.become_master}`,
      `  Released master: ${c.release_master}`,
      '  Packet Errors:',
      `    Length: ${c.packet_len_err}`,
      `    TTL: ${c.ip_ttl_err}`,
      `    Invalid Type: ${c.invalid_type_rcvd}`,
      `    Advertisement Interval: ${c.advert_interval_err}`,
      `    Address List: ${c.addr_list_err}`,
      '  Authentication Errors:',
      `    Invalid Type: ${c.invalid_authtype}`,
      `    Type Mismatch: ${c.authtype_mismatch}`,
      `    Failure: ${c.auth_failure}`,
    );
    if (s.authHmac === true) {
      lines.push(
        '  Authentication Extension Errors:',
        `    Missing: ${c.auth_ext_missing}`,
        `    Malformed: ${c.auth_ext_malformed}`,
        `    Unknown Key: ${c.auth_ext_unknown_key}`,
        `    Invalid HMAC: ${c.auth_ext_invalid_hmac}`,
        `    Stale: ${c.auth_ext_stale}`,
        `    Replay: ${c.auth_ext_replay}`,
      );
    }
    lines.push('  Priority Zero:', `    Received: ${c.pri_zero_rcvd}`, `    Sent: ${c.pri_zero_sent}`);
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Data (vrrp_data.c)

/**
 * format_ipaddress (vrrp_ipaddress.c): `ADDR[/LEN] [brd B] dev IF scope S [label L] [peer P/LEN]
 * [no_track] [set]`, the prefix only when it is not the host's (32, 128).
 */
export function formatVip(v: Vip, set: boolean): string {
  const host = v.family === 'inet6' ? 128 : 32;
  let out = v.prefixLength === host ? v.address : `${v.address}/${v.prefixLength}`;
  if (v.family === 'inet' && v.broadcast !== null) out += ` brd ${v.broadcast}`;
  out += ` dev ${v.dev} scope ${v.scope ?? (v.family === 'inet6' && v.address.startsWith('fe80') ? 'link' : 'global')}`;
  if (v.label !== null) out += ` label ${v.label}`;
  if (v.peer !== null) out += ` peer ${v.peer}/${v.prefixLength}`;
  if (v.noTrack) out += ' no_track';
  if (v.family === 'inet6') out += ' preferred_lft forever';
  if (set) out += ' set';
  return out;
}

/** Route scopes by name, as the number keepalived prints (rt_scopes). */
const ROUTE_SCOPES: Record<string, number> = {
  global: 0,
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
};

/**
 * format_iproute (vrrp_iproute.c) for what virtual_routes can say here: `prepend [blackhole ]DST
 * [src S] [via inet GW] [dev IF] [table T] [proto 18] [scope N] [metric M] [no_track]`. A tracked
 * route carries keepalived's protocol (RTPROT_KEEPALIVED, 18); the default table (254) is not shown.
 */
export function formatRoute(r: VirtualRoute, defaultDev: string | null): string {
  const dst = r.to === '0.0.0.0/0' || r.to === '::/0' ? 'default' : r.to.replace(/\/(32|128)$/, '');
  let out = `prepend ${r.blackhole ? 'blackhole ' : ''}${dst}`;
  if (r.src !== null) out += ` src ${r.src}`;
  if (r.via !== null) out += ` via ${r.via.includes(':') ? 'inet6' : 'inet'} ${r.via}`;
  const dev = r.dev ?? defaultDev;
  if (dev !== null && !r.blackhole) out += ` dev ${dev}`;
  if (r.table !== null && r.table !== 254) out += ` table ${r.table}`;
  if (!r.noTrack) out += ' proto 18';
  if (r.scope !== null) out += ` scope ${ROUTE_SCOPES[r.scope] ?? r.scope}`;
  if (r.metric !== null) out += ` metric ${r.metric}`;
  if (r.noTrack) out += ' no_track';
  return out;
}

const weightText = (t: { readonly weight: number; readonly reverse: boolean }): string =>
  `weight ${t.weight}${t.reverse ? ' reverse' : ''}`;

/** cmd_str: every word in single quotes, the program as it runs. */
function cmdStr(argv: readonly string[], program?: string): string {
  return argv.map((a, i) => `'${i === 0 && program !== undefined ? program : a}'`).join(' ');
}

/** A configured script as keepalived prints it: the program by its real path. */
function scriptText(argv: readonly string[], host: DumpHost): string {
  return cmdStr(argv, argv[0] === undefined ? undefined : host.programOf(argv[0]));
}

function notifyLines(
  scripts: VrrpInstance['notify'],
  host: DumpHost,
  order: readonly (readonly [keyof VrrpInstance['notify'], string])[],
): string[] {
  const out: string[] = [];
  for (const [key, label] of order) {
    const spec = scripts[key];
    if (spec === null) continue;
    const { uid, gid } = host.ids(spec.user, spec.group);
    out.push(`   ${label} state transition script = ${scriptText(spec.argv, host)}, uid:gid ${uid}:${gid}`);
  }
  return out;
}

const INSTANCE_NOTIFY = [
  ['backup', 'Backup'],
  ['master', 'Master'],
  ['fault', 'Fault'],
  ['stop', 'Stop'],
  ['deleted', 'Deleted'],
  ['generic', 'Generic'],
  ['masterRxLowerPri', 'Master rx lower pri'],
] as const;

const GROUP_NOTIFY = [
  ['backup', 'Backup'],
  ['master', 'Master'],
  ['fault', 'Fault'],
  ['stop', 'Stop'],
  ['generic', 'Generic'],
] as const;

/** keepalived's VRRP_FLAG_* bits an instance carries (`Flags: none` when there is none). */
function hasFlags(c: VrrpInstance): boolean {
  return (
    c.unicastPeers.length > 0 ||
    c.dontTrackPrimary ||
    c.skipCheckAdvAddr ||
    c.mcastSrcIp !== null ||
    c.unicastSrcIp !== null ||
    c.checkUnicastSrc ||
    c.nopreempt
  );
}

function instanceLines(d: InstanceDump, host: DumpHost): string[] {
  const c = d.config;
  const unicast = c.unicastPeers.length > 0;
  const advertUs = Math.round(c.advertInt * 1e6);
  const out: string[] = [` VRRP Instance = ${c.name}`, `   VRRP Version = ${c.version}`];
  if (c.syncGroup !== null) out.push(`   Sync group = ${c.syncGroup}`);
  out.push(`   State = ${d.state}`);
  if (d.state === 'BACKUP') {
    out.push(
      `   Master router = ${d.masterAddress ?? '0.0.0.0'}`,
      `   Master priority = ${d.masterPriority}`,
    );
    if (c.version === 3) out.push(`   Master advert int = ${c.advertInt.toFixed(2)} sec`);
  }
  if (hasFlags(c)) {
    out.push('   Flags:');
    if (unicast) out.push('     Using unicast');
  } else {
    out.push('   Flags: none');
  }
  out.push(
    `   Wantstate = ${d.wantState}`,
    '   Number of config faults = 0',
    `   Number of interface and track script faults = ${d.trackerFaults}`,
    `   Number of track scripts init = ${d.scriptsInit}`,
    `   Last transition = ${secondsDotMicros(d.lastTransitionAt)} (${ctimeUs(d.lastTransitionAt)})`,
    d.readTimeoutAt === null
      ? '   Read timeout = DISABLED'
      : `   Read timeout = ${secondsDotMicros(d.readTimeoutAt)} (${ctimeUs(d.readTimeoutAt)})`,
    `   Master down timer = ${c.downTimerAdverts * advertUs + Math.floor(((256 - d.effectivePriority) * advertUs) / 256)} usecs`,
  );
  // vrrp_data.c dump_vrrp: the VMAC, then the instance's interface is the VMAC on its base.
  const vmac = c.vmac;
  const ipvlan = vmac?.ipvlan;
  if (vmac !== null && ipvlan === undefined) {
    out.push(`   Use VMAC, i/f name ${vmac.ifname}, is_up = true, xmit_base = ${vmac.xmitBase}`);
    const family = c.vips[0]?.family ?? 'inet';
    const rfc = `00:00:5e:00:0${family === 'inet6' ? 2 : 1}:${c.virtualRouterId.toString(16).padStart(2, '0')}`;
    if (vmac.mac !== rfc) out.push(`     MAC = ${vmac.mac}`);
  }
  if (c.useVmacAddr) out.push('   Use VMAC for VIPs on other interfaces');
  else if (vmac !== null && ipvlan !== undefined) {
    // ipaddresstos: the prefix unless a host address.
    const host =
      ipvlan.prefixLength === null || ipvlan.prefixLength === (ipvlan.family === 'inet' ? 32 : 128);
    const addr =
      ipvlan.address === null
        ? ''
        : `, i/f address = ${ipvlan.address}${host ? '' : `/${ipvlan.prefixLength}`}`;
    out.push(`   Use IPVLAN, i/f ${vmac.ifname}, is_up = true${addr}, type ${ipvlan.type}`);
  }
  if (vmac !== null) {
    out.push(
      `   Interface = ${vmac.ifname}, ${ipvlan === undefined ? 'vmac' : 'ipvlan'} on ${c.interface ?? '(unknown)'}${vmac.xmitBase ? ', xmit base i/f' : ''}`,
    );
  } else out.push(`   Interface = ${c.interface ?? 'not configured'}`);
  if (c.dontTrackPrimary) out.push('   VRRP interface tracking disabled');
  if (c.skipCheckAdvAddr) out.push('   Skip checking advert IP addresses');
  if (c.strictMode) out.push('   Enforcing strict VRRP compliance');
  const fromConfig = (unicast ? c.unicastSrcIp : c.mcastSrcIp) !== null;
  out.push(`   Using src_ip = ${d.sourceAddress || '(none)'}${fromConfig ? ' (from configuration)' : ''}`);
  if (d.multicastGroup !== null) out.push(`   Multicast address ${d.multicastGroup}`);
  const g = c.garp;
  out.push(
    `   Gratuitous ARP delay = ${Math.floor(g.masterDelay)}`,
    `   Gratuitous ARP repeat = ${g.masterRepeat}`,
    `   Gratuitous ARP refresh = ${Math.floor(g.masterRefresh)}`,
    `   Gratuitous ARP refresh repeat = ${g.masterRefreshRepeat}`,
    `   Gratuitous ARP lower priority delay = ${Math.floor(g.lowerPrioDelay)}`,
    `   Gratuitous ARP lower priority repeat = ${g.lowerPrioRepeat}`,
    `   Down timer adverts = ${c.downTimerAdverts}`,
    `   Send advert after receive lower priority advert = ${!c.lowerPrioNoAdvert}`,
    `   Send advert after receive higher priority advert = ${c.higherPrioSendAdvert}`,
    `   Virtual Router ID = ${c.virtualRouterId}`,
    `   Priority = ${d.basePriority}`,
    `   Effective priority = ${d.effectivePriority}`,
    `   Total priority = ${d.totalPriority}`,
    c.version === 2
      ? `   Advert interval = ${Math.floor(c.advertInt)} sec`
      : `   Advert interval = ${Math.round(c.advertInt * 1000)} milli-sec`,
  );
  if (d.state === 'BACKUP' && c.version === 3) {
    out.push(`   Master advert interval = ${Math.round(c.advertInt * 1000)} milli-sec`);
  }
  out.push('   Accept = enabled', `   Preempt = ${c.nopreempt ? 'disabled' : 'enabled'}`);
  if (c.preemptDelay > 0) out.push(`   Preempt delay = ${Number(c.preemptDelay.toPrecision(6))} secs`);
  out.push('   Promote_secondaries = disabled');
  const auth = c.authentication;
  if (auth !== null) {
    out.push(`   Authentication type = ${auth.type === 'AH' ? 'IPSEC_AH' : 'SIMPLE_PASSWORD'}`);
    if (auth.type === 'PASS') out.push(`   Password = ${auth.password.slice(0, 8)}`);
  } else if (c.version === 2) {
    out.push('   Authentication type = none');
  }
  const hmac = c.authHmac ?? null;
  if (hmac !== null) {
    // keepalived 2.4 vrrp_data.c dump_vrrp.
    out.push(
      '   Authentication extension = HMAC-SHA256-128',
      `     Keys = ${hmac.keys.length}, active key id = ${hmac.activeKey}`,
      `     Mode = ${hmac.mode}`,
      hmac.antiReplay === 'time'
        ? `     Anti replay = time, window = ${hmac.timeWindow} sec`
        : '     Anti replay = monotonic',
    );
  }
  if (c.vips.length > 0) {
    out.push(`   Virtual IP (${c.vips.length}):`);
    for (const v of c.vips) out.push(`     ${formatVip(v, d.vipsSet)}`);
  }
  if (c.excludedVips.length > 0) {
    out.push('   Virtual IP Excluded :');
    for (const v of c.excludedVips) out.push(`     ${formatVip(v, d.vipsSet)}`);
  }
  if (unicast) {
    out.push(`   Unicast TTL = ${c.unicastTtl}`);
    out.push(`   Check unicast src : ${c.checkUnicastSrc ? 'yes' : 'no'}`, '   Unicast Peer :');
    for (const p of c.unicastPeers)
      out.push(`     ${p.address} min_ttl ${p.minTtl ?? 0} max_ttl ${p.maxTtl ?? 255}`);
    out.push('   Unicast checksum compatibility = no');
  }
  // keepalived's socket descriptors; Node keeps them hidden: the socket's number in the Sockpool.
  out.push(d.socket === null ? '   No sockets allocated' : `   fd_in ${d.socket}, fd_out ${d.socket}`);
  if (c.virtualRoutes.length > 0) {
    out.push('   Virtual Routes :');
    for (const r of c.virtualRoutes) out.push(`     ${formatRoute(r, c.interface)}`);
  }
  // vrrp_data.c dump_vrrp: format_iprule (vrrp_iprule.c) for each line.
  if (c.virtualRules.length > 0) {
    out.push('   Virtual Rules :');
    for (const r of c.virtualRules) out.push(`     ${formatRule(r)}`);
  }
  if (d.trackInterfaces.length > 0) {
    out.push('   Tracked interfaces :');
    for (const t of d.trackInterfaces) out.push(`     ${t.name} ${weightText(t)}`);
  }
  if (d.trackScripts.length > 0) {
    out.push('   Tracked scripts :');
    for (const t of d.trackScripts) out.push(`     ${t.name} ${weightText(t)}`);
  }
  if (d.trackFiles.length > 0) {
    out.push('   Tracked files :');
    for (const t of d.trackFiles) out.push(`     ${t.name}, ${weightText(t)}`);
  }
  if (d.trackProcesses !== undefined && d.trackProcesses.length > 0) {
    out.push('   Tracked processes :');
    for (const t of d.trackProcesses) out.push(`     ${t.name}, ${weightText(t)}`);
  }
  out.push(
    `   Using smtp notification = ${c.smtpAlert ? 'yes' : 'no'}`,
    `   Notify deleted = ${c.notifyDeleted ? 'Deleted' : 'Fault'}`,
    ...notifyLines(c.notify, host, INSTANCE_NOTIFY),
    `   Notify priority changes = ${d.notifyPriorityChanges}`,
  );
  return out;
}

function socketLines(sockets: readonly SocketDump[]): string[] {
  const out: string[] = [];
  sockets.forEach((s, i) => {
    const fd = i + 1;
    out.push(
      ` fd_in ${fd} fd_out = ${fd}`,
      `   Interface = ${s.interfaceName ?? '(null)'}`,
      '   Family = IPv4',
      '   Protocol = VRRP',
      `   Type = ${s.unicastSource !== null ? 'Un' : 'Mult'}icast`,
    );
    if (s.unicastSource !== null) out.push(`   Address = ${s.unicastSource}`);
    out.push('   Rx buf size = 0', '   VRRP instances');
    for (const m of [...s.instances].sort((a, b) => a.vrid - b.vrid))
      out.push(`     ${m.name} vrid ${m.vrid}`);
  });
  return out;
}

function syncGroupLines(g: SyncGroupDump, host: DumpHost): string[] {
  const c = g.config;
  const out = [
    ` VRRP Sync Group = ${c.name}, ${g.state}`,
    `   Num member fault ${g.memberFaults}, num member init ${g.membersInit}`,
  ];
  if (c.group.length > 0) {
    out.push('   VRRP member instances :');
    for (const m of c.group) out.push(`     ${m}`);
  }
  if (c.syncGroupTrackingWeight) out.push('   sync group tracking weight set');
  out.push(`   Using smtp notification = ${c.smtpAlert ? 'yes' : 'no'}`);
  if (c.notifyPriorityChanges !== null)
    out.push(`   Notify priority changes = ${c.notifyPriorityChanges ? 'yes' : 'no'}`);
  if (c.trackInterfaces.length > 0) {
    out.push('   Tracked interfaces :');
    for (const t of c.trackInterfaces) out.push(`     ${t.name} ${weightText(t)}`);
  }
  if (c.trackScripts.length > 0) {
    out.push('   Tracked scripts :');
    for (const t of c.trackScripts) out.push(`     ${t.name} ${weightText(t)}`);
  }
  if (c.trackFiles.length > 0) {
    out.push('   Tracked files :');
    for (const t of c.trackFiles) out.push(`     ${t.name}, ${weightText(t)}`);
  }
  // vrrp_data.c dump_sync_group says "process" here, "processes" for an instance.
  if (c.trackProcesses.length > 0) {
    out.push('   Tracked process :');
    for (const t of c.trackProcesses) out.push(`     ${t.name}, ${weightText(t)}`);
  }
  out.push(...notifyLines({ ...c.notify, deleted: null, masterRxLowerPri: null }, host, GROUP_NOTIFY));
  return out;
}

function scriptLines(s: ScriptDump, host: DumpHost): string[] {
  const c = s.config;
  const { uid, gid } = host.ids(c.user, c.group);
  const out = [
    ` VRRP Script = ${c.name}`,
    `   Command = ${cmdStr(c.argv, host.programOf(c.argv[0] ?? c.script))}`,
    `   Interval = ${Math.floor(c.interval)} sec`,
    `   Timeout = ${Math.floor(c.timeout)} sec`,
    `   Weight = ${c.weight}${c.weightReverse ? ' reverse' : ''}`,
    `   Rise = ${c.rise}`,
    `   Fall = ${c.fall}`,
    `   Result = ${s.tracker.result}`,
    '   Insecure = no',
    `   Init state = ${s.tracker.status === 'init' ? 'INIT' : 'unknown'}`,
    `   Status = ${s.tracker.result >= c.rise ? 'GOOD' : 'BAD'}`,
    `   Script uid:gid = ${uid}:${gid}`,
    '   VRRP instances :',
  ];
  if (s.trackedBy.length > 0) {
    out.push('   Tracking instances :');
    for (const t of s.trackedBy) out.push(`     ${t.name}, ${weightText(t)}`);
  }
  out.push(`   State = ${s.running ? 'running' : 'idle'}`);
  return out;
}

function trackFileLines(f: TrackFileDump): string[] {
  const out = [
    ` Track file = ${f.name}`,
    `   File = ${f.file}`,
    `   Status = ${f.value}`,
    `   Weight = ${f.weight}${f.weightReverse ? ' reverse' : ''}`,
  ];
  if (f.trackedBy.length > 0) {
    out.push('   Tracking instances :');
    for (const t of f.trackedBy) out.push(`     ${t.name}, ${weightText(t)}`);
  }
  return out;
}

/** vrrp_data.c dump_vprocess. */
function trackProcessLines(t: TrackProcessDump): string[] {
  const c = t.config;
  const out = [` VRRP Track process = ${c.name}`, `   Process = ${c.process}`];
  if (c.params.length > 0) out.push(`   Parameters = ${c.params.join(' ')}`);
  if (c.paramMatch !== 'none') {
    out.push(`   Param match${c.paramMatch === 'exact' ? '' : ` = ${c.paramMatch}`}`);
  }
  out.push(`   Min processes = ${c.quorum}`);
  if (c.quorumMax !== null) out.push(`   Max processes = ${c.quorumMax}`);
  out.push(
    `   Current processes = ${t.count}`,
    `   Have quorum = ${t.haveQuorum ? 'true' : 'false'}`,
    `   Weight = ${c.weight}${c.weightReverse ? ' reverse' : ''}`,
    `   Terminate delay = ${c.terminateDelay.toFixed(6)}s`,
    `   Fork delay = ${c.forkDelay.toFixed(6)}s`,
    `   Fork delay timer ${t.forkTimer ? '' : 'not '}running`,
    `   Terminate delay timer ${t.terminateTimer ? '' : 'not '}running`,
    `   Full command = ${c.fullCommand ? 'true' : 'false'}`,
  );
  if (t.trackedBy.length > 0) {
    out.push('   Tracking instances :');
    for (const i of t.trackedBy) out.push(`     ${i.name}, ${weightText(i)}`);
  }
  return out;
}

const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;

function interfaceLines(
  i: InterfaceDump,
  snapshot: VrrpDumpSnapshot,
  all: readonly InterfaceDump[] = [],
): string[] {
  const f = i.flags;
  // keepalived tracks the addresses that are not its own VIPs, and of IPv6 the link-local ones.
  const vips = new Set(
    snapshot.instances.flatMap((d) => [...d.config.vips, ...d.config.excludedVips].map((v) => v.address)),
  );
  const ipv4 = i.ipv4.filter((a) => !vips.has(a));
  const ipv6 = i.ipv6.filter((a) => !vips.has(a) && a.startsWith('fe80'));
  const out = [` Name = ${i.name}`, `   index = ${i.index}`, `   IPv4 address = ${ipv4[0] ?? '(none)'}`];
  if (ipv4.length > 1) {
    out.push('   Additional IPv4 addresses :');
    for (const a of ipv4.slice(1)) out.push(`     ${a}`);
  }
  out.push(`   IPv6 address = ${ipv6[0] ?? '(none)'}`);
  if (ipv6.length > 1) {
    out.push('   Additional IPv6 addresses :');
    for (const a of ipv6.slice(1)) out.push(`     ${a}`);
  }
  if (i.mac !== null) out.push(`   MAC = ${i.mac}`, `   MAC broadcast = ${i.macBroadcast ?? ''}`);
  out.push(
    `   State = ${f.up ? '' : 'not '}UP, ${f.running ? '' : 'not '}RUNNING${f.broadcast ? '' : ', no broadcast'}${
      f.loopback ? ', loopback' : ''
    }${f.pointToPoint ? ', point to point' : ''}${f.noArp ? ', no arp' : ''}${f.multicast ? '' : ', no multicast'}`,
    `   Seen up = ${f.up && f.running ? 1 : 0}`,
    '   Delayed state change running = false',
    '   Up debounce timer = 0us',
    '   Down debounce timer = 0us',
  );
  // vrrp_if.c dump_if: a macvlan's or ipvlan's type and lower link, and whether it is one of
  // ours (use_vmac, use_ipvlan).
  const lower =
    i.macvlan !== undefined
      ? {
          kind: 'VMAC',
          mode: '',
          type: MACVLAN_MODES[i.macvlan.mode ?? -1] ?? 'unknown',
          base: i.macvlan.base,
        }
      : i.ipvlan !== undefined
        ? {
            kind: 'IPVLAN',
            mode: IPVLAN_MODES[i.ipvlan.mode ?? -1] ?? 'unknown mode ',
            type:
              (i.ipvlan.flags ?? 0) & IPVLAN_F_PRIVATE
                ? 'private'
                : (i.ipvlan.flags ?? 0) & IPVLAN_F_VEPA
                  ? 'vepa'
                  : 'bridge',
            base: i.ipvlan.base,
          }
        : null;
  if (lower !== null) {
    const base = all.find((x) => x.name === lower.base);
    if (base !== undefined) {
      out.push(
        `   ${lower.kind} type ${lower.mode}${lower.type}, underlying interface = ${base.name}, state = ${base.flags.up ? '' : 'not '}UP, ${base.flags.running ? '' : 'not '}RUNNING`,
      );
    } else out.push(`   ${lower.kind} type ${lower.type}, underlying interface in different namespace`);
    const ours = snapshot.instances.some(
      (d) => d.config.vmac?.ifname === i.name || d.config.vipVmacs.some((x) => x.ifname === i.name),
    );
    if (ours) out.push('   I/f created by keepalived');
  }
  out.push(
    `   MTU = ${i.mtu}`,
    i.hwType === ARPHRD_LOOPBACK
      ? '   HW Type = LOOPBACK'
      : i.hwType === ARPHRD_ETHER
        ? '   HW Type = ETHERNET'
        : `   HW Type = UNKNOWN (${i.hwType})`,
    '   NIC netlink status update',
    '   Reset ARP config counter 0',
    `   Original arp_ignore ${i.arpIgnore ?? 0}`,
    `   Original arp_filter ${i.arpFilter ?? 0}`,
    `   Original promote_secondaries ${i.promoteSecondaries ?? 0}`,
    '   Reset promote_secondaries counter 0',
  );
  // The instances on it and those tracking it (vrrp_if.c if_tracking_vrrp_dump_list).
  const tracking: { name: string; weight: number; reverse: boolean }[] = [];
  for (const d of snapshot.instances) {
    // The VMAC is tracked as the instance's own interface is (vrrp.c vrrp_complete_instance).
    const own = d.config.interface === i.name || d.config.vmac?.ifname === i.name;
    if (own && !d.config.dontTrackPrimary) {
      tracking.push({ name: d.config.name, weight: 0, reverse: false });
    }
    for (const t of d.trackInterfaces) {
      if (t.name === i.name) tracking.push({ name: d.config.name, weight: t.weight, reverse: t.reverse });
    }
  }
  if (tracking.length > 0) {
    out.push('   Tracking VRRP instances :');
    for (const t of tracking) out.push(`     ${t.name}, ${weightText(t)}`);
  }
  return out;
}

/** The static addresses, routes and rules, each with whether it is set (vrrp/static-entries.ts). */
export interface StaticDump {
  readonly addresses: readonly { readonly item: Vip; readonly set: boolean }[];
  readonly routes: readonly { readonly item: VirtualRoute; readonly set: boolean }[];
  readonly rules: readonly { readonly item: IpRule; readonly set: boolean }[];
}

/** The data file's VRRP part (after the Global definitions). */
export function vrrpDataText(
  snapshot: VrrpDumpSnapshot,
  interfaces: readonly InterfaceDump[],
  host: DumpHost,
  statics: StaticDump | null = null,
): string {
  const out: string[] = [];
  // vrrp_data.c dump_vrrp_data: the static entries come first.
  if (statics !== null && statics.addresses.length > 0) {
    out.push('------< Static Addresses >------');
    for (const a of statics.addresses) out.push(`     ${formatVip(a.item, a.set)}`);
  }
  if (statics !== null && statics.routes.length > 0) {
    out.push('------< Static Routes >------');
    for (const r of statics.routes) out.push(`     ${formatRoute(r.item, null)}`);
  }
  if (statics !== null && statics.rules.length > 0) {
    out.push('------< Static Rules >------');
    for (const r of statics.rules) out.push(`     ${formatRule(r.item)}`);
  }
  if (snapshot.instances.length > 0) {
    out.push('------< VRRP Topology >------');
    for (const d of snapshot.instances) out.push(...instanceLines(d, host));
  }
  if (snapshot.sockets.length > 0)
    out.push('------< VRRP Sockpool >------', ...socketLines(snapshot.sockets));
  if (snapshot.syncGroups.length > 0) {
    out.push('------< VRRP Sync groups >------');
    for (const g of snapshot.syncGroups) out.push(...syncGroupLines(g, host));
  }
  if (snapshot.scripts.length > 0) {
    out.push('------< VRRP Scripts >------');
    for (const s of snapshot.scripts) out.push(...scriptLines(s, host));
  }
  if (snapshot.trackFiles.length > 0) {
    out.push('------< VRRP Track files >------');
    for (const f of snapshot.trackFiles) out.push(...trackFileLines(f));
  }
  if (snapshot.trackProcesses !== undefined && snapshot.trackProcesses.length > 0) {
    out.push('------< VRRP Track processes >------');
    for (const t of snapshot.trackProcesses) out.push(...trackProcessLines(t));
  }
  if (interfaces.length > 0) {
    out.push('------< Interfaces >------');
    for (const i of interfaces) out.push(...interfaceLines(i, snapshot, interfaces));
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// JSON (vrrp_json.c, JSON v1)

/** keepalived's state numbers (vrrp.h VRRP_STATE_*). */
const STATE_NUMBER: Record<VrrpState, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

function jsonData(d: InstanceDump, scripts: readonly ScriptDump[], host: DumpHost): Record<string, unknown> {
  const c = d.config;
  const data: Record<string, unknown> = {
    iname: c.name,
    dont_track_primary: c.dontTrackPrimary ? 1 : 0,
    skip_check_adv_addr: c.skipCheckAdvAddr ? 1 : 0,
    strict_mode: c.strictMode ? 1 : 0,
    vmac_ifname: c.vmac?.ifname ?? '',
  };
  if (c.interface !== null) data['ifp_ifname'] = c.vmac?.ifname ?? c.interface;
  Object.assign(data, {
    master_priority: d.state === 'BACKUP' ? d.masterPriority : 0,
    last_transition: Number((d.lastTransitionAt / 1000).toFixed(6)),
    garp_delay: c.garp.masterDelay,
    garp_refresh: Math.floor(c.garp.masterRefresh),
    garp_rep: c.garp.masterRepeat,
    garp_refresh_rep: c.garp.masterRefreshRepeat,
    garp_lower_prio_delay: Math.floor(c.garp.lowerPrioDelay),
    garp_lower_prio_rep: c.garp.lowerPrioRepeat,
    lower_prio_no_advert: c.lowerPrioNoAdvert ? 1 : 0,
    higher_prio_send_advert: c.higherPrioSendAdvert ? 1 : 0,
    vrid: c.virtualRouterId,
    base_priority: d.basePriority,
    effective_priority: d.effectivePriority,
    vipset: d.vipsSet,
    promote_secondaries: false,
    adver_int: c.advertInt,
    master_adver_int: c.advertInt,
    accept: 1,
    nopreempt: c.nopreempt,
    preempt_delay: Math.floor(c.preemptDelay),
    state: STATE_NUMBER[d.state],
    wantstate: STATE_NUMBER[d.wantState],
    version: c.version,
    smtp_alert: c.smtpAlert,
    notify_deleted: c.notifyDeleted,
  });
  const n = c.notify;
  for (const [key, spec] of [
    ['script_backup', n.backup],
    ['script_master', n.master],
    ['script_fault', n.fault],
    ['script_stop', n.stop],
    ['script_deleted', n.deleted],
    ['script', n.generic],
    ['script_master_rx_lower_pri', n.masterRxLowerPri],
  ] as const) {
    if (spec !== null) data[key] = scriptText(spec.argv, host);
  }
  if (c.vips.length > 0) data['vips'] = c.vips.map((v) => formatVip(v, d.vipsSet));
  if (c.excludedVips.length > 0) data['evips'] = c.excludedVips.map((v) => formatVip(v, d.vipsSet));
  if (c.virtualRoutes.length > 0) data['vroutes'] = c.virtualRoutes.map((r) => formatRoute(r, c.interface));
  if (c.virtualRules.length > 0) data['vrules'] = c.virtualRules.map(formatRule);
  if (d.trackInterfaces.length > 0) data['track_ifp'] = d.trackInterfaces.map((t) => t.name);
  if (d.trackScripts.length > 0) {
    data['track_script'] = d.trackScripts.map((t) => {
      const s = scripts.find((x) => x.config.name === t.name);
      return s === undefined
        ? `'${t.name}'`
        : cmdStr(s.config.argv, host.programOf(s.config.argv[0] ?? s.config.script));
    });
  }
  const auth = c.authentication;
  data['auth_type'] = auth === null ? 0 : auth.type === 'PASS' ? 1 : 2;
  if (auth !== null) data['auth_data'] = auth.type === 'PASS' ? auth.password.slice(0, 8) : '';
  return data;
}

function jsonStats(c: VrrpCounters, authHmac: boolean): Record<string, number> {
  const hmac: Record<string, number> = authHmac
    ? {
        // keepalived 2.4 vrrp_json.c (after auth_failure).
        auth_ext_missing: c.auth_ext_missing,
        auth_ext_malformed: c.auth_ext_malformed,
        auth_ext_unknown_key: c.auth_ext_unknown_key,
        auth_ext_invalid_hmac: c.auth_ext_invalid_hmac,
        auth_ext_stale: c.auth_ext_stale,
        auth_ext_replay: c.auth_ext_replay,
      }
    : {};
  return {
    advert_rcvd: c.advert_rcvd,
    advert_sent: c.advert_sent,
    become_master: c.become_master,
    release_master: c.release_master,
    packet_len_err: c.packet_len_err,
    advert_interval_err: c.advert_interval_err,
    ip_ttl_err: c.ip_ttl_err,
    invalid_type_rcvd: c.invalid_type_rcvd,
    addr_list_err: c.addr_list_err,
    invalid_authtype: c.invalid_authtype,
    authtype_mismatch: c.authtype_mismatch,
    auth_failure: c.auth_failure,
    ...hmac,
    pri_zero_rcvd: c.pri_zero_rcvd,
    pri_zero_sent: c.pri_zero_sent,
  };
}

/** vrrp_json.c vrrp_json_vprocess_dump (json_version 2). */
function jsonTrackProcess(t: TrackProcessDump): Record<string, unknown> {
  const c = t.config;
  const out: Record<string, unknown> = { process: c.name };
  if (c.params.length > 0) out['parameters'] = c.params.join(' ');
  out['param_match'] = c.paramMatch;
  out['min_processes'] = c.quorum;
  if (c.quorumMax !== null) out['max_processes'] = c.quorumMax;
  Object.assign(out, {
    current_processes: t.count,
    have_quorum: t.haveQuorum,
    weight: c.weightReverse ? -c.weight : c.weight,
    terminate_delay: c.terminateDelay,
    fork_delay: c.forkDelay,
    fork_delay_timer_running: t.forkTimer,
    terminate_delay_timer_running: t.terminateTimer,
    full_command: c.fullCommand,
  });
  return out;
}

/**
 * The JSON file's document, or null without instances (keepalived then writes no file).
 * json_version 1 (keepalived 2.2.7): the array of instances. 2 (keepalived 2.3.3+ vrrp_json.c):
 * `{"vrrp": [...]}`, each instance's data naming its tracked processes, and the trackers as
 * `track_process` when there are any.
 */
export function vrrpJsonDocument(snapshot: VrrpDumpSnapshot, host: DumpHost, version: 1 | 2 = 1): unknown {
  if (snapshot.instances.length === 0) return null;
  const vrrp = snapshot.instances.map((d) => {
    const data = jsonData(d, snapshot.scripts, host);
    if (version === 2 && d.trackProcesses !== undefined && d.trackProcesses.length > 0) {
      data['track_process'] = d.trackProcesses.map((t) => t.name);
    }
    return { data, stats: jsonStats(d.counters, (d.config.authHmac ?? null) !== null) };
  });
  if (version === 1) return vrrp;
  const trackers = snapshot.trackProcesses ?? [];
  return trackers.length === 0 ? { vrrp } : { vrrp, track_process: trackers.map(jsonTrackProcess) };
}
