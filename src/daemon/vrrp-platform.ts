/**
 * Composition of the VRRP subsystem: the VrrpPlatform port (vrrp/ports.ts) built from the net/
 * adapters (raw protocol-112 sockets, rtnetlink, link notifications, AF_PACKET ARP, the script
 * runner), and the subsystem object the daemon starts and stops. Only daemon/ joins vrrp/ and net/.
 */
import { readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Config, ScriptSpec, VirtualRoute, Vip } from '../config/model.js';
import { RtNetlink, type AddressSpec, type RouteSpec } from '../net/addresses.js';
import { ArpSender } from '../net/arp.js';
import { resolveScriptUser, runScript } from '../net/exec.js';
import { LinkWatcher } from '../net/links.js';
import { VrrpRawSocket } from '../net/raw-ip-socket.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { VrrpEngine } from '../vrrp/engine.js';
import type { StateChange } from '../vrrp/instance.js';
import { unknownVridLogLine } from '../vrrp/validate.js';
import type {
  ChannelOptions,
  LinkState,
  Notifier,
  ScriptResult,
  ScriptRunner,
  VipOutcome,
  VrrpIo,
  VrrpPlatform,
} from '../vrrp/ports.js';

/** keepalived gives notify_stop 1 s (system_call_script with TIMER_HZ); others get longer. */
const NOTIFY_STOP_TIMEOUT_MS = 1000;
const NOTIFY_TIMEOUT_MS = 30_000;

/** Raw sockets shared by the instances on one interface with one source; dispatch by VRID. */
class ChannelHub {
  private readonly sockets = new Map<
    string,
    { socket: VrrpRawSocket; byVrid: Map<number, (d: Buffer) => void> }
  >();

  constructor(
    private readonly links: LinkWatcher,
    private readonly logger: Logger,
    private readonly logUnknownVrids: boolean,
  ) {}

  open(o: ChannelOptions): VrrpIo {
    const key = `${o.interfaceName ?? '*'}|${o.multicastGroup ?? 'unicast'}|${o.sourceAddress}|${o.ttl}`;
    let entry = this.sockets.get(key);
    if (!entry) {
      const link = o.interfaceName !== null ? this.links.current(o.interfaceName) : null;
      const socket = VrrpRawSocket.open({
        interfaceName: o.interfaceName,
        ifindex: link?.ifindex ?? null,
        sourceAddress: o.sourceAddress,
        multicastGroup: o.multicastGroup,
        ttl: o.ttl,
      });
      const byVrid = new Map<number, (d: Buffer) => void>();
      socket.onDatagram((d) => {
        const vrid = d.payload.length >= 2 ? d.payload[1]! : -1;
        const fn = byVrid.get(vrid);
        if (fn) fn(d.datagram);
        else if (this.logUnknownVrids) {
          this.logger.info(unknownVridLogLine(vrid, o.interfaceName ?? ''));
        }
      });
      socket.onError((e) => this.logger.error(`VRRP socket error: ${e.message}`));
      entry = { socket, byVrid };
      this.sockets.set(key, entry);
    }
    const shared = entry;
    const destinations = o.multicastGroup !== null ? [o.multicastGroup] : [...o.unicastPeers];
    return {
      sourceAddress: o.sourceAddress,
      send: async (message) => {
        await Promise.all(destinations.map((d) => shared.socket.send(message, d)));
      },
      onDatagram: (fn) => void shared.byVrid.set(o.vrid, fn),
      close: () => {
        shared.byVrid.delete(o.vrid);
        if (shared.byVrid.size === 0) {
          shared.socket.close();
          this.sockets.delete(key);
        }
      },
    };
  }

  closeAll(): void {
    for (const e of this.sockets.values()) e.socket.close();
    this.sockets.clear();
  }
}

/** Runs scripts as script_user (or the script's own user), through net/exec. */
class ExecScriptRunner implements ScriptRunner {
  constructor(private readonly currentConfig: () => Config) {}

  private get config(): Config {
    return this.currentConfig();
  }

  async run(spec: ScriptSpec, extraArgs: readonly string[], timeoutMs: number): Promise<ScriptResult> {
    const global = this.config.globalDefs.scriptUser;
    const user = spec.user ?? global?.user ?? null;
    const group = spec.user !== null ? spec.group : (global?.group ?? null);
    const who = resolveScriptUser(user, group);
    if (!who.ok) return { kind: 'spawn-error', message: who.error };
    return runScript({
      argv: [...spec.argv, ...extraArgs],
      uid: who.value.identity.uid,
      gid: who.value.identity.gid,
      timeoutMs,
    });
  }

  warnings(): string[] {
    const global = this.config.globalDefs.scriptUser;
    const who = resolveScriptUser(global?.user ?? null, global?.group ?? null);
    return who.ok && who.value.warning !== null ? [who.value.warning] : [];
  }
}

class ScriptNotifier implements Notifier {
  constructor(
    private readonly runner: ScriptRunner,
    private readonly logger: Logger,
  ) {}

  async notify(
    kind: 'INSTANCE' | 'GROUP',
    name: string,
    state: string,
    priority: number,
    scripts: { readonly specific: ScriptSpec | null; readonly generic: ScriptSpec | null },
  ): Promise<void> {
    const timeout = state === 'STOP' ? NOTIFY_STOP_TIMEOUT_MS : NOTIFY_TIMEOUT_MS;
    const runs: Promise<void>[] = [];
    const report = (spec: ScriptSpec, r: ScriptResult): void => {
      if (r.kind === 'spawn-error')
        this.logger.error(`Failed to exec notify script ${spec.command}: ${r.message}`);
      else if (r.kind === 'timeout') this.logger.info(`Notify script ${spec.command} timed out`);
    };
    // keepalived runs the specific notify_* first, then the generic `notify` with 4 extra args;
    // both are fire-and-forget children, so they may overlap.
    if (scripts.specific !== null) {
      const spec = scripts.specific;
      runs.push(this.runner.run(spec, [], timeout).then((r) => report(spec, r)));
    }
    if (scripts.generic !== null) {
      const spec = scripts.generic;
      runs.push(
        this.runner.run(spec, [kind, name, state, String(priority)], timeout).then((r) => report(spec, r)),
      );
    }
    await Promise.all(runs);
  }
}

export interface VrrpSubsystem {
  start(): void;
  stop(options: { readonly keepVips: boolean }): Promise<void>;
  /** SIGHUP: matched instances keep their state (engine.reload). */
  reload(config: Config): Promise<void>;
  /** Every MASTER adverts now (a reload is about to parse the config). */
  advertNow(): void;
  statsText(): string;
  dataText(): string;
  counters(): Record<string, Record<string, number>>;
}

export interface VrrpSubsystemHooks {
  /** Every instance's state change, for the daemon to route (LVS sync daemon). */
  readonly onStateChange?: (change: StateChange) => void;
}

export async function createVrrpSubsystem(
  config: Config,
  clock: Clock,
  logger: Logger,
  hooks: VrrpSubsystemHooks = {},
): Promise<VrrpSubsystem> {
  const nl = RtNetlink.open();
  const links = await LinkWatcher.open();
  const arp = new ArpSender();
  const hub = new ChannelHub(links, logger, config.globalDefs.logUnknownVrids);
  let currentConfig = config;
  const scripts = new ExecScriptRunner(() => currentConfig);
  if (
    config.vrrpScripts.length > 0 ||
    config.vrrpInstances.some((i) => i.notify.master || i.notify.generic)
  ) {
    for (const w of scripts.warnings()) logger.warn(w);
  }
  const notifier = new ScriptNotifier(scripts, logger);

  const ifindexOf = (dev: string): number | null => links.current(dev)?.ifindex ?? null;
  const addressSpec = (v: Vip): AddressSpec | null => {
    const ifindex = ifindexOf(v.dev);
    if (ifindex === null) return null;
    return {
      address: v.address,
      prefixLength: v.prefixLength,
      ifindex,
      label: v.label,
      scope: v.scope,
      broadcast: v.broadcast,
      peer: v.peer,
    };
  };
  const routeSpec = (r: VirtualRoute, defaultDev: string | null): RouteSpec => {
    const dev = r.dev ?? (r.via === null ? defaultDev : null);
    return {
      to: r.to,
      via: r.via,
      src: r.src,
      ifindex: dev !== null ? ifindexOf(dev) : null,
      table: r.table,
      metric: r.metric,
      scope: r.scope,
      blackhole: r.blackhole,
    };
  };
  /** One request per VIP, all in flight at once (the netlink socket matches replies by seq). */
  const eachVip = async (
    vips: readonly Vip[],
    fn: (s: AddressSpec) => Promise<boolean>,
  ): Promise<VipOutcome> => {
    const changed: string[] = [];
    const errors: string[] = [];
    await Promise.all(
      vips.map(async (v) => {
        const spec = addressSpec(v);
        if (spec === null) {
          errors.push(`cannot find interface ${v.dev} for ${v.address}`);
          return;
        }
        try {
          if (await fn(spec)) changed.push(v.address);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }),
    );
    return { changed, errors };
  };
  const eachRoute = async (
    routes: readonly VirtualRoute[],
    defaultDev: string | null,
    fn: (s: RouteSpec) => Promise<boolean>,
  ): Promise<VipOutcome> => {
    const changed: string[] = [];
    const errors: string[] = [];
    for (const r of routes) {
      try {
        if (await fn(routeSpec(r, defaultDev))) changed.push(r.to);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return { changed, errors };
  };

  const linkListeners: ((l: LinkState) => void)[] = [];
  links.onEvent((e) => {
    if (e.kind !== 'link-change') return;
    for (const fn of linkListeners) fn({ name: e.link.name, ifindex: e.link.ifindex, up: e.link.up });
  });

  const platform: VrrpPlatform = {
    links: {
      current: (name) => {
        const l = links.current(name);
        return l ? { name: l.name, ifindex: l.ifindex, up: l.up } : null;
      },
      onChange: (fn) => void linkListeners.push(fn),
    },
    vips: {
      addAddresses: (vips) => eachVip(vips, (s) => nl.addAddress(s)),
      removeAddresses: (vips) => eachVip(vips, (s) => nl.deleteAddress(s)),
      addRoutes: (routes, dev) => eachRoute(routes, dev, (s) => nl.addRoute(s)),
      removeRoutes: (routes, dev) => eachRoute(routes, dev, (s) => nl.deleteRoute(s)),
      present: async (vips) => {
        const now = await nl.addresses();
        return vips.filter((v) => {
          const ifindex = ifindexOf(v.dev);
          return now.some(
            (a) => a.ifindex === ifindex && a.address === v.address && a.prefixLength === v.prefixLength,
          );
        });
      },
    },
    garp: {
      sendGarp: (ifname, vip) => {
        const link = links.current(ifname);
        if (!link || !link.mac) throw new Error(`no link-layer address for ${ifname}`);
        arp.send(link.ifindex, link.mac, vip);
      },
    },
    notifier,
    scripts,
    primaryAddress: async (ifname, exclude) => {
      const ifindex = ifindexOf(ifname);
      return ifindex === null ? null : nl.primaryAddress4(ifindex, exclude);
    },
    openChannel: (o) => hub.open(o),
    initFile: (path, value, overwrite) => {
      try {
        writeFileSync(path, `${value}\n`, { flag: overwrite ? 'w' : 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          logger.error(`track_file ${path}: cannot initialise: ${(e as Error).message}`);
        }
      }
    },
    watchFile: (path, fn) => {
      const read = (): string | null => {
        try {
          return readFileSync(path, 'utf8');
        } catch {
          return null;
        }
      };
      let last = read();
      fn(last);
      let watcher: FSWatcher | null = null;
      try {
        // Watch the directory: editors and `echo > file` replace or recreate the file.
        watcher = watch(dirname(path), (_event, name) => {
          if (name !== null && name !== basename(path)) return;
          const text = read();
          if (text !== last) {
            last = text;
            fn(text);
          }
        });
      } catch (e) {
        logger.error(`track_file ${path}: cannot watch: ${(e as Error).message}`);
      }
      return { close: () => watcher?.close() };
    },
  };

  const engine = await VrrpEngine.create(config, { clock, logger, platform });
  if (hooks.onStateChange) engine.onStateChange(hooks.onStateChange);
  return {
    start: () => engine.start(),
    reload: async (next) => {
      currentConfig = next;
      await engine.reload(next);
    },
    advertNow: () => engine.advertNow(),
    stop: async ({ keepVips }) => {
      await engine.stop({ keepVips });
      hub.closeAll();
      arp.close();
      links.close();
      nl.close();
    },
    statsText: () => engine.statsText(),
    dataText: () => {
      const lines = ['------< VRRP Topology >------'];
      for (const s of engine.status()) {
        lines.push(
          ` VRRP Instance = ${s.name}`,
          `   State = ${s.state}`,
          `   Wanted State = ${s.wantState}`,
          `   Priority = ${s.basePriority}`,
          `   Effective priority = ${s.effectivePriority}`,
          `   Master router = ${s.masterAddress ?? ''}`,
        );
      }
      return lines.join('\n') + '\n';
    },
    counters: () => engine.counters(),
  };
}
