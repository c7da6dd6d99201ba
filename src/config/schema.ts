/**
 * Statement tree + keyword tables -> the typed Config model. Every default is applied here, once:
 * the tables carry plain defaults, and the builders below resolve the ones that depend on other
 * values (checker timing inherited virtual_server -> real_server -> checker, real-server ports,
 * garp lower-priority values following the master ones, ...).
 *
 * Pure and total: any tree yields a Config plus diagnostics; nothing here throws on input.
 */
import type { Diagnostic } from './diagnostics.js';
import type {
  AuthHmacConfig,
  Checker,
  CheckerType,
  PingCheck,
  TcpCheck,
  Config,
  ForwardingMethod,
  GlobalDefs,
  HttpUrl,
  NotifyScripts,
  RealServer,
  ScriptSpec,
  SourceLoc,
  TrackFile,
  VirtualServer,
  VirtualServerGroup,
  Vip,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
  Protocol,
  Scheduler,
  TunnelSettings,
  AddressFamily,
} from './model.js';
import type { Statement } from './tree.js';
import { formatTrio, formatVs } from './virtual-server-format.js';
import { RawReader, readBlock } from './keywords/read.js';
import { DiagnosticList } from './keywords/types.js';
import type { BlockTable, DiagnosticSink, RawBlock } from './keywords/types.js';
import { rootTable } from './keywords/root.js';
import { globalDefsTable } from './keywords/global-defs.js';
import { trackFileTable, vrrpScriptTable, vrrpTrackProcessTable } from './keywords/trackers.js';
import type { TrackLine, TrackProcessLine } from './keywords/trackers.js';
import { buildTrackProcess } from './track-process.js';
import { vrrpInstanceTable, vrrpSyncGroupTable } from './keywords/vrrp-instance.js';
import {
  AUTH_HMAC_KEY_MAX,
  AUTH_HMAC_KEY_MIN,
  AUTH_HMAC_WINDOW_MAX,
  AUTH_HMAC_WINDOW_MIN,
  decodeKeyValue,
  defaultTimeWindow,
  noKeyFiles,
  type KeyFileReader,
} from './auth-hmac-key.js';
import type {
  PeerLine,
  RouteLine,
  AuthHmacLine,
  TimerExpiredBackupLine,
  VersionLine,
  VipLine,
} from './keywords/vrrp-instance.js';
import { groupLine, realServerTable, serverAddress, virtualServerTable } from './keywords/virtual-server.js';
import type { GroupLine, MethodValue, ServerAddress } from './keywords/virtual-server.js';
import { isIpv6LinkLocal, type RawChecker } from './keywords/checkers.js';
import { parseAddressValue, parseIntValue, parsePortValue, parseUnsignedValue } from './keywords/values.js';
import { parseAddress } from '../util/ip.js';
import { notifyScriptLines, pendingTracks, resolveReferences } from './semantic.js';
import { buildStaticEntries, settleRulePriorities } from './static-entries.js';
import type { RuleLine } from './keywords/ip-rule.js';
import { completeIpvlan, completeVmac, placeVips, type UseIpvlanLine, type UseVmacLine } from './vmac.js';
import { normaliseAdvertInt } from './advert-int.js';
import type { Mutable } from './semantic.js';

export interface SchemaResult {
  readonly config: Config;
  readonly diagnostics: Diagnostic[];
}

/** keepalived's checker defaults (check_*.c): retry and delay_before_retry per checker type. */
export const CHECKER_RETRY: Record<CheckerType, number> = {
  TCP_CHECK: 1,
  HTTP_GET: 1,
  SSL_GET: 1,
  MISC_CHECK: 0,
  SMTP_CHECK: 1,
  DNS_CHECK: 3,
  UDP_CHECK: 1,
  PING_CHECK: 1,
  FILE_CHECK: 0,
};
/** null = the checker's delay_loop. */
export const CHECKER_DELAY_BEFORE_RETRY: Record<CheckerType, number | null> = {
  TCP_CHECK: 1,
  HTTP_GET: 3,
  SSL_GET: 3,
  MISC_CHECK: 1,
  SMTP_CHECK: 1,
  DNS_CHECK: null,
  UDP_CHECK: 1,
  PING_CHECK: 1,
  FILE_CHECK: 0,
};

export const DEFAULT_DELAY_LOOP = 60;
export const DEFAULT_CONNECT_TIMEOUT = 5;

/** Builds the model from the parsed statements of all files. */
export function buildConfig(
  statements: readonly Statement[],
  files: readonly string[],
  /** Reads auth_hmac `file:` keys (load.ts readAuthHmacKeyFile). */
  keyFiles: KeyFileReader = noKeyFiles,
): SchemaResult {
  const sink = new DiagnosticList();
  const rootLoc: SourceLoc = { file: files[0] ?? '', line: 0 };
  const root = new RawReader(readBlock(statements, rootTable, sink, rootLoc));

  const globalStatements: Statement[] = [];
  for (const g of root.list<Statement>('global_defs')) {
    if (g.block === null)
      sink.report('error', 'missing-block', `Missing '{' at beginning of configuration block`, g.loc);
    else for (const s of g.block) globalStatements.push(s); // no spread: blocks can be huge
  }
  for (const c of root.list<Statement>('child_wait_time')) globalStatements.push(c);
  const firstGlobal = root.list<Statement>('global_defs')[0];
  const globalDefs = buildGlobalDefs(
    readBlock(globalStatements, globalDefsTable, sink, firstGlobal?.loc ?? rootLoc),
    firstGlobal ? firstGlobal.loc : null,
  );

  const vrrpScripts = named(
    root.list<Statement>('vrrp_script'),
    'vrrp_script',
    vrrpScriptTable,
    sink,
    (name, raw, stmt) => buildVrrpScript(name, raw, sink, stmt.endLoc),
  );
  const trackFiles = named(
    root.list<Statement>('track_file'),
    'track_file',
    trackFileTable,
    sink,
    (name, raw) => buildTrackFile(name, raw, sink),
  );
  const trackProcesses = named(
    root.list<Statement>('vrrp_track_process'),
    'vrrp_track_process',
    vrrpTrackProcessTable,
    sink,
    (name, raw) => buildTrackProcess(name, raw, sink),
  );
  // Instances dropped when completed (a bad VRID, no VIP where one is required) still stand in
  // their sync group for keepalived's group checks, which run before instances are completed.
  const droppedInstances = new Set<string>();
  const vmacNames = new Map<string, string>();
  const vrrpInstances = named(
    root.list<Statement>('vrrp_instance'),
    'vrrp_instance',
    vrrpInstanceTable,
    sink,
    (name, raw) => {
      const built = buildVrrpInstance(name, raw, globalDefs, sink, vmacNames, keyFiles);
      if (built === null) droppedInstances.add(name);
      return built;
    },
  );
  const vrrpSyncGroups = named(
    root.list<Statement>('vrrp_sync_group'),
    'vrrp_sync_group',
    vrrpSyncGroupTable,
    sink,
    (name, raw) => buildSyncGroup(name, raw, sink),
  );
  const virtualServerGroups = buildVsGroups(root.list<Statement>('virtual_server_group'), sink);
  const virtualServers: VirtualServer[] = [];
  const vsKeys = new Set<string>();
  for (const stmt of root.list<Statement>('virtual_server')) {
    const vs = buildVirtualServer(stmt, sink);
    if (!vs) continue;
    if (vsKeys.has(vs.key)) {
      sink.report('error', 'duplicate', `Virtual server ${formatVs(vs)} is duplicated - ignoring`, stmt.loc);
      continue;
    }
    vsKeys.add(vs.key);
    virtualServers.push(vs);
  }

  const statics = buildStaticEntries(root, globalDefs.defaultInterface);
  const settled = settleRulePriorities(statements, statics.staticRules, vrrpInstances, sink);
  const draft: Mutable<Config> = {
    files: [...files],
    globalDefs,
    vrrpScripts,
    trackFiles,
    trackProcesses,
    vrrpSyncGroups,
    vrrpInstances: settled.vrrpInstances,
    virtualServerGroups,
    virtualServers,
    staticAddresses: statics.staticAddresses,
    staticRoutes: statics.staticRoutes,
    staticRules: settled.staticRules,
  };
  // Reading order of the top-level blocks: keepalived looks a tracked script or file up when it
  // reads the track line, so one defined further down is not found.
  const order = new Map<SourceLoc, number>();
  statements.forEach((s, i) => {
    if (!order.has(s.loc)) order.set(s.loc, i);
  });
  resolveReferences(draft, sink, droppedInstances, order);
  return { config: draft, diagnostics: sink.items };
}

/** Reads `KEYWORD NAME { ... }` blocks, rejecting missing and duplicate names. */
function named<T>(
  stmts: readonly Statement[],
  what: string,
  table: BlockTable,
  sink: DiagnosticSink,
  build: (name: string, raw: RawReader, stmt: Statement) => T | null,
): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const s of stmts) {
    const name = s.args[0];
    if (name === undefined) {
      sink.report('error', 'missing-parameter', `${what} requires a name`, s.loc);
      continue;
    }
    if (s.block === null) {
      sink.report('error', 'missing-block', `Missing '{' at beginning of configuration block`, s.loc);
      continue;
    }
    if (s.args.length > 1) {
      sink.report(
        'error',
        'extra-parameters',
        `Block ${what} has extra parameters ${s.args.slice(1).join(' ')} ...`,
        s.loc,
      );
    }
    if (seen.has(name)) {
      sink.report('error', 'duplicate', `${what} ${name} already defined - ignoring the second`, s.loc);
      continue;
    }
    seen.add(name);
    const built = build(name, new RawReader(readBlock(s.block, table, sink, s.loc, name)), s);
    if (built !== null) out.push(built);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// global_defs

function buildGlobalDefs(raw: RawBlock, loc: SourceLoc | null): GlobalDefs {
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
const NODE_TIMER_MAX_S = 2147483;
function capTimer<T extends number | null>(v: T): T {
  return (v === null ? v : Math.min(v, NODE_TIMER_MAX_S)) as T;
}

// ---------------------------------------------------------------------------------------------
// trackers

function buildVrrpScript(
  name: string,
  r: RawReader,
  sink: DiagnosticSink,
  endLoc: SourceLoc | undefined,
): VrrpScript | null {
  const spec = r.get<ScriptSpec>('script');
  if (!spec) {
    sink.report('error', 'missing-script', `No script set for vrrp_script ${name} - removing`, r.raw.loc);
    return null;
  }
  // A 0 interval or timeout was raised to 1 as it was read (keywords/trackers.ts).
  const interval = r.num('interval', 1);
  const timeout = r.optNum('timeout');
  const weight = r.get<{ weight: number; reverse: boolean }>('weight');
  const user = r.get<{ user: string; group: string | null }>('user');
  return {
    name,
    script: spec.command,
    argv: spec.argv,
    interval,
    timeout: timeout ?? interval,
    weight: weight?.weight ?? 0,
    weightReverse: weight?.reverse ?? false,
    rise: r.num('rise', 1),
    fall: r.num('fall', 1),
    user: user?.user ?? null,
    group: user?.group ?? null,
    initFail: r.bool('init_fail'),
    loc: r.raw.loc,
    ...(endLoc ? { endLoc } : {}),
  };
}

function buildTrackFile(name: string, r: RawReader, sink: DiagnosticSink): TrackFile | null {
  const file = r.str('file');
  if (file === null) {
    sink.report('error', 'missing-parameter', `No file set for track_file ${name} - removing`, r.raw.loc);
    return null;
  }
  const weight = r.get<{ weight: number; reverse: boolean }>('weight');
  return {
    name,
    file,
    weight: weight?.weight ?? 1,
    weightReverse: weight?.reverse ?? false,
    initFile: r.get('init_file') ?? null,
    loc: r.raw.loc,
  };
}

// ---------------------------------------------------------------------------------------------
// vrrp_instance

/** A sync group has no notify_deleted or notify_master_rx_lower_pri (vrrp_parser.c). */
function notifyScripts(r: RawReader, group = false): NotifyScripts {
  const s = (k: string) => {
    const spec = r.get<ScriptSpec>(k) ?? null;
    if (spec !== null) notifyScriptLines.set(spec, r.loc(k));
    return spec;
  };
  return {
    master: s('notify_master'),
    backup: s('notify_backup'),
    fault: s('notify_fault'),
    stop: s('notify_stop'),
    deleted: group ? null : (r.get<{ script: ScriptSpec | null }>('notify_deleted')?.script ?? null),
    generic: s('notify'),
    masterRxLowerPri: group ? null : s('notify_master_rx_lower_pri'),
  };
}

/** `dev` is where the VIP goes: its own `dev`, the VMAC or the instance's interface. */
function toVip(v: VipLine, dev: string): Vip {
  return {
    address: v.address,
    family: v.family,
    prefixLength: v.prefixLength,
    dev,
    label: v.label,
    scope: v.scope,
    broadcast: v.broadcast,
    peer: v.peer,
    noTrack: v.noTrack,
    loc: v.loc,
  };
}

interface FamilyLine {
  readonly family: AddressFamily;
  readonly loc: SourceLoc | null;
}

/** a before b in one file. */
function lineBefore(a: SourceLoc | null, b: SourceLoc | null): boolean {
  return a !== null && b !== null && a.file === b.file && a.line < b.line;
}

/** The earliest of the lines that set an instance's family (its first VIP, peer, source...). */
function firstLine(lines: readonly (FamilyLine | null)[]): FamilyLine | null {
  let first: FamilyLine | null = null;
  for (const l of lines) if (l !== null && (first === null || lineBefore(l.loc, first.loc))) first = l;
  return first;
}

/**
 * An instance's VRRP version as keepalived 2.2.7 settles it. vrrp_parser.c vrrp_version_handler:
 * the first `version` stands; a different later one, or `version 2` once an IPv6 address (or
 * `native_ipv6`) has set the instance's family, is refused with a line; `native_ipv6` sets 3.
 * vrrp.c vrrp_complete_instance: an IPv6 instance with no version is VRRPv3, with `version 2` it
 * stays VRRPv2 unless strict mode sets 3 (with a line); an IPv4 one with no version takes
 * `vrrp_version`. `familyLine` is the line that set the family first.
 */
function instanceVersion(
  name: string,
  r: RawReader,
  family: AddressFamily,
  globalVersion: 2 | 3,
  strict: boolean,
  familyLine: FamilyLine | null,
  nativeIpv6: SourceLoc | null,
  sink: DiagnosticSink,
): 2 | 3 {
  const familyAt = (loc: SourceLoc): AddressFamily | null =>
    familyLine !== null && lineBefore(familyLine.loc, loc) ? familyLine.family : null;
  let configured: 0 | 2 | 3 = 0;
  let nativeDone = nativeIpv6 === null;
  for (const line of r.list<VersionLine>('version')) {
    if (!nativeDone && lineBefore(nativeIpv6, line.loc)) {
      configured = 3;
      nativeDone = true;
    }
    if (
      (configured !== 0 && configured !== line.version) ||
      (line.version === 2 && familyAt(line.loc) === 'inet6')
    ) {
      sink.report(
        'error',
        'invalid-value',
        `(${name}) vrrp_version ${line.version} conflicts with configured or deduced version ${configured}; ignoring.`,
        line.loc,
      );
      continue;
    }
    configured = line.version;
  }
  if (!nativeDone) configured = 3;
  if (family === 'inet6') {
    if (configured === 2 && strict) {
      sink.report(
        'error',
        'strict-mode',
        `(${name}) cannot use IPv6 with VRRP version 2; setting version 3`,
        r.raw.loc,
      );
      return 3;
    }
    return configured === 0 ? 3 : configured;
  }
  return configured === 0 ? globalVersion : configured;
}

/**
 * An `auth_hmac` block, checked line by line with keepalived 2.4.3's words (vrrp_parser.c
 * vrrp_auth_hmac_*_handler) and completed as vrrp.c vrrp_complete_instance does; null when the
 * active key is not one of the keys (keepalived disables the extension).
 */
function buildAuthHmac(
  name: string,
  a: RawReader,
  advertInt: number,
  strict: boolean,
  sink: DiagnosticSink,
  keyFiles: KeyFileReader,
): AuthHmacConfig | null {
  const report = (message: string, loc: SourceLoc, severity: 'error' | 'warning' = 'error') =>
    sink.report(severity, 'auth-hmac', `(${name}) ${message}`, loc);
  const idOf = (text: string | undefined): number | null =>
    text !== undefined && /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 255
      ? Number(text)
      : null;

  const keys: { id: number; hex: string }[] = [];
  for (const line of a.list<AuthHmacLine>('key')) {
    if (line.args.length < 2) {
      report('auth_hmac key needs an id and a value', line.loc);
      continue;
    }
    const id = idOf(line.args[0]);
    if (id === null) {
      report(`auth_hmac key id '${line.args[0]}' must be between 1 and 255`, line.loc);
      continue;
    }
    const value = line.args[1]!;
    let bytes: Buffer | null;
    if (value.startsWith('file:')) {
      const path = value.slice(5);
      const f = keyFiles(path);
      if (!f.ok) {
        report(`auth_hmac key file '${path}' ${f.problem}`, line.loc);
        bytes = null;
      } else {
        // keepalived: CONFIG_SECURITY_ERROR, the key is still used.
        if (f.groupOrOther)
          report(`auth_hmac key file '${path}' is readable by group or others`, line.loc, 'warning');
        bytes = f.bytes;
      }
    } else bytes = decodeKeyValue(value);
    const length = bytes?.length ?? 0;
    if (bytes === null || length < AUTH_HMAC_KEY_MIN || length > AUTH_HMAC_KEY_MAX)
      report(
        `auth_hmac key ${id} length ${length} not in range [${AUTH_HMAC_KEY_MIN}, ${AUTH_HMAC_KEY_MAX}]`,
        line.loc,
      );
    else if (keys.some((k) => k.id === id)) report(`duplicate auth_hmac key id ${id}`, line.loc);
    else keys.push({ id, hex: bytes.toString('hex') });
  }

  let activeKey = 0;
  const active = a.get<AuthHmacLine>('active_key');
  if (active) {
    const id = idOf(active.args[0]);
    if (id === null)
      report(`auth_hmac active_key '${active.args[0] ?? ''}' must be between 1 and 255`, active.loc);
    else activeKey = id;
  }

  let timeWindow = 0;
  const window = a.get<AuthHmacLine>('time_window');
  if (window) {
    const w = window.args[0];
    if (
      w === undefined ||
      !/^\d+$/.test(w) ||
      Number(w) < AUTH_HMAC_WINDOW_MIN ||
      Number(w) > AUTH_HMAC_WINDOW_MAX
    )
      report(
        `auth_hmac time_window '${w ?? ''}' must be between ${AUTH_HMAC_WINDOW_MIN} and ${AUTH_HMAC_WINDOW_MAX} seconds`,
        window.loc,
      );
    else timeWindow = Number(w);
  }

  let antiReplay: AuthHmacConfig['antiReplay'] = 'time';
  const replay = a.get<AuthHmacLine>('anti_replay');
  if (replay) {
    const v = replay.args[0] ?? '';
    if (v === 'time' || v === 'monotonic') antiReplay = v;
    else report(`auth_hmac anti_replay '${v}' must be time or monotonic`, replay.loc);
  }

  let mode: AuthHmacConfig['mode'] = 'enforce';
  const modeLine = a.get<AuthHmacLine>('mode');
  if (modeLine) {
    const v = modeLine.args[0] ?? '';
    if (v === 'enforce' || v === 'permissive' || v === 'receive-only') mode = v;
    else report(`auth_hmac mode '${v}' must be enforce, permissive or receive-only`, modeLine.loc);
  }

  // vrrp.c vrrp_complete_instance.
  if (!keys.some((k) => k.id === activeKey)) {
    report(`auth_hmac active_key ${activeKey} is not defined, disabling extension`, active?.loc ?? a.raw.loc);
    return null;
  }
  if (strict && mode !== 'enforce') {
    report('strict mode requires auth_hmac mode enforce', modeLine?.loc ?? a.raw.loc);
    mode = 'enforce';
  }
  if (antiReplay === 'time' && timeWindow === 0) timeWindow = defaultTimeWindow(advertInt);
  return { keys, activeKey, mode, antiReplay, timeWindow };
}

function buildVrrpInstance(
  name: string,
  r: RawReader,
  g: GlobalDefs,
  sink: DiagnosticSink,
  vmacNames: Map<string, string>,
  keyFiles: KeyFileReader,
): VrrpInstance | null {
  const vridText = r.str('virtual_router_id');
  if (vridText === null) {
    sink.report('error', 'missing-vrid', `(${name}) the virtual router id must be set`, r.raw.loc);
    return null;
  }
  const vrid = /^\d+$/.test(vridText) ? Number(vridText) : NaN;
  if (!(vrid >= 1 && vrid <= 255)) {
    sink.report(
      'error',
      'out-of-range',
      `(${name}): VRID '${vridText}' not valid - must be between 1 & 255`,
      r.loc('virtual_router_id'),
    );
    // vrrp.c then finds no VRID when it completes the instance, and drops it saying so.
    sink.report('error', 'missing-vrid', `(${name}) the virtual router id must be set`, r.raw.loc);
    return null;
  }
  const stateText = r.written('state') ? r.str('state') : null;
  // vrrp.c vrrp_complete_instance: with no priority line a MASTER is the address owner (255),
  // anything else 100; with no state line the owner starts MASTER and the rest BACKUP.
  let priority = stateText === 'MASTER' ? 255 : 100;
  const prioText = r.str('priority');
  if (prioText !== null) {
    const p = /^\d+$/.test(prioText) ? Number(prioText) : NaN;
    if (p >= 1 && p <= 255) priority = p;
    else {
      sink.report(
        'error',
        'out-of-range',
        `(${name}) Priority not valid! must be between 1 & 255. Using default 100`,
        r.loc('priority'),
      );
      priority = 100;
    }
  }
  let state: 'MASTER' | 'BACKUP' =
    stateText === null
      ? priority === 255
        ? 'MASTER'
        : 'BACKUP'
      : stateText === 'MASTER'
        ? 'MASTER'
        : 'BACKUP';
  const iface = r.str('interface');
  const dev = iface ?? g.defaultInterface;
  const vipLines = r.list<VipLine>('virtual_ipaddress');
  const evipLines = r.list<VipLine>('virtual_ipaddress_excluded');
  const peers = r.list<PeerLine>('unicast_peer');
  const unicastSrc = r.get<{ address: string; family: AddressFamily }>('unicast_src_ip') ?? null;
  // vrrp_parser.c vrrp_native_ipv6_handler: IPv6 unless an IPv4 address came first.
  const firstAddress = firstLine([
    vipLines[0] ?? null,
    peers[0] ?? null,
    unicastSrc === null ? null : { family: unicastSrc.family, loc: r.loc('unicast_src_ip') },
  ]);
  let nativeIpv6 = r.written('native_ipv6') ? r.loc('native_ipv6') : null;
  if (nativeIpv6 !== null && firstAddress?.family === 'inet' && lineBefore(firstAddress.loc, nativeIpv6)) {
    sink.report(
      'error',
      'family-mismatch',
      `(${name}) Cannot specify native_ipv6 with IPv4 addresses`,
      nativeIpv6,
    );
    nativeIpv6 = null;
  }
  // use_ipvlan's address sets the family when no address line came before it (vrrp_ipvlan_handler).
  const ipvlanLines = r.list<UseIpvlanLine>('use_ipvlan');
  const ipvlanLoc = ipvlanLines[0]?.loc ?? null;
  const ipvlanFamily = ipvlanLines[0]?.words.map((w) => parseAddress(w)?.family).find((f) => f !== undefined);
  const familySetBefore =
    nativeIpv6 !== null || (firstAddress !== null && lineBefore(firstAddress.loc, ipvlanLoc));
  const family: AddressFamily =
    nativeIpv6 !== null
      ? 'inet6'
      : ipvlanFamily !== undefined && !familySetBefore
        ? ipvlanFamily
        : (vipLines[0]?.family ?? peers[0]?.family ?? unicastSrc?.family ?? 'inet');

  const strictMode = r.get<boolean>('strict_mode') ?? g.vrrpStrict;
  const version = instanceVersion(
    name,
    r,
    family,
    g.vrrpVersion === 3 ? 3 : 2,
    strictMode,
    nativeIpv6 === null ? firstAddress : firstLine([firstAddress, { family: 'inet6', loc: nativeIpv6 }]),
    nativeIpv6,
    sink,
  );

  for (const v of vipLines) {
    if (v.family !== family) {
      sink.report(
        'error',
        'family-mismatch',
        `(${name}): address family must match VRRP instance [${v.text}] - ignoring`,
        v.loc,
      );
    }
  }
  const vmac =
    completeIpvlan(
      {
        instance: name,
        vrid,
        family,
        familySetBefore,
        interface: iface,
        unicast: peers.length > 0,
        lines: ipvlanLines,
        xmitBase: r.written('vmac_xmit_base') ? r.loc('vmac_xmit_base') : null,
        taken: vmacNames,
        prefix: g.vmacPrefix,
        loc: r.raw.loc,
      },
      sink,
    ) ??
    completeVmac(
      {
        instance: name,
        vrid,
        family,
        interface: iface,
        unicast: peers.length > 0,
        strict: strictMode,
        line: r.get<UseVmacLine>('use_vmac'),
        xmitBase: r.written('vmac_xmit_base') ? r.loc('vmac_xmit_base') : null,
        taken: vmacNames,
        prefix: g.vmacPrefix,
      },
      sink,
    );
  // vrrp.c: a VIP of the instance's family with no dev (or the instance's) goes on the VMAC;
  // use_vmac_addr and a VIP's use_vmac word give VIPs elsewhere VMACs of their own.
  const useVmacAddr = r.bool('use_vmac_addr');
  const vipLinesKept = vipLines.filter((v) => v.family === family);
  const placed = placeVips(
    {
      instance: name,
      vrid,
      family,
      interface: iface,
      defaultDev: dev,
      // vrrp.c moves VIPs onto a VMAC only: with use_ipvlan they stay on `interface` unless their
      // `dev` names the ipvlan.
      vmac: vmac?.ipvlan === undefined ? vmac : null,
      useVmacAddr,
      taken: vmacNames,
      prefix: g.vmacAddrPrefix ?? g.vmacPrefix,
    },
    [...vipLinesKept, ...evipLines],
    sink,
  );
  const vips = vipLinesKept.map((v, i) => toVip(v, placed.devs[i]!));
  const evips = evipLines.map((v, i) => toVip(v, placed.devs[vipLinesKept.length + i]!));
  // vrrp.c: the advert must fit one packet at the default MTU of 1500 (Ethernet + IP + VRRP
  // header [+ 8 auth bytes for v2]) and Count IP Addrs is 8 bits (RFC 3768 section 5.3.5).
  const headerLen = family === 'inet' ? 14 + 20 + 8 + (version === 2 ? 8 : 0) : 14 + 40 + 8;
  const maxAddr = Math.min(255, Math.floor((1500 - headerLen) / (family === 'inet' ? 4 : 16)));
  if (vips.length > maxAddr) {
    sink.report(
      'error',
      'too-many-vips',
      `(${name}) Number of VIPs (${vips.length}) exceeds maximum/space available in packet (max ${maxAddr} addresses) - excess moved to eVIPs`,
      r.loc('virtual_ipaddress'),
    );
    for (const v of vips.splice(maxAddr)) evips.push(v);
  }
  // vrrp.c vrrp_complete_instance: `strict_mode`/`vrrp_strict` enforce RFC behaviour.
  const strict = strictMode;
  const strictReset = (field: string, message: string) => {
    sink.report('error', 'strict-mode', `(${name}) ${message}`, r.loc(field));
  };
  if (strict && stateText !== null && (state === 'MASTER') !== (priority === 255)) {
    strictReset('state', 'State MASTER must match being address owner');
    state = priority === 255 ? 'MASTER' : 'BACKUP';
  }
  let allowNoVips = r.bool('no_virtual_ipaddress');
  if (allowNoVips && strict) {
    sink.report(
      'warning',
      'strict-mode',
      `(${name}) no_virtual_ipaddress and strict mode incompatible, clearing no_virtual_ipaddress`,
      r.loc('no_virtual_ipaddress'),
    );
    allowNoVips = false;
  }
  if (vips.length === 0 && !allowNoVips) {
    if (version === 3 || strict) {
      sink.report('error', 'no-vip', `(${name}) No VIP specified; at least one is required`, r.raw.loc);
      return null;
    }
    sink.report('warning', 'no-vip', `(${name}) No VIP specified; at least one is sensible`, r.raw.loc);
  }
  if (strict && peers.length > 0) {
    sink.report(
      'error',
      'strict-mode',
      `(${name}) Unicast peers are not supported in strict mode`,
      r.loc('unicast_peer'),
    );
    return null;
  }

  // vrrp.c vrrp_complete_instance: whole seconds for v2, centiseconds for v3 (advert-int.ts).
  const adv = normaliseAdvertInt(name, r.num('advert_int', 1), version);
  for (const line of adv.lines) sink.report('error', 'advert-int', line, r.loc('advert_int'));
  const advertInt = adv.seconds;

  let nopreempt = r.bool('nopreempt');
  let preemptDelay = r.num('preempt_delay', 0);
  // vrrp.c checks the owner's nopreempt first, then a MASTER's: one line, not two.
  if (nopreempt && priority === 255) {
    sink.report(
      'error',
      'nopreempt-owner',
      `(${name}) nopreempt is incompatible with priority 255. resetting nopreempt`,
      r.loc('nopreempt'),
    );
    nopreempt = false;
  }
  if (state === 'MASTER') {
    if (nopreempt) {
      sink.report(
        'error',
        'nopreempt-master',
        `(${name}) Warning - nopreempt will not work with initial state MASTER - clearing`,
        r.loc('nopreempt'),
      );
      nopreempt = false;
    }
    if (preemptDelay) {
      sink.report(
        'error',
        'nopreempt-master',
        `(${name}) Warning - preempt delay will not work with initial state MASTER - clearing`,
        r.loc('preempt_delay'),
      );
      preemptDelay = 0;
    }
  }
  if (preemptDelay && strict) {
    strictReset('preempt_delay', 'preempt_delay is incompatible with strict mode - resetting');
    preemptDelay = 0;
  }
  if (preemptDelay && nopreempt) {
    strictReset('preempt_delay', 'preempt_delay is incompatible with nopreempt mode - resetting');
    preemptDelay = 0;
  }
  let downTimerAdverts = r.optNum('down_timer_adverts') ?? g.vrrpDownTimerAdverts;
  if (strict && downTimerAdverts !== 3) {
    strictReset('down_timer_adverts', 'down_timer_adverts is incompatible with strict mode - resetting');
    downTimerAdverts = 3;
  }
  let timerExpiredBackup = timerExpiredBackupPriority(
    name,
    r.get<TimerExpiredBackupLine>('timer_expired_backup'),
    sink,
  );
  if (timerExpiredBackup !== 0 && !nopreempt) {
    // vrrp.c vrrp_complete_instance (keepalived 2.2.8+): the keyword's old name in its line.
    sink.report(
      'error',
      'invalid-value',
      `(${name}) expired_timer_backup requires nopreempt - resetting`,
      r.loc('timer_expired_backup'),
    );
    timerExpiredBackup = 0;
  }
  let lowerPrioRepeat = r.optNum('garp_lower_prio_repeat') ?? (strict ? 0 : g.vrrpGarpLowerPrioRepeat);
  if (strict && lowerPrioRepeat !== 0) {
    strictReset('garp_lower_prio_repeat', 'Strict mode requires no repeat garps. resetting');
    lowerPrioRepeat = 0;
  }
  let lowerPrioDelay = r.optNum('garp_lower_prio_delay') ?? (strict ? 0 : g.vrrpGarpLowerPrioDelay);
  if (strict && lowerPrioDelay !== 0) {
    strictReset('garp_lower_prio_delay', 'Strict mode requires no repeat garp delay. resetting');
    lowerPrioDelay = 0;
  }
  let lowerPrioNoAdvert = r.get<boolean>('lower_prio_no_advert') ?? (strict ? true : g.vrrpLowerPrioNoAdvert);
  if (strict && !lowerPrioNoAdvert) {
    strictReset('lower_prio_no_advert', 'Strict mode requires no lower priority advert. resetting');
    lowerPrioNoAdvert = true;
  }
  let higherPrioSendAdvert =
    r.get<boolean>('higher_prio_send_advert') ?? (strict ? false : g.vrrpHigherPrioSendAdvert);
  if (strict && higherPrioSendAdvert) {
    strictReset(
      'higher_prio_send_advert',
      'strict mode requires higher_prio_send_advert to be clear. resetting',
    );
    higherPrioSendAdvert = false;
  }

  const authRaw = r.get<RawBlock>('authentication');
  let authentication: VrrpInstance['authentication'] = null;
  if (authRaw) {
    const a = new RawReader(authRaw);
    const type = a.str('auth_type');
    const pass = a.str('auth_pass');
    // No auth_type (or an unknown one, reported below) is no authentication, as in keepalived.
    if (type === null) authentication = null;
    else if (type !== 'PASS' && type !== 'AH')
      sink.report(
        'error',
        'invalid-value',
        `(${name}) unknown authentication type '${type}'`,
        a.loc('auth_type'),
      );
    else if (strict)
      sink.report(
        'error',
        'strict-mode',
        `(${name}) Strict mode does not support authentication. Ignoring.`,
        authRaw.loc,
      );
    else if (version === 3)
      sink.report(
        'error',
        'auth-v3',
        `(${name}) VRRP version 3 does not support authentication. Ignoring.`,
        authRaw.loc,
      );
    else if (pass === null || pass === '')
      sink.report(
        'error',
        'missing-parameter',
        `(${name}) Authentication specified but no password given. Ignoring`,
        authRaw.loc,
      );
    else if (type === 'AH' && state === 'MASTER' && priority !== 255) {
      // Taking over needs the AH sequence number of an advert received first (vrrp.c).
      sink.report(
        'error',
        'auth-ah-master',
        `(${name}) Initial state master is incompatible with AH authentication - clearing`,
        r.loc('state'),
      );
      state = 'BACKUP';
      authentication = { type: 'AH', password: pass };
    } else authentication = { type: type === 'AH' ? 'AH' : 'PASS', password: pass };
  }

  const authHmacRaw = r.get<RawBlock>('auth_hmac');
  let authHmac: AuthHmacConfig | null = null;
  if (authHmacRaw) {
    authHmac = buildAuthHmac(name, new RawReader(authHmacRaw), advertInt, strict, sink, keyFiles);
    // vrrp.c vrrp_complete_instance: the extension supersedes the legacy mechanisms.
    if (authHmac !== null && authentication !== null) {
      sink.report(
        'error',
        'auth-hmac',
        `(${name}) auth_hmac cannot be combined with authentication, dropping legacy auth`,
        authRaw?.loc ?? authHmacRaw.loc,
      );
      authentication = null;
    }
  }

  // vrrp_parser.c vrrp_end_handler and vrrp.c: unicast keywords with no peer fall back to multicast.
  const unicastConfigured = ['unicast_src_ip', 'unicast_peer', 'check_unicast_src'].some((k) => r.written(k));
  if (peers.length === 0 && r.written('unicast_ttl')) {
    sink.report(
      'error',
      'unicast-no-peers',
      `(${name}): Cannot use unicast_ttl without unicast peers - resetting`,
      r.loc('unicast_ttl'),
    );
  }
  if (unicastConfigured && peers.length === 0) {
    sink.report(
      'warning',
      'unicast-no-peers',
      `(${name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.`,
      r.raw.loc,
    );
  }

  if (iface === null && !(unicastSrc && peers.length > 0)) {
    sink.report('error', 'missing-interface', `(${name}) Unknown interface!`, r.raw.loc);
  }

  const routes = r.list<RouteLine>('virtual_routes');
  for (const rt of routes) {
    if (rt.dev === null && !rt.noTrack) {
      sink.report(
        'error',
        'route-no-dev',
        `Warning - cannot track route ${rt.to} with no interface specified, not tracking`,
        rt.loc,
      );
    }
  }
  const instance: VrrpInstance = {
    name,
    state,
    interface: iface,
    ...(r.written('interface') ? { interfaceLoc: r.loc('interface') } : {}),
    virtualRouterId: vrid,
    priority,
    advertInt,
    version,
    nopreempt,
    preemptDelay,
    authentication,
    authHmac,
    virtualIpaddresses: vips.map((v) => `${v.address}/${v.prefixLength}`),
    virtualIpaddressesExcluded: evips.map((v) => `${v.address}/${v.prefixLength}`),
    vips,
    excludedVips: evips,
    virtualRoutes: routes.map((x) => ({ ...x, noTrack: x.noTrack || x.dev === null })),
    // Preferences settled with the static rules' (settleRulePriorities).
    virtualRules: r.list<RuleLine>('virtual_rules') as unknown as VrrpInstance['virtualRules'],
    trackScripts: [],
    trackInterfaces: [],
    trackFiles: [],
    trackProcesses: [],
    dontTrackPrimary: r.bool('dont_track_primary'),
    // vrrp_ipvlan_handler: the ipvlan's address is the adverts' source unless one was set.
    mcastSrcIp:
      r.get<{ address: string }>('mcast_src_ip')?.address ??
      (unicastSrc === null ? (vmac?.ipvlan?.address ?? null) : null),
    unicastSrcIp: unicastSrc?.address ?? null,
    unicastPeers: peers.map((p) => ({ address: p.address, minTtl: p.minTtl, maxTtl: p.maxTtl })),
    unicastTtl: r.num('unicast_ttl', 255),
    checkUnicastSrc:
      r.bool('check_unicast_src') ||
      g.vrrpCheckUnicastSrc ||
      peers.some((p) => p.minTtl !== null || p.maxTtl !== null),
    garp: {
      masterDelay: r.optNum('garp_master_delay') ?? g.vrrpGarpMasterDelay,
      masterRepeat: r.optNum('garp_master_repeat') ?? g.vrrpGarpMasterRepeat,
      lowerPrioDelay,
      lowerPrioRepeat,
      masterRefresh: capTimer(r.optNum('garp_master_refresh')) ?? g.vrrpGarpMasterRefresh,
      masterRefreshRepeat: r.optNum('garp_master_refresh_repeat') ?? g.vrrpGarpMasterRefreshRepeat,
      interval: g.vrrpGarpInterval,
    },
    lowerPrioNoAdvert,
    higherPrioSendAdvert,
    timerExpiredBackup,
    downTimerAdverts,
    skipCheckAdvAddr: r.get<boolean>('skip_check_adv_addr') ?? g.vrrpSkipCheckAdvAddr,
    strictMode: strict,
    notify: notifyScripts(r),
    notifyDeleted: r.get('notify_deleted') !== undefined,
    smtpAlert: r.bool('smtp_alert'),
    notifyPriorityChanges: r.get<boolean>('notify_priority_changes') ?? null,
    vmac,
    useVmacAddr,
    vipVmacs: placed.vipVmacs,
    syncGroup: null,
    loc: r.raw.loc,
  };
  pendingTracks.set(instance, {
    scripts: r.list<TrackLine>('track_script'),
    interfaces: r.list<TrackLine>('track_interface'),
    files: r.list<TrackLine>('track_file'),
    processes: r.list<TrackProcessLine>('track_process'),
  });
  return instance;
}

function buildSyncGroup(name: string, r: RawReader, sink: DiagnosticSink): VrrpSyncGroup | null {
  const members = r.list<{ names: string[]; loc: SourceLoc }>('group').flatMap((l) => l.names);
  if (!r.has('group')) {
    sink.report(
      'error',
      'missing-parameter',
      `Sync group ${name} has no virtual router(s) - removing`,
      r.raw.loc,
    );
    return null;
  }
  const group: VrrpSyncGroup = {
    name,
    group: members,
    trackScripts: [],
    trackInterfaces: [],
    trackFiles: [],
    trackProcesses: [],
    notify: notifyScripts(r, true),
    smtpAlert: r.bool('smtp_alert'),
    syncGroupTrackingWeight: r.bool('sync_group_tracking_weight'),
    notifyPriorityChanges: r.get<boolean>('notify_priority_changes') ?? null,
    loc: r.raw.loc,
  };
  pendingTracks.set(group, {
    scripts: r.list<TrackLine>('track_script'),
    interfaces: r.list<TrackLine>('track_interface'),
    files: r.list<TrackLine>('track_file'),
    processes: r.list<TrackProcessLine>('track_process'),
  });
  return group;
}

// ---------------------------------------------------------------------------------------------
// LVS

function buildVsGroups(stmts: readonly Statement[], sink: DiagnosticSink): VirtualServerGroup[] {
  const out: VirtualServerGroup[] = [];
  const seen = new Set<string>();
  for (const s of stmts) {
    const name = s.args[0];
    if (name === undefined) {
      sink.report('error', 'missing-parameter', 'virtual_server_group requires a name', s.loc);
      continue;
    }
    if (s.block === null) {
      sink.report('error', 'missing-block', `Missing '{' at beginning of configuration block`, s.loc);
      continue;
    }
    if (seen.has(name)) {
      sink.report(
        'error',
        'duplicate',
        `virtual_server_group ${name} already defined - ignoring the second`,
        s.loc,
      );
      continue;
    }
    seen.add(name);
    const entries: GroupLine[] = [];
    for (const line of s.block) {
      if (line.block !== null) {
        sink.report('error', 'unexpected-block', `Unexpected '{' - ignoring`, line.loc);
        continue;
      }
      const e = groupLine(line, sink);
      if (e) entries.push(e);
    }
    if (entries.length === 0) {
      sink.report('error', 'empty-group', `virtual server group ${name} has no entries - removing`, s.loc);
      continue;
    }
    out.push({ name, entries, loc: s.loc });
  }
  return out;
}

interface VsHeader {
  readonly address: string | null;
  readonly family: AddressFamily | null;
  readonly port: number | null;
  readonly fwmark: number | null;
  readonly group: string | null;
}

function vsHeader(stmt: Statement, sink: DiagnosticSink): VsHeader | undefined {
  const a = stmt.args;
  if (a[0] === undefined) {
    sink.report(
      'error',
      'missing-parameter',
      'virtual_server requires an address, fwmark or group',
      stmt.loc,
    );
    return undefined;
  }
  if (a[0] === 'fwmark') {
    const m = parseIntValue(a[1], 1, 4294967295, sink, stmt.loc);
    return m === undefined ? undefined : { address: null, family: null, port: null, fwmark: m, group: null };
  }
  if (a[0] === 'group') {
    if (a[1] === undefined) {
      sink.report('error', 'missing-parameter', 'virtual_server group requires a name', stmt.loc);
      return undefined;
    }
    return { address: null, family: null, port: 0, fwmark: null, group: a[1] };
  }
  const addr = parseAddressValue(a[0], 'virtual_server', sink, stmt.loc);
  if (!addr) return undefined;
  let port = 0;
  if (a[1] !== undefined) {
    const p = parsePortValue(a[1], sink, stmt.loc);
    if (p === undefined) return undefined;
    port = p;
  }
  return { address: addr.address, family: addr.family, port, fwmark: null, group: null };
}

function buildVirtualServer(stmt: Statement, sink: DiagnosticSink): VirtualServer | null {
  if (stmt.block === null) {
    sink.report('error', 'missing-block', `Missing '{' at beginning of configuration block`, stmt.loc);
    return null;
  }
  const h = vsHeader(stmt, sink);
  if (!h) return null;
  const r = new RawReader(readBlock(stmt.block, virtualServerTable, sink, stmt.loc));
  const family: AddressFamily = h.family ?? r.get<AddressFamily>('ip_family') ?? 'inet';
  if (h.family !== null && r.has('ip_family') && r.get('ip_family') !== h.family) {
    sink.report(
      'error',
      'family-mismatch',
      `Virtual server specified family ${r.get<string>('ip_family')} conflicts with server family`,
      r.loc('ip_family'),
    );
  }
  let protocol: Protocol = r.get<Protocol>('protocol') ?? 'UDP';
  const shown = { address: h.address, port: h.port, fwmark: h.fwmark, group: h.group, protocol };
  if (!r.has('protocol') && h.fwmark === null) {
    sink.report(
      'warning',
      'default-protocol',
      `Virtual server ${formatVs(shown, false)}: no protocol set - defaulting to UDP`,
      stmt.loc,
    );
  }
  if (h.fwmark !== null && r.has('protocol')) {
    sink.report(
      'error',
      'fwmark-protocol',
      `Warning: Virtual server FWM ${h.fwmark}: protocol specified for fwmark - protocol will be ignored`,
      r.loc('protocol'),
    );
    protocol = 'TCP';
  }
  if (h.fwmark !== null && !r.has('protocol')) protocol = 'TCP';
  shown.protocol = protocol;
  const label = formatVs(shown);
  const scheduler: Scheduler = r.get<Scheduler>('lvs_sched') ?? 'wlc';
  if (!r.has('lvs_sched'))
    sink.report(
      'warning',
      'default-scheduler',
      `Virtual server ${label}: no scheduler set, setting default 'wlc'`,
      stmt.loc,
    );
  const method = r.get<MethodValue>('lvs_method');
  if (!method)
    sink.report(
      'warning',
      'default-method',
      `Virtual server ${label}: no forwarding method set, setting default NAT`,
      stmt.loc,
    );
  const vsMethod: ForwardingMethod = method?.method ?? 'NAT';

  let persistenceTimeout = r.num('persistence_timeout', 0);
  if (h.port === 0 && h.address !== null && persistenceTimeout === 0) {
    sink.report(
      'error',
      'zero-port',
      `Virtual server ${label}: zero port only valid for persistent services - setting`,
      stmt.loc,
    );
    persistenceTimeout = 360;
  }
  let onePacket = r.bool('ops');
  if (onePacket && protocol !== 'UDP') {
    sink.report(
      'error',
      'ops-not-udp',
      `Virtual server ${label}: one packet scheduling requires UDP - resetting`,
      r.loc('ops'),
    );
    onePacket = false;
  }
  // check_parser.c lbflags_handler: under sh or mh a flag of the other scheduler (and `hashed`)
  // is dropped silently; under any other scheduler each says it needs sh, mh-port too.
  if (scheduler !== 'sh' && scheduler !== 'mh') {
    for (const f of ['hashed', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'] as const) {
      if (r.bool(f))
        sink.report('error', 'sched-flag', `${f} only applies to sh scheduler - ignoring`, r.loc(f));
    }
  }

  const delayLoop = capTimer(r.num('delay_loop', DEFAULT_DELAY_LOOP));
  const inherit: Inherit = {
    delayLoop: capTimer(r.optNum('delay_loop')),
    connectTimeout: r.optNum('connect_timeout'),
    retry: r.optNum('retry'),
    delayBeforeRetry: capTimer(r.optNum('delay_before_retry')),
    warmup: capTimer(r.optNum('warmup')),
    alpha: r.bool('alpha'),
    virtualhost: r.str('virtualhost'),
  };

  let sorryServer: VirtualServer['sorryServer'] = null;
  const sorry = r.get<ServerAddress>('sorry_server');
  if (sorry) {
    if (sorry.family !== family) {
      sink.report(
        'error',
        'family-mismatch',
        `Address family of virtual server and sorry server ${sorry.address} don't match - skipping sorry server.`,
        sorry.loc,
      );
    } else {
      const sm = r.get<MethodValue>('sorry_server_lvs_method');
      sorryServer = {
        address: sorry.address,
        family: sorry.family,
        port: h.fwmark !== null ? 0 : (sorry.port ?? h.port ?? 0),
        forwardingMethod: sm?.method ?? vsMethod,
        tunnel: sm ? sm.tunnel : (method?.tunnel ?? null),
        inhibit: r.bool('sorry_server_inhibit'),
      };
    }
  } else {
    if (r.bool('sorry_server_inhibit'))
      sink.report(
        'error',
        'sorry',
        'Ignoring sorry_server inhibit used before or without sorry_server',
        r.loc('sorry_server_inhibit'),
      );
    if (r.has('sorry_server_lvs_method'))
      sink.report(
        'error',
        'sorry',
        'sorry_server forwarding used without sorry_server',
        r.loc('sorry_server_lvs_method'),
      );
  }

  const vsCtx: VsContext = {
    label,
    family,
    port: h.port,
    fwmark: h.fwmark,
    protocol,
    method: vsMethod,
    tunnel: method?.tunnel ?? null,
    weight: r.num('weight', 1),
    inhibitOnFailure: r.get<boolean>('inhibit_on_failure') ?? false,
    smtpAlert: r.get<boolean>('smtp_alert') ?? null,
    inherit,
  };
  const realServers: RealServer[] = [];
  const rsKeys = new Set<string>();
  for (const rsStmt of r.list<Statement>('real_server')) {
    const rs = buildRealServer(rsStmt, vsCtx, sink);
    if (!rs) continue;
    if (rsKeys.has(rs.key)) {
      sink.report(
        'error',
        'duplicate-rs',
        `VS ${label}: real server ${formatTrio(rs.address, protocol, rs.port)} is duplicated - removing second rs`,
        rs.loc,
      );
      continue;
    }
    rsKeys.add(rs.key);
    realServers.push(rs);
  }
  if (realServers.length === 0) {
    // check_parser.c vs_end_handler drops the whole virtual server.
    sink.report(
      'error',
      'no-real-servers',
      `Virtual server ${label} has no real servers - ignoring`,
      stmt.loc,
    );
    return null;
  }

  // check_data.c validate_check_config: a quorum above the total weight could never be reached,
  // and the hysteresis must stay below the quorum.
  const weightSum = realServers.reduce((sum, rs) => sum + rs.weight, 0);
  let quorum = r.num('quorum', 1);
  if (quorum > weightSum) {
    sink.report(
      'error',
      'quorum',
      `Warning - quorum ${quorum} for ${label} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`,
      r.loc('quorum'),
    );
    quorum = weightSum;
  }
  let hysteresis = r.num('hysteresis', 0);
  if (hysteresis > 0 && hysteresis >= quorum) {
    const reduced = Math.max(0, quorum - 1);
    sink.report(
      'error',
      'quorum',
      `Virtual server ${label}: hysteresis ${hysteresis} >= quorum ${quorum}; setting hysteresis to ${reduced}`,
      r.loc('hysteresis'),
    );
    hysteresis = reduced;
  }
  let haSuspend = r.bool('ha_suspend');
  if (haSuspend && h.fwmark !== null) {
    sink.report(
      'error',
      'ha-suspend',
      `Virtual server ${label}: cannot use ha_suspend with fwmarks - clearing ha_suspend`,
      r.loc('ha_suspend'),
    );
    haSuspend = false;
  }

  const key =
    h.fwmark !== null
      ? `fwmark:${family}:${h.fwmark}`
      : h.group !== null
        ? `group:${h.group}:${h.port ?? 0}`
        : `${protocol}:${h.address}:${h.port ?? 0}`;
  return {
    key,
    family,
    address: h.address,
    port: h.port,
    fwmark: h.fwmark,
    group: h.group,
    protocol,
    scheduler,
    forwardingMethod: vsMethod,
    tunnel: method?.tunnel ?? null,
    persistenceTimeout,
    persistenceGranularity: r.str('persistence_granularity'),
    persistenceEngine: r.str('persistence_engine'),
    flags: {
      onePacket,
      shPort: scheduler === 'sh' && r.bool('sh-port'),
      shFallback: scheduler === 'sh' && r.bool('sh-fallback'),
      mhPort: scheduler === 'mh' && r.bool('mh-port'),
      mhFallback: scheduler === 'mh' && r.bool('mh-fallback'),
      sched1: r.bool('flag-1'),
      sched2: r.bool('flag-2'),
      sched3: r.bool('flag-3'),
    },
    delayLoop,
    quorum,
    hysteresis,
    quorumUp: r.get<ScriptSpec>('quorum_up') ?? null,
    quorumDown: r.get<ScriptSpec>('quorum_down') ?? null,
    sorryServer,
    alpha: r.bool('alpha'),
    omega: r.get<boolean>('omega') ?? false,
    inhibitOnFailure: vsCtx.inhibitOnFailure,
    haSuspend,
    virtualhost: r.str('virtualhost'),
    smtpAlert: r.get<boolean>('smtp_alert') ?? false,
    realServers,
    loc: stmt.loc,
  };
}

/** Checker settings that flow down virtual_server -> real_server -> checker; null = unset. */
interface Inherit {
  readonly delayLoop: number | null;
  readonly connectTimeout: number | null;
  readonly retry: number | null;
  readonly delayBeforeRetry: number | null;
  readonly warmup: number | null;
  readonly alpha: boolean;
  readonly virtualhost: string | null;
}

interface VsContext {
  readonly label: string;
  readonly family: AddressFamily;
  readonly port: number | null;
  readonly fwmark: number | null;
  readonly protocol: Protocol;
  readonly method: ForwardingMethod;
  readonly tunnel: TunnelSettings | null;
  readonly weight: number;
  readonly inhibitOnFailure: boolean;
  readonly smtpAlert: boolean | null;
  readonly inherit: Inherit;
}

function buildRealServer(stmt: Statement, vs: VsContext, sink: DiagnosticSink): RealServer | null {
  const addr = serverAddress(stmt, 'real_server', sink);
  if (!addr) return null;
  if (addr.family !== vs.family) {
    sink.report(
      'error',
      'family-mismatch',
      `Address family of virtual server and real server ${addr.address} don't match - skipping real server.`,
      stmt.loc,
    );
    return null;
  }
  const r = new RawReader(readBlock(stmt.block ?? [], realServerTable, sink, stmt.loc));
  const method = r.get<MethodValue>('lvs_method');
  const forwardingMethod = method?.method ?? vs.method;
  let port: number;
  if (vs.fwmark !== null) {
    if (addr.port !== null && addr.port !== 0) {
      sink.report(
        'error',
        'rs-port',
        `WARNING - fwmark virtual server ${vs.label}, real server ${formatTrio(addr.address, null, addr.port)} has port specified - clearing`,
        stmt.loc,
      );
    }
    port = 0;
  } else if (addr.port === null) port = vs.port ?? 0;
  else if (forwardingMethod !== 'NAT' && addr.port !== vs.port && vs.port !== 0) {
    sink.report(
      'error',
      'rs-port',
      `WARNING - virtual server ${vs.label} and real server ${formatTrio(addr.address, vs.protocol, addr.port)} ports don't match - resetting`,
      stmt.loc,
    );
    port = vs.port ?? 0;
  } else port = addr.port;

  const inherit: Inherit = {
    delayLoop: capTimer(r.optNum('delay_loop')) ?? vs.inherit.delayLoop,
    connectTimeout: r.optNum('connect_timeout') ?? vs.inherit.connectTimeout,
    retry: r.optNum('retry') ?? vs.inherit.retry,
    delayBeforeRetry: capTimer(r.optNum('delay_before_retry')) ?? vs.inherit.delayBeforeRetry,
    warmup: capTimer(r.optNum('warmup')) ?? vs.inherit.warmup,
    alpha: r.get<boolean>('alpha') ?? vs.inherit.alpha,
    virtualhost: r.str('virtualhost') ?? vs.inherit.virtualhost,
  };
  const checkers: Checker[] = [];
  for (const c of r.list<RawChecker>('checkers')) {
    const built = buildChecker(c, addr.address, port, inherit, sink);
    if (built) checkers.push(built);
  }
  return {
    key: `${addr.address}|${port}`,
    address: addr.address,
    family: addr.family,
    port,
    weight: r.optNum('weight') ?? vs.weight,
    inhibitOnFailure: r.get<boolean>('inhibit_on_failure') ?? vs.inhibitOnFailure,
    forwardingMethod,
    tunnel: method ? method.tunnel : vs.tunnel,
    uthreshold: r.optNum('uthreshold'),
    lthreshold: r.optNum('lthreshold'),
    alpha: inherit.alpha,
    notifyUp: r.get<ScriptSpec>('notify_up') ?? null,
    notifyDown: r.get<ScriptSpec>('notify_down') ?? null,
    virtualhost: inherit.virtualhost,
    smtpAlert: r.get<boolean>('smtp_alert') ?? vs.smtpAlert ?? true,
    checkers,
    loc: stmt.loc,
  };
}

function buildUrl(raw: RawBlock, ssl: boolean, sink: DiagnosticSink): HttpUrl | null {
  const u = new RawReader(raw);
  const path = u.str('path');
  if (path === null) {
    sink.report('error', 'missing-parameter', 'url has no path - ignoring', raw.loc);
    return null;
  }
  return {
    path,
    digest: u.str('digest'),
    statusCodes: u.get<[number, number][]>('status_code') ?? [[200, 299]],
    virtualhost: u.str('virtualhost'),
    regex: u.str('regex'),
    regexNoMatch: u.bool('regex_no_match'),
    // SSL_GET's urls only (keepalived 2.2.8+).
    tlsCompliant: ssl && u.bool('tls_compliant'),
  };
}

function buildChecker(
  c: RawChecker,
  rsAddress: string,
  rsPort: number,
  inh: Inherit,
  sink: DiagnosticSink,
): Checker | null {
  const r = new RawReader(c.raw);
  const loc = c.raw.loc;
  if (c.type === 'FILE_CHECK') {
    const trackFile = r.str('track_file');
    if (trackFile === null) {
      sink.report('error', 'missing-parameter', 'FILE_CHECK has no track_file - ignoring', loc);
      return null;
    }
    const w = r.get<{ weight: number; reverse: boolean }>('weight');
    return {
      type: 'FILE_CHECK',
      trackFile,
      weight: w?.weight ?? 0,
      weightReverse: w?.reverse ?? false,
      dynamic: r.bool('dynamic'),
      loc,
    };
  }
  const delayLoop = capTimer(r.optNum('delay_loop')) ?? inh.delayLoop ?? DEFAULT_DELAY_LOOP;
  // Plain values then object literals (no spreads): this runs once per checker, 40,000 times on
  // the 2,000 x 20 benchmark config.
  const warmup = capTimer(r.optNum('warmup')) ?? inh.warmup ?? delayLoop;
  const retry = r.optNum('retry') ?? inh.retry ?? CHECKER_RETRY[c.type];
  const delayBeforeRetry =
    capTimer(r.optNum('delay_before_retry')) ??
    inh.delayBeforeRetry ??
    CHECKER_DELAY_BEFORE_RETRY[c.type] ??
    delayLoop;
  const alpha = r.get<boolean>('alpha') ?? inh.alpha;
  const logAllFailures = r.bool('log_all_failures');
  if (c.type === 'MISC_CHECK') {
    const misc = r.get<ScriptSpec>('misc_path');
    if (!misc) {
      sink.report(
        'error',
        'missing-script',
        'No script path has been specified for MISC_CHECKER - skipping',
        loc,
      );
      return null;
    }
    const user = r.get<{ user: string; group: string | null }>('user');
    return {
      type: 'MISC_CHECK',
      delayLoop,
      warmup,
      retry,
      delayBeforeRetry,
      alpha,
      logAllFailures,
      loc,
      miscPath: user ? { ...misc, user: user.user, group: user.group } : misc,
      miscTimeout: r.optNum('misc_timeout') ?? delayLoop,
      miscDynamic: r.bool('misc_dynamic'),
      ...(c.endLoc ? { endLoc: c.endLoc } : {}),
    };
  }
  const connecting = {
    type: c.type,
    delayLoop,
    warmup,
    retry,
    delayBeforeRetry,
    alpha,
    logAllFailures,
    loc,
    connectTimeout: r.optNum('connect_timeout') ?? inh.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    connectIp: r.str('connect_ip') ?? rsAddress,
    connectPort: r.optNum('connect_port') ?? rsPort,
    bindTo: r.str('bindto'),
    bindPort: r.optNum('bind_port'),
    bindIf: r.str('bind_if'),
    fwmark: r.optNum('fwmark'),
  };
  // check_api.c check_conn_opts, from each connecting checker's end handler: a link-local
  // destination is on no interface without bind_if, and the checker is dropped.
  if (connecting.bindIf === null && isIpv6LinkLocal(connecting.connectIp)) {
    sink.report(
      'error',
      'missing-interface',
      `Checker link local address ${connecting.connectIp} requires a bind_if`,
      loc,
    );
    return null;
  }
  if (c.type === 'TCP_CHECK' || c.type === 'PING_CHECK') return connecting as TcpCheck | PingCheck;
  switch (c.type) {
    case 'HTTP_GET':
    case 'SSL_GET': {
      const urls: HttpUrl[] = [];
      for (const u of r.list<RawBlock>('url')) {
        const url = buildUrl(u, c.type === 'SSL_GET', sink);
        if (url) urls.push(url);
      }
      if (urls.length === 0) {
        sink.report('error', 'missing-url', 'HTTP/SSL_GET checker has no urls specified - ignoring', loc);
        return null;
      }
      return {
        ...connecting,
        type: c.type,
        urls,
        httpProtocol: (r.str('http_protocol') as '1.0' | '1.0C' | '1.1' | null) ?? '1.0',
        virtualhost: r.str('virtualhost') ?? inh.virtualhost,
        enableSni: r.bool('enable_sni'),
        sniName: r.str('sni_name'),
        fastRecovery: r.bool('fast_recovery'),
        tlsCompliant: c.type === 'SSL_GET' && r.bool('tls_compliant'),
      };
    }
    case 'SMTP_CHECK':
      return {
        ...connecting,
        type: 'SMTP_CHECK',
        heloName: r.str('helo_name') ?? 'smtpchecker.keepalived.org',
      };
    case 'DNS_CHECK':
      return {
        ...connecting,
        type: 'DNS_CHECK',
        queryType: (r.str('type') as 'SOA' | null) ?? 'SOA',
        name: r.str('name') ?? '.',
      };
    case 'UDP_CHECK': {
      const reply = r.get<string>('require_reply');
      return {
        ...connecting,
        type: 'UDP_CHECK',
        payload: r.str('payload'),
        requireReply: reply !== undefined,
        replyPattern: reply ? reply : null,
        minReplyLength: r.num('min_reply_length', 0),
        maxReplyLength: r.num('max_reply_length', 255),
      };
    }
  }
}

/**
 * `timer_expired_backup [PRIO]` (keepalived 2.2.8+ vrrp_parser.c): the highest priority of the
 * other routers, 254 by default, 0 when absent or rejected; `thread_timer_expired` is read as it
 * with a line asking for the new name.
 */
function timerExpiredBackupPriority(
  name: string,
  line: TimerExpiredBackupLine | undefined,
  sink: DiagnosticSink,
): number {
  if (line === undefined) return 0;
  if (line.keyword === 'thread_timer_expired') {
    sink.report(
      'error',
      'deprecated',
      `(${name}) thread_timer_expired - please replace with keyword 'timer_expired_backup'`,
      line.loc,
    );
  }
  if (line.priority === null) return 254;
  const prio = parseUnsignedValue(line.priority, 1, 254, sink, line.loc);
  if (prio === undefined) {
    sink.report(
      'error',
      'out-of-range',
      `(${name}) timer_expired_backup highest_other_priority not valid! must be between 1 & 254`,
      line.loc,
    );
    return 0;
  }
  return prio;
}
