// The sticky-error attribute reader and the decoders built on it: the first failure in reading
// order is the one reported, with the same messages as an early return at each read.
import { describe, expect, it } from 'vitest';
import {
  AF_INET,
  IPVS_CMD_ATTR,
  IPVS_DEST_ATTR,
  IPVS_INFO_ATTR,
  IPVS_SVC_ATTR,
} from '../../../src/ipvs/constants.js';
import {
  decodeConfigMessage,
  decodeDaemonMessage,
  decodeDestAttrs,
  decodeInfoMessage,
  decodeServiceAttrs,
  decodeServiceMessage,
  decodeStats,
} from '../../../src/ipvs/messages.js';
import { AttrReader, NetlinkWriter } from '../../../src/ipvs/netlink-codec.js';
import { err, ok } from '../../../src/util/result.js';

const attrs = (build: (w: NetlinkWriter) => void): Buffer => {
  const w = new NetlinkWriter();
  build(w);
  return w.finish();
};
/** An attribute stream whose only attribute claims more bytes than there are. */
const overrun = Buffer.from([0x08, 0x00, 0x01, 0x00, 0x00]);
const addr4 = Buffer.from([10, 0, 0, 1, ...new Array<number>(12).fill(0)]);

describe('AttrReader', () => {
  it('reads typed attributes; absent ones are null', () => {
    const r = AttrReader.of(
      attrs((w) => {
        w.u8(1, 7);
        w.u16(2, 513);
        w.be16(3, 80);
        w.u32(4, 70000);
        w.u64(5, 2n ** 40n);
        w.string(6, 'wlc');
        w.bytes(7, Buffer.from([1, 2]));
      }),
    );
    expect([r.u8(1), r.u16(2), r.be16(3), r.u32(4), r.u64(5), r.string(6)]).toEqual([
      7,
      513,
      80,
      70000,
      2n ** 40n,
      'wlc',
    ]);
    expect(r.bytes(7)).toEqual(Buffer.from([1, 2]));
    expect([r.u32(9), r.string(9), r.bytes(9)]).toEqual([null, null, null]);
    expect(r.result('done')).toEqual(ok('done'));
  });

  it('a stream that does not parse is the first failure; reads then return null', () => {
    const r = AttrReader.of(overrun);
    expect(r.u8(1)).toBeNull();
    expect(r.bytes(1)).toBeNull();
    expect(r.result(1)).toEqual(err('nlattr type 1: length 8 overruns'));
  });

  it('keeps the first failure: a wrong size, a missing required attribute, a reported one', () => {
    const r = AttrReader.of(
      attrs((w) => {
        w.u8(1, 1);
        w.u32(2, 5);
      }),
    );
    expect(r.u16(1)).toBeNull(); // 1 byte where 2 are needed
    expect(r.need(r.u32(3), 'THREE')).toBe(0);
    expect(r.u32(2)).toBeNull(); // present, but reads stop after a failure
    expect(r.fail('later')).toEqual(err('attribute 1: u16 needs 2 bytes, got 1'));
    expect(r.result(0)).toEqual(err('attribute 1: u16 needs 2 bytes, got 1'));

    const missing = AttrReader.of(Buffer.alloc(0));
    expect(missing.need(missing.u16(1), 'IPVS_X')).toBe(0);
    expect(missing.stop()).toEqual(err('IPVS_X missing'));
  });

  it('take absorbs a nested decoder result; stop without a failure is a bug', () => {
    const r = AttrReader.of(Buffer.alloc(0));
    expect(r.take(ok(3))).toBe(3);
    expect(() => r.stop()).toThrow(/this is a bug/);
    expect(r.take(err('nested broke'))).toBeNull();
    expect(r.take(ok(4))).toBeNull();
    expect(r.result(null)).toEqual(err('nested broke'));
  });
});

describe('decoders report the first failure in reading order', () => {
  it('service: missing or unknown family, missing protocol, short address, short flags before a short timeout', () => {
    expect(decodeServiceAttrs(overrun)).toEqual(err('nlattr type 1: length 8 overruns'));
    expect(decodeServiceAttrs(Buffer.alloc(0))).toEqual(err('IPVS_SVC_ATTR_AF missing'));
    expect(decodeServiceAttrs(attrs((w) => w.u8(IPVS_SVC_ATTR.AF, 2)))).toEqual(
      err('attribute 1: u16 needs 2 bytes, got 1'),
    );
    expect(decodeServiceAttrs(attrs((w) => w.u16(IPVS_SVC_ATTR.AF, 3)))).toEqual(
      err('IPVS_SVC_ATTR_AF 3 unknown'),
    );
    expect(decodeServiceAttrs(attrs((w) => w.u16(IPVS_SVC_ATTR.AF, AF_INET)))).toEqual(
      err('IPVS_SVC_ATTR_PROTOCOL missing'),
    );
    const head = (w: NetlinkWriter) => {
      w.u16(IPVS_SVC_ATTR.AF, AF_INET);
      w.u16(IPVS_SVC_ATTR.PROTOCOL, 6);
    };
    expect(
      decodeServiceAttrs(
        attrs((w) => {
          head(w);
          w.bytes(IPVS_SVC_ATTR.ADDR, Buffer.from([10, 0]));
        }),
      ),
    ).toEqual(err('IPVS_SVC_ATTR_ADDR missing or short'));
    expect(
      decodeServiceAttrs(
        attrs((w) => {
          head(w);
          w.bytes(IPVS_SVC_ATTR.ADDR, addr4);
        }),
      ),
    ).toEqual(err('IPVS_SVC_ATTR_PORT missing'));
    expect(
      decodeServiceAttrs(
        attrs((w) => {
          head(w);
          w.bytes(IPVS_SVC_ATTR.ADDR, addr4);
          w.be16(IPVS_SVC_ATTR.PORT, 80);
          w.bytes(IPVS_SVC_ATTR.FLAGS, Buffer.from([1, 0]));
          w.u8(IPVS_SVC_ATTR.TIMEOUT, 1);
          w.bytes(IPVS_SVC_ATTR.NETMASK, Buffer.from([1]));
        }),
      ),
    ).toEqual(err('IPVS_SVC_ATTR_FLAGS short'));
  });

  it('destination: unknown family, unknown forwarding method, unknown tunnel type, a short counter', () => {
    expect(
      decodeDestAttrs(
        attrs((w) => w.u16(IPVS_DEST_ATTR.ADDR_FAMILY, 3)),
        'inet',
      ),
    ).toEqual(err('IPVS_DEST_ATTR_ADDR_FAMILY 3 unknown'));
    expect(decodeDestAttrs(Buffer.alloc(0), 'inet')).toEqual(err('IPVS_DEST_ATTR_ADDR missing or short'));
    const head = (w: NetlinkWriter) => {
      w.bytes(IPVS_DEST_ATTR.ADDR, addr4);
      w.be16(IPVS_DEST_ATTR.PORT, 80);
    };
    expect(
      decodeDestAttrs(
        attrs((w) => {
          head(w);
          w.u32(IPVS_DEST_ATTR.FWD_METHOD, 7);
        }),
        'inet',
      ),
    ).toEqual(err('IPVS_DEST_ATTR_FWD_METHOD 7 unknown'));
    expect(
      decodeDestAttrs(
        attrs((w) => {
          head(w);
          w.u32(IPVS_DEST_ATTR.FWD_METHOD, 2);
          w.u8(IPVS_DEST_ATTR.TUN_TYPE, 9);
        }),
        'inet',
      ),
    ).toEqual(err('IPVS_DEST_ATTR_TUN_TYPE 9 unknown'));
    expect(
      decodeDestAttrs(
        attrs((w) => {
          head(w);
          w.u16(IPVS_DEST_ATTR.WEIGHT, 1);
          w.u32(IPVS_DEST_ATTR.FWD_METHOD, 7);
        }),
        'inet',
      ),
    ).toEqual(err(`attribute ${IPVS_DEST_ATTR.WEIGHT}: u32 needs 4 bytes, got 2`));
  });

  it('messages: a missing nested attribute, missing info fields, a short timeout, a broken daemon', () => {
    expect(decodeServiceMessage(Buffer.alloc(0))).toEqual(err('IPVS_CMD_ATTR_SERVICE missing'));
    expect(decodeServiceMessage(overrun)).toEqual(err('nlattr type 1: length 8 overruns'));
    expect(decodeInfoMessage(attrs((w) => w.u32(IPVS_INFO_ATTR.CONN_TAB_SIZE, 4096)))).toEqual(
      err('IPVS_INFO_ATTR_VERSION missing'),
    );
    expect(decodeInfoMessage(attrs((w) => w.u32(IPVS_INFO_ATTR.VERSION, 0x010201)))).toEqual(
      err('IPVS_INFO_ATTR_CONN_TAB_SIZE missing'),
    );
    expect(
      decodeConfigMessage(
        attrs((w) => {
          w.u32(IPVS_CMD_ATTR.TIMEOUT_TCP, 900);
          w.u8(IPVS_CMD_ATTR.TIMEOUT_UDP, 1);
        }),
      ),
    ).toEqual(err(`attribute ${IPVS_CMD_ATTR.TIMEOUT_UDP}: u32 needs 4 bytes, got 1`));
    expect(decodeConfigMessage(Buffer.alloc(0))).toEqual(ok({ tcp: 0, tcpFin: 0, udp: 0 }));
    expect(decodeDaemonMessage(overrun)).toEqual(err('IPVS_CMD_ATTR_DAEMON missing'));
    expect(
      decodeStats(
        attrs((w) => w.u16(1, 1)),
        true,
      ),
    ).toEqual(err('attribute 1: u64 needs 8 bytes, got 2'));
  });
});
