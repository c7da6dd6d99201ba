/**
 * auth_hmac (keepalived 2.4.2+ wire format): keepalived's own wire-level test, reproduced.
 * The fixtures are the vectors of keepalived v2.4.3 test/auth_hmac_test.c (the draft appendix
 * images): key 00..1f, VRID 51, priority 200, sequence 0x6800000080000000.
 */
import { describe, expect, it } from 'vitest';
import {
  checkTrailer,
  clockSequence,
  emptyReceiveState,
  nextSequence,
  signTrailer,
  type AuthHmacInput,
  type AuthHmacParams,
  type AuthHmacResult,
} from '../../../src/vrrp/auth-hmac.js';
import { defaultTimeWindow } from '../../../src/config/auth-hmac-key.js';
import { hmacSha256 } from '../../../src/net/hmac.js';
import { encodeAdvertV3 } from '../../../src/vrrp/packet-v3.js';
import { internetChecksum } from '../../../src/util/checksum.js';
import { ipv6Bytes } from '../../../src/util/ipv6-header.js';

// keepalived v2.4.3 test/auth_hmac_test.c: ipv4_vec and ipv6_vec.
const IPV4_VEC = '3133c80100644402c0000264' + '010100006800000080000000' + '1b84bc4e8e43892dc6d98448f8ee2265';
const IPV6_VEC =
  '3133c8010064a2e9' +
  'fe800000000000000000000000000100' +
  '010100006800000080000000' +
  'c8c56146ebfd66ee10ec4d8186461b78';
const MSG4_LEN = 12;
const MSG6_LEN = 24;
const SEQ = 0x6800000080000000n;
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

const params = (over: Partial<AuthHmacParams> = {}): AuthHmacParams => ({
  keys: new Map([[1, KEY]]),
  activeKey: 1,
  mode: 'enforce',
  antiReplay: 'time',
  timeWindowSec: 5,
  ...over,
});
const monotonic = params({ antiReplay: 'monotonic' });

const v6 = (bytes: Buffer, over: Partial<AuthHmacInput> = {}): AuthHmacInput => ({
  family: 'inet6',
  version: 3,
  vrid: 51,
  source: 'fe80::10',
  message: bytes.subarray(0, MSG6_LEN),
  ...over,
});
const v6Trailer = (bytes: Buffer): Buffer => bytes.subarray(MSG6_LEN);

/** verify() of the C test: a fresh receiver (unicast slot) at time `now`. */
function verify(
  input: AuthHmacInput,
  trailer: Uint8Array,
  p: AuthHmacParams = monotonic,
  now = Math.floor(Date.now() / 1000),
): AuthHmacResult {
  return checkTrailer(hmacSha256, input, trailer, p, now, emptyReceiveState(), true).result;
}

describe('auth_hmac vectors (keepalived test/auth_hmac_test.c)', () => {
  it('signs the IPv4 appendix image byte for byte', () => {
    const image = Buffer.from(IPV4_VEC, 'hex');
    // The v3 IPv4 message with the RFC 9568 message-only checksum (v3_checksum_as_v2 form).
    const message = encodeAdvertV3(
      {
        version: 3,
        type: 1,
        vrid: 51,
        priority: 200,
        maxAdvertIntCs: 100,
        reserved: 0,
        addresses: ['192.0.2.100'],
      },
      { family: 'inet', source: '198.51.100.10', destination: '224.0.0.18', mode: 'as-v2' },
    );
    expect(message.ok).toBe(true);
    if (!message.ok) return;
    expect(message.value.toString('hex')).toBe(image.subarray(0, MSG4_LEN).toString('hex'));
    const input: AuthHmacInput = {
      family: 'inet',
      version: 3,
      vrid: 51,
      source: '198.51.100.10',
      message: message.value,
    };
    const trailer = signTrailer(hmacSha256, input, params(), SEQ);
    expect(Buffer.concat([message.value, trailer]).toString('hex')).toBe(IPV4_VEC);
    expect(verify(input, image.subarray(MSG4_LEN))).toBe('ok');
  });

  it('signs the IPv6 appendix image byte for byte, the kernel checksum covering the trailer', () => {
    const image = Buffer.from(IPV6_VEC, 'hex');
    const message = Buffer.from(image.subarray(0, MSG6_LEN));
    message.writeUInt16BE(0, 6); // vrrp.c: checksum 0, sign, then the kernel's checksum
    const trailer = signTrailer(hmacSha256, v6(message), params(), SEQ);
    const signed = Buffer.concat([message, trailer]);
    // IPV6_CHECKSUM offset 6: the transport checksum for destination fe80::20 over the payload.
    const pseudo = Buffer.alloc(40);
    pseudo.set(ipv6Bytes('fe80::10')!, 0);
    pseudo.set(ipv6Bytes('fe80::20')!, 16);
    pseudo.writeUInt32BE(signed.length, 32);
    pseudo[39] = 112;
    signed.writeUInt16BE(internetChecksum(Buffer.concat([pseudo, signed])), 6);
    expect(signed.toString('hex')).toBe(IPV6_VEC);
    expect(verify(v6(image), v6Trailer(image))).toBe('ok');
  });

  // One flipped byte per case against the IPv6 image (mutations[] of the C test).
  const TRAILER = (field: number) => MSG6_LEN + field;
  const mutations: [string, number, AuthHmacResult][] = [
    ['tampered priority', 2, 'bad-hmac'],
    ['tampered advert interval', 5, 'bad-hmac'],
    ['tampered checksum', 6, 'ok'],
    ['tampered vip', 8 + 15, 'bad-hmac'],
    ['unsupported ext type', TRAILER(0), 'malformed'],
    ['unknown key id', TRAILER(1), 'unknown-key'],
    ['nonzero reserved', TRAILER(2), 'malformed'],
    ['tampered seconds', TRAILER(4), 'bad-hmac'],
    ['tampered counter', TRAILER(10), 'bad-hmac'],
    ['tampered hmac', TRAILER(12), 'bad-hmac'],
  ];
  for (const [what, off, expected] of mutations) {
    it(`${what} -> ${expected}`, () => {
      const buf = Buffer.from(IPV6_VEC, 'hex');
      buf[off]! ^= 0x01;
      expect(verify(v6(buf), v6Trailer(buf))).toBe(expected);
    });
  }

  it('binds the source address and the VRID', () => {
    const img = Buffer.from(IPV6_VEC, 'hex');
    expect(verify(v6(img, { source: 'fe80::20' }), v6Trailer(img))).toBe('bad-hmac');
    expect(verify(v6(img, { vrid: 52 }), v6Trailer(img))).toBe('bad-hmac');
    expect(verify(v6(img, { version: 2 }), v6Trailer(img))).toBe('bad-hmac');
  });
});

describe('auth_hmac sequence and anti-replay', () => {
  const now = 1_800_000_000;
  const message = Buffer.from(IPV6_VEC, 'hex').subarray(0, MSG6_LEN);

  it('packs the clock as seconds and a 1/65536 fraction, counter clear', () => {
    expect(clockSequence(now * 1000 + 500)).toBe((BigInt(now) << 32n) | (0x8000n << 16n));
  });

  it('grows past the clock by one when the clock has not moved', () => {
    const a = nextSequence(0n, now * 1000, params());
    expect(a).toBe(BigInt(now) << 32n);
    expect(nextSequence(a, now * 1000, params())).toBe(a + 1n);
  });

  it('time mode restarts a stranded future sequence from the clock (2.4.3); monotonic keeps growth', () => {
    const stranded = BigInt(now + 3600) << 32n;
    expect(nextSequence(stranded, now * 1000, params())).toBe(BigInt(now) << 32n);
    expect(nextSequence(stranded, now * 1000, monotonic)).toBe(stranded + 1n);
  });

  it('sheds stale and future timestamps before the HMAC', () => {
    const stale = signTrailer(hmacSha256, v6(message), params(), BigInt(now - 100) << 32n);
    expect(
      checkTrailer(hmacSha256, v6(message), stale, params(), now, emptyReceiveState(), true),
    ).toMatchObject({
      result: 'stale',
      skew: 100,
    });
    const future = signTrailer(hmacSha256, v6(message), params(), BigInt(now + 100) << 32n);
    expect(
      checkTrailer(hmacSha256, v6(message), future, params(), now, emptyReceiveState(), true).result,
    ).toBe('stale');
    // the window's edge is inside it
    const edge = signTrailer(hmacSha256, v6(message), params(), BigInt(now - 5) << 32n);
    expect(checkTrailer(hmacSha256, v6(message), edge, params(), now, emptyReceiveState(), true).result).toBe(
      'ok',
    );
  });

  it('rejects a replayed trailer from a known sender and keeps one mark per peer', () => {
    const t = signTrailer(hmacSha256, v6(message), params(), BigInt(now) << 32n);
    const first = checkTrailer(hmacSha256, v6(message), t, params(), now, emptyReceiveState(), true);
    expect(first.result).toBe('ok');
    expect(checkTrailer(hmacSha256, v6(message), t, params(), now, first.state, true).result).toBe('replay');
    // the same copy at a second receiver is fresh
    expect(checkTrailer(hmacSha256, v6(message), t, params(), now, emptyReceiveState(), true).result).toBe(
      'ok',
    );
    const later = signTrailer(hmacSha256, v6(message), params(), (BigInt(now) << 32n) + 1n);
    expect(checkTrailer(hmacSha256, v6(message), later, params(), now, first.state, true).result).toBe('ok');
  });

  it('expires a mark stranded past the window (2.4.3); monotonic keeps it', () => {
    const t = signTrailer(hmacSha256, v6(message), params(), BigInt(now) << 32n);
    const stranded = {
      ...emptyReceiveState(),
      peers: new Map([['fe80::10', { valid: true, seq: BigInt(now + 3600) << 32n }]]),
    };
    const r = checkTrailer(hmacSha256, v6(message), t, params(), now, stranded, true);
    expect(r.result).toBe('ok');
    expect(checkTrailer(hmacSha256, v6(message), t, params(), now, r.state, true).result).toBe('replay');
    expect(checkTrailer(hmacSha256, v6(message), t, monotonic, now, stranded, true).result).toBe('replay');
  });

  it('keeps multicast senders in four slots, evicting the least recently used', () => {
    const p = params();
    let state = emptyReceiveState();
    const seq = BigInt(now) << 32n;
    const from = (n: number) => `fe80::${n}`;
    const signed = (n: number) => signTrailer(hmacSha256, v6(message, { source: from(n) }), p, seq);
    for (const n of [1, 2, 3, 4])
      state = checkTrailer(
        hmacSha256,
        v6(message, { source: from(n) }),
        signed(n),
        p,
        now,
        state,
        false,
      ).state;
    // 1..4 are known: a replay from 1 is refused (and makes 1 the most recent)
    const again = checkTrailer(hmacSha256, v6(message, { source: from(1) }), signed(1), p, now, state, false);
    expect(again.result).toBe('replay');
    // a fifth sender evicts 2, the least recently used
    state = checkTrailer(
      hmacSha256,
      v6(message, { source: from(5) }),
      signed(5),
      p,
      now,
      again.state,
      false,
    ).state;
    expect(
      checkTrailer(hmacSha256, v6(message, { source: from(2) }), signed(2), p, now, state, false).result,
    ).toBe('ok');
    expect(
      checkTrailer(hmacSha256, v6(message, { source: from(1) }), signed(1), p, now, state, false).result,
    ).toBe('replay');
  });

  it('verifies with whichever configured key the trailer names (rotation)', () => {
    const key2 = Uint8Array.from({ length: 40 }, (_, i) => 0xa0 + i);
    const both = params({
      keys: new Map([
        [1, KEY],
        [2, key2],
      ]),
      activeKey: 2,
    });
    const t = signTrailer(hmacSha256, v6(message), both, BigInt(now) << 32n);
    expect(t[1]).toBe(2);
    expect(verify(v6(message), t, both, now)).toBe('ok');
    expect(verify(v6(message), t, params(), now)).toBe('unknown-key');
    expect(verify(v6(message), t, params({ keys: new Map([[2, KEY]]) }), now)).toBe('bad-hmac');
  });

  it('derives the window from the advert interval: max(3 x advert_int, 5), at most 300', () => {
    expect(defaultTimeWindow(1)).toBe(5);
    expect(defaultTimeWindow(3)).toBe(9);
    expect(defaultTimeWindow(200)).toBe(300);
  });
});
