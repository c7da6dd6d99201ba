/**
 * The VRRP instances' VMACs (`use_vmac`, net/vmac.ts) over the daemon's life: made before the
 * engine opens its channels and adds VIPs (vrrp.c vrrp_complete_instance creates them while the
 * configuration is completed), the ones a reload adds made before the engine reloads and the ones
 * it drops removed after, and all removed at stop (vrrp.c shutdown_vrrp_instances), except with
 * -V/--dont-release-vrrp, which keeps them as it keeps the VIPs.
 */
import type { Config, VrrpInstance } from '../config/model.js';
import type { Logger } from '../util/log.js';
import { openVmacSystem, VmacManager, type VmacSpec } from '../net/vmac.js';

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
    out.push({
      instance: vi.name,
      ifname: vi.vmac.ifname,
      base: vi.interface,
      mac: vi.vmac.mac,
      family: familyOf(vi),
      ipv6: familyOf(vi) === 'inet6' || vi.excludedVips.some((v) => v.family === 'inet6'),
    });
    out.push(...extra);
  }
  return out;
}

function familyOf(vi: VrrpInstance): 'inet' | 'inet6' {
  return vi.vips[0]?.family ?? (vi.unicastPeers[0]?.address.includes(':') ? 'inet6' : 'inet');
}

const sameSpec = (a: VmacSpec, b: VmacSpec): boolean =>
  a.ifname === b.ifname && a.base === b.base && a.mac === b.mac && a.ipv6 === b.ipv6 && a.family === b.family;

/** The link watcher the engine uses: the VMAC must be in it before a channel or VIP asks. */
export interface LinkLookup {
  current(name: string): { readonly ifindex: number } | null;
}

export class VrrpVmacs {
  private specs: VmacSpec[] = [];

  private constructor(
    private readonly manager: VmacManager,
    private readonly links: LinkLookup,
    private readonly closeSystem: () => void,
  ) {}

  static open(logger: Logger, links: LinkLookup): VrrpVmacs {
    const sys = openVmacSystem();
    return new VrrpVmacs(new VmacManager(sys, logger), links, () => sys.close());
  }

  /** Makes the VMACs of `config` that are not in place yet (before the engine starts or reloads). */
  async add(config: Config): Promise<void> {
    const wanted = vmacSpecs(config);
    for (const spec of wanted) {
      const have = this.specs.find((s) => s.ifname === spec.ifname);
      if (have && sameSpec(have, spec)) continue;
      if (have) await this.manager.remove(have.ifname);
      if ((await this.manager.add(spec)) !== null) await this.visible(spec.ifname);
    }
    this.specs = [...wanted, ...this.specs.filter((s) => !wanted.some((w) => w.ifname === s.ifname))];
  }

  /** Removes the VMACs `config` no longer has (after the engine has reloaded). */
  async prune(config: Config): Promise<void> {
    const wanted = vmacSpecs(config);
    for (const s of this.specs) {
      if (!wanted.some((w) => sameSpec(w, s))) await this.manager.remove(s.ifname);
    }
    this.specs = wanted;
  }

  /** At stop: every VMAC removed (rp_filter first), unless `keep` (-V). */
  async stop(keep: boolean): Promise<void> {
    if (!keep) await this.manager.removeAll();
    this.closeSystem();
  }

  /** Waits (up to 3 s) for the link watcher to have heard of the new interface. */
  private async visible(ifname: string): Promise<void> {
    for (let i = 0; i < 150 && this.links.current(ifname) === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
