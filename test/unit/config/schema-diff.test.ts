import { describe, expect, it } from 'vitest';
import { diffConfigs } from '../../../src/config/diff.js';
import { build } from './schema-helpers.js';

const base = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.1
  }
}
virtual_server 192.0.2.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind DR
  real_server 10.0.0.1 80 {
    weight 1
  }
  real_server 10.0.0.2 80 {
    weight 1
  }
}
`;

describe('diffConfigs', () => {
  it('an identical config (even moved down a line) has no changes', () => {
    const d = diffConfigs(build(base).config, build('\n\n' + base).config);
    expect(d.vrrpInstances).toMatchObject({ added: [], removed: [], changed: [] });
    expect(d.virtualServers).toMatchObject({ added: [], removed: [], changed: [] });
    expect(d.globalDefsChanged).toBe(false);
  });

  it('reports changed, added and removed elements by key', () => {
    const next = base
      .replace('priority 100', 'priority 90')
      .replace('real_server 10.0.0.2 80 {\n    weight 1', 'real_server 10.0.0.3 80 {\n    weight 1')
      .replace('real_server 10.0.0.1 80 {\n    weight 1', 'real_server 10.0.0.1 80 {\n    weight 5')
      .concat(
        'vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 52\n  virtual_ipaddress {\n    192.0.2.2\n  }\n}\n',
      );
    const d = diffConfigs(build(base).config, build(next).config);
    expect(d.vrrpInstances.changed.map((c) => [c.before.priority, c.after.priority])).toEqual([[100, 90]]);
    expect(d.vrrpInstances.added.map((i) => i.name)).toEqual(['VI_2']);
    expect(d.virtualServers.changed).toHaveLength(1);
    const vs = d.virtualServers.changed[0]!;
    expect(vs.serviceChanged).toBe(false);
    expect(vs.realServers.added.map((r) => r.key)).toEqual(['10.0.0.3|80']);
    expect(vs.realServers.removed.map((r) => r.key)).toEqual(['10.0.0.2|80']);
    expect(vs.realServers.changed.map((c) => [c.before.weight, c.after.weight])).toEqual([[1, 5]]);
  });

  it('matches VRRP instances by keepalived identity, as the reload does: a rename is a change', () => {
    const renamed = diffConfigs(build(base).config, build(base.replace('VI_1', 'VI_RENAMED')).config);
    expect(renamed.vrrpInstances.added).toEqual([]);
    expect(renamed.vrrpInstances.removed).toEqual([]);
    expect(renamed.vrrpInstances.changed.map((c) => [c.before.name, c.after.name])).toEqual([
      ['VI_1', 'VI_RENAMED'],
    ]);
    const moved = diffConfigs(
      build(base).config,
      build(base.replace('interface eth0', 'interface eth1')).config,
    );
    expect(moved.vrrpInstances.added.map((i) => i.interface)).toEqual(['eth1']);
    expect(moved.vrrpInstances.removed.map((i) => i.interface)).toEqual(['eth0']);
  });

  it('a protocol change is a different virtual server; a scheduler change is a service change', () => {
    const proto = diffConfigs(build(base).config, build(base.replace('protocol TCP', 'protocol UDP')).config);
    expect(proto.virtualServers.added.map((v) => v.key)).toEqual(['UDP:192.0.2.1:80']);
    expect(proto.virtualServers.removed.map((v) => v.key)).toEqual(['TCP:192.0.2.1:80']);
    const sched = diffConfigs(build(base).config, build(base.replace('lb_algo rr', 'lb_algo wrr')).config);
    expect(sched.virtualServers.changed[0]!.serviceChanged).toBe(true);
  });
});
