/**
 * PURE process counting for `vrrp_track_process` (keepalived 2.2.7 core/track_process.c).
 *
 * A tracker counts the processes whose name matches (`comm`, or argv[0] with `full_command`,
 * then the parameters as `param_match` says), and has quorum while quorum <= count <=
 * quorum_max. The count starts from a scan of /proc; then process events move it: an exec
 * re-checks the process, a fork of a counted process counts the child for the same trackers,
 * an exit uncounts it, a comm change re-checks comm trackers. Crossing a quorum bound changes
 * the status at once, except that a quorum gained by a fork waits `fork_delay` and a quorum lost
 * by an exit waits `terminate_delay` (the status is then re-evaluated when the timer fires; a
 * crossing back meanwhile cancels the timer).
 *
 * API
 * - `processMatches(tracker, info)`: does a process count for a tracker.
 * - `new ProcessCounts(trackers)`: `scan(processes)` (start: counts, statuses, no actions),
 *   `event(e)`, `timerFired(name, kind)`, `poll(processes)` (a /proc snapshot instead of
 *   events: differences become exec/exit events) each return the `QuorumAction`s the shell
 *   carries out (status changes to report, timers to start and cancel).
 */
import type { TrackProcess } from '../config/model.js';

/** One process as /proc shows it. */
export interface ProcessInfo {
  readonly pid: number;
  /** /proc/PID/comm (at most 15 characters). */
  readonly comm: string;
  /** /proc/PID/cmdline split at NULs (empty for a kernel thread). */
  readonly cmdline: readonly string[];
}

/** A proc connector event (thread events already dropped), with /proc read for an exec. */
export type ProcessEvent =
  | { readonly kind: 'exec'; readonly pid: number; readonly info: ProcessInfo | null }
  | { readonly kind: 'fork'; readonly parent: number; readonly child: number }
  | { readonly kind: 'exit'; readonly pid: number }
  | { readonly kind: 'comm'; readonly pid: number; readonly comm: string };

export type QuorumTimer = 'fork' | 'terminate';

export type QuorumAction =
  | { readonly kind: 'status'; readonly name: string; readonly haveQuorum: boolean }
  | {
      readonly kind: 'start-timer';
      readonly name: string;
      readonly timer: QuorumTimer;
      readonly seconds: number;
    }
  | { readonly kind: 'cancel-timer'; readonly name: string; readonly timer: QuorumTimer };

type Matcher = Pick<TrackProcess, 'process' | 'params' | 'paramMatch' | 'fullCommand'>;

/** keepalived's check_params over the NUL-terminated parameter bytes. */
function paramsMatch(t: Matcher, actual: readonly string[]): boolean {
  const want = t.params.map((p) => `${p}\0`).join('');
  const have = actual.map((p) => `${p}\0`).join('');
  if (t.paramMatch === 'exact') return have === want;
  if (have.length < want.length) return false;
  if (want === '') return true;
  if (t.paramMatch === 'partial') return have.startsWith(want);
  // initial: the last parameter may be the start of the process's one.
  return want.length === 1 || have.startsWith(want.slice(0, -1));
}

export function processMatches(t: Matcher, info: Pick<ProcessInfo, 'comm' | 'cmdline'>): boolean {
  const name = t.fullCommand ? info.cmdline[0] : info.comm;
  if (name === undefined || name !== t.process) return false;
  if (t.paramMatch === 'none') return true;
  return paramsMatch(t, info.cmdline.slice(1));
}

interface Counter {
  readonly config: TrackProcess;
  count: number;
  haveQuorum: boolean;
  forkTimer: boolean;
  terminateTimer: boolean;
}

const inRange = (c: Counter) =>
  c.count >= c.config.quorum && (c.config.quorumMax === null || c.count <= c.config.quorumMax);

export class ProcessCounts {
  private readonly counters: Counter[];
  /** pid -> names of the trackers counting it. */
  private readonly pids = new Map<number, Set<string>>();
  /** The last /proc snapshot, when polling. */
  private lastPoll: Map<number, ProcessInfo> | null = null;

  constructor(trackers: readonly TrackProcess[]) {
    this.counters = trackers.map((config) => ({
      config,
      count: 0,
      haveQuorum: false,
      forkTimer: false,
      terminateTimer: false,
    }));
  }

  haveQuorum(name: string): boolean | undefined {
    return this.find(name)?.haveQuorum;
  }

  count(name: string): number | undefined {
    return this.find(name)?.count;
  }

  /** The start (read_procs, then initialise_process_tracking_priorities): no status actions. */
  scan(processes: readonly ProcessInfo[]): void {
    this.pids.clear();
    for (const c of this.counters) c.count = 0;
    for (const p of processes) {
      for (const c of this.counters) {
        if (processMatches(c.config, p)) this.ref(p.pid, c);
      }
    }
    for (const c of this.counters) c.haveQuorum = inRange(c);
    this.lastPoll = new Map(processes.map((p) => [p.pid, p]));
  }

  event(e: ProcessEvent): QuorumAction[] {
    const out: QuorumAction[] = [];
    switch (e.kind) {
      case 'exec':
        if (e.info !== null) this.check(e.pid, e.info, false, out);
        break;
      case 'comm':
        this.check(e.pid, { comm: e.comm, cmdline: [] }, true, out);
        break;
      case 'fork': {
        const names = this.pids.get(e.parent);
        if (names === undefined) break;
        for (const c of this.counters.filter((x) => names.has(x.config.name))) {
          this.ref(e.child, c);
          if (!this.gainCrossing(c)) continue;
          if (c.terminateTimer) this.cancel(c, 'terminate', out);
          else if (c.config.forkDelay > 0) {
            this.start(c, 'fork', c.config.forkDelay, out);
            continue;
          }
          this.update(c, c.count === c.config.quorum, out);
        }
        break;
      }
      case 'exit': {
        const names = this.pids.get(e.pid);
        if (names === undefined) break;
        this.pids.delete(e.pid);
        for (const c of this.counters.filter((x) => names.has(x.config.name))) {
          c.count--;
          if (!this.lossCrossing(c)) continue;
          if (c.forkTimer) this.cancel(c, 'fork', out);
          else if (c.config.terminateDelay > 0) {
            this.start(c, 'terminate', c.config.terminateDelay, out);
            continue;
          }
          this.update(c, c.count === c.config.quorumMax, out);
        }
        break;
      }
    }
    return out;
  }

  /** A fork_delay or terminate_delay timer fired: the status follows the count now. */
  timerFired(name: string, timer: QuorumTimer): QuorumAction[] {
    const c = this.find(name);
    if (c === undefined) return [];
    if (timer === 'fork') c.forkTimer = false;
    else c.terminateTimer = false;
    const out: QuorumAction[] = [];
    this.update(c, inRange(c), out);
    return out;
  }

  /**
   * Polling instead of the proc connector: a process gone is an exit, a new one (or one whose
   * name or command line changed) an exec. Forks cannot be told from execs this way.
   */
  poll(processes: readonly ProcessInfo[]): QuorumAction[] {
    const prev = this.lastPoll ?? new Map<number, ProcessInfo>();
    const next = new Map(processes.map((p) => [p.pid, p]));
    const out: QuorumAction[] = [];
    for (const pid of prev.keys()) {
      if (!next.has(pid)) out.push(...this.event({ kind: 'exit', pid }));
    }
    for (const p of processes) {
      const before = prev.get(p.pid);
      const same =
        before !== undefined && before.comm === p.comm && before.cmdline.join('\0') === p.cmdline.join('\0');
      if (!same) out.push(...this.event({ kind: 'exec', pid: p.pid, info: p }));
    }
    this.lastPoll = next;
    return out;
  }

  private find(name: string): Counter | undefined {
    return this.counters.find((c) => c.config.name === name);
  }

  private ref(pid: number, c: Counter): void {
    let names = this.pids.get(pid);
    if (names === undefined) this.pids.set(pid, (names = new Set()));
    if (names.has(c.config.name)) return;
    names.add(c.config.name);
    c.count++;
  }

  /** The count just went up onto quorum, or above quorum_max. */
  private gainCrossing(c: Counter): boolean {
    return c.count === c.config.quorum || (c.config.quorumMax !== null && c.count === c.config.quorumMax + 1);
  }

  /** The count just went down below quorum, or onto quorum_max. */
  private lossCrossing(c: Counter): boolean {
    return c.count + 1 === c.config.quorum || c.count === c.config.quorumMax;
  }

  /** check_process: an exec (or comm change, `commOnly`) of `pid`. */
  private check(
    pid: number,
    info: Pick<ProcessInfo, 'comm' | 'cmdline'>,
    commOnly: boolean,
    out: QuorumAction[],
  ): void {
    const names = this.pids.get(pid);
    for (const c of this.counters) {
      // A comm event says nothing about the command line.
      if (commOnly && c.config.fullCommand) continue;
      const counted = names?.has(c.config.name) === true;
      const matches = processMatches(c.config, info);
      if (matches && !counted) {
        this.ref(pid, c);
        if (this.gainCrossing(c)) {
          if (c.terminateTimer) this.cancel(c, 'terminate', out);
          this.update(c, c.count === c.config.quorum, out);
        }
      } else if (!matches && counted) {
        names!.delete(c.config.name);
        if (names!.size === 0) this.pids.delete(pid);
        c.count--;
        if (this.lossCrossing(c)) {
          if (c.forkTimer) this.cancel(c, 'fork', out);
          this.update(c, c.count === c.config.quorumMax, out);
        }
      }
    }
  }

  private update(c: Counter, up: boolean, out: QuorumAction[]): void {
    if (up === c.haveQuorum) return;
    c.haveQuorum = up;
    out.push({ kind: 'status', name: c.config.name, haveQuorum: up });
  }

  private start(c: Counter, timer: QuorumTimer, seconds: number, out: QuorumAction[]): void {
    if (timer === 'fork') c.forkTimer = true;
    else c.terminateTimer = true;
    out.push({ kind: 'start-timer', name: c.config.name, timer, seconds });
  }

  private cancel(c: Counter, timer: QuorumTimer, out: QuorumAction[]): void {
    if (timer === 'fork') c.forkTimer = false;
    else c.terminateTimer = false;
    out.push({ kind: 'cancel-timer', name: c.config.name, timer });
  }
}
