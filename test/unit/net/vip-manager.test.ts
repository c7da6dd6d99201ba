// VIPs and routes in kernel terms, through a fake rtnetlink.
import { describe, expect, it } from 'vitest';
import type { AddressSpec, InterfaceAddress, RouteSpec } from '../../../src/net/addresses.js';
import { VipManagerAdapter, type AddressRequests } from '../../../src/net/vip-manager.js';
import { vip } from '../../support/vrrp-config.js';

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
});
