/**
 * SHELL: the kernel as the writer's sink. Each command is one IPVS generic netlink request through
 * a GenlConnection (pipelined by it); replies are decoded by messages.ts.
 */
import { err, ok, type Result } from '../util/result.js';
import { ERRNO, IPVS_GENL_VERSION, STRERROR } from './constants.js';
import type { GenlConnection, GenlError, GenlRequest } from './genl-conn.js';
import {
  decodeConfigMessage,
  decodeDestMessage,
  decodeInfoMessage,
  decodeServiceMessage,
  destinationKey,
  requests,
  serviceKey,
} from './messages.js';
import type { Op } from './reconcile.js';
import type { FullTable, IpvsError, IpvsSink, SinkResult } from './sink.js';
import type {
  DestinationEntry,
  IpvsInfo,
  IpvsTimeouts,
  ServiceEntry,
  SyncDaemonSpec,
  SyncDaemonState,
} from './types.js';

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

function kernelError(e: GenlError): IpvsError {
  return { code: 'EKA_IPVS_KERNEL', errno: e.errno, message: STRERROR[e.errno] ?? e.message };
}

const done = (r: Result<unknown, GenlError>): SinkResult => (r.ok ? ok(undefined) : r);

export class KernelSink implements IpvsSink {
  readonly kind = 'kernel';

  /** `familyId`: the IPVS generic netlink family, as resolved through the controller. */
  constructor(
    private readonly conn: GenlConnection,
    private readonly familyId: number,
  ) {}

  private request(req: GenlRequest) {
    return this.conn.request(this.familyId, IPVS_GENL_VERSION, req);
  }

  async run(ops: readonly Op[]): Promise<SinkResult[]> {
    const results = await Promise.all(ops.map((op) => this.request(opRequest(op))));
    return results.map(done);
  }

  async info(): Promise<Result<IpvsInfo, IpvsError>> {
    const r = await this.request(requests.getInfo());
    if (!r.ok) return err(kernelError(r.error));
    const first = r.value[0];
    if (!first) return err({ code: 'EKA_IPVS_DECODE', errno: 0, message: 'GET_INFO: empty reply' });
    const i = decodeInfoMessage(first.attrs);
    return i.ok ? ok(i.value) : err({ code: 'EKA_IPVS_DECODE', errno: 0, message: i.error });
  }

  /** One GET_SERVICE dump, then one GET_DEST dump per service. */
  async dump(): Promise<Result<FullTable, IpvsError>> {
    const svcs = await this.request(requests.getServices());
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
        r: await this.request(requests.getDests(entry.service.id)),
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

  async flush(): Promise<SinkResult> {
    return done(await this.request(requests.flush()));
  }

  async getTimeouts(): Promise<IpvsTimeouts | null> {
    const cur = await this.request(requests.getConfig());
    const first = cur.ok ? cur.value[0] : undefined;
    const decoded = first ? decodeConfigMessage(first.attrs) : null;
    return decoded?.ok ? decoded.value : null;
  }

  async setTimeouts(t: IpvsTimeouts): Promise<SinkResult> {
    return done(await this.request(requests.setTimeouts(t)));
  }

  async startSyncDaemon(spec: SyncDaemonSpec): Promise<SinkResult> {
    return done(await this.request(requests.newDaemon(spec)));
  }

  async stopSyncDaemon(state: SyncDaemonState): Promise<SinkResult> {
    return done(await this.request(requests.delDaemon(state)));
  }

  close(): void {
    this.conn.close();
  }
}
