/**
 * The control socket's commands (docs/control.md), answered from the running daemon: `status`
 * (the status model of every subsystem, contracts/status.ts), `reload` (the validated SIGHUP
 * reload, with its report), and the subsystems' own commands (`rs.drain`, `rs.enable`,
 * `vrrp.standby`, `vrrp.resume`). daemon.ts starts it; every command is logged.
 */
import { join } from 'node:path';
import type { DaemonStatus, ReloadSummary } from '../contracts/status.js';
import { STATUS_SCHEMA_VERSION } from '../contracts/status.js';
import type { Logger } from '../util/log.js';
import { VERSION } from '../version.js';
import type { DaemonOptions } from './cli.js';
import { errorReply, okReply, type ControlReply, type ControlRequest } from './control-protocol.js';
import { CONTROL_SOCKET_NAME, startControlServer, type ControlServer } from './control-server.js';
import type { ReloadReport } from './reload-report.js';
import type { SubsystemSet } from './subsystem.js';

export interface ControlDeps {
  readonly options: DaemonOptions;
  readonly logger: Logger;
  readonly subsystems: SubsystemSet;
  /** When the daemon started (ms since the epoch). */
  readonly startedAt: number;
  /** Runs one validated reload (waiting for one in progress) and reports on it. */
  readonly reload: () => Promise<ReloadReport>;
  readonly lastReload: () => ReloadSummary | null;
  readonly isStopping: () => boolean;
}

export function controlSocketPath(options: Pick<DaemonOptions, 'runtimeDir'>): string {
  return join(options.runtimeDir, CONTROL_SOCKET_NAME);
}

/** The whole status model, as `status` returns it. */
export async function daemonStatus(deps: ControlDeps): Promise<DaemonStatus> {
  const parts = await deps.subsystems.status();
  return {
    schema: STATUS_SCHEMA_VERSION,
    version: VERSION,
    pid: process.pid,
    generatedAt: new Date().toISOString(),
    startedAt: new Date(deps.startedAt).toISOString(),
    configFile: deps.options.configFile,
    lastReload: deps.lastReload(),
    vrrp: parts.vrrp ?? null,
    lvs: parts.lvs ?? null,
  };
}

/** Answers one request. */
export function controlHandler(deps: ControlDeps): (request: ControlRequest) => Promise<ControlReply> {
  const { logger } = deps;
  return async (request) => {
    const id = request.id;
    if (deps.isStopping() && request.cmd !== 'ping' && request.cmd !== 'status')
      return errorReply(id, 'unavailable', 'the daemon is stopping');
    switch (request.cmd) {
      case 'ping':
        return okReply(id, { version: VERSION, pid: process.pid });
      case 'status':
        return okReply(id, await daemonStatus(deps));
      case 'reload': {
        logger.info('Reload requested on the control socket');
        return okReply(id, await deps.reload());
      }
      default: {
        const what = 'vs' in request ? `${request.vs} ${request.rs}` : (request.instance ?? 'every instance');
        logger.info(`Control socket: ${request.cmd} ${what}`);
        const run = deps.subsystems.control(request);
        if (run === null) {
          const which = request.cmd.startsWith('rs.') ? 'the health checkers are' : 'VRRP is';
          return errorReply(id, 'unavailable', `${which} not running in this daemon`);
        }
        const r = await run;
        return r.ok ? okReply(id, r.value) : errorReply(id, r.error.code, r.error.message);
      }
    }
  };
}

/** Starts the control socket; a failure is logged and the daemon runs on without it. */
export async function startControl(deps: ControlDeps): Promise<ControlServer | null> {
  const path = controlSocketPath(deps.options);
  try {
    return await startControlServer({ path, logger: deps.logger, handle: controlHandler(deps) });
  } catch (e) {
    deps.logger.error(`Cannot open the control socket ${path}: ${(e as Error).message}`);
    return null;
  }
}
