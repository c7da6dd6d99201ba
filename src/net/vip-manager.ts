/**
 * EDGE: an instance's VIPs, eVIPs, virtual routes and rules over rtnetlink (addresses.ts,
 * ip-rules.ts), in the config model's terms (device names, iproute2 words); the static ones
 * too. Satisfies vrrp/ports.ts `VipManager` (with `present`) structurally.
 */
import type { AddressSpec, RouteSpec, RtNetlink } from './addresses.js';
import { describeRule, type RuleNetlink, type RuleSpec } from './ip-rules.js';

/** One VIP as configured (config model `Vip`). */
export interface VipAddress {
  readonly address: string;
  readonly prefixLength: number;
  readonly dev: string;
  readonly label: string | null;
  readonly scope: string | null;
  readonly broadcast: string | null;
  readonly peer: string | null;
}

/** One `virtual_routes` line (config model `VirtualRoute`). */
export interface VirtualRouteLine {
  readonly to: string;
  readonly via: string | null;
  readonly src: string | null;
  readonly dev: string | null;
  readonly table: number | null;
  readonly metric: number | null;
  readonly scope: string | null;
  readonly blackhole: boolean;
}

export interface ChangeOutcome {
  /** Addresses (or route destinations) changed; the others were already in that state. */
  readonly changed: readonly string[];
  /** Failures, one readable line each. */
  readonly errors: readonly string[];
}

/** The rtnetlink requests this adapter makes (RtNetlink; a fake in tests). */
export type AddressRequests = Pick<
  RtNetlink,
  'addAddress' | 'deleteAddress' | 'addRoute' | 'deleteRoute' | 'addresses'
>;

/** The rule requests this adapter makes (RuleNetlink; a fake in tests). */
export type RuleRequests = Pick<RuleNetlink, 'add' | 'delete'>;

export class VipManagerAdapter {
  /** `ifindexOf` maps a device name to its index (null when there is no such link). */
  constructor(
    private readonly nl: AddressRequests,
    private readonly ifindexOf: (dev: string) => number | null,
    private readonly rules: RuleRequests | null = null,
  ) {}

  /**
   * Rules one after the other, in config order. A rule naming an interface that does not exist
   * is not added, with keepalived's line (vrrp_iprule.c refuses it when it reads the config).
   */
  addRules(rules: readonly RuleSpec[]): Promise<ChangeOutcome> {
    return this.eachRule(rules, true);
  }

  removeRules(rules: readonly RuleSpec[]): Promise<ChangeOutcome> {
    return this.eachRule(rules, false);
  }

  private async eachRule(rules: readonly RuleSpec[], add: boolean): Promise<ChangeOutcome> {
    const changed: string[] = [];
    const errors: string[] = [];
    for (const r of rules) {
      if (this.rules === null) {
        errors.push(`no rtnetlink socket for rule ${describeRule(r)}`);
        continue;
      }
      const missing = add ? [r.iif, r.oif].find((d) => d !== null && this.ifindexOf(d) === null) : undefined;
      if (missing !== undefined && missing !== null) {
        errors.push(`WARNING - interface ${missing} for rule doesn't exist`);
        continue;
      }
      try {
        if (await (add ? this.rules.add(r) : this.rules.delete(r))) changed.push(describeRule(r));
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return { changed, errors };
  }

  addAddresses(vips: readonly VipAddress[]): Promise<ChangeOutcome> {
    return this.eachVip(vips, (s) => this.nl.addAddress(s));
  }

  removeAddresses(vips: readonly VipAddress[]): Promise<ChangeOutcome> {
    return this.eachVip(vips, (s) => this.nl.deleteAddress(s));
  }

  addRoutes(routes: readonly VirtualRouteLine[], defaultDev: string | null): Promise<ChangeOutcome> {
    return this.eachRoute(routes, defaultDev, (s) => this.nl.addRoute(s));
  }

  removeRoutes(routes: readonly VirtualRouteLine[], defaultDev: string | null): Promise<ChangeOutcome> {
    return this.eachRoute(routes, defaultDev, (s) => this.nl.deleteRoute(s));
  }

  /** Which of `vips` are configured on their devices now (crash leftovers at start). */
  async present<V extends VipAddress>(vips: readonly V[]): Promise<readonly V[]> {
    const now = await this.nl.addresses();
    return vips.filter((v) => {
      const ifindex = this.ifindexOf(v.dev);
      return now.some(
        (a) => a.ifindex === ifindex && a.address === v.address && a.prefixLength === v.prefixLength,
      );
    });
  }

  private addressSpec(v: VipAddress): AddressSpec | null {
    const ifindex = this.ifindexOf(v.dev);
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
  }

  private routeSpec(r: VirtualRouteLine, defaultDev: string | null): RouteSpec {
    const dev = r.dev ?? (r.via === null ? defaultDev : null);
    return {
      to: r.to,
      via: r.via,
      src: r.src,
      ifindex: dev !== null ? this.ifindexOf(dev) : null,
      table: r.table,
      metric: r.metric,
      scope: r.scope,
      blackhole: r.blackhole,
    };
  }

  /** One request per VIP, all in flight at once (the netlink socket matches replies by seq). */
  private async eachVip(
    vips: readonly VipAddress[],
    fn: (s: AddressSpec) => Promise<boolean>,
  ): Promise<ChangeOutcome> {
    const changed: string[] = [];
    const errors: string[] = [];
    await Promise.all(
      vips.map(async (v) => {
        const spec = this.addressSpec(v);
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
  }

  /** Routes one after the other, in config order. */
  private async eachRoute(
    routes: readonly VirtualRouteLine[],
    defaultDev: string | null,
    fn: (s: RouteSpec) => Promise<boolean>,
  ): Promise<ChangeOutcome> {
    const changed: string[] = [];
    const errors: string[] = [];
    for (const r of routes) {
      try {
        if (await fn(this.routeSpec(r, defaultDev))) changed.push(r.to);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return { changed, errors };
  }
}
