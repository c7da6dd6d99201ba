/**
 * The desired IPVS table in kernel terms, PURE. `DesiredTable` (src/contracts/ipvs-table.ts) is
 * what the checker pool produces; `toKernelTable` turns it into kernel terms (ServiceSpec /
 * DestinationSpec keyed by identity), applying the rules keepalived applies when it fills its
 * service and destination rules (ipvswrapper.c):
 *   - IP_VS_SVC_F_PERSISTENT whenever persistence_timeout > 0; the granularity only then;
 *   - ops -> IP_VS_SVC_F_ONEPACKET; sh-/mh-fallback -> SCHED1; sh-/mh-port -> SCHED2; flag-N -> SCHEDN;
 *   - a destination that is not NAT gets the service's port (0 for fwmark services), since only
 *     masquerading can translate ports.
 */
import type {
  DesiredDestination,
  DesiredDestinationChange,
  DesiredService,
  DesiredTable,
} from '../contracts/ipvs-table.js';
import { parseAddress } from '../util/ip.js';
import {
  IP_VS_SVC_F_ONEPACKET,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED1,
  IP_VS_SVC_F_SCHED2,
  IP_VS_SVC_F_SCHED3,
  IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
  IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
} from './constants.js';
import { canonicalIpv4Value, destinationKey, PROTOCOL_NUMBERS, serviceKey } from './messages.js';
import type { DestinationSpec, IpvsTable, ServiceIdentity, ServiceSpec } from './types.js';

export interface KernelTableResult {
  readonly table: IpvsTable;
  /** Entries left out, with the reason (bad address, duplicate identity). */
  readonly problems: readonly string[];
}

/** Granularity -> IPVS_SVC_ATTR_NETMASK value (IPv4 mask as u32, IPv6 prefix length). */
export function granularityToNetmask(text: string | null, family: 'inet' | 'inet6'): number | null {
  if (text === null) return family === 'inet' ? 0xffffffff : 128;
  const t = text.trim();
  if (family === 'inet') {
    const prefix = /^\/?(\d{1,2})$/.exec(t);
    if (prefix) {
      const n = Number(prefix[1]);
      return n > 32 ? null : n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
    }
    const p = parseAddress(t);
    if (!p || p.family !== 'inet' || p.prefixLength !== null) return null;
    return p.address.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
  }
  const m = /^\/?(\d{1,3})$/.exec(t);
  if (!m) return null;
  const n = Number(m[1]);
  return n >= 1 && n <= 128 ? n : null;
}

const TUN_FLAGS = {
  nocsum: IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
  csum: IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  remcsum: IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
} as const;

/** The canonical text of an address of `family`, or null (canonical IPv4 text is its own form). */
function canonicalAddress(text: string, family: 'inet' | 'inet6'): string | null {
  if (family === 'inet' && canonicalIpv4Value(text) >= 0) return text;
  const a = parseAddress(text);
  return a && a.prefixLength === null && a.family === family ? a.address : null;
}

export function serviceIdentityOf(s: DesiredService): ServiceIdentity | string {
  if (s.fwmark !== null && s.fwmark > 0) return { kind: 'fwmark', family: s.family, fwmark: s.fwmark };
  if (s.address === null || s.port === null || s.protocol === null) {
    return `virtual server ${s.key}: neither fwmark nor protocol, address and port`;
  }
  const address = canonicalAddress(s.address, s.family);
  if (address === null) return `virtual server ${s.key}: address ${s.address} is not ${s.family}`;
  return {
    kind: 'addr',
    family: s.family,
    protocol: PROTOCOL_NUMBERS[s.protocol],
    address,
    port: s.port,
  };
}

export function serviceSpecOf(s: DesiredService): ServiceSpec | string {
  const id = serviceIdentityOf(s);
  if (typeof id === 'string') return id;
  const persistent = s.persistenceTimeout > 0;
  let flags = persistent ? IP_VS_SVC_F_PERSISTENT : 0;
  if (s.flags.onePacket) flags |= IP_VS_SVC_F_ONEPACKET;
  if (s.flags.sched1 || s.flags.shFallback || s.flags.mhFallback) flags |= IP_VS_SVC_F_SCHED1;
  if (s.flags.sched2 || s.flags.shPort || s.flags.mhPort) flags |= IP_VS_SVC_F_SCHED2;
  if (s.flags.sched3) flags |= IP_VS_SVC_F_SCHED3;
  const netmask = persistent
    ? granularityToNetmask(s.persistenceGranularity, s.family)
    : granularityToNetmask(null, s.family);
  if (netmask === null) {
    return `virtual server ${s.key}: persistence_granularity ${s.persistenceGranularity} is not valid for ${s.family}`;
  }
  return {
    id,
    scheduler: s.scheduler,
    flags,
    timeout: persistent ? s.persistenceTimeout : 0,
    netmask,
    peName: null,
  };
}

export function destinationSpecOf(d: DesiredDestination, service: ServiceIdentity): DestinationSpec | string {
  const address = canonicalAddress(d.address, d.family);
  if (address === null) return `real server ${d.key}: address ${d.address} is not ${d.family}`;
  const servicePort = service.kind === 'fwmark' ? 0 : service.port;
  const tunnel =
    d.forwardingMethod === 'TUN'
      ? {
          type: d.tunnel?.type ?? 'ipip',
          port: d.tunnel?.type === 'gue' ? (d.tunnel.port ?? 0) : 0,
          flags: TUN_FLAGS[d.tunnel?.checksum ?? 'nocsum'],
        }
      : null;
  return {
    family: d.family,
    address,
    port: d.forwardingMethod === 'NAT' ? d.port : servicePort,
    forwarding: d.forwardingMethod,
    weight: d.weight,
    upperThreshold: d.uthreshold,
    lowerThreshold: d.lthreshold,
    tunnel,
  };
}

/** The desired table in kernel terms, keyed by identity (serviceKey / destinationKey). */
export function toKernelTable(desired: DesiredTable): KernelTableResult {
  const { kernel, problems } = DesiredKernelTable.build(desired);
  return { table: kernel.table, problems };
}

/** A kernel destination a change may have made differ: service and destination identity keys. */
export interface TouchedDestination {
  readonly service: string;
  readonly dest: string;
}

interface DesiredEntry {
  /** serviceKey of the kernel service, or null: left out (a problem, or a duplicate identity). */
  readonly kernelKey: string | null;
  readonly id: ServiceIdentity | null;
  /** Each desired destination's kernel spec (null: a problem), by DesiredDestination.key, in order. */
  readonly specs: Map<string, DestinationSpec | null>;
  /** How many desired destinations map to each kernel destination key. */
  readonly holders: Map<string, number>;
}

type KernelServices = Map<string, { service: ServiceSpec; destinations: Map<string, DestinationSpec> }>;

/**
 * The desired table in kernel terms, kept per desired service so that destination changes
 * (contracts/ipvs-table.ts `DesiredDestinationChange`) reach the kernel destinations they touch
 * in time proportional to their number. Two desired destinations IPVS sees as one (a DR server on
 * two ports, the sorry server's address) are one kernel destination: the first in the service's
 * order is kept, as `toKernelTable` does.
 */
export class DesiredKernelTable {
  private readonly services: KernelServices = new Map();
  private readonly entries = new Map<string, DesiredEntry>();

  private constructor() {}

  /** The kernel table; its maps change with `applyChanges`. */
  get table(): IpvsTable {
    return { services: this.services };
  }

  static build(desired: DesiredTable): { kernel: DesiredKernelTable; problems: string[] } {
    const k = new DesiredKernelTable();
    const problems: string[] = [];
    for (const s of desired.services) {
      const spec = serviceSpecOf(s);
      if (typeof spec === 'string') {
        problems.push(spec);
        k.entries.set(s.key, { kernelKey: null, id: null, specs: new Map(), holders: new Map() });
        continue;
      }
      const key = serviceKey(spec.id);
      if (k.services.has(key)) {
        problems.push(`virtual server ${s.key}: same IPVS service as an earlier one - ignoring`);
        if (!k.entries.has(s.key))
          k.entries.set(s.key, { kernelKey: null, id: null, specs: new Map(), holders: new Map() });
        continue;
      }
      const destinations = new Map<string, DestinationSpec>();
      const entry: DesiredEntry = { kernelKey: key, id: spec.id, specs: new Map(), holders: new Map() };
      for (const d of s.destinations) {
        if (entry.specs.has(d.key)) {
          problems.push(`real server ${d.key}: same IPVS destination as an earlier one - ignoring`);
          continue;
        }
        const ds = destinationSpecOf(d, spec.id);
        if (typeof ds === 'string') {
          problems.push(ds);
          entry.specs.set(d.key, null);
          continue;
        }
        const dk = destinationKey(ds);
        entry.specs.set(d.key, ds);
        entry.holders.set(dk, (entry.holders.get(dk) ?? 0) + 1);
        if (destinations.has(dk)) {
          problems.push(`real server ${d.key}: same IPVS destination as an earlier one - ignoring`);
          continue;
        }
        destinations.set(dk, ds);
      }
      k.entries.set(s.key, entry);
      k.services.set(key, { service: spec, destinations });
    }
    return { kernel: k, problems };
  }

  /**
   * Applies destination changes; returns the kernel destinations whose desired state they may
   * have changed, and the problems of the destinations set. A change for a service the table does
   * not hold (or left out) is ignored: services come only with a whole table.
   */
  applyChanges(changes: readonly DesiredDestinationChange[]): {
    touched: TouchedDestination[];
    problems: string[];
  } {
    const touched: TouchedDestination[] = [];
    const problems: string[] = [];
    for (const c of changes) {
      const entry = this.entries.get(c.service);
      if (entry === undefined || entry.kernelKey === null || entry.id === null) continue;
      const kernel = this.services.get(entry.kernelKey)!;
      const old = entry.specs.get(c.key);
      const oldKey = old === undefined || old === null ? null : destinationKey(old);
      let spec: DestinationSpec | null = null;
      if (c.destination !== null) {
        const ds = destinationSpecOf(c.destination, entry.id);
        if (typeof ds === 'string') problems.push(ds);
        else spec = ds;
        entry.specs.set(c.key, spec);
      } else entry.specs.delete(c.key);
      const newKey = spec === null ? null : destinationKey(spec);
      if (oldKey !== null) entry.holders.set(oldKey, entry.holders.get(oldKey)! - 1);
      if (newKey !== null) entry.holders.set(newKey, (entry.holders.get(newKey) ?? 0) + 1);
      for (const dk of oldKey === newKey ? [newKey] : [oldKey, newKey]) {
        if (dk === null) continue;
        const holders = entry.holders.get(dk)!;
        if (holders === 0) {
          entry.holders.delete(dk);
          kernel.destinations.delete(dk);
        } else if (holders === 1 && dk === newKey) kernel.destinations.set(dk, spec!);
        else {
          // Several desired destinations are this one kernel destination: the first is kept.
          const first = firstHolder(entry.specs, dk);
          kernel.destinations.set(dk, first);
          if (dk === newKey && first !== spec)
            problems.push(`real server ${c.key}: same IPVS destination as an earlier one - ignoring`);
        }
        touched.push({ service: entry.kernelKey, dest: dk });
      }
    }
    return { touched, problems };
  }
}

function firstHolder(specs: ReadonlyMap<string, DestinationSpec | null>, dk: string): DestinationSpec {
  for (const s of specs.values()) if (s !== null && destinationKey(s) === dk) return s;
  throw new Error(`no destination ${dk} among its holders: this is a bug`);
}
