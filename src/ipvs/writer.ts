/**
 * SHELL: the one apply loop for IPVS. The writer keeps the table it last saw (one dump at start,
 * then updated from each operation that took effect), reconciles a desired table against it, and
 * hands the resulting Op[] to its sink: the kernel over generic netlink (`IpvsWriter.open`) or a
 * dry run that only logs them (`IpvsWriter.dryRun`, for `--no-ipvs`). Kernel errors never throw:
 * they are logged in keepalived's wording (`IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: ...`) and
 * the tracked table is left unchanged, so the next apply retries the operation.
 *
 * Errors that mean the goal is already reached are success: EEXIST on add (followed by an edit so
 * the attributes match), ENOENT/ESRCH on delete. An edit of a destination that is missing
 * (ENOENT) becomes an add, as keepalived does. ESRCH on a destination (or an edit of the
 * service) means the service itself is gone from the kernel, deleted by someone else: while the
 * daemon runs and still wants it, the service is added again whole, with the destinations the
 * desired table has now.
 */
import type { DesiredDestinationChange, DesiredTable } from '../contracts/ipvs-table.js';
import type { Logger } from '../util/log.js';
import { err, ok, type Result } from '../util/result.js';
import { ERRNO, IPVS_GENL_NAME, IP_VS_SO_SET, STRERROR } from './constants.js';
import { DesiredKernelTable } from './desired.js';
import { DryRunSink } from './dry-run-sink.js';
import type { GenlConnection } from './genl-conn.js';
import { KernelSink } from './kernel-sink.js';
import { destinationKey, formatServiceForLog, serviceKey } from './messages.js';
import { applyOp, cloneTable, reconcile, reconcileTouched, type Op } from './reconcile.js';
import type { FullTable, IpvsError, IpvsSink } from './sink.js';
import type {
  DestinationSpec,
  IpvsInfo,
  IpvsTable,
  IpvsTimeouts,
  ServiceIdentity,
  SyncDaemonSpec,
  SyncDaemonState,
} from './types.js';

export type { FullTable, IpvsError } from './sink.js';

export interface ApplySummary {
  readonly ops: number;
  readonly failed: number;
}

type LegacyCmd = keyof typeof IP_VS_SO_SET;

/** libipvs' messages per operation, which keepalived prints through ipvs_strerror. */
const IPVS_STRERROR: { readonly cmd: LegacyCmd | null; readonly errno: number; readonly text: string }[] = [
  { cmd: 'ADD', errno: ERRNO.EEXIST, text: 'Service already exists' },
  { cmd: 'ADD', errno: ERRNO.ENOENT, text: 'Scheduler or persistence engine not found' },
  { cmd: 'EDIT', errno: ERRNO.ESRCH, text: 'No such service' },
  { cmd: 'EDIT', errno: ERRNO.ENOENT, text: 'Scheduler or persistence engine not found' },
  { cmd: 'DEL', errno: ERRNO.ESRCH, text: 'No such service' },
  { cmd: 'ADDDEST', errno: ERRNO.ESRCH, text: 'Service not defined' },
  { cmd: 'ADDDEST', errno: ERRNO.EEXIST, text: 'Destination already exists' },
  { cmd: 'EDITDEST', errno: ERRNO.ESRCH, text: 'Service not defined' },
  { cmd: 'EDITDEST', errno: ERRNO.ENOENT, text: 'No such destination' },
  { cmd: 'DELDEST', errno: ERRNO.ESRCH, text: 'Service not defined' },
  { cmd: 'DELDEST', errno: ERRNO.ENOENT, text: 'No such destination' },
  { cmd: 'STARTDAEMON', errno: ERRNO.EEXIST, text: 'Daemon has already run' },
  { cmd: 'STOPDAEMON', errno: ERRNO.ESRCH, text: 'No daemon is running' },
  { cmd: null, errno: ERRNO.EPERM, text: 'Permission denied (you must be root)' },
  {
    cmd: null,
    errno: ERRNO.EINVAL,
    text: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
  },
  { cmd: null, errno: ERRNO.ENOPROTOOPT, text: 'Protocol not available' },
  { cmd: null, errno: ERRNO.ENOMEM, text: 'Memory allocation problem' },
  { cmd: null, errno: ERRNO.EOPNOTSUPP, text: 'Operation not supported with IPv6' },
  { cmd: null, errno: ERRNO.EAFNOSUPPORT, text: 'Operation not supported with specified address family' },
  { cmd: null, errno: ERRNO.EMSGSIZE, text: 'Module is wrong version' },
];

export function ipvsStrerror(cmd: LegacyCmd, errno: number): string {
  const hit =
    IPVS_STRERROR.find((e) => e.cmd === cmd && e.errno === errno) ??
    IPVS_STRERROR.find((e) => e.cmd === null && e.errno === errno);
  return hit?.text ?? STRERROR[errno] ?? `Unknown error ${errno}`;
}

function legacyCmd(op: Op): LegacyCmd {
  switch (op.kind) {
    case 'add-service':
      return 'ADD';
    case 'edit-service':
      return 'EDIT';
    case 'del-service':
      return 'DEL';
    case 'add-dest':
      return 'ADDDEST';
    case 'edit-dest':
      return 'EDITDEST';
    case 'del-dest':
      return 'DELDEST';
  }
}

function opServiceId(op: Op): ServiceIdentity {
  return op.kind === 'add-service' || op.kind === 'edit-service' ? op.service.id : op.service;
}

/** keepalived's `IPVS cmd NAME(N) error: TEXT(ERRNO) (svc[ -> dest])` line. */
export function formatIpvsError(
  cmd: LegacyCmd,
  errno: number,
  svc: ServiceIdentity | null,
  dest: DestinationSpec | null,
): string {
  let where = '';
  if (svc) where = ` (${formatServiceForLog(svc)}${dest ? ` -> ${dest.address}:${dest.port}` : ''})`;
  return `IPVS cmd IP_VS_SO_SET_${cmd}(${IP_VS_SO_SET[cmd]}) error: ${ipvsStrerror(cmd, errno)}(${errno})${where}`;
}

type Tracked = ReturnType<typeof cloneTable>;

export class IpvsWriter {
  private actual: Tracked = new Map();
  private readonly ownedKeys = new Set<string>();
  /** The last whole desired table in kernel terms, with the changes since. */
  private desired: DesiredKernelTable | null = null;
  private savedTimeouts: IpvsTimeouts | null = null;
  /** Set by stop(): what it deletes and finds gone is not added again. */
  private stopping = false;

  private constructor(
    private readonly sink: IpvsSink,
    private readonly log: Logger,
  ) {}

  /** Resolves the IPVS family; fails when the kernel has no IPVS (module absent). */
  static async open(conn: GenlConnection, log: Logger): Promise<Result<IpvsWriter, IpvsError>> {
    const fam = await conn.resolveFamily(IPVS_GENL_NAME);
    if (!fam.ok) {
      return err({
        code: 'EKA_IPVS_UNAVAILABLE',
        errno: fam.error.errno,
        message: `IPVS: Can't initialize ipvs: ${STRERROR[fam.error.errno] ?? fam.error.message}`,
      });
    }
    return ok(new IpvsWriter(new KernelSink(conn, fam.value.id), log));
  }

  /** `--no-ipvs`: the same loop over an in-memory table; what would be sent is logged (-D). */
  static dryRun(log: Logger): IpvsWriter {
    return new IpvsWriter(new DryRunSink(log), log);
  }

  info(): Promise<Result<IpvsInfo, IpvsError>> {
    return this.sink.info();
  }

  /** One GET_SERVICE dump, then one GET_DEST dump per service. */
  dump(): Promise<Result<FullTable, IpvsError>> {
    return this.sink.dump();
  }

  /** Re-reads the kernel's table into the tracked state (start, or after an unexpected error). */
  async refresh(): Promise<Result<void, IpvsError>> {
    const t = await this.dump();
    if (!t.ok) return t;
    this.actual = cloneTable(t.value);
    return ok(undefined);
  }

  /**
   * Start: optional lvs_flush, lvs_timeouts, one dump, then services and destinations.
   * The tracked table starts from the dump, so a restart converges without duplicates.
   */
  async start(opts: {
    flush: boolean;
    timeouts: Partial<IpvsTimeouts> | null;
    desired: DesiredTable;
  }): Promise<ApplySummary> {
    if (opts.flush) await this.flush();
    if (opts.timeouts) await this.setTimeouts(opts.timeouts);
    const r = await this.refresh();
    if (!r.ok) this.log.error(r.error.message);
    return this.apply(opts.desired);
  }

  /** Reload (or start): reconcile the tracked table against the whole of `desired`, no flush. */
  async apply(desired: DesiredTable): Promise<ApplySummary> {
    const { kernel, problems } = DesiredKernelTable.build(desired);
    this.desired = kernel;
    const table = kernel.table;
    for (const p of problems) this.log.error(p);
    for (const k of table.services.keys()) this.ownedKeys.add(k);
    const ops = reconcile(table, { services: this.actual }, this.ownedKeys);
    const failed = await this.runOps(ops);
    // Ours stays ours until it is gone from the kernel.
    for (const k of [...this.ownedKeys])
      if (!table.services.has(k) && !this.actual.has(k)) this.ownedKeys.delete(k);
    return { ops: ops.length, failed };
  }

  /**
   * Health or drain change: destinations of the last whole table set or taken out. Only the
   * kernel destinations they touch are compared and written (ipvs/desired.ts, reconcileTouched);
   * before a whole table has been applied there is nothing to change.
   */
  async applyChanges(changes: readonly DesiredDestinationChange[]): Promise<ApplySummary> {
    if (this.desired === null) return { ops: 0, failed: 0 };
    const { touched, problems } = this.desired.applyChanges(changes);
    for (const p of problems) this.log.error(p);
    const ops = reconcileTouched(this.desired.table, { services: this.actual }, touched);
    return { ops: ops.length, failed: await this.runOps(ops) };
  }

  /** Same as apply: reload is a keyed diff, never a flush, so connections survive. */
  reload(desired: DesiredTable): Promise<ApplySummary> {
    return this.apply(desired);
  }

  /**
   * Clean stop. `release` false (-I) leaves the table. `flushOnStop` 'all' sends one FLUSH;
   * 'vs' deletes our services only (the kernel drops their destinations); otherwise every
   * destination and then every service the daemon owns is deleted. Timeouts are restored.
   */
  async stop(opts: { release: boolean; flushOnStop: 'off' | 'all' | 'vs' }): Promise<ApplySummary> {
    this.stopping = true;
    const ops: Op[] = [];
    // A dry run holds nothing outside this process: there is nothing to release.
    const release = opts.release && this.sink.kind === 'kernel';
    if (release) {
      if (opts.flushOnStop === 'all') {
        await this.flush();
      } else {
        for (const key of this.ownedKeys) {
          const s = this.actual.get(key);
          if (!s) continue;
          if (opts.flushOnStop === 'off') {
            for (const d of s.destinations.values())
              ops.push({ kind: 'del-dest', service: s.service.id, dest: d });
          }
          ops.push({ kind: 'del-service', service: s.service.id });
        }
      }
    }
    const failed = await this.runOps(ops);
    if (this.savedTimeouts) {
      const r = await this.sink.setTimeouts(this.savedTimeouts);
      if (!r.ok) this.log.info('Failed to set ipvs timeouts');
    }
    return { ops: ops.length + (release && opts.flushOnStop === 'all' ? 1 : 0), failed };
  }

  async flush(): Promise<boolean> {
    const r = await this.sink.flush();
    if (!r.ok) {
      this.log.info(formatIpvsError('FLUSH', r.error.errno, null, null));
      return false;
    }
    this.actual.clear();
    return true;
  }

  /** lvs_timeouts: unset values stay as they are; the kernel's previous values are restored on stop. */
  async setTimeouts(t: Partial<IpvsTimeouts>): Promise<boolean> {
    if (!t.tcp && !t.tcpFin && !t.udp) return true;
    this.savedTimeouts ??= await this.sink.getTimeouts();
    const r = await this.sink.setTimeouts({ tcp: t.tcp ?? 0, tcpFin: t.tcpFin ?? 0, udp: t.udp ?? 0 });
    if (!r.ok) this.log.info('Failed to set ipvs timeouts');
    return r.ok;
  }

  async startSyncDaemon(spec: SyncDaemonSpec): Promise<boolean> {
    const r = await this.sink.startSyncDaemon(spec);
    if (!r.ok && r.error.errno !== ERRNO.EEXIST) {
      this.log.info(formatIpvsError('STARTDAEMON', r.error.errno, null, null));
      return false;
    }
    return true;
  }

  async stopSyncDaemon(state: SyncDaemonState): Promise<boolean> {
    const r = await this.sink.stopSyncDaemon(state);
    if (!r.ok && r.error.errno !== ERRNO.ESRCH) {
      this.log.info(formatIpvsError('STOPDAEMON', r.error.errno, null, null));
      return false;
    }
    return true;
  }

  /** Closes the sink (the kernel's netlink connection). */
  close(): void {
    this.sink.close();
  }

  /** Service keys the daemon owns (for tests and the status surface). */
  owned(): ReadonlySet<string> {
    return this.ownedKeys;
  }

  /** The tracked table (what the kernel holds, as far as the writer knows). */
  tracked(): IpvsTable {
    return { services: this.actual };
  }

  /**
   * Runs ops pipelined, in order; returns how many failed. `recover`: a service found gone (ESRCH)
   * is added again (once per service; not for the follow-ups, so a kernel that keeps refusing
   * cannot loop).
   */
  private async runOps(ops: readonly Op[], recover = true): Promise<number> {
    if (ops.length === 0) return 0;
    const results = await this.sink.run(ops);
    let failed = 0;
    const followUps: Op[] = [];
    const readded = new Set<string>();
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const r = results[i]!;
      if (r.ok) {
        applyOp(this.actual, op);
        continue;
      }
      const e = r.error.errno;
      const isDel = op.kind === 'del-service' || op.kind === 'del-dest';
      const key = serviceKey(opServiceId(op));
      // Only a service the writer holds as added can have been deleted by someone else: one whose
      // add failed just before (a scheduler the kernel lacks) gets keepalived's error lines.
      const wanted =
        this.stopping || !(this.actual.has(key) || readded.has(key))
          ? undefined
          : this.desired?.table.services.get(key);
      if (
        recover &&
        e === ERRNO.ESRCH &&
        op.kind !== 'add-service' &&
        op.kind !== 'del-service' &&
        wanted !== undefined
      ) {
        // The service is not in the kernel: add it again whole, as the desired table has it.
        this.actual.delete(key);
        if (!isDel)
          this.log.info(formatIpvsError(legacyCmd(op), e, opServiceId(op), 'dest' in op ? op.dest : null));
        if (readded.has(key)) continue;
        readded.add(key);
        this.log.info(
          `IPVS: ${formatServiceForLog(wanted.service.id)} is gone from the kernel - adding it again`,
        );
        followUps.push({ kind: 'add-service', service: wanted.service });
        for (const dest of wanted.destinations.values())
          followUps.push({ kind: 'add-dest', service: wanted.service.id, dest });
      } else if (isDel && (e === ERRNO.ENOENT || e === ERRNO.ESRCH)) {
        applyOp(this.actual, op); // already gone
      } else if (op.kind === 'add-service' && e === ERRNO.EEXIST) {
        this.forceTracked(op);
        followUps.push({ kind: 'edit-service', service: op.service });
      } else if (op.kind === 'add-dest' && e === ERRNO.EEXIST) {
        this.forceTracked(op);
        followUps.push({ kind: 'edit-dest', service: op.service, dest: op.dest });
      } else if (op.kind === 'edit-dest' && e === ERRNO.ENOENT) {
        this.forgetDest(op.service, op.dest);
        followUps.push({ kind: 'add-dest', service: op.service, dest: op.dest });
      } else {
        failed++;
        // ESRCH: the service is not in the kernel after all; forget it so the next apply re-adds it.
        if (e === ERRNO.ESRCH && op.kind !== 'add-service' && op.kind !== 'del-service') {
          this.actual.delete(serviceKey(opServiceId(op)));
        }
        this.log.info(formatIpvsError(legacyCmd(op), e, opServiceId(op), 'dest' in op ? op.dest : null));
      }
    }
    if (followUps.length > 0) failed += await this.runOps(followUps, false);
    return failed;
  }

  /** Records an object the kernel says exists (EEXIST) so the follow-up edit can land. */
  private forceTracked(op: Op): void {
    if (op.kind === 'add-service') {
      if (!this.actual.has(serviceKey(op.service.id))) applyOp(this.actual, op);
    } else if (op.kind === 'add-dest') {
      const s = this.actual.get(serviceKey(op.service));
      if (s && !s.destinations.has(destinationKey(op.dest)))
        s.destinations.set(destinationKey(op.dest), op.dest);
    }
  }

  private forgetDest(svc: ServiceIdentity, d: DestinationSpec): void {
    this.actual.get(serviceKey(svc))?.destinations.delete(destinationKey(d));
  }
}
