/**
 * `static_ipaddress`, `static_routes` and `static_rules`: set whatever the VRRP state, as
 * keepalived 2.2.7's VRRP process does (vrrp/vrrp_daemon.c):
 *
 * - start (start_vrrp, not a reload): leftover static rules are deleted first (a missing one is no
 *   error), then the addresses, routes and rules are added, after the instances are set up;
 * - reload: the entries gone from the config that were set are removed (clear_diff_static_*),
 *   then the new ones are added; an entry in both configs is left alone;
 * - stop (vrrp_terminate_phase1): rules, routes, then addresses are removed, after the
 *   instances have dropped their VIPs; `--dont-release-vrrp` does not keep them (and removes
 *   the static addresses it found already there as well, as netlink_iplist does then).
 *
 * Like keepalived, only what it set is removed: an address or route that was already there
 * when it was added (EEXIST) is not taken away at stop. A tracked static rule deleted by someone
 * else is added again (keepalived_netlink.c netlink_rule_filter, reinstate_static_rule), and so
 * is a tracked static address (netlink_if_address, reinstate_static_address). keepalived 2.2.7
 * does not put back a deleted static route in practice (its route_is_ours finds no match), nor
 * does keepalived-ts.
 */
import type { Config, IpRule, Vip, VirtualRoute } from '../config/model.js';
import { formatRule } from '../config/keywords/ip-rule.js';
import type { Logger } from '../util/log.js';
import { formatVip } from './dumps.js';
import type { VipManager, VipOutcome } from './ports.js';

export type StaticConfig = Pick<Config, 'staticAddresses' | 'staticRoutes' | 'staticRules'>;

interface Entry<T> {
  readonly item: T;
  readonly key: string;
  set: boolean;
}

interface Entries {
  readonly addresses: Entry<Vip>[];
  readonly routes: Entry<VirtualRoute>[];
  readonly rules: Entry<IpRule>[];
}

const keyOf = (x: unknown): string => JSON.stringify(x, (k, v: unknown) => (k === 'loc' ? undefined : v));

function entries(c: StaticConfig): Entries {
  const wrap = <T>(items: readonly T[]): Entry<T>[] =>
    items.map((item) => ({ item, key: keyOf(item), set: false }));
  return { addresses: wrap(c.staticAddresses), routes: wrap(c.staticRoutes), rules: wrap(c.staticRules) };
}

const isEmpty = (c: StaticConfig): boolean =>
  c.staticAddresses.length === 0 && c.staticRoutes.length === 0 && c.staticRules.length === 0;

export class StaticEntries {
  private current: Entries = { addresses: [], routes: [], rules: [] };

  constructor(
    private readonly vips: VipManager,
    private readonly logger: Logger,
  ) {}

  /** Start-up: leftover rules out, then everything in. */
  async start(config: StaticConfig): Promise<void> {
    this.current = entries(config);
    if (isEmpty(config)) return;
    // vrrp_daemon.c: netlink_rulelist(..., IPRULE_DEL, force) with ENOENT ignored.
    const leftovers = await this.vips.removeRules(this.current.rules.map((e) => e.item));
    this.report(leftovers);
    await this.addMissing();
  }

  /** Reload: what went is removed (if set), what came is added. */
  async reload(config: StaticConfig): Promise<void> {
    const old = this.current;
    const next = entries(config);
    const carry = <T>(before: Entry<T>[], after: Entry<T>[]): Entry<T>[] => {
      const keys = new Set(after.map((e) => e.key));
      for (const e of after) {
        const prev = before.find((b) => b.key === e.key);
        if (prev) e.set = prev.set;
      }
      return before.filter((e) => e.set && !keys.has(e.key));
    };
    const goneRules = carry(old.rules, next.rules);
    const goneRoutes = carry(old.routes, next.routes);
    const goneAddresses = carry(old.addresses, next.addresses);
    this.current = next;
    // vrrp_daemon.c start_vrrp: rules, routes, then addresses.
    for (const e of goneRules) {
      const r = e.item;
      const to = r.to ? ` to ${r.to.address}/${r.to.prefixLength}` : '';
      const from = r.from ? `${r.from.address}/${r.from.prefixLength}` : 'all';
      this.logger.detail(`ip rule from ${from}${to} removed`);
    }
    this.report(await this.vips.removeRules(goneRules.map((e) => e.item)));
    this.report(
      await this.vips.removeRoutes(
        goneRoutes.map((e) => e.item),
        null,
      ),
    );
    this.report(await this.vips.removeAddresses(goneAddresses.map((e) => e.item)));
    await this.addMissing();
  }

  /**
   * The kernel deleted a rule that `isThis` recognises (keepalived_netlink.c compare_rule): a
   * tracked static rule that was set is added again, with keepalived's line.
   */
  async ruleDeleted(isThis: (r: IpRule) => boolean): Promise<void> {
    const e = this.current.rules.find((x) => x.set && !x.item.noTrack && isThis(x.item));
    if (e === undefined) return;
    e.set = false;
    const r = await this.vips.addRules([e.item]);
    e.set = r.changed.length > 0;
    this.logger.info(`Restoring deleted static rule ${formatRule(e.item)}`);
    this.report(r);
  }

  /** The kernel removed an address from an interface: a tracked static one comes back. */
  async addressRemoved(address: string, ifname: string, prefixLength: number): Promise<void> {
    const e = this.current.addresses.find(
      (x) =>
        !x.item.noTrack &&
        x.item.address === address &&
        x.item.dev === ifname &&
        x.item.prefixLength === prefixLength,
    );
    if (e === undefined) return;
    const r = await this.vips.addAddresses([e.item]);
    e.set = r.changed.length > 0;
    this.logger.info(`Restoring deleted static address ${formatVip(e.item, e.set)}`);
    this.report(r);
  }

  /** What the data file shows (vrrp_data.c dump_vrrp_data): each entry with whether it is set. */
  dump(): {
    addresses: { item: Vip; set: boolean }[];
    routes: { item: VirtualRoute; set: boolean }[];
    rules: { item: IpRule; set: boolean }[];
  } {
    const c = this.current;
    const out = <T>(l: Entry<T>[]) => l.map((e) => ({ item: e.item, set: e.set }));
    return { addresses: out(c.addresses), routes: out(c.routes), rules: out(c.rules) };
  }

  /** Clean stop: rules, routes, then addresses, each only if set. */
  async stop(options: { readonly dontRelease?: boolean } = {}): Promise<void> {
    const c = this.current;
    this.current = { addresses: [], routes: [], rules: [] };
    const set = <T>(l: Entry<T>[]): T[] => l.filter((e) => e.set).map((e) => e.item);
    this.report(await this.vips.removeRules(set(c.rules)));
    this.report(await this.vips.removeRoutes(set(c.routes), null));
    // netlink_iplist: with --dont-release-vrrp it removes the addresses it did not set too.
    const addresses = options.dontRelease === true ? c.addresses.map((e) => e.item) : set(c.addresses);
    this.report(await this.vips.removeAddresses(addresses));
  }

  /** netlink_iplist / netlink_rtlist / netlink_rulelist ADD: each entry not set yet, in order. */
  private async addMissing(): Promise<void> {
    const c = this.current;
    for (const e of c.addresses.filter((x) => !x.set)) {
      const r = await this.vips.addAddresses([e.item]);
      e.set = r.changed.length > 0;
      this.report(r);
    }
    for (const e of c.routes.filter((x) => !x.set)) {
      const r = await this.vips.addRoutes([e.item], null);
      e.set = r.changed.length > 0;
      this.report(r);
    }
    for (const e of c.rules.filter((x) => !x.set)) {
      const r = await this.vips.addRules([e.item]);
      e.set = r.changed.length > 0;
      this.report(r);
    }
  }

  private report(r: VipOutcome): void {
    for (const e of r.errors) this.logger.error(e);
  }
}
