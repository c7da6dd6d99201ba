import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkProperty } from '../../support/property.js';
import type { DesiredService } from '../../../src/contracts/ipvs-table.js';
import { granularityToNetmask, toKernelTable } from '../../../src/ipvs/desired.js';
import { canonicalIpv4Value } from '../../../src/ipvs/messages.js';
import { parseAddress } from '../../../src/util/ip.js';

const noFlags = {
  onePacket: false,
  shPort: false,
  shFallback: false,
  mhPort: false,
  mhFallback: false,
  sched1: false,
  sched2: false,
  sched3: false,
};
const vs = (over: Partial<DesiredService>): DesiredService => ({
  key: 'vs1',
  family: 'inet',
  protocol: 'TCP',
  address: '10.0.0.1',
  port: 80,
  fwmark: null,
  scheduler: 'wlc',
  persistenceTimeout: 0,
  persistenceGranularity: null,
  flags: noFlags,
  destinations: [],
  ...over,
});

describe('desired table -> kernel terms', () => {
  it('maps persistence, granularity and scheduler flags as keepalived does', () => {
    const { table, problems } = toKernelTable({
      services: [
        vs({
          persistenceTimeout: 300,
          persistenceGranularity: '255.255.255.0',
          scheduler: 'sh',
          flags: { ...noFlags, shPort: true, shFallback: true, onePacket: true },
        }),
        vs({
          key: 'v6',
          family: 'inet6',
          address: '2001:DB8::1',
          persistenceTimeout: 60,
          persistenceGranularity: '/64',
        }),
        vs({ key: 'np', port: 81, persistenceGranularity: '255.255.0.0' }),
      ],
    });
    expect(problems).toEqual([]);
    const specs = [...table.services.values()].map((s) => s.service);
    expect(specs[0]).toMatchObject({ flags: 0x1 | 0x4 | 0x8 | 0x10, timeout: 300, netmask: 0xffffff00 });
    expect(specs[1]).toMatchObject({ id: { address: '2001:db8::1' }, flags: 1, timeout: 60, netmask: 64 });
    // Granularity only counts with persistence.
    expect(specs[2]).toMatchObject({ flags: 0, timeout: 0, netmask: 0xffffffff });
  });

  it('gives non-NAT destinations the service port (0 for fwmark) and fills tunnel defaults', () => {
    const d = {
      key: 'rs',
      address: '192.168.0.1',
      family: 'inet' as const,
      port: 8080,
      weight: 1,
      tunnel: null,
      uthreshold: 0,
      lthreshold: 0,
    };
    const { table } = toKernelTable({
      services: [
        vs({
          destinations: [
            { ...d, forwardingMethod: 'DR' },
            { ...d, key: '192.168.0.2|8080', address: '192.168.0.2', forwardingMethod: 'NAT' },
            {
              ...d,
              key: '192.168.0.3|8080',
              address: '192.168.0.3',
              forwardingMethod: 'TUN',
              tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' },
            },
          ],
        }),
        vs({
          key: 'fw',
          protocol: null,
          address: null,
          port: null,
          fwmark: 7,
          destinations: [{ ...d, forwardingMethod: 'TUN' }],
        }),
      ],
    });
    const [a, b] = [...table.services.values()];
    expect([...a!.destinations.values()].map((x) => [x.port, x.tunnel])).toEqual([
      [80, null],
      [8080, null],
      [80, { type: 'gue', port: 6080, flags: 2 }],
    ]);
    expect([...b!.destinations.values()].map((x) => [x.port, x.tunnel])).toEqual([
      [0, { type: 'ipip', port: 0, flags: 0 }],
    ]);
  });

  it('reports bad entries instead of throwing', () => {
    const { table, problems } = toKernelTable({
      services: [
        vs({ address: 'nope' }),
        vs({ key: 'dup' }),
        vs({ key: 'dup2' }),
        vs({ key: 'g', persistenceTimeout: 5, persistenceGranularity: '1.2.3' }),
      ],
    });
    expect(table.services.size).toBe(1);
    expect(problems).toHaveLength(3);
  });

  it('parses granularities', () => {
    expect(granularityToNetmask('24', 'inet')).toBe(0xffffff00);
    expect(granularityToNetmask('0', 'inet')).toBe(0);
    expect(granularityToNetmask('129', 'inet6')).toBeNull();
    expect(granularityToNetmask(null, 'inet6')).toBe(128);
  });
});

describe('canonicalIpv4Value (fast path beside parseAddress)', () => {
  it('reads canonical dotted quads and refuses everything else', () => {
    expect(canonicalIpv4Value('10.0.0.1')).toBe(0x0a000001);
    expect(canonicalIpv4Value('255.255.255.255')).toBe(0xffffffff);
    expect(canonicalIpv4Value('0.0.0.0')).toBe(0);
    for (const bad of [
      '010.0.0.1',
      '10.0.0',
      '10.0.0.1.2',
      '256.0.0.1',
      '10..0.1',
      ' 10.0.0.1',
      '1.2.3.4/32',
      '::1',
      '',
    ])
      expect(canonicalIpv4Value(bad), bad).toBe(-1);
  });

  it('agrees with parseAddress on any octets and on any text it accepts', () => {
    checkProperty(
      'ipv4-canonical-octets',
      [fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 })],
      (o) => {
        const text = o.join('.');
        expect(canonicalIpv4Value(text)).toBe(((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0);
        expect(parseAddress(text)?.address).toBe(text);
      },
    );
    checkProperty('ipv4-canonical-text', [fc.stringMatching(/^[0-9.]{0,16}$/)], (text) => {
      if (canonicalIpv4Value(text) >= 0) expect(parseAddress(text)?.address).toBe(text);
    });
  });
});
