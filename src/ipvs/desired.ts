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
import type { DesiredDestination, DesiredService, DesiredTable } from '../contracts/ipvs-table.js';
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
  const services = new Map<string, { service: ServiceSpec; destinations: Map<string, DestinationSpec> }>();
  const problems: string[] = [];
  for (const s of desired.services) {
    const spec = serviceSpecOf(s);
    if (typeof spec === 'string') {
      problems.push(spec);
      continue;
    }
    const key = serviceKey(spec.id);
    if (services.has(key)) {
      problems.push(`virtual server ${s.key}: same IPVS service as an earlier one - ignoring`);
      continue;
    }
    const destinations = new Map<string, DestinationSpec>();
    for (const d of s.destinations) {
      const ds = destinationSpecOf(d, spec.id);
      if (typeof ds === 'string') {
        problems.push(ds);
        continue;
      }
      const dk = destinationKey(ds);
      if (destinations.has(dk)) {
        problems.push(`real server ${d.key}: same IPVS destination as an earlier one - ignoring`);
        continue;
      }
      destinations.set(dk, ds);
    }
    services.set(key, { service: spec, destinations });
  }
  return { table: { services }, problems };
}
