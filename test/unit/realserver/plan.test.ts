import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatStep,
  parseVip,
  planSetup,
  planTeardown,
  sysctlName,
  undoStep,
  type ObservedHost,
  type RealServerRequest,
  type RealServerStep,
  type RealServerVip,
  type SavedRealServerState,
} from '../../../src/realserver/plan.js';
import { checkProperty } from '../../support/property.js';

/** A host's network state as the kernel would keep it, with the steps applied as it would. */
class FakeHost implements ObservedHost {
  readonly sysctls = new Map<string, number>();
  readonly links = new Map<string, { up: boolean }>();
  readonly addresses = new Set<string>();

  constructor(
    sysctls: Record<string, number> = {},
    links: Record<string, boolean> = { lo: true, eth0: true },
  ) {
    for (const iface of ['all', 'default', ...Object.keys(links)]) {
      for (const key of ['arp_ignore', 'arp_announce', 'rp_filter'])
        this.sysctls.set(`net/ipv4/conf/${iface}/${key}`, 0);
    }
    for (const [k, v] of Object.entries(sysctls)) this.sysctls.set(k, v);
    for (const [name, up] of Object.entries(links)) this.links.set(name, { up });
  }
  sysctl(path: string): number | null {
    return this.sysctls.get(path) ?? null;
  }
  link(device: string): { up: boolean } | null {
    return this.links.get(device) ?? null;
  }
  hasAddress(address: string, device: string): boolean {
    return this.addresses.has(`${address}|${device}`);
  }
  apply(step: RealServerStep): void {
    switch (step.kind) {
      case 'load-module': {
        const device = step.module === 'ipip' ? 'tunl0' : 'ip6tnl0';
        this.links.set(device, { up: false });
        for (const key of ['arp_ignore', 'arp_announce', 'rp_filter'])
          this.sysctls.set(
            `net/ipv4/conf/${device}/${key}`,
            this.sysctls.get(`net/ipv4/conf/default/${key}`)!,
          );
        return;
      }
      case 'link':
        this.links.set(step.device, { up: step.up });
        return;
      case 'sysctl':
        expect(this.sysctls.get(step.path), `${step.path} before the step`).toBe(step.previous);
        this.sysctls.set(step.path, step.value);
        return;
      case 'address':
        if (step.add) this.addresses.add(`${step.address}|${step.device}`);
        else this.addresses.delete(`${step.address}|${step.device}`);
    }
  }
  snapshot(): unknown {
    return {
      sysctls: [...this.sysctls].filter(([k]) => !k.includes('/tunl0/') && !k.includes('/ip6tnl0/')).sort(),
      links: [...this.links].filter(([k]) => k !== 'tunl0' && k !== 'ip6tnl0').sort(),
      tunnelsUp: [...this.links].filter(([k, l]) => (k === 'tunl0' || k === 'ip6tnl0') && l.up),
      addresses: [...this.addresses].sort(),
    };
  }
}

const vip = (text: string): RealServerVip => {
  const r = parseVip(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

function setup(host: FakeHost, request: RealServerRequest, saved: SavedRealServerState | null) {
  const plan = planSetup(request, host, saved);
  if (!plan.ok) throw new Error(plan.error);
  for (const s of plan.value.steps) host.apply(s);
  return plan.value;
}
function teardown(host: FakeHost, only: RealServerVip[] | null, saved: SavedRealServerState | null) {
  const plan = planTeardown(only, host, saved);
  if (!plan.ok) throw new Error(plan.error);
  for (const s of plan.value.steps) host.apply(s);
  return plan.value;
}

describe('parseVip', () => {
  it('takes a host address with or without its host length', () => {
    expect(parseVip('10.0.0.100')).toEqual({
      ok: true,
      value: { address: '10.0.0.100', family: 'inet', prefixLength: 32 },
    });
    expect(parseVip('10.0.0.100/32').ok).toBe(true);
    expect(parseVip('2001:db8::100/128')).toEqual({
      ok: true,
      value: { address: '2001:db8::100', family: 'inet6', prefixLength: 128 },
    });
  });
  it('refuses a shorter prefix (it would blackhole the subnet on lo) and what is no address', () => {
    expect(parseVip('10.0.0.100/24')).toEqual({ ok: false, error: expect.stringContaining('must be /32') });
    expect(parseVip('2001:db8::/64')).toEqual({ ok: false, error: expect.stringContaining('must be /128') });
    for (const bad of ['10.0.0', 'eth0', '10.0.0.1/32/1', '']) expect(parseVip(bad).ok, bad).toBe(false);
  });
});

describe('DR setup', () => {
  const request: RealServerRequest = {
    mode: 'dr',
    vips: [vip('10.0.0.100'), vip('2001:db8::100')],
    interface: 'eth0',
  };

  it("puts the VIPs on lo and raises arp_ignore/arp_announce on all and the interface, as the LVS guides' scripts do", () => {
    const host = new FakeHost();
    const plan = setup(host, request, null);
    expect(plan.steps.map(formatStep)).toEqual([
      'sysctl -w net.ipv4.conf.all.arp_ignore=1',
      'sysctl -w net.ipv4.conf.all.arp_announce=2',
      'sysctl -w net.ipv4.conf.eth0.arp_ignore=1',
      'sysctl -w net.ipv4.conf.eth0.arp_announce=2',
      'ip address add 10.0.0.100/32 dev lo',
      'ip address add 2001:db8::100/128 dev lo',
    ]);
    expect(plan.next?.sysctls).toContainEqual({
      path: 'net/ipv4/conf/all/arp_ignore',
      previous: 0,
      value: 1,
    });
  });

  it('is idempotent: a second setup changes nothing and keeps the first previous values', () => {
    const host = new FakeHost();
    const first = setup(host, request, null);
    const second = setup(host, request, first.next);
    expect(second.steps).toEqual([]);
    expect(second.next).toEqual(first.next);
  });

  it('never lowers a stricter value the operator chose, and sets no sysctl for an IPv6-only setup', () => {
    const host = new FakeHost({ 'net/ipv4/conf/all/arp_ignore': 2 });
    const plan = setup(host, { ...request, interface: null }, null);
    expect(plan.steps.map(formatStep)).not.toContain('sysctl -w net.ipv4.conf.all.arp_ignore=1');
    const v6 = setup(new FakeHost(), { mode: 'dr', vips: [vip('2001:db8::1')], interface: null }, null);
    expect(v6.steps.map(formatStep)).toEqual(['ip address add 2001:db8::1/128 dev lo']);
  });

  it('leaves a VIP that was there before on teardown', () => {
    const host = new FakeHost();
    host.addresses.add('10.0.0.100|lo');
    const plan = setup(host, { mode: 'dr', vips: [vip('10.0.0.100')], interface: null }, null);
    expect(plan.steps.some((s) => s.kind === 'address')).toBe(false);
    teardown(host, null, plan.next);
    expect(host.hasAddress('10.0.0.100', 'lo')).toBe(true);
  });

  it('refuses an interface that does not exist', () => {
    expect(planSetup({ ...request, interface: 'eth9' }, new FakeHost(), null)).toEqual({
      ok: false,
      error: 'no interface eth9',
    });
  });
});

describe('TUN setup', () => {
  it('loads the tunnel module, brings the device up, makes rp_filter loose where strict, and the VIP on tunl0', () => {
    const host = new FakeHost({ 'net/ipv4/conf/all/rp_filter': 1, 'net/ipv4/conf/default/rp_filter': 1 });
    const plan = setup(
      host,
      { mode: 'tun', vips: [vip('10.0.0.100'), vip('2001:db8::100')], interface: null },
      null,
    );
    expect(plan.steps.map(formatStep)).toEqual([
      'modprobe ipip',
      'ip link set tunl0 up',
      'modprobe ip6_tunnel',
      'ip link set ip6tnl0 up',
      'sysctl -w net.ipv4.conf.all.arp_ignore=1',
      'sysctl -w net.ipv4.conf.all.arp_announce=2',
      'sysctl -w net.ipv4.conf.all.rp_filter=2',
      'sysctl -w net.ipv4.conf.tunl0.rp_filter=2',
      'ip address add 10.0.0.100/32 dev tunl0',
      'ip address add 2001:db8::100/128 dev ip6tnl0',
    ]);
    expect(host.sysctl('net/ipv4/conf/tunl0/rp_filter')).toBe(2);
    teardown(host, null, plan.next);
    expect(host.link('tunl0')).toEqual({ up: false });
    expect(host.sysctl('net/ipv4/conf/all/rp_filter')).toBe(1);
  });

  it('leaves rp_filter 0 (off) alone: loose would be stricter', () => {
    const plan = setup(new FakeHost(), { mode: 'tun', vips: [vip('10.0.0.100')], interface: null }, null);
    expect(plan.steps.filter((s) => s.kind === 'sysctl' && s.path.endsWith('rp_filter'))).toEqual([]);
  });
});

describe('teardown', () => {
  it('of some VIPs removes those only; the last one restores the sysctls, newest first', () => {
    const host = new FakeHost();
    const a = setup(host, { mode: 'dr', vips: [vip('10.0.0.1'), vip('10.0.0.2')], interface: null }, null);
    const b = teardown(host, [vip('10.0.0.1')], a.next);
    expect(b.steps.map(formatStep)).toEqual(['ip address del 10.0.0.1/32 dev lo']);
    expect(host.sysctl('net/ipv4/conf/all/arp_ignore')).toBe(1);
    const c = teardown(host, null, b.next);
    expect(c.steps.map(formatStep)).toEqual([
      'ip address del 10.0.0.2/32 dev lo',
      'sysctl -w net.ipv4.conf.all.arp_announce=0',
      'sysctl -w net.ipv4.conf.all.arp_ignore=0',
    ]);
    expect(c.next).toBeNull();
  });

  it('leaves a sysctl someone changed since setup, saying so', () => {
    const host = new FakeHost();
    const a = setup(host, { mode: 'dr', vips: [vip('10.0.0.1')], interface: null }, null);
    host.sysctls.set('net/ipv4/conf/all/arp_ignore', 8);
    const b = teardown(host, null, a.next);
    expect(host.sysctl('net/ipv4/conf/all/arp_ignore')).toBe(8);
    expect(b.notes).toEqual([
      'net.ipv4.conf.all.arp_ignore is 8, not the 1 setup wrote: left as it is (it was 0)',
    ]);
  });

  it('refuses a VIP that was not set up, and does nothing without a saved state', () => {
    expect(planTeardown([vip('10.0.0.9')], new FakeHost(), null)).toEqual({
      ok: false,
      error: 'not set up here: 10.0.0.9',
    });
    expect(planTeardown(null, new FakeHost(), null)).toEqual({
      ok: true,
      value: { steps: [], next: null, notes: [] },
    });
  });
});

describe('steps', () => {
  it('print as the commands an operator would type; a dot in an interface name is written / as sysctl(8) does', () => {
    expect(sysctlName('net/ipv4/conf/eth0.100/arp_ignore')).toBe('net.ipv4.conf.eth0/100.arp_ignore');
    expect(formatStep({ kind: 'link', device: 'tunl0', up: false })).toBe('ip link set tunl0 down');
  });
  it('undo each other (a failed setup rolls back)', () => {
    const steps: RealServerStep[] = [
      { kind: 'link', device: 'tunl0', up: true },
      { kind: 'sysctl', path: 'net/ipv4/conf/all/arp_ignore', value: 1, previous: 0 },
      { kind: 'address', add: true, address: '10.0.0.1', prefixLength: 32, device: 'lo' },
    ];
    for (const s of steps) expect(undoStep(undoStep(s)!)).toEqual(s);
    expect(undoStep({ kind: 'load-module', module: 'ipip' })).toBeNull();
  });
});

describe('setup then teardown', () => {
  const sysctlValue = fc.integer({ min: 0, max: 8 });
  it('leaves any host as it found it, whatever was there and in whatever order VIPs are torn down', () => {
    checkProperty(
      'realserver-setup-teardown-round-trip',
      [
        fc.constantFrom<'dr' | 'tun'>('dr', 'tun'),
        fc.uniqueArray(fc.constantFrom('10.0.0.1', '10.0.0.2', '2001:db8::1', '2001:db8::2'), {
          minLength: 1,
        }),
        fc.record({ ignore: sysctlValue, announce: sysctlValue, rp: fc.integer({ min: 0, max: 2 }) }),
        fc.boolean(),
        fc.array(fc.constantFrom('10.0.0.1', '10.0.0.2', '2001:db8::1', '2001:db8::2'), { maxLength: 2 }),
        fc.boolean(),
      ],
      (mode, vips, values, withInterface, preExisting, twice) => {
        const host = new FakeHost({
          'net/ipv4/conf/all/arp_ignore': values.ignore,
          'net/ipv4/conf/all/arp_announce': values.announce,
          'net/ipv4/conf/all/rp_filter': values.rp,
          'net/ipv4/conf/default/rp_filter': values.rp,
        });
        const device = (a: string) => (mode === 'dr' ? 'lo' : a.includes(':') ? 'ip6tnl0' : 'tunl0');
        for (const a of preExisting) if (mode === 'dr') host.addresses.add(`${a}|${device(a)}`);
        const before = host.snapshot();
        const request: RealServerRequest = {
          mode,
          vips: vips.map(vip),
          interface: withInterface ? 'eth0' : null,
        };
        let state = setup(host, request, null).next;
        if (twice) state = setup(host, request, state).next;
        for (const a of vips) {
          expect(host.hasAddress(a, device(a)), a).toBe(true);
          if (!a.includes(':')) {
            expect(host.sysctl('net/ipv4/conf/all/arp_ignore')).toBeGreaterThanOrEqual(1);
            expect(host.sysctl('net/ipv4/conf/all/arp_announce')).toBeGreaterThanOrEqual(2);
          }
        }
        // One VIP at a time, last first.
        for (const a of [...vips].reverse()) state = teardown(host, [vip(a)], state).next;
        expect(state).toBeNull();
        expect(host.snapshot()).toEqual(before);
      },
    );
  });
});
