/**
 * vrrp_track_process counting and quorum (keepalived 2.2.7 core/track_process.c) and its effect
 * on an instance (vrrp/vrrp_track.c).
 */
import { describe, expect, it } from 'vitest';
import type { TrackProcess } from '../../../src/config/model.js';
import { ProcessCounts, processMatches, type ProcessInfo } from '../../../src/vrrp/process-quorum.js';
import { evaluateTracking, trackerEffect } from '../../../src/vrrp/tracking.js';

function tracker(extra: Partial<TrackProcess> = {}): TrackProcess {
  return {
    name: 'tp',
    process: 'daemon',
    params: [],
    paramMatch: 'none',
    fullCommand: false,
    weight: 0,
    weightReverse: false,
    quorum: 1,
    quorumMax: null,
    forkDelay: 0,
    terminateDelay: 0,
    loc: { file: 'k.conf', line: 1 },
    ...extra,
  };
}

const proc = (pid: number, comm: string, cmdline: string[] = [comm]): ProcessInfo => ({ pid, comm, cmdline });

describe('processMatches', () => {
  it('compares comm, or argv[0] with full_command', () => {
    expect(processMatches(tracker(), { comm: 'daemon', cmdline: ['/usr/sbin/daemon'] })).toBe(true);
    expect(processMatches(tracker(), { comm: 'other', cmdline: ['daemon'] })).toBe(false);
    const full = tracker({ process: '/usr/sbin/daemon', fullCommand: true });
    expect(processMatches(full, { comm: 'daemon', cmdline: ['/usr/sbin/daemon', '-f'] })).toBe(true);
    expect(processMatches(full, { comm: 'daemon', cmdline: ['daemon'] })).toBe(false);
  });
  it('param_match exact, partial and initial', () => {
    const base = { process: 'x', fullCommand: true, params: ['-a', 'conf'] } as const;
    const info = (...args: string[]) => ({ comm: 'x', cmdline: ['x', ...args] });
    const exact = tracker({ ...base, paramMatch: 'exact' });
    expect(processMatches(exact, info('-a', 'conf'))).toBe(true);
    expect(processMatches(exact, info('-a', 'conf', '-v'))).toBe(false);
    expect(processMatches(exact, info('-a'))).toBe(false);
    const partial = tracker({ ...base, paramMatch: 'partial' });
    expect(processMatches(partial, info('-a', 'conf', '-v'))).toBe(true);
    expect(processMatches(partial, info('-a', 'config'))).toBe(false);
    const initial = tracker({ ...base, paramMatch: 'initial' });
    expect(processMatches(initial, info('-a', 'config'))).toBe(true);
    expect(processMatches(initial, info('-b', 'conf'))).toBe(false);
    // exact with no parameters: only a process with none
    const bare = tracker({ process: 'x', fullCommand: true, paramMatch: 'exact' });
    expect(processMatches(bare, info())).toBe(true);
    expect(processMatches(bare, info('-a'))).toBe(false);
  });
});

describe('ProcessCounts', () => {
  it('starts from the scan with no actions, then exec and exit cross the quorum', () => {
    const c = new ProcessCounts([tracker({ quorum: 2 })]);
    c.scan([proc(10, 'daemon'), proc(11, 'bash')]);
    expect([c.count('tp'), c.haveQuorum('tp')]).toEqual([1, false]);
    expect(c.event({ kind: 'exec', pid: 12, info: proc(12, 'daemon') })).toEqual([
      { kind: 'status', name: 'tp', haveQuorum: true },
    ]);
    // a third one changes nothing; an exec of a counted process into something else uncounts it
    expect(c.event({ kind: 'exec', pid: 13, info: proc(13, 'daemon') })).toEqual([]);
    expect(c.event({ kind: 'exec', pid: 13, info: proc(13, 'sleep') })).toEqual([]);
    expect(c.count('tp')).toBe(2);
    expect(c.event({ kind: 'exit', pid: 99 })).toEqual([]);
    expect(c.event({ kind: 'exit', pid: 10 })).toEqual([{ kind: 'status', name: 'tp', haveQuorum: false }]);
  });

  it('more than quorum_max loses the quorum, coming back to it regains it', () => {
    const c = new ProcessCounts([tracker({ quorum: 1, quorumMax: 1 })]);
    c.scan([proc(10, 'daemon')]);
    expect(c.haveQuorum('tp')).toBe(true);
    expect(c.event({ kind: 'fork', parent: 10, child: 20 })).toEqual([
      { kind: 'status', name: 'tp', haveQuorum: false },
    ]);
    expect(c.event({ kind: 'exit', pid: 20 })).toEqual([{ kind: 'status', name: 'tp', haveQuorum: true }]);
  });

  it('quorum_max 0: quorum while none runs', () => {
    const c = new ProcessCounts([tracker({ quorum: 0, quorumMax: 0 })]);
    c.scan([]);
    expect(c.haveQuorum('tp')).toBe(true);
    expect(c.event({ kind: 'exec', pid: 5, info: proc(5, 'daemon') })).toEqual([
      { kind: 'status', name: 'tp', haveQuorum: false },
    ]);
  });

  it('terminate_delay: the loss waits for the timer; a new process meanwhile cancels it', () => {
    const c = new ProcessCounts([tracker({ terminateDelay: 2 })]);
    c.scan([proc(10, 'daemon')]);
    expect(c.event({ kind: 'exit', pid: 10 })).toEqual([
      { kind: 'start-timer', name: 'tp', timer: 'terminate', seconds: 2 },
    ]);
    expect(c.haveQuorum('tp')).toBe(true);
    expect(c.event({ kind: 'exec', pid: 11, info: proc(11, 'daemon') })).toEqual([
      { kind: 'cancel-timer', name: 'tp', timer: 'terminate' },
    ]);
    expect(c.event({ kind: 'exit', pid: 11 })).toHaveLength(1);
    expect(c.timerFired('tp', 'terminate')).toEqual([{ kind: 'status', name: 'tp', haveQuorum: false }]);
  });

  it('fork_delay applies to a quorum gained by a fork, not by an exec', () => {
    const c = new ProcessCounts([tracker({ quorum: 2, forkDelay: 1.5 })]);
    c.scan([proc(10, 'daemon')]);
    expect(c.event({ kind: 'fork', parent: 10, child: 11 })).toEqual([
      { kind: 'start-timer', name: 'tp', timer: 'fork', seconds: 1.5 },
    ]);
    expect(c.haveQuorum('tp')).toBe(false);
    expect(c.timerFired('tp', 'fork')).toEqual([{ kind: 'status', name: 'tp', haveQuorum: true }]);
    // the child exits: lost at once (no terminate_delay)
    expect(c.event({ kind: 'exit', pid: 11 })).toEqual([{ kind: 'status', name: 'tp', haveQuorum: false }]);
    expect(c.event({ kind: 'exec', pid: 12, info: proc(12, 'daemon') })).toEqual([
      { kind: 'status', name: 'tp', haveQuorum: true },
    ]);
  });

  it('a fork of an untracked process is ignored; a comm change re-checks comm trackers only', () => {
    const c = new ProcessCounts([tracker(), tracker({ name: 'full', process: 'daemon', fullCommand: true })]);
    c.scan([proc(10, 'bash', ['bash'])]);
    expect(c.event({ kind: 'fork', parent: 10, child: 11 })).toEqual([]);
    expect(c.event({ kind: 'comm', pid: 10, comm: 'daemon' })).toEqual([
      { kind: 'status', name: 'tp', haveQuorum: true },
    ]);
    expect(c.haveQuorum('full')).toBe(false);
  });

  it('polling: a process gone is an exit, a new one an exec', () => {
    const c = new ProcessCounts([tracker()]);
    c.scan([proc(1, 'init')]);
    expect(c.poll([proc(1, 'init'), proc(7, 'daemon')])).toEqual([
      { kind: 'status', name: 'tp', haveQuorum: true },
    ]);
    expect(c.poll([proc(1, 'init'), proc(7, 'daemon')])).toEqual([]);
    expect(c.poll([proc(1, 'init')])).toEqual([{ kind: 'status', name: 'tp', haveQuorum: false }]);
  });
});

describe('track_process effect on an instance', () => {
  const opts = { instance: 'VI_1' };
  const item = (weight: number, reverse: boolean, haveQuorum: boolean) =>
    ({ kind: 'process', name: 'tp', weight, reverse, haveQuorum }) as const;
  it('weight 0: FAULT without quorum (reverse: with it), with keepalived line', () => {
    expect(evaluateTracking(100, [item(0, false, false)], opts)).toEqual({
      priority: 100,
      fault: 'tracked process tp quorum not achieved',
      faultLog: '(VI_1) entering FAULT state (tracked process tp quorum not achieved)',
      // keepalived logs it when the instance starts in FAULT; later the Quorum lost line tells it
      faultLogAtStartOnly: true,
    });
    expect(evaluateTracking(100, [item(0, false, true)], opts).fault).toBeNull();
    expect(evaluateTracking(100, [item(0, true, true)], opts).fault).not.toBeNull();
  });
  it('weights: W > 0 added with quorum, W < 0 added without; reverse negates', () => {
    expect(evaluateTracking(100, [item(10, false, true)], opts).priority).toBe(110);
    expect(evaluateTracking(100, [item(10, false, false)], opts).priority).toBe(100);
    expect(evaluateTracking(100, [item(-10, false, false)], opts).priority).toBe(90);
    expect(evaluateTracking(100, [item(-10, false, true)], opts).priority).toBe(100);
    expect(evaluateTracking(100, [item(10, true, true)], opts).priority).toBe(90);
    expect(evaluateTracking(100, [item(-10, true, false)], opts).priority).toBe(110);
    expect(evaluateTracking(255, [item(10, false, true)], opts).priority).toBe(255);
    expect(trackerEffect(item(10, false, true), { ...opts, ignoreWeights: true }).contribution).toBe(0);
  });
});
