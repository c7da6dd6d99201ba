/**
 * PURE: the VRRP part of the status model (contracts/status.ts) from the engine's instance
 * reports. Clock times (monotonic ms) become wall-clock instants through `now`, the pair of the
 * clock's and the wall clock's current readings.
 */
import type { TrackerStatus, VrrpInstanceStatus, VrrpStatus } from '../contracts/status.js';
import { VRRP_COUNTER_NAMES } from './counters.js';
import type { InstanceReport } from './engine.js';

export interface StatusTime {
  /** The engine clock's reading now (monotonic ms). */
  readonly clock: number;
  /** The wall clock now (ms since the epoch). */
  readonly wall: number;
}

function instant(clockMs: number, now: StatusTime): string {
  return new Date(now.wall - (now.clock - clockMs)).toISOString();
}

function trackerStatus(t: InstanceReport['trackers'][number]): TrackerStatus {
  const { item, effect } = t;
  const value =
    item.kind === 'script'
      ? item.status
      : item.kind === 'interface'
        ? item.up
          ? 'up'
          : 'down'
        : item.kind === 'process'
          ? item.haveQuorum
            ? 'quorum'
            : 'no quorum'
          : item.value;
  return {
    kind: item.kind,
    name: item.name,
    weight: item.weight,
    reverse: item.reverse,
    value,
    contribution: effect.contribution,
    fault: effect.fault !== null,
  };
}

export function vrrpInstanceStatus(report: InstanceReport, now: StatusTime): VrrpInstanceStatus {
  const { config, detail } = report;
  const master = detail.state === 'MASTER';
  return {
    name: detail.name,
    interface: config.interface,
    vrid: config.virtualRouterId,
    state: detail.state,
    wantState: detail.wantState,
    basePriority: detail.basePriority,
    effectivePriority: detail.effectivePriority,
    trackers: report.trackers.map(trackerStatus),
    fault: detail.fault,
    standby: detail.standby,
    // The reducer remembers the last other master; as master we are it.
    masterAddress: master ? report.sourceAddress || null : detail.masterAddress,
    masterPriority: master ? detail.effectivePriority : detail.masterPriority,
    vips: [...config.vips, ...config.excludedVips].map((v) => `${v.address}/${v.prefixLength} dev ${v.dev}`),
    advertIntervalMs: report.advertIntervalMs,
    inStateMs: Math.max(0, now.clock - detail.stateSince),
    lastTransition:
      detail.lastTransition === null
        ? null
        : {
            from: detail.lastTransition.from,
            to: detail.lastTransition.to,
            reason: detail.lastTransition.reason,
            at: instant(detail.lastTransition.at, now),
          },
    counters: Object.fromEntries(VRRP_COUNTER_NAMES.map((n) => [n, detail.counters[n]])),
  };
}

export function vrrpStatus(reports: readonly InstanceReport[], now: StatusTime): VrrpStatus {
  return { instances: reports.map((r) => vrrpInstanceStatus(r, now)) };
}
