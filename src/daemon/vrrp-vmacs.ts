/**
 * The VRRP instances' VMACs (`use_vmac`, net/vmac.ts) over the daemon's life: made before the
 * engine opens its channels and adds VIPs (vrrp.c vrrp_complete_instance creates them while the
 * configuration is completed), the ones a reload adds made before the engine reloads and the ones
 * it drops removed after, and all removed at stop (vrrp.c shutdown_vrrp_instances), except with
 * -V/--dont-release-vrrp, which keeps them as it keeps the VIPs. One deleted by someone else is
 * made again, as soon as its base interface is there (keepalived_netlink.c, vrrp_if.c
 * recreate_vmac_thread); the engine reopens the channel on the new index and, the VMAC being
 * tracked like the instance's interface, leaves FAULT when it is up. `use_ipvlan` instances' ipvlans
 * go the same way (vrrp.c calls netlink_link_add_ipvlan where it calls netlink_link_add_vmac).
 */
import type { Config, VrrpInstance } from '../config/model.js';
import type { Logger } from '../util/log.js';
import { LinkWatcher } from '../net/links.js';
import { readSysctl, writeSysctl } from '../net/sysctl.js';
import { IPVLAN_FLAGS, openVmacSystem, VmacManager, type VmacSpec } from '../net/vmac.js';

const IGMP_REPORTS = 'net/ipv4/igmp_link_local_mcast_reports';

/** The VMAC of each instance that has one. */
export function vmacSpecs(config: Config): VmacSpec[] {
  const out: VmacSpec[] = [];
  for (const vi of config.vrrpInstances) {
    // use_vmac_addr / a VIP's use_vmac (vrrp.c): made after the instance's own, one a VIP family.
    const extra = vi.vipVmacs.map((x): VmacSpec => ({
      instance: vi.name,
      ifname: x.ifname,
      base: x.base,
      mac: x.mac,
      family: x.family,
      ipv6: x.family === 'inet6',
    }));
    if (vi.vmac === null || vi.interface === null) {
      out.push(...extra);
      continue;
    }
    const ipvlan = vi.vmac.ipvlan;
    out.push({
      instance: vi.name,
      ifname: vi.vmac.ifname,
      base: vi.interface,
      mac: vi.vmac.mac,
      family: familyOf(vi),
      ipv6: familyOf(vi) === 'inet6' || vi.excludedVips.some((v) => v.family === 'inet6'),
      ...(vi.vmac.group === undefined ? {} : { group: vi.vmac.group }),
      ...(ipvlan === undefined
        ? {}
        : {
            ipvlan: {
              flags: IPVLAN_FLAGS[ipvlan.type],
              address: ipvlan.address,
              prefixLength: ipvlan.prefixLength ?? (ipvlan.family === 'inet' ? 32 : 128),
            },
          }),
    });
    out.push(...extra);
  }
  return out;
}

function familyOf(vi: VrrpInstance): 'inet' | 'inet6' {
  return vi.vips[0]?.family ?? (vi.unicastPeers[0]?.address.includes(':') ? 'inet6' : 'inet');
}

const sameSpec = (a: VmacSpec, b: VmacSpec): boolean =>
  a.ifname === b.ifname &&
  a.base === b.base &&
  a.mac === b.mac &&
  a.ipv6 === b.ipv6 &&
  a.family === b.family &&
  a.group === b.group &&
  JSON.stringify(a.ipvlan) === JSON.stringify(b.ipvlan);

/** The link watcher the engine uses: the VMAC must be in it before a channel or VIP asks. */
export interface LinkLookup {
  current(name: string): { readonly ifindex: number } | null;
}

export class VrrpVmacs {
  private specs: VmacSpec[] = [];
  /** Link events, to make a deleted VMAC again (keepalived_netlink.c -> recreate_vmac_thread). */
  private watcher: LinkWatcher | null = null;
  /** VMACs this process is deleting: their removal is not a loss. */
  private readonly deleting = new Set<string>();
  private repairs: Promise<void> = Promise.resolve();
  private stopped = false;
  private started = false;
  /** disable_local_igmp: what to write back at stop. */
  private localIgmpWas: number | null = null;

  private constructor(
    private readonly manager: VmacManager,
    private readonly links: LinkLookup,
    private readonly logger: Logger,
    private readonly closeSystem: () => void,
  ) {}

  static open(logger: Logger, links: LinkLookup): VrrpVmacs {
    const sys = openVmacSystem();
    return new VrrpVmacs(new VmacManager(sys, logger), links, logger, () => sys.close());
  }

  /** Makes the VMACs of `config` that are not in place yet (before the engine starts or reloads). */
  async add(config: Config): Promise<void> {
    // vrrp_daemon.c: disable_local_igmp applies at start, not at a reload.
    if (!this.started && config.globalDefs.disableLocalIgmp) this.disableLocalIgmp();
    this.started = true;
    const wanted = vmacSpecs(config);
    if (wanted.length > 0) await this.watch();
    for (const spec of wanted) {
      const have = this.specs.find((s) => s.ifname === spec.ifname);
      if (have && sameSpec(have, spec)) continue;
      if (have) await this.remove(have.ifname);
      if ((await this.manager.add(spec)) !== null) await this.visible(spec.ifname);
    }
    this.specs = [...wanted, ...this.specs.filter((s) => !wanted.some((w) => w.ifname === s.ifname))];
  }

  /** Removes the VMACs `config` no longer has (after the engine has reloaded). */
  async prune(config: Config): Promise<void> {
    const wanted = vmacSpecs(config);
    for (const s of this.specs) {
      if (!wanted.some((w) => sameSpec(w, s))) await this.remove(s.ifname);
    }
    this.specs = wanted;
  }

  /** At stop: every VMAC removed (rp_filter first), unless `keep` (-V). */
  async stop(keep: boolean): Promise<void> {
    this.stopped = true;
    await this.repairs;
    this.watcher?.close();
    for (const s of this.specs) this.deleting.add(s.ifname);
    if (!keep) await this.manager.removeAll();
    this.closeSystem();
    if (this.localIgmpWas !== null) {
      try {
        writeSysctl(IGMP_REPORTS, this.localIgmpWas);
      } catch (e) {
        this.logger.info(`Unable to write /proc/sys/${IGMP_REPORTS} - ${(e as Error).message}`);
      }
    }
  }

  /** vrrp_daemon.c set_disable_local_igmp: 1 becomes 0, and is put back at stop. */
  private disableLocalIgmp(): void {
    const was = readSysctl(IGMP_REPORTS);
    if (was === null) {
      this.logger.info(`Unable to open /proc/sys/${IGMP_REPORTS}`);
      return;
    }
    if (was !== 1) return;
    try {
      writeSysctl(IGMP_REPORTS, 0);
      this.localIgmpWas = 1;
    } catch (e) {
      this.logger.info(`Unable to write /proc/sys/${IGMP_REPORTS} - ${(e as Error).message}`);
    }
  }

  private async remove(ifname: string): Promise<void> {
    this.deleting.add(ifname);
    await this.manager.remove(ifname);
  }

  private async watch(): Promise<void> {
    if (this.watcher !== null) return;
    this.watcher = await LinkWatcher.open();
    this.watcher.onEvent((e) => {
      if (this.stopped) return;
      if (e.kind === 'link-removed') {
        if (this.deleting.delete(e.name) || !this.specs.some((s) => s.ifname === e.name)) return;
        this.logger.info(`Interface ${e.name} deleted`);
        this.repair();
      } else if (
        e.kind === 'link-change' &&
        this.specs.some((s) => s.base === e.link.name && this.watcher?.current(s.ifname) === null)
      ) {
        this.repair(); // The base interface is back: its VMACs went with it.
      }
    });
  }

  /** Makes again each VMAC that is gone while its base interface is there. */
  private repair(): void {
    this.repairs = this.repairs
      .then(async () => {
        for (const spec of this.specs) {
          if (this.stopped || this.watcher === null) return;
          if (this.watcher.current(spec.ifname) !== null || this.watcher.current(spec.base) === null)
            continue;
          if ((await this.manager.add(spec)) !== null) await this.visible(spec.ifname);
        }
      })
      .catch((e: unknown) => this.logger.error(`VMAC: ${(e as Error).message}`));
  }

  /** Waits (up to 3 s) for the link watcher to have heard of the new interface. */
  private async visible(ifname: string): Promise<void> {
    for (let i = 0; i < 150 && this.links.current(ifname) === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
