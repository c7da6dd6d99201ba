// use_ipvlan as keepalived 2.2.7 reads and completes it (vrrp_parser.c vrrp_ipvlan_handler,
// vrrp_end_handler; vrrp.c vrrp_complete_instance). The diagnostics are the lines
// `keepalived -t -f` printed for the same configurations.
import { describe, expect, it } from 'vitest';
import { build, summary } from './schema-helpers.js';
import { vmacSpecs } from '../../../src/daemon/vrrp-vmacs.js';
import { channelOptionsFor } from '../../../src/vrrp/channels.js';
import { trackedItemsOf } from '../../../src/vrrp/tracking.js';
import { checkHost } from '../../../src/config/semantic.js';
import { DiagnosticList } from '../../../src/config/keywords/types.js';

const instance = (name: string, body: string, vrid = 51): string => `vrrp_instance ${name} {
  interface eth0
  virtual_router_id ${vrid}
  virtual_ipaddress {
    192.0.2.10/24
  }
${body}
}
`;

describe('use_ipvlan', () => {
  it('takes a name, an address and a type; the VIPs go on it and its address is the adverts source', async () => {
    const { config, diagnostics } = build(instance('VI_1', '  use_ipvlan ipv1 10.1.1.1/24 private'));
    expect(summary(diagnostics)).toEqual([]);
    const vi = config.vrrpInstances[0]!;
    expect(vi.vmac).toEqual({
      ifname: 'ipv1',
      mac: '',
      xmitBase: false,
      ipvlan: { type: 'private', address: '10.1.1.1', prefixLength: 24, family: 'inet' },
    });
    // keepalived 2.2.7 (seen in the VM tier) adds a VIP without dev to the base, not the ipvlan.
    expect(vi.vips.map((v) => v.dev)).toEqual(['eth0']);
    expect(vi.mcastSrcIp).toBe('10.1.1.1');
    const ch = await channelOptionsFor(vi, '224.0.0.18', () => Promise.resolve('192.0.2.1'));
    expect(ch).toMatchObject({ interfaceName: 'ipv1', sourceAddress: '10.1.1.1' });
    // Tracked as the instance's own interface, as a VMAC is.
    const items = trackedItemsOf({ ...vi, trackScripts: [], trackInterfaces: [], trackFiles: [] }, null, {
      scriptStatus: () => undefined,
      linkUp: (n) => n === 'eth0',
      fileValue: () => 0,
    });
    expect(items.map((i) => [i.name, (i as { up: boolean }).up])).toEqual([
      ['eth0', true],
      ['ipv1', false],
    ]);
    expect(vmacSpecs(config)).toEqual([
      {
        instance: 'VI_1',
        ifname: 'ipv1',
        base: 'eth0',
        mac: '',
        family: 'inet',
        ipv6: false,
        ipvlan: { flags: 1, address: '10.1.1.1', prefixLength: 24 },
      },
    ]);
  });

  it('puts a VIP on the ipvlan when its dev names it', () => {
    const { config, diagnostics, lines } = build(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  use_ipvlan ipv1 10.1.1.1/24
  virtual_ipaddress {
    192.0.2.10/24 dev ipv1
    192.0.2.11/24
  }
}
`);
    expect(summary(diagnostics)).toEqual([]);
    expect(config.vrrpInstances[0]!.vips.map((v) => v.dev)).toEqual(['ipv1', 'eth0']);
    // keepalived -t: the ipvlan is made at start, so until then the dev does not exist (exit 5).
    const host = (interfaces: string[]): string[] => {
      const sink = new DiagnosticList();
      checkHost(
        config,
        { interfaces: new Set(interfaces), scriptStatus: () => 'ok', userExists: () => true },
        sink,
        lines,
      );
      return summary(sink.items);
    };
    expect(host(['lo', 'eth0'])).toEqual([
      "6 error WARNING - interface ipv1 for ip address 192.0.2.10 doesn't exist",
      '- error Non-existent interface specified in configuration',
    ]);
    expect(host(['lo', 'eth0', 'ipv1'])).toEqual([]);
  });

  it("reads keepalived 2.3.0's words: `name NAME` and `group G` (the interface group)", () => {
    const { config, diagnostics } = build(
      instance('VI_1', '  use_ipvlan name private 10.1.1.1 group 9 vepa') +
        instance('VI_2', '  use_ipvlan 10.1.1.2 group ops', 52),
    );
    // `name` makes the next word the name, even one that is a type.
    expect(config.vrrpInstances[0]!.vmac).toMatchObject({ ifname: 'private', group: 9 });
    expect(config.vrrpInstances[0]!.vmac?.ipvlan?.type).toBe('vepa');
    expect(config.vrrpInstances[1]!.vmac?.group).toBeUndefined();
    expect(summary(diagnostics)).toEqual(['15 error ipvlan group ops not found']);
    expect(vmacSpecs(config)[0]!.group).toBe(9);
  });

  it('defaults to vrrp.VRID, bridge, a host prefix; mcast_src_ip stays the source', () => {
    const { config, diagnostics } = build(
      instance('VI_1', '  use_ipvlan 10.1.1.1\n  mcast_src_ip 192.0.2.1') +
        instance('VI_2', '  use_ipvlan vepa 10.1.1.2', 52),
    );
    expect(summary(diagnostics)).toEqual([]);
    expect(config.vrrpInstances.map((i) => [i.vmac?.ifname, i.vmac?.ipvlan?.type, i.mcastSrcIp])).toEqual([
      ['vrrp.51', 'bridge', '192.0.2.1'],
      ['vrrp.52', 'vepa', '10.1.1.2'],
    ]);
    expect(vmacSpecs(config).map((s) => s.ipvlan)).toEqual([
      { flags: 0, address: '10.1.1.1', prefixLength: 32 },
      { flags: 2, address: '10.1.1.2', prefixLength: 32 },
    ]);
  });

  it("reports keepalived's lines for repeated words and lines, taken and long names, the wrong family, xmit_base", () => {
    const { config, diagnostics } = build(
      instance(
        'VI_1',
        '  use_ipvlan ipv1 bridge private 10.1.1.1/24 10.1.1.2 foo\n  use_ipvlan\n  vmac_xmit_base',
      ) +
        instance('VI_2', '  use_ipvlan ipv1', 52) +
        `vrrp_instance VI_3 {
  interface eth0
  virtual_router_id 53
  virtual_ipaddress {
    192.0.2.12/24
  }
  use_ipvlan 2001:db8::1/64 abcdefghijklmnopq
  unicast_peer {
    192.0.2.99
  }
}
`,
    );
    // keepalived -t printed these (its complete-time lines carry no line number; ours the instance's).
    expect(summary(diagnostics)).toEqual([
      "7 error (VI_1) ipvlan type already specified - ignoring 'private'",
      "7 error (VI_1) ipvlan address already specified - ignoring '10.1.1.2'",
      "7 error (VI_1) IPVLAN interface already specified - ignoring 'foo'",
      '8 error (VI_1) use_ipvlan already specified',
      '9 error (VI_1) vmac_xmit_base is only valid with a vmac',
      '17 error (VI_2) VRRP instance VI_1 is already using ipv1 - ignoring name',
      '11 error (VI_2) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state',
      '25 error (VI_3) ipvlan address[2001:db8::1/64] MUST match vrrp instance family !!! Skipping...',
      "25 error (VI_3) IPVLAN interface name 'abcdefghijklmnopq' too long - ignoring",
      '25 error (VI_3) unicast with use_vmac requires vmac_xmit_base - setting',
      '19 error (VI_3) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state',
      '19 error (VI_3) vmac_xmit_base is only valid with a vmac',
    ]);
    expect(config.vrrpInstances.map((i) => [i.vmac?.ifname, i.vmac?.xmitBase, i.vmac?.ipvlan?.type])).toEqual(
      [
        ['ipv1', false, 'bridge'],
        ['vrrp.52', false, 'bridge'],
        ['vrrp.53', false, 'bridge'],
      ],
    );
  });

  it('an address before any other sets the instance family (IPv6 here)', () => {
    const { config, diagnostics } = build(`vrrp_instance V6 {
  interface eth0
  virtual_router_id 7
  use_ipvlan 2001:db8::5/64
  virtual_ipaddress {
    2001:db8::7/64
  }
}
`);
    expect(summary(diagnostics)).toEqual([]);
    expect(config.vrrpInstances[0]!.vmac?.ipvlan).toEqual({
      type: 'bridge',
      address: '2001:db8::5',
      prefixLength: 64,
      family: 'inet6',
    });
    expect(config.vrrpInstances[0]!.vmac?.ifname).toBe('vrrp.7');
    expect(vmacSpecs(config)[0]).toMatchObject({ family: 'inet6', ipv6: true });
  });

  it('is cleared for unicast without an interface', () => {
    const { config, diagnostics } = build(`vrrp_instance VI_1 {
  virtual_router_id 51
  use_ipvlan 10.1.1.1
  unicast_peer {
    192.0.2.99
  }
  virtual_ipaddress {
    192.0.2.10/24
  }
}
`);
    expect(summary(diagnostics)).toContain(
      '3 error (VI_1): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac',
    );
    expect(config.vrrpInstances[0]!.vmac).toBeNull();
  });
});
