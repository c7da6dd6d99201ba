import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkProperty } from '../../support/property.js';
import { describe, expect, it } from 'vitest';
import { GOLDEN_ADVERTS } from '../../fixtures/vrrp/golden.js';
import {
  decodePacket,
  encodeAdvert,
  encodeIpv4Packet,
  passwordAuthData,
  VRRP_MULTICAST_GROUP_V4,
  type Advert,
} from '../../../src/vrrp/packet.js';
import { internetChecksum } from '../../../src/util/checksum.js';
import { tierDescribe } from '../../support/tier.js';
import { ipPacketOf, readPcap, writeRawIpPcap } from './pcap.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/vrrp');
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const authText = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1').replace(/\0+$/, '');

describe('golden adverts from keepalived 2.2.7', () => {
  for (const g of GOLDEN_ADVERTS) {
    describe(g.name, () => {
      it('the fixture hex is the packet in the capture', () => {
        const pcap = readPcap(readFileSync(join(FIXTURES, g.pcap)));
        const frame = pcap.frames[g.frame - 1];
        expect(frame).toBeDefined();
        expect(ipPacketOf(pcap, frame!).toString('hex')).toBe(g.ipHex);
      });

      it('decodes field by field', () => {
        const r = decodePacket(hex(g.ipHex));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const p = r.value;
        expect(p.ip).toEqual({
          headerLength: 20,
          tos: 0xc0,
          totalLength: 44,
          id: g.expect.ipId,
          ttl: 255,
          protocol: 112,
          source: g.expect.source,
          destination: g.expect.destination,
        });
        expect(p.advert.version).toBe(2);
        expect(p.advert.type).toBe(1);
        expect(p.advert.vrid).toBe(g.expect.vrid);
        expect(p.advert.priority).toBe(g.expect.priority);
        expect(p.advert.authType).toBe(g.expect.authType);
        expect(p.advert.advertInt).toBe(g.expect.advertInt);
        expect(p.advert.addresses).toEqual(g.expect.addresses);
        expect(authText(p.advert.authData)).toBe(g.expect.authText);
        expect(p.addressCount).toBe(2);
        expect(p.checksum).toBe(g.expect.checksum);
        expect(p.checksumValid).toBe(true);
        expect(p.vrrpLength).toBe(24);
        expect(p.bufferLength).toBe(44);
      });

      it('encodes to the same bytes (VRRP message and whole IP packet)', () => {
        const advert: Advert = {
          version: 2,
          type: 1,
          vrid: g.expect.vrid,
          priority: g.expect.priority,
          authType: g.expect.authType,
          advertInt: g.expect.advertInt,
          addresses: g.expect.addresses,
          // keepalived truncates auth_pass "s3cr3tpw99" to 8 bytes.
          authData: g.expect.authType === 1 ? passwordAuthData('s3cr3tpw99') : new Uint8Array(8),
        };
        const vrrp = encodeAdvert(advert);
        expect(vrrp.toString('hex')).toBe(g.ipHex.slice(40));
        const ip = encodeIpv4Packet(
          { source: g.expect.source, destination: VRRP_MULTICAST_GROUP_V4, id: g.expect.ipId },
          vrrp,
        );
        expect(ip.toString('hex')).toBe(g.ipHex);
      });
    });
  }
});

describe('codec details', () => {
  it('internetChecksum of a buffer including its own checksum is 0 (RFC 1071)', () => {
    const vrrp = hex(GOLDEN_ADVERTS[0]!.ipHex).subarray(20);
    expect(internetChecksum(vrrp)).toBe(0);
    expect(internetChecksum(Uint8Array.of(0x01))).toBe(0xfeff);
  });

  it('passwordAuthData NUL-pads short passwords and truncates long ones to 8', () => {
    expect(Buffer.from(passwordAuthData('abc')).toString('hex')).toBe('6162630000000000');
    expect(Buffer.from(passwordAuthData('0123456789')).toString()).toBe('01234567');
  });

  it('a flipped VRRP byte fails the checksum but still decodes', () => {
    const bytes = hex(GOLDEN_ADVERTS[0]!.ipHex);
    bytes[22] = 100; // priority
    const r = decodePacket(bytes);
    expect(r.ok && r.value.checksumValid).toBe(false);
    expect(r.ok && r.value.advert.priority).toBe(100);
  });

  it('a truncated address list decodes with the count byte kept and the checksum invalid', () => {
    const bytes = hex(GOLDEN_ADVERTS[0]!.ipHex).subarray(0, 34);
    const r = decodePacket(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.addressCount).toBe(2);
    expect(r.value.advert.addresses).toEqual(['10.77.0.100']);
    expect(r.value.checksumValid).toBe(false);
  });

  it.each([
    ['short-ip-header', '45c0002c'],
    ['not-ipv4', '65c0002c00010000ff70d0400a4d0001e0000012213396020101b7d4'],
    ['bad-header-length', '44c0002c00010000ff70d0400a4d0001e0000012213396020101b7d4'],
    ['not-vrrp', '45c0002c00010000ff06d0400a4d0001e0000012213396020101b7d4'],
    ['short-vrrp-header', '45c0002c00010000ff70d0400a4d0001e000001221339602'],
  ])('rejects %s with a reason', (code, bytes) => {
    const r = decodePacket(hex(bytes));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.reason.length).toBeGreaterThan(0);
    }
  });
});

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const advertArb: fc.Arbitrary<Advert> = fc.record({
  version: fc.nat(15),
  type: fc.nat(15),
  vrid: fc.nat(255),
  priority: fc.nat(255),
  authType: fc.nat(255),
  advertInt: fc.nat(255),
  addresses: fc.array(ipv4, { maxLength: 20 }),
  authData: fc.uint8Array({ minLength: 8, maxLength: 8 }),
});

describe('properties (fast-check)', () => {
  it('decode(encode(advert)) round-trips every field and verifies the checksum', () => {
    checkProperty(
      'vrrp-packet-round-trip',
      [advertArb, ipv4, fc.nat(0xffff)],
      (advert, source, id) => {
        const packet = encodeIpv4Packet(
          { source, destination: VRRP_MULTICAST_GROUP_V4, id },
          encodeAdvert(advert),
        );
        const r = decodePacket(packet);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect({ ...r.value.advert, authData: Buffer.from(r.value.advert.authData) }).toEqual({
          ...advert,
          authData: Buffer.from(advert.authData),
        });
        expect(r.value.checksumValid).toBe(true);
        expect(r.value.ip.source).toBe(source);
        expect(r.value.ip.id).toBe(id);
      },
      { seed: 3768, numRuns: 300 },
    );
  });

  it('decode never throws on arbitrary bytes', () => {
    checkProperty(
      'vrrp-packet-arbitrary-bytes',
      [fc.uint8Array({ maxLength: 120 })],
      (bytes) => {
        decodePacket(bytes);
      },
      { seed: 112, numRuns: 2000 },
    );
  });

  it('decode never throws on corrupted real adverts', () => {
    const base = hex(GOLDEN_ADVERTS[0]!.ipHex);
    checkProperty(
      'vrrp-packet-corrupted-golden',
      [fc.nat(base.length - 1), fc.nat(255), fc.nat(base.length)],
      (at, value, cut) => {
        const bytes = Buffer.from(base);
        bytes[at] = value;
        decodePacket(bytes.subarray(0, cut));
      },
      { seed: 255, numRuns: 2000 },
    );
  });
});

const tsharkMissing = spawnSync('tshark', ['-v']).status === 0 ? [] : ['tshark (apt-get install tshark)'];

tierDescribe('unit (tshark dissector)', tsharkMissing)('encoder output in tshark VRRP dissector', () => {
  it('decodes our adverts with correct checksums and no expert warnings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-vcore-'));
    try {
      const adverts: Advert[] = [
        {
          version: 2,
          type: 1,
          vrid: 51,
          priority: 150,
          authType: 1,
          advertInt: 1,
          addresses: ['10.77.0.100', '10.77.0.101'],
          authData: passwordAuthData('secret'),
        },
        {
          version: 2,
          type: 1,
          vrid: 7,
          priority: 0,
          authType: 0,
          advertInt: 3,
          addresses: [],
          authData: new Uint8Array(8),
        },
        {
          version: 2,
          type: 1,
          vrid: 255,
          priority: 255,
          authType: 0,
          advertInt: 255,
          addresses: Array.from({ length: 20 }, (_, i) => `192.0.2.${i + 1}`),
          authData: new Uint8Array(8),
        },
      ];
      const packets = adverts.map((a, i) =>
        encodeIpv4Packet(
          { source: '10.77.0.1', destination: VRRP_MULTICAST_GROUP_V4, id: i + 1 },
          encodeAdvert(a),
        ),
      );
      const file = join(dir, 'ours.pcap');
      writeFileSync(file, writeRawIpPcap(packets));
      const fields = [
        '_ws.expert',
        '_ws.malformed',
        'vrrp.checksum.status',
        'ip.checksum.status',
        'vrrp.virt_rtr_id',
        'vrrp.prio',
        'vrrp.addr_count',
        'vrrp.auth_string',
      ];
      const run = spawnSync(
        'tshark',
        [
          '-r',
          file,
          '-o',
          'ip.check_checksum:TRUE',
          '-T',
          'fields',
          '-E',
          'separator=|',
          ...fields.flatMap((f) => ['-e', f]),
        ],
        { encoding: 'utf8' },
      );
      expect(run.status).toBe(0);
      const rows = run.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('|'));
      expect(rows).toEqual([
        ['', '', '1', '1', '51', '150', '2', 'secret'],
        ['', '', '1', '1', '7', '0', '0', ''],
        ['', '', '1', '1', '255', '255', '20', ''],
      ]);
      const verbose = spawnSync('tshark', ['-r', file, '-V'], { encoding: 'utf8' }).stdout;
      expect(verbose).toContain('Virtual Router Redundancy Protocol');
      expect(verbose).not.toMatch(/Expert Info|Malformed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
