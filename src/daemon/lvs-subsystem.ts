/**
 * The checker/IPVS half of the daemon (keepalived's Healthcheck child): the checker pool in its
 * worker thread (checker-host.ts) and the IPVS writer it feeds. The pool's whole `table` (start,
 * reload) is reconciled against the kernel's; each `changes` event after it writes only the
 * destinations it touches (while one apply runs, the changes that arrive wait and go together). With
 * `--no-ipvs` the writer runs the same loop over its dry-run sink: an in-memory table, and the
 * operations logged at detail level instead of being sent.
 *
 * Lifecycle (docs/behaviour.md §4.9, §4.10):
 *   open    resolve the IPVS genl family (modprobe ip_vs once if it is missing); failure is
 *           keepalived's FATAL `IPVS: Can't initialize ipvs: ...`
 *   start   checker pool started (alpha decides the first table), then lvs_flush, lvs_timeouts,
 *           services and destinations; lvs_sync_daemon
 *   vrrp    MASTER/other state of the lvs_sync_daemon instance switches the sync daemon role
 *   reload  pool reloaded (matched servers keep their state), table reconciled with no flush
 *   stop    pool stopped (omega scripts), sync daemon stopped, our services deleted unless -I
 *   drain   the operator's `rs drain` / `rs enable` (docs/control.md): kept here, handed to the
 *           pool (weight 0 in its table), logged; kept across a reload that keeps the server
 *   status  the status model's LVS part (lvs-status.ts), with the kernel's counters from a dump
 *   fifo    notify_fifo and lvs_notify_fifo (notify-fifos.ts) get a `VS ...` / `RS ...` line for
 *           the pool's events (check/fifo-lines.ts), from start-up to the shutdown's omega lines;
 *           their scripts get SIGTERM at stop and reload, and a reload reopens them
 */
import { execFile } from 'node:child_process';
import { lvsReloadLines } from '../check/reload-log.js';
import type { CheckerStatus } from '../check/pool.js';
import { drainKey, type PoolEvent } from '../check/table.js';
import { poolEventFifoLine } from '../check/fifo-lines.js';
import { formatRs, formatVs } from '../config/virtual-server-format.js';
import type { LvsStatus } from '../contracts/status.js';
import type { DesiredDestinationChange, DesiredTable } from '../contracts/ipvs-table.js';
import type { Config, LvsSyncDaemon, LvsTimeouts } from '../config/model.js';
import { GenlConnection, type NetlinkTransport, type TransportError } from '../ipvs/genl-conn.js';
import type { IpvsTimeouts, SyncDaemonSpec, SyncDaemonState } from '../ipvs/types.js';
import { IpvsWriter } from '../ipvs/writer.js';
import { openGenericNetlink } from '../net/netlink-socket.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { err, ok, type Result } from '../util/result.js';
import { createCheckerHost, type CheckerHost } from './checker-host.js';
import type { MetricsHooks } from './metrics-sources.js';
import type { ControlError, Protocol } from './control-protocol.js';
import { findRealServer, findVirtualServer } from './control-targets.js';
import { lvsStatus } from './lvs-status.js';
import { NotifyFifoSet } from './notify-fifos.js';
import { AddressWatcher } from '../net/address-watch.js';
import { checkDataText, checkJsonEntries, type CheckDumpInput } from '../check/dumps.js';

/** What `rs drain` / `rs enable` did. */
export interface DrainOutcome {
  /** keepalived's names: `[10.0.0.1]:tcp:80`, `[10.0.1.2]:tcp:80`. */
  readonly vs: string;
  readonly rs: string;
  readonly vsKey: string;
  readonly rsKey: string;
  readonly drained: boolean;
  /** False when it already was in that state. */
  readonly changed: boolean;
}

/** How long a status waits for the worker's checker details before showing none. */
const CHECKER_DETAIL_TIMEOUT_MS = 1000;

export interface LvsSubsystemDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  /** `--no-ipvs`: never open IPVS. */
  readonly noIpvs: boolean;
  /** `-I/--dont-release-ipvs`: leave the table on stop. */
  readonly dontReleaseIpvs: boolean;
  /** `-R/--dont-respawn`: a crashed checker worker is not restarted. */
  readonly dontRespawn?: boolean;
  /** Opens the generic netlink socket; default net/netlink-socket.ts. */
  readonly openTransport?: () => Result<NetlinkTransport, TransportError>;
  /** Loads the ip_vs module when the family is missing, as keepalived does; default `modprobe ip_vs`. */
  readonly loadModule?: () => Promise<void>;
  /** Builds the checker host; default the worker-thread host. */
  readonly createHost?: (config: Config, logger: Logger) => CheckerHost;
  /** A real server went up or down (the daemon publishes it for the observers). */
  readonly onRealServerHealth?: (change: {
    vs: string;
    rs: string;
    vsName: string;
    rsName: string;
    up: boolean;
  }) => void;
  /** --metrics-listen: the worker keeps its metrics; the kernel's counters are dumped on an interval. */
  readonly metrics?: MetricsHooks;
  /** -u (null: keepalived's default 0177): the mode of the notify FIFOs created. */
  readonly umask?: number | null;
  /** The host's addresses for ha_suspend; default net/address-watch.ts over rtnetlink. */
  readonly openAddressWatcher?: () => Promise<AddressSource>;
}

/** What ha_suspend reads of net/address-watch.ts. */
export type AddressSource = Pick<AddressWatcher, 'counts' | 'onChange' | 'close'>;

export interface LvsSubsystem {
  start(): Promise<void>;
  stop(): Promise<void>;
  reload(config: Config): Promise<void>;
  /** A VRRP instance changed state (routed by the daemon; drives lvs_sync_daemon). */
  vrrpState(instance: string, state: string): void;
  /** Resolves when every table received so far has been applied (tests, reload). */
  settled(): Promise<void>;
  /** The status model's LVS part. */
  status(): Promise<LvsStatus>;
  /** keepalived_check.data after its Global definitions (check/dumps.ts). */
  dumpDataText(host: Pick<CheckDumpInput, 'idsOf' | 'programOf'>): Promise<string>;
  /** keepalived_check.json's array (beyond keepalived; check/dumps.ts). */
  dumpJsonEntries(): Promise<unknown[]>;
  /** `rs drain` (true) / `rs enable` (false): resolves once the table with it has been applied. */
  setDrained(
    vs: string,
    rs: string,
    protocol: Protocol | null,
    drained: boolean,
  ): Promise<Result<DrainOutcome, ControlError>>;
}

/** `modprobe ip_vs`, quietly, bounded (keepalived's modprobe_ipvs). */
function modprobeIpvs(): Promise<void> {
  return new Promise((resolve) => {
    execFile('modprobe', ['ip_vs'], { timeout: 5000 }, () => resolve());
  });
}

function timeoutsOf(t: LvsTimeouts | null): Partial<IpvsTimeouts> | null {
  if (t === null) return null;
  const out: { tcp?: number; tcpFin?: number; udp?: number } = {};
  if (t.tcp !== null) out.tcp = t.tcp;
  if (t.tcpfin !== null) out.tcpFin = t.tcpfin;
  if (t.udp !== null) out.udp = t.udp;
  return out;
}

/** The sync daemon's spec; syncid defaults to the followed instance's VRID (else 0), as keepalived. */
export function syncDaemonSpec(config: Config, s: LvsSyncDaemon, state: SyncDaemonState): SyncDaemonSpec {
  const vrid =
    s.instance !== null ? (config.vrrpInstances.find((i) => i.name === s.instance)?.virtualRouterId ?? 0) : 0;
  return {
    state,
    interface: s.interface,
    syncId: s.syncId ?? vrid,
    maxlen: s.maxlen,
    port: s.port,
    ttl: s.ttl,
    group: s.group,
  };
}

/** Opens IPVS for the daemon: the kernel writer, or keepalived's FATAL message. */
export async function openKernelWriter(
  deps: Pick<LvsSubsystemDeps, 'logger' | 'clock' | 'openTransport' | 'loadModule'>,
): Promise<Result<IpvsWriter, string>> {
  const { logger } = deps;
  logger.info('Initializing ipvs');
  const sock = (deps.openTransport ?? openGenericNetlink)();
  if (!sock.ok) {
    return err(`IPVS: Can't initialize ipvs: ${sock.error.message} (is the ip_vs module loaded?)`);
  }
  const conn = new GenlConnection(sock.value, { clock: deps.clock });
  let opened = await IpvsWriter.open(conn, logger);
  if (!opened.ok) {
    await (deps.loadModule ?? modprobeIpvs)();
    opened = await IpvsWriter.open(conn, logger);
  }
  if (!opened.ok) {
    conn.close();
    return err(`${opened.error.message} (is the ip_vs module loaded?)`);
  }
  return ok(opened.value);
}

/**
 * Builds the LVS subsystem. Fails (keepalived's FATAL) only when IPVS is wanted and cannot be
 * initialised; the message is the line to log.
 */
export async function createLvsSubsystem(
  initialConfig: Config,
  deps: LvsSubsystemDeps,
): Promise<Result<LvsSubsystem, string>> {
  const { logger } = deps;
  let writer: IpvsWriter;
  if (deps.noIpvs) {
    writer = IpvsWriter.dryRun(logger);
  } else {
    const opened = await openKernelWriter(deps);
    if (!opened.ok) return opened;
    writer = opened.value;
  }
  let config = initialConfig;
  const metrics = deps.metrics;
  const host = (
    deps.createHost ??
    ((c, l) =>
      createCheckerHost(c, {
        logger: l,
        respawn: deps.dontRespawn !== true,
        ...(metrics !== undefined ? { metrics: true, onRestart: () => metrics.checkerRestart() } : {}),
      }))
  )(config, logger);
  const detachMetrics = metrics?.attachLvs({
    workerText: () => host.metricsText(),
    kernelTable: deps.noIpvs
      ? null
      : async () => {
          const dump = await writer.dump();
          return dump.ok ? dump.value : null;
        },
  });

  // notify_fifo (its script runs here) and lvs_notify_fifo; open before the pool starts, so the
  // start-up quorum lines are written, and listening until the pool has stopped.
  const openFifos = (c: Config): NotifyFifoSet =>
    NotifyFifoSet.open(c, 'lvs', { logger, runsGlobalScript: true, umask: deps.umask ?? null });
  let fifos = openFifos(config);
  const unsubscribeFifos = host.on((event: PoolEvent) => {
    const line = poolEventFifoLine(event);
    if (line !== null) fifos.write(line);
  });

  // Apply loop, one apply at a time: a whole table (start, reload) replaces whatever waited;
  // the destination changes that arrive after it are applied together, in order.
  let ready = false;
  let stopping = false;
  let waitingTable: DesiredTable | null = null;
  let waitingChanges: DesiredDestinationChange[] = [];
  let running: Promise<void> | null = null;
  const drain = async (): Promise<void> => {
    while (waitingTable !== null || waitingChanges.length > 0) {
      try {
        if (waitingTable !== null) {
          const table = waitingTable;
          waitingTable = null;
          await writer.apply(table);
        } else {
          const changes = waitingChanges;
          waitingChanges = [];
          await writer.applyChanges(changes);
        }
      } catch (e) {
        logger.error(`IPVS: applying the table failed: ${(e as Error).message}`);
      }
    }
    running = null;
  };
  const kick = (): void => {
    if (!ready || stopping || running !== null) return;
    if (waitingTable !== null || waitingChanges.length > 0) running = drain();
  };
  const schedule = (table: DesiredTable): void => {
    waitingTable = table;
    waitingChanges = [];
    kick();
  };
  const scheduleChanges = (changes: readonly DesiredDestinationChange[]): void => {
    for (const c of changes) waitingChanges.push(c);
    kick();
  };
  const settled = async (): Promise<void> => {
    while (running !== null) await running;
  };

  // lvs_sync_daemon roles now running.
  const syncRunning = new Set<SyncDaemonState>();
  let syncChain: Promise<void> = Promise.resolve();
  const syncTo = (want: readonly SyncDaemonState[]): Promise<void> => {
    const s = config.globalDefs.lvsSyncDaemon;
    syncChain = syncChain.then(async () => {
      for (const state of [...syncRunning]) {
        if (want.includes(state)) continue;
        await writer.stopSyncDaemon(state);
        syncRunning.delete(state);
      }
      if (s === null) return;
      for (const state of want) {
        if (syncRunning.has(state)) continue;
        await writer.startSyncDaemon(syncDaemonSpec(config, s, state));
        syncRunning.add(state);
      }
    });
    return syncChain;
  };
  /** The followed instance's state (null: none followed, or not known yet). */
  let followedState: string | null = null;
  const syncRolesFor = (): SyncDaemonState[] => {
    const s = config.globalDefs.lvsSyncDaemon;
    if (s === null) return [];
    // Without an instance both roles run for the daemon's lifetime (keepalived §4.10).
    if (s.instance === null) return ['master', 'backup'];
    return [followedState === 'MASTER' ? 'master' : 'backup'];
  };

  // The operator's drains (drainKey -> when) and each real server's last up/down (wall clock).
  const drained = new Map<string, number>();
  const transitions = new Map<string, number>();
  const unsubscribe = host.on((event: PoolEvent) => {
    if (event.kind === 'table') schedule(event.table);
    else if (event.kind === 'changes') scheduleChanges(event.destinations);
    else if (event.kind === 'rs-up' || event.kind === 'rs-down') {
      transitions.set(drainKey(event.vs, event.rs), Date.now());
      const { vs, rs, vsName, rsName } = event;
      deps.onRealServerHealth?.({ vs, rs, vsName, rsName, up: event.kind === 'rs-up' });
    }
  });
  const checkerDetails = async (): Promise<CheckerStatus[] | null> => {
    let timer: ReturnType<Clock['setTimer']> | null = null;
    const timeout = new Promise<null>((resolve) => {
      timer = deps.clock.setTimer(CHECKER_DETAIL_TIMEOUT_MS, () => resolve(null));
    });
    try {
      return await Promise.race([host.checkers().catch(() => null), timeout]);
    } finally {
      (timer as ReturnType<Clock['setTimer']> | null)?.cancel();
    }
  };

  // ha_suspend (check_daemon.c, keepalived_netlink.c netlink_if_address_filter): the host's
  // addresses from rtnetlink, so a VIP the VRRP side adds as MASTER (or anyone else) resumes the
  // checkers of its virtual servers; the two subsystems never talk to each other.
  let addressWatch: AddressSource | null = null;
  const haSuspendAddresses = (c: Config): Set<string> =>
    new Set(c.virtualServers.flatMap((vs) => (vs.haSuspend && vs.address !== null ? [vs.address] : [])));
  const watchAddresses = async (c: Config): Promise<void> => {
    if (addressWatch !== null || haSuspendAddresses(c).size === 0) return;
    try {
      const w = await (deps.openAddressWatcher ?? AddressWatcher.open)();
      addressWatch = w;
      w.onChange((address, added) => {
        if (stopping || !haSuspendAddresses(config).has(address)) return;
        logger.detail(`Netlink reflector reports IP ${address} ${added ? 'added' : 'removed'}`);
        host.setLocalAddresses(w.counts());
      });
      host.setLocalAddresses(w.counts());
    } catch (e) {
      logger.error(`Cannot watch the host's addresses for ha_suspend: ${(e as Error).message}`);
    }
  };

  return ok({
    async start() {
      await watchAddresses(config);
      await host.start();
      const g = config.globalDefs;
      // The table the host holds now includes every change received so far.
      waitingTable = null;
      waitingChanges = [];
      await writer.start({
        flush: g.lvsFlush,
        timeouts: timeoutsOf(g.lvsTimeouts),
        desired: host.desiredTable(),
      });
      ready = true;
      // What arrived while the start-up table was being written.
      kick();
      await syncTo(syncRolesFor());
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      detachMetrics?.();
      unsubscribe();
      // keepalived's checker stop: SIGTERM to the scripts first, then the omega lines.
      fifos.terminateScripts();
      await host.stop({ omega: true });
      addressWatch?.close();
      unsubscribeFifos();
      fifos.close();
      await settled();
      await syncTo([]);
      await writer.stop({
        release: !deps.dontReleaseIpvs,
        flushOnStop: config.globalDefs.lvsFlushOnStop,
      });
      writer.close();
    },
    async reload(newConfig) {
      const old = config;
      config = newConfig;
      // keepalived's checker reload: SIGTERM to the FIFO scripts, the FIFOs closed, then reopened.
      fifos.terminateScripts();
      fifos.close();
      fifos = openFifos(newConfig);
      // keepalived's reload lines, from the table programmed under the old configuration.
      for (const line of lvsReloadLines({ before: old, after: newConfig, programmed: host.desiredTable() }))
        logger.info(line);
      // Drains and transition times of the real servers the new config keeps stay.
      const kept = new Set(
        newConfig.virtualServers.flatMap((vs) => vs.realServers.map((rs) => drainKey(vs.key, rs.key))),
      );
      for (const map of [drained, transitions])
        for (const k of [...map.keys()]) if (!kept.has(k)) map.delete(k);
      await host.setDrained(new Set(drained.keys()));
      await watchAddresses(newConfig);
      await host.reload(newConfig);
      schedule(host.desiredTable());
      await settled();
      const t = timeoutsOf(newConfig.globalDefs.lvsTimeouts);
      if (t !== null && JSON.stringify(t) !== JSON.stringify(timeoutsOf(old.globalDefs.lvsTimeouts))) {
        await writer.setTimeouts(t);
      }
      if (
        JSON.stringify(old.globalDefs.lvsSyncDaemon) !== JSON.stringify(newConfig.globalDefs.lvsSyncDaemon)
      ) {
        await syncTo([]); // parameters changed: restart with the new ones
      }
      await syncTo(syncRolesFor());
    },
    vrrpState(instance, state) {
      const s = config.globalDefs.lvsSyncDaemon;
      if (s === null || s.instance !== instance) return;
      followedState = state;
      if (ready && !stopping) void syncTo(syncRolesFor());
    },
    settled,
    async status() {
      const ipvs = deps.noIpvs ? 'dry-run' : 'kernel';
      const [checkers, dump] = await Promise.all([
        checkerDetails(),
        ipvs === 'kernel' ? writer.dump() : Promise.resolve(null),
      ]);
      return lvsStatus({
        config,
        health: host.health(),
        table: host.desiredTable(),
        drained,
        transitions,
        checkers,
        ipvs,
        kernel: dump !== null && dump.ok ? dump.value : null,
      });
    },
    async dumpDataText(host) {
      const status = await this.status();
      const checkers = await checkerDetails();
      return checkDataText({ config, status, checkers, ...host });
    },
    async dumpJsonEntries() {
      return checkJsonEntries(config, await this.status());
    },
    async setDrained(vsText, rsText, protocol, drain) {
      const vs = findVirtualServer(config, vsText, protocol);
      if (!vs.ok) return vs;
      const rs = findRealServer(vs.value, rsText);
      if (!rs.ok) return rs;
      const key = drainKey(vs.value.key, rs.value.key);
      const names = { vs: formatVs(vs.value), rs: formatRs(rs.value, vs.value) };
      const changed = drained.has(key) !== drain;
      if (changed) {
        if (drain) drained.set(key, Date.now());
        else drained.delete(key);
        logger.info(
          drain
            ? `Draining service ${names.rs} of VS ${names.vs} (operator request)`
            : `Enabling drained service ${names.rs} of VS ${names.vs} (operator request)`,
        );
        await host.setDrained(new Set(drained.keys()));
        await settled();
      }
      return ok({ ...names, vsKey: vs.value.key, rsKey: rs.value.key, drained: drain, changed });
    },
  });
}
