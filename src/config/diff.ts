/**
 * Keyed diff of two Configs for reload (architecture: "reload is a pure diff keyed by identity").
 * Identities: VRRP instances by keepalived's reload identity (identity.ts: VRID, family,
 * interface, unicast source or multicast group), the one the VRRP reload matches them by;
 * scripts, track files, sync groups and virtual-server groups by name;
 * virtual servers by `key` (`<proto>:<addr>:<port>`, `fwmark:<af>:<mark>`, `group:<name>:<port>`);
 * real servers by `key` (`addr|port`) within their virtual server. `loc` never counts as a
 * change: moving a block in the file is not a reload event.
 */
import { vrrpInstanceIdentity } from './identity.js';
import type { Config, RealServer, VirtualServer } from './model.js';

export interface CollectionDiff<T> {
  readonly added: readonly T[];
  readonly removed: readonly T[];
  readonly changed: readonly { readonly before: T; readonly after: T }[];
  readonly unchanged: readonly T[];
}

export interface VirtualServerChange {
  readonly before: VirtualServer;
  readonly after: VirtualServer;
  /** True when anything but the real-server list differs (scheduler, persistence, ...). */
  readonly serviceChanged: boolean;
  readonly realServers: CollectionDiff<RealServer>;
}

export interface ConfigDiff {
  readonly globalDefsChanged: boolean;
  readonly vrrpScripts: CollectionDiff<Config['vrrpScripts'][number]>;
  readonly trackFiles: CollectionDiff<Config['trackFiles'][number]>;
  readonly trackProcesses: CollectionDiff<Config['trackProcesses'][number]>;
  readonly vrrpInstances: CollectionDiff<Config['vrrpInstances'][number]>;
  readonly vrrpSyncGroups: CollectionDiff<Config['vrrpSyncGroups'][number]>;
  readonly virtualServerGroups: CollectionDiff<Config['virtualServerGroups'][number]>;
  readonly virtualServers: Omit<CollectionDiff<VirtualServer>, 'changed'> & {
    readonly changed: readonly VirtualServerChange[];
  };
}

/** A field that tells where something was written (`loc`, `interfaceLoc`, ...). */
const isLocKey = (k: string): boolean => k === 'loc' || k.endsWith('Loc');

/** Structural equality of model values, ignoring every `loc` (and `...Loc`) field. */
export function sameIgnoringLoc(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameIgnoringLoc(x, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => !isLocKey(k));
  const kb = Object.keys(b).filter((k) => !isLocKey(k));
  if (ka.length !== kb.length) return false;
  const ob = b as Record<string, unknown>;
  const oa = a as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(ob, k) && sameIgnoringLoc(oa[k], ob[k]));
}

export function diffCollection<T>(
  before: readonly T[],
  after: readonly T[],
  key: (x: T) => string,
): CollectionDiff<T> {
  const old = new Map(before.map((x) => [key(x), x]));
  const added: T[] = [];
  const changed: { before: T; after: T }[] = [];
  const unchanged: T[] = [];
  const seen = new Set<string>();
  for (const x of after) {
    const k = key(x);
    seen.add(k);
    const prev = old.get(k);
    if (prev === undefined) added.push(x);
    else if (sameIgnoringLoc(prev, x)) unchanged.push(x);
    else changed.push({ before: prev, after: x });
  }
  const removed = before.filter((x) => !seen.has(key(x)));
  return { added, removed, changed, unchanged };
}

const byName = (x: { readonly name: string }) => x.name;
const byKey = (x: { readonly key: string }) => x.key;

export function diffConfigs(before: Config, after: Config): ConfigDiff {
  const vs = diffCollection(before.virtualServers, after.virtualServers, byKey);
  // Both sides are keyed with the new multicast group, as the VRRP reload matches them.
  const mcastGroup = after.globalDefs.vrrpMcastGroup4;
  return {
    globalDefsChanged: !sameIgnoringLoc(before.globalDefs, after.globalDefs),
    vrrpScripts: diffCollection(before.vrrpScripts, after.vrrpScripts, byName),
    trackFiles: diffCollection(before.trackFiles, after.trackFiles, byName),
    trackProcesses: diffCollection(before.trackProcesses, after.trackProcesses, byName),
    vrrpInstances: diffCollection(before.vrrpInstances, after.vrrpInstances, (i) =>
      vrrpInstanceIdentity(i, mcastGroup),
    ),
    vrrpSyncGroups: diffCollection(before.vrrpSyncGroups, after.vrrpSyncGroups, byName),
    virtualServerGroups: diffCollection(before.virtualServerGroups, after.virtualServerGroups, byName),
    virtualServers: {
      added: vs.added,
      removed: vs.removed,
      unchanged: vs.unchanged,
      changed: vs.changed.map(({ before: b, after: a }) => ({
        before: b,
        after: a,
        serviceChanged: !sameIgnoringLoc({ ...b, realServers: [] }, { ...a, realServers: [] }),
        realServers: diffCollection(b.realServers, a.realServers, byKey),
      })),
    },
  };
}
