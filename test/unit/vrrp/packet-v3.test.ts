import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GOLDEN_ADVERTS_V3, type GoldenAdvertV3 } from '../../fixtures/vrrp/golden-v3.js';
import { internetChecksum } from '../../../src/util/checksum.js';
import {
  decodeMessageV3,
  decodePacketV3,
  encodeAdvertV3,
  encodeIpPacketV3,
  v3Checksum,
  VRRP_MULTICAST_GROUP_V6,
  type AdvertV3,
  type ReceivedV3Packet,
} from '../../../src/vrrp/packet-v3.js';
import { VRRP_MULTICAST_GROUP_V4 } from '../../../src/vrrp/packet.js';
import { checkProperty } from '../../support/property.js';
import { tierDescribe } from '../../support/tier.js';
import { ipPacketOf, readPcap, writeRawIpPcap } from './pcap.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/vrrp');
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function advertOf(g: GoldenAdvertV3): AdvertV3 {
  return {
    version: 3,
    type: 1,
    vrid: g.expect.vrid,
    priority: g.expect.priority,
    maxAdvertIntCs: g.expect.maxAdvertIntCs,
    reserved: 0,
    addresses: g.expect.addresses,
  };
}

function decoded(bytes: Uint8Array, family: 'inet' | 'inet6'): ReceivedV3Packet {
  const r = decodePacketV3(bytes, family);
  if (!r.ok) throw new Error(`does not decode: ${r.error.reason}`);
  return r.value;
}

describe('golden VRRPv3 adverts from keepalived 2.2.7', () => {
  for (const g of GOLDEN_ADVERTS_V3) {
    describe(g.name, () => {
      const v4 = g.family === 'inet';
      const headerLength = v4 ? 20 : 40;

      it('the fixture hex is the packet in the capture', () => {
        const pcap = readPcap(readFileSync(join(FIXTURES, g.pcap)));
        const frame = pcap.frames[g.frame - 1];
        expect(frame).toBeDefined();
        expect(ipPacketOf(pcap, frame!).toString('hex')).toBe(g.ipHex);
      });

      it('decodes field by field', () => {
        const p = decoded(hex(g.ipHex), g.family);
        expect(p.family).toBe(g.family);
        expect(p.source).toBe(g.expect.source);
        expect(p.destination).toBe(g.expect.destination);
        expect(p.ttl).toBe(255);
        expect(p.headerLength).toBe(headerLength);
        expect(p.bufferLength).toBe(g.ipHex.length / 2);
        expect(p.statedLength).toBe(g.ipHex.length / 2);
        expect(p.vrrpLength).toBe(8 + (v4 ? 4 : 16) * g.expect.addresses.length);
        expect(p.advert).toEqual(advertOf(g));
        expect(p.addressCount).toBe(g.expect.addresses.length);
        expect(p.checksum).toBe(g.expect.checksum);
        expect(p.checksumValid).toBe(true);
        // The RFC checksum is not the message-only one (so the two are told apart).
        expect(p.checksumValidAsV2).toBe(false);
        if (v4) expect(p.ip).toMatchObject({ id: g.expect.ipId, tos: 0xc0, protocol: 112 });
        else
          expect(p.ip).toMatchObject({
            trafficClass: 0xc0,
            flowLabel: g.expect.flowLabel,
            nextHeader: 112,
            hopLimit: 255,
            payloadLength: p.vrrpLength,
          });
      });

      it('our checksum equals theirs', () => {
        const message = hex(g.ipHex).subarray(headerLength);
        expect(
          v3Checksum(message, {
            family: g.family,
            source: g.expect.source,
            destination: g.expect.destination,
          }),
        ).toBe(g.expect.checksum);
      });

      it('encodes to the same bytes (VRRP message and whole IP packet)', () => {
        const message = encodeAdvertV3(advertOf(g), {
          family: g.family,
          source: g.expect.source,
          destination: g.expect.destination,
        });
        expect(message.ok && message.value.toString('hex')).toBe(g.ipHex.slice(2 * headerLength));
        const packet = encodeIpPacketV3(
          {
            family: g.family,
            source: g.expect.source,
            destination: v4 ? VRRP_MULTICAST_GROUP_V4 : VRRP_MULTICAST_GROUP_V6,
            id: g.expect.ipId,
            flowLabel: g.expect.flowLabel,
          },
          advertOf(g),
        );
        expect(packet.ok && packet.value.toString('hex')).toBe(g.ipHex);
      });

      if (!v4) {
        it('decodes the raw-socket payload (no IPv6 header) with the addresses from ancillary data', () => {
          const r = decodeMessageV3(hex(g.ipHex).subarray(40), {
            family: 'inet6',
            source: g.expect.source,
            destination: g.expect.destination,
            ttl: 255,
          });
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.value.advert).toEqual(advertOf(g));
          expect(r.value.checksumValid).toBe(true);
          expect(r.value.headerLength).toBe(0);
          expect(r.value.ip).toBeNull();
        });
      }
    });
  }
});

describe('v3_checksum_as_v2 (keepalived 2.2.8 vrrp.c vrrp_build_vrrp_v3)', () => {
  it('IPv4: the checksum over the message alone, as VRRPv2 computes it', () => {
    const g = GOLDEN_ADVERTS_V3[0]!;
    const r = encodeIpPacketV3(
      { family: 'inet', source: g.expect.source, destination: g.expect.destination, checksum: 'as-v2' },
      advertOf(g),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const message = Buffer.from(r.value.subarray(20));
    expect(internetChecksum(message)).toBe(0);
    const sum = message.readUInt16BE(6);
    expect(sum).not.toBe(g.expect.checksum);
    message.writeUInt16BE(0, 6);
    expect(sum).toBe(internetChecksum(message));
    const p = decoded(r.value, 'inet');
    expect(p.checksumValidAsV2).toBe(true);
    expect(p.checksumValid).toBe(false);
  });

  it('IPv6 ignores the mode (always the pseudo-header)', () => {
    const g = GOLDEN_ADVERTS_V3[4]!;
    const ctx = { family: 'inet6', source: g.expect.source, destination: g.expect.destination } as const;
    const message = hex(g.ipHex).subarray(40);
    expect(v3Checksum(message, { ...ctx, mode: 'as-v2' })).toBe(g.expect.checksum);
  });
});

describe('codec details', () => {
  it('the pseudo-header destination matters: a unicast advert has another checksum', () => {
    const g = GOLDEN_ADVERTS_V3[0]!;
    const ctx = { family: 'inet', source: '10.77.0.1' } as const;
    const message = hex(g.ipHex).subarray(20);
    expect(v3Checksum(message, { ...ctx, destination: '224.0.0.18' })).toBe(g.expect.checksum);
    expect(v3Checksum(message, { ...ctx, destination: '10.77.0.2' })).not.toBe(g.expect.checksum);
  });

  it('the reserved bits are masked on send, kept apart on receive', () => {
    const g = GOLDEN_ADVERTS_V3[0]!;
    const r = encodeAdvertV3(
      { ...advertOf(g), reserved: 0xa, maxAdvertIntCs: 0x1064 },
      { family: 'inet', source: g.expect.source, destination: g.expect.destination },
    );
    expect(r.ok && r.value.readUInt16BE(4)).toBe(0xa064);
    const bytes = hex(g.ipHex);
    bytes[24] = 0xf0;
    const p = decoded(bytes, 'inet');
    expect(p.advert.reserved).toBe(0xf);
    expect(p.advert.maxAdvertIntCs).toBe(100);
    expect(p.checksumValid).toBe(false);
  });

  it('a truncated address list decodes with the count byte kept and the checksum invalid', () => {
    const g = GOLDEN_ADVERTS_V3[4]!;
    const p = decoded(hex(g.ipHex).subarray(0, 40 + 8 + 16 + 3), 'inet6');
    expect(p.addressCount).toBe(2);
    expect(p.advert.addresses).toEqual(['2001:db8:77::100']);
    expect(p.checksumValid).toBe(false);
  });

  it('an IPv4 VRRPv2 advert read as v3 reports version 2 and its bytes as found', () => {
    const v2 = hex(
      '45c0002c00010000ff70d0400a4d0001e0000012213396020101b7d40a4d00640a4d00657333637233747077',
    );
    const p = decoded(v2, 'inet');
    expect(p.advert.version).toBe(2);
    expect(p.advert.maxAdvertIntCs).toBe(0x101);
    expect(p.vrrpLength).toBe(24);
  });

  it.each([
    ['inet', 'short-ip-header', '45c00024'],
    ['inet', 'not-ipv4', '65c0002400010000ff70d0480a4d0001e0000012'],
    ['inet', 'not-vrrp', '45c0002400010000ff06d0480a4d0001e000001231349602'],
    ['inet', 'short-vrrp-header', '45c0002400010000ff70d0480a4d0001e0000012313496'],
    ['inet6', 'short-ip-header', '6c021a7c002870ff'],
    ['inet6', 'not-ipv6', GOLDEN_ADVERTS_V3[0]!.ipHex + '00'.repeat(8)],
    ['inet6', 'not-vrrp', '6c021a7c002806ff' + GOLDEN_ADVERTS_V3[4]!.ipHex.slice(16)],
    ['inet6', 'short-vrrp-header', GOLDEN_ADVERTS_V3[4]!.ipHex.slice(0, 2 * 44)],
  ] as const)('%s: rejects %s with a reason', (family, code, bytes) => {
    const r = decodePacketV3(hex(bytes), family);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.reason.length).toBeGreaterThan(0);
    }
  });

  it.each([
    [
      'an IPv4 address in an IPv6 list',
      'inet6',
      ['10.77.0.100'],
      'fe80::1',
      'ff02::12',
      /not an IPv6 address/,
    ],
    [
      'an IPv6 address in an IPv4 list',
      'inet',
      ['2001:db8::1'],
      '10.77.0.1',
      '224.0.0.18',
      /not an IPv4 address/,
    ],
    ['an IPv4 pseudo-header for IPv6', 'inet6', ['2001:db8::1'], '10.77.0.1', 'ff02::12', /pseudo-header/],
    [
      '256 addresses',
      'inet',
      Array.from({ length: 256 }, () => '10.0.0.1'),
      '10.77.0.1',
      '224.0.0.18',
      /8 bits/,
    ],
  ] as const)(
    'encoding fails, without throwing, for %s',
    (_what, family, addresses, source, destination, why) => {
      const advert: AdvertV3 = {
        version: 3,
        type: 1,
        vrid: 1,
        priority: 100,
        maxAdvertIntCs: 100,
        reserved: 0,
        addresses,
      };
      const r = encodeAdvertV3(advert, { family, source, destination });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(why);
      expect(encodeIpPacketV3({ family, source, destination }, advert).ok).toBe(false);
    },
  );
});

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const ipv6 = fc.ipV6().map((a) => {
  // fc.ipV6 may give embedded-IPv4 or uncompressed text: canonicalise through the codec's own reader.
  const bytes = encodeAdvertV3(
    { version: 3, type: 1, vrid: 0, priority: 0, maxAdvertIntCs: 0, reserved: 0, addresses: [a] },
    { family: 'inet6', source: '::1', destination: '::1' },
  );
  if (!bytes.ok) throw new Error(bytes.error);
  const p = decodeMessageV3(bytes.value, { family: 'inet6', source: '::1', destination: '::1', ttl: 255 });
  if (!p.ok) throw new Error(p.error.reason);
  return p.value.advert.addresses[0]!;
});

const advertArb = (address: fc.Arbitrary<string>): fc.Arbitrary<AdvertV3> =>
  fc.record({
    version: fc.nat(15),
    type: fc.nat(15),
    vrid: fc.nat(255),
    priority: fc.nat(255),
    maxAdvertIntCs: fc.nat(0xfff),
    reserved: fc.nat(15),
    addresses: fc.array(address, { maxLength: 20 }),
  });

describe('properties (fast-check)', () => {
  it('decode(encode(advert)) round-trips every field over IPv4 and IPv6, both checksum modes', () => {
    const family4 = fc.record({
      family: fc.constant('inet' as const),
      advert: advertArb(ipv4),
      source: ipv4,
      destination: fc.oneof(fc.constant(VRRP_MULTICAST_GROUP_V4), ipv4),
    });
    const family6 = fc.record({
      family: fc.constant('inet6' as const),
      advert: advertArb(ipv6),
      source: ipv6,
      destination: fc.oneof(fc.constant(VRRP_MULTICAST_GROUP_V6), ipv6),
    });
    checkProperty(
      'vrrp-v3-packet-round-trip',
      [fc.oneof(family4, family6), fc.boolean(), fc.nat(0xfffff)],
      (c, asV2, label) => {
        const mode = asV2 ? 'as-v2' : 'pseudo-header';
        const packet = encodeIpPacketV3(
          {
            family: c.family,
            source: c.source,
            destination: c.destination,
            checksum: mode,
            id: label & 0xffff,
            flowLabel: label,
          },
          c.advert,
        );
        expect(packet.ok).toBe(true);
        if (!packet.ok) return;
        const p = decoded(packet.value, c.family);
        expect(p.advert).toEqual(c.advert);
        expect(p.source).toBe(c.source);
        expect(p.destination).toBe(c.destination);
        expect(p.vrrpLength).toBe(8 + (c.family === 'inet' ? 4 : 16) * c.advert.addresses.length);
        if (c.family === 'inet6' || !asV2) expect(p.checksumValid).toBe(true);
        else expect(p.checksumValidAsV2).toBe(true);
      },
      { seed: 5798, numRuns: 300 },
    );
  });

  it('decode never throws on arbitrary bytes, either family, whole packet or raw payload', () => {
    checkProperty(
      'vrrp-v3-packet-arbitrary-bytes',
      [fc.uint8Array({ maxLength: 160 }), fc.constantFrom('inet' as const, 'inet6' as const)],
      (bytes, family) => {
        decodePacketV3(bytes, family);
        decodeMessageV3(bytes, {
          family,
          source: family === 'inet' ? '10.0.0.1' : 'fe80::1',
          destination: 'ff02::12',
          ttl: 255,
        });
      },
      { seed: 9568, numRuns: 2000 },
    );
  });

  it('decode never throws on corrupted real adverts', () => {
    checkProperty(
      'vrrp-v3-packet-corrupted-golden',
      [fc.nat(GOLDEN_ADVERTS_V3.length - 1), fc.nat(200), fc.nat(255), fc.nat(200)],
      (which, at, value, cut) => {
        const g = GOLDEN_ADVERTS_V3[which]!;
        const bytes = hex(g.ipHex);
        bytes[at % bytes.length] = value;
        const r = decodePacketV3(bytes.subarray(0, cut), g.family);
        if (r.ok) expect(r.value.advert.addresses.length).toBeLessThanOrEqual(r.value.addressCount);
      },
      { seed: 112, numRuns: 2000 },
    );
  });
});

const tsharkMissing = spawnSync('tshark', ['-v']).status === 0 ? [] : ['tshark (apt-get install tshark)'];

tierDescribe('unit (tshark dissector)', tsharkMissing)('VRRPv3 encoder output in tshark', () => {
  function fields(file: string, prefs: string[]): string[][] {
    const run = spawnSync(
      'tshark',
      [
        '-r',
        file,
        ...prefs.flatMap((p) => ['-o', p]),
        '-T',
        'fields',
        '-E',
        'separator=|',
        ...[
          '_ws.malformed',
          'vrrp.version',
          'vrrp.checksum.status',
          'vrrp.virt_rtr_id',
          'vrrp.prio',
          'vrrp.addr_count',
          'vrrp.short_adver_int',
        ].flatMap((f) => ['-e', f]),
      ],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    return run.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
  }

  it('decodes our IPv4 and IPv6 adverts with good checksums, and our as-v2 checksum under its preference', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-v3codec-'));
    try {
      const a: AdvertV3 = {
        version: 3,
        type: 1,
        vrid: 7,
        priority: 100,
        maxAdvertIntCs: 1,
        reserved: 0,
        addresses: [],
      };
      const packets = [
        encodeIpPacketV3(
          { family: 'inet', source: '10.77.0.1', destination: '224.0.0.18' },
          { ...a, addresses: ['10.77.0.100'] },
        ),
        encodeIpPacketV3(
          { family: 'inet', source: '10.77.0.1', destination: '10.77.0.2' },
          { ...a, maxAdvertIntCs: 4095 },
        ),
        encodeIpPacketV3(
          { family: 'inet6', source: 'fe80::1', destination: 'ff02::12', flowLabel: 5 },
          { ...a, vrid: 255, priority: 255, addresses: ['2001:db8::1', '2001:db8::2', 'fe80::99'] },
        ),
      ].map((r) => {
        if (!r.ok) throw new Error(r.error);
        return r.value;
      });
      const file = join(dir, 'ours.pcap');
      writeFileSync(file, writeRawIpPcap(packets));
      expect(fields(file, [])).toEqual([
        ['', '3', '1', '7', '100', '1', '1'],
        ['', '3', '1', '7', '100', '0', '4095'],
        ['', '3', '1', '255', '255', '3', '1'],
      ]);
      const asV2 = encodeIpPacketV3(
        { family: 'inet', source: '10.77.0.1', destination: '224.0.0.18', checksum: 'as-v2' },
        { ...a, addresses: ['10.77.0.100'] },
      );
      if (!asV2.ok) throw new Error(asV2.error);
      const file2 = join(dir, 'as-v2.pcap');
      writeFileSync(file2, writeRawIpPcap([asV2.value]));
      expect(fields(file2, ['vrrp.v3_checksum_as_in_v2:TRUE'])[0]![2]).toBe('1');
      expect(fields(file2, [])[0]![2]).toBe('0'); // bad under the RFC computation
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('old unicast checksum (keepalived vrrp.c vrrp_csum_mcast)', () => {
  it('checksumDestination puts another destination in the pseudo-header than in the IP header', () => {
    const g = GOLDEN_ADVERTS_V3[0]!;
    const r = encodeIpPacketV3(
      { family: 'inet', source: '10.77.0.1', destination: '10.77.0.2', checksumDestination: '224.0.0.18' },
      advertOf(g),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // Same VRRP bytes as the multicast golden advert, sent to the peer.
    expect(r.value.subarray(20).toString('hex')).toBe(g.ipHex.slice(40));
    expect(r.value.subarray(16, 20).toString('hex')).toBe('0a4d0002');
    expect(decoded(r.value, 'inet').checksumValid).toBe(false);
  });
});
