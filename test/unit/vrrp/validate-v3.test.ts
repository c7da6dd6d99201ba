// VRRPv3 receive validation ledger: one row per RFC 5798 section 7.1 rule (and keepalived's
// additions), positive and negative, over IPv4 and IPv6, with the counter each outcome bumps.
import { describe, expect, it } from 'vitest';
import { GOLDEN_ADVERTS_V3 } from '../../fixtures/vrrp/golden-v3.js';
import {
  decodeMessageV3,
  decodePacketV3,
  encodeIpPacketV3,
  type AdvertV3,
  type IpHeaderInputV3,
  type ReceivedV3Packet,
} from '../../../src/vrrp/packet-v3.js';
import { encodeAdvert, encodeIpv4Packet, passwordAuthData } from '../../../src/vrrp/packet.js';
import {
  masterDownIntervalUs,
  skewTimeUs,
  validateAdvertV3,
  type V3ValidationParams,
  type V3Verdict,
} from '../../../src/vrrp/validate-v3.js';
import { instanceParams } from './support.js';

type Family = 'inet' | 'inet6';

const PEER = { inet: '10.77.0.2', inet6: 'fe80::2' } as const;
const GROUP = { inet: '224.0.0.18', inet6: 'ff02::12' } as const;
const VIPS = { inet: ['10.77.0.100', '10.77.0.101'], inet6: ['2001:db8::100', '2001:db8::101'] } as const;

function params(family: Family, overrides: Partial<V3ValidationParams> = {}): V3ValidationParams {
  const { name, vrid, multicast, unicastPeers, checkUnicastSrc } = instanceParams();
  return {
    name,
    vrid,
    multicast,
    unicastPeers,
    checkUnicastSrc,
    family,
    vipAddresses: VIPS[family],
    advertIntCs: 100,
    checksumAsV2: false,
    ...overrides,
  };
}

interface Spec {
  readonly advert?: Partial<AdvertV3>;
  readonly ip?: Partial<IpHeaderInputV3>;
  readonly mutate?: (bytes: Buffer) => Buffer;
}

function packet(family: Family, spec: Spec = {}): ReceivedV3Packet {
  const advert: AdvertV3 = {
    version: 3,
    type: 1,
    vrid: 51,
    priority: 150,
    maxAdvertIntCs: 100,
    reserved: 0,
    addresses: VIPS[family],
    ...spec.advert,
  };
  const r = encodeIpPacketV3(
    { family, source: PEER[family], destination: GROUP[family], ...spec.ip },
    advert,
  );
  if (!r.ok) throw new Error(r.error);
  const bytes = spec.mutate ? spec.mutate(r.value) : r.value;
  const d = decodePacketV3(bytes, family);
  if (!d.ok) throw new Error(d.error.reason);
  return d.value;
}

const accept = (
  counters: V3Verdict['counters'],
  logs: { error: string; message: string }[] = [],
  cs = 100,
  switchToOldUnicastChecksum = false,
) => ({ kind: 'accept', counters, logs, masterAdverIntCs: cs, switchToOldUnicastChecksum }) as V3Verdict;
const drop = (counter: V3Verdict['counters'][number], error: string, message: string) =>
  ({ kind: 'drop', counters: [counter], log: { error, message } }) as V3Verdict;

const UNICAST: Partial<V3ValidationParams> = {
  multicast: false,
  unicastPeers: [{ address: '10.77.0.2', minTtl: 0, maxTtl: 255 }],
};

interface Row {
  readonly rule: string;
  readonly family: Family;
  readonly spec?: Spec;
  readonly params?: Partial<V3ValidationParams>;
  readonly checkAddresses?: boolean;
  readonly expect: V3Verdict;
}

const both = (make: (f: Family) => Omit<Row, 'family'>): Row[] =>
  (['inet', 'inet6'] as const).map((family) => ({ ...make(family), family }));

const LEDGER: readonly Row[] = [
  ...both(() => ({ rule: 'a valid advert is accepted and counted', expect: accept(['advert_rcvd']) })),

  // --- 7.1 "MUST verify that the IPv4 TTL or IPv6 Hop Limit is 255" -------------------------
  ...both((f) => ({
    rule: '7.1 TTL/hop limit 254 multicast is dropped',
    spec: { ip: { ttl: 254 } },
    expect: drop(
      'ip_ttl_err',
      'invalid-ttl',
      `(VI_1) invalid TTL/HL from ${PEER[f]}. Received 254 and expect 255`,
    ),
  })),
  {
    rule: '7.1 hop limit: unicast without a TTL range does not check it (keepalived)',
    family: 'inet6',
    spec: { ip: { ttl: 64, destination: 'fe80::1' } },
    params: { multicast: false, unicastPeers: [{ address: 'fe80::2', minTtl: 0, maxTtl: 255 }] },
    expect: accept(['advert_rcvd']),
  },

  // --- 7.1 "MUST verify that the VRRP version is 3" -----------------------------------------
  ...both((f) => ({
    rule: '7.1 version: a version-2-tagged advert is dropped',
    spec: { advert: { version: 2 } },
    expect: drop(
      'vers_err',
      'wrong-version',
      `(VI_1) wrong VRRP version from ${PEER[f]}. Received 2 and expect 3`,
    ),
  })),

  // --- 7.1 "MUST verify that the received packet contains the complete VRRP packet" ----------
  {
    rule: '7.1 complete packet: IPv4, one address byte missing',
    family: 'inet',
    spec: { mutate: (b) => b.subarray(0, b.length - 1) },
    expect: drop(
      'packet_len_err',
      'incomplete-packet',
      '(VI_1) vrrp packet from 10.77.0.2 too short, length 35 and expect 36',
    ),
  },
  {
    rule: '7.1 complete packet: IPv4, Ethernet padding (36 -> 46 bytes) is tolerated',
    family: 'inet',
    spec: { mutate: (b) => Buffer.concat([b, Buffer.alloc(10)]) },
    expect: accept(['advert_rcvd']),
  },
  {
    rule: '7.1 complete packet: IPv6 lengths are the VRRP message (keepalived: no IPv6 header)',
    family: 'inet6',
    spec: { mutate: (b) => b.subarray(0, b.length - 16) },
    expect: drop(
      'packet_len_err',
      'incomplete-packet',
      '(VI_1) vrrp packet from fe80::2 too short, length 24 and expect 40',
    ),
  },
  {
    rule: '7.1 complete packet: IPv6 trailing bytes are not padding',
    family: 'inet6',
    spec: { mutate: (b) => Buffer.concat([b, Buffer.alloc(2)]) },
    expect: drop(
      'packet_len_err',
      'incomplete-packet',
      '(VI_1) vrrp packet from fe80::2 too long, length 42 and expect 40',
    ),
  },
  {
    rule: '7.1 complete packet: an IPv6 advert carrying IPv4 addresses is too short',
    family: 'inet6',
    spec: {
      mutate: (b) => {
        // 2 IPv4 addresses (8 bytes) where the count says 2 IPv6 ones (32).
        const ip = Buffer.from(b.subarray(0, 40));
        const msg = Buffer.concat([b.subarray(40, 48), Buffer.from('0a4d00640a4d0065', 'hex')]);
        ip.writeUInt16BE(msg.length, 4);
        return Buffer.concat([ip, msg]);
      },
    },
    expect: drop(
      'packet_len_err',
      'incomplete-packet',
      '(VI_1) vrrp packet from fe80::2 too short, length 16 and expect 40',
    ),
  },
  {
    rule: '7.1 complete packet: IPv4 total length disagreeing with the bytes received',
    family: 'inet',
    spec: {
      mutate: (b) => {
        b.writeUInt16BE(40, 2);
        return b;
      },
    },
    expect: drop(
      'packet_len_err',
      'bad-length',
      '(VI_1) ip_tot_len mismatch against received length from 10.77.0.2. 40 and received 36',
    ),
  },
  {
    rule: '7.1 complete packet: IPv6 payload length disagreeing with the bytes received',
    family: 'inet6',
    spec: {
      mutate: (b) => {
        b.writeUInt16BE(48, 4);
        return b;
      },
    },
    expect: drop(
      'packet_len_err',
      'bad-length',
      '(VI_1) IPv6 payload length mismatch against received length from fe80::2. 48 and received 40',
    ),
  },

  // --- 7.1 "MUST verify the VRRP checksum" (5.2.8, pseudo-header) ---------------------------
  ...both((f) => ({
    rule: '7.1 checksum: a corrupted checksum is dropped',
    spec: {
      mutate: (b: Buffer) => {
        const at = (f === 'inet' ? 20 : 40) + 7;
        b[at] = b[at]! ^ 0xff;
        return b;
      },
    },
    expect: drop('chk_err', 'bad-checksum', `(VI_1) Invalid VRRPv3 checksum from ${PEER[f]}`),
  })),
  {
    rule: '7.1 checksum: a message-only (as-v2) checksum fails the RFC check',
    family: 'inet',
    spec: { ip: { checksum: 'as-v2' } },
    expect: drop('chk_err', 'bad-checksum', '(VI_1) Invalid VRRPv3 checksum from 10.77.0.2'),
  },
  {
    rule: '7.1 checksum: the pseudo-header covers the destination (a unicast checksum sent to the group)',
    family: 'inet',
    spec: {
      ip: { destination: '10.77.0.1' },
      mutate: (b) => {
        b.set([224, 0, 0, 18], 16);
        return b;
      },
    },
    expect: drop('chk_err', 'bad-checksum', '(VI_1) Invalid VRRPv3 checksum from 10.77.0.2'),
  },
  {
    rule: 'v3_checksum_as_v2: the as-v2 checksum is accepted',
    family: 'inet',
    spec: { ip: { checksum: 'as-v2' } },
    params: { checksumAsV2: true },
    expect: accept(['advert_rcvd']),
  },
  {
    rule: 'v3_checksum_as_v2: keepalived checks no checksum at all, nor does this',
    family: 'inet',
    spec: {
      mutate: (b) => {
        b[27] = b[27]! ^ 0xff;
        return b;
      },
    },
    params: { checksumAsV2: true },
    expect: accept(['advert_rcvd']),
  },
  // --- old unicast checksum (keepalived 1.3.6 and earlier; OLD_CHKSUM_COMPAT builds) ----------
  {
    rule: 'old unicast checksum: a unicast advert summed with the group is accepted and switches the mode',
    family: 'inet',
    spec: { ip: { destination: '10.77.0.1', checksumDestination: '224.0.0.18' } },
    params: UNICAST,
    expect: accept(
      ['advert_rcvd'],
      [{ error: 'old-unicast-checksum', message: '(VI_1) Setting unicast VRRPv3 checksum to old version' }],
      100,
      true,
    ),
  },
  {
    rule: 'old unicast checksum: `old_unicast_checksum never` does not switch',
    family: 'inet',
    spec: { ip: { destination: '10.77.0.1', checksumDestination: '224.0.0.18' } },
    params: { ...UNICAST, unicastChecksumCompat: 'never' },
    expect: drop('chk_err', 'bad-checksum', '(VI_1) Invalid VRRPv3 checksum from 10.77.0.2'),
  },
  {
    rule: 'old unicast checksum: in the old mode an old-style advert is accepted without a switch',
    family: 'inet',
    spec: { ip: { destination: '10.77.0.1', checksumDestination: '224.0.0.18' } },
    params: { ...UNICAST, unicastChecksumCompat: 'auto' },
    expect: accept(['advert_rcvd']),
  },
  {
    rule: 'old unicast checksum: in the old mode (config) an RFC unicast checksum fails',
    family: 'inet',
    spec: { ip: { destination: '10.77.0.1' } },
    params: { ...UNICAST, unicastChecksumCompat: 'config' },
    expect: drop('chk_err', 'bad-checksum', '(VI_1) Invalid VRRPv3 checksum from 10.77.0.2'),
  },
  {
    rule: 'old unicast checksum: the group is vrrp_mcast_group4',
    family: 'inet',
    spec: { ip: { destination: '10.77.0.1', checksumDestination: '224.0.0.18' } },
    params: { ...UNICAST, multicastGroup: '224.0.0.19' },
    expect: drop('chk_err', 'bad-checksum', '(VI_1) Invalid VRRPv3 checksum from 10.77.0.2'),
  },
  {
    rule: 'old unicast checksum: a multicast instance never switches',
    family: 'inet',
    spec: { mutate: (b) => ((b[27] = b[27]! ^ 1), b) },
    params: { unicastChecksumCompat: 'none' },
    expect: drop('chk_err', 'bad-checksum', '(VI_1) Invalid VRRPv3 checksum from 10.77.0.2'),
  },
  {
    rule: 'v3_checksum_as_v2 does not apply to IPv6',
    family: 'inet6',
    spec: { mutate: (b) => ((b[47] = b[47]! ^ 1), b) },
    params: { checksumAsV2: true },
    expect: drop('chk_err', 'bad-checksum', '(VI_1) Invalid VRRPv3 checksum from fe80::2'),
  },

  // --- 5.2.2 type, 7.1 VRID ----------------------------------------------------------------
  ...both((f) => ({
    rule: '5.2.2 type: type 2 is dropped',
    spec: { advert: { type: 2 } },
    expect: drop(
      'invalid_type_rcvd',
      'not-advertisement',
      `(VI_1) Invalid packet type from ${PEER[f]}. 2 and expect 1`,
    ),
  })),
  ...both((f) => ({
    rule: '7.1 VRID: another VRID is dropped',
    spec: { advert: { vrid: 52 } },
    expect: drop('vrid_err', 'vrid-mismatch', `(VI_1) wrong VRID from ${PEER[f]}. Received 52 and expect 51`),
  })),

  // --- Max Adver Int ------------------------------------------------------------------------
  ...both(() => ({
    rule: 'interval: a different Max Adver Int is accepted, logged, and handed on to be learned',
    spec: { advert: { maxAdvertIntCs: 50 } },
    expect: accept(
      ['advert_rcvd'],
      [
        {
          error: 'adv-interval-mismatch',
          message: "(VI_1) advertisement interval mismatch ours = 100 centi-sec rcv'd=50 centi-sec",
        },
      ],
      50,
    ),
  })),
  ...both((f) => ({
    rule: 'interval: Max Adver Int 0 is dropped',
    spec: { advert: { maxAdvertIntCs: 0 } },
    expect: drop(
      'advert_interval_err',
      'invalid-adv-interval',
      `(VI_1) advertisement interval 0 centi-sec from ${PEER[f]} is invalid`,
    ),
  })),
  {
    rule: 'interval: the reserved bits are ignored',
    family: 'inet',
    spec: { advert: { reserved: 0xf } },
    expect: accept(['advert_rcvd']),
  },

  // --- keepalived: destination and unicast source -------------------------------------------
  ...both((f) => ({
    rule: 'keepalived: a unicast advert to a multicast instance is dropped',
    spec: { ip: { destination: f === 'inet' ? '10.77.0.1' : 'fe80::1' } },
    expect: drop(
      'addr_list_err',
      'uni-multicast',
      `(VI_1) Expected multicast packet but received unicast packet from ${PEER[f]}`,
    ),
  })),
  {
    rule: 'keepalived: check_unicast_src drops an IPv6 source that is not a peer',
    family: 'inet6',
    spec: { ip: { destination: 'fe80::1' } },
    params: {
      multicast: false,
      checkUnicastSrc: true,
      unicastPeers: [{ address: 'fe80::3', minTtl: 0, maxTtl: 255 }],
    },
    expect: drop(
      'addr_list_err',
      'unknown-unicast-src',
      '(VI_1) unicast source address fe80::2 not a unicast peer',
    ),
  },
  {
    rule: 'keepalived: a unicast peer hop limit outside min_ttl..max_ttl is dropped',
    family: 'inet6',
    spec: { ip: { destination: 'fe80::1', ttl: 60 } },
    params: {
      multicast: false,
      checkUnicastSrc: true,
      unicastPeers: [{ address: 'fe80::2', minTtl: 250, maxTtl: 255 }],
    },
    expect: drop('ip_ttl_err', 'ttl-not-in-range', '(VI_1) TTL/HL 60 from fe80::2 not in range [250, 255]'),
  },

  // --- RFC 9568 7.1: address list ---------------------------------------------------------
  ...both((f) => ({
    rule: 'RFC 9568: a different count is accepted, counted and logged',
    spec: { advert: { addresses: VIPS[f].slice(0, 1) } },
    expect: accept(
      ['advert_rcvd', 'addr_list_err'],
      [{ error: 'wrong-addr-count', message: '(VI_1) expected 2 VIPs but received 1' }],
    ),
  })),
  ...both((f) => ({
    rule: 'RFC 9568: a different VIP is accepted, counted and logged',
    spec: { advert: { addresses: [VIPS[f][0], f === 'inet' ? '10.77.0.102' : '2001:db8::102'] } },
    expect: accept(
      ['advert_rcvd', 'addr_list_err'],
      [
        {
          error: 'vips-mismatch',
          message: `(VI_1) ip address associated with VRID 51 not present in advert from ${PEER[f]}: ${VIPS[f][1]}`,
        },
      ],
    ),
  })),
  {
    rule: 'address list: IPv6 VIPs in another order match',
    family: 'inet6',
    spec: { advert: { addresses: ['2001:db8::101', '2001:db8::100'] } },
    expect: accept(['advert_rcvd']),
  },
  {
    rule: 'address list: skip_check_adv_addr for a known master skips the compare, not the count',
    family: 'inet6',
    spec: { advert: { addresses: ['2001:db8::100', '2001:db8::102'] } },
    checkAddresses: false,
    expect: accept(['advert_rcvd']),
  },
  {
    rule: 'interval and address list both differ: two lines, interval first',
    family: 'inet',
    spec: { advert: { maxAdvertIntCs: 10, addresses: [] } },
    expect: accept(
      ['advert_rcvd', 'addr_list_err'],
      [
        {
          error: 'adv-interval-mismatch',
          message: "(VI_1) advertisement interval mismatch ours = 100 centi-sec rcv'd=10 centi-sec",
        },
        { error: 'wrong-addr-count', message: '(VI_1) expected 2 VIPs but received 0' },
      ],
      10,
    ),
  },
  ...both(() => ({
    rule: 'priority 0 is accepted and counted',
    spec: { advert: { priority: 0 } },
    expect: accept(['advert_rcvd', 'pri_zero_rcvd']),
  })),

  // --- order ------------------------------------------------------------------------------
  {
    rule: 'order: bad hop limit before a bad version',
    family: 'inet6',
    spec: { ip: { ttl: 1 }, advert: { version: 2 } },
    expect: drop(
      'ip_ttl_err',
      'invalid-ttl',
      '(VI_1) invalid TTL/HL from fe80::2. Received 1 and expect 255',
    ),
  },
  {
    rule: 'order: bad checksum before a bad VRID',
    family: 'inet',
    spec: { advert: { vrid: 9 }, mutate: (b) => ((b[27] = b[27]! ^ 1), b) },
    expect: drop('chk_err', 'bad-checksum', '(VI_1) Invalid VRRPv3 checksum from 10.77.0.2'),
  },
];

describe('validateAdvertV3 ledger (RFC 5798 section 7.1, RFC 9568)', () => {
  it.each(LEDGER.map((r) => [`${r.family}: ${r.rule}`, r] as const))('%s', (_rule, row) => {
    const verdict = validateAdvertV3(packet(row.family, row.spec), params(row.family, row.params), {
      checkAddresses: row.checkAddresses ?? true,
    });
    expect(verdict).toEqual(row.expect);
  });

  it('a real VRRPv2 advert (keepalived 2.2.7 capture) to a VRRPv3 instance is a version error', () => {
    const v2 = encodeIpv4Packet(
      { source: '10.77.0.2', destination: '224.0.0.18' },
      encodeAdvert({
        version: 2,
        type: 1,
        vrid: 51,
        priority: 100,
        authType: 1,
        advertInt: 1,
        addresses: VIPS.inet,
        authData: passwordAuthData('secret'),
      }),
    );
    const d = decodePacketV3(v2, 'inet');
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(validateAdvertV3(d.value, params('inet'), { checkAddresses: true })).toEqual(
      drop('vers_err', 'wrong-version', '(VI_1) wrong VRRP version from 10.77.0.2. Received 2 and expect 3'),
    );
  });

  it('keepalived 2.2.7 golden adverts are accepted by a matching instance', () => {
    for (const g of GOLDEN_ADVERTS_V3) {
      const d = decodePacketV3(Buffer.from(g.ipHex, 'hex'), g.family);
      expect(d.ok).toBe(true);
      if (!d.ok) continue;
      const verdict = validateAdvertV3(
        d.value,
        params(g.family, {
          vrid: g.expect.vrid,
          vipAddresses: g.expect.addresses,
          advertIntCs: g.expect.maxAdvertIntCs,
        }),
        { checkAddresses: true },
      );
      expect(verdict).toEqual(
        accept(
          g.expect.priority === 0 ? ['advert_rcvd', 'pri_zero_rcvd'] : ['advert_rcvd'],
          [],
          g.expect.maxAdvertIntCs,
        ),
      );
    }
  });

  it('a raw-socket IPv6 payload validates as the whole packet does', () => {
    const whole = packet('inet6');
    const r = encodeIpPacketV3(
      { family: 'inet6', source: 'fe80::2', destination: 'ff02::12' },
      { ...whole.advert },
    );
    if (!r.ok) throw new Error(r.error);
    const raw = decodeMessageV3(r.value.subarray(40), {
      family: 'inet6',
      source: 'fe80::2',
      destination: 'ff02::12',
      ttl: 255,
    });
    expect(raw.ok).toBe(true);
    if (!raw.ok) return;
    expect(validateAdvertV3(raw.value, params('inet6'), { checkAddresses: true })).toEqual(
      accept(['advert_rcvd']),
    );
    const low = decodeMessageV3(r.value.subarray(40), {
      family: 'inet6',
      source: 'fe80::2',
      destination: 'ff02::12',
      ttl: 254,
    });
    expect(low.ok && validateAdvertV3(low.value, params('inet6'), { checkAddresses: true }).kind).toBe(
      'drop',
    );
  });

  it('every dropped outcome names one counter', () => {
    for (const row of LEDGER) if (row.expect.kind === 'drop') expect(row.expect.counters.length).toBe(1);
  });
});

describe('VRRPv3 timers (RFC 5798 section 6.1, keepalived vrrp.h VRRP_TIMER_SKEW_CALC)', () => {
  it.each([
    // priority, Master_Adver_Interval cs, Skew_Time us, Master_Down_Interval us
    [100, 1, 6093, 36093],
    [100, 100, 609375, 3609375],
    [254, 1, 78, 30078],
    [1, 4095, 40790039, 163640039],
  ])('priority %i, interval %i cs: skew %i us, master down %i us', (prio, cs, skew, down) => {
    expect(skewTimeUs(prio, cs)).toBe(skew);
    expect(masterDownIntervalUs(prio, cs)).toBe(down);
  });

  it('down_timer_adverts scales the interval part only', () => {
    expect(masterDownIntervalUs(100, 10, 5)).toBe(5 * 100_000 + skewTimeUs(100, 10));
  });
});
