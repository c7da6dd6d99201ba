/**
 * Fuzz: the VRRP advert decoder and receive validation (src/vrrp/packet.ts, validate.ts), the
 * path every datagram from the wire takes. Inputs: VRRPv2 and VRRPv3-shaped adverts in IPv4
 * (random header fields, IP options, Ethernet padding, truncation), byte mutations of the golden
 * keepalived 2.2.7 captures, and raw bytes. Properties: decodePacket never throws and reads no
 * more addresses than the buffer holds; validateAdvert never throws, accepts only a v2
 * ADVERTISEMENT of our VRID with a valid checksum and interval, and its log line is bounded;
 * encode -> decode round-trips every field.
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
