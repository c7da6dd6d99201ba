/**
 * `static_ipaddress`, `static_routes`, `static_rules` (vrrp/vrrp_parser.c) into the model, and
 * the preferences of rules written without one (vrrp/vrrp_iprule.c alloc_rule): keepalived gives
 * them 16384, 16383, ... per family in the order it reads the lines (static and virtual_rules
 * alike), each with a line, and starts again at every reload (reset_next_rule_priority).
 */
import type { Config, IpRule, SourceLoc, Vip, VirtualRoute, VrrpInstance } from './model.js';
import type { Statement } from './tree.js';
import type { DiagnosticSink } from './keywords/types.js';
import type { RawReader } from './keywords/read.js';
import { RULE_START_PRIORITY, type RuleLine } from './keywords/ip-rule.js';
import { rootKeywords as R } from './keywords/root.js';

export interface StaticEntries {
  readonly staticAddresses: readonly Vip[];
  readonly staticRoutes: readonly VirtualRoute[];
  /** Preferences not settled yet: `settleRulePriorities`. */
  readonly staticRules: readonly RuleLine[];
}

/** The root blocks; a static address without `dev` goes to `default_interface` (get_default_if). */
export function buildStaticEntries(root: RawReader, defaultInterface: string): StaticEntries {
  const staticAddresses = root.items(R.static_ipaddress).map((v): Vip => ({
    address: v.address,
    family: v.family,
    prefixLength: v.prefixLength,
    dev: v.dev ?? defaultInterface,
    label: v.label,
    scope: v.scope,
    broadcast: v.broadcast,
    peer: v.peer,
    noTrack: v.noTrack,
    loc: v.loc,
  }));
  // vrrp_iproute.c: a tracked route needs an interface; without one it is not tracked.
  const staticRoutes = root
    .items(R.static_routes)
    .map((x): VirtualRoute => ({ ...x, noTrack: x.noTrack || x.dev === null }));
  return { staticAddresses, staticRoutes, staticRules: root.items(R.static_rules) };
}

/**
 * Gives every rule without a preference its number in file order and returns the static rules
 * and instances with settled rules. `statements` are the root statements of all files.
 */
export function settleRulePriorities(
  statements: readonly Statement[],
  staticRules: readonly RuleLine[],
  instances: readonly VrrpInstance[],
  /** Each instance's virtual_rules lines, by instance name (schema/vrrp-instance.ts). */
  virtualRules: ReadonlyMap<string, readonly RuleLine[]>,
  sink: DiagnosticSink,
): { staticRules: IpRule[]; vrrpInstances: VrrpInstance[] } {
  const order = new Map<SourceLoc, number>();
  let seq = 0;
  const lines = (block: readonly Statement[] | null): void => {
    for (const l of block ?? []) order.set(l.loc, seq++);
  };
  for (const s of statements) {
    if (s.keyword === 'static_rules') lines(s.block);
    else if (s.keyword === 'vrrp_instance')
      for (const c of s.block ?? []) if (c.keyword === 'virtual_rules') lines(c.block);
  }
  const pending = [...staticRules, ...instances.flatMap((i) => virtualRules.get(i.name) ?? [])]
    .filter((r) => r.priority === null)
    .sort((a, b) => (order.get(a.loc) ?? 0) - (order.get(b.loc) ?? 0));
  const given = new Map<RuleLine, number>();
  const next = { inet: RULE_START_PRIORITY, inet6: RULE_START_PRIORITY };
  for (const r of pending) {
    const p = next[r.family]--;
    given.set(r, p);
    sink.report(
      'error',
      'invalid-value',
      `Rule has no preference specified - setting to ${p}. This is probably not what you want.`,
      r.loc,
    );
  }
  const settle = (r: RuleLine): IpRule => ({ ...r, priority: r.priority ?? given.get(r)! });
  return {
    staticRules: staticRules.map(settle),
    vrrpInstances: instances.map((i) => {
      const rules = virtualRules.get(i.name);
      return rules === undefined ? i : { ...i, virtualRules: rules.map(settle) };
    }),
  };
}

/** Whether the VRRP side has anything to do (keepalived's have_vrrp_config). */
export function hasVrrpWork(config: Config): boolean {
  return (
    config.vrrpInstances.length > 0 ||
    config.staticAddresses.length > 0 ||
    config.staticRoutes.length > 0 ||
    config.staticRules.length > 0
  );
}
