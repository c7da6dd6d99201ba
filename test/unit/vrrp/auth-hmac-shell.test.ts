/**
 * auth_hmac in the instance shell (keepalived 2.4 vrrp.c vrrp_send_adv / vrrp_check_packet /
 * vrrp_auth_ext_verify): the sent trailer, each mode, the counters and log lines of each
 * outcome, anti-replay, and key rotation by reload. Two shells with in-memory ports: what one
 * sends is what the other receives.
 */
import { describe, expect, it } from 'vitest';
import type { AuthHmacConfig, VrrpInstance } from '../../../src/config/model.js';
import { hmacSha256 } from '../../../src/net/hmac.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { VrrpInstanceShell } from '../../../src/vrrp/instance.js';
import { encodeAdvert, encodeIpv4Packet } from '../../../src/vrrp/packet.js';
import type { GarpSender, Notifier, VipManager, VrrpIo } from '../../../src/vrrp/ports.js';
import { paramsFromConfig } from '../../../src/vrrp/params.js';
import { vrrpStatsText } from '../../../src/vrrp/dumps.js';
import { globalDefs } from '../../support/config-model.js';
import { vip, vrrpInstance } from '../../support/vrrp-config.js';

const KEY1 = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const KEY2 = '101112131415161718191a1b1c1d1e1f000102030405060708090a0b0c0d0e0f';
const hmac = (over: Partial<AuthHmacConfig> = {}): AuthHmacConfig => ({
  keys: [{ id: 1, hex: KEY1 }],
  activeKey: 1,
  mode: 'enforce',
  antiReplay: 'time',
  timeWindow: 5,
  ...over,
});
const WALL = 1_800_000_000_000;
const globals = globalDefs({ vrrpCheckUnicastSrc: false });

function node(source: string, priority: number, authHmac: AuthHmacConfig | null, wall = () => WALL) {
  const config: VrrpInstance = vrrpInstance('VI_1', 51, {
    priority,
    authentication: null,
    authHmac,
    virtualIpaddresses: ['10.0.0.100/32'],
    vips: [vip('10.0.0.100')],
  });
  const sent: Buffer[] = [];
  let receive: (d: Buffer) => void = () => {};
  const io: VrrpIo = {
    sourceAddress: source,
    send: async (m) => void sent.push(Buffer.from(m)),
    onDatagram: (fn) => void (receive = fn),
    close: () => {},
  };
  const none = async () => ({ changed: [], errors: [] });
  const vips: VipManager = {
    addAddresses: none,
    removeAddresses: none,
    addRoutes: none,
    removeRoutes: none,
    addRules: none,
    removeRules: none,
  };
  const garp: GarpSender = { sendGarp: () => {} };
  const notifier: Notifier = { notify: async () => {} };
  const logger = new MemoryLogger();
  const clock = new ManualClock();
  const shell = new VrrpInstanceShell(config, paramsFromConfig(config, globals, source), {
    clock,
    io,
    vips,
    garp,
    notifier,
    logger,
    wallClock: wall,
    hmacSha256,
  });
  shell.start();
  const flush = () => new Promise((r) => setImmediate(r));
  return {
    shell,
    sent,
    logger,
    clock,
    flush,
    config,
    /** Delivers a message as the raw socket would: the IPv4 packet around it. */
    deliver: (from: string, message: Buffer) =>
      receive(encodeIpv4Packet({ source: from, destination: '224.0.0.18' }, message)),
  };
}

/** A lone node becomes MASTER after its down timer and adverts: its first advert message. */
async function advertOf(authHmac: AuthHmacConfig | null, wall = () => WALL): Promise<Buffer> {
  const a = node('10.0.0.1', 255, authHmac, wall);
  a.clock.advance(4000);
  await a.flush();
  expect(a.sent.length).toBeGreaterThan(0);
  return a.sent[0]!;
}

const plain = encodeAdvert({
  version: 2,
  type: 1,
  vrid: 51,
  priority: 200,
  authType: 0,
  advertInt: 1,
  addresses: ['10.0.0.100'],
  authData: new Uint8Array(8),
});

describe('auth_hmac in the instance shell', () => {
  it('signs each advert with a 28-byte trailer carrying the active key id and the wall-clock sequence', async () => {
    const m = await advertOf(hmac());
    expect(m.length).toBe(20 + 28);
    expect(m.subarray(0, 20).toString('hex')).toBe(
      Buffer.from(encodeAdvert({ ...decodeFields(m), authData: new Uint8Array(8) })).toString('hex'),
    );
    expect([m[20], m[21], m.readUInt16BE(22)]).toEqual([1, 1, 0]);
    expect(m.readUInt32BE(24)).toBe(WALL / 1000);
  });

  it('receive-only sends no trailer', async () => {
    expect((await advertOf(hmac({ mode: 'receive-only' }))).length).toBe(20);
  });

  it('accepts a valid trailer, refuses its replay (counted, logged once)', async () => {
    const m = await advertOf(hmac());
    const b = node('10.0.0.2', 100, hmac());
    b.deliver('10.0.0.1', m);
    expect(b.shell.status().counters.advert_rcvd).toBe(1);
    b.deliver('10.0.0.1', m);
    b.deliver('10.0.0.1', m);
    expect(b.shell.status().counters).toMatchObject({ advert_rcvd: 1, auth_ext_replay: 2 });
    expect(
      b.logger.messages().filter((l) => l === '(VI_1) replayed authentication trailer from 10.0.0.1'),
    ).toHaveLength(1);
  });

  it('enforce: a wrong key, an unknown key id, a missing trailer are refused and counted', async () => {
    const b = node('10.0.0.2', 100, hmac());
    b.deliver('10.0.0.1', await advertOf(hmac({ keys: [{ id: 1, hex: KEY2 }] })));
    b.deliver('10.0.0.1', await advertOf(hmac({ keys: [{ id: 7, hex: KEY1 }], activeKey: 7 })));
    b.deliver('10.0.0.1', plain);
    const c = b.shell.status().counters;
    expect(c).toMatchObject({
      advert_rcvd: 0,
      auth_ext_invalid_hmac: 1,
      auth_ext_unknown_key: 1,
      auth_ext_missing: 1,
    });
    expect(b.logger.messages()).toEqual(
      expect.arrayContaining([
        '(VI_1) invalid authentication HMAC from 10.0.0.1',
        '(VI_1) unknown authentication key id 7 from 10.0.0.1',
        '(VI_1) missing authentication trailer from 10.0.0.1',
      ]),
    );
  });

  it('permissive and receive-only accept a trailerless advert uncounted; a bad trailer still fails', async () => {
    for (const mode of ['permissive', 'receive-only'] as const) {
      const b = node('10.0.0.2', 100, hmac({ mode }));
      b.deliver('10.0.0.1', plain);
      b.deliver('10.0.0.1', await advertOf(hmac({ keys: [{ id: 1, hex: KEY2 }] })));
      expect(b.shell.status().counters).toMatchObject({
        advert_rcvd: 1,
        auth_ext_missing: 0,
        auth_ext_invalid_hmac: 1,
      });
    }
  });

  it('without auth_hmac a signed advert is too long (keepalived 2.2.7 and a node without the block)', async () => {
    const b = node('10.0.0.2', 100, null);
    b.deliver('10.0.0.1', await advertOf(hmac()));
    expect(b.shell.status().counters).toMatchObject({ advert_rcvd: 0, packet_len_err: 1 });
  });

  it('stale: a sender clock 100 s behind is refused with the skew; 3 s off is accepted with a warning', async () => {
    const b = node('10.0.0.2', 100, hmac());
    b.deliver('10.0.0.1', await advertOf(hmac(), () => WALL - 100_000));
    expect(b.shell.status().counters.auth_ext_stale).toBe(1);
    expect(b.logger.messages()).toContain(
      '(VI_1) stale authentication trailer from 10.0.0.1, clock skew 100 sec exceeds window 5 sec',
    );
    b.deliver('10.0.0.1', await advertOf(hmac(), () => WALL - 3000));
    expect(b.shell.status().counters.advert_rcvd).toBe(1);
    expect(b.logger.messages()).toContain(
      '(VI_1) authentication clock skew 3 sec from 10.0.0.1 approaching window 5 sec',
    );
  });

  it('rotation: a reload with a new active_key signs with it; the peer holding both keys accepts; the receive marks restart as keepalived builds the instance afresh', async () => {
    const both = [
      { id: 1, hex: KEY1 },
      { id: 2, hex: KEY2 },
    ];
    const a = node('10.0.0.1', 255, hmac({ keys: both }));
    a.clock.advance(4000);
    await a.flush();
    const b = node('10.0.0.2', 100, hmac({ keys: both }));
    const first = a.sent[0]!;
    b.deliver('10.0.0.1', first);
    const next = vrrpInstance('VI_1', 51, { ...a.config, authHmac: hmac({ keys: both, activeKey: 2 }) });
    a.shell.reconfigure(next, paramsFromConfig(next, globals, '10.0.0.1'), null);
    a.shell.advertNow();
    await a.flush();
    const rotated = a.sent[a.sent.length - 1]!;
    expect(rotated[21]).toBe(2);
    b.deliver('10.0.0.1', rotated);
    expect(b.shell.status().counters).toMatchObject({
      advert_rcvd: 2,
      auth_ext_unknown_key: 0,
      auth_ext_replay: 0,
    });
    // The sequence keeps growing across the reload: the clock has not moved, so the last plus one.
    expect(rotated.readUInt32BE(24)).toBe(first.readUInt32BE(24));
    expect(rotated.readUInt16BE(30)).toBe(first.readUInt16BE(30) + a.sent.length - 1);
    // b's own reload empties its marks: the replayed first advert is taken once more.
    b.deliver('10.0.0.1', first);
    expect(b.shell.status().counters.auth_ext_replay).toBe(1);
    const same = vrrpInstance('VI_1', 51, { ...b.config });
    b.shell.reconfigure(same, paramsFromConfig(same, globals, '10.0.0.2'), null);
    b.deliver('10.0.0.1', first);
    expect(b.shell.status().counters).toMatchObject({ advert_rcvd: 3, auth_ext_replay: 1 });
  });

  it('the stats dump shows the extension block for an auth_hmac instance only', () => {
    const counters = node('10.0.0.2', 100, hmac()).shell.status().counters;
    const text = vrrpStatsText([
      { name: 'VI_1', counters, authHmac: true },
      { name: 'VI_2', counters },
    ]);
    expect(text).toContain(
      '    Failure: 0\n  Authentication Extension Errors:\n    Missing: 0\n    Malformed: 0\n    Unknown Key: 0\n    Invalid HMAC: 0\n    Stale: 0\n    Replay: 0\n  Priority Zero:\n',
    );
    expect(text.split('Authentication Extension Errors').length).toBe(2);
  });
});

function decodeFields(m: Buffer) {
  return {
    version: m[0]! >> 4,
    type: m[0]! & 0x0f,
    vrid: m[1]!,
    priority: m[2]!,
    authType: m[4]!,
    advertInt: m[5]!,
    addresses: [`${m[8]}.${m[9]}.${m[10]}.${m[11]}`],
  };
}
