/**
 * Where the writer's operations go. The writer (writer.ts) owns the one apply loop (desired table
 * -> reconcile -> Op[] -> sink, with keepalived's error handling); a sink only carries out
 * commands: the kernel over generic netlink (kernel-sink.ts), or a dry run for `--no-ipvs`
 * (dry-run-sink.ts) that keeps the table in memory and logs what would have been sent.
 */
import type { Result } from '../util/result.js';
import type { Op } from './reconcile.js';
import type {
  DestinationEntry,
  IpvsInfo,
  IpvsTable,
  IpvsTimeouts,
  ServiceEntry,
  SyncDaemonSpec,
  SyncDaemonState,
} from './types.js';

/** A failure with a stable code, for the daemon's events and logs. */
export interface IpvsError {
  readonly code: 'EKA_IPVS_KERNEL' | 'EKA_IPVS_UNAVAILABLE' | 'EKA_IPVS_DECODE';
  readonly errno: number;
  readonly message: string;
}

/** A table as a dump returns it: services and destinations with their statistics. */
export type FullTable = IpvsTable<ServiceEntry, DestinationEntry>;

/** Why one command failed: the kernel's errno (positive) and any text it sent. */
export interface SinkError {
  readonly errno: number;
  readonly message: string;
}

export type SinkResult = Result<void, SinkError>;

export interface IpvsSink {
  /**
   * 'dry-run' holds nothing outside this process, so a stop has nothing to release; 'kernel'
   * leaves the daemon's services in the kernel until they are deleted.
   */
  readonly kind: 'kernel' | 'dry-run';
  /** Carries out `ops` in order (pipelined); one outcome per op, in the same order. */
  run(ops: readonly Op[]): Promise<SinkResult[]>;
  /** IPVS_CMD_GET_INFO. */
  info(): Promise<Result<IpvsInfo, IpvsError>>;
  /** The table the sink holds now (the kernel: GET_SERVICE, then GET_DEST per service). */
  dump(): Promise<Result<FullTable, IpvsError>>;
  /** IPVS_CMD_FLUSH. */
  flush(): Promise<SinkResult>;
  /** The timeouts in force (IPVS_CMD_GET_CONFIG), or null when they cannot be read. */
  getTimeouts(): Promise<IpvsTimeouts | null>;
  /** IPVS_CMD_SET_CONFIG; a zero value leaves that timeout unchanged. */
  setTimeouts(t: IpvsTimeouts): Promise<SinkResult>;
  startSyncDaemon(spec: SyncDaemonSpec): Promise<SinkResult>;
  stopSyncDaemon(state: SyncDaemonState): Promise<SinkResult>;
  /** Releases what the sink holds open (the netlink socket). */
  close(): void;
}
