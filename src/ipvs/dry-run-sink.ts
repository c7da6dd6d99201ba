/**
 * SHELL: `--no-ipvs`. The table lives in memory; each operation the writer would send is applied
 * there and logged at detail level (`IPVS (--no-ipvs, not programmed): NEW_DEST ...`) instead.
 * Flush, timeouts and the sync daemon are accepted and do nothing.
 */
import type { Logger } from '../util/log.js';
import { err, ok, type Result } from '../util/result.js';
import { formatServiceForLog } from './messages.js';
import { applyOp, cloneTable, type Op } from './reconcile.js';
import type { FullTable, IpvsError, IpvsSink, SinkResult } from './sink.js';
import type { IpvsInfo, IpvsTimeouts } from './types.js';

/** One op as the dry run logs it: the command, the service, and the destination with its weight. */
export function describeOp(op: Op): string {
  switch (op.kind) {
    case 'add-service':
    case 'edit-service':
      return `${op.kind === 'add-service' ? 'NEW_SERVICE' : 'SET_SERVICE'} ${formatServiceForLog(op.service.id)} scheduler ${op.service.scheduler}`;
    case 'del-service':
      return `DEL_SERVICE ${formatServiceForLog(op.service)}`;
    case 'add-dest':
    case 'edit-dest':
    case 'del-dest': {
      const name = op.kind === 'add-dest' ? 'NEW_DEST' : op.kind === 'edit-dest' ? 'SET_DEST' : 'DEL_DEST';
      const weight = op.kind === 'del-dest' ? '' : ` weight ${op.dest.weight}`;
      return `${name} ${formatServiceForLog(op.service)} -> ${op.dest.address}:${op.dest.port}${weight}`;
    }
  }
}

const accepted = (): Promise<SinkResult> => Promise.resolve(ok(undefined));

export class DryRunSink implements IpvsSink {
  readonly kind = 'dry-run';
  private readonly table = cloneTable({ services: new Map() });

  constructor(private readonly log: Logger) {}

  /** Every op is accepted: the writer reconciles against the same table this one mirrors. */
  run(ops: readonly Op[]): Promise<SinkResult[]> {
    return Promise.resolve(
      ops.map((op) => {
        applyOp(this.table, op);
        this.log.detail(`IPVS (--no-ipvs, not programmed): ${describeOp(op)}`);
        return ok(undefined);
      }),
    );
  }

  info(): Promise<Result<IpvsInfo, IpvsError>> {
    return Promise.resolve(
      err({ code: 'EKA_IPVS_UNAVAILABLE', errno: 0, message: 'IPVS is not used (--no-ipvs)' }),
    );
  }

  /** The in-memory table, with no statistics or connection counts. */
  dump(): Promise<Result<FullTable, IpvsError>> {
    const services: FullTable['services'] = new Map(
      [...this.table].map(([key, s]) => [
        key,
        {
          service: { ...s.service, stats: null },
          destinations: new Map(
            [...s.destinations].map(([dk, d]) => [
              dk,
              { ...d, activeConns: 0, inactiveConns: 0, persistConns: 0, stats: null },
            ]),
          ),
        },
      ]),
    );
    return Promise.resolve(ok({ services }));
  }

  flush(): Promise<SinkResult> {
    this.table.clear();
    return accepted();
  }

  getTimeouts(): Promise<IpvsTimeouts | null> {
    return Promise.resolve(null);
  }

  setTimeouts(): Promise<SinkResult> {
    return accepted();
  }

  startSyncDaemon(): Promise<SinkResult> {
    return accepted();
  }

  stopSyncDaemon(): Promise<SinkResult> {
    return accepted();
  }

  close(): void {}
}
