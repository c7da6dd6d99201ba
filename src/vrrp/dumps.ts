/**
 * PURE: the text of keepalived's dump files for the VRRP side, from the instances' status:
 * the SIGUSR2 stats file (vrrp_print.c layout, /tmp/keepalived.stats) and the VRRP topology
 * part of the SIGUSR1 data file (/tmp/keepalived.data). The daemon writes them.
 */
import type { InstanceStatus } from './instance.js';

/** One block per instance, in keepalived's stats layout. */
export function vrrpStatsText(instances: readonly InstanceStatus[]): string {
  const lines: string[] = [];
  for (const s of instances) {
    const c = s.counters;
    lines.push(
      `VRRP Instance: ${s.name}`,
      '  Advertisements:',
      `    Received: ${c.advert_rcvd}`,
      `    Sent: ${c.advert_sent}`,
      `  Became master: ${c.become_master}`,
      `  Released master: ${c.release_master}`,
      '  Packet Errors:',
      `    Length: ${c.packet_len_err}`,
      `    TTL: ${c.ip_ttl_err}`,
      `    Invalid Type: ${c.invalid_type_rcvd}`,
      `    Advertisement Interval: ${c.advert_interval_err}`,
      `    Address List: ${c.addr_list_err}`,
      '  Authentication Errors:',
      `    Invalid Type: ${c.invalid_authtype}`,
      `    Type Mismatch: ${c.authtype_mismatch}`,
      `    Failure: ${c.auth_failure}`,
      '  Priority Zero:',
      `    Received: ${c.pri_zero_rcvd}`,
      `    Sent: ${c.pri_zero_sent}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The `VRRP Topology` section of the data file. */
export function vrrpDataText(instances: readonly InstanceStatus[]): string {
  const lines = ['------< VRRP Topology >------'];
  for (const s of instances) {
    lines.push(
      ` VRRP Instance = ${s.name}`,
      `   State = ${s.state}`,
      `   Wanted State = ${s.wantState}`,
      `   Priority = ${s.basePriority}`,
      `   Effective priority = ${s.effectivePriority}`,
      `   Master router = ${s.masterAddress ?? ''}`,
    );
  }
  return lines.join('\n') + '\n';
}
