/**
 * PURE: the lines keepalived logs when a reload changes the virtual servers (ipwrapper.c
 * `clear_diff_services`, `clear_diff_rs`), from the old and new configuration and the table that
 * was programmed under the old one:
 *   - a virtual server (or group) gone from the configuration:
 *     `Removing Virtual Server [IP]:proto:port` / `Removing Virtual Server Group [NAME]`;
 *   - a real server gone from a virtual server that stays: `service RS no longer exist`, then
 *     `Removing service RS from VS VS` when it was in the table (alive, or inhibited at weight 0);
 *   - a real server whose configured weight changed:
 *     `Changing weight from A to B for active|inactive service RS of VS VS`, active when it was in
 *     the table.
 * Order: removed virtual servers in configuration order, then per changed virtual server its
 * removed real servers and then its weight changes.
 */
import { diffConfigs } from '../config/diff.js';
import type { Config, RealServer, VirtualServer } from '../config/model.js';
import { formatRs, formatVs } from '../config/virtual-server-format.js';
import type { DesiredTable } from '../contracts/ipvs-table.js';
import { serviceIdentities } from './table.js';

/** The IPVS identity of a service: family, protocol, address and port, or family and fwmark. */
function identityKey(s: {
  readonly family: string;
  readonly protocol: string | null;
  readonly address: string | null;
  readonly port: number | null;
  readonly fwmark: number | null;
}): string {
  return s.fwmark !== null
    ? `fwmark|${s.family}|${s.fwmark}`
    : `${s.family}|${s.protocol}|${s.address}|${s.port}`;
}

const destinationKey = (d: { readonly address: string; readonly port: number }): string =>
  `${d.address}|${d.port}`;

/** Which destinations (address|port) the table holds for each service identity. */
function indexTable(table: DesiredTable): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();
  for (const svc of table.services) {
    const id = identityKey(svc);
    let dests = index.get(id);
    if (dests === undefined) index.set(id, (dests = new Set()));
    for (const d of svc.destinations) dests.add(destinationKey(d));
  }
  return index;
}

/** The destination sets the table holds for the services `vs` stands for under `config`. */
function heldDestinations(
  index: ReadonlyMap<string, Set<string>>,
  vs: VirtualServer,
  config: Config,
): Set<string>[] {
  const held: Set<string>[] = [];
  for (const id of serviceIdentities(vs, config.virtualServerGroups)) {
    const dests = index.get(identityKey(id));
    if (dests !== undefined) held.push(dests);
  }
  return held;
}

export interface LvsReloadInput {
  /** The configuration in force before the reload. */
  readonly before: Config;
  readonly after: Config;
  /** The desired table last programmed, built from `before`. */
  readonly programmed: DesiredTable;
}

/** keepalived's reload lines for the virtual and real servers, in the order it logs them. */
export function lvsReloadLines({ before, after, programmed }: LvsReloadInput): string[] {
  const lines: string[] = [];
  const diff = diffConfigs(before, after).virtualServers;
  for (const vs of diff.removed) {
    lines.push(
      vs.group !== null
        ? `Removing Virtual Server Group [${vs.group}]`
        : `Removing Virtual Server ${formatVs(vs)}`,
    );
  }

  const index = indexTable(programmed);
  for (const c of diff.changed) {
    // keepalived acts on (and logs) a destination only where the table holds it for this VS.
    let held: Set<string>[] | null = null;
    const inTable = (rs: RealServer): boolean => {
      held ??= heldDestinations(index, c.before, before);
      return held.some((dests) => dests.has(destinationKey(rs)));
    };
    for (const rs of c.realServers.removed) {
      lines.push(`service ${formatRs(rs, c.before)} no longer exist`);
      if (inTable(rs)) {
        lines.push(`Removing service ${formatRs(rs, c.before)} from VS ${formatVs(c.before)}`);
      }
    }
    for (const { before: was, after: now } of c.realServers.changed) {
      if (was.weight === now.weight) continue;
      const state = inTable(was) ? 'active' : 'inactive';
      lines.push(
        `Changing weight from ${was.weight} to ${now.weight} for ${state} service ${formatRs(now, c.after)} of VS ${formatVs(c.after)}`,
      );
    }
  }
  return lines;
}
