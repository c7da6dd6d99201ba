/**
 * The daemon's subsystem factories: VRRP, and the checkers with IPVS. Each builds its subsystem
 * from a loaded config and the command line, or returns null when neither asks for it.
 */
import { err, ok } from '../util/result.js';
import { createLvsSubsystem, type LvsSubsystemDeps } from './lvs-subsystem.js';
import { FatalStartupError, type SubsystemFactory } from './subsystem.js';
import { realProgramPath, scriptIdsFor } from './dump-files.js';
import { createVrrpSubsystem } from './vrrp-subsystem.js';
import { withFields } from '../util/log.js';
import { hasVrrpWork } from '../config/static-entries.js';

// The closures below take what they need out of ctx and never ctx itself: ctx holds the config
// the subsystem was built from, which a reload replaces (a closure over ctx would keep the whole
// first model alive beside each reload's).
export const vrrpSubsystemFactory: SubsystemFactory = async (ctx) => {
  const { config, options, publish } = ctx;
  // Its lines go out as Keepalived_vrrp's (daemon/log-format.ts).
  const logger = withFields(ctx.logger, { subsystem: 'vrrp' });
  if (!options.runVrrp) return null;
  // Instances or static addresses, routes or rules (keepalived's have_vrrp_config).
  if (!hasVrrpWork(config)) return null;
  // notify_fifo's script is the LVS subsystem's when that one runs (vrrp/vrrp.c).
  const lvsRuns = options.runChecker && config.virtualServers.length > 0;
  const vrrp = await createVrrpSubsystem(config, ctx.clock, logger, {
    runsGlobalFifoScript: !lvsRuns,
    umask: options.umask,
    onStateChange: (c) => publish({ kind: 'vrrp-state', instance: c.instance, from: c.from, to: c.to }),
    ...(ctx.metrics !== undefined ? { metrics: ctx.metrics } : {}),
  });
  return {
    name: 'vrrp',
    start: () => vrrp.start(),
    // -V/--dont-release-vrrp keeps VIPs and sends no priority-0 advert.
    stop: () => vrrp.stop({ keepVips: options.dontReleaseVrrp }),
    reload: (c) => vrrp.reload(c),
    beforeReload: () => vrrp.advertNow(),
    dumps: vrrp.dumps,
    status: () => Promise.resolve({ vrrp: vrrp.status() }),
    control: (command) => {
      if (command.cmd !== 'vrrp.standby' && command.cmd !== 'vrrp.resume') return null;
      const standby = command.cmd === 'vrrp.standby';
      const names = vrrp.setStandby(command.instance, standby);
      if (names === null)
        return Promise.resolve(err({ code: 'not-found', message: `no VRRP instance ${command.instance}` }));
      const byName = new Map(vrrp.status().instances.map((i) => [i.name, i]));
      return Promise.resolve(
        ok({
          instances: names.map((n) => ({
            name: n,
            state: byName.get(n)?.state ?? null,
            standby: byName.get(n)?.standby ?? standby,
          })),
        }),
      );
    },
  };
};

/** The checkers and IPVS; `extra` lets tests inject the transport and the checker host. */
export function lvsSubsystemFactory(extra: Partial<LvsSubsystemDeps> = {}): SubsystemFactory {
  return async (ctx) => {
    const { config, options, publish } = ctx;
    // Its lines (the checker worker's too) go out as Keepalived_healthcheckers'.
    const logger = withFields(ctx.logger, { subsystem: 'lvs' });
    if (!options.runChecker) return null;
    if (config.virtualServers.length === 0) return null;
    const lvs = await createLvsSubsystem(config, {
      logger,
      clock: ctx.clock,
      noIpvs: options.noIpvs,
      dontRespawn: options.dontRespawn,
      dontReleaseIpvs: options.dontReleaseIpvs,
      umask: options.umask,
      onRealServerHealth: (change) => publish({ kind: 'rs-health', ...change }),
      ...(ctx.metrics !== undefined ? { metrics: ctx.metrics } : {}),
      ...extra,
    });
    if (!lvs.ok) throw new FatalStartupError(lvs.error);
    let currentConfig = config;
    return {
      name: 'lvs',
      start: () => lvs.value.start(),
      stop: () => lvs.value.stop(),
      reload: (c) => {
        currentConfig = c;
        return lvs.value.reload(c);
      },
      onEvent: (e) => {
        if (e.kind === 'vrrp-state') lvs.value.vrrpState(e.instance, e.to);
      },
      status: async () => ({ lvs: await lvs.value.status() }),
      // keepalived_check.data (after its Global definitions); keepalived_check.json beyond keepalived.
      dumps: {
        process: 'checker',
        dataText: () =>
          lvs.value.dumpDataText({
            idsOf: scriptIdsFor(currentConfig),
            programOf: (p) => realProgramPath(p),
          }),
        jsonEntries: () => lvs.value.dumpJsonEntries(),
      },
      control: (command) => {
        if (command.cmd !== 'rs.drain' && command.cmd !== 'rs.enable') return null;
        return lvs.value.setDrained(command.vs, command.rs, command.protocol, command.cmd === 'rs.drain');
      },
    };
  };
}

/**
 * Build order: LVS first, so a missing IPVS ends start-up before any VRRP socket is open; stop
 * order is the reverse (VRRP releases its VIPs before the IPVS table goes).
 */
export const DEFAULT_FACTORIES: readonly SubsystemFactory[] = [lvsSubsystemFactory(), vrrpSubsystemFactory];
