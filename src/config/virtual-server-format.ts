/**
 * PURE: keepalived's names for virtual and real servers in log lines and diagnostics (check_data.c
 * `format_vs` and `format_rs`, over `inet_sockaddrtotrio`): `[10.1.1.163]:tcp:80`, `FWM 10`,
 * `[GROUP]:80`. The one formatter for config, the checker pool and the daemon's reload lines.
 */
import type { Protocol, RealServer, VirtualServer } from './model.js';

/** `[address]:proto:port` (`inet_sockaddrtotrio`); a protocol not known (yet) prints `none`. */
export function formatTrio(address: string, protocol: Protocol | null, port: number): string {
  return `[${address}]:${protocol === null ? 'none' : protocol.toLowerCase()}:${port}`;
}

/** The parts of a virtual server its name is made of. */
export type VirtualServerName = Pick<VirtualServer, 'address' | 'port' | 'fwmark' | 'group' | 'protocol'>;

/**
 * A virtual server: `[GROUPNAME]:port`, `FWM N` or `[IP]:proto:port`, tested in that order as
 * `format_vs` does. `protocolKnown` false prints `none` for the protocol (the schema names a
 * virtual server before its protocol is settled).
 */
export function formatVs(vs: VirtualServerName, protocolKnown = true): string {
  if (vs.group !== null) return `[${vs.group}]:${vs.port ?? 0}`;
  if (vs.fwmark !== null) return `FWM ${vs.fwmark}`;
  return formatTrio(vs.address ?? '?', protocolKnown ? vs.protocol : null, vs.port ?? 0);
}

/** A real server (or sorry server) of `vs`: `[IP]:proto:port` with the virtual server's protocol. */
export function formatRs(
  rs: Pick<RealServer, 'address' | 'port'>,
  vs: Pick<VirtualServer, 'protocol'>,
): string {
  return formatTrio(rs.address, vs.protocol, rs.port);
}
