// use_vmac / vmac_xmit_base as keepalived 2.2.7 reads and completes them (vrrp_parser.c
// vrrp_vmac_handler, vrrp_end_handler; vrrp.c vrrp_complete_instance, create_vmac_name).
import { describe, expect, it } from 'vitest';
import { freeName, parseVmacMac, validInterfaceName, vrrpMac } from '../../../src/config/vmac.js';
import { build, summary } from './schema-helpers.js';
import { checkHost } from '../../../src/config/semantic.js';
import { DiagnosticList } from '../../../src/config/keywords/types.js';

const instance = (name: string, body: string, vrid = 51, iface = 'eth0'): string => `vrrp_instance ${name} {
  interface ${iface}
  virtual_router_id ${vrid}
  virtual_ipaddress {
    192.0.2.10/24
  }
${body}
}
`;

describe('use_vmac', () => {
  it('defaults to vrrp.VRID with the RFC 5798 MAC, and moves the VIPs onto it', () => {
    const { config, diagnostics } = build(
      `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  use_vmac
  virtual_ipaddress {
    192.0.2.10/24
    192.0.2.11/24 dev eth0
    192.0.2.12/24 dev eth1
  }
  virtual_ipaddress_excluded {
    198.51.100.1/24
    2001:db8::1/64
  }
}
`,
    );
    expect(summary(diagnostics)).toEqual([]);
    const vi = config.vrrpInstances[0]!;
    expect(vi.vmac).toEqual({ ifname: 'vrrp.51', mac: '00:00:5e:00:01:33', xmitBase: false });
    expect(vi.interface).toBe('eth0');
    expect(vi.vips.map((v) => v.dev)).toEqual(['vrrp.51', 'vrrp.51', 'eth1']);
    // An eVIP of the other family stays on the base interface (vrrp.c).
    expect(vi.excludedVips.map((v) => v.dev)).toEqual(['vrrp.51', 'eth0']);
  });

  it('takes a name and a MAC in either order; five octets leave the sixth to the VRID', () => {
    const a = build(instance('VI_1', '  use_vmac vmac1 02:11:22:33:44:55'));
    expect(summary(a.diagnostics)).toEqual([]);
    expect(a.config.vrrpInstances[0]!.vmac).toEqual({
      ifname: 'vmac1',
      mac: '02:11:22:33:44:55',
      xmitBase: false,
    });
    const b = build(instance('VI_1', '  use_vmac 2:a:b:c:d vm2', 20));
    expect(summary(b.diagnostics)).toEqual([]);
    expect(b.config.vrrpInstances[0]!.vmac).toMatchObject({ ifname: 'vm2', mac: '02:0a:0b:0c:0d:14' });
  });

  it('uses 00:00:5e:00:02:VRID for an IPv6 instance', () => {
    const { config } = build(`vrrp_instance V6 {
  interface eth0
  virtual_router_id 7
  use_vmac
  virtual_ipaddress {
    2001:db8::7/64
  }
}
`);
    expect(config.vrrpInstances[0]!.vmac).toMatchObject({ ifname: 'vrrp.7', mac: '00:00:5e:00:02:07' });
  });

  it("reports bad words with keepalived's lines and keeps the defaults", () => {
    const { config, diagnostics } = build(instance('VI_1', '  use_vmac bad/name 00:00:5e:00:01:05'));
    expect(summary(diagnostics)).toEqual([
      "7 error VMAC interface name 'bad/name' too long or invalid characters - ignoring",
      '7 error VMAC MAC address not allowed to be RFC5798 address (00:00:5e:00:01:05) - ignoring',
    ]);
    expect(config.vrrpInstances[0]!.vmac).toEqual({
      ifname: 'vrrp.51',
      mac: '00:00:5e:00:01:33',
      xmitBase: false,
    });
    const more = build(instance('VI_1', '  use_vmac 01:00:00:00:00:01 12:zz'));
    expect(summary(more.diagnostics)).toEqual([
      '7 error VMAC MAC address is multicast 01:00:00:00:00:01 - ignoring',
      '7 error VMAC invalid MAC address 12:zz',
    ]);
    const dup = build(instance('VI_1', '  use_vmac a b'));
    expect(summary(dup.diagnostics)).toEqual(['7 error VMAC interface name already specified']);
    expect(dup.config.vrrpInstances[0]!.vmac?.ifname).toBe('a');
    const long = build(instance('VI_1', '  use_vmac abcdefghijklmnop'));
    expect(summary(long.diagnostics)).toEqual([
      "7 error VMAC interface name 'abcdefghijklmnop' too long or invalid characters - ignoring",
    ]);
  });

  it('gives a second instance with the same VRID the next free name, and refuses a taken name', () => {
    const { config, diagnostics } = build(
      instance('VI_1', '  use_vmac', 51, 'eth0') +
        instance('VI_2', '  use_vmac', 51, 'eth1') +
        instance('VI_3', '  use_vmac vrrp.51', 52, 'eth2'),
    );
    expect(summary(diagnostics)).toEqual([
      '23 error (VI_3) VRRP instance VI_1 is already using vrrp.51 - ignoring name',
    ]);
    expect(config.vrrpInstances.map((i) => i.vmac?.ifname)).toEqual(['vrrp.51', 'vrrp1.51', 'vrrp.52']);
  });
});

describe('use_vmac words of keepalived 2.3.0: name, group, netlink_notify_msg', () => {
  it('skips `name`, reads `group` into the VMAC, says netlink_notify_msg is not acted on', () => {
    const named = build(instance('VI_1', '  use_vmac name vm1 group 7'));
    expect(summary(named.diagnostics)).toEqual([]);
    expect(named.config.vrrpInstances[0]!.vmac).toEqual({
      ifname: 'vm1',
      mac: '00:00:5e:00:01:33',
      xmitBase: false,
      group: 7,
    });
    const both = build(
      instance('VI_1', '  use_vmac 02:11:22:33:44 netlink_notify_msg group default name vm2'),
    );
    expect(both.config.vrrpInstances[0]!.vmac).toMatchObject({
      ifname: 'vm2',
      mac: '02:11:22:33:44:33',
      group: 0,
    });
    expect(summary(both.diagnostics)).toEqual([
      "7 warning 'use_vmac netlink_notify_msg' is read but not acted on by keepalived-ts: no netlink message is forced for the base interface.",
    ]);
    const bad = build(instance('VI_1', '  use_vmac group ops'));
    expect(summary(bad.diagnostics)).toEqual(['7 error VMAC group ops not found']);
    expect(bad.config.vrrpInstances[0]!.vmac).toEqual({
      ifname: 'vrrp.51',
      mac: '00:00:5e:00:01:33',
      xmitBase: false,
    });
  });
});

describe('vmac_xmit_base', () => {
  it('is kept with use_vmac and refused without it', () => {
    const a = build(instance('VI_1', '  use_vmac\n  vmac_xmit_base'));
    expect(summary(a.diagnostics)).toEqual([]);
    expect(a.config.vrrpInstances[0]!.vmac?.xmitBase).toBe(true);
    const b = build(instance('VI_1', '  vmac_xmit_base'));
    expect(summary(b.diagnostics)).toEqual(['7 error (VI_1) vmac_xmit_base is only valid with a vmac']);
    expect(b.config.vrrpInstances[0]!.vmac).toBeNull();
  });

  it('is set for unicast and cleared in strict mode', () => {
    const u = build(instance('VI_1', '  use_vmac\n  unicast_peer {\n    192.0.2.2\n  }'));
    expect(summary(u.diagnostics)).toEqual([
      '7 error (VI_1) unicast with use_vmac requires vmac_xmit_base - setting',
    ]);
    expect(u.config.vrrpInstances[0]!.vmac?.xmitBase).toBe(true);
    const s = build(instance('VI_1', '  use_vmac 02:00:00:00:00:01\n  vmac_xmit_base\n  strict_mode on'));
    expect(summary(s.diagnostics)).toEqual([
      '7 error (VI_1): cannot specify MAC address with strict mode - clearing',
      '7 error (VI_1) xmit_base is incompatible with strict mode - resetting',
    ]);
    expect(s.config.vrrpInstances[0]!.vmac).toEqual({
      ifname: 'vrrp.51',
      mac: '00:00:5e:00:01:33',
      xmitBase: false,
    });
  });

  it('is cleared with use_vmac for unicast without an interface', () => {
    const { config, diagnostics } = build(`vrrp_instance VI_1 {
  virtual_router_id 9
  use_vmac
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
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

describe('VMAC helpers', () => {
  it('reads MACs as vrrp_vmac_handler does', () => {
    expect(parseVmacMac('2:a:b:c:d:e')).toEqual({ octets: [2, 10, 11, 12, 13, 14], usesVrid: false });
    expect(parseVmacMac('02:11:22:33:44:')).toEqual({
      octets: [2, 0x11, 0x22, 0x33, 0x44, 0],
      usesVrid: true,
    });
    expect(parseVmacMac('02:11:22:33:44:55:')).toEqual({
      octets: [2, 0x11, 0x22, 0x33, 0x44, 0x55],
      usesVrid: false,
    });
    expect(parseVmacMac('02:11:22:33')).toBeNull();
    expect(parseVmacMac('02:111:22:33:44:55')).toBeNull();
    expect(parseVmacMac('02::22:33:44:55')).toBeNull();
    expect(vrrpMac(255, 'inet')).toBe('00:00:5e:00:01:ff');
    expect(validInterfaceName('vrrp.255')).toBe(true);
    expect(validInterfaceName('..')).toBe(false);
    expect(validInterfaceName('a b')).toBe(false);
    expect(validInterfaceName('abcdefghijklmno')).toBe(true);
  });
});

describe('use_vmac_addr and the VIP use_vmac word', () => {
  it('gives VIPs on other interfaces VMACs of their own, one an interface, named as keepalived 2.2.7 named them', () => {
    // keepalived 2.2.7 made vrrp.51 on eth0, vrrp1.51 on eth1 (both eth1 VIPs) and vrrp2.51 on eth0p.
    const { config, diagnostics } = build(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  use_vmac
  use_vmac_addr
  virtual_ipaddress {
    10.231.14.100/24
    10.231.15.100/24 dev eth1
    10.231.15.101/24 dev eth1
  }
  virtual_ipaddress_excluded {
    10.231.14.200/24 dev eth0p use_vmac
  }
}
`);
    expect(summary(diagnostics)).toEqual([
      '12 error (VI_1) use_vmac_addr specified and use_vmac specified for VIP/eVIP 10.231.14.200/24',
    ]);
    const vi = config.vrrpInstances[0]!;
    expect(vi.useVmacAddr).toBe(true);
    expect(vi.vips.map((v) => v.dev)).toEqual(['vrrp.51', 'vrrp1.51', 'vrrp1.51']);
    expect(vi.excludedVips.map((v) => v.dev)).toEqual(['vrrp2.51']);
    expect(vi.vipVmacs).toEqual([
      { ifname: 'vrrp1.51', base: 'eth1', mac: '00:00:5e:00:01:33', family: 'inet' },
      { ifname: 'vrrp2.51', base: 'eth0p', mac: '00:00:5e:00:01:33', family: 'inet' },
    ]);
  });

  it('the use_vmac word alone puts that VIP on a VMAC; with use_vmac on the instance it is reported', () => {
    const alone = build(
      instance('VI_1', '').replace('192.0.2.10/24', '192.0.2.10/24 use_vmac\n    192.0.2.11/24'),
    );
    expect(summary(alone.diagnostics)).toEqual([]);
    const vi = alone.config.vrrpInstances[0]!;
    expect(vi.vmac).toBeNull();
    expect(vi.vips.map((v) => v.dev)).toEqual(['vrrp.51', 'eth0']);
    expect(vi.vipVmacs).toEqual([
      { ifname: 'vrrp.51', base: 'eth0', mac: '00:00:5e:00:01:33', family: 'inet' },
    ]);
    const both = build(instance('VI_1', '  use_vmac').replace('192.0.2.10/24', '192.0.2.10 use_vmac'));
    expect(summary(both.diagnostics)).toEqual([
      '5 error (VI_1) use_vmac specified for VIP/eVIP 192.0.2.10 and vrrp instance',
    ]);
    expect(both.config.vrrpInstances[0]!.vips[0]!.dev).toBe('vrrp.51');
    expect(both.config.vrrpInstances[0]!.vipVmacs).toEqual([]);
  });

  it('an eVIP of the other family gets a VMAC with the IPv6 MAC on the base interface, named vrrp6.VRID after vrrp.VRID', () => {
    const { config } = build(
      instance(
        'VI_1',
        '  use_vmac\n  use_vmac_addr\n  virtual_ipaddress_excluded {\n    2001:db8::5/64\n  }',
      ),
    );
    const vi = config.vrrpInstances[0]!;
    expect(vi.excludedVips[0]!.dev).toBe('vrrp6.51');
    expect(vi.vipVmacs).toEqual([
      { ifname: 'vrrp6.51', base: 'eth0', mac: '00:00:5e:00:02:33', family: 'inet6' },
    ]);
  });
});

describe('vmac_prefix and vmac_addr_prefix', () => {
  it('name the default VMACs; the first one stays, a second is reported', () => {
    const { config, diagnostics } = build(
      'global_defs {\n  vmac_prefix vm\n  vmac_prefix other\n  vmac_addr_prefix va\n}\n' +
        instance('VI_1', '  use_vmac\n  use_vmac_addr').replace(
          '192.0.2.10/24',
          '192.0.2.10/24\n    192.0.3.10/24 dev eth1',
        ),
    );
    expect(summary(diagnostics)).toEqual(['3 error vmac prefix has already been specified - ignoring other']);
    expect(config.globalDefs.vmacPrefix).toBe('vm');
    const vi = config.vrrpInstances[0]!;
    expect(vi.vmac?.ifname).toBe('vm.51');
    expect(vi.vipVmacs.map((x) => x.ifname)).toEqual(['va.51']);
  });

  it('cuts a long prefix so that the name fits IFNAMSIZ, as create_vmac_name does', () => {
    expect(freeName(255, 'inet', new Map(), 'abcdefghijklmnop')).toBe('abcdefghijk.255');
    expect(freeName(7, 'inet', new Map([['abcdefghijklm.7', 'VI_1']]), 'abcdefghijklmnop')).toBe(
      'abcdefghijkl1.7',
    );
  });
});

describe('host check with VMACs (semantic.ts checkHost)', () => {
  const check = (text: string): string[] => {
    const sink = new DiagnosticList();
    const built = build(text);
    checkHost(
      built.config,
      { interfaces: new Set(['lo', 'eth0']), scriptStatus: () => 'ok', userExists: () => true },
      sink,
      built.lines,
    );
    return summary(sink.items);
  };
  it('does not ask for the VMACs to exist, but for the interface of a use_vmac_addr VIP', () => {
    expect(check(instance('VI_1', '  use_vmac'))).toEqual([]);
    expect(
      check(
        instance('VI_1', '  use_vmac\n  use_vmac_addr').replace(
          '192.0.2.10/24',
          '192.0.2.10/24\n    192.0.3.10/24 dev eth9',
        ),
      ),
    ).toEqual([
      "6 error WARNING - interface eth9 for ip address 192.0.3.10 doesn't exist",
      '- error Non-existent interface specified in configuration',
    ]);
  });
});
