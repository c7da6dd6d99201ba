/**
 * The desired IPVS table: what the checker pool (src/check/) says IPVS should hold now, and what
 * the IPVS writer (src/ipvs/) turns into kernel services and destinations. Both subsystems use
 * this one definition; they never import each other.
 *
 * Services and destinations carry the identity keys of the configuration they came from
 * (`VirtualServer.key`, `${key}#N` for the entries of a virtual_server_group, `addr|port` for a
 * real server), so reload and reconcile are keyed map diffs.
 */

export interface DesiredTable {
  readonly services: readonly DesiredService[];
}

export interface DesiredService {
  readonly key: string;
  readonly family: 'inet' | 'inet6';
  /** null for fwmark services */
  readonly protocol: 'TCP' | 'UDP' | 'SCTP' | null;
  readonly address: string | null;
  readonly port: number | null;
  readonly fwmark: number | null;
  readonly scheduler: string;
  readonly persistenceTimeout: number;
  /** IPv4 netmask text (`255.255.255.0`) or IPv6 prefix length (`64`, `/64`); null = per client. */
  readonly persistenceGranularity: string | null;
  readonly flags: DesiredServiceFlags;
  readonly destinations: readonly DesiredDestination[];
}

/** Scheduler flags as configured (`ops`, `sh-port`, `sh-fallback`, `mh-port`, ...). */
export interface DesiredServiceFlags {
  readonly onePacket: boolean;
  readonly shPort: boolean;
  readonly shFallback: boolean;
  readonly mhPort: boolean;
  readonly mhFallback: boolean;
  readonly sched1: boolean;
  readonly sched2: boolean;
  readonly sched3: boolean;
}

export interface DesiredDestination {
  readonly key: string;
  readonly address: string;
  readonly family: 'inet' | 'inet6';
  readonly port: number;
  readonly weight: number;
  readonly forwardingMethod: 'NAT' | 'DR' | 'TUN';
  readonly tunnel: DesiredTunnel | null;
  readonly uthreshold: number;
  readonly lthreshold: number;
}

/** Tunnel settings of a TUN destination (`tunnel_type`, `tunnel_port`, `tunnel_checksum`). */
export interface DesiredTunnel {
  readonly type: 'ipip' | 'gue' | 'gre';
  readonly port: number | null;
  readonly checksum: 'nocsum' | 'csum' | 'remcsum' | null;
}

/**
 * One destination of a service set or taken out, between two tables of the same services (a
 * health or drain change: services themselves change only on start and reload, which send the
 * whole table). `destination` null: the destination is no longer in the service.
 */
export interface DesiredDestinationChange {
  /** DesiredService.key */
  readonly service: string;
  /** DesiredDestination.key */
  readonly key: string;
  readonly destination: DesiredDestination | null;
}
