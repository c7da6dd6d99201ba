/**
 * SHELL: the quorum of each `vrrp_track_process`, for VRRP tracking. The platform watches the
 * processes (net/process-watch.ts: proc connector events, or /proc polling); the counting and
 * the quorum crossings are process-quorum.ts's. This carries out its actions: fork_delay and
 * terminate_delay timers, keepalived's `Quorum gained/lost for tracked process NAME` line, and
 * a call to the engine, which re-evaluates the instances' tracking.
 */
import type { TrackProcess } from '../config/model.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { VrrpPlatform } from './ports.js';
import { ProcessCounts, type QuorumAction, type QuorumTimer } from './process-quorum.js';

export interface TrackProcessesDeps {
  readonly platform: Pick<VrrpPlatform, 'watchProcesses'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A tracker's quorum changed. */
  readonly onChange: () => void;
}

export class TrackProcessQuorums {
  private counts: ProcessCounts | null = null;
  private watcher: { close(): void } | null = null;
  private readonly timers = new Map<string, TimerHandle>();
  /** The quorum the instances see: each change becomes visible with its own line, in turn. */
  private readonly reported = new Map<string, boolean>();

  constructor(private readonly deps: TrackProcessesDeps) {}

  /** Starts counting `trackers`; nothing is watched when there are none. */
  watch(trackers: readonly TrackProcess[]): void {
    this.close();
    if (trackers.length === 0) return;
    const counts = new ProcessCounts(trackers);
    this.counts = counts;
    const watch = this.deps.platform.watchProcesses;
    if (watch === undefined) return;
    this.watcher = watch(
      {
        // Read before the instances' first tracking evaluation (their start or the reload's).
        scan: (processes) => {
          if (this.counts !== counts) return;
          counts.scan(processes);
          for (const t of trackers) this.reported.set(t.name, counts.haveQuorum(t.name) === true);
        },
        event: (e) => {
          if (this.counts === counts) this.apply(counts.event(e));
        },
        poll: (processes) => {
          if (this.counts === counts) this.apply(counts.poll(processes));
        },
      },
      { cmdline: trackers.some((t) => t.fullCommand) },
    );
  }

  /** Whether the tracker `name` has its quorum; false before the first scan, as keepalived. */
  haveQuorum(name: string): boolean {
    return this.reported.get(name) ?? false;
  }

  /** The processes the tracker `name` counts now. */
  count(name: string): number {
    return this.counts?.count(name) ?? 0;
  }

  /** Whether a fork_delay or terminate_delay timer of `name` is running (the dump files). */
  timerRunning(name: string, timer: QuorumTimer): boolean {
    return this.timers.has(`${name}\0${timer}`);
  }

  /** Stops watching and forgets the counts (a reload watches afresh). */
  close(): void {
    this.watcher?.close();
    this.watcher = null;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.reported.clear();
    this.counts = null;
  }

  /** Each status change is acted on before the next one's line, as keepalived does. */
  private apply(actions: readonly QuorumAction[]): void {
    for (const a of actions) {
      const key = `${a.name}\0${a.kind === 'status' ? '' : a.timer}`;
      if (a.kind === 'status') {
        this.deps.logger.info(`Quorum ${a.haveQuorum ? 'gained' : 'lost'} for tracked process ${a.name}`);
        this.reported.set(a.name, a.haveQuorum);
        this.deps.onChange();
      } else if (a.kind === 'cancel-timer') {
        this.timers.get(key)?.cancel();
        this.timers.delete(key);
      } else {
        this.timers.get(key)?.cancel();
        this.timers.set(
          key,
          this.deps.clock.setTimer(a.seconds * 1000, () => this.fired(a.name, a.timer)),
        );
      }
    }
  }

  private fired(name: string, timer: QuorumTimer): void {
    this.timers.delete(`${name}\0${timer}`);
    const counts = this.counts;
    if (counts !== null) this.apply(counts.timerFired(name, timer));
  }
}
