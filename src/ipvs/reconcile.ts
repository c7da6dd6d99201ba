/**
 * Reconcile, PURE: (desired, actual, owned) -> the smallest list of operations that makes the
 * kernel's table match the desired one for the services the daemon owns.
 *
 * Ownership: a service is ours iff its identity is in the desired table, or was in a desired
 * table this process applied (`owned`) and has not been deleted yet. Anything else in the kernel
 * is foreign and never touched (only an explicit lvs_flush clears it). After a restart (even
 * SIGKILL) the first dump plus the desired table converge with no duplicates: existing services
 * are edited in place, and a service that left the configuration while the daemon was down is
 * left alone, as foreign (see docs/ipvs.md).
 *
 * Minimality: one op per differing object. A service whose identity matches is edited
 * (SET_SERVICE) rather than re-created, so its destinations and connections survive; a
 * destination whose address and port match is edited (SET_DEST: weight, forwarding, thresholds,
 * tunnel). Deleting a service drops its destinations in the kernel, so no DEL_DEST precedes it.
 */
import { destinationKey, serviceKey } from './messages.js';
import type { DestinationSpec, IpvsTable, ServiceIdentity, ServiceSpec, TunnelSpec } from './types.js';

export type Op =
  | { readonly kind: 'add-service'; readonly service: ServiceSpec }
  | { readonly kind: 'edit-service'; readonly service: ServiceSpec }
  | { readonly kind: 'del-service'; readonly service: ServiceIdentity }
  | { readonly kind: 'add-dest'; readonly service: ServiceIdentity; readonly dest: DestinationSpec }
  | { readonly kind: 'edit-dest'; readonly service: ServiceIdentity; readonly dest: DestinationSpec }
  | { readonly kind: 'del-dest'; readonly service: ServiceIdentity; readonly dest: DestinationSpec };

export function sameService(a: ServiceSpec, b: ServiceSpec): boolean {
  return (
    a.scheduler === b.scheduler &&
    a.flags === b.flags &&
    a.timeout === b.timeout &&
    a.netmask >>> 0 === b.netmask >>> 0 &&
    (a.peName ?? null) === (b.peName ?? null)
  );
}

function sameTunnel(a: TunnelSpec | null, b: TunnelSpec | null): boolean {
  if (a === null || b === null) return a === b;
  return a.type === b.type && a.port === b.port && a.flags === b.flags;
}

/**
 * Whether a kernel destination already matches a desired one. The kernel reports LOCAL for a
 * NAT destination whose address is local to the director (it forwards those itself), so a
 * desired NAT matches an actual LOCAL.
 */
export function sameDest(desired: DestinationSpec, actual: DestinationSpec): boolean {
  const fwdMatch =
    desired.forwarding === actual.forwarding ||
    (desired.forwarding === 'NAT' && actual.forwarding === 'LOCAL');
  return (
    fwdMatch &&
    desired.weight === actual.weight &&
    desired.upperThreshold === actual.upperThreshold &&
    desired.lowerThreshold === actual.lowerThreshold &&
    (desired.forwarding !== 'TUN' || sameTunnel(desired.tunnel, actual.tunnel))
  );
}

/** The op that makes one kernel destination match (`desired` undefined: not wanted), or null. */
export function reconcileDestination(
  service: ServiceIdentity,
  desired: DestinationSpec | undefined,
  actual: DestinationSpec | undefined,
): Op | null {
  if (desired === undefined) return actual === undefined ? null : { kind: 'del-dest', service, dest: actual };
  if (actual === undefined) return { kind: 'add-dest', service, dest: desired };
  return sameDest(desired, actual) ? null : { kind: 'edit-dest', service, dest: desired };
}

/**
 * Reconcile restricted to the destinations `touched` (service and destination keys) after a
 * change of destinations only: the same ops `reconcile` would give when the kernel matched the
 * desired table before the change. A touched service the kernel does not hold (an earlier add
 * failed) is added whole, as `reconcile` would.
 */
export function reconcileTouched(
  desired: IpvsTable,
  actual: IpvsTable,
  touched: readonly { readonly service: string; readonly dest: string }[],
): Op[] {
  const ops: Op[] = [];
  const seen = new Set<string>();
  for (const t of touched) {
    const d = desired.services.get(t.service);
    if (d === undefined) continue;
    const a = actual.services.get(t.service);
    if (a === undefined) {
      if (seen.has(t.service)) continue;
      seen.add(t.service);
      ops.push({ kind: 'add-service', service: d.service });
      for (const dest of d.destinations.values()) ops.push({ kind: 'add-dest', service: d.service.id, dest });
      continue;
    }
    const k = `${t.service} ${t.dest}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const op = reconcileDestination(d.service.id, d.destinations.get(t.dest), a.destinations.get(t.dest));
    if (op !== null) ops.push(op);
  }
  return ops;
}

export function reconcile(desired: IpvsTable, actual: IpvsTable, owned: ReadonlySet<string>): Op[] {
  const ops: Op[] = [];
  // Services that left the desired table but are ours: delete (their destinations go with them).
  for (const [key, a] of actual.services) {
    if (!desired.services.has(key) && owned.has(key))
      ops.push({ kind: 'del-service', service: a.service.id });
  }
  for (const [key, d] of desired.services) {
    const a = actual.services.get(key);
    if (!a) {
      ops.push({ kind: 'add-service', service: d.service });
      for (const dest of d.destinations.values()) ops.push({ kind: 'add-dest', service: d.service.id, dest });
      continue;
    }
    if (!sameService(d.service, a.service)) ops.push({ kind: 'edit-service', service: d.service });
    const id = d.service.id;
    for (const [dk, ad] of a.destinations) {
      if (!d.destinations.has(dk)) ops.push({ kind: 'del-dest', service: id, dest: ad });
    }
    for (const [dk, dd] of d.destinations) {
      const op = reconcileDestination(id, dd, a.destinations.get(dk));
      if (op !== null) ops.push(op);
    }
  }
  return ops;
}

type MutableTable = Map<string, { service: ServiceSpec; destinations: Map<string, DestinationSpec> }>;

/** Copies a table into mutable maps (so tracking state never aliases the caller's). */
export function cloneTable(t: IpvsTable): MutableTable {
  const out: MutableTable = new Map();
  for (const [k, v] of t.services) out.set(k, { service: v.service, destinations: new Map(v.destinations) });
  return out;
}

/**
 * Applies one op to a tracked table the way the kernel does; returns false when the kernel would
 * refuse it (missing service, duplicate), leaving the table unchanged.
 */
export function applyOp(table: MutableTable, op: Op): boolean {
  switch (op.kind) {
    case 'add-service': {
      const key = serviceKey(op.service.id);
      if (table.has(key)) return false;
      table.set(key, { service: op.service, destinations: new Map() });
      return true;
    }
    case 'edit-service': {
      const s = table.get(serviceKey(op.service.id));
      if (!s) return false;
      s.service = op.service;
      return true;
    }
    case 'del-service':
      return table.delete(serviceKey(op.service));
    case 'add-dest':
    case 'edit-dest':
    case 'del-dest': {
      const s = table.get(serviceKey(op.service));
      if (!s) return false;
      const dk = destinationKey(op.dest);
      const has = s.destinations.has(dk);
      if (op.kind === 'del-dest') return s.destinations.delete(dk);
      if (op.kind === 'add-dest' ? has : !has) return false;
      s.destinations.set(dk, op.dest);
      return true;
    }
  }
}

/** The table after `ops`, skipping ops the kernel would refuse. */
export function applyOps(t: IpvsTable, ops: readonly Op[]): IpvsTable {
  const table = cloneTable(t);
  for (const op of ops) applyOp(table, op);
  return { services: table };
}
