import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkProperty } from '../../support/property.js';
import {
  NetlinkWriter,
  decodeAttrs,
  decodeMessages,
  decodeGenl,
  decodeAttrTable,
} from '../../../src/ipvs/netlink-codec.js';
import {
  decodeDestAttrs,
  decodeServiceAttrs,
  writeDestAttrs,
  writeServiceAttrs,
} from '../../../src/ipvs/messages.js';
import * as C from '../../../src/ipvs/constants.js';
import type { DestinationSpec, ServiceSpec } from '../../../src/ipvs/types.js';

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const v6 = fc
  .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
  .map((g) => g.map((x) => x.toString(16)).join(':'))
  .map((s) => {
    // canonical form, as the decoder produces it
    const b = Buffer.alloc(16);
    s.split(':').forEach((h, i) => b.writeUInt16BE(parseInt(h, 16), i * 2));
    return b;
  });

import { bytesToAddress } from '../../../src/util/ip.js';

const family = fc.constantFrom('inet' as const, 'inet6' as const);
const addrOf = (f: 'inet' | 'inet6') => (f === 'inet' ? v4 : v6.map((b) => bytesToAddress(b)!));

export const arbService: fc.Arbitrary<ServiceSpec> = family.chain((f) =>
  fc.record({
    id: fc.oneof(
      fc.record({
        kind: fc.constant('addr' as const),
        family: fc.constant(f),
        protocol: fc.constantFrom(6, 17, 132),
        address: addrOf(f),
        port: fc.nat(65535),
      }),
      fc.record({
        kind: fc.constant('fwmark' as const),
        family: fc.constant(f),
        fwmark: fc.integer({ min: 1, max: 0xffffffff }),
      }),
    ),
    scheduler: fc.constantFrom(
      'rr',
      'wrr',
      'lc',
      'wlc',
      'lblc',
      'lblcr',
      'dh',
      'sh',
      'sed',
      'nq',
      'fo',
      'ovf',
      'mh',
      'twos',
    ),
    flags: fc.integer({ min: 0, max: C.IP_VS_SVC_F_USER_MASK }).map((x) => x & C.IP_VS_SVC_F_USER_MASK),
    timeout: fc.nat(0xffffffff),
    netmask: f === 'inet' ? fc.nat(0xffffffff) : fc.integer({ min: 1, max: 128 }),
    peName: fc.constantFrom(null, 'sip'),
  }),
);

export const arbDest: fc.Arbitrary<DestinationSpec> = family.chain((f) =>
  fc
    .record({
      family: fc.constant(f),
      address: addrOf(f),
      port: fc.nat(65535),
      forwarding: fc.constantFrom('NAT' as const, 'DR' as const, 'TUN' as const),
      weight: fc.nat(0x7fffffff),
      upperThreshold: fc.nat(0xffffffff),
      lowerThreshold: fc.nat(0xffffffff),
      tunnel: fc.record({
        type: fc.constantFrom('ipip' as const, 'gue' as const, 'gre' as const),
        port: fc.nat(65535),
        flags: fc.nat(3),
      }),
    })
    .map((d) => ({ ...d, tunnel: d.forwarding === 'TUN' ? d.tunnel : null })),
);

describe('netlink codec', () => {
  it('round-trips services through IPVS_SVC_ATTR_*', () => {
    checkProperty(
      'ipvs-codec-service-round-trip',
      [arbService],
      (spec) => {
        const w = new NetlinkWriter(8);
        expect(writeServiceAttrs(w, spec, true).ok).toBe(true);
        const back = decodeServiceAttrs(w.finish());
        expect(back).toEqual({ ok: true, value: { ...spec, stats: null } });
      },
      { seed: 20260101, numRuns: 300 },
    );
  });

  it('round-trips destinations through IPVS_DEST_ATTR_*', () => {
    checkProperty(
      'ipvs-codec-dest-round-trip',
      [arbDest],
      (d) => {
        const w = new NetlinkWriter(8);
        expect(writeDestAttrs(w, d, true).ok).toBe(true);
        const back = decodeDestAttrs(w.finish(), d.family);
        expect(back).toEqual({
          ok: true,
          value: { ...d, activeConns: 0, inactiveConns: 0, persistConns: 0, stats: null },
        });
      },
      { seed: 20260102, numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes, for every decoder', () => {
    checkProperty(
      'ipvs-codec-arbitrary-bytes',
      [fc.uint8Array({ maxLength: 300 })],
      (bytes) => {
        const b = Buffer.from(bytes);
        decodeMessages(b);
        decodeAttrs(b);
        decodeAttrTable(b);
        decodeGenl(b);
        decodeServiceAttrs(b);
        decodeDestAttrs(b, 'inet');
        decodeDestAttrs(b, 'inet6');
      },
      { seed: 20260103, numRuns: 2000 },
    );
  });

  it('rejects attributes and messages whose lengths overrun', () => {
    expect(decodeAttrs(Buffer.from([0x08, 0x00, 0x01, 0x00, 0x00])).ok).toBe(false);
    expect(decodeAttrs(Buffer.from([0x02, 0x00, 0x01, 0x00])).ok).toBe(false);
    const hdr = Buffer.alloc(16);
    hdr.writeUInt32LE(40, 0);
    expect(decodeMessages(hdr).ok).toBe(false);
    hdr.writeUInt32LE(8, 0);
    expect(decodeMessages(hdr).ok).toBe(false);
  });

  it('aligns attributes to 4 bytes and sets NLA_F_NESTED only when asked', () => {
    const w = new NetlinkWriter(4);
    w.beginNested(1, true).u8(2, 0xaa).endNested().beginNested(3).string(4, 'ab').endNested();
    const b = w.finish();
    expect(b.toString('hex')).toBe(
      '0c000180' + '0500' + '0200' + 'aa000000' + '0c000300' + '0700' + '0400' + '61620000',
    );
    const attrs = decodeAttrs(b);
    if (!attrs.ok) throw new Error(attrs.error);
    expect(attrs.value.map((a) => [a.type, a.nested])).toEqual([
      [1, true],
      [3, false],
    ]);
  });

  it('keeps several messages back to back, each aligned', () => {
    const w = new NetlinkWriter(4);
    w.beginMessage({ type: 20, flags: 5, seq: 1, pid: 0 }, { cmd: 1, version: 1 }).u8(1, 1).endMessage();
    w.beginMessage({ type: 20, flags: 5, seq: 2, pid: 0 }, { cmd: 2, version: 1 }).endMessage();
    const m = decodeMessages(w.finish());
    if (!m.ok) throw new Error(m.error);
    expect(m.value.map((x) => [x.seq, x.payload.length])).toEqual([
      [1, 12],
      [2, 4],
    ]);
  });
});

describe('constants follow <linux/ip_vs.h> enum order', () => {
  // Positional enums in the header: listing the names in header order pins each value.
  const inOrder = (names: string[], table: Record<string, number>) =>
    names.forEach((n, i) => expect([n, table[n]]).toEqual([n, i + 1]));
  it('IPVS_CMD_*', () =>
    inOrder(
      [
        'NEW_SERVICE',
        'SET_SERVICE',
        'DEL_SERVICE',
        'GET_SERVICE',
        'NEW_DEST',
        'SET_DEST',
        'DEL_DEST',
        'GET_DEST',
        'NEW_DAEMON',
        'DEL_DAEMON',
        'GET_DAEMON',
        'SET_CONFIG',
        'GET_CONFIG',
        'SET_INFO',
        'GET_INFO',
        'ZERO',
        'FLUSH',
      ],
      C.IPVS_CMD,
    ));
  it('IPVS_SVC_ATTR_*', () =>
    inOrder(
      [
        'AF',
        'PROTOCOL',
        'ADDR',
        'PORT',
        'FWMARK',
        'SCHED_NAME',
        'FLAGS',
        'TIMEOUT',
        'NETMASK',
        'STATS',
        'PE_NAME',
        'STATS64',
      ],
      C.IPVS_SVC_ATTR,
    ));
  it('IPVS_DEST_ATTR_*', () =>
    inOrder(
      [
        'ADDR',
        'PORT',
        'FWD_METHOD',
        'WEIGHT',
        'U_THRESH',
        'L_THRESH',
        'ACTIVE_CONNS',
        'INACT_CONNS',
        'PERSIST_CONNS',
        'STATS',
        'ADDR_FAMILY',
        'STATS64',
        'TUN_TYPE',
        'TUN_PORT',
        'TUN_FLAGS',
      ],
      C.IPVS_DEST_ATTR,
    ));
  it('IPVS_DAEMON_ATTR_* and IPVS_CMD_ATTR_*', () => {
    inOrder(
      [
        'STATE',
        'MCAST_IFN',
        'SYNC_ID',
        'SYNC_MAXLEN',
        'MCAST_GROUP',
        'MCAST_GROUP6',
        'MCAST_PORT',
        'MCAST_TTL',
      ],
      C.IPVS_DAEMON_ATTR,
    );
    inOrder(['SERVICE', 'DEST', 'DAEMON', 'TIMEOUT_TCP', 'TIMEOUT_TCP_FIN', 'TIMEOUT_UDP'], C.IPVS_CMD_ATTR);
  });
  it('IP_VS_SO_SET_* numbers keepalived prints', () => {
    expect(C.IP_VS_SO_SET.ADD).toBe(1154);
    expect(C.IP_VS_SO_SET.ADDDEST).toBe(1159);
    expect(C.IP_VS_SO_SET.EDITDEST).toBe(1161);
  });
});
