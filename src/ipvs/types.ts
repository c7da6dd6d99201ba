/**
 * The kernel's view of IPVS objects, as the writer sends and the dumps return them. Identity
 * (what names a service or destination) is kept apart from the observed state (statistics,
 * connection counts), so reconcile and reload are map diffs keyed by identity.
 */

export type IpvsFamily = 'inet' | 'inet6';

/** Forwarding method: conn_flags & IP_VS_CONN_F_FWD_MASK. LOCAL and BYPASS are the kernel's own. */
export type ForwardingMethod = 'NAT' | 'LOCAL' | 'TUN' | 'DR' | 'BYPASS';

export type TunnelType = 'ipip' | 'gue' | 'gre';

/** What names a virtual service: (af, protocol, address, port) or (af, fwmark). */
export type ServiceIdentity =
  | {
      readonly kind: 'addr';
      readonly family: IpvsFamily;
      /** IPPROTO_* number (TCP 6, UDP 17, SCTP 132). */
      readonly protocol: number;
      /** Canonical text form. */
      readonly address: string;
      readonly port: number;
    }
  | { readonly kind: 'fwmark'; readonly family: IpvsFamily; readonly fwmark: number };

/** A service as IPVS_CMD_NEW_SERVICE / SET_SERVICE send it. */
export interface ServiceSpec {
  readonly id: ServiceIdentity;
  readonly scheduler: string;
  /** IP_VS_SVC_F_* bits user space owns (IP_VS_SVC_F_HASHED stripped). */
  readonly flags: number;
  /** Persistence timeout in seconds (0 when not persistent). */
  readonly timeout: number;
  /**
   * Persistence granularity as the kernel stores it: for IPv4 the mask as an unsigned 32-bit
   * number (0xffffff00 for 255.255.255.0); for IPv6 a prefix length (128 = per client).
   */
  readonly netmask: number;
  /** Persistence engine (`sip`) or null. */
  readonly peName: string | null;
}

export interface TunnelSpec {
  readonly type: TunnelType;
  /** GUE destination port (0 otherwise). */
  readonly port: number;
  /** IP_VS_TUNNEL_ENCAP_FLAG_* */
  readonly flags: number;
}

/** A destination (real server) as IPVS_CMD_NEW_DEST / SET_DEST send it. */
export interface DestinationSpec {
  readonly family: IpvsFamily;
  /** Canonical text form. */
  readonly address: string;
  readonly port: number;
  readonly forwarding: ForwardingMethod;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  /** Only for TUN; null otherwise. */
  readonly tunnel: TunnelSpec | null;
}

/** Counters of struct ip_vs_kstats as IPVS_STATS_ATTR_* report them (rates are per second). */
export interface IpvsStats {
  readonly conns: number;
  readonly inpkts: number;
  readonly outpkts: number;
  readonly inbytes: number;
  readonly outbytes: number;
  readonly cps: number;
  readonly inpps: number;
  readonly outpps: number;
  readonly inbps: number;
  readonly outbps: number;
}

export interface ServiceEntry extends ServiceSpec {
  /** STATS64 when the kernel sends it, else STATS; null when neither came. */
  readonly stats: IpvsStats | null;
}

export interface DestinationEntry extends DestinationSpec {
  readonly activeConns: number;
  readonly inactiveConns: number;
  readonly persistConns: number;
  readonly stats: IpvsStats | null;
}

export interface IpvsInfo {
  /** IP_VS_VERSION_CODE, e.g. 0x010201 for 1.2.1 */
  readonly version: number;
  readonly connTabSize: number;
}

export interface IpvsTimeouts {
  /** Seconds; 0 leaves the value unchanged on SET_CONFIG. */
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

export type SyncDaemonState = 'master' | 'backup';

export interface SyncDaemonSpec {
  readonly state: SyncDaemonState;
  readonly interface: string;
  readonly syncId: number;
  readonly maxlen: number | null;
  readonly port: number | null;
  readonly ttl: number | null;
  /** Multicast group text (IPv4 or IPv6), or null for the kernel's default. */
  readonly group: string | null;
}

/** A whole table: services with their destinations, keyed by identity. */
export interface IpvsTable<S extends ServiceSpec = ServiceSpec, D extends DestinationSpec = DestinationSpec> {
  readonly services: ReadonlyMap<
    string,
    { readonly service: S; readonly destinations: ReadonlyMap<string, D> }
  >;
}
