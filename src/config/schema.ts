/**
 * Statement tree + keyword tables -> the typed Config model. Every default is applied here, once:
 * the tables carry plain defaults, and the builders below resolve the ones that depend on other
 * values (checker timing inherited virtual_server -> real_server -> checker, real-server ports,
 * garp lower-priority values following the master ones, ...).
 *
 * Pure and total: any tree yields a Config plus diagnostics; nothing here throws on input.
 */
import type { Diagnostic } from './diagnostics.js';
import type { Config, SourceLoc, VirtualServer } from './model.js';
import type { Statement } from './tree.js';
import { formatVs } from './virtual-server-format.js';
import { RawReader, readBlock } from './keywords/read.js';
import { DiagnosticList } from './keywords/types.js';
import type { BlockTable, DiagnosticSink } from './keywords/types.js';
import { rootKeywords as R, rootTable } from './keywords/root.js';
import { globalDefsTable } from './keywords/global-defs.js';
import { trackFileTable, vrrpScriptTable, vrrpTrackProcessTable } from './keywords/trackers.js';
import { buildTrackProcess } from './track-process.js';
import { vrrpInstanceTable, vrrpSyncGroupTable } from './keywords/vrrp-instance.js';
import { noKeyFiles, type KeyFileReader } from './auth-hmac-key.js';
import { newSourceLines, resolveReferences } from './semantic.js';
import { buildStaticEntries, settleRulePriorities } from './static-entries.js';
import type { Mutable, SourceLines } from './semantic.js';

import { buildGlobalDefs } from './schema/global-defs.js';
import { buildTrackFile, buildVrrpScript } from './schema/trackers.js';
import { buildSyncGroup, buildVrrpInstance, type VrrpBuildState } from './schema/vrrp-instance.js';
import { buildVirtualServer, buildVsGroups } from './schema/virtual-server.js';
export {
  CHECKER_DELAY_BEFORE_RETRY,
  CHECKER_RETRY,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_DELAY_LOOP,
} from './schema/virtual-server.js';

export interface SchemaResult {
  readonly config: Config;
  readonly diagnostics: Diagnostic[];
  /** Lines the host checks quote (checkHost), from this build only. */
  readonly lines: SourceLines;
}

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
  for (const g of root.items(R.global_defs)) {
    if (g.block === null)
      sink.report('error', 'missing-block', `Missing '{' at beginning of configuration block`, g.loc);
    else for (const s of g.block) globalStatements.push(s); // no spread: blocks can be huge
  }
  for (const c of root.items(R.child_wait_time)) globalStatements.push(c);
  const firstGlobal = root.items(R.global_defs)[0];
  const globalDefs = buildGlobalDefs(
    readBlock(globalStatements, globalDefsTable, sink, firstGlobal?.loc ?? rootLoc),
    firstGlobal ? firstGlobal.loc : null,
  );

  const vrrpScripts = named(
    root.items(R.vrrp_script),
    'vrrp_script',
    vrrpScriptTable,
    sink,
    (name, raw, stmt) => buildVrrpScript(name, raw, sink, stmt.endLoc),
  );
  const trackFiles = named(root.items(R.track_file), 'track_file', trackFileTable, sink, (name, raw) =>
    buildTrackFile(name, raw, sink),
  );
  const trackProcesses = named(
    root.items(R.vrrp_track_process),
    'vrrp_track_process',
    vrrpTrackProcessTable,
    sink,
    (name, raw) => buildTrackProcess(name, raw, sink),
  );
  // Instances dropped when completed (a bad VRID, no VIP where one is required) still stand in
  // their sync group for keepalived's group checks, which run before instances are completed.
  const droppedInstances = new Set<string>();
  const vmacNames = new Map<string, string>();
  const vrrpState: VrrpBuildState = {
    instanceTracks: new Map(),
    groupTracks: new Map(),
    virtualRules: new Map(),
    lines: newSourceLines(),
  };
  const vrrpInstances = named(
    root.items(R.vrrp_instance),
    'vrrp_instance',
    vrrpInstanceTable,
    sink,
    (name, raw) => {
      const built = buildVrrpInstance(name, raw, globalDefs, sink, vmacNames, keyFiles, vrrpState);
      if (built === null) droppedInstances.add(name);
      return built;
    },
  );
  const vrrpSyncGroups = named(
    root.items(R.vrrp_sync_group),
    'vrrp_sync_group',
    vrrpSyncGroupTable,
    sink,
    (name, raw) => buildSyncGroup(name, raw, sink, vrrpState),
  );
  const virtualServerGroups = buildVsGroups(root.items(R.virtual_server_group), sink);
  const virtualServers: VirtualServer[] = [];
  const vsKeys = new Set<string>();
  for (const stmt of root.items(R.virtual_server)) {
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
  const settled = settleRulePriorities(
    statements,
    statics.staticRules,
    vrrpInstances,
    vrrpState.virtualRules,
    sink,
  );
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
  resolveReferences(
    draft,
    sink,
    { instances: vrrpState.instanceTracks, groups: vrrpState.groupTracks },
    vrrpState.lines,
    droppedInstances,
    order,
  );
  return { config: draft, diagnostics: sink.items, lines: vrrpState.lines };
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
