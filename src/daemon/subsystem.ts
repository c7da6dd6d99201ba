/**
 * The subsystem contract and the owner of the running subsystem list. daemon.ts (start-up and
 * stop) and reload.ts (SIGHUP) both work through a SubsystemSet, so neither imports the other.
 */
import type { Config } from '../config/model.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { DaemonOptions } from './cli.js';
import type { DaemonStatus } from '../contracts/status.js';
import type { Result } from '../util/result.js';
import type { ControlCommand, ControlError } from './control-protocol.js';
import type { DumpSource } from './dump-files.js';
import type { MetricsHooks } from './metrics-sources.js';

/** A subsystem's part of the status model (contracts/status.ts). */
export type SubsystemStatus = Partial<Pick<DaemonStatus, 'vrrp' | 'lvs'>>;

/** Events one subsystem publishes for the others; the daemon routes them. */
export type DaemonEvent =
  | {
      readonly kind: 'vrrp-state';
      readonly instance: string;
      readonly from: string;
      readonly to: string;
    }
  | {
      /** A real server's checkers all up (`up`) or one down; names as keepalived prints them. */
      readonly kind: 'rs-health';
      /** VirtualServer.key and the real server's key within it (contracts/status.ts). */
      readonly vs: string;
      readonly rs: string;
      readonly vsName: string;
      readonly rsName: string;
      readonly up: boolean;
    };

/** One independently started part of the daemon (VRRP; checkers + IPVS). */
export interface Subsystem {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): Promise<void>;
  /** SIGHUP received, before the config is read (a VRRP master adverts at once). */
  beforeReload?(): void;
  /** SIGHUP with a config that loaded: migrate to it (never throws for config reasons). */
  reload?(config: Config): Promise<void>;
  /** Events published by the other subsystems. */
  onEvent?(event: DaemonEvent): void;
  /** Its part of keepalived's dump files (USR1, USR2, SIGRTMIN+2, SIGRTMAX-1): dump-files.ts. */
  readonly dumps?: DumpSource;
  /** Its part of the status model, for the control socket's `status` (docs/control.md). */
  status?(): Promise<SubsystemStatus>;
  /** A control-socket command (`rs.drain`, `vrrp.standby` ...); null when it is not this subsystem's. */
  control?(command: ControlCommand): Promise<Result<unknown, ControlError>> | null;
}

/** A start-up failure that is keepalived's FATAL exit; the message is the line to log. */
export class FatalStartupError extends Error {
  readonly code = 'EKA_FATAL_STARTUP';
}

export interface SubsystemContext {
  readonly config: Config;
  readonly options: DaemonOptions;
  readonly logger: Logger;
  readonly clock: Clock;
  publish(event: DaemonEvent): void;
  /** --metrics-listen: where the subsystems hand their metrics sources (metrics.ts). */
  readonly metrics?: MetricsHooks;
}

/**
 * Builds a subsystem for a loaded config, or null when the config (or the command line) does not
 * ask for it. Throws FatalStartupError for keepalived's FATAL start-up failures.
 */
export type SubsystemFactory = (ctx: SubsystemContext) => Promise<Subsystem | null>;

interface BuiltSubsystem {
  readonly factory: SubsystemFactory;
  readonly subsystem: Subsystem;
  started: boolean;
}

/**
 * The subsystems the daemon has built, in build order, each with the factory that made it (a
 * reload may build the ones the old config did not need). One subsystem failing never keeps the
 * others from their turn.
 */
export class SubsystemSet {
  private readonly built: BuiltSubsystem[] = [];

  constructor(
    readonly factories: readonly SubsystemFactory[],
    private readonly logger: Logger,
  ) {}

  /** Routes an event to every built subsystem. */
  publish(event: DaemonEvent): void {
    for (const b of this.built) {
      try {
        b.subsystem.onEvent?.(event);
      } catch (e) {
        this.logger.error(`${b.subsystem.name}: event handler failed: ${(e as Error).message}`);
      }
    }
  }

  /** Builds every factory's subsystem for `ctx` (start-up); a FatalStartupError propagates. */
  async buildAll(ctx: SubsystemContext, isStopping: () => boolean): Promise<void> {
    for (const factory of this.factories) {
      if (isStopping()) return;
      const s = await factory(ctx);
      if (s !== null) this.built.push({ factory, subsystem: s, started: false });
    }
  }

  /** Starts the built subsystems in build order. */
  async startAll(isStopping: () => boolean): Promise<void> {
    for (const b of this.built) {
      if (isStopping()) return;
      b.started = true;
      await b.subsystem.start();
    }
  }

  /** Stops the started subsystems in reverse start order; false when one failed to stop. */
  async stopAll(): Promise<boolean> {
    let clean = true;
    for (const b of [...this.built].reverse()) {
      if (!b.started) continue;
      try {
        await b.subsystem.stop();
      } catch (e) {
        this.logger.error(`${b.subsystem.name}: stop failed: ${(e as Error).message}`);
        clean = false;
      }
    }
    return clean;
  }

  /** SIGHUP, before the config is read. */
  beforeReload(): void {
    for (const b of this.built) if (b.started) b.subsystem.beforeReload?.();
  }

  /** Hands a loaded config to every started subsystem; a failure is logged, never thrown. */
  async reloadAll(config: Config): Promise<void> {
    for (const b of this.built) {
      if (!b.started || b.subsystem.reload === undefined) continue;
      try {
        await b.subsystem.reload(config);
      } catch (e) {
        this.logger.error(`${b.subsystem.name}: reload failed: ${(e as Error).message}`);
      }
    }
  }

  /** Builds and starts the subsystems a reloaded config newly needs (first virtual server, ...). */
  async buildMissing(ctx: SubsystemContext, isStopping: () => boolean): Promise<void> {
    const have = new Set(this.built.map((b) => b.factory));
    for (const factory of this.factories) {
      if (have.has(factory) || isStopping()) continue;
      try {
        const s = await factory(ctx);
        if (s === null) continue;
        this.built.push({ factory, subsystem: s, started: true });
        await s.start();
      } catch (e) {
        this.logger.error(`Reload: cannot start a new subsystem: ${(e as Error).message}`);
      }
    }
  }

  /** What every built subsystem writes into the dump files, in build order. */
  dumpSources(): DumpSource[] {
    return this.built.flatMap(({ subsystem: s }) => (s.dumps !== undefined ? [s.dumps] : []));
  }

  /** Every started subsystem's part of the status model, merged. */
  async status(): Promise<SubsystemStatus> {
    const parts = await Promise.all(
      this.built.filter((b) => b.started && b.subsystem.status).map((b) => b.subsystem.status!()),
    );
    return Object.assign({}, ...parts) as SubsystemStatus;
  }

  /** Runs a control command on the first started subsystem that takes it; null when none does. */
  control(command: ControlCommand): Promise<Result<unknown, ControlError>> | null {
    for (const b of this.built) {
      if (!b.started) continue;
      const r = b.subsystem.control?.(command) ?? null;
      if (r !== null) return r;
    }
    return null;
  }
}
