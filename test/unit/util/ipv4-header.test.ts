import fc from 'fast-check';
import { checkProperty } from '../../support/property.js';
import { describe, expect, it } from 'vitest';
import { internetChecksum } from '../../../src/util/checksum.js';
import { decodeIpv4Header, encodeIpv4Header } from '../../../src/util/ipv4-header.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe('encodeIpv4Header (RFC 791 section 3.1)', () => {
  it('writes the 20-byte header field by field, checksum included', () => {
    const h = encodeIpv4Header({
      source: Uint8Array.of(10, 0, 0, 1),
      destination: Uint8Array.of(224, 0, 0, 18),
      payloadLength: 20,
      tos: 0xc0,
      ttl: 255,
      id: 7,
      protocol: 112,
      dontFragment: true,
    });
    expect(h.toString('hex')).toBe(
      [
        '45', // version 4, IHL 5 words
        'c0', // TOS
        '0028', // total length 40 = 20 + payload
        '0007', // identification
        '4000', // flags DF, fragment offset 0
        'ff', // TTL
        '70', // protocol 112
        '908b', // header checksum: ~(45c0+0028+0007+4000+ff70+0a00+0001+e000+0012)
        '0a000001', // source
        'e0000012', // destination
      ].join(''),
    );
    expect(internetChecksum(h)).toBe(0);
  });

  it('leaves the flags clear without dontFragment and masks the id to 16 bits', () => {
    const h = encodeIpv4Header({
      source: Uint8Array.of(192, 0, 2, 1),
      destination: Uint8Array.of(192, 0, 2, 2),
      payloadLength: 0,
      tos: 0,
      ttl: 64,
      id: 0x1_0005,
      protocol: 1,
    });
    expect(h.readUInt16BE(4)).toBe(5);
    expect(h.readUInt16BE(6)).toBe(0);
    expect(internetChecksum(h)).toBe(0);
  });

  it('refuses an address that is not 4 bytes (a programmer error)', () => {
    const fields = { payloadLength: 0, tos: 0, ttl: 1, id: 0, protocol: 112 };
    expect(() =>
      encodeIpv4Header({ ...fields, source: new Uint8Array(16), destination: new Uint8Array(4) }),
    ).toThrow(/bug/);
  });
});

describe('decodeIpv4Header', () => {
  it('reads every field of a header', () => {
    const r = decodeIpv4Header(hex('45c000280007400040ff0000c0a80001e0000012' + '00'.repeat(20)));
    expect(r).toEqual({
      ok: true,
      value: {
        headerLength: 20,
        tos: 0xc0,
        totalLength: 40,
        id: 7,
        ttl: 64,
        protocol: 255,
        source: '192.168.0.1',
        destination: '224.0.0.18',
      },
    });
  });

  it('counts options in the header length (IHL 6)', () => {
    const r = decodeIpv4Header(hex('46000020000000004070000001020304050607080000000000000000'));
    expect(r.ok && r.value.headerLength).toBe(24);
  });

  it('says why it cannot read a header', () => {
    const code = (b: Buffer) => {
      const r = decodeIpv4Header(b);
      return r.ok ? null : r.error.code;
    };
    expect(code(Buffer.alloc(19))).toBe('short-ip-header');
    expect(code(hex('65' + '00'.repeat(19)))).toBe('not-ipv4');
    expect(code(hex('44' + '00'.repeat(19)))).toBe('bad-header-length');
    expect(code(hex('4f' + '00'.repeat(39)))).toBe('bad-header-length');
  });

  it('round-trips what encodeIpv4Header writes', () => {
    const addr = fc.uint8Array({ minLength: 4, maxLength: 4 });
    checkProperty(
      'ipv4-header-round-trip',
      [
        fc.record({
          source: addr,
          destination: addr,
          payloadLength: fc.integer({ min: 0, max: 1400 }),
          tos: fc.nat(255),
          ttl: fc.nat(255),
          id: fc.nat(0xffff),
          protocol: fc.nat(255),
        }),
      ],
      (f) => {
        const r = decodeIpv4Header(encodeIpv4Header(f));
        expect(r).toEqual({
          ok: true,
          value: {
            headerLength: 20,
            tos: f.tos,
            totalLength: 20 + f.payloadLength,
            id: f.id,
            ttl: f.ttl,
            protocol: f.protocol,
            source: [...f.source].join('.'),
            destination: [...f.destination].join('.'),
          },
        });
      },
    );
  });
});
