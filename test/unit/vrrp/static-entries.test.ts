/**
 * Static addresses, routes and rules over an in-memory VipManager: what keepalived 2.2.7's
 * start_vrrp, reload and vrrp_terminate_phase1 do with them (docs/behaviour.md §3.11).
 */
import { describe, expect, it } from 'vitest';
import type { IpRule, Vip, VirtualRoute } from '../../../src/config/model.js';
import { ruleLine } from '../../../src/config/keywords/ip-rule.js';
import { DiagnosticList } from '../../../src/config/keywords/types.js';
import { MemoryLogger } from '../../../src/util/log.js';
import type { VipManager } from '../../../src/vrrp/ports.js';
import { StaticEntries, type StaticConfig } from '../../../src/vrrp/static-entries.js';
import { vip } from '../../support/vrrp-config.js';
import { vrrpDataText } from '../../../src/vrrp/dumps.js';
import { build } from '../config/schema-helpers.js';

function rule(text: string): IpRule {
  const [keyword, ...args] = text.split(' ');
  const r = ruleLine(
    {
      keyword: keyword!,
      args,
      rest: '',
      loc: { file: 'k.conf', line: 1 },
      block: null,
      unmatchedQuote: false,
    },
    new DiagnosticList(),
    true,
  );
  if (!r || r.priority === null) throw new Error(`bad test rule ${text}`);
  return { ...r, priority: r.priority };
}

const route = (to: string): VirtualRoute => ({
  to,
  via: null,
  src: null,
  dev: 'eth0',
  table: 100,
  metric: null,
  scope: null,
  blackhole: false,
  noTrack: false,
  loc: { file: 'k.conf', line: 1 },
});

/** A kernel as a set of keys; every call is recorded. */
function fakeKernel(present: string[] = []) {
  const kernel = new Set(present);
  const calls: string[] = [];
  const ok = (changed: string[]) => ({ changed, errors: [] });
  const each = (op: string, keys: string[], add: boolean) => {
    const changed: string[] = [];
    for (const k of keys) {
      calls.push(`${op} ${k}`);
      if (add ? !kernel.has(k) : kernel.has(k)) changed.push(k);
      if (add) kernel.add(k);
      else kernel.delete(k);
    }
    return ok(changed);
  };
  const a = (v: readonly Vip[]) => v.map((x) => `addr ${x.address}`);
  const r = (v: readonly VirtualRoute[]) => v.map((x) => `route ${x.to}`);
  const u = (v: readonly IpRule[]) => v.map((x) => `rule ${x.priority}`);
  const vips: VipManager = {
    addAddresses: async (v) => each('add', a(v), true),
    removeAddresses: async (v) => each('del', a(v), false),
    addRoutes: async (v) => each('add', r(v), true),
    removeRoutes: async (v) => each('del', r(v), false),
    addRules: async (v) => each('add', u(v), true),
    removeRules: async (v) => each('del', u(v), false),
  };
  return { kernel, calls, vips };
}

const cfg = (addresses: string[], routes: string[], rules: string[]): StaticConfig => ({
  staticAddresses: addresses.map((x) => vip(x)),
  staticRoutes: routes.map(route),
  staticRules: rules.map(rule),
});

describe('static entries', () => {
  it('start: leftover rules out, then addresses, routes, rules in; stop removes in reverse kinds', async () => {
    const k = fakeKernel(['rule 100']);
    const s = new StaticEntries(k.vips, new MemoryLogger());
    await s.start(cfg(['10.0.0.9'], ['10.9.0.0/16'], ['from 10.1.0.0/16 table 100 priority 100']));
    expect(k.calls).toEqual(['del rule 100', 'add addr 10.0.0.9', 'add route 10.9.0.0/16', 'add rule 100']);
    k.calls.length = 0;
    await s.stop();
    expect(k.calls).toEqual(['del rule 100', 'del route 10.9.0.0/16', 'del addr 10.0.0.9']);
    expect([...k.kernel]).toEqual([]);
  });

  it('an address or route that was there already is not removed at stop (not set)', async () => {
    const k = fakeKernel(['addr 10.0.0.9', 'route 10.9.0.0/16']);
    const s = new StaticEntries(k.vips, new MemoryLogger());
    await s.start(cfg(['10.0.0.9'], ['10.9.0.0/16'], []));
    await s.stop();
    expect([...k.kernel].sort()).toEqual(['addr 10.0.0.9', 'route 10.9.0.0/16']);
  });

  it('with --dont-release-vrrp the addresses found there go as well (netlink_iplist), routes do not', async () => {
    const k = fakeKernel(['addr 10.0.0.9', 'route 10.9.0.0/16']);
    const s = new StaticEntries(k.vips, new MemoryLogger());
    await s.start(cfg(['10.0.0.9'], ['10.9.0.0/16'], []));
    await s.stop({ dontRelease: true });
    expect([...k.kernel]).toEqual(['route 10.9.0.0/16']);
  });

  it('reload: what went is removed, what came is added, the rest is left alone', async () => {
    const k = fakeKernel();
    const s = new StaticEntries(k.vips, new MemoryLogger());
    await s.start(
      cfg(
        ['10.0.0.9'],
        ['10.9.0.0/16'],
        ['from 10.1.0.0/16 table 100 priority 100', 'to 10.2.0.0/16 table 100 priority 101'],
      ),
    );
    k.calls.length = 0;
    await s.reload(
      cfg(
        ['10.0.0.9'],
        ['10.8.0.0/16'],
        ['from 10.1.0.0/16 table 100 priority 100', 'to 10.3.0.0/16 table 100 priority 101'],
      ),
    );
    expect(k.calls).toEqual([
      'del rule 101',
      'del route 10.9.0.0/16',
      'add route 10.8.0.0/16',
      'add rule 101',
    ]);
    k.calls.length = 0;
    await s.stop();
    expect(k.calls).toEqual(['del rule 100', 'del rule 101', 'del route 10.8.0.0/16', 'del addr 10.0.0.9']);
  });

  it('logs what the kernel refused', async () => {
    const logger = new MemoryLogger();
    const vips: VipManager = {
      ...fakeKernel().vips,
      addRules: async () => ({ changed: [], errors: ["WARNING - interface nosuch for rule doesn't exist"] }),
    };
    await new StaticEntries(vips, logger).start(cfg([], [], ['iif nosuch table 100 priority 5']));
    expect(logger.messages()).toContain("WARNING - interface nosuch for rule doesn't exist");
  });

  it("a tracked static rule deleted by someone else is added again with keepalived's line; no_track is not", async () => {
    const k = fakeKernel();
    const logger = new MemoryLogger();
    const s = new StaticEntries(k.vips, logger);
    await s.start(
      cfg(
        [],
        [],
        ['from 10.1.0.0/16 table 100 priority 100', 'to 10.2.0.0/16 table 100 priority 101 no_track'],
      ),
    );
    k.kernel.delete('rule 100');
    k.kernel.delete('rule 101');
    k.calls.length = 0;
    await s.ruleDeleted((r) => r.priority === 101);
    expect(k.calls).toEqual([]);
    await s.ruleDeleted((r) => r.priority === 100);
    expect(k.calls).toEqual(['add rule 100']);
    expect(logger.messages()).toContain(
      'Restoring deleted static rule from 10.1.0.0/16 priority 100 tos 0x0 protocol 18 lookup 100',
    );
    // After a stop nothing is ours any more.
    await s.stop();
    k.calls.length = 0;
    await s.ruleDeleted(() => true);
    expect(k.calls).toEqual([]);
  });

  it('the data file shows them as keepalived 2.2.7 did (SIGUSR1), set once added', async () => {
    const { config, diagnostics } = build(
      [
        'static_ipaddress {',
        '  10.231.78.1/32 dev eth0',
        '  10.231.78.2/24 dev eth0 label eth0:5',
        '}',
        'static_routes {',
        '  10.231.79.0/24 dev eth0 table 100',
        '  10.231.90.0/24 via 10.231.77.254 dev eth0 no_track',
        '}',
        'static_rules {',
        '  from 10.231.80.0/24 table 100 priority 1000',
        '  to 2001:db8:77::/48 table 100 priority 1002',
        '}',
      ].join('\n'),
    );
    expect(diagnostics).toEqual([]);
    const s = new StaticEntries(fakeKernel().vips, new MemoryLogger());
    await s.start(config);
    const empty = { instances: [], sockets: [], syncGroups: [], scripts: [], trackFiles: [] };
    const host = { ids: () => ({ uid: 0, gid: 0 }), programOf: (p: string) => p };
    // keepalived's keepalived.data; its first route line ends ' [installed ifindex 0]' there,
    // a route index it learns from the kernel's notification, which keepalived-ts does not print.
    expect(vrrpDataText(empty, [], host, s.dump()).split('\n')).toEqual([
      '------< Static Addresses >------',
      '     10.231.78.1 dev eth0 scope global set',
      '     10.231.78.2/24 dev eth0 scope global label eth0:5 set',
      '------< Static Routes >------',
      '     prepend 10.231.79.0/24 dev eth0 table 100 proto 18',
      '     prepend 10.231.90.0/24 via inet 10.231.77.254 dev eth0 no_track',
      '------< Static Rules >------',
      '     from 10.231.80.0/24 priority 1000 tos 0x0 protocol 18 lookup 100',
      '     from all to 2001:db8:77::/48 priority 1002 tos 0x0 protocol 18 lookup 100',
      '',
    ]);
  });

  it("a tracked static address removed by someone else is added again with keepalived's line", async () => {
    const k = fakeKernel();
    const logger = new MemoryLogger();
    const s = new StaticEntries(k.vips, logger);
    await s.start({
      staticAddresses: [vip('10.0.0.9'), vip('10.0.0.10', { noTrack: true })],
      staticRoutes: [],
      staticRules: [],
    });
    k.kernel.clear();
    k.calls.length = 0;
    await s.addressRemoved('10.0.0.10', 'eth0', 32);
    await s.addressRemoved('10.0.0.9', 'eth1', 32);
    await s.addressRemoved('10.0.0.9', 'eth0', 24);
    expect(k.calls).toEqual([]);
    await s.addressRemoved('10.0.0.9', 'eth0', 32);
    expect(k.calls).toEqual(['add addr 10.0.0.9']);
    expect(logger.messages()).toContain(
      'Restoring deleted static address 10.0.0.9 dev eth0 scope global set',
    );
  });
});
