// Tracking arithmetic (docs/behaviour.md §3.6 and §3.9, vrrp_track.c).
import { describe, expect, it } from 'vitest';
import {
  evaluateTracking,
  initialScriptTracker,
  scriptTrackerStep,
  trackedItemsOf,
  type ScriptTracker,
  type TrackedItem,
} from '../../../src/vrrp/tracking.js';
import { vrrpInstance, vrrpSyncGroup } from '../../support/vrrp-config.js';

const limits = { rise: 2, fall: 3 };

function run(
  tracker: ScriptTracker,
  results: readonly boolean[],
): { tracker: ScriptTracker; transitions: string[] } {
  const transitions: string[] = [];
  let t = tracker;
  for (const r of results) {
    const step = scriptTrackerStep(t, r, limits);
    t = step.tracker;
    transitions.push(step.transition ?? '-');
  }
  return { tracker: t, transitions };
}

describe('vrrp_script rise/fall hysteresis', () => {
  it('starts in init with result rise-1: one success is enough', () => {
    const t = initialScriptTracker({ rise: 2, initFail: false });
    expect(t).toEqual({ result: 1, status: 'init' });
    expect(run(t, [true]).transitions).toEqual(['up']);
  });

  it('the first failure after init decides down at once', () => {
    expect(run(initialScriptTracker({ rise: 2, initFail: false }), [false]).transitions).toEqual(['down']);
  });

  it('init_fail starts down and needs rise successes', () => {
    const t = initialScriptTracker({ rise: 2, initFail: true });
    expect(t.status).toBe('down');
    expect(run(t, [true, true]).transitions).toEqual(['-', 'up']);
  });

  it('from up, goes down only after fall consecutive failures', () => {
    const up = run(initialScriptTracker({ rise: 2, initFail: false }), [true]).tracker;
    expect(up.result).toBe(4); // rise + fall - 1
    expect(run(up, [false, false, false]).transitions).toEqual(['-', '-', 'down']);
    expect(run(up, [false, false, true, false, false]).transitions).toEqual(['-', '-', '-', '-', '-']);
  });

  it('from down, comes up only after rise consecutive successes', () => {
    const down = run(initialScriptTracker({ rise: 2, initFail: false }), [false]).tracker;
    expect(run(down, [true, false, true, true]).transitions).toEqual(['-', '-', '-', 'up']);
  });
});

const script = (weight: number, status: 'init' | 'up' | 'down', reverse = false): TrackedItem => ({
  kind: 'script',
  name: 'chk',
  weight,
  reverse,
  status,
});
const iface = (weight: number, up: boolean, reverse = false): TrackedItem => ({
  kind: 'interface',
  name: 'eth1',
  weight,
  reverse,
  up,
});
const file = (weight: number, value: number, reverse = false): TrackedItem => ({
  kind: 'file',
  name: 'tf',
  weight,
  reverse,
  value,
});
const opts = { instance: 'VI_1' };

describe('effective priority', () => {
  it.each([
    ['positive weight adds while up', [script(20, 'up')], 120],
    ['positive weight adds nothing while down', [script(20, 'down')], 100],
    ['negative weight subtracts while down', [script(-30, 'down')], 70],
    ['negative weight subtracts nothing while up', [script(-30, 'up')], 100],
    ['reverse positive weight subtracts while up', [script(20, 'up', true)], 80],
    ['reverse negative weight adds while down', [script(-30, 'down', true)], 130],
    ['a script still in init counts nothing', [script(20, 'init'), script(-30, 'init')], 100],
    ['interface weights work the same way', [iface(10, true), iface(-15, false)], 95],
    ['track_file adds value * weight', [file(2, 5)], 110],
    ['track_file reverse subtracts value * weight', [file(2, 5, true)], 90],
    ['weights sum', [script(20, 'up'), iface(-50, false), file(-1, 10)], 60],
  ] as const)('%s', (_name, trackers, expected) => {
    const r = evaluateTracking(100, trackers, opts);
    expect(r.priority).toBe(expected);
    expect(r.fault).toBeNull();
  });

  it('is clamped to 1..254', () => {
    expect(evaluateTracking(100, [script(-200, 'down')], opts).priority).toBe(1);
    expect(evaluateTracking(200, [script(100, 'up')], opts).priority).toBe(254);
  });

  it('is never changed for an address owner (255)', () => {
    expect(evaluateTracking(255, [script(-100, 'down')], opts).priority).toBe(255);
  });

  it('sync-group members ignore non-zero weights without sync_group_tracking_weight', () => {
    expect(evaluateTracking(100, [script(-50, 'down')], { ...opts, ignoreWeights: true }).priority).toBe(100);
    expect(evaluateTracking(100, [script(0, 'down')], { ...opts, ignoreWeights: true }).fault).toBe(
      'script chk',
    );
  });
});

describe('FAULT from weight-0 trackers', () => {
  it("a failed weight-0 script means FAULT, with keepalived's log line", () => {
    const r = evaluateTracking(100, [script(0, 'down')], opts);
    expect(r.fault).toBe('script chk');
    expect(r.faultLog).toBe('(VI_1): entering FAULT state due to script chk');
  });

  it('weight 0 reverse means FAULT while the script succeeds', () => {
    expect(evaluateTracking(100, [script(0, 'up', true)], opts).fault).toBe('script chk');
    expect(evaluateTracking(100, [script(0, 'down', true)], opts).fault).toBeNull();
  });

  it('a down interface with weight 0 means FAULT; with a weight only the priority moves', () => {
    expect(evaluateTracking(100, [iface(0, false)], opts).faultLog).toBe(
      '(VI_1): entering FAULT state (interface eth1 down)',
    );
    const weighted = evaluateTracking(100, [iface(-20, false)], opts);
    expect(weighted.fault).toBeNull();
    expect(weighted.priority).toBe(80);
  });

  it('track_file: weight 0 with a non-zero value, or a product <= -254, means FAULT', () => {
    expect(evaluateTracking(100, [file(0, 3)], opts).faultLog).toBe(
      '(VI_1): entering FAULT state (tracked file tf has status -254)',
    );
    expect(evaluateTracking(100, [file(0, 0)], opts).fault).toBeNull();
    expect(evaluateTracking(100, [file(-10, 30)], opts).fault).toBe('tracked file tf has status -300');
  });
});

describe('trackedItemsOf', () => {
  const ref = (name: string, weight = 0, reverse = false) => ({ name, weight, reverse });
  const lookups = {
    scriptStatus: (name: string) =>
      name === 'gone' ? undefined : name === 'ok' ? ('up' as const) : ('down' as const),
    linkUp: (name: string) => name !== 'eth9',
    fileValue: (name: string) => (name === 'f1' ? 7 : 0),
  };

  it('lists the own interface first, then scripts, interfaces and files, then the group', () => {
    const instance = vrrpInstance('VI_1', 51, {
      trackScripts: [ref('ok', 10), ref('gone', 5), ref('bad', 0, true)],
      trackInterfaces: [ref('eth9', -20)],
      trackFiles: [ref('f1', 2)],
    });
    const group = vrrpSyncGroup('G', ['VI_1'], { trackInterfaces: [ref('eth1')], trackFiles: [ref('f2')] });
    expect(trackedItemsOf(instance, group, lookups)).toEqual([
      { kind: 'interface', name: 'eth0', weight: 0, reverse: false, up: true },
      { kind: 'script', name: 'ok', weight: 10, reverse: false, status: 'up' },
      { kind: 'script', name: 'bad', weight: 0, reverse: true, status: 'down' },
      { kind: 'interface', name: 'eth9', weight: -20, reverse: false, up: false },
      { kind: 'file', name: 'f1', weight: 2, reverse: false, value: 7 },
      { kind: 'interface', name: 'eth1', weight: 0, reverse: false, up: true },
      { kind: 'file', name: 'f2', weight: 0, reverse: false, value: 0 },
    ]);
  });

  it('leaves out the own interface with dont_track_primary or without an interface', () => {
    expect(trackedItemsOf(vrrpInstance('VI_1', 51, { dontTrackPrimary: true }), null, lookups)).toEqual([]);
    expect(trackedItemsOf(vrrpInstance('VI_1', 51, { interface: null }), null, lookups)).toEqual([]);
  });
});

describe('trackedItemsOf with use_vmac', () => {
  const lookups = {
    scriptStatus: () => undefined,
    linkUp: (name: string) => name !== 'vrrp.51',
    fileValue: () => 0,
  };
  const vmac = { ifname: 'vrrp.51', mac: '00:00:5e:00:01:33', xmitBase: false };

  it('tracks the VMAC as the own interface (vrrp.c: weight 0, FAULT when down), not with dont_track_primary', () => {
    expect(trackedItemsOf(vrrpInstance('VI_1', 51, { vmac }), null, lookups)).toEqual([
      { kind: 'interface', name: 'eth0', weight: 0, reverse: false, up: true },
      { kind: 'interface', name: 'vrrp.51', weight: 0, reverse: false, up: false },
    ]);
    expect(trackedItemsOf(vrrpInstance('VI_1', 51, { vmac, dontTrackPrimary: true }), null, lookups)).toEqual(
      [],
    );
  });
});
