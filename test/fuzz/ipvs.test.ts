/**
 * Fuzz: generic-netlink / IPVS reply decoders (src/ipvs/netlink-codec.ts, messages.ts) and the
 * rtnetlink message parsers the net layer relies on (the `netlink` package, via toLinkInfo).
 * Inputs are attribute trees built like kernel replies (nested IPVS_CMD_ATTR_SERVICE/DEST with
 * the real attribute numbers, odd lengths, repeated types), byte mutations of encoded messages,
 * and raw bytes. Properties: no decoder throws, each returns within the time bound, output is
 * bounded by the input (no message or attribute out of nothing), and encode -> decode
 * round-trips services and destinations.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rt } from 'netlink';
import {
  AttrReader,
  NetlinkWriter,
  decodeAttrTable,
  decodeAttrs,
  decodeError,
  decodeGenl,
  decodeMessages,
} from '../../src/ipvs/netlink-codec.js';
import {
  decodeConfigMessage,
  decodeDaemonMessage,
  decodeDestAttrs,
  decodeDestMessage,
  decodeInfoMessage,
  decodeServiceAttrs,
  decodeServiceMessage,
  decodeStats,
  writeDestAttrs,
  writeServiceAttrs,
} from '../../src/ipvs/messages.js';
import * as C from '../../src/ipvs/constants.js';
import type { DestinationSpec, ServiceSpec } from '../../src/ipvs/types.js';
import { toLinkInfo } from '../../src/net/addresses.js';
import { bytesToAddress } from '../../src/util/ip.js';
import { fuzz, mutatedBytes } from './support.js';

const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const u16 = (v: number): Buffer => {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
};
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
};

/** An attribute as the kernel could send it: a payload, or children; `lenDelta` breaks nla_len. */
type AttrNode = { type: number; lenDelta: number; body: Uint8Array | AttrNode[] };

function encodeAttrs(nodes: readonly AttrNode[]): Buffer {
  const parts: Buffer[] = [];
  for (const n of nodes) {
    const payload = Array.isArray(n.body) ? encodeAttrs(n.body) : Buffer.from(n.body);
    const len = Math.max(0, Math.min(0xffff, 4 + payload.length + n.lenDelta));
    const hdr = Buffer.concat([u16(len), u16(n.type)]);
    const pad = Buffer.alloc((4 - ((4 + payload.length) % 4)) % 4);
    parts.push(hdr, payload, pad);
  }
  return Buffer.concat(parts);
}

// Payloads of the sizes the decoders read (u8/u16/u32/u64/addresses/strings) and odd ones.
const payload = fc.oneof(
  fc.constantFrom(2, 10).map(u16),
  fc.nat(0xffffffff).map(u32),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.uint8Array({ minLength: 8, maxLength: 8 }),
  fc.constantFrom('rr', 'wlc', 'sip', 'eth0', '').map((s) => Buffer.from(`${s}\0`)),
  fc.uint8Array({ maxLength: 20 }),
);
const lenDelta = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) },
);
const attrType = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 16 }) },
  { weight: 1, arbitrary: fc.nat(0xffff) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 16 }).map((t) => t | 0x8000) },
);
const { tree: attrTree } = fc.letrec((tie) => ({
  tree: fc.array(tie('node'), { maxLength: 6 }) as fc.Arbitrary<AttrNode[]>,
  node: fc.record({
    type: attrType,
    lenDelta,
    body: fc.oneof({ maxDepth: 3, depthIdentifier: 'attr' }, payload, tie('tree')),
  }) as fc.Arbitrary<AttrNode>,
}));

/** A netlink datagram: messages with a genl header and an attribute tree, plus odd headers. */
const datagram = fc
  .array(
    fc.record({
      type: fc.oneof(fc.constantFrom(2, 3, C.NLMSG_ERROR, 0x10, 0x1c), fc.nat(0xffff)),
      flags: fc.oneof(fc.constantFrom(0, 0x100, 0x200, 0x300, 0x2), fc.nat(0xffff)),
      cmd: fc.nat(20),
      attrs: attrTree,
      lenDelta,
    }),
    { maxLength: 4 },
  )
  .map((msgs) =>
    Buffer.concat(
      msgs.map((m) => {
        const body = Buffer.concat([Buffer.from([m.cmd, 1, 0, 0]), encodeAttrs(m.attrs)]);
        const len = Math.max(0, 16 + body.length + m.lenDelta);
        const hdr = Buffer.concat([u32(len), u16(m.type), u16(m.flags), u32(7), u32(0)]);
        return Buffer.concat([hdr, body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
      }),
    ),
  );

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => bytesToAddress(b)!);
const family = fc.constantFrom('inet' as const, 'inet6' as const);
const addrOf = (f: 'inet' | 'inet6'): fc.Arbitrary<string> => (f === 'inet' ? v4 : v6);

const arbService: fc.Arbitrary<ServiceSpec> = family.chain((f) =>
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
    scheduler: fc.constantFrom('rr', 'wrr', 'lc', 'wlc', 'sh', 'mh', 'twos'),
    flags: fc.nat(C.IP_VS_SVC_F_USER_MASK).map((x) => x & C.IP_VS_SVC_F_USER_MASK),
    timeout: fc.nat(0xffffffff),
    netmask: f === 'inet' ? fc.nat(0xffffffff) : fc.integer({ min: 1, max: 128 }),
    peName: fc.constantFrom(null, 'sip'),
  }),
);

const arbDest: fc.Arbitrary<DestinationSpec> = family.chain((f) =>
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

/** Encoded GET_SERVICE / GET_DEST replies: the seeds the mutator starts from. */
function seedMessages(): Buffer[] {
  const out: Buffer[] = [];
  const svc: ServiceSpec[] = fc.sample(arbService, { seed: 1, numRuns: 4 });
  const dst: DestinationSpec[] = fc.sample(arbDest, { seed: 2, numRuns: 4 });
  for (const s of svc) {
    const w = new NetlinkWriter();
    w.beginMessage({ type: 0x20, flags: 2, seq: 1, pid: 0 }, { cmd: C.IPVS_CMD.NEW_SERVICE, version: 1 });
    w.beginNested(C.IPVS_CMD_ATTR.SERVICE);
    writeServiceAttrs(w, s, true);
    w.endNested();
    w.endMessage();
    out.push(w.finish());
  }
  for (const d of dst) {
    const w = new NetlinkWriter();
    w.beginMessage({ type: 0x20, flags: 2, seq: 1, pid: 0 }, { cmd: C.IPVS_CMD.NEW_DEST, version: 1 });
    w.beginNested(C.IPVS_CMD_ATTR.DEST);
    writeDestAttrs(w, d, true);
    w.endNested();
    w.endMessage();
    out.push(w.finish());
  }
  return out;
}

/** Every decoder over one datagram, and every level of it; returns the messages found. */
function decodeAll(data: Buffer): number {
  const msgs = decodeMessages(data);
  decodeAttrs(data);
  decodeAttrTable(data);
  if (!msgs.ok) return 0;
  // A message takes at least 16 bytes: the decoder cannot invent any.
  expect(msgs.value.length).toBeLessThanOrEqual(Math.floor(data.length / 16));
  for (const m of msgs.value) {
    expect(m.payload.length).toBeLessThanOrEqual(data.length);
    decodeError(m);
    const g = decodeGenl(m.payload);
    if (!g.ok) continue;
    const a = decodeAttrs(g.value.attrs);
    if (a.ok) expect(a.value.length).toBeLessThanOrEqual(Math.floor(g.value.attrs.length / 4));
    decodeServiceMessage(g.value.attrs);
    decodeDestMessage(g.value.attrs, 'inet');
    decodeDestMessage(g.value.attrs, 'inet6');
    decodeInfoMessage(g.value.attrs);
    decodeConfigMessage(g.value.attrs);
    decodeDaemonMessage(g.value.attrs);
    decodeStats(g.value.attrs, true);
    decodeStats(g.value.attrs, false);
    if (a.ok) {
      for (const attr of a.value) {
        decodeServiceAttrs(attr.payload);
        decodeDestAttrs(attr.payload, 'inet6');
        const r = AttrReader.of(attr.payload);
        for (let t = 0; t < 16; t++) {
          r.u8(t);
          r.u16(t);
          r.be16(t);
          r.u32(t);
          r.u64(t);
          r.string(t);
          r.bytes(t);
        }
        r.result(null);
      }
    }
  }
  return msgs.value.length;
}

/** The rtnetlink parsers LinkWatcher and RtNetlink use: they may throw (callers catch), never hang. */
function decodeRt(data: Buffer): void {
  try {
    toLinkInfo(rt.parseLinkMessage(data));
  } catch {
    // LinkWatcher drops a message that does not parse (src/net/links.ts).
  }
  for (const parse of [rt.parseAddressMessage, rt.parseRouteMessage]) {
    try {
      parse(data);
    } catch {
      // Same contract: a parse error, not a crash.
    }
  }
}

describe('fuzz: IPVS generic netlink and rtnetlink decoders', () => {
  it('structured datagrams (attribute trees as the kernel builds them)', () => {
    fuzz('fuzz-ipvs-structured-datagrams', [datagram], (d) => void decodeAll(d), {
      runs: 10_000,
      seed: 0x1f5,
    });
  });

  it('mutated GET_SERVICE / GET_DEST replies', () => {
    fuzz('fuzz-ipvs-mutated-replies', [mutatedBytes(seedMessages())], (d) => void decodeAll(d), {
      runs: 30_000,
      seed: 0x1f6,
    });
  });

  it('raw bytes', () => {
    fuzz(
      'fuzz-ipvs-raw-bytes',
      [fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b))],
      (d) => void decodeAll(d),
      {
        runs: 40_000,
        seed: 0x1f7,
      },
    );
  });

  it('rtnetlink link/address/route messages (structured and raw)', () => {
    const ifinfo = fc
      .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), attrTree)
      .map(([hdr, attrs]) => Buffer.concat([Buffer.from(hdr), encodeAttrs(attrs)]));
    fuzz(
      'fuzz-rtnetlink-messages',
      [
        fc.oneof(
          ifinfo,
          fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
        ),
      ],
      decodeRt,
      {
        runs: 20_000,
        seed: 0x1f8,
      },
    );
  });

  it('services and destinations round-trip through encode -> decode', () => {
    fuzz(
      'fuzz-ipvs-round-trip',
      [arbService, arbDest],
      (spec, d) => {
        const w = new NetlinkWriter(8);
        expect(writeServiceAttrs(w, spec, true).ok).toBe(true);
        expect(decodeServiceAttrs(w.finish())).toEqual({ ok: true, value: { ...spec, stats: null } });
        const wd = new NetlinkWriter(8);
        expect(writeDestAttrs(wd, d, true).ok).toBe(true);
        expect(decodeDestAttrs(wd.finish(), d.family)).toEqual({
          ok: true,
          value: { ...d, activeConns: 0, inactiveConns: 0, persistConns: 0, stats: null },
        });
      },
      { runs: 10_000, seed: 0x1f9 },
    );
  });
});
