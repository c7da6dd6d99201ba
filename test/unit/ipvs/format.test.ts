/**
 * The `-Ln` renderings against real ipvsadm 1.31 output. The fixtures (test/fixtures/ipvs/ipvsadm-Ln*.txt)
 * were printed by ipvsadm in the VM tier's guest (Debian kernel 6.1) for the table built below with
 * ipvsadm itself; the table is handed to formatTable in a scrambled order, so the sort is checked too
 * (including ipvsadm's signed 32-bit address difference that puts 200.1.1.1 before 10.1.1.1).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatTable, type ListFormat } from '../../../src/ipvs/format.js';
import type { DestinationEntry, ServiceEntry, ServiceIdentity, TunnelSpec } from '../../../src/ipvs/types.js';
import { destinationKey, serviceKey } from '../../../src/ipvs/messages.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/ipvs/${name}`, import.meta.url), 'utf8');

const svc = (
  id: ServiceIdentity,
  scheduler: string,
  flags = 0,
  timeout = 0,
  netmask?: number,
): ServiceEntry => ({
  id,
  scheduler,
  flags,
  timeout,
  netmask: netmask ?? (id.family === 'inet' ? 0xffffffff : 128),
  peName: null,
  stats: null,
});
const dest = (
  address: string,
  port: number,
  forwarding: DestinationEntry['forwarding'],
  over: Partial<DestinationEntry> = {},
): DestinationEntry => ({
  family: address.includes(':') ? 'inet6' : 'inet',
  address,
  port,
  forwarding,
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  tunnel: null,
  activeConns: 0,
  inactiveConns: 0,
  persistConns: 0,
  stats: null,
  ...over,
});
const tun = (type: TunnelSpec['type'], port: number, flags: number): TunnelSpec => ({ type, port, flags });

// ipvsadm -A -f 7 -s sh -b sh-port,sh-fallback; -a ... -i [--tun-type gre --tun-csum | gue 6080 remcsum];
// -A -f 8 -6 -s rr; -A -t 10.10.0.1:80 -s wlc -p 30 (-x 100 -y 10 on its NAT dest); three empty services.
const entries: [ServiceEntry, DestinationEntry[]][] = [
  [
    svc({ kind: 'fwmark', family: 'inet', fwmark: 7 }, 'sh', 0x8 | 0x10),
    [
      dest('2001:db8::20', 0, 'TUN', { weight: 65535, tunnel: tun('ipip', 0, 0) }),
      dest('192.168.50.8', 0, 'TUN', { tunnel: tun('gue', 6080, 2) }),
      dest('192.168.50.6', 0, 'TUN', { tunnel: tun('ipip', 0, 0) }),
      dest('192.168.50.7', 0, 'TUN', { tunnel: tun('gre', 0, 1) }),
    ],
  ],
  [svc({ kind: 'addr', family: 'inet', protocol: 132, address: '10.1.1.1', port: 80 }, 'rr'), []],
  [svc({ kind: 'fwmark', family: 'inet6', fwmark: 8 }, 'rr'), [dest('2001:db8::30', 0, 'DR', { weight: 0 })]],
  [svc({ kind: 'addr', family: 'inet', protocol: 6, address: '10.1.1.1', port: 80 }, 'rr'), []],
  [
    svc({ kind: 'addr', family: 'inet', protocol: 6, address: '10.10.0.1', port: 80 }, 'wlc', 0x1, 30),
    [dest('192.168.50.1', 8080, 'NAT', { upperThreshold: 100, lowerThreshold: 10 })],
  ],
  [svc({ kind: 'addr', family: 'inet', protocol: 6, address: '200.1.1.1', port: 80 }, 'rr'), []],
];

const table = {
  services: new Map(
    entries.map(([s, ds]) => [
      serviceKey(s.id),
      { service: s, destinations: new Map(ds.map((d) => [destinationKey(d), d])) },
    ]),
  ),
};
const info = { version: 0x010201, connTabSize: 4096 };

describe('formatTable against ipvsadm 1.31', () => {
  const cases: [ListFormat, string][] = [
    ['plain', 'ipvsadm-Ln.txt'],
    ['thresholds', 'ipvsadm-Ln-thresholds.txt'],
    ['persistent-conn', 'ipvsadm-Ln-persistent-conn.txt'],
    ['tun-info', 'ipvsadm-Ln-tun-info.txt'],
  ];
  for (const [format, file] of cases) {
    it(`${format} equals ${file}`, () => {
      expect(formatTable(info, table, format)).toBe(fixture(file));
    });
  }
});
