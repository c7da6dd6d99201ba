// Receive validation ledger: one row per RFC 3768 section 7.1 rule (and keepalived's additions),
// positive and negative, with the counter each outcome bumps and keepalived's log wording.
import { describe, expect, it } from 'vitest';
import { passwordAuthData } from '../../../src/vrrp/packet.js';
import {
  isEthernetPadding,
  unknownVridLogLine,
  validateAdvert,
  type Verdict,
} from '../../../src/vrrp/validate.js';
import type { InstanceParams } from '../../../src/vrrp/params.js';
import { instanceParams, packet, type PacketSpec } from './support.js';

interface Row {
  readonly rule: string;
  readonly spec: PacketSpec;
  readonly params?: Partial<InstanceParams>;
  readonly checkAddresses?: boolean;
  readonly expect: Verdict;
}

const accept = (counters: Verdict['counters'], log: Verdict['log'] = null): Verdict => ({
  kind: 'accept',
  counters,
  log,
});
const drop = (counter: Verdict['counters'][number] | null, error: string, message: string): Verdict =>
  ({ kind: 'drop', counters: counter ? [counter] : [], log: { error, message } }) as Verdict;

/** Appends `n` zero bytes (Ethernet padding) or trims, keeping IP total length as sent. */
const pad = (n: number) => (b: Buffer) => Buffer.concat([b, Buffer.alloc(n)]);

const LEDGER: readonly Row[] = [
  // --- a valid advert ---------------------------------------------------------------------
  { rule: 'valid advert is accepted and counted', spec: {}, expect: accept(['advert_rcvd']) },

  // --- 7.1 "MUST verify that the IP TTL is 255" ----------------------------------------------
  {
    rule: '7.1 TTL 255: TTL 64 multicast is dropped',
    spec: { ip: { ttl: 64 } },
    expect: drop(
      'ip_ttl_err',
      'invalid-ttl',
      '(VI_1) invalid TTL/HL from 10.77.0.2. Received 64 and expect 255',
    ),
  },
  {
    rule: '7.1 TTL 255: unicast without a TTL range does not check TTL (keepalived)',
    spec: { ip: { ttl: 64, destination: '10.77.0.1' } },
    params: { multicast: false, unicastPeers: [{ address: '10.77.0.2', minTtl: 0, maxTtl: 255 }] },
    expect: accept(['advert_rcvd']),
  },

  // --- 7.1 "MUST verify the VRRP version is 2" -----------------------------------------------
  {
    rule: '7.1 version: version 3 is dropped',
    spec: { advert: { version: 3 } },
    expect: drop(
      'vers_err',
      'wrong-version',
      '(VI_1) wrong VRRP version from 10.77.0.2. Received 3 and expect 2',
    ),
  },

  // --- 7.1 "MUST verify that the received packet contains the complete VRRP packet" ----------
  {
    rule: '7.1 complete packet: one auth byte missing is dropped',
    spec: { mutate: (b) => b.subarray(0, b.length - 1) },
    expect: drop(
      'packet_len_err',
      'incomplete-packet',
      '(VI_1) vrrp packet from 10.77.0.2 too short, length 43 and expect 44',
    ),
  },
  {
    rule: '7.1 complete packet: 4 trailing bytes are dropped',
    spec: { mutate: pad(4) },
    expect: drop(
      'packet_len_err',
      'incomplete-packet',
      '(VI_1) vrrp packet from 10.77.0.2 too long, length 48 and expect 44',
    ),
  },
  {
    rule: '7.1 complete packet: Ethernet minimum-frame padding (44 -> 46 bytes) is tolerated',
    spec: { mutate: pad(2) },
    expect: accept(['advert_rcvd']),
  },
  {
    rule: '7.1 complete packet: IP total length disagreeing with the bytes received is dropped',
    spec: {
      mutate: (b) => {
        b.writeUInt16BE(48, 2);
        return b;
      },
    },
    expect: drop(
      'packet_len_err',
      'bad-length',
      '(VI_1) ip_tot_len mismatch against received length from 10.77.0.2. 48 and received 44',
    ),
  },

  // --- 7.1 "MUST verify the VRRP checksum" ---------------------------------------------------
  {
    rule: '7.1 checksum: a corrupted checksum is dropped',
    spec: {
      mutate: (b) => {
        b[27] = b[27]! ^ 0xff;
        return b;
      },
    },
    expect: drop('chk_err', 'bad-checksum', '(VI_1) Invalid VRRPv2 checksum from 10.77.0.2'),
  },

  // --- 5.3.2 type ------------------------------------------------------------------------------
  {
    rule: '5.3.2 type: type 2 is dropped',
    spec: { advert: { type: 2 } },
    expect: drop(
      'invalid_type_rcvd',
      'not-advertisement',
      '(VI_1) Invalid packet type from 10.77.0.2. 2 and expect 1',
    ),
  },

  // --- 7.1 "MUST verify that the VRID is configured" ----------------------------------------
  {
    rule: '7.1 VRID: another VRID is dropped',
    spec: { advert: { vrid: 52 } },
    expect: drop('vrid_err', 'vrid-mismatch', '(VI_1) wrong VRID from 10.77.0.2. Received 52 and expect 51'),
  },

  // --- 7.1 "MUST verify that the Auth Type matches ... and perform that authentication" ------
  {
    rule: '7.1 auth: unknown auth type 3 is dropped',
    spec: { advert: { authType: 3 } },
    expect: drop('invalid_authtype', 'bad-auth-type', '(VI_1) Invalid auth type from 10.77.0.2: 3'),
  },
  {
    rule: '7.1 auth: no auth against our PASS is dropped',
    spec: { advert: { authType: 0, authData: new Uint8Array(8) } },
    expect: drop('authtype_mismatch', 'wrong-auth', '(VI_1) received a 0 auth from 10.77.0.2, expecting 1!'),
  },
  {
    rule: '7.1 auth: PASS against our none is dropped',
    spec: {},
    params: { auth: { type: 'none' } },
    expect: drop('authtype_mismatch', 'wrong-auth', '(VI_1) received a 1 auth from 10.77.0.2, expecting 0!'),
  },
  {
    rule: '7.1 auth: a wrong password is dropped',
    spec: { advert: { authData: passwordAuthData('secreT') } },
    expect: drop('auth_failure', 'wrong-auth-passwd', '(VI_1) received an invalid passwd from 10.77.0.2!'),
  },
  {
    rule: '7.1 auth: passwords differing only past 8 characters match (both truncated)',
    spec: { advert: { authData: passwordAuthData('12345678abc') } },
    params: { auth: { type: 'pass', authData: passwordAuthData('12345678xyz') } },
    expect: accept(['advert_rcvd']),
  },
  {
    rule: '7.1 auth: no auth on both sides is accepted',
    spec: { advert: { authType: 0, authData: new Uint8Array(8) } },
    params: { auth: { type: 'none' } },
    expect: accept(['advert_rcvd']),
  },
  {
    rule: '7.1 auth: AH configured, a protocol-112 advert lacks the AH header',
    spec: {},
    params: { auth: { type: 'ah' } },
    expect: drop('authtype_mismatch', 'wrong-auth', '(VI_1) No AH header but auth type is AH from 10.77.0.2'),
  },

  // --- 7.1 "MUST verify that the Adver Interval in the packet is the same" ------------------
  {
    rule: '7.1 interval: 2 s against our 1 s is dropped and logged',
    spec: { advert: { advertInt: 2 } },
    expect: drop(
      'advert_interval_err',
      'adv-interval-mismatch',
      "(VI_1) advertisement interval mismatch with 10.77.0.2 mine=1 sec rcv'd=2 sec",
    ),
  },

  // --- keepalived: destination and unicast source ------------------------------------------
  {
    rule: 'keepalived: a unicast advert to a multicast instance is dropped',
    spec: { ip: { destination: '10.77.0.1' } },
    expect: drop(
      'addr_list_err',
      'uni-multicast',
      '(VI_1) Expected multicast packet but received unicast packet from 10.77.0.2',
    ),
  },
  {
    rule: 'keepalived: check_unicast_src drops a source that is not a peer',
    spec: { ip: { destination: '10.77.0.1' } },
    params: {
      multicast: false,
      checkUnicastSrc: true,
      unicastPeers: [{ address: '10.77.0.3', minTtl: 0, maxTtl: 255 }],
    },
    expect: drop(
      'addr_list_err',
      'unknown-unicast-src',
      '(VI_1) unicast source address 10.77.0.2 not a unicast peer',
    ),
  },
  {
    rule: 'keepalived: a unicast peer TTL outside min_ttl..max_ttl is dropped',
    spec: { ip: { destination: '10.77.0.1', ttl: 60 } },
    params: {
      multicast: false,
      checkUnicastSrc: true,
      unicastPeers: [{ address: '10.77.0.2', minTtl: 250, maxTtl: 255 }],
    },
    expect: drop('ip_ttl_err', 'ttl-not-in-range', '(VI_1) TTL/HL 60 from 10.77.0.2 not in range [250, 255]'),
  },

  // --- 7.1 "MAY verify that Count IP Addrs and the list of IP Address(es) matches" ----------
  {
    rule: '7.1 address list: a different count is accepted, counted and logged (keepalived >= 2.3.3)',
    spec: { advert: { addresses: ['10.77.0.100'] } },
    expect: accept(['advert_rcvd', 'addr_list_err'], {
      error: 'wrong-addr-count',
      message: '(VI_1) expected 2 VIPs but received 1',
    }),
  },
  {
    rule: '7.1 address list: a different VIP is accepted, counted and logged',
    spec: { advert: { addresses: ['10.77.0.100', '10.77.0.102'] } },
    expect: accept(['advert_rcvd', 'addr_list_err'], {
      error: 'vips-mismatch',
      message: '(VI_1) ip address associated with VRID 51 not present in advert from 10.77.0.2: 10.77.0.101',
    }),
  },
  {
    rule: '7.1 address list: VIPs in another order match',
    spec: { advert: { addresses: ['10.77.0.101', '10.77.0.100'] } },
    expect: accept(['advert_rcvd']),
  },
  {
    rule: '7.1 address list: skip_check_adv_addr for a known master skips the VIP compare',
    spec: { advert: { addresses: ['10.77.0.100', '10.77.0.102'] } },
    checkAddresses: false,
    expect: accept(['advert_rcvd']),
  },

  // --- counting priority 0 ----------------------------------------------------------------
  {
    rule: 'priority 0 is accepted and counted',
    spec: { advert: { priority: 0 } },
    expect: accept(['advert_rcvd', 'pri_zero_rcvd']),
  },

  // --- order of checks (RFC 7.1 order: TTL, version, length, checksum, type, VRID, auth, interval)
  {
    rule: 'order: bad TTL is reported before a bad version',
    spec: { ip: { ttl: 1 }, advert: { version: 3 } },
    expect: drop(
      'ip_ttl_err',
      'invalid-ttl',
      '(VI_1) invalid TTL/HL from 10.77.0.2. Received 1 and expect 255',
    ),
  },
  {
    rule: 'order: bad checksum is reported before a bad VRID',
    spec: {
      advert: { vrid: 9 },
      mutate: (b) => {
        b[27] = b[27]! ^ 1;
        return b;
      },
    },
    expect: drop('chk_err', 'bad-checksum', '(VI_1) Invalid VRRPv2 checksum from 10.77.0.2'),
  },
  {
    rule: 'order: a wrong password is reported before an interval mismatch',
    spec: { advert: { advertInt: 5, authData: passwordAuthData('nope') } },
    expect: drop('auth_failure', 'wrong-auth-passwd', '(VI_1) received an invalid passwd from 10.77.0.2!'),
  },
];

describe('validateAdvert ledger (RFC 3768 section 7.1)', () => {
  it.each(LEDGER.map((r) => [r.rule, r] as const))('%s', (_rule, row) => {
    const verdict = validateAdvert(packet(row.spec), instanceParams(row.params), {
      checkAddresses: row.checkAddresses ?? true,
    });
    expect(verdict).toEqual(row.expect);
  });

  it('every dropped outcome names a counter', () => {
    for (const row of LEDGER) if (row.expect.kind === 'drop') expect(row.expect.counters.length).toBe(1);
  });
});

describe('isEthernetPadding', () => {
  it('accepts the pad of a short frame up to the 46-byte minimum and rejects other sizes', () => {
    expect(isEthernetPadding(44, 46)).toBe(true);
    expect(isEthernetPadding(40, 46)).toBe(true); // untagged frame padded to 60
    expect(isEthernetPadding(40, 42)).toBe(true); // VLAN-tagged frame: the stripped tag took 4 bytes
    expect(isEthernetPadding(40, 44)).toBe(false); // 4 extra bytes can never be padding
    expect(isEthernetPadding(44, 45)).toBe(false);
    expect(isEthernetPadding(48, 50)).toBe(false); // not a short frame
    expect(isEthernetPadding(44, 44)).toBe(false);
  });
});

describe('unknownVridLogLine', () => {
  it('uses keepalived wording', () => {
    expect(unknownVridLogLine(52, 'eth0')).toBe('Unknown VRID(52) received on interface(eth0). ignoring...');
  });
});
