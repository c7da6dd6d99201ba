/**
 * PURE: keepalived's names for services in log lines (check_data.c `format_vs`,
 * `inet_sockaddrtotrio`): `[10.1.1.163]:tcp:80`, `FWM 10`, `[GROUP]:80`.
 */
import type { Checker, Protocol, RealServer, VirtualServer } from '../config/model.js';

function trio(address: string, protocol: Protocol, port: number): string {
  return `[${address}]:${protocol.toLowerCase()}:${port}`;
}

/** A virtual server: `[IP]:proto:port`, `FWM N`, or `[GROUPNAME]:port`. */
export function formatVs(vs: VirtualServer): string {
  if (vs.group !== null) return `[${vs.group}]:${vs.port ?? 0}`;
  if (vs.fwmark !== null) return `FWM ${vs.fwmark}`;
  return trio(vs.address ?? '?', vs.protocol, vs.port ?? 0);
}

/** A real server (or sorry server) of `vs`: `[IP]:proto:port`. */
export function formatRs(rs: Pick<RealServer, 'address' | 'port'>, vs: VirtualServer): string {
  return trio(rs.address, vs.protocol, rs.port);
}

/** The endpoint a checker talks to (connect_ip/connect_port), else the real server. */
export function formatChecker(checker: Checker, rs: RealServer, vs: VirtualServer): string {
  if ('connectIp' in checker) return trio(checker.connectIp, vs.protocol, checker.connectPort);
  return formatRs(rs, vs);
}
