/**
 * The daemon's status model: one typed, JSON-serialisable snapshot per subsystem, assembled by
 * the daemon into a `DaemonStatus`. The control socket's `status` command returns it as is
 * (`keepalived-ts status --json`), and the metrics and the status page read the same model.
 * docs/control.md documents every field; the JSON form is stable: fields may be added, never
 * renamed or removed, within one `STATUS_SCHEMA_VERSION`.
 *
 * Conventions: times are wall-clock instants as ISO 8601 strings (UTC) or durations in
 * milliseconds (`...Ms`); absent values are `null`, never omitted; names are the ones keepalived
 * prints (`[10.0.0.1]:tcp:80`) beside the raw address and port.
 */

/** Bumped only when a field changes meaning or goes away. */
export const STATUS_SCHEMA_VERSION = 1;

export interface DaemonStatus {
  readonly schema: typeof STATUS_SCHEMA_VERSION;
  /** keepalived-ts's version. */
  readonly version: string;
  readonly pid: number;
  /** When this snapshot was taken. */
  readonly generatedAt: string;
  readonly startedAt: string;
  readonly configFile: string;
  /** The last reload (SIGHUP or `keepalived-ts reload`), or null before the first. */
  readonly lastReload: ReloadSummary | null;
  /** null when the VRRP subsystem is not running (-C, or no vrrp_instance). */
  readonly vrrp: VrrpStatus | null;
  /** null when the checkers are not running (-P, or no virtual_server). */
  readonly lvs: LvsStatus | null;
}

export interface ReloadSummary {
  readonly at: string;
  readonly applied: boolean;
  readonly durationMs: number;
}

// ---------------------------------------------------------------------------------------------
// VRRP
// ---------------------------------------------------------------------------------------------

export type VrrpStateName = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export interface VrrpStatus {
  readonly instances: readonly VrrpInstanceStatus[];
}

export interface VrrpInstanceStatus {
  readonly name: string;
  readonly interface: string | null;
  readonly vrid: number;
  readonly state: VrrpStateName;
  readonly wantState: VrrpStateName;
  /** The configured priority. */
  readonly basePriority: number;
  /** The priority adverts carry: base plus every tracker's contribution, clamped to 1..254. */
  readonly effectivePriority: number;
  /** Every tracker with what it adds now (`contribution`) and whether it forces FAULT. */
  readonly trackers: readonly TrackerStatus[];
  /** Why the instance is in FAULT (`interface eth0 down`), else null. */
  readonly fault: string | null;
  /** The operator's standby (`keepalived-ts vrrp standby`). */
  readonly standby: boolean;
  /** The master as last seen: our own address while MASTER, the advert's source while BACKUP. */
  readonly masterAddress: string | null;
  readonly masterPriority: number | null;
  /** `virtual_ipaddress` and `virtual_ipaddress_excluded`, as `ADDR/LEN dev IF`. */
  readonly vips: readonly string[];
  readonly advertIntervalMs: number;
  /** Time since the instance entered its current state. */
  readonly inStateMs: number;
  /** The last state change, or null while the instance is still in INIT. */
  readonly lastTransition: VrrpTransition | null;
  /** keepalived's per-instance statistics, by its `vrrp_stats` names. */
  readonly counters: Readonly<Record<string, number>>;
}

export interface VrrpTransition {
  readonly from: VrrpStateName;
  readonly to: VrrpStateName;
  /**
   * Why: `init`, `master-down-timeout`, `higher-priority-advert`, `fault: <tracker>`,
   * `fault-cleared`, `sync-group <name>`, `standby`, `stop`.
   */
  readonly reason: string;
  readonly at: string;
}

export interface TrackerStatus {
  readonly kind: 'script' | 'interface' | 'file' | 'process';
  readonly name: string;
  readonly weight: number;
  readonly reverse: boolean;
  /**
   * Scripts: `init`, `up`, `down`; interfaces: `up`, `down`; files: the value read; processes:
   * `quorum` or `no quorum`.
   */
  readonly value: string | number;
  /** What the tracker adds to the base priority now (0 for weight-0 trackers). */
  readonly contribution: number;
  /** True when this tracker puts the instance in FAULT. */
  readonly fault: boolean;
}

// ---------------------------------------------------------------------------------------------
// Checkers and IPVS
// ---------------------------------------------------------------------------------------------

export interface LvsStatus {
  /** `kernel`, or `dry-run` with --no-ipvs (then every kernel counter is null). */
  readonly ipvs: 'kernel' | 'dry-run';
  readonly virtualServers: readonly VirtualServerStatus[];
}

/** Totals of the kernel's counters (struct ip_vs_kstats; connections since the entry was added). */
export interface IpvsCounters {
  readonly connections: number;
  readonly inPackets: number;
  readonly outPackets: number;
  readonly inBytes: number;
  readonly outBytes: number;
}

export interface RealServerCounters extends IpvsCounters {
  readonly activeConnections: number;
  readonly inactiveConnections: number;
}

export interface VirtualServerStatus {
  /** Identity (`tcp:10.0.0.1:80`, `fwmark:inet:5`, `group:NAME:80`), as in dump-config. */
  readonly key: string;
  /** keepalived's name for it: `[10.0.0.1]:tcp:80`, `FWM 5`. */
  readonly name: string;
  readonly family: 'inet' | 'inet6';
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly address: string | null;
  readonly port: number | null;
  readonly fwmark: number | null;
  readonly group: string | null;
  readonly scheduler: string;
  readonly quorum: number;
  readonly hysteresis: number;
  /** Quorum met (keepalived's `quorum_state`). */
  readonly quorumUp: boolean;
  /** Sum of the weights of the healthy real servers, what quorum is measured against. */
  readonly weightSum: number;
  readonly sorryServer: SorryServerStatus | null;
  readonly realServers: readonly RealServerStatus[];
  /** Summed over the kernel services this virtual server stands for; null without the kernel. */
  readonly counters: IpvsCounters | null;
}

export interface SorryServerStatus {
  readonly address: string;
  readonly port: number;
  /** In the table instead of the real servers (quorum lost). */
  readonly active: boolean;
}

export interface RealServerStatus {
  /** Identity within its virtual server (`10.0.0.2|80`). */
  readonly key: string;
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Every checker of the real server is up (a server without checkers is always healthy). */
  readonly healthy: boolean;
  /** The weight IPVS holds for it now (0 when drained or inhibited; 0 when not in the table). */
  readonly weight: number;
  readonly configuredWeight: number;
  /** The configured weight as the checkers adjust it (dynamic weights), drain aside. */
  readonly effectiveWeight: number;
  /** Present in the desired IPVS table. */
  readonly inTable: boolean;
  /** Taken out by the operator (`keepalived-ts rs drain`): weight 0, connections finish. */
  readonly drained: boolean;
  readonly drainedAt: string | null;
  /** When it last went up or down (since the daemon started), else null. */
  readonly lastTransitionAt: string | null;
  /** The latest completed check of any of its checkers, or null before the first. */
  readonly lastCheck: CheckSummary | null;
  readonly checkers: readonly CheckerSummary[];
  /** The kernel's counters for this destination; null without the kernel or not in the table. */
  readonly counters: RealServerCounters | null;
}

export interface CheckSummary {
  readonly ok: boolean;
  /** keepalived's words for a failure (`Timeout connecting`), null on success. */
  readonly reason: string | null;
  readonly latencyMs: number;
  readonly at: string;
}

export interface CheckerSummary {
  /** `TCP_CHECK`, `HTTP_GET`, ... */
  readonly type: string;
  /** keepalived's text for the endpoint checked (`[127.0.0.1]:tcp:8080`). */
  readonly target: string;
  readonly up: boolean;
  readonly lastCheck: CheckSummary | null;
}
