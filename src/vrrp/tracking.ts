/**
 * PURE tracking arithmetic (keepalived vrrp_track.c, docs/behaviour.md §3.9):
 * vrrp_script rise/fall hysteresis, and the effective priority / FAULT decision from the state
 * of every tracker of an instance (scripts, interfaces, files, processes).
 *
 * API
 * - `initialScriptTracker({rise, initFail})`, `scriptTrackerStep(tracker, success, {rise, fall})
 *   -> { tracker, transition: 'up' | 'down' | null }`.
 * - `trackedItemsOf(instance, group, lookups) -> TrackedItem[]`: every tracker of an instance (its
 *   own interface, its track_* and its sync group's), with the current state from `lookups`.
 * - `trackerEffect(tracker, options) -> { contribution, fault }`: what one tracker adds now and
 *   the FAULT it forces (for status; evaluateTracking sums them).
 * - `evaluateTracking(basePriority, trackers, options) -> { priority, fault, faultLog }`: the
 *   effective priority (clamped to 1..254, never changed for an owner at 255) and the first
 *   weight-0 fault (reason + keepalived's log line), fed to the reducer as a `tracking` event.
 */
import type { TrackRef, VrrpInstance, VrrpSyncGroup } from '../config/model.js';

export type ScriptStatus = 'init' | 'up' | 'down';

export interface ScriptTracker {
  /** keepalived's `result`: 0..rise+fall-1; up once >= rise. */
  readonly result: number;
  readonly status: ScriptStatus;
}

/** Before the first run one success is enough (result = rise - 1); `init_fail` starts failed. */
export function initialScriptTracker(script: {
  readonly rise: number;
  readonly initFail: boolean;
}): ScriptTracker {
  return script.initFail ? { result: 0, status: 'down' } : { result: script.rise - 1, status: 'init' };
}

/**
 * One script result. Success counts up to rise + fall - 1 (up once rise is reached); failure
 * counts down and the script is down once the count falls below rise (after `fall` failures
 * from fully up). The first result after init always decides.
 */
export function scriptTrackerStep(
  tracker: ScriptTracker,
  success: boolean,
  limits: { readonly rise: number; readonly fall: number },
): { readonly tracker: ScriptTracker; readonly transition: 'up' | 'down' | null } {
  const top = limits.rise + limits.fall - 1;
  if (success) {
    if (tracker.result < limits.rise - 1) {
      return { tracker: { ...tracker, result: tracker.result + 1 }, transition: null };
    }
    const becomesUp = tracker.status !== 'up';
    return { tracker: { result: top, status: 'up' }, transition: becomesUp ? 'up' : null };
  }
  if (tracker.result > limits.rise) {
    return { tracker: { ...tracker, result: tracker.result - 1 }, transition: null };
  }
  const becomesDown = tracker.status !== 'down';
  return { tracker: { result: 0, status: 'down' }, transition: becomesDown ? 'down' : null };
}

export type TrackedItem =
  | {
      readonly kind: 'script';
      readonly name: string;
      readonly weight: number;
      readonly reverse: boolean;
      readonly status: ScriptStatus;
    }
  | {
      readonly kind: 'interface';
      readonly name: string;
      readonly weight: number;
      readonly reverse: boolean;
      readonly up: boolean;
    }
  | {
      readonly kind: 'file';
      readonly name: string;
      readonly weight: number;
      readonly reverse: boolean;
      readonly value: number;
    }
  | {
      readonly kind: 'process';
      readonly name: string;
      readonly weight: number;
      readonly reverse: boolean;
      /** quorum <= running processes <= quorum_max (process-quorum.ts). */
      readonly haveQuorum: boolean;
    };

/** The current state of the things trackers watch. */
export interface TrackingLookups {
  /** A vrrp_script in use, or undefined (its reference is then skipped). */
  readonly scriptStatus: (name: string) => ScriptStatus | undefined;
  readonly linkUp: (name: string) => boolean;
  readonly fileValue: (name: string) => number;
  /** A vrrp_track_process's quorum; false before it is known (keepalived's initial have_quorum). */
  readonly processQuorum?: (name: string) => boolean;
}

type TrackRefs = Pick<VrrpSyncGroup, 'trackScripts' | 'trackInterfaces' | 'trackFiles'> &
  Partial<Pick<VrrpSyncGroup, 'trackProcesses'>>;

const weightOf = (r: TrackRef) => ({ name: r.name, weight: r.weight, reverse: r.reverse });

/**
 * The trackers of an instance in evaluation order: its own interface (a weight-0 tracker: down
 * means FAULT, unless dont_track_primary), then its scripts, interfaces and files, then its sync
 * group's.
 */
export function trackedItemsOf(
  instance: Pick<VrrpInstance, 'interface' | 'dontTrackPrimary' | 'vmac'> & TrackRefs,
  group: TrackRefs | null,
  lookups: TrackingLookups,
): TrackedItem[] {
  const items: TrackedItem[] = [];
  const addRefs = (refs: TrackRefs): void => {
    for (const r of refs.trackScripts) {
      const status = lookups.scriptStatus(r.name);
      if (status !== undefined) items.push({ kind: 'script', ...weightOf(r), status });
    }
    for (const r of refs.trackInterfaces) {
      items.push({ kind: 'interface', ...weightOf(r), up: lookups.linkUp(r.name) });
    }
    for (const r of refs.trackFiles) {
      items.push({ kind: 'file', ...weightOf(r), value: lookups.fileValue(r.name) });
    }
    for (const r of refs.trackProcesses ?? []) {
      const haveQuorum = lookups.processQuorum?.(r.name) ?? false;
      items.push({ kind: 'process', ...weightOf(r), haveQuorum });
    }
  };
  if (instance.interface !== null && !instance.dontTrackPrimary) {
    items.push({
      kind: 'interface',
      name: instance.interface,
      weight: 0,
      reverse: false,
      up: lookups.linkUp(instance.interface),
    });
    // vrrp.c vrrp_complete_instance: the VMAC is tracked as the instance's own interface too.
    if (instance.vmac !== null) {
      const name = instance.vmac.ifname;
      items.push({ kind: 'interface', name, weight: 0, reverse: false, up: lookups.linkUp(name) });
    }
  }
  addRefs(instance);
  if (group !== null) addRefs(group);
  return items;
}

export interface TrackingOptions {
  /** Instance name for log lines. */
  readonly instance: string;
  /** Sync-group member without `sync_group_tracking_weight`: non-zero weights are ignored. */
  readonly ignoreWeights?: boolean;
}

export interface TrackingResult {
  /** Effective priority, 1..254 (or 255 untouched for an owner). */
  readonly priority: number;
  /** Short reason when a weight-0 tracker (or a file at <= -254) forces FAULT, else null. */
  readonly fault: string | null;
  /** keepalived's log line for that fault. */
  readonly faultLog: string | null;
  /** The line is keepalived's at start only (a later fault is told by the tracker's own line). */
  readonly faultLogAtStartOnly?: boolean;
}

const OWNER = 255;
const FILE_FAULT = -254;

/**
 * Contribution of a two-state tracker (script or interface): with weight W and multiplier m
 * (-1 for reverse), W > 0 adds W*m while OK, W < 0 adds W*m while failed (vrrp_track.c
 * process_script_update_priority; the incremental +/-|W|*m steps there sum to this).
 */
function binaryContribution(weight: number, reverse: boolean, ok: boolean): number {
  const m = reverse ? -1 : 1;
  if (weight > 0) return ok ? weight * m : 0;
  if (weight < 0) return ok ? 0 : weight * m;
  return 0;
}

/** What one tracker does to its instance now: what it adds, and the FAULT it forces, if any. */
export interface TrackerEffect {
  readonly contribution: number;
  /** `startOnly`: keepalived logs the line when the instance starts in FAULT, not later. */
  readonly fault: { readonly reason: string; readonly log: string; readonly startOnly?: boolean } | null;
}

/** One tracker's effect (keepalived vrrp_track.c; evaluateTracking sums these). */
export function trackerEffect(t: TrackedItem, options: TrackingOptions): TrackerEffect {
  const name = options.instance;
  const none: TrackerEffect = { contribution: 0, fault: null };
  switch (t.kind) {
    case 'script': {
      if (t.status === 'init') return none; // not run yet: neither bonus nor fault
      const ok = t.status === 'up';
      if (t.weight === 0) {
        // weight 0: FAULT while failed (reverse: while succeeding).
        if (ok !== t.reverse) return none;
        return {
          contribution: 0,
          fault: {
            reason: `script ${t.name}`,
            log: `(${name}): entering FAULT state due to script ${t.name}`,
          },
        };
      }
      if (options.ignoreWeights) return none;
      return { contribution: binaryContribution(t.weight, t.reverse, ok), fault: null };
    }
    case 'interface': {
      if (t.weight === 0) {
        if (t.up !== t.reverse) return none;
        return {
          contribution: 0,
          fault: {
            reason: `interface ${t.name} down`,
            log: `(${name}): entering FAULT state (interface ${t.name} down)`,
          },
        };
      }
      if (options.ignoreWeights) return none;
      return { contribution: binaryContribution(t.weight, t.reverse, t.up), fault: null };
    }
    case 'file': {
      const m = t.reverse ? -1 : 1;
      let status: number;
      if (t.weight === 0) status = (t.value !== 0) === (m === 1) ? FILE_FAULT : 0;
      else if (options.ignoreWeights) status = 0;
      else status = t.value * t.weight * m;
      if (status <= FILE_FAULT) {
        return {
          contribution: 0,
          fault: {
            reason: `tracked file ${t.name} has status ${status}`,
            log: `(${name}): entering FAULT state (tracked file ${t.name} has status ${status})`,
          },
        };
      }
      return { contribution: Math.min(status, 253), fault: null };
    }
    case 'process': {
      // vrrp_track.c initialise_process_tracking_priorities / process_update_track_process_status.
      if (t.weight === 0) {
        if (t.haveQuorum !== t.reverse) return none;
        return {
          contribution: 0,
          fault: {
            reason: `tracked process ${t.name} quorum not achieved`,
            log: `(${name}) entering FAULT state (tracked process ${t.name} quorum not achieved)`,
            startOnly: true,
          },
        };
      }
      if (options.ignoreWeights) return none;
      return { contribution: binaryContribution(t.weight, t.reverse, t.haveQuorum), fault: null };
    }
  }
}

export function evaluateTracking(
  basePriority: number,
  trackers: readonly TrackedItem[],
  options: TrackingOptions,
): TrackingResult {
  let total = basePriority;
  let fault: string | null = null;
  let faultLog: string | null = null;
  let faultLogAtStartOnly = false;
  for (const t of trackers) {
    const effect = trackerEffect(t, options);
    total += effect.contribution;
    // The first tracker that forces FAULT names it.
    if (effect.fault !== null && fault === null) {
      fault = effect.fault.reason;
      faultLog = effect.fault.log;
      faultLogAtStartOnly = effect.fault.startOnly === true;
    }
  }

  // docs/behaviour.md §3.6: an owner keeps 255; others are clamped to 1..254.
  const priority = basePriority === OWNER ? OWNER : Math.min(254, Math.max(1, total));
  return faultLogAtStartOnly
    ? { priority, fault, faultLog, faultLogAtStartOnly }
    : { priority, fault, faultLog };
}
