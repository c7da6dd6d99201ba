/**
 * PURE: the checker/IPVS part of the status model (contracts/status.ts) from what the main thread
 * holds: the config, the pool's health and desired table as the checker host last received them,
 * the operator's drains, the real servers' transition times, the checkers' last results (from the
 * worker) and the kernel's table with its counters (a dump; null with --no-ipvs).
 */
import type { CheckerStatus } from '../check/pool.js';
import { drainKey, type PoolHealth } from '../check/table.js';
import type { Config, RealServer, VirtualServer } from '../config/model.js';
import { formatRs, formatVs } from '../config/virtual-server-format.js';
import type { DesiredDestination, DesiredService, DesiredTable } from '../contracts/ipvs-table.js';
import type {
  CheckSummary,
  IpvsCounters,
  LvsStatus,
  RealServerCounters,
  RealServerStatus,
  VirtualServerStatus,
} from '../contracts/status.js';
import { destinationSpecOf, serviceSpecOf } from '../ipvs/desired.js';
import { destinationKey, serviceKey } from '../ipvs/messages.js';
import type { FullTable } from '../ipvs/sink.js';
import type { IpvsStats } from '../ipvs/types.js';

export interface LvsStatusInput {
  readonly config: Config;
  readonly health: PoolHealth;
  readonly table: DesiredTable;
  /** drainKey -> when it was drained (ms since the epoch). */
  readonly drained: ReadonlyMap<string, number>;
  /** drainKey -> when the real server last went up or down (ms since the epoch). */
  readonly transitions: ReadonlyMap<string, number>;
  /** The checkers' state with wall-clock `lastAttemptAt`, or null when the worker did not answer. */
  readonly checkers: readonly CheckerStatus[] | null;
  readonly ipvs: 'kernel' | 'dry-run';
  /** The kernel's table with its counters; null with --no-ipvs or when the dump failed. */
  readonly kernel: FullTable | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function checkSummary(c: CheckerStatus): CheckSummary | null {
  if (c.lastResult === null || c.lastAttemptAt === null) return null;
  return {
    ok: c.lastResult.kind === 'up',
    reason: c.lastResult.kind === 'down' ? c.lastResult.reason : null,
    latencyMs: Math.round((c.latencyMs ?? 0) * 1000) / 1000,
    at: iso(c.lastAttemptAt),
  };
}

function addStats(into: { -readonly [K in keyof IpvsCounters]: number }, s: IpvsStats): void {
  into.connections += s.conns;
  into.inPackets += s.inpkts;
  into.outPackets += s.outpkts;
  into.inBytes += s.inbytes;
  into.outBytes += s.outbytes;
}

const zeroCounters = () => ({ connections: 0, inPackets: 0, outPackets: 0, inBytes: 0, outBytes: 0 });

/** The kernel's entries for one desired service: the service and its destinations by desired key. */
function kernelEntries(kernel: FullTable, s: DesiredService) {
  const spec = serviceSpecOf(s);
  if (typeof spec === 'string') return null;
  const entry = kernel.services.get(serviceKey(spec.id));
  if (entry === undefined) return null;
  const dest = (d: DesiredDestination) => {
    const ds = destinationSpecOf(d, spec.id);
    return typeof ds === 'string' ? undefined : entry.destinations.get(destinationKey(ds));
  };
  return { service: entry.service, dest };
}

function realServerStatus(
  vs: VirtualServer,
  rs: RealServer,
  services: readonly DesiredService[],
  input: LvsStatusInput,
  checkers: readonly CheckerStatus[],
): RealServerStatus {
  const key = drainKey(vs.key, rs.key);
  const state = input.health.virtualServers.get(vs.key)?.realServers.get(rs.key);
  const dest = services[0]?.destinations.find((d) => d.key === rs.key);
  const summaries = checkers.map((c) => ({
    type: c.type,
    target: c.target,
    up: c.up,
    lastCheck: checkSummary(c),
  }));
  const latest = summaries
    .map((c) => c.lastCheck)
    .filter((c): c is CheckSummary => c !== null)
    .sort((a, b) => b.at.localeCompare(a.at))[0];
  let counters: RealServerCounters | null = null;
  if (input.kernel !== null && dest !== undefined) {
    const sum = { ...zeroCounters(), activeConnections: 0, inactiveConnections: 0 };
    let found = false;
    for (const s of services) {
      const d = kernelEntries(input.kernel, s)?.dest(dest);
      if (d === undefined) continue;
      found = true;
      sum.activeConnections += d.activeConns;
      sum.inactiveConnections += d.inactiveConns;
      if (d.stats !== null) addStats(sum, d.stats);
    }
    counters = found ? sum : null;
  }
  const drainedAt = input.drained.get(key);
  const transition = input.transitions.get(key);
  return {
    key: rs.key,
    name: formatRs(rs, vs),
    address: rs.address,
    port: rs.port,
    // No health yet (before the pool's first table): a server without checkers is up.
    healthy: state?.alive ?? rs.checkers.length === 0,
    weight: dest?.weight ?? 0,
    configuredWeight: rs.weight,
    effectiveWeight: state?.effectiveWeight ?? rs.weight,
    inTable: dest !== undefined,
    drained: drainedAt !== undefined,
    drainedAt: drainedAt === undefined ? null : iso(drainedAt),
    lastTransitionAt: transition === undefined ? null : iso(transition),
    lastCheck: latest ?? null,
    checkers: summaries,
    counters,
  };
}

function virtualServerStatus(
  vs: VirtualServer,
  input: LvsStatusInput,
  checkersByRs: ReadonlyMap<string, CheckerStatus[]>,
  servicesByVs: ReadonlyMap<string, DesiredService[]>,
): VirtualServerStatus {
  const services = servicesByVs.get(vs.key) ?? [];
  const state = input.health.virtualServers.get(vs.key);
  let weightSum = 0;
  for (const rs of state?.realServers.values() ?? []) if (rs.alive) weightSum += rs.effectiveWeight;
  const quorumUp = state?.quorumUp ?? false;
  let counters: IpvsCounters | null = null;
  if (input.kernel !== null) {
    const sum = zeroCounters();
    let found = false;
    for (const s of services) {
      const k = kernelEntries(input.kernel, s);
      if (k === null) continue;
      found = true;
      if (k.service.stats !== null) addStats(sum, k.service.stats);
    }
    counters = found ? sum : null;
  }
  return {
    key: vs.key,
    name: formatVs(vs),
    family: vs.family,
    protocol: vs.protocol,
    address: vs.address,
    port: vs.port,
    fwmark: vs.fwmark,
    group: vs.group,
    scheduler: vs.scheduler,
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
    quorumUp,
    weightSum,
    sorryServer:
      vs.sorryServer === null
        ? null
        : {
            address: vs.sorryServer.address,
            port: vs.sorryServer.port,
            active: state !== undefined && !quorumUp,
          },
    realServers: vs.realServers.map((rs) =>
      realServerStatus(vs, rs, services, input, checkersByRs.get(drainKey(vs.key, rs.key)) ?? []),
    ),
    counters,
  };
}

export function lvsStatus(input: LvsStatusInput): LvsStatus {
  const checkersByRs = new Map<string, CheckerStatus[]>();
  for (const c of input.checkers ?? []) {
    const k = drainKey(c.vs, c.rs);
    const list = checkersByRs.get(k);
    if (list === undefined) checkersByRs.set(k, [c]);
    else list.push(c);
  }
  // A virtual server's services: its key, or `${key}#N` (`#N.M`) for a group's entries (table.ts).
  const vsKeys = new Set(input.config.virtualServers.map((vs) => vs.key));
  const servicesByVs = new Map<string, DesiredService[]>();
  for (const s of input.table.services) {
    const vsKey = vsKeys.has(s.key) ? s.key : s.key.slice(0, s.key.lastIndexOf('#'));
    const list = servicesByVs.get(vsKey);
    if (list === undefined) servicesByVs.set(vsKey, [s]);
    else list.push(s);
  }
  return {
    ipvs: input.ipvs,
    virtualServers: input.config.virtualServers.map((vs) =>
      virtualServerStatus(vs, input, checkersByRs, servicesByVs),
    ),
  };
}
