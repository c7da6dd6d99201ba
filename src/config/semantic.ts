/**
 * Cross-reference checks over the model: tracker references, sync-group membership, duplicate
 * VRIDs, virtual_server group references (`resolveReferences`, pure, run by the schema); and the
 * checks against the host (`checkHost`: interfaces that exist, script security), which take the
 * host's facts as plain data gathered by load.ts.
 */
import type {
  Checker,
  Config,
  FileCheck,
  MiscCheck,
  ScriptSpec,
  SourceLoc,
  TrackRef,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
} from './model.js';
import type { DiagnosticSink } from './keywords/types.js';
import type { TrackLine, TrackProcessLine } from './keywords/trackers.js';
import { resolveTrackProcessLines } from './track-process.js';
import { formatVs } from './virtual-server-format.js';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Unresolved tracker lines, kept beside each instance/sync group until resolveReferences. */
export interface PendingTracks {
  readonly scripts: readonly TrackLine[];
  readonly interfaces: readonly TrackLine[];
  readonly files: readonly TrackLine[];
  readonly processes?: readonly TrackProcessLine[];
}

/**
 * Lines of the config that the model does not hold and the host checks quote, gathered by one
 * build of the model (schema.ts) and handed to checkHost with it: no state outlives a build.
 */
export interface SourceLines {
  /** The `track_script` line of each resolved reference. */
  readonly trackScripts: WeakMap<TrackRef, SourceLoc>;
  /** The line of each notify script (by its ScriptSpec), where keepalived asks for its user. */
  readonly notifyScripts: WeakMap<object, SourceLoc>;
}

export function newSourceLines(): SourceLines {
  return { trackScripts: new WeakMap(), notifyScripts: new WeakMap() };
}

/** Resolves names between blocks and drops what cannot be resolved, as keepalived does. */
export function resolveReferences(
  draft: Mutable<Config>,
  sink: DiagnosticSink,
  /** The tracker lines of each instance and sync group, by name (schema/vrrp-instance.ts). */
  tracks: {
    readonly instances: ReadonlyMap<string, PendingTracks>;
    readonly groups: ReadonlyMap<string, PendingTracks>;
  },
  sourceLines: SourceLines,
  droppedInstances: ReadonlySet<string> = new Set(),
  /** Reading order of the top-level blocks, by their first line. */
  order: ReadonlyMap<SourceLoc, number> = new Map(),
): void {
  const readLater = (target: { loc: SourceLoc }, owner: { loc: SourceLoc }) =>
    (order.get(target.loc) ?? -1) > (order.get(owner.loc) ?? Infinity);
  const scripts = new Map(draft.vrrpScripts.map((s) => [s.name, s]));
  const files = new Map(draft.trackFiles.map((f) => [f.name, f]));
  const processes = new Map(draft.trackProcesses.map((t) => [t.name, t]));

  const resolveTracks = (
    owner: string,
    lines: readonly TrackLine[] | undefined,
    kind: 'script' | 'file' | 'interface',
    ownerBlock: { loc: SourceLoc },
  ) => {
    const out: TrackRef[] = [];
    for (const l of lines ?? []) {
      if (kind === 'interface') {
        out.push({ name: l.name, weight: l.weight ?? 0, reverse: l.reverse });
        continue;
      }
      const found = kind === 'script' ? scripts.get(l.name) : files.get(l.name);
      // vrrp_parser.c looks the name up as it reads the line: a block further down is not found.
      const target = found && !readLater(found, ownerBlock) ? found : undefined;
      if (!target) {
        const what = kind === 'script' ? 'track script' : 'track file';
        sink.report('error', `unknown-${kind}`, `(${owner}) ${what} ${l.name} not found, ignoring...`, l.loc);
        continue;
      }
      const ref =
        l.weight === null
          ? { name: l.name, weight: target.weight, reverse: l.reverse || target.weightReverse }
          : { name: l.name, weight: l.weight, reverse: l.reverse };
      if (kind === 'script') sourceLines.trackScripts.set(ref, l.loc);
      out.push(ref);
    }
    return out;
  };

  const instances = draft.vrrpInstances.map((vi) => {
    const p = tracks.instances.get(vi.name);
    const m: Mutable<VrrpInstance> = { ...vi };
    m.trackScripts = resolveTracks(vi.name, p?.scripts, 'script', vi);
    m.trackFiles = resolveTracks(vi.name, p?.files, 'file', vi);
    m.trackProcesses = resolveTrackProcessLines(vi.name, p?.processes ?? [], processes, sink);
    // vrrp_track.c: the instance's own interface is always tracked (unless dont_track_primary).
    const ownInterface = (p?.interfaces ?? []).filter((l) => {
      if (l.name !== vi.interface || vi.dontTrackPrimary) return true;
      sink.report(
        'error',
        'track-own-interface',
        `(${vi.name}) Ignoring track_interface ${l.name} since own interface`,
        l.loc,
      );
      return false;
    });
    m.trackInterfaces = resolveTracks(vi.name, ownInterface, 'interface', vi);
    return m;
  });
  const byName = new Map(instances.map((i) => [i.name, i]));

  const groups: VrrpSyncGroup[] = [];
  for (const g of draft.vrrpSyncGroups) {
    const p = tracks.groups.get(g.name);
    const members: string[] = [];
    let dropped = 0;
    for (const name of g.group) {
      const inst = byName.get(name);
      if (!inst && droppedInstances.has(name)) {
        dropped++;
        continue;
      }
      if (!inst) {
        sink.report(
          'error',
          'unknown-instance',
          `Virtual router ${name} specified in sync group ${g.name} doesn't exist - ignoring`,
          g.loc,
        );
        continue;
      }
      if (inst.syncGroup !== null) {
        sink.report(
          'error',
          'multiple-sync-groups',
          `VRRP instance ${name} cannot be specified in more than one sync group - ignoring in ${g.name}`,
          g.loc,
        );
        continue;
      }
      if (members.includes(name)) continue;
      inst.syncGroup = g.name;
      members.push(name);
    }
    if (members.length === 0 && dropped > 0) continue;
    if (members.length === 0) {
      sink.report(
        'error',
        'empty-sync-group',
        `Sync group ${g.name} has no virtual router(s) - removing`,
        g.loc,
      );
      continue;
    }
    if (members.length + dropped === 1) {
      sink.report(
        'warning',
        'single-sync-group',
        `Sync group ${g.name} has only 1 virtual router(s) - this probably isn't what you want`,
        g.loc,
      );
    }
    groups.push({
      ...g,
      group: members,
      trackScripts: resolveTracks(g.name, p?.scripts, 'script', g),
      trackFiles: resolveTracks(g.name, p?.files, 'file', g),
      trackProcesses: resolveTrackProcessLines(g.name, p?.processes ?? [], processes, sink),
      trackInterfaces: resolveTracks(g.name, p?.interfaces, 'interface', g),
    });
  }

  // vrrp.c: two instances may not share a VRID on one interface and family (multicast or unicast).
  const vridOwner = new Map<string, VrrpInstance>();
  const kept: VrrpInstance[] = [];
  for (const vi of instances) {
    const family = vi.vips[0]?.family ?? (vi.unicastPeers[0]?.address.includes(':') ? 'inet6' : 'inet');
    const ifname = vi.interface ?? '';
    const key = `${ifname}|${family}|${vi.virtualRouterId}|${vi.unicastPeers.length > 0 ? 'u:' + (vi.unicastSrcIp ?? '') : 'm'}`;
    const other = vridOwner.get(key);
    if (other) {
      sink.report(
        'error',
        'duplicate-vrid',
        `${vi.name} and ${other.name} both use VRID ${vi.virtualRouterId} with IPv${family === 'inet' ? 4 : 6} on interface ${ifname}`,
        vi.loc,
      );
    } else vridOwner.set(key, vi);
    kept.push(vi);
  }

  // vrrp.c: lvs_sync_daemon follows an instance; its sync id defaults to that instance's VRID.
  const syncd = draft.globalDefs.lvsSyncDaemon;
  if (syncd && syncd.instance !== null) {
    const inst = byName.get(syncd.instance);
    if (!inst) {
      sink.report(
        'error',
        'unknown-instance',
        `Unable to find vrrp instance ${syncd.instance} for lvs_syncd - clearing lvs_syncd config`,
        draft.globalDefs.loc,
      );
      draft.globalDefs = { ...draft.globalDefs, lvsSyncDaemon: null };
    } else if (syncd.syncId === null) {
      draft.globalDefs = { ...draft.globalDefs, lvsSyncDaemon: { ...syncd, syncId: inst.virtualRouterId } };
    }
  }

  // check_file.c: FILE_CHECK names a track_file block.
  draft.virtualServers = draft.virtualServers.map((vs) => {
    const missing = (ck: Checker) => ck.type === 'FILE_CHECK' && !files.has(ck.trackFile);
    if (!vs.realServers.some((rs) => rs.checkers.some(missing))) return vs;
    return {
      ...vs,
      realServers: vs.realServers.map((rs) => ({
        ...rs,
        checkers: rs.checkers.filter((ck) => {
          if (!missing(ck)) return true;
          sink.report('error', 'unknown-file', `track_file ${(ck as FileCheck).trackFile} not found`, ck.loc);
          return false;
        }),
      })),
    };
  });

  const groupNames = new Set(draft.virtualServerGroups.map((g) => g.name));
  draft.virtualServers = draft.virtualServers.filter((vs) => {
    if (vs.group !== null && !groupNames.has(vs.group)) {
      sink.report(
        'error',
        'unknown-vs-group',
        `Virtual server group ${vs.group} specified but not configured - ignoring virtual server ${formatVs(vs)}`,
        vs.loc,
      );
      return false;
    }
    return true;
  });

  draft.vrrpInstances = kept;
  draft.vrrpSyncGroups = groups;
}

// ---------------------------------------------------------------------------------------------
// Host checks

/** What the host looks like, gathered by load.ts (or given by tests). */
export interface HostFacts {
  /** Interface names that exist, or null to skip interface checks (--no-interface-check). */
  readonly interfaces: ReadonlySet<string> | null;
  /** The loopback interfaces among them (ARPHRD_LOOPBACK); absent: none known. */
  readonly loopbacks?: ReadonlySet<string>;
  /** Security of a script path: `ok`, `missing`, or `insecure` (writable by non-root). */
  readonly scriptStatus: (path: string) => 'ok' | 'missing' | 'insecure';
  /** Whether a user name exists on this host. */
  readonly userExists: (name: string) => boolean;
  /** Whether a group name exists on this host; absent: every group does. */
  readonly groupExists?: (name: string) => boolean;
}

interface ScriptUse {
  /** The model object disabled when the script fails the checks. */
  readonly key: object;
  readonly what: string;
  readonly spec: { readonly argv: readonly string[]; readonly user: string | null };
  readonly loc: SourceLoc;
  /** Read by keepalived's VRRP part (else the checker's). */
  readonly vrrp: boolean;
}

function allScripts(c: Config): ScriptUse[] {
  const out: ScriptUse[] = [];
  const add = (
    what: string,
    spec: ScriptSpec | null,
    loc: SourceLoc,
    key: object | null = spec,
    vrrp = false,
  ) => {
    if (spec && key) out.push({ key, what, spec, loc, vrrp });
  };
  for (const s of c.vrrpScripts)
    out.push({
      key: s,
      what: `track script ${s.name}`,
      spec: { argv: s.argv, user: s.user },
      loc: s.loc,
      vrrp: true,
    });
  for (const i of c.vrrpInstances)
    for (const [k, v] of Object.entries(i.notify)) add(`${i.name} notify ${k}`, v, i.loc, v, true);
  for (const g of c.vrrpSyncGroups)
    for (const [k, v] of Object.entries(g.notify)) add(`${g.name} notify ${k}`, v, g.loc, v, true);
  for (const vs of c.virtualServers) {
    add('quorum_up', vs.quorumUp, vs.loc);
    add('quorum_down', vs.quorumDown, vs.loc);
    for (const rs of vs.realServers) {
      add('notify_up', rs.notifyUp, rs.loc);
      add('notify_down', rs.notifyDown, rs.loc);
      for (const ck of rs.checkers) if (ck.type === 'MISC_CHECK') add('misc_path', ck.miscPath, ck.loc, ck);
    }
  }
  return out;
}

/**
 * vrrp_parser.c vrrp_int_handler: a loopback interface (ARPHRD_LOOPBACK) cannot carry VRRP. The
 * interface is refused at its line (`(VI_1) cannot use a loopback interface (lo) for vrrp -
 * ignoring`); the instance then has none, and vrrp_complete_instance reports `(VI_1) Unknown
 * interface!` and drops it unless it is unicast with a source address and peers.
 */
function dropLoopbackInstances(c: Config, loopbacks: ReadonlySet<string>, sink: DiagnosticSink): Config {
  if (!c.vrrpInstances.some((vi) => vi.interface !== null && loopbacks.has(vi.interface))) return c;
  const kept: VrrpInstance[] = [];
  for (const vi of c.vrrpInstances) {
    if (vi.interface === null || !loopbacks.has(vi.interface)) {
      kept.push(vi);
      continue;
    }
    sink.report(
      'error',
      'loopback-interface',
      `(${vi.name}) cannot use a loopback interface (${vi.interface}) for vrrp - ignoring`,
      vi.interfaceLoc ?? vi.loc,
    );
    if (vi.unicastSrcIp !== null && vi.unicastPeers.length > 0) {
      kept.push({ ...vi, interface: null });
      continue;
    }
    sink.report('error', 'missing-interface', `(${vi.name}) Unknown interface!`, null);
  }
  const names = new Set(kept.map((vi) => vi.name));
  return {
    ...c,
    vrrpInstances: kept,
    vrrpSyncGroups: c.vrrpSyncGroups.map((g) => ({ ...g, group: g.group.filter((n) => names.has(n)) })),
  };
}

/**
 * Host-dependent checks, in keepalived's terms:
 * - an instance interface that does not exist: `WARNING - interface X for vrrp_instance Y
 *   doesn't exist` (a config error: exit 5), skipped when `interfaces` is null;
 * - scripts without `enable_script_security`: `SECURITY VIOLATION ...` (exit 6);
 * - with it: scripts missing or writable by non-root are disabled, and the default script user
 *   `keepalived_script` must exist unless `script_user` is set.
 * Returns the config with the disabled scripts taken out (vrrp_scripts and their track_script
 * references, notify and quorum scripts, MISC_CHECK checkers), as keepalived does.
 */
export function checkHost(c: Config, host: HostFacts, sink: DiagnosticSink, lines: SourceLines): Config {
  if (host.interfaces !== null) c = dropLoopbackInstances(c, host.loopbacks ?? new Set(), sink);
  if (host.interfaces !== null) {
    const known = host.interfaces;
    let missing = false;
    for (const vi of c.vrrpInstances) {
      if (vi.interface !== null && !known.has(vi.interface) && !c.globalDefs.dynamicInterfaces) {
        sink.report(
          'error',
          'missing-interface',
          `WARNING - interface ${vi.interface} for vrrp_instance ${vi.name} doesn't exist`,
          vi.loc,
        );
        missing = true;
      }
      for (const v of [...vi.vips, ...vi.excludedVips]) {
        // The VMACs are created at start (net/vmac.ts): a use_vmac_addr one's base must exist.
        const dev = vi.vipVmacs.find((x) => x.ifname === v.dev)?.base ?? v.dev;
        // vrrp.c places VIPs on a VMAC itself; a VIP naming an ipvlan (which it never places them
        // on) is checked as any other dev: keepalived refuses it until the ipvlan exists.
        const own = dev === vi.interface || (dev === vi.vmac?.ifname && vi.vmac.ipvlan === undefined);
        if (!own && !known.has(dev) && !c.globalDefs.dynamicInterfaces) {
          sink.report(
            'error',
            'missing-interface',
            `WARNING - interface ${dev} for ip address ${v.address} doesn't exist`,
            v.loc,
          );
          missing = true;
        }
      }
      for (const t of vi.trackInterfaces) {
        if (!known.has(t.name)) {
          sink.report(
            'error',
            'missing-interface',
            `(${vi.name}) tracked interface ${t.name} doesn't exist`,
            vi.loc,
          );
          missing = true;
        }
      }
    }
    if (missing)
      sink.report('error', 'missing-interface', 'Non-existent interface specified in configuration', null);
  }

  const g = c.globalDefs;
  // global_parser.c script_user_handler: a script_user that does not exist is reported at its line,
  // and lib/notify.c then fails every script that needs the default user, script security or not.
  // lib/notify.c set_uid_gid: the group, when given, must exist too.
  const groupExists = host.groupExists ?? (() => true);
  const globalUserBad =
    g.scriptUser !== null &&
    (!host.userExists(g.scriptUser.user) ||
      (g.scriptUser.group !== null && !groupExists(g.scriptUser.group)));
  if (globalUserBad)
    sink.report('error', 'script-user', 'Error setting global script uid/gid', g.scriptUserLoc ?? null);
  // Without script_user the default is keepalived_script; with script security, it must exist.
  const defaultUserMissing =
    globalUserBad ||
    (g.scriptUser === null && g.enableScriptSecurity && !host.userExists('keepalived_script'));
  if (defaultUserMissing) c = withoutDefaultUserScripts(c, !globalUserBad, sink, lines);
  const scripts = allScripts(c);
  if (scripts.length === 0) return c;
  const insecure = scripts.filter(
    (s) => s.spec.argv[0] !== undefined && host.scriptStatus(s.spec.argv[0]) === 'insecure',
  );
  if (!g.enableScriptSecurity) {
    sink.report(
      'security',
      'script-security',
      `SECURITY VIOLATION - scripts are being executed but script_security not enabled.${insecure.length > 0 ? ' There are insecure scripts.' : ''}`,
      null,
    );
    return c;
  }
  const disabled = new Set<object>();
  for (const s of scripts) {
    const path = s.spec.argv[0] ?? '';
    if (s.spec.user === null && defaultUserMissing) {
      // keepalived names a vrrp_script a `vrrp script` here (vrrp_parser.c).
      const what = s.what.replace(/^track script /, 'vrrp script ');
      sink.report('error', 'script-user', `Unable to set default user for ${what} - removing`, s.loc);
      disabled.add(s.key);
      continue;
    }
    if (s.spec.user !== null && !host.userExists(s.spec.user)) {
      sink.report('error', 'script-user', `Invalid user/group for ${s.what} ${path} - ignoring`, s.loc);
      disabled.add(s.key);
      continue;
    }
    const status = host.scriptStatus(path);
    if (status !== 'ok') disabled.add(s.key);
    if (status === 'missing')
      sink.report('error', 'script-missing', `Disabling ${s.what} since not found/accessible`, s.loc);
    else if (status === 'insecure') {
      sink.report(
        'error',
        'script-insecure',
        `Unsafe permissions found for script '${path}' - disabling.`,
        s.loc,
      );
    }
  }
  return disabled.size === 0 ? c : withoutScripts(c, disabled);
}

/** a before b: files in the order read, lines within one. */
function placeBefore(a: SourceLoc, b: SourceLoc, files: readonly string[]): boolean {
  const fa = files.indexOf(a.file);
  const fb = files.indexOf(b.file);
  return fa !== fb ? fa < fb : a.line < b.line;
}

/**
 * The scripts that need the default user when it cannot be had, taken out as keepalived 2.2.7
 * does while it reads the config. `-t` reads the checker's part first, then the VRRP part, and
 * lib/notify.c get_default_script_user says `Unable to set default user keepalived_script for
 * script` once, at the first script that asks (not after a failed script_user, which said its own
 * line). vrrp_parser.c vrrp_vscript_end_handler removes a vrrp_script at its closing `}`, and each
 * `track_script` naming it then finds nothing (`(VI_1) track script chk not found, ignoring...`).
 */
const misc = (s: ScriptUse): MiscCheck | null => {
  const k = s.key as Partial<MiscCheck>;
  return k.type === 'MISC_CHECK' ? (k as MiscCheck) : null;
};

function withoutDefaultUserScripts(
  c: Config,
  sayKeepalivedScript: boolean,
  sink: DiagnosticSink,
  lines: SourceLines,
): Config {
  const uses = allScripts(c).filter((s) => s.spec.user === null);
  if (uses.length === 0) return c;
  const scriptsByKey = new Map<object, VrrpScript>(c.vrrpScripts.map((s) => [s, s]));
  const at = (s: ScriptUse): SourceLoc =>
    scriptsByKey.get(s.key)?.endLoc ?? misc(s)?.endLoc ?? lines.notifyScripts.get(s.key) ?? s.loc;
  if (sayKeepalivedScript) {
    const checker = uses.filter((s) => !s.vrrp);
    const pool = checker.length > 0 ? checker : uses;
    const first = pool.reduce((a, b) => (placeBefore(at(b), at(a), c.files) ? b : a));
    sink.report('error', 'script-user', 'Unable to set default user keepalived_script for script', at(first));
  }
  const disabled = new Set<object>();
  const removed = new Set<string>();
  for (const s of uses) {
    disabled.add(s.key);
    const script = scriptsByKey.get(s.key);
    if (script) removed.add(script.name);
    // keepalived's names here (vrrp_parser.c, check_misc.c).
    const m = misc(s);
    const what = script
      ? `vrrp script ${script.name}`
      : m
        ? `misc script '${m.miscPath.argv[0] ?? ''}'`
        : s.what;
    sink.report('error', 'script-user', `Unable to set default user for ${what} - removing`, at(s));
  }
  const notFound = (owner: string, refs: readonly TrackRef[]) => {
    for (const t of refs)
      if (removed.has(t.name))
        sink.report(
          'error',
          'unknown-script',
          `(${owner}) track script ${t.name} not found, ignoring...`,
          lines.trackScripts.get(t) ?? null,
        );
  };
  for (const vi of c.vrrpInstances) notFound(vi.name, vi.trackScripts);
  for (const sg of c.vrrpSyncGroups) notFound(sg.name, sg.trackScripts);
  return withoutScripts(c, disabled);
}

/** The config without the disabled scripts and what refers to them. */
function withoutScripts(c: Config, disabled: ReadonlySet<object>): Config {
  const keep = <T extends object>(x: T | null): T | null => (x !== null && disabled.has(x) ? null : x);
  const goneScripts = new Set(c.vrrpScripts.filter((s) => disabled.has(s)).map((s) => s.name));
  const tracks = (refs: readonly TrackRef[]) => refs.filter((t) => !goneScripts.has(t.name));
  const notify = (n: VrrpInstance['notify']): VrrpInstance['notify'] => ({
    master: keep(n.master),
    backup: keep(n.backup),
    fault: keep(n.fault),
    stop: keep(n.stop),
    deleted: keep(n.deleted),
    generic: keep(n.generic),
    masterRxLowerPri: keep(n.masterRxLowerPri),
  });
  return {
    ...c,
    vrrpScripts: c.vrrpScripts.filter((s) => !disabled.has(s)),
    vrrpInstances: c.vrrpInstances.map((i) => ({
      ...i,
      trackScripts: tracks(i.trackScripts),
      notify: notify(i.notify),
    })),
    vrrpSyncGroups: c.vrrpSyncGroups.map((g) => ({
      ...g,
      trackScripts: tracks(g.trackScripts),
      notify: notify(g.notify),
    })),
    virtualServers: c.virtualServers.map((vs) => ({
      ...vs,
      quorumUp: keep(vs.quorumUp),
      quorumDown: keep(vs.quorumDown),
      realServers: vs.realServers.map((rs) => ({
        ...rs,
        notifyUp: keep(rs.notifyUp),
        notifyDown: keep(rs.notifyDown),
        checkers: rs.checkers.filter((ck) => !disabled.has(ck)),
      })),
    })),
  };
}
