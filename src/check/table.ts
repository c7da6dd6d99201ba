/**
 * PURE: the pool's virtual-server rules and the desired IPVS table.
 *
 * - `vsInit` / `vsApply` / `vsShutdown` are the per-virtual-server reducers: they take the
 *   previous state and a real server's new health and return the new state plus the events
 *   keepalived would log and act on (ipwrapper.c `perform_svr_state`, `update_quorum_state`,
 *   `update_svr_wgt`, `clear_service_rs`; docs/behaviour.md §4.5-4.7).
 * - `desiredTable` is a pure function of (config, health, drained): what IPVS should hold now.
 *   A real server the operator drained (`keepalived-ts rs drain`, docs/control.md) keeps its
 *   place in the table at weight 0, so the scheduler sends it no new connections while its
 *   existing ones finish; its health and its part in quorum are unchanged.
 *
 * Quorum (ipwrapper.c `update_quorum_state`): with weight_sum the sum of effective weights of
 * alive servers, threshold = quorum + hysteresis while quorum is down (gain when
 * weight_sum >= threshold) and quorum - hysteresis while up (lose when weight_sum < threshold
 * or weight_sum = 0). Losing quorum with a sorry_server takes every live server out of the
 * table and puts the sorry server in; regaining it reverses that.
 */
import type {
  AddressFamily,
  Config,
  RealServer,
  SorryServer,
  VirtualServer,
  VirtualServerGroup,
} from '../config/model.js';
import { addressToBytes, bytesToAddress } from '../util/ip.js';
import { formatRs, formatVs } from '../config/virtual-server-format.js';
import type {
  DesiredDestination,
  DesiredDestinationChange,
  DesiredService,
  DesiredTable,
} from '../contracts/ipvs-table.js';

// ---------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------

export interface RsState {
  readonly alive: boolean;
  readonly effectiveWeight: number;
}

export interface VsState {
  readonly quorumUp: boolean;
  /** Keyed by RealServer.key. */
  readonly realServers: ReadonlyMap<string, RsState>;
}

/** Keyed by VirtualServer.key. */
export interface PoolHealth {
  readonly virtualServers: ReadonlyMap<string, VsState>;
}

/** Everything the pool reports; logging, notify scripts, metrics and status subscribe. */
export type PoolEvent =
  | {
      readonly kind: 'rs-up' | 'rs-down';
      readonly vs: string;
      readonly rs: string;
      readonly inhibit: boolean;
      readonly vsName: string;
      readonly rsName: string;
    }
  | {
      readonly kind: 'rs-weight';
      readonly vs: string;
      readonly rs: string;
      readonly from: number;
      readonly to: number;
      readonly alive: boolean;
      readonly vsName: string;
      readonly rsName: string;
    }
  | {
      readonly kind: 'quorum-up' | 'quorum-down';
      readonly vs: string;
      readonly vsName: string;
      readonly quorum: number;
      readonly hysteresis: number;
      readonly threshold: number;
      readonly weightSum: number;
      /** At start-up (`Starting with quorum down`) or shutdown (omega). */
      readonly phase: 'init' | 'run' | 'stop';
    }
  | {
      readonly kind: 'sorry-in' | 'sorry-out';
      readonly vs: string;
      readonly vsName: string;
      readonly sorryName: string;
      readonly inhibit: boolean;
    }
  | { readonly kind: 'alive-pool'; readonly vs: string; readonly vsName: string; readonly add: boolean }
  /**
   * alpha: the first check of a server that starts down failed; nothing changes, but keepalived
   * still notifies it down (ipwrapper.c update_svr_checker_state, !has_run).
   */
  | {
      readonly kind: 'rs-first-down';
      readonly vs: string;
      readonly rs: string;
      readonly vsName: string;
      readonly rsName: string;
    }
  | {
      readonly kind: 'rs-shutdown';
      readonly vs: string;
      readonly rs: string;
      readonly vsName: string;
      readonly rsName: string;
      readonly notify: boolean;
    }
  /** The whole table: at start (and from a reloaded pool's start). */
  | { readonly kind: 'table'; readonly table: DesiredTable }
  /**
   * What changed since the last `table` or `changes` (one per loop turn at most): the
   * destinations set or taken out, and the new state of each virtual server whose health changed.
   */
  | {
      readonly kind: 'changes';
      readonly destinations: readonly DesiredDestinationChange[];
      readonly health: ReadonlyMap<string, VsState>;
    };

export function weightSum(state: VsState): number {
  let sum = 0;
  for (const rs of state.realServers.values()) if (rs.alive) sum += rs.effectiveWeight;
  return sum;
}

function quorumEvent(
  vs: VirtualServer,
  kind: 'quorum-up' | 'quorum-down',
  threshold: number,
  sum: number,
  phase: 'init' | 'run' | 'stop',
): PoolEvent {
  return {
    kind,
    vs: vs.key,
    vsName: formatVs(vs),
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
    threshold,
    weightSum: sum,
    phase,
  };
}

function sorryEvent(vs: VirtualServer, sorry: SorryServer, kind: 'sorry-in' | 'sorry-out'): PoolEvent {
  return { kind, vs: vs.key, vsName: formatVs(vs), sorryName: formatRs(sorry, vs), inhibit: sorry.inhibit };
}

/** keepalived `update_quorum_state`: returns the new quorum flag and the events. */
function updateQuorum(
  vs: VirtualServer,
  state: VsState,
  phase: 'init' | 'run',
): { quorumUp: boolean; events: PoolEvent[] } {
  const sum = weightSum(state);
  const threshold = vs.quorum + (state.quorumUp ? -1 : 1) * vs.hysteresis;
  const events: PoolEvent[] = [];
  if (!state.quorumUp && sum >= threshold) {
    events.push(quorumEvent(vs, 'quorum-up', threshold, sum, phase));
    if (vs.sorryServer !== null) {
      events.push(sorryEvent(vs, vs.sorryServer, 'sorry-out'));
      events.push({ kind: 'alive-pool', vs: vs.key, vsName: formatVs(vs), add: true });
    }
    return { quorumUp: true, events };
  }
  if (
    (state.quorumUp && (sum === 0 || sum < threshold)) ||
    (phase === 'init' && !state.quorumUp && vs.sorryServer !== null)
  ) {
    events.push(quorumEvent(vs, 'quorum-down', threshold, sum, phase));
    if (vs.sorryServer !== null) {
      events.push(sorryEvent(vs, vs.sorryServer, 'sorry-in'));
      events.push({ kind: 'alive-pool', vs: vs.key, vsName: formatVs(vs), add: false });
    }
    return { quorumUp: false, events };
  }
  return { quorumUp: state.quorumUp, events };
}

/** Start-up: quorum is up when weight_sum >= quorum + hysteresis (`set_quorum_states`). */
export function vsInit(
  vs: VirtualServer,
  realServers: ReadonlyMap<string, RsState>,
): { state: VsState; events: PoolEvent[] } {
  const initial: VsState = { quorumUp: false, realServers };
  const quorumUp = weightSum(initial) >= vs.quorum + vs.hysteresis;
  const q = updateQuorum(vs, { quorumUp, realServers }, 'init');
  return { state: { quorumUp: q.quorumUp, realServers }, events: q.events };
}

/**
 * Reload: a virtual server that existed before keeps its quorum state (ipwrapper.c
 * `clear_diff_services` copies it); quorum is then re-evaluated against the new settings.
 */
export function vsResume(
  vs: VirtualServer,
  realServers: ReadonlyMap<string, RsState>,
  previousQuorumUp: boolean,
): { state: VsState; events: PoolEvent[] } {
  const q = updateQuorum(vs, { quorumUp: previousQuorumUp, realServers }, 'run');
  return { state: { quorumUp: q.quorumUp, realServers }, events: q.events };
}

/** A real server's health changed (alive and/or effective weight). */
export function vsApply(
  vs: VirtualServer,
  state: VsState,
  rs: RealServer,
  next: RsState,
): { state: VsState; events: PoolEvent[] } {
  const prev = state.realServers.get(rs.key);
  if (prev === undefined || (prev.alive === next.alive && prev.effectiveWeight === next.effectiveWeight))
    return { state, events: [] };
  const realServers = new Map(state.realServers);
  realServers.set(rs.key, next);
  let st: VsState = { quorumUp: state.quorumUp, realServers };
  const events: PoolEvent[] = [];
  const names = { vs: vs.key, rs: rs.key, vsName: formatVs(vs), rsName: formatRs(rs, vs) };
  // A weight change that comes with going down or up is silent (keepalived resets cur_weight).
  if (prev.effectiveWeight !== next.effectiveWeight && prev.alive === next.alive)
    events.push({
      kind: 'rs-weight',
      ...names,
      from: prev.effectiveWeight,
      to: next.effectiveWeight,
      alive: prev.alive,
    });
  if (prev.alive !== next.alive)
    events.push({ kind: next.alive ? 'rs-up' : 'rs-down', ...names, inhibit: rs.inhibitOnFailure });
  const q = updateQuorum(vs, st, 'run');
  st = { quorumUp: q.quorumUp, realServers };
  return { state: st, events: [...events, ...q.events] };
}

/**
 * Shutdown (`clear_service_rs`): every live server is shut down; with `omega` its notify_down
 * runs, and a VS whose quorum was up runs quorum_down.
 */
export function vsShutdown(vs: VirtualServer, state: VsState): PoolEvent[] {
  const events: PoolEvent[] = [];
  for (const rs of vs.realServers) {
    const s = state.realServers.get(rs.key);
    if (s === undefined || !s.alive) continue;
    events.push({
      kind: 'rs-shutdown',
      vs: vs.key,
      rs: rs.key,
      vsName: formatVs(vs),
      rsName: formatRs(rs, vs),
      notify: vs.omega,
    });
  }
  if (vs.omega && state.quorumUp)
    events.push(quorumEvent(vs, 'quorum-down', vs.quorum - vs.hysteresis, weightSum(state), 'stop'));
  return events;
}

// ---------------------------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------------------------

/** Upper bound on addresses one group range expands to (a typo must not build millions). */
export const MAX_RANGE_EXPANSION = 65536;

/** Addresses from `first` to `last` inclusive (same family; only the tail bytes differ). */
export function expandRange(first: string, last: string | null): string[] {
  if (last === null) return [first];
  const a = addressToBytes(first);
  const b = addressToBytes(last);
  if (a === null || b === null || a.length !== b.length) return [first];
  let lo = 0n;
  let hi = 0n;
  for (const x of a) lo = (lo << 8n) | BigInt(x);
  for (const x of b) hi = (hi << 8n) | BigInt(x);
  const out: string[] = [];
  for (let v = lo; v <= hi && out.length < MAX_RANGE_EXPANSION; v++) {
    const bytes = new Uint8Array(a.length);
    let t = v;
    for (let i = a.length - 1; i >= 0; i--) {
      bytes[i] = Number(t & 0xffn);
      t >>= 8n;
    }
    const text = bytesToAddress(bytes);
    if (text !== null) out.push(text);
  }
  return out;
}

export interface ServiceIdentity {
  key: string;
  family: AddressFamily;
  protocol: 'TCP' | 'UDP' | 'SCTP' | null;
  address: string | null;
  port: number | null;
  fwmark: number | null;
}

/** The IPVS services one virtual server stands for (a group: one per entry and address). */
export function serviceIdentities(
  vs: VirtualServer,
  groups: readonly VirtualServerGroup[],
): ServiceIdentity[] {
  if (vs.group === null) {
    if (vs.fwmark !== null)
      return [
        { key: vs.key, family: vs.family, protocol: null, address: null, port: null, fwmark: vs.fwmark },
      ];
    return [
      {
        key: vs.key,
        family: vs.family,
        protocol: vs.protocol,
        address: vs.address,
        port: vs.port,
        fwmark: null,
      },
    ];
  }
  const group = groups.find((g) => g.name === vs.group);
  if (group === undefined) return [];
  const out: ServiceIdentity[] = [];
  group.entries.forEach((entry, index) => {
    if (entry.kind === 'fwmark') {
      out.push({
        key: `${vs.key}#${index}`,
        family: entry.family,
        protocol: null,
        address: null,
        port: null,
        fwmark: entry.fwmark,
      });
      return;
    }
    const addresses = expandRange(entry.address, entry.lastAddress);
    addresses.forEach((address, n) => {
      out.push({
        // A single address keeps `${vs.key}#${index}`; a range numbers its addresses.
        key: entry.lastAddress === null ? `${vs.key}#${index}` : `${vs.key}#${index}.${n}`,
        family: entry.family,
        protocol: vs.protocol,
        address,
        port: entry.port,
        fwmark: null,
      });
    });
  });
  return out;
}

function destination(
  server: Pick<RealServer, 'address' | 'family' | 'port' | 'forwardingMethod' | 'tunnel'>,
  weight: number,
  uthreshold: number | null,
  lthreshold: number | null,
): DesiredDestination {
  return {
    key: `${server.address}|${server.port}`,
    address: server.address,
    family: server.family,
    port: server.port,
    weight,
    forwardingMethod: server.forwardingMethod,
    tunnel:
      server.tunnel === null
        ? null
        : { type: server.tunnel.type, port: server.tunnel.port, checksum: server.tunnel.checksum },
    uthreshold: uthreshold ?? 0,
    lthreshold: lthreshold ?? 0,
  };
}

/** Real servers the operator drained, as `drainKey(vs.key, rs.key)`. */
export type DrainedSet = ReadonlySet<string>;

const NONE_DRAINED: DrainedSet = new Set();

/** The key of a real server in a DrainedSet (the same as the pool snapshot's). */
export function drainKey(vsKey: string, rsKey: string): string {
  return `${vsKey} ${rsKey}`;
}

/** The destinations of one virtual server under `state` (keepalived §4.5-4.6). */
export function desiredDestinations(
  vs: VirtualServer,
  state: VsState | undefined,
  drained: DrainedSet = NONE_DRAINED,
): DesiredDestination[] {
  const sorryActive = vs.sorryServer !== null && state !== undefined && !state.quorumUp;
  const byKey = new Map<string, DesiredDestination>();
  for (const rs of vs.realServers) {
    const s = state?.realServers.get(rs.key) ?? { alive: false, effectiveWeight: rs.weight };
    let weight: number | null;
    if (sorryActive)
      weight = rs.inhibitOnFailure ? 0 : null; // live servers leave; inhibited ones drop to 0
    else if (s.alive) weight = s.effectiveWeight;
    else weight = rs.inhibitOnFailure ? 0 : null;
    // Drained: in the table where it would be, at weight 0 (connections finish, no new ones).
    if (weight !== null && drained.size > 0 && drained.has(drainKey(vs.key, rs.key))) weight = 0;
    if (weight !== null) byKey.set(rs.key, destination(rs, weight, rs.uthreshold, rs.lthreshold));
  }
  const sorry = vs.sorryServer;
  if (sorry !== null && (sorryActive || sorry.inhibit)) {
    const d = destination(sorry, sorryActive ? 1 : 0, null, null);
    const existing = byKey.get(d.key);
    if (existing === undefined || existing.weight < d.weight) byKey.set(d.key, d);
  }
  return [...byKey.values()];
}

/** The IPVS services (with destinations) of one virtual server under `state`. */
export function desiredServices(
  vs: VirtualServer,
  state: VsState | undefined,
  groups: readonly VirtualServerGroup[],
  drained: DrainedSet = NONE_DRAINED,
): DesiredService[] {
  return servicesWith(vs, serviceIdentities(vs, groups), desiredDestinations(vs, state, drained));
}

/** The IPVS services `identities` of one virtual server, each holding `destinations` (shared). */
export function servicesWith(
  vs: VirtualServer,
  identities: readonly ServiceIdentity[],
  destinations: readonly DesiredDestination[],
): DesiredService[] {
  return identities.map((id) => ({
    ...id,
    scheduler: vs.scheduler,
    persistenceTimeout: vs.persistenceTimeout,
    persistenceGranularity: vs.persistenceGranularity,
    flags: vs.flags,
    destinations,
  }));
}

/** PURE (config, health, drained) -> the IPVS table keepalived would hold (drained at weight 0). */
export function desiredTable(
  config: Config,
  health: PoolHealth,
  drained: DrainedSet = NONE_DRAINED,
): DesiredTable {
  const services: DesiredService[] = [];
  for (const vs of config.virtualServers)
    services.push(
      ...desiredServices(vs, health.virtualServers.get(vs.key), config.virtualServerGroups, drained),
    );
  return { services };
}

// ---------------------------------------------------------------------------------------------
// Changes
// ---------------------------------------------------------------------------------------------

function sameDestination(a: DesiredDestination, b: DesiredDestination): boolean {
  return (
    a.address === b.address &&
    a.family === b.family &&
    a.port === b.port &&
    a.weight === b.weight &&
    a.forwardingMethod === b.forwardingMethod &&
    a.uthreshold === b.uthreshold &&
    a.lthreshold === b.lthreshold &&
    (a.tunnel === null || b.tunnel === null
      ? a.tunnel === b.tunnel
      : a.tunnel.type === b.tunnel.type &&
        a.tunnel.port === b.tunnel.port &&
        a.tunnel.checksum === b.tunnel.checksum)
  );
}

/**
 * The changes that turn a virtual server's destinations `before` into `after`, for each of its
 * services (`serviceKeys`: one per group entry). Destinations are keyed by DesiredDestination.key;
 * those taken out come first, then those set, in `after`'s order.
 */
export function destinationChanges(
  serviceKeys: readonly string[],
  before: readonly DesiredDestination[],
  after: readonly DesiredDestination[],
): DesiredDestinationChange[] {
  const out: DesiredDestinationChange[] = [];
  const next = new Map(after.map((d) => [d.key, d]));
  const prev = new Map(before.map((d) => [d.key, d]));
  for (const d of before)
    if (!next.has(d.key))
      for (const service of serviceKeys) out.push({ service, key: d.key, destination: null });
  for (const d of after) {
    const p = prev.get(d.key);
    if (p === undefined || !sameDestination(p, d))
      for (const service of serviceKeys) out.push({ service, key: d.key, destination: d });
  }
  return out;
}

/**
 * The desired table keyed for changes: services in table order by DesiredService.key, each with
 * its destinations by DesiredDestination.key. A destination set again keeps its place; one taken
 * out and set later comes last (order within a service carries no meaning but for two
 * destinations IPVS sees as one, where the first is kept: ipvs/desired.ts).
 */
export type KeyedTable = Map<string, KeyedService>;

export interface KeyedService {
  /** The service as last received (its destinations are those of `destinations` until a change). */
  readonly service: DesiredService;
  readonly destinations: Map<string, DesiredDestination>;
  /** The service with its current destinations; null after a change, until asked for again. */
  view: DesiredService | null;
}

export function keyedTable(table: DesiredTable): KeyedTable {
  const out: KeyedTable = new Map();
  for (const service of table.services)
    if (!out.has(service.key))
      out.set(service.key, {
        service,
        destinations: new Map(service.destinations.map((d) => [d.key, d])),
        view: service,
      });
  return out;
}

/**
 * Applies changes to a keyed table in place, in time proportional to their number. A change
 * for a service the table does not hold is ignored (services come only with a whole table).
 */
export function applyDestinationChanges(
  table: KeyedTable,
  changes: readonly DesiredDestinationChange[],
): void {
  for (const c of changes) {
    const entry = table.get(c.service);
    if (entry === undefined) continue;
    if (c.destination === null) entry.destinations.delete(c.key);
    else entry.destinations.set(c.key, c.destination);
    entry.view = null;
  }
}

/**
 * The keyed table as a DesiredTable, services in order; a service no change touched since the
 * last call is the same object as then.
 */
export function tableOfKeyed(table: KeyedTable): DesiredTable {
  const services: DesiredService[] = [];
  for (const entry of table.values())
    services.push((entry.view ??= { ...entry.service, destinations: [...entry.destinations.values()] }));
  return { services };
}
