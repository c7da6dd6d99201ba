// VIPs and routes in kernel terms, through a fake rtnetlink.
import { describe, expect, it } from 'vitest';
import type { AddressSpec, InterfaceAddress, RouteSpec } from '../../../src/net/addresses.js';
import { VipManagerAdapter, type AddressRequests } from '../../../src/net/vip-manager.js';
import { vip } from '../../support/vrrp-config.js';
import { ruleLine } from '../../../src/config/keywords/ip-rule.js';
import { DiagnosticList } from '../../../src/config/keywords/types.js';
import type { RuleSpec } from '../../../src/net/ip-rules.js';

function rule(text: string): RuleSpec {
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
    false,
  );
  if (!r || r.priority === null) throw new Error(`bad test rule ${text}`);
  return { ...r, priority: r.priority };
}

function fakeNetlink(existing: InterfaceAddress[] = []) {
  const calls: string[] = [];
  const nl: AddressRequests = {
    addAddress: async (s: AddressSpec) => {
      calls.push(`add ${s.address}/${s.prefixLength} if${s.ifindex}`);
      if (s.address === '10.0.0.66') throw new Error('RTNETLINK answers: Permission denied');
      return s.address !== '10.0.0.77'; // 10.0.0.77 is already there
    },
    deleteAddress: async (s: AddressSpec) => (calls.push(`del ${s.address}`), true),
    addRoute: async (s: RouteSpec) => (calls.push(`route add ${s.to} if${s.ifindex}`), true),
    deleteRoute: async (s: RouteSpec) => {
      calls.push(`route del ${s.to}`);
      throw new Error('No such process');
    },
    addresses: async () => existing,
  };
  return { nl, calls };
}

const ifindexOf = (dev: string) => (dev === 'eth0' ? 2 : dev === 'eth1' ? 3 : null);
const route = (to: string, over: Partial<{ via: string | null; dev: string | null }> = {}) => ({
  to,
  via: null,
  src: null,
  dev: null,
  table: null,
  metric: null,
  scope: null,
  blackhole: false,
  ...over,
});

describe('VipManagerAdapter', () => {
  it('adds each VIP on the index of its device and reports what changed and what failed', async () => {
    const f = fakeNetlink();
    const m = new VipManagerAdapter(f.nl, ifindexOf);
    const out = await m.addAddresses([
      vip('10.0.0.1', { prefixLength: 24 }),
      vip('10.0.0.77'),
      vip('10.0.0.66'),
      vip('10.0.0.9', { dev: 'eth9' }),
    ]);
    expect(f.calls).toEqual(['add 10.0.0.1/24 if2', 'add 10.0.0.77/32 if2', 'add 10.0.0.66/32 if2']);
    expect(out.changed).toEqual(['10.0.0.1']);
    expect(out.errors).toEqual([
      'cannot find interface eth9 for 10.0.0.9',
      'RTNETLINK answers: Permission denied',
    ]);
    expect((await m.removeAddresses([vip('10.0.0.1')])).changed).toEqual(['10.0.0.1']);
  });

  it('routes: own dev, else the instance interface unless there is a gateway', async () => {
    const f = fakeNetlink();
    const m = new VipManagerAdapter(f.nl, ifindexOf);
    const out = await m.addRoutes(
      [route('10.1.0.0/16'), route('10.2.0.0/16', { dev: 'eth1' }), route('default', { via: '10.0.0.254' })],
      'eth0',
    );
    expect(f.calls).toEqual([
      'route add 10.1.0.0/16 if2',
      'route add 10.2.0.0/16 if3',
      'route add default ifnull',
    ]);
    expect(out).toEqual({ changed: ['10.1.0.0/16', '10.2.0.0/16', 'default'], errors: [] });
    expect(await m.removeRoutes([route('10.1.0.0/16')], 'eth0')).toEqual({
      changed: [],
      errors: ['No such process'],
    });
  });

  it('present: the VIPs configured now with the same device and prefix', async () => {
    const at = (address: string, ifindex: number, prefixLength: number): InterfaceAddress => ({
      ifindex,
      address,
      family: 'inet',
      prefixLength,
      label: null,
      secondary: false,
      scope: 0,
    });
    const f = fakeNetlink([at('10.0.0.1', 2, 32), at('10.0.0.2', 3, 32), at('10.0.0.3', 2, 24)]);
    const m = new VipManagerAdapter(f.nl, ifindexOf);
    const vips = [vip('10.0.0.1'), vip('10.0.0.2'), vip('10.0.0.3'), vip('10.0.0.4')];
    expect((await m.present(vips)).map((v) => v.address)).toEqual(['10.0.0.1']);
  });

  it("rules: in order, EEXIST/ENOENT are no change, a missing interface is refused with keepalived's line", async () => {
    const calls: string[] = [];
    const m = new VipManagerAdapter(fakeNetlink().nl, ifindexOf, {
      add: async (r) => (calls.push(`add ${r.priority}`), r.priority !== 101),
      delete: async (r) => {
        calls.push(`del ${r.priority}`);
        if (r.priority === 102) throw new Error('delete rule 102: Request rejected: EPERM');
        return true;
      },
    });
    const out = await m.addRules([
      rule('from 10.1.0.0/16 table 100 priority 100'),
      rule('to 10.2.0.0/16 table 100 priority 101'),
      rule('iif eth9 table 100 priority 103'),
      rule('oif eth1 table 100 priority 104'),
    ]);
    expect(calls).toEqual(['add 100', 'add 101', 'add 104']);
    expect(out).toEqual({
      changed: ['100: from 10.1.0.0/16', '104: from all'],
      errors: ["WARNING - interface eth9 for rule doesn't exist"],
    });
    calls.length = 0;
    const del = await m.removeRules([
      rule('iif eth9 table 100 priority 103'),
      rule('table 100 priority 102'),
    ]);
    expect(calls).toEqual(['del 103', 'del 102']);
    expect(del).toEqual({ changed: ['103: from all'], errors: ['delete rule 102: Request rejected: EPERM'] });
    expect(
      await new VipManagerAdapter(fakeNetlink().nl, ifindexOf).addRules([rule('table 5 priority 1')]),
    ).toEqual({
      changed: [],
      errors: ['no rtnetlink socket for rule 1: from all'],
    });
  });
});
