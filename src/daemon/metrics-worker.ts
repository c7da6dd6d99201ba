/**
 * The checker worker's part of the metrics (docs/metrics.md): check latency and failures, and
 * each real server's health, weight and drain state and each virtual server's quorum. They live
 * in the worker thread, in its own prom-client Registry, updated as attempts complete and as the
 * pool's tables change; the main thread asks for the exposition text on a scrape
 * (checker-host.ts `metricsText`) and only forwards the bytes. Rendering 10,000 real servers'
 * series thus costs the worker's time, never the main thread's (which sends the VRRP adverts);
 * and since those series change only with a table, their text is rendered once per change and
 * reused, while the check series (a few per checker kind) are rendered on every scrape.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CheckResult } from '../check/checker.js';
import { drainKey, type PoolHealth, type VsState } from '../check/table.js';
import type { Checker, Config, VirtualServer } from '../config/model.js';
import { formatRs, formatVs } from '../config/virtual-server-format.js';
import type { DesiredService, DesiredTable } from '../contracts/ipvs-table.js';

/** Seconds; checks end by connect_timeout (default 5 s), scripts by misc_timeout. */
export const CHECK_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

type RsLabels = 'virtual_server' | 'real_server';

interface VsSeen {
  readonly services: readonly DesiredService[];
  readonly state: VsState | undefined;
  readonly drainedVersion: number;
}

export class CheckerWorkerMetrics {
  /** The check series (change with every attempt): rendered per scrape. */
  readonly registry = new Registry();
  /** The real and virtual servers' series (change with a table): rendered when they changed. */
  readonly stateRegistry = new Registry();
  private stateBytes: Uint8Array | null = null;
  private readonly encoder = new TextEncoder();
  private readonly duration: Histogram<'type'>;
  private readonly failures: Counter<'type' | 'reason'>;
  private readonly attempts: Counter<'type'>;
  private readonly healthy: Gauge<RsLabels>;
  private readonly weight: Gauge<RsLabels>;
  private readonly drained: Gauge<RsLabels>;
  private readonly quorum: Gauge<'virtual_server'>;
  /** Per-kind children, so that an attempt costs no label hashing. */
  private readonly durationOf = new Map<string, { observe(v: number): void }>();
  private readonly attemptsOf = new Map<string, { inc(): void }>();
  /** What each virtual server's series were last computed from (object identity). */
  private seen = new Map<string, VsSeen>();
  private drainedSet: ReadonlySet<string> = new Set();
  private drainedVersion = 0;

  constructor() {
    const registers = [this.registry];
    const state = [this.stateRegistry];
    this.duration = new Histogram({
      name: 'keepalived_ts_check_duration_seconds',
      help: 'Time a completed health check attempt took, by checker kind',
      labelNames: ['type'],
      buckets: CHECK_DURATION_BUCKETS,
      registers,
    });
    this.attempts = new Counter({
      name: 'keepalived_ts_checks_total',
      help: 'Completed health check attempts, by checker kind',
      labelNames: ['type'],
      registers,
    });
    this.failures = new Counter({
      name: 'keepalived_ts_check_failures_total',
      help: "Failed health check attempts, by checker kind and keepalived's reason",
      labelNames: ['type', 'reason'],
      registers,
    });
    this.healthy = new Gauge({
      name: 'keepalived_ts_real_server_healthy',
      help: 'Real server health: 1 when every checker is up, 0 when one is down',
      labelNames: ['virtual_server', 'real_server'],
      registers: state,
    });
    this.weight = new Gauge({
      name: 'keepalived_ts_real_server_weight',
      help: 'Weight the desired IPVS table gives the real server (0 when drained, inhibited or out)',
      labelNames: ['virtual_server', 'real_server'],
      registers: state,
    });
    this.drained = new Gauge({
      name: 'keepalived_ts_real_server_drained',
      help: 'Real server drained by the operator (keepalived-ts rs drain): 1, else 0',
      labelNames: ['virtual_server', 'real_server'],
      registers: state,
    });
    this.quorum = new Gauge({
      name: 'keepalived_ts_virtual_server_quorum_up',
      help: 'Virtual server quorum met: 1, else 0',
      labelNames: ['virtual_server'],
      registers: state,
    });
  }

  /** A completed attempt (pool.ts `onAttempt`); latency in ms. */
  attempt(type: Checker['type'], latencyMs: number, result: CheckResult): void {
    let d = this.durationOf.get(type);
    if (d === undefined) this.durationOf.set(type, (d = this.duration.labels(type)));
    d.observe(latencyMs / 1000);
    let a = this.attemptsOf.get(type);
    if (a === undefined) this.attemptsOf.set(type, (a = this.attempts.labels(type)));
    a.inc();
    // The reason without its detail (addresses, status codes): a bounded set of keepalived's words.
    if (result.kind === 'down') this.failures.labels(type, result.reason).inc();
  }

  /** The operator's drains (the whole set), as the worker receives them. */
  setDrained(drained: ReadonlySet<string>): void {
    this.drainedSet = drained;
    this.drainedVersion++;
  }

  /** A new pool (start, reload): series of real servers the config no longer has go away. */
  reset(): void {
    this.stateBytes = null;
    this.healthy.reset();
    this.weight.reset();
    this.drained.reset();
    this.quorum.reset();
    this.seen = new Map();
  }

  /**
   * The pool's table and health after a change. The pool replaces a virtual server's services and
   * VsState only when they change, so unchanged virtual servers are skipped by identity.
   */
  update(config: Config, table: DesiredTable, health: PoolHealth): void {
    const servicesOf = new Map<string, DesiredService[]>();
    for (const s of table.services) {
      const hash = s.key.indexOf('#');
      const vsKey = hash < 0 ? s.key : s.key.slice(0, hash);
      const list = servicesOf.get(vsKey);
      if (list === undefined) servicesOf.set(vsKey, [s]);
      else list.push(s);
    }
    for (const vs of config.virtualServers) {
      const services = servicesOf.get(vs.key) ?? [];
      const state = health.virtualServers.get(vs.key);
      const last = this.seen.get(vs.key);
      if (
        last !== undefined &&
        last.state === state &&
        last.drainedVersion === this.drainedVersion &&
        last.services.length === services.length &&
        last.services.every((s, i) => s === services[i])
      )
        continue;
      this.seen.set(vs.key, { services, state, drainedVersion: this.drainedVersion });
      this.stateBytes = null;
      this.updateVs(vs, services, state);
    }
  }

  /**
   * One virtual server after a change (its services and state as they stand now), in time
   * proportional to its real servers: the pool's `changes` events name the virtual servers.
   */
  updateVirtualServer(
    vs: VirtualServer,
    services: readonly DesiredService[],
    state: VsState | undefined,
  ): void {
    this.seen.set(vs.key, { services, state, drainedVersion: this.drainedVersion });
    this.stateBytes = null;
    this.updateVs(vs, services, state);
  }

  private updateVs(vs: VirtualServer, services: readonly DesiredService[], state: VsState | undefined): void {
    const vsName = formatVs(vs);
    this.quorum.set({ virtual_server: vsName }, state?.quorumUp === true ? 1 : 0);
    const weights = new Map<string, number>();
    for (const d of services[0]?.destinations ?? []) weights.set(d.key, d.weight);
    for (const rs of vs.realServers) {
      const labels = { virtual_server: vsName, real_server: formatRs(rs, vs) };
      // No health yet (before the pool's first table): a server without checkers is up, as in the status.
      const alive = state?.realServers.get(rs.key)?.alive ?? rs.checkers.length === 0;
      this.healthy.set(labels, alive ? 1 : 0);
      this.weight.set(labels, weights.get(rs.key) ?? 0);
      this.drained.set(labels, this.drainedSet.has(drainKey(vs.key, rs.key)) ? 1 : 0);
    }
  }

  /** The worker's series, UTF-8, in a buffer of its own (to be transferred). */
  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    this.stateBytes ??= this.encoder.encode(await this.stateRegistry.metrics());
    // Each part ends with a newline (prom-client's text does).
    const checks = this.encoder.encode(await this.registry.metrics());
    const out = new Uint8Array(checks.length + this.stateBytes.length);
    out.set(checks, 0);
    out.set(this.stateBytes, checks.length);
    return out;
  }

  /** The same as text (tests). */
  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }

  /** Every metric name the worker defines. */
  names(): string[] {
    return [...this.registry.getMetricsAsArray(), ...this.stateRegistry.getMetricsAsArray()].map(
      (m) => m.name,
    );
  }
}
