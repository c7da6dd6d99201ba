/**
 * SHELL: programs the kernel's IPVS table through a GenlConnection. It keeps the table it last
 * saw (one dump at start, then updated from each acknowledged operation), reconciles a desired
 * table against it, and runs the resulting Op[] pipelined. Kernel errors never throw: they are
 * logged in keepalived's wording (`IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: ...`) and the
 * tracked table is left unchanged, so the next apply retries the operation.
 *
 * Errors that mean the goal is already reached are success: EEXIST on add (followed by an edit so
 * the attributes match), ENOENT/ESRCH on delete. An edit of a destination that is missing
 * (ENOENT) becomes an add, as keepalived does.
 */
import type { Logger } from '../util/log.js';
import { err, ok, type Result } from '../util/result.js';
import { ERRNO, IPVS_GENL_NAME, IPVS_GENL_VERSION, IP_VS_SO_SET } from './constants.js';
import type { GenlConnection, GenlError, GenlRequest } from './genl-conn.js';
import type { DesiredTable } from '../contracts/ipvs-table.js';
import { toKernelTable } from './desired.js';
import {
  decodeConfigMessage,
  decodeDestMessage,
  decodeInfoMessage,
  decodeServiceMessage,
  destinationKey,
  formatServiceForLog,
  requests,
  serviceKey,
} from './messages.js';
import { applyOp, cloneTable, reconcile, type Op } from './reconcile.js';
import type {
  DestinationEntry,
  DestinationSpec,
  IpvsInfo,
  IpvsTable,
  IpvsTimeouts,
  ServiceEntry,
  ServiceIdentity,
  SyncDaemonSpec,
  SyncDaemonState,
} from './types.js';

/** A failure with a stable code, for the daemon's events and logs. */
export interface IpvsError {
  readonly code: 'EKA_IPVS_KERNEL' | 'EKA_IPVS_UNAVAILABLE' | 'EKA_IPVS_DECODE';
  readonly errno: number;
  readonly message: string;
}

export interface ApplySummary {
  readonly ops: number;
  readonly failed: number;
}

export type FullTable = IpvsTable<ServiceEntry, DestinationEntry>;

type Family = { readonly id: number; readonly version: number };

const STRERROR: Record<number, string> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  3: 'No such process',
  12: 'Cannot allocate memory',
  16: 'Device or resource busy',
  17: 'File exists',
  19: 'No such device',
  22: 'Invalid argument',
  90: 'Message too long',
  92: 'Protocol not available',
  95: 'Operation not supported',
  97: 'Address family not supported by protocol',
  105: 'No buffer space available',
  110: 'Connection timed out',
};

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

function opRequest(op: Op): GenlRequest {
  switch (op.kind) {
    case 'add-service':
      return requests.newService(op.service);
    case 'edit-service':
      return requests.setService(op.service);
    case 'del-service':
      return requests.delService(op.service);
    case 'add-dest':
      return requests.newDest(op.service, op.dest);
    case 'edit-dest':
      return requests.setDest(op.service, op.dest);
    case 'del-dest':
      return requests.delDest(op.service, op.dest);
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
  private savedTimeouts: IpvsTimeouts | null = null;

  private constructor(
    private readonly conn: GenlConnection,
    private readonly family: Family,
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
    return ok(new IpvsWriter(conn, { id: fam.value.id, version: IPVS_GENL_VERSION }, log));
  }

  private run(req: GenlRequest) {
    return this.conn.request(this.family.id, this.family.version, req);
  }

  async info(): Promise<Result<IpvsInfo, IpvsError>> {
    const r = await this.run(requests.getInfo());
    if (!r.ok) return err(kernelError(r.error));
    const first = r.value[0];
    if (!first) return err({ code: 'EKA_IPVS_DECODE', errno: 0, message: 'GET_INFO: empty reply' });
    const i = decodeInfoMessage(first.attrs);
    return i.ok ? ok(i.value) : err({ code: 'EKA_IPVS_DECODE', errno: 0, message: i.error });
  }

  /** One GET_SERVICE dump, then one GET_DEST dump per service. */
  async dump(): Promise<Result<FullTable, IpvsError>> {
    const svcs = await this.run(requests.getServices());
    if (!svcs.ok) return err(kernelError(svcs.error));
    const services = new Map<
      string,
      { service: ServiceEntry; destinations: Map<string, DestinationEntry> }
    >();
    for (const m of svcs.value) {
      const s = decodeServiceMessage(m.attrs);
      if (!s.ok) return err({ code: 'EKA_IPVS_DECODE', errno: 0, message: s.error });
      services.set(serviceKey(s.value.id), { service: s.value, destinations: new Map() });
    }
    const dumps = await Promise.all(
      [...services.values()].map(async (entry) => ({
        entry,
        r: await this.run(requests.getDests(entry.service.id)),
      })),
    );
    for (const { entry, r } of dumps) {
      if (!r.ok) {
        if (r.error.errno === ERRNO.ESRCH) continue; // deleted meanwhile
        return err(kernelError(r.error));
      }
      for (const m of r.value) {
        const d = decodeDestMessage(m.attrs, entry.service.id.family);
        if (!d.ok) return err({ code: 'EKA_IPVS_DECODE', errno: 0, message: d.error });
        entry.destinations.set(destinationKey(d.value), d.value);
      }
    }
    return ok({ services });
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

  /** Health change or reload: reconcile the tracked table against `desired`, no flush. */
  async apply(desired: DesiredTable): Promise<ApplySummary> {
    const { table, problems } = toKernelTable(desired);
    for (const p of problems) this.log.error(p);
    for (const k of table.services.keys()) this.ownedKeys.add(k);
    const ops = reconcile(table, { services: this.actual }, this.ownedKeys);
    const failed = await this.runOps(ops);
    // Ours stays ours until it is gone from the kernel.
    for (const k of [...this.ownedKeys])
      if (!table.services.has(k) && !this.actual.has(k)) this.ownedKeys.delete(k);
    return { ops: ops.length, failed };
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
    const ops: Op[] = [];
    if (opts.release) {
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
      const r = await this.run(requests.setTimeouts(this.savedTimeouts));
      if (!r.ok) this.log.info('Failed to set ipvs timeouts');
    }
    return { ops: ops.length + (opts.release && opts.flushOnStop === 'all' ? 1 : 0), failed };
  }

  async flush(): Promise<boolean> {
    const r = await this.run(requests.flush());
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
    if (!this.savedTimeouts) {
      const cur = await this.run(requests.getConfig());
      const first = cur.ok ? cur.value[0] : undefined;
      const decoded = first ? decodeConfigMessage(first.attrs) : null;
      if (decoded?.ok) this.savedTimeouts = decoded.value;
    }
    const r = await this.run(
      requests.setTimeouts({ tcp: t.tcp ?? 0, tcpFin: t.tcpFin ?? 0, udp: t.udp ?? 0 }),
    );
    if (!r.ok) this.log.info('Failed to set ipvs timeouts');
    return r.ok;
  }

  async startSyncDaemon(spec: SyncDaemonSpec): Promise<boolean> {
    const r = await this.run(requests.newDaemon(spec));
    if (!r.ok && r.error.errno !== ERRNO.EEXIST) {
      this.log.info(formatIpvsError('STARTDAEMON', r.error.errno, null, null));
      return false;
    }
    return true;
  }

  async stopSyncDaemon(state: SyncDaemonState): Promise<boolean> {
    const r = await this.run(requests.delDaemon(state));
    if (!r.ok && r.error.errno !== ERRNO.ESRCH) {
      this.log.info(formatIpvsError('STOPDAEMON', r.error.errno, null, null));
      return false;
    }
    return true;
  }

  /** Service keys the daemon owns (for tests and the status surface). */
  owned(): ReadonlySet<string> {
    return this.ownedKeys;
  }

  /** The tracked table (what the kernel holds, as far as the writer knows). */
  tracked(): IpvsTable {
    return { services: this.actual };
  }

  /** Runs ops pipelined, in order; returns how many failed. */
  private async runOps(ops: readonly Op[]): Promise<number> {
    if (ops.length === 0) return 0;
    const results = await Promise.all(ops.map((op) => this.run(opRequest(op))));
    let failed = 0;
    const followUps: Op[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const r = results[i]!;
      if (r.ok) {
        applyOp(this.actual, op);
        continue;
      }
      const e = r.error.errno;
      const isDel = op.kind === 'del-service' || op.kind === 'del-dest';
      if (isDel && (e === ERRNO.ENOENT || e === ERRNO.ESRCH)) {
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
    if (followUps.length > 0) failed += await this.runOps(followUps);
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

function kernelError(e: GenlError): IpvsError {
  return { code: 'EKA_IPVS_KERNEL', errno: e.errno, message: STRERROR[e.errno] ?? e.message };
}
