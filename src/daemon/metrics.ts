/**
 * The daemon's Prometheus metrics on the main thread (docs/metrics.md lists every series). Three
 * parts, concatenated on a scrape (metrics-routes.ts):
 *
 * - this thread's registry: the exporter-compatible VRRP series (mehdy/keepalived-exporter's
 *   names and labels), read on a scrape from the engine's instance reports (a few fields per
 *   instance; mirroring the advert counters by events would put a hook on the advert path
 *   itself), the daemon's own (reloads, transitions, Adver_Timer lateness, checker restarts,
 *   counted as they happen) and prom-client's process and event-loop metrics;
 * - the kernel's IPVS counters (gen2brain/keepalived_exporter's `keepalived_lvs_*`), refreshed
 *   from a table dump every LVS_COUNTERS_INTERVAL_MS and kept as rendered text, so a scrape
 *   neither dumps the kernel nor renders those series;
 * - the checker worker's series (metrics-worker.ts), rendered on the worker's thread.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FullTable } from '../ipvs/sink.js';
import type { VrrpState } from '../vrrp/state-machine.js';
import type { FeedEntry } from './event-feed.js';
import type { LvsMetricsSource, MetricsHooks, VrrpMetricsSource } from './metrics-sources.js';

/** How often the kernel's IPVS counters are dumped for the `keepalived_lvs_*` series. */
export const LVS_COUNTERS_INTERVAL_MS = 5000;
/** How long a scrape waits for the checker worker's part before leaving it out. */
export const WORKER_TEXT_TIMEOUT_MS = 1000;

/** keepalived's state numbers (vrrp.h VRRP_STATE_*), as its JSON dump and the exporter give them. */
export const VRRP_STATE_NUMBER: Record<VrrpState, number> = {
  INIT: 0,
  BACKUP: 1,
  MASTER: 2,
  FAULT: 3,
  STOP: 98,
};

/** The exporter's per-instance counters and the keepalived `vrrp_stats` field each one reads. */
export const VRRP_COUNTER_METRICS = [
  ['keepalived_advertisements_received_total', 'advert_rcvd', 'Advertisements received'],
  ['keepalived_advertisements_sent_total', 'advert_sent', 'Advertisements sent'],
  ['keepalived_become_master_total', 'become_master', 'Became master'],
  ['keepalived_release_master_total', 'release_master', 'Released master'],
  ['keepalived_packet_length_errors_total', 'packet_len_err', 'Packet length errors'],
  ['keepalived_advertisements_interval_errors_total', 'advert_interval_err', 'Advertisement interval errors'],
  ['keepalived_ip_ttl_errors_total', 'ip_ttl_err', 'TTL errors'],
  ['keepalived_invalid_type_received_total', 'invalid_type_rcvd', 'Invalid type errors'],
  ['keepalived_address_list_errors_total', 'addr_list_err', 'Address list errors'],
  ['keepalived_authentication_invalid_total', 'invalid_authtype', 'Authentication invalid'],
  ['keepalived_authentication_mismatch_total', 'authtype_mismatch', 'Authentication mismatch'],
  ['keepalived_authentication_failure_total', 'auth_failure', 'Authentication failure'],
  // keepalived 2.4 auth_hmac (vrrp_json.c auth_ext_*); no keepalived exporter names them.
  ['keepalived_auth_hmac_missing_total', 'auth_ext_missing', 'auth_hmac trailer missing'],
  ['keepalived_auth_hmac_malformed_total', 'auth_ext_malformed', 'auth_hmac trailer malformed'],
  ['keepalived_auth_hmac_unknown_key_total', 'auth_ext_unknown_key', 'auth_hmac unknown key id'],
  ['keepalived_auth_hmac_invalid_hmac_total', 'auth_ext_invalid_hmac', 'auth_hmac invalid HMAC'],
  ['keepalived_auth_hmac_stale_total', 'auth_ext_stale', 'auth_hmac stale trailer'],
  ['keepalived_auth_hmac_replay_total', 'auth_ext_replay', 'auth_hmac replayed trailer'],
  ['keepalived_priority_zero_received_total', 'pri_zero_rcvd', 'Priority zero received'],
  ['keepalived_priority_zero_sent_total', 'pri_zero_sent', 'Priority zero sent'],
] as const;

const LATENESS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const RELOAD_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** `ADDR` or `ADDR/LEN` as keepalived's JSON dump starts a VIP (the exporter's `ip_address`). */
function vipAddress(v: { address: string; family: string; prefixLength: number }): string {
  return v.prefixLength === (v.family === 'inet6' ? 128 : 32) ? v.address : `${v.address}/${v.prefixLength}`;
}

type InstanceLabels = 'iname' | 'intf' | 'vrid';

export interface DaemonMetricsOptions {
  /** prom-client's process and Node.js metrics (event-loop lag); default true. */
  readonly defaultMetrics?: boolean;
  readonly countersIntervalMs?: number;
  readonly now?: () => number;
}

export class DaemonMetrics implements MetricsHooks {
  readonly registry = new Registry();
  private readonly kernelRegistry = new Registry();
  private kernelText = '';
  private vrrp: VrrpMetricsSource | null = null;
  private lvs: LvsMetricsSource | null = null;
  private kernelTimer: ReturnType<typeof setInterval> | null = null;
  private readonly advertLateness: Histogram<'iname'>;
  private readonly advertLatenessOf = new Map<string, { observe(v: number): void }>();
  private readonly transitions: Counter<'iname' | 'from' | 'to'>;
  private readonly reloads: Counter<'result'>;
  private readonly reloadDuration: Histogram;
  private readonly restarts: Counter;
  private readonly kernel: ReturnType<typeof kernelMetrics>;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(options: DaemonMetricsOptions = {}) {
    this.intervalMs = options.countersIntervalMs ?? LVS_COUNTERS_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    // keepalived_up: this daemon answers (the exporter's 1 when it could read keepalived's data).
    new Gauge({ name: 'keepalived_up', help: 'Status', registers }).set(1);
    this.vrrpMetrics(registers);
    this.transitions = new Counter({
      name: 'keepalived_ts_vrrp_transitions_total',
      help: 'VRRP state changes, by instance and states',
      labelNames: ['iname', 'from', 'to'],
      registers,
    });
    this.advertLateness = new Histogram({
      name: 'keepalived_ts_vrrp_advert_timer_lateness_seconds',
      help: "How late a master's Adver_Timer fired against its deadline (main-thread timer lateness)",
      labelNames: ['iname'],
      buckets: LATENESS_BUCKETS,
      registers,
    });
    this.reloads = new Counter({
      name: 'keepalived_ts_reloads_total',
      help: 'Reloads (SIGHUP, keepalived-ts reload, --watch-config): applied, or refused for configuration errors',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['applied', 'refused']) this.reloads.inc({ result }, 0);
    this.reloadDuration = new Histogram({
      name: 'keepalived_ts_reload_duration_seconds',
      help: 'Time a reload took, from the signal to the new configuration running',
      buckets: RELOAD_BUCKETS,
      registers,
    });
    this.restarts = new Counter({
      name: 'keepalived_ts_checker_worker_restarts_total',
      help: 'Checker worker threads that died and were restarted',
      registers,
    });
    if (options.defaultMetrics !== false) {
      // nodejs_eventloop_lag_seconds and friends; the lag monitor samples every 10 ms.
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    }
    this.kernel = kernelMetrics(this.kernelRegistry);
  }

  /** Series read from the engine on a scrape (collect callbacks): bounded by the instance count. */
  private vrrpMetrics(registers: Registry[]): void {
    // collect() runs with `this` the metric; the sources are read through this getter.
    const source = (): VrrpMetricsSource | null => this.vrrp;
    const wallNow = (): number => this.now();
    const instanceLabels: InstanceLabels[] = ['iname', 'intf', 'vrid'];
    const vipGauge = (name: string, help: string, excluded: boolean) =>
      new Gauge({
        name,
        help,
        labelNames: ['iname', 'intf', 'vrid', 'ip_address'],
        registers,
        collect() {
          this.reset();
          for (const r of source()?.reports() ?? []) {
            const state = VRRP_STATE_NUMBER[r.detail.state];
            const vips = excluded ? r.config.excludedVips : r.config.vips;
            const vrid = String(r.config.virtualRouterId);
            for (const v of vips)
              this.set({ iname: r.config.name, intf: v.dev, vrid, ip_address: vipAddress(v) }, state);
            // As the exporter: an instance without VIPs still has its state, with an empty address.
            if (!excluded && vips.length === 0)
              this.set({ iname: r.config.name, intf: r.config.interface ?? '', vrid, ip_address: '' }, state);
          }
        },
      });
    vipGauge('keepalived_vrrp_state', 'State of vrrp', false);
    vipGauge('keepalived_vrrp_excluded_state', 'State of vrrp with excluded VIP', true);
    for (const [name, field, help] of VRRP_COUNTER_METRICS) {
      new Counter({
        name,
        help,
        labelNames: instanceLabels,
        registers,
        collect() {
          this.reset();
          for (const r of source()?.reports() ?? []) this.inc(instanceOf(r), r.detail.counters[field]);
        },
      });
    }
    new Counter({
      name: 'keepalived_gratuitous_arp_delay_total',
      help: 'Gratuitous ARP delay',
      labelNames: instanceLabels,
      registers,
      collect() {
        this.reset();
        for (const r of source()?.reports() ?? []) this.inc(instanceOf(r), r.config.garp.masterDelay);
      },
    });
    new Gauge({
      name: 'keepalived_script_status',
      help: 'Tracker Script Status',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        for (const s of source()?.scripts() ?? []) this.set({ name: s.name }, s.good ? 1 : 0);
      },
    });
    new Gauge({
      name: 'keepalived_script_state',
      help: 'Tracker Script State',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        for (const s of source()?.scripts() ?? []) this.set({ name: s.name }, s.running ? 1 : 0);
      },
    });
    const perInstance = (name: string, help: string, value: (r: VrrpReport) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['iname'],
        registers,
        collect() {
          this.reset();
          for (const r of source()?.reports() ?? []) this.set({ iname: r.config.name }, value(r));
        },
      });
    perInstance(
      'keepalived_ts_vrrp_effective_priority',
      'Priority the adverts carry: base plus every tracker, 1..254 (255 for the address owner)',
      (r) => r.detail.effectivePriority,
    );
    perInstance('keepalived_ts_vrrp_base_priority', 'Configured priority', (r) => r.detail.basePriority);
    perInstance(
      'keepalived_ts_vrrp_state_since_timestamp_seconds',
      'When the instance entered its current state (Unix time; time() minus it is the time since)',
      (r) => (wallNow() - (source()!.clockNow() - r.detail.stateSince)) / 1000,
    );
    const perTracker = (name: string, help: string, value: (t: VrrpReport['trackers'][number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['iname', 'kind', 'name'],
        registers,
        collect() {
          this.reset();
          for (const r of source()?.reports() ?? [])
            for (const t of r.trackers)
              this.set({ iname: r.config.name, kind: t.item.kind, name: t.item.name }, value(t));
        },
      });
    perTracker(
      'keepalived_ts_vrrp_tracker_contribution',
      'What a tracker (script, interface, file) adds to the base priority now',
      (t) => t.effect.contribution,
    );
    perTracker(
      'keepalived_ts_vrrp_tracker_fault',
      'The tracker puts the instance in FAULT: 1, else 0',
      (t) => (t.effect.fault !== null ? 1 : 0),
    );
  }

  attachVrrp(source: VrrpMetricsSource): () => void {
    this.vrrp = source;
    return () => {
      if (this.vrrp === source) this.vrrp = null;
    };
  }

  attachLvs(source: LvsMetricsSource): () => void {
    this.lvs = source;
    this.stopKernelTimer();
    if (source.kernelTable !== null) {
      const refresh = (): void => void this.refreshKernel(source);
      refresh();
      this.kernelTimer = setInterval(refresh, this.intervalMs);
      this.kernelTimer.unref();
    }
    return () => {
      if (this.lvs !== source) return;
      this.lvs = null;
      this.stopKernelTimer();
      this.kernelText = '';
    };
  }

  /** One kernel dump into the `keepalived_lvs_*` series, rendered once here. */
  async refreshKernel(source: LvsMetricsSource): Promise<void> {
    let table: FullTable | null = null;
    try {
      table = (await source.kernelTable?.()) ?? null;
    } catch {
      table = null;
    }
    if (this.lvs !== source) return;
    this.kernel.update(table);
    this.kernelText = table === null ? '' : await this.kernelRegistry.metrics();
  }

  private stopKernelTimer(): void {
    if (this.kernelTimer !== null) clearInterval(this.kernelTimer);
    this.kernelTimer = null;
  }

  advertTimer(instance: string, latenessMs: number): void {
    let h = this.advertLatenessOf.get(instance);
    if (h === undefined) this.advertLatenessOf.set(instance, (h = this.advertLateness.labels(instance)));
    h.observe(latenessMs / 1000);
  }

  checkerRestart(): void {
    this.restarts.inc();
  }

  /** The observers' event feed: transitions and reloads are counted as they happen. */
  onEvent(entry: FeedEntry): void {
    if (entry.kind === 'vrrp-state')
      this.transitions.inc({ iname: entry.instance, from: entry.from, to: entry.to });
    else if (entry.kind === 'reload') {
      this.reloads.inc({ result: entry.applied ? 'applied' : 'refused' });
      this.reloadDuration.observe(entry.durationMs / 1000);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The exposition in parts, to be written one after the other: this thread's series, the
   * kernel's (last dump), the worker's bytes (never decoded or copied here).
   */
  async parts(): Promise<(string | Uint8Array)[]> {
    const worker =
      this.lvs === null ? Promise.resolve('') : withTimeout(this.lvs.workerText(), WORKER_TEXT_TIMEOUT_MS);
    const [main, workerPart] = await Promise.all([this.registry.metrics(), worker]);
    const parts: (string | Uint8Array)[] = [endLine(main)];
    if (this.kernelText !== '') parts.push(endLine(this.kernelText));
    if (workerPart.length > 0) parts.push(workerPart);
    return parts;
  }

  /** The whole exposition as one string (tests). */
  async text(): Promise<string> {
    const decoder = new TextDecoder();
    return (await this.parts()).map((p) => (typeof p === 'string' ? p : decoder.decode(p))).join('');
  }

  /** Every metric name this thread's registries define (tests, the dashboard check). */
  names(): string[] {
    return [...this.registry.getMetricsAsArray(), ...this.kernelRegistry.getMetricsAsArray()].map(
      (m) => m.name,
    );
  }

  close(): void {
    this.stopKernelTimer();
    this.registry.clear();
  }
}

type VrrpReport = ReturnType<VrrpMetricsSource['reports']>[number];

function instanceOf(r: VrrpReport): Record<InstanceLabels, string> {
  return { iname: r.config.name, intf: r.config.interface ?? '', vrid: String(r.config.virtualRouterId) };
}

const endLine = (t: string): string => (t.endsWith('\n') ? t : `${t}\n`);

function withTimeout<T extends string | Uint8Array>(p: Promise<T>, ms: number): Promise<T | ''> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(''), ms);
    p.then(
      (t) => {
        clearTimeout(timer);
        resolve(t);
      },
      () => {
        clearTimeout(timer);
        resolve('');
      },
    );
  });
}

/**
 * gen2brain/keepalived_exporter's IPVS series: `vip` and `addr` as `ADDR:PORT` (a fwmark service
 * as `fwmark:MARK`), `proto` the IPPROTO number; counters since the kernel entry was added.
 */
function kernelMetrics(registry: Registry) {
  const registers = [registry];
  const vipLabels = ['addr', 'proto'] as const;
  const rsLabels = ['vip', 'addr', 'proto'] as const;
  const fields = [
    ['in_packets', 'inpkts', 'in packets'],
    ['out_packets', 'outpkts', 'out packets'],
    ['in_bytes', 'inbytes', 'in bytes'],
    ['out_bytes', 'outbytes', 'out bytes'],
    ['conn', 'conns', 'connections'],
  ] as const;
  const vip = fields.map(
    ([suffix, field, help]) =>
      [
        field,
        new Counter({
          name: `keepalived_lvs_vip_${suffix}`,
          help: `VIP ${help}`,
          labelNames: vipLabels,
          registers,
        }),
      ] as const,
  );
  const rs = fields.map(
    ([suffix, field, help]) =>
      [
        field,
        new Counter({
          name: `keepalived_lvs_rs_${suffix}`,
          help: `RS ${help}`,
          labelNames: rsLabels,
          registers,
        }),
      ] as const,
  );
  const active = new Gauge({
    name: 'keepalived_ts_lvs_rs_active_connections',
    help: "The kernel's active connections to the real server (ipvsadm's ActiveConn)",
    labelNames: rsLabels,
    registers,
  });
  const inactive = new Gauge({
    name: 'keepalived_ts_lvs_rs_inactive_connections',
    help: "The kernel's inactive connections to the real server (ipvsadm's InActConn)",
    labelNames: rsLabels,
    registers,
  });
  return {
    update(table: FullTable | null): void {
      for (const [, c] of [...vip, ...rs]) c.reset();
      active.reset();
      inactive.reset();
      if (table === null) return;
      for (const { service, destinations } of table.services.values()) {
        const id = service.id;
        const vipText = id.kind === 'addr' ? `${id.address}:${id.port}` : `fwmark:${id.fwmark}`;
        const proto = String(id.kind === 'addr' ? id.protocol : 0);
        if (service.stats !== null)
          for (const [field, c] of vip) c.inc({ addr: vipText, proto }, service.stats[field]);
        for (const d of destinations.values()) {
          const labels = { vip: vipText, addr: `${d.address}:${d.port}`, proto };
          active.set(labels, d.activeConns);
          inactive.set(labels, d.inactiveConns);
          if (d.stats !== null) for (const [field, c] of rs) c.inc(labels, d.stats[field]);
        }
      }
    },
  };
}
