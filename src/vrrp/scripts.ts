/**
 * SHELL: the vrrp_script trackers. Each script used by an instance or a sync group runs every
 * `interval` through the ScriptRunner port, one run at a time; its results go through the rise/fall
 * arithmetic of tracking.ts, and a change of status is logged as keepalived does and reported to
 * the engine, which re-evaluates the instances' tracking. A reload keeps the tracker (and its
 * timer) of a script whose name, command and user are unchanged.
 */
import type { Config, ScriptSpec, VrrpScript } from '../config/model.js';
import type { ScriptOutcome } from '../contracts/script.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { ScriptRunner } from './ports.js';
import {
  initialScriptTracker,
  scriptTrackerStep,
  type ScriptStatus,
  type ScriptTracker,
} from './tracking.js';

interface ScriptState {
  config: VrrpScript;
  tracker: ScriptTracker;
  timer: TimerHandle | null;
  running: boolean;
  /** Dropped by a reload: a run in flight must not schedule the next one. */
  removed: boolean;
}

/** The tracker of a script carries over a reload when name, command and user are the same. */
export function sameScriptIdentity(a: VrrpScript, b: VrrpScript): boolean {
  return (
    a.name === b.name &&
    a.script === b.script &&
    JSON.stringify(a.argv) === JSON.stringify(b.argv) &&
    a.user === b.user &&
    a.group === b.group
  );
}

function scriptSpecOf(s: VrrpScript): ScriptSpec {
  return { command: s.script, argv: s.argv, user: s.user, group: s.group };
}

export interface ScriptTrackersDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly runner: ScriptRunner;
  /** A script went up or down. */
  readonly onTransition: () => void;
}

export class VrrpScriptTrackers {
  private scripts = new Map<string, ScriptState>();
  private stopped = false;

  constructor(private readonly deps: ScriptTrackersDeps) {}

  /**
   * The scripts of `config` used by some instance or group (unused ones are warned about).
   * Trackers that carry over keep running on their timers; dropped ones stop.
   */
  update(config: Config): void {
    const { logger } = this.deps;
    const previous = this.scripts;
    this.scripts = new Map();
    const used = new Set<string>();
    for (const i of config.vrrpInstances) for (const r of i.trackScripts) used.add(r.name);
    for (const g of config.vrrpSyncGroups) for (const r of g.trackScripts) used.add(r.name);
    for (const s of config.vrrpScripts) {
      if (!used.has(s.name)) {
        logger.warn(`Warning - script ${s.name} is not used`);
        continue;
      }
      const old = previous.get(s.name);
      if (old !== undefined && !old.removed && sameScriptIdentity(old.config, s)) {
        old.config = s;
        if (old.tracker.status === 'up')
          logger.info(`VRRP_Script(${s.name}) considered successful on reload`);
        this.scripts.set(s.name, old);
        continue;
      }
      this.scripts.set(s.name, {
        config: s,
        tracker: initialScriptTracker(s),
        timer: null,
        running: false,
        removed: false,
      });
    }
    for (const s of previous.values()) {
      if (this.scripts.get(s.config.name) === s) continue;
      s.removed = true;
      s.timer?.cancel();
      s.timer = null;
    }
  }

  /** The status of a script in use, or undefined. */
  status(name: string): ScriptStatus | undefined {
    return this.scripts.get(name)?.tracker.status;
  }

  /** Every script in use, in config order, with its tracker (the data file's VRRP Scripts). */
  details(): { readonly config: VrrpScript; readonly tracker: ScriptTracker; readonly running: boolean }[] {
    return [...this.scripts.values()].map((s) => ({
      config: s.config,
      tracker: s.tracker,
      running: s.running,
    }));
  }

  /** Runs every script now (start-up). */
  startAll(): void {
    for (const s of this.scripts.values()) this.run(s);
  }

  /** Runs the scripts that are neither waiting for their next run nor running (after a reload). */
  startIdle(): void {
    for (const s of this.scripts.values()) if (s.timer === null && !s.running) this.run(s);
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.scripts.values()) s.timer?.cancel();
  }

  private run(s: ScriptState): void {
    if (this.stopped || s.running) return;
    s.running = true;
    const { config } = s;
    const timeoutMs = Math.max(1, config.timeout * 1000);
    void this.deps.runner.run(scriptSpecOf(config), [], timeoutMs).then((result) => {
      s.running = false;
      if (this.stopped || s.removed) return;
      this.onResult(s, result);
      s.timer = this.deps.clock.setTimer(config.interval * 1000, () => this.run(s));
    });
  }

  private onResult(s: ScriptState, result: ScriptOutcome): void {
    const { logger } = this.deps;
    const name = s.config.name;
    const success = result.kind === 'exited' && result.code === 0;
    // Every run can repeat these: one rate-limit key per script (util/rate-limited-log.ts).
    const limited = { script: name, limit: `vrrp_script ${name}` };
    if (result.kind === 'timeout') logger.info(`VRRP_Script(${name}) timed_out`, limited);
    if (result.kind === 'spawn-error') {
      logger.error(`VRRP_Script(${name}) cannot run: ${result.message}`, limited);
    }
    const step = scriptTrackerStep(s.tracker, success, s.config);
    s.tracker = step.tracker;
    if (step.transition === 'up')
      logger.info(`VRRP_Script(${name}) succeeded`, { script: name, state: 'up' });
    if (step.transition === 'down') {
      const why =
        result.kind === 'exited'
          ? ` (exited with status ${result.code})`
          : result.kind === 'signaled'
            ? ` (due to signal ${result.signal})`
            : '';
      logger.info(`VRRP_Script(${name}) failed${why}`, { script: name, state: 'down' });
    }
    if (step.transition !== null) this.deps.onTransition();
  }
}
