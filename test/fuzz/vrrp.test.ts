/**
 * Fuzz: the VRRP advert decoder and receive validation (src/vrrp/packet.ts, validate.ts), the
 * path every datagram from the wire takes. Inputs: VRRPv2 and VRRPv3-shaped adverts in IPv4
 * (random header fields, IP options, Ethernet padding, truncation), byte mutations of the golden
 * keepalived 2.2.7 captures, and raw bytes. Properties: decodePacket never throws and reads no
 * more addresses than the buffer holds; validateAdvert never throws, accepts only a v2
 * ADVERTISEMENT of our VRID with a valid checksum and interval, and its log line is bounded;
 * encode -> decode round-trips every field. The VRRPv3 codec and validation (packet-v3.ts,
 * validate-v3.ts) get the same treatment: the IPv4 packets above and IPv6 ones (random hop limit,
 * IPv4-sized address lists, padding, truncation) decoded as v3, mutations of the golden v3
 * captures; validateAdvertV3 accepts only a v3 ADVERTISEMENT of our VRID with a valid checksum
 * (unless v3_checksum_as_v2) and a non-zero interval, which it hands back to be learned.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GOLDEN_ADVERTS } from '../fixtures/vrrp/golden.js';
import {
  decodePacket,
  encodeAdvert,
  encodeIpv4Packet,
  passwordAuthData,
  type Advert,
} from '../../src/vrrp/packet.js';
import { validateAdvert, type ValidationParams } from '../../src/vrrp/validate.js';
import { GOLDEN_ADVERTS_V3 } from '../fixtures/vrrp/golden-v3.js';
import {
  decodePacketV3,
  encodeIpPacketV3,
  type AdvertV3,
  type ReceivedV3Packet,
} from '../../src/vrrp/packet-v3.js';
import { validateAdvertV3, type V3ValidationParams } from '../../src/vrrp/validate-v3.js';
import type { AddressFamily } from '../../src/util/ip.js';
import { internetChecksum } from '../../src/util/checksum.js';
import { instanceParams } from '../unit/vrrp/support.js';
import { fuzz, mutatedBytes } from './support.js';

const ipv4 = fc.oneof(
  fc.constantFrom('10.77.0.100', '10.77.0.101', '10.77.0.2', '224.0.0.18', '0.0.0.0', '255.255.255.255'),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.')),
);

const advertArb: fc.Arbitrary<Advert> = fc.record({
  version: fc.oneof({ weight: 4, arbitrary: fc.constant(2) }, fc.constant(3), fc.nat(15)),
  type: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.nat(15)),
  vrid: fc.oneof(fc.constant(51), fc.nat(255)),
  priority: fc.oneof(fc.constantFrom(0, 100, 150, 255), fc.nat(255)),
  authType: fc.oneof(fc.constantFrom(0, 1, 2), fc.nat(255)),
  advertInt: fc.oneof(fc.constant(1), fc.nat(255)),
  addresses: fc.array(ipv4, { maxLength: 12 }),
  authData: fc.oneof(fc.constant(passwordAuthData('secret')), fc.uint8Array({ minLength: 8, maxLength: 8 })),
});

/** RFC 5798 section 5.1 layout (max advert interval in centiseconds, no auth data). */
const v3Arb = fc
  .record({
    vrid: fc.oneof(fc.constant(51), fc.nat(255)),
    priority: fc.nat(255),
    maxAdvInt: fc.nat(0xfff),
    addresses: fc.array(ipv4, { maxLength: 12 }),
  })
  .map((a) => {
    const b = Buffer.alloc(8 + 4 * a.addresses.length);
    b[0] = 0x31;
    b[1] = a.vrid;
    b[2] = a.priority;
    b[3] = a.addresses.length;
    b.writeUInt16BE(a.maxAdvInt, 4);
    a.addresses.forEach((s, i) => b.set(s.split('.').map(Number), 8 + 4 * i));
    b.writeUInt16BE(internetChecksum(b), 6);
    return b;
  });

/** An IPv4 packet around a v2 or v3 advert, with header oddities and padding or truncation. */
const packetArb = fc
  .record({
    payload: fc.oneof(advertArb.map(encodeAdvert), v3Arb),
    source: ipv4,
    destination: fc.oneof(fc.constant('224.0.0.18'), ipv4),
    ttl: fc.oneof(fc.constant(255), fc.nat(255)),
    tos: fc.nat(255),
    id: fc.nat(0xffff),
    options: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 10 })),
    tail: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, fc.integer({ min: -40, max: 40 })),
  })
  .map((p) => {
    let b = encodeIpv4Packet(
      { source: p.source, destination: p.destination, ttl: p.ttl, tos: p.tos, id: p.id },
      p.payload,
    );
    if (p.options > 0) {
      // IHL above 5: option words after the fixed header (the checksum is left stale on purpose).
      const opts = Buffer.alloc(4 * p.options, 1);
      b = Buffer.concat([b.subarray(0, 20), opts, b.subarray(20)]);
      b[0] = 0x40 | (5 + p.options);
      b.writeUInt16BE(b.length, 2);
    }
    if (p.tail > 0) b = Buffer.concat([b, Buffer.alloc(p.tail)]);
    else if (p.tail < 0) b = b.subarray(0, Math.max(0, b.length + p.tail));
    return b;
  });

const paramsArb: fc.Arbitrary<ValidationParams> = fc
  .record({
    auth: fc.constantFrom(
      { type: 'none' as const },
      { type: 'pass' as const, authData: passwordAuthData('secret') },
      { type: 'ah' as const },
    ),
    multicast: fc.boolean(),
    checkUnicastSrc: fc.boolean(),
    minTtl: fc.nat(255),
    advertIntSec: fc.constantFrom(1, 3),
  })
  .map((o) =>
    instanceParams({
      auth: o.auth as ValidationParams['auth'],
      multicast: o.multicast,
      checkUnicastSrc: o.checkUnicastSrc,
      advertIntSec: o.advertIntSec,
      unicastPeers: o.multicast ? [] : [{ address: '10.77.0.2', minTtl: o.minTtl, maxTtl: 255 }],
    }),
  );

function decodeAndValidate(bytes: Uint8Array, params: ValidationParams, checkAddresses: boolean): void {
  const r = decodePacket(bytes);
  if (!r.ok) {
    expect(r.error.reason.length).toBeGreaterThan(0);
    return;
  }
  const p = r.value;
  // Every address read came from the buffer.
  expect(p.ip.headerLength + 8 + 4 * p.advert.addresses.length).toBeLessThanOrEqual(bytes.length);
  expect(p.advert.addresses.length).toBeLessThanOrEqual(p.addressCount);
  expect(p.advert.authData.length).toBe(8);
  const v = validateAdvert(p, params, { checkAddresses });
  if (v.log) expect(v.log.message.length).toBeLessThan(512);
  if (v.kind === 'accept') {
    expect(p.advert.version).toBe(2);
    expect(p.advert.type).toBe(1);
    expect(p.advert.vrid).toBe(params.vrid);
    expect(p.checksumValid).toBe(true);
    expect(p.advert.advertInt).toBe(params.advertIntSec);
    expect(v.counters[0]).toBe('advert_rcvd');
  }
}

const golden = GOLDEN_ADVERTS.map((g) => Buffer.from(g.ipHex, 'hex'));

describe('fuzz: VRRP advert decoder and validation', () => {
  it('structured v2/v3 adverts in IPv4, validated under every mode', () => {
    fuzz(
      'fuzz-vrrp-structured-adverts',
      [packetArb, paramsArb, fc.boolean()],
      (bytes, params, checkAddresses) => decodeAndValidate(bytes, params, checkAddresses),
      { runs: 40_000, seed: 3768 },
    );
  });

  it('mutated golden keepalived adverts', () => {
    fuzz(
      'fuzz-vrrp-mutated-golden',
      [mutatedBytes(golden), paramsArb, fc.boolean()],
      (bytes, params, checkAddresses) => decodeAndValidate(bytes, params, checkAddresses),
      { runs: 60_000, seed: 5798 },
    );
  });

  it('raw bytes', () => {
    const params = instanceParams();
    fuzz(
      'fuzz-vrrp-raw-bytes',
      [fc.uint8Array({ maxLength: 128 })],
      (bytes) => decodeAndValidate(bytes, params, true),
      { runs: 60_000, seed: 112 },
    );
  });

  it('decode(encode(advert)) round-trips', () => {
    fuzz(
      'fuzz-vrrp-round-trip',
      [advertArb, ipv4, fc.nat(0xffff)],
      (advert, source, id) => {
        const r = decodePacket(
          encodeIpv4Packet({ source, destination: '224.0.0.18', id }, encodeAdvert(advert)),
        );
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect({ ...r.value.advert, authData: Buffer.from(r.value.advert.authData) }).toEqual({
          ...advert,
          authData: Buffer.from(advert.authData),
        });
        expect(r.value.checksumValid).toBe(true);
      },
      { runs: 30_000, seed: 3769 },
    );
  });
});

const ipv6 = fc.oneof(
  fc.constantFrom('fe80::2', 'ff02::12', '2001:db8::100', '2001:db8::101', '::', '::ffff:10.0.0.1'),
  fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((n) => n.toString(16)).join(':')),
);

const advertV3Arb = (address: fc.Arbitrary<string>): fc.Arbitrary<AdvertV3> =>
  fc.record({
    version: fc.oneof({ weight: 4, arbitrary: fc.constant(3) }, fc.constant(2), fc.nat(15)),
    type: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.nat(15)),
    vrid: fc.oneof(fc.constant(51), fc.nat(255)),
    priority: fc.nat(255),
    maxAdvertIntCs: fc.oneof(fc.constantFrom(0, 1, 100, 4095), fc.nat(0xfff)),
    reserved: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, fc.nat(15)),
    addresses: fc.array(address, { maxLength: 12 }),
  });

/** An IPv6 packet around a v3 advert (or IPv4-sized address bytes), padded or truncated. */
const packetV6Arb = fc
  .record({
    advert: advertV3Arb(ipv6),
    source: ipv6,
    destination: fc.oneof(fc.constant('ff02::12'), ipv6),
    ttl: fc.oneof(fc.constant(255), fc.nat(255)),
    flowLabel: fc.nat(0xfffff),
    asV2: fc.boolean(),
    ipv4List: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, fc.constant(true)),
    tail: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, fc.integer({ min: -40, max: 40 })),
  })
  .map((p) => {
    const r = encodeIpPacketV3(
      { family: 'inet6', source: p.source, destination: p.destination, ttl: p.ttl, flowLabel: p.flowLabel },
      p.advert,
    );
    if (!r.ok) throw new Error(r.error);
    let b = r.value;
    if (p.ipv4List) {
      // The count byte kept, 4 bytes per address: what a confused sender would put on the wire.
      const msg = Buffer.concat([b.subarray(40, 48), Buffer.alloc(4 * p.advert.addresses.length, 10)]);
      const ip = Buffer.from(b.subarray(0, 40));
      ip.writeUInt16BE(msg.length, 4);
      b = Buffer.concat([ip, msg]);
    }
    if (p.tail > 0) b = Buffer.concat([b, Buffer.alloc(p.tail)]);
    else if (p.tail < 0) b = b.subarray(0, Math.max(0, b.length + p.tail));
    return b;
  });

const paramsV3Arb = (family: AddressFamily): fc.Arbitrary<V3ValidationParams> =>
  fc
    .record({
      multicast: fc.boolean(),
      checkUnicastSrc: fc.boolean(),
      minTtl: fc.nat(255),
      advertIntCs: fc.constantFrom(1, 100, 4095),
      checksumAsV2: fc.boolean(),
    })
    .map((o) => {
      const base = instanceParams();
      return {
        name: base.name,
        vrid: base.vrid,
        family,
        vipAddresses: family === 'inet' ? base.vipAddresses : ['2001:db8::100', '2001:db8::101'],
        multicast: o.multicast,
        checkUnicastSrc: o.checkUnicastSrc,
        unicastPeers: o.multicast
          ? []
          : [{ address: family === 'inet' ? '10.77.0.2' : 'fe80::2', minTtl: o.minTtl, maxTtl: 255 }],
        advertIntCs: o.advertIntCs,
        checksumAsV2: family === 'inet' && o.checksumAsV2,
      };
    });

function decodeAndValidateV3(
  bytes: Uint8Array,
  family: AddressFamily,
  params: V3ValidationParams,
  checkAddresses: boolean,
): void {
  const r = decodePacketV3(bytes, family);
  if (!r.ok) {
    expect(r.error.reason.length).toBeGreaterThan(0);
    return;
  }
  const p: ReceivedV3Packet = r.value;
  const width = family === 'inet' ? 4 : 16;
  expect(p.headerLength + 8 + width * p.advert.addresses.length).toBeLessThanOrEqual(bytes.length);
  expect(p.advert.addresses.length).toBeLessThanOrEqual(p.addressCount);
  expect(p.advert.maxAdvertIntCs).toBeLessThanOrEqual(0xfff);
  const v = validateAdvertV3(p, params, { checkAddresses });
  if (v.kind === 'drop') {
    expect(v.log.message.length).toBeLessThan(512);
    return;
  }
  for (const l of v.logs) expect(l.message.length).toBeLessThan(512);
  expect(p.advert.version).toBe(3);
  expect(p.advert.type).toBe(1);
  expect(p.advert.vrid).toBe(params.vrid);
  // Valid, or valid with the multicast group in the pseudo-header (old unicast checksum).
  if (!params.checksumAsV2) expect(p.checksumValid || v.switchToOldUnicastChecksum).toBe(true);
  if (params.multicast) expect(p.ttl).toBe(255);
  expect(v.masterAdverIntCs).toBe(p.advert.maxAdvertIntCs);
  expect(v.masterAdverIntCs).toBeGreaterThan(0);
  expect(v.counters[0]).toBe('advert_rcvd');
}

const goldenV3 = GOLDEN_ADVERTS_V3.map((g) => ({ family: g.family, bytes: Buffer.from(g.ipHex, 'hex') }));

describe('fuzz: VRRPv3 advert decoder and validation', () => {
  it('IPv4 v2/v3 adverts decoded as v3, validated under every v3 mode', () => {
    fuzz(
      'fuzz-vrrp-v3-ipv4-structured',
      [packetArb, paramsV3Arb('inet'), fc.boolean()],
      (bytes, params, checkAddresses) => decodeAndValidateV3(bytes, 'inet', params, checkAddresses),
      { runs: 20_000, seed: 5798 },
    );
  });

  it('IPv6 v3 adverts (hop limit, IPv4-sized lists, padding, truncation)', () => {
    fuzz(
      'fuzz-vrrp-v3-ipv6-structured',
      [packetV6Arb, paramsV3Arb('inet6'), fc.boolean()],
      (bytes, params, checkAddresses) => decodeAndValidateV3(bytes, 'inet6', params, checkAddresses),
      { runs: 20_000, seed: 9568 },
    );
  });

  it('mutated golden keepalived v3 adverts', () => {
    const arbs = (family: 'inet' | 'inet6') =>
      [
        mutatedBytes(goldenV3.filter((g) => g.family === family).map((g) => g.bytes)),
        paramsV3Arb(family),
        fc.boolean(),
      ] as const;
    // One call per family, each corpus name written out (the repository's property test reads them).
    fuzz(
      'fuzz-vrrp-v3-mutated-golden-ipv4',
      [...arbs('inet')],
      (bytes, params, checkAddresses) => decodeAndValidateV3(bytes, 'inet', params, checkAddresses),
      { runs: 20_000, seed: 112 },
    );
    fuzz(
      'fuzz-vrrp-v3-mutated-golden-ipv6',
      [...arbs('inet6')],
      (bytes, params, checkAddresses) => decodeAndValidateV3(bytes, 'inet6', params, checkAddresses),
      { runs: 20_000, seed: 112 },
    );
  });

  it('decode(encode(advert)) round-trips over both families', () => {
    fuzz(
      'fuzz-vrrp-v3-round-trip',
      [
        fc.oneof(
          fc.record({ family: fc.constant('inet' as const), advert: advertV3Arb(ipv4), source: ipv4 }),
          fc.record({ family: fc.constant('inet6' as const), advert: advertV3Arb(ipv6), source: ipv6 }),
        ),
        fc.boolean(),
      ],
      (c, asV2) => {
        const destination = c.family === 'inet' ? '224.0.0.18' : 'ff02::12';
        const r = encodeIpPacketV3(
          { family: c.family, source: c.source, destination, checksum: asV2 ? 'as-v2' : 'pseudo-header' },
          c.advert,
        );
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const d = decodePacketV3(r.value, c.family);
        expect(d.ok).toBe(true);
        if (!d.ok) return;
        expect(d.value.advert.addresses.length).toBe(c.advert.addresses.length);
        if (c.family === 'inet') expect(d.value.advert.addresses).toEqual(c.advert.addresses);
        expect({ ...d.value.advert, addresses: [] }).toEqual({ ...c.advert, addresses: [] });
        expect(c.family === 'inet' && asV2 ? d.value.checksumValidAsV2 : d.value.checksumValid).toBe(true);
      },
      { runs: 20_000, seed: 3 },
    );
  });
});
