// advert_int per VRRP version: the value kept and the lines, as keepalived 2.2.7 says them.
// Expected lines recorded from `keepalived -t` (2.2.7) in a namespace with eth0, for an
// instance with `version 3` (or 2) and `advert_int <value>`.
import { describe, expect, it } from 'vitest';
import { advertIntCentiseconds, normaliseAdvertInt } from '../../../src/config/advert-int.js';
import { build, summary } from './schema-helpers.js';

const INSTANCE = (version: number, value: string) => `vrrp_instance VI_1 {
  version ${version}
  interface eth0
  virtual_router_id 51
  advert_int ${value}
  virtual_ipaddress {
    10.9.9.9/32
  }
}
`;

describe('advert_int (vrrp_parser.c vrrp_adv_handler, vrrp.c vrrp_complete_instance)', () => {
  it.each([
    // version, text, seconds kept, keepalived's lines (line 5 is advert_int)
    [3, '0.01', 0.01, []],
    [3, '0.5', 0.5, []],
    [3, '1.5', 1.5, []],
    [3, '40.95', 40.95, []],
    [
      3,
      '0.015',
      0.02,
      ['5 error (VI_1) VRRPv3 advertisement interval 0.015000s must be in units of 10ms - rounding'],
    ],
    [
      3,
      '0.0149',
      0.01,
      ['5 error (VI_1) VRRPv3 advertisement interval 0.014900s must be in units of 10ms - rounding'],
    ],
    [
      3,
      '0.025',
      0.03,
      ['5 error (VI_1) VRRPv3 advertisement interval 0.025000s must be in units of 10ms - rounding'],
    ],
    [
      3,
      '1.234567',
      1.23,
      ['5 error (VI_1) VRRPv3 advertisement interval 1.234567s must be in units of 10ms - rounding'],
    ],
    [
      3,
      '40.951',
      40.95,
      ['5 error (VI_1) VRRPv3 advertisement interval 40.951000s must be in units of 10ms - rounding'],
    ],
    // keepalived rounds this one up to 40.96 s (sent as 0); kept at 40.95 s here.
    [
      3,
      '40.955',
      40.95,
      ['5 error (VI_1) VRRPv3 advertisement interval 40.955000s must be in units of 10ms - rounding'],
    ],
    [
      3,
      '40.96',
      40.95,
      [
        '5 error (VI_1) VRRPv3 advertisement interval 40.96s is out of range. Must be less than 40.96s. Setting to 40.95s',
      ],
    ],
    [
      3,
      '41',
      40.95,
      [
        '5 error (VI_1) VRRPv3 advertisement interval 41.00s is out of range. Must be less than 40.96s. Setting to 40.95s',
      ],
    ],
    [
      3,
      '255',
      40.95,
      [
        '5 error (VI_1) VRRPv3 advertisement interval 255.00s is out of range. Must be less than 40.96s. Setting to 40.95s',
      ],
    ],
    [
      3,
      '0.001',
      1,
      [
        "5 error number '0.001' outside range [0.010000, 255.000000]",
        '5 error (VI_1) Advert interval (0.001) not valid! Must be > 0 - ignoring',
      ],
    ],
    [
      3,
      '0',
      1,
      [
        "5 error number '0' outside range [0.010000, 255.000000]",
        '5 error (VI_1) Advert interval (0) not valid! Must be > 0 - ignoring',
      ],
    ],
    [
      2,
      '256',
      1,
      [
        "5 error number '256' outside range [0.010000, 255.000000]",
        '5 error (VI_1) Advert interval (256) not valid! Must be > 0 - ignoring',
      ],
    ],
    [2, '0.01', 1, ['5 error (VI_1) VRRPv2 advertisement interval 0.010000s must be an integer. rounding']],
    [2, '1.5', 2, ['5 error (VI_1) VRRPv2 advertisement interval 1.500000s must be an integer. rounding']],
    [2, '255', 255, []],
  ] as const)('version %i, advert_int %s: %f s', (version, text, seconds, lines) => {
    const { config, diagnostics } = build(INSTANCE(version, text));
    expect(summary(diagnostics)).toEqual(lines);
    expect(config.vrrpInstances[0]!.advertInt).toBe(seconds);
    expect(config.vrrpInstances[0]!.version).toBe(version);
  });

  it('an IPv6 instance is VRRPv3 and keeps centiseconds', () => {
    const { config, diagnostics } = build(`vrrp_instance VI_6 {
  interface eth0
  virtual_router_id 54
  advert_int 0.05
  virtual_ipaddress {
    2001:db8::100/64
  }
}
`);
    expect(summary(diagnostics)).toEqual([]);
    expect(config.vrrpInstances[0]).toMatchObject({ version: 3, advertInt: 0.05 });
  });

  it('the helper: centiseconds of every v3 value are whole, 1..4095', () => {
    for (let cs = 1; cs <= 4095; cs++) {
      const r = normaliseAdvertInt('VI_1', cs / 100, 3);
      expect(r.lines).toEqual([]);
      expect(advertIntCentiseconds(r.seconds)).toBe(cs);
    }
    expect(normaliseAdvertInt('VI_1', 256, 2)).toEqual({
      seconds: 255,
      lines: [
        '(VI_1) VRRPv2 advertisement interval 256.00s is out of range. Must be less than 256s. Setting to 255s',
      ],
    });
  });
});

describe('version (vrrp_parser.c vrrp_version_handler)', () => {
  it('out of range: the reader line and the handler line, and the global vrrp_version applies', () => {
    const { config, diagnostics } = build(
      `global_defs {\n  vrrp_version 3\n}\n` +
        INSTANCE(4, '1').replace('virtual_router_id 51', 'virtual_router_id 53'),
    );
    expect(summary(diagnostics)).toEqual([
      "5 error number '4' outside range [2, 3]",
      '5 error (VI_1): Version must be either 2 or 3',
    ]);
    expect(config.vrrpInstances[0]!.version).toBe(3);
  });
});

describe('version against the family (vrrp_version_handler, vrrp_complete_instance)', () => {
  const instance = (name: string, vrid: number, body: string) =>
    `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n${body}\n}\n`;
  const v6 = '  virtual_ipaddress {\n    2001:db8::1/64\n  }';
  const v4 = '  virtual_ipaddress {\n    10.9.9.8/32\n  }';

  it.each([
    // Lines and versions recorded from keepalived 2.2.7 -t (and its dump) on the same instances.
    [
      'version 2 after an IPv6 VIP is refused: VRRPv3',
      v6 + '\n  version 2',
      3,
      ['7 error (VI_1) vrrp_version 2 conflicts with configured or deduced version 0; ignoring.'],
    ],
    [
      'a second, different version is refused: the first stands',
      '  version 3\n  version 2\n' + v4,
      3,
      ['5 error (VI_1) vrrp_version 2 conflicts with configured or deduced version 3; ignoring.'],
    ],
    ['the same version twice is no conflict', '  version 3\n  version 3\n' + v4, 3, []],
    ['version 2 before IPv6 VIPs stays VRRPv2 (not strict)', '  version 2\n' + v6, 2, []],
    ['IPv6 VIPs and no version: VRRPv3', v6, 3, []],
  ] as const)('%s', (_what, body, version, lines) => {
    const { config, diagnostics } = build(instance('VI_1', 51, body));
    expect(summary(diagnostics)).toEqual(lines);
    expect(config.vrrpInstances[0]!.version).toBe(version);
  });

  it('strict mode makes an IPv6 instance with version 2 VRRPv3, with a line', () => {
    const { config, diagnostics } = build(instance('VI_1', 51, '  strict_mode\n  version 2\n' + v6));
    expect(summary(diagnostics)).toContain(
      '1 error (VI_1) cannot use IPv6 with VRRP version 2; setting version 3',
    );
    expect(config.vrrpInstances[0]!.version).toBe(3);
  });
});

describe('native_ipv6 (vrrp_parser.c vrrp_native_ipv6_handler)', () => {
  const instance = (body: string) =>
    `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n${body}\n}\n`;

  it.each([
    // Lines recorded from keepalived 2.2.7 -t on the same instances.
    [
      'before IPv4 VIPs: the VIPs are refused and the instance with them',
      '  native_ipv6\n  virtual_ipaddress {\n    10.9.9.9/32\n  }',
      null,
      [
        '6 error (VI_1): address family must match VRRP instance [10.9.9.9/32] - ignoring',
        '1 error (VI_1) No VIP specified; at least one is required',
      ],
    ],
    [
      'after IPv4 VIPs: refused, the instance stays IPv4',
      '  virtual_ipaddress {\n    10.9.9.8/32\n  }\n  native_ipv6',
      2,
      ['7 error (VI_1) Cannot specify native_ipv6 with IPv4 addresses'],
    ],
    [
      'after version 2: VRRPv3',
      '  version 2\n  native_ipv6\n  virtual_ipaddress {\n    fe80::53/64\n  }',
      3,
      [],
    ],
    [
      'before version 2: the version line is refused',
      '  native_ipv6\n  version 2\n  virtual_ipaddress {\n    fe80::54/64\n  }',
      3,
      ['5 error (VI_1) vrrp_version 2 conflicts with configured or deduced version 3; ignoring.'],
    ],
  ] as const)('%s', (_what, body, version, lines) => {
    const { config, diagnostics } = build(instance(body));
    expect(summary(diagnostics)).toEqual(lines);
    if (version === null) expect(config.vrrpInstances).toEqual([]);
    else expect(config.vrrpInstances[0]!.version).toBe(version);
  });
});
