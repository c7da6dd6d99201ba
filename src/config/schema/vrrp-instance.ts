/** `vrrp_instance` and `vrrp_sync_group` blocks -> VrrpInstance, VrrpSyncGroup (keywords/vrrp-instance.ts). */
import type {
  AuthHmacConfig,
  GlobalDefs,
  NotifyScripts,
  ScriptSpec,
  SourceLoc,
  Vip,
  VrrpInstance,
  VrrpSyncGroup,
  AddressFamily,
} from '../model.js';
import type { RawReader } from '../keywords/read.js';
import type { DiagnosticSink, KeywordSpec } from '../keywords/types.js';
import {
  AUTH_HMAC_KEY_MAX,
  AUTH_HMAC_KEY_MIN,
  AUTH_HMAC_WINDOW_MAX,
  AUTH_HMAC_WINDOW_MIN,
  decodeKeyValue,
  defaultTimeWindow,
  type KeyFileReader,
} from '../auth-hmac-key.js';
import {
  authenticationKeywords as AU,
  authHmacKeywords as AH,
  notifyKeywords as N,
  vrrpInstanceKeywords as VI,
  vrrpSyncGroupKeywords as SG,
  type TimerExpiredBackupLine,
  type VipLine,
} from '../keywords/vrrp-instance.js';
import { parseUnsignedValue } from '../keywords/values.js';
import { parseAddress } from '../../util/ip.js';
import type { PendingTracks, SourceLines } from '../semantic.js';
import type { RuleLine } from '../keywords/ip-rule.js';
import { completeIpvlan, completeVmac, placeVips } from '../vmac.js';
import { normaliseAdvertInt } from '../advert-int.js';
import { capTimer } from './common.js';

/**
 * What the VRRP blocks leave for the later steps of one build (schema.ts): their tracker lines,
 * resolved against the tracker blocks (semantic.ts resolveReferences), and their virtual_rules,
 * whose preferences are settled with the static rules' (static-entries.ts settleRulePriorities).
 * By name: both steps make new instance objects.
 */
export interface VrrpBuildState {
  readonly instanceTracks: Map<string, PendingTracks>;
  readonly groupTracks: Map<string, PendingTracks>;
  readonly virtualRules: Map<string, readonly RuleLine[]>;
  readonly lines: SourceLines;
}

/** An instance's or a sync group's notify scripts; a group has no deleted or rx_lower_pri one. */
function notifyScripts(r: RawReader, lines: SourceLines, group = false): NotifyScripts {
  const s = (k: KeywordSpec<ScriptSpec>) => {
    const spec = r.value(k) ?? null;
    if (spec !== null) lines.notifyScripts.set(spec, r.loc(k));
    return spec;
  };
  return {
    master: s(N.notify_master),
    backup: s(N.notify_backup),
    fault: s(N.notify_fault),
    stop: s(N.notify_stop),
    deleted: group ? null : (r.value(VI.notify_deleted)?.script ?? null),
    generic: s(N.notify),
    masterRxLowerPri: group ? null : s(VI.notify_master_rx_lower_pri),
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
  for (const line of r.items(VI.version)) {
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
  for (const line of a.items(AH.key)) {
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
  const active = a.value(AH.active_key);
  if (active) {
    const id = idOf(active.args[0]);
    if (id === null)
      report(`auth_hmac active_key '${active.args[0] ?? ''}' must be between 1 and 255`, active.loc);
    else activeKey = id;
  }

  let timeWindow = 0;
  const window = a.value(AH.time_window);
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
  const replay = a.value(AH.anti_replay);
  if (replay) {
    const v = replay.args[0] ?? '';
    if (v === 'time' || v === 'monotonic') antiReplay = v;
    else report(`auth_hmac anti_replay '${v}' must be time or monotonic`, replay.loc);
  }

  let mode: AuthHmacConfig['mode'] = 'enforce';
  const modeLine = a.value(AH.mode);
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

export function buildVrrpInstance(
  name: string,
  r: RawReader,
  g: GlobalDefs,
  sink: DiagnosticSink,
  vmacNames: Map<string, string>,
  keyFiles: KeyFileReader,
  pending: VrrpBuildState,
): VrrpInstance | null {
  const vridText = r.value(VI.virtual_router_id) ?? null;
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
      r.loc(VI.virtual_router_id),
    );
    // vrrp.c then finds no VRID when it completes the instance, and drops it saying so.
    sink.report('error', 'missing-vrid', `(${name}) the virtual router id must be set`, r.raw.loc);
    return null;
  }
  const stateText = r.written(VI.state) ? r.value(VI.state) : null;
  // vrrp.c vrrp_complete_instance: with no priority line a MASTER is the address owner (255),
  // anything else 100; with no state line the owner starts MASTER and the rest BACKUP.
  let priority = stateText === 'MASTER' ? 255 : 100;
  const prioText = r.value(VI.priority) ?? null;
  if (prioText !== null) {
    const p = /^\d+$/.test(prioText) ? Number(prioText) : NaN;
    if (p >= 1 && p <= 255) priority = p;
    else {
      sink.report(
        'error',
        'out-of-range',
        `(${name}) Priority not valid! must be between 1 & 255. Using default 100`,
        r.loc(VI.priority),
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
  const iface = r.value(VI.interface) ?? null;
  const dev = iface ?? g.defaultInterface;
  const vipLines = r.items(VI.virtual_ipaddress);
  const evipLines = r.items(VI.virtual_ipaddress_excluded);
  const peers = r.items(VI.unicast_peer);
  const unicastSrc = r.value(VI.unicast_src_ip) ?? null;
  // vrrp_parser.c vrrp_native_ipv6_handler: IPv6 unless an IPv4 address came first.
  const firstAddress = firstLine([
    vipLines[0] ?? null,
    peers[0] ?? null,
    unicastSrc === null ? null : { family: unicastSrc.family, loc: r.loc(VI.unicast_src_ip) },
  ]);
  let nativeIpv6 = r.written(VI.native_ipv6) ? r.loc(VI.native_ipv6) : null;
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
  const ipvlanLines = r.items(VI.use_ipvlan);
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

  const strictMode = r.value(VI.strict_mode) ?? g.vrrpStrict;
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
        xmitBase: r.written(VI.vmac_xmit_base) ? r.loc(VI.vmac_xmit_base) : null,
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
        line: r.value(VI.use_vmac),
        xmitBase: r.written(VI.vmac_xmit_base) ? r.loc(VI.vmac_xmit_base) : null,
        taken: vmacNames,
        prefix: g.vmacPrefix,
      },
      sink,
    );
  // vrrp.c: a VIP of the instance's family with no dev (or the instance's) goes on the VMAC;
  // use_vmac_addr and a VIP's use_vmac word give VIPs elsewhere VMACs of their own.
  const useVmacAddr = r.value(VI.use_vmac_addr);
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
      r.loc(VI.virtual_ipaddress),
    );
    for (const v of vips.splice(maxAddr)) evips.push(v);
  }
  // vrrp.c vrrp_complete_instance: `strict_mode`/`vrrp_strict` enforce RFC behaviour.
  const strict = strictMode;
  const strictReset = (spec: KeywordSpec, message: string) => {
    sink.report('error', 'strict-mode', `(${name}) ${message}`, r.loc(spec));
  };
  if (strict && stateText !== null && (state === 'MASTER') !== (priority === 255)) {
    strictReset(VI.state, 'State MASTER must match being address owner');
    state = priority === 255 ? 'MASTER' : 'BACKUP';
  }
  let allowNoVips = r.value(VI.no_virtual_ipaddress);
  if (allowNoVips && strict) {
    sink.report(
      'warning',
      'strict-mode',
      `(${name}) no_virtual_ipaddress and strict mode incompatible, clearing no_virtual_ipaddress`,
      r.loc(VI.no_virtual_ipaddress),
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
      r.loc(VI.unicast_peer),
    );
    return null;
  }

  // vrrp.c vrrp_complete_instance: whole seconds for v2, centiseconds for v3 (advert-int.ts).
  const adv = normaliseAdvertInt(name, r.value(VI.advert_int), version);
  for (const line of adv.lines) sink.report('error', 'advert-int', line, r.loc(VI.advert_int));
  const advertInt = adv.seconds;

  // `preempt` writes the same field (keywords/vrrp-instance.ts): the last of the two stands.
  let nopreempt = r.value(VI.nopreempt);
  let preemptDelay = r.value(VI.preempt_delay);
  // vrrp.c checks the owner's nopreempt first, then a MASTER's: one line, not two.
  if (nopreempt && priority === 255) {
    sink.report(
      'error',
      'nopreempt-owner',
      `(${name}) nopreempt is incompatible with priority 255. resetting nopreempt`,
      r.loc(VI.nopreempt),
    );
    nopreempt = false;
  }
  if (state === 'MASTER') {
    if (nopreempt) {
      sink.report(
        'error',
        'nopreempt-master',
        `(${name}) Warning - nopreempt will not work with initial state MASTER - clearing`,
        r.loc(VI.nopreempt),
      );
      nopreempt = false;
    }
    if (preemptDelay) {
      sink.report(
        'error',
        'nopreempt-master',
        `(${name}) Warning - preempt delay will not work with initial state MASTER - clearing`,
        r.loc(VI.preempt_delay),
      );
      preemptDelay = 0;
    }
  }
  if (preemptDelay && strict) {
    strictReset(VI.preempt_delay, 'preempt_delay is incompatible with strict mode - resetting');
    preemptDelay = 0;
  }
  if (preemptDelay && nopreempt) {
    strictReset(VI.preempt_delay, 'preempt_delay is incompatible with nopreempt mode - resetting');
    preemptDelay = 0;
  }
  let downTimerAdverts = r.value(VI.down_timer_adverts) ?? g.vrrpDownTimerAdverts;
  if (strict && downTimerAdverts !== 3) {
    strictReset(VI.down_timer_adverts, 'down_timer_adverts is incompatible with strict mode - resetting');
    downTimerAdverts = 3;
  }
  // `thread_timer_expired` writes the same field (keywords/vrrp-instance.ts).
  let timerExpiredBackup = timerExpiredBackupPriority(name, r.value(VI.timer_expired_backup), sink);
  if (timerExpiredBackup !== 0 && !nopreempt) {
    // vrrp.c vrrp_complete_instance (keepalived 2.2.8+): the keyword's old name in its line.
    sink.report(
      'error',
      'invalid-value',
      `(${name}) expired_timer_backup requires nopreempt - resetting`,
      r.loc(VI.timer_expired_backup),
    );
    timerExpiredBackup = 0;
  }
  let lowerPrioRepeat = r.value(VI.garp_lower_prio_repeat) ?? (strict ? 0 : g.vrrpGarpLowerPrioRepeat);
  if (strict && lowerPrioRepeat !== 0) {
    strictReset(VI.garp_lower_prio_repeat, 'Strict mode requires no repeat garps. resetting');
    lowerPrioRepeat = 0;
  }
  let lowerPrioDelay = r.value(VI.garp_lower_prio_delay) ?? (strict ? 0 : g.vrrpGarpLowerPrioDelay);
  if (strict && lowerPrioDelay !== 0) {
    strictReset(VI.garp_lower_prio_delay, 'Strict mode requires no repeat garp delay. resetting');
    lowerPrioDelay = 0;
  }
  let lowerPrioNoAdvert = r.value(VI.lower_prio_no_advert) ?? (strict ? true : g.vrrpLowerPrioNoAdvert);
  if (strict && !lowerPrioNoAdvert) {
    strictReset(VI.lower_prio_no_advert, 'Strict mode requires no lower priority advert. resetting');
    lowerPrioNoAdvert = true;
  }
  let higherPrioSendAdvert =
    r.value(VI.higher_prio_send_advert) ?? (strict ? false : g.vrrpHigherPrioSendAdvert);
  if (strict && higherPrioSendAdvert) {
    strictReset(
      VI.higher_prio_send_advert,
      'strict mode requires higher_prio_send_advert to be clear. resetting',
    );
    higherPrioSendAdvert = false;
  }

  const auth = r.child(VI.authentication);
  let authentication: VrrpInstance['authentication'] = null;
  if (auth) {
    const type = auth.value(AU.auth_type) ?? null;
    const pass = auth.value(AU.auth_pass) ?? null;
    // No auth_type (or an unknown one, reported below) is no authentication, as in keepalived.
    if (type === null) authentication = null;
    else if (type !== 'PASS' && type !== 'AH')
      sink.report(
        'error',
        'invalid-value',
        `(${name}) unknown authentication type '${type}'`,
        auth.loc(AU.auth_type),
      );
    else if (strict)
      sink.report(
        'error',
        'strict-mode',
        `(${name}) Strict mode does not support authentication. Ignoring.`,
        auth.raw.loc,
      );
    else if (version === 3)
      sink.report(
        'error',
        'auth-v3',
        `(${name}) VRRP version 3 does not support authentication. Ignoring.`,
        auth.raw.loc,
      );
    else if (pass === null || pass === '')
      sink.report(
        'error',
        'missing-parameter',
        `(${name}) Authentication specified but no password given. Ignoring`,
        auth.raw.loc,
      );
    else if (type === 'AH' && state === 'MASTER' && priority !== 255) {
      // Taking over needs the AH sequence number of an advert received first (vrrp.c).
      sink.report(
        'error',
        'auth-ah-master',
        `(${name}) Initial state master is incompatible with AH authentication - clearing`,
        r.loc(VI.state),
      );
      state = 'BACKUP';
      authentication = { type: 'AH', password: pass };
    } else authentication = { type: type === 'AH' ? 'AH' : 'PASS', password: pass };
  }

  const hmac = r.child(VI.auth_hmac);
  let authHmac: AuthHmacConfig | null = null;
  if (hmac) {
    authHmac = buildAuthHmac(name, hmac, advertInt, strict, sink, keyFiles);
    // vrrp.c vrrp_complete_instance: the extension supersedes the legacy mechanisms.
    if (authHmac !== null && authentication !== null) {
      sink.report(
        'error',
        'auth-hmac',
        `(${name}) auth_hmac cannot be combined with authentication, dropping legacy auth`,
        auth?.raw.loc ?? hmac.raw.loc,
      );
      authentication = null;
    }
  }

  // vrrp_parser.c vrrp_end_handler and vrrp.c: unicast keywords with no peer fall back to multicast.
  const unicastConfigured = [VI.unicast_src_ip, VI.unicast_peer, VI.check_unicast_src].some((k) =>
    r.written(k),
  );
  if (peers.length === 0 && r.written(VI.unicast_ttl)) {
    sink.report(
      'error',
      'unicast-no-peers',
      `(${name}): Cannot use unicast_ttl without unicast peers - resetting`,
      r.loc(VI.unicast_ttl),
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

  const routes = r.items(VI.virtual_routes);
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
    ...(r.written(VI.interface) ? { interfaceLoc: r.loc(VI.interface) } : {}),
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
    // Settled with the static rules' preferences (settleRulePriorities), from pending.virtualRules.
    virtualRules: [],
    trackScripts: [],
    trackInterfaces: [],
    trackFiles: [],
    trackProcesses: [],
    dontTrackPrimary: r.value(VI.dont_track_primary),
    // vrrp_ipvlan_handler: the ipvlan's address is the adverts' source unless one was set.
    mcastSrcIp:
      r.value(VI.mcast_src_ip)?.address ?? (unicastSrc === null ? (vmac?.ipvlan?.address ?? null) : null),
    unicastSrcIp: unicastSrc?.address ?? null,
    unicastPeers: peers.map((p) => ({ address: p.address, minTtl: p.minTtl, maxTtl: p.maxTtl })),
    unicastTtl: r.value(VI.unicast_ttl),
    checkUnicastSrc:
      r.value(VI.check_unicast_src) ||
      g.vrrpCheckUnicastSrc ||
      peers.some((p) => p.minTtl !== null || p.maxTtl !== null),
    garp: {
      masterDelay: r.value(VI.garp_master_delay) ?? g.vrrpGarpMasterDelay,
      masterRepeat: r.value(VI.garp_master_repeat) ?? g.vrrpGarpMasterRepeat,
      lowerPrioDelay,
      lowerPrioRepeat,
      masterRefresh: capTimer(r.value(VI.garp_master_refresh) ?? null) ?? g.vrrpGarpMasterRefresh,
      masterRefreshRepeat: r.value(VI.garp_master_refresh_repeat) ?? g.vrrpGarpMasterRefreshRepeat,
      interval: g.vrrpGarpInterval,
    },
    lowerPrioNoAdvert,
    higherPrioSendAdvert,
    timerExpiredBackup,
    downTimerAdverts,
    skipCheckAdvAddr: r.value(VI.skip_check_adv_addr) ?? g.vrrpSkipCheckAdvAddr,
    strictMode: strict,
    notify: notifyScripts(r, pending.lines),
    notifyDeleted: r.value(VI.notify_deleted) !== undefined,
    smtpAlert: r.value(VI.smtp_alert),
    notifyPriorityChanges: r.value(VI.notify_priority_changes) ?? null,
    vmac,
    useVmacAddr,
    vipVmacs: placed.vipVmacs,
    syncGroup: null,
    loc: r.raw.loc,
  };
  if (r.written(VI.virtual_rules)) pending.virtualRules.set(name, r.items(VI.virtual_rules));
  pending.instanceTracks.set(name, {
    scripts: r.items(VI.track_script),
    interfaces: r.items(VI.track_interface),
    files: r.items(VI.track_file),
    processes: r.items(VI.track_process),
  });
  return instance;
}

export function buildSyncGroup(
  name: string,
  r: RawReader,
  sink: DiagnosticSink,
  pending: VrrpBuildState,
): VrrpSyncGroup | null {
  const members = r.items(SG.group).flatMap((l) => l.names);
  if (!r.written(SG.group)) {
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
    notify: notifyScripts(r, pending.lines, true),
    smtpAlert: r.value(SG.smtp_alert),
    syncGroupTrackingWeight: r.value(SG.sync_group_tracking_weight),
    notifyPriorityChanges: r.value(SG.notify_priority_changes) ?? null,
    loc: r.raw.loc,
  };
  pending.groupTracks.set(name, {
    scripts: r.items(SG.track_script),
    interfaces: r.items(SG.track_interface),
    files: r.items(SG.track_file),
    processes: r.items(SG.track_process),
  });
  return group;
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
