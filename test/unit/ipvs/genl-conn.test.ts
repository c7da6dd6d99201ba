import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { GenlConnection } from '../../../src/ipvs/genl-conn.js';
import { requests } from '../../../src/ipvs/messages.js';
import { decodeInfoMessage, decodeServiceMessage } from '../../../src/ipvs/messages.js';
import { decodeMessages } from '../../../src/ipvs/netlink-codec.js';
import * as C from '../../../src/ipvs/constants.js';
import { FakeKernel, FAKE_IPVS_FAMILY } from './fake-kernel.js';
import type { ServiceSpec } from '../../../src/ipvs/types.js';

const svc = (port: number): ServiceSpec => ({
  id: { kind: 'addr', family: 'inet', protocol: 6, address: '10.0.0.1', port },
  scheduler: 'rr',
  flags: 0,
  timeout: 0,
  netmask: 0xffffffff,
  peName: null,
});

function setup(opts: { window?: number } = {}) {
  const kernel = new FakeKernel();
  const clock = new ManualClock();
  const conn = new GenlConnection(kernel, { clock, ...opts });
  return { kernel, clock, conn };
}

describe('GenlConnection', () => {
  it('resolves the IPVS family through the controller', async () => {
    const { conn, kernel } = setup();
    expect(await conn.resolveFamily('IPVS')).toEqual({
      ok: true,
      value: { id: FAKE_IPVS_FAMILY, version: 1, maxAttr: 6 },
    });
    kernel.familyRegistered = false;
    const r = await conn.resolveFamily('IPVS');
    expect(r.ok === false && r.error.errno).toBe(C.ERRNO.ENOENT);
  });

  it('returns a reply with its ACK (GET_INFO) and errors with their errno', async () => {
    const { conn } = setup();
    const info = await conn.request(FAKE_IPVS_FAMILY, 1, requests.getInfo());
    if (!info.ok) throw new Error(info.error.message);
    expect(decodeInfoMessage(info.value[0]!.attrs)).toEqual({
      ok: true,
      value: { version: 0x010201, connTabSize: 4096 },
    });
    expect(await conn.request(FAKE_IPVS_FAMILY, 1, requests.newService(svc(80)))).toEqual({
      ok: true,
      value: [],
    });
    const dup = await conn.request(FAKE_IPVS_FAMILY, 1, requests.newService(svc(80)));
    expect(dup).toEqual({ ok: false, error: { errno: C.ERRNO.EEXIST, message: '' } });
  });

  it('gathers a dump spread over several datagrams until NLMSG_DONE', async () => {
    const { conn, kernel } = setup();
    kernel.dumpChunk = 2;
    for (let p = 1; p <= 5; p++) await conn.request(FAKE_IPVS_FAMILY, 1, requests.newService(svc(p)));
    const dump = await conn.request(FAKE_IPVS_FAMILY, 1, requests.getServices());
    if (!dump.ok) throw new Error(dump.error.message);
    const ports = dump.value.map((m) => {
      const s = decodeServiceMessage(m.attrs);
      return s.ok && s.value.id.kind === 'addr' ? s.value.id.port : -1;
    });
    expect(ports.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('pipelines requests into one datagram up to the window, in order', async () => {
    const { conn, kernel } = setup({ window: 4 });
    const all = Array.from({ length: 10 }, (_, i) =>
      conn.request(FAKE_IPVS_FAMILY, 1, requests.newService(svc(i + 1))),
    );
    const results = await Promise.all(all);
    expect(results.every((r) => r.ok)).toBe(true);
    // 10 requests through a window of 4: at least 3 datagrams, never more than 4 messages each.
    const sizes = kernel.sent.map((d) => {
      const m = decodeMessages(d);
      return m.ok ? m.value.length : -1;
    });
    expect(sizes.every((n) => n >= 1 && n <= 4)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect(sizes[0]).toBe(4);
    // Sequence numbers strictly increase in send order, so the kernel applies them in order.
    const seqs = kernel.commands.map((c) => c.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('asks for one ACK per datagram: only its last message carries NLM_F_ACK', async () => {
    const { conn, kernel } = setup({ window: 4 });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        conn.request(FAKE_IPVS_FAMILY, 1, requests.newService(svc(i + 1))),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    for (const d of kernel.sent) {
      const m = decodeMessages(d);
      if (!m.ok) throw new Error(m.error);
      const acks = m.value.map((x) => (x.flags & C.NLM_F_ACK) !== 0);
      expect(acks).toEqual(acks.map((_, i) => i === acks.length - 1));
    }
    // Nothing failed, so the kernel's only replies are the datagrams' ACKs.
    expect(kernel.replied).toHaveLength(kernel.sent.length);
    expect(kernel.services.size).toBe(10);
  });

  it('an error fails only its own request; an error on the ACK carrier still settles the rest', async () => {
    const { conn, kernel } = setup();
    await conn.request(FAKE_IPVS_FAMILY, 1, requests.newService(svc(2)));
    await conn.request(FAKE_IPVS_FAMILY, 1, requests.newService(svc(4)));
    kernel.sent.length = 0;
    // One datagram: 1 ok, 2 EEXIST, 3 ok, 4 EEXIST (the last, which asked for the ACK).
    const results = await Promise.all(
      [1, 2, 3, 4].map((p) => conn.request(FAKE_IPVS_FAMILY, 1, requests.newService(svc(p)))),
    );
    expect(kernel.sent).toHaveLength(1);
    expect(results.map((r) => (r.ok ? 0 : r.error.errno))).toEqual([0, C.ERRNO.EEXIST, 0, C.ERRNO.EEXIST]);
    expect(conn.inFlight).toBe(0);
  });

  it('returns reply messages of requests without an ACK of their own (GET_INFO mid-datagram)', async () => {
    const { conn, kernel } = setup();
    const [info, added] = await Promise.all([
      conn.request(FAKE_IPVS_FAMILY, 1, requests.getInfo()),
      conn.request(FAKE_IPVS_FAMILY, 1, requests.newService(svc(9))),
    ]);
    expect(kernel.sent).toHaveLength(1);
    if (!info.ok) throw new Error(info.error.message);
    expect(decodeInfoMessage(info.value[0]!.attrs).ok).toBe(true);
    expect(added).toEqual({ ok: true, value: [] });
  });

  it('times out a request the kernel never answers, on the injected clock', async () => {
    const { conn, kernel, clock } = setup();
    kernel.silent = true;
    const p = conn.request(FAKE_IPVS_FAMILY, 1, requests.flush());
    await new Promise((r) => setImmediate(r));
    expect(conn.inFlight).toBe(1);
    clock.advance(10_000);
    expect(await p).toEqual({
      ok: false,
      error: { errno: C.ERRNO.ETIMEDOUT, message: 'no reply from the kernel' },
    });
    expect(conn.inFlight).toBe(0);
  });

  it('fails requests in flight on ENOBUFS (lost ACKs) so the caller retries', async () => {
    const { conn, kernel } = setup();
    kernel.silent = true;
    const p = conn.request(FAKE_IPVS_FAMILY, 1, requests.flush());
    await new Promise((r) => setImmediate(r));
    kernel.raiseError({ errno: C.ERRNO.ENOBUFS, message: 'No buffer space available' });
    const r = await p;
    expect(r.ok === false && r.error.errno).toBe(C.ERRNO.ENOBUFS);
  });

  it('counts replies for no request and malformed datagrams without failing', async () => {
    const { conn, kernel } = setup();
    const stray = Buffer.alloc(36);
    stray.writeUInt32LE(36, 0);
    stray.writeUInt16LE(C.NLMSG_ERROR, 4);
    stray.writeUInt32LE(999999, 8);
    kernel.deliver(stray);
    kernel.deliver(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]));
    expect(conn.unmatchedReplies).toBe(1);
    expect(conn.malformedDatagrams).toBe(1);
    expect((await conn.request(FAKE_IPVS_FAMILY, 1, requests.flush())).ok).toBe(true);
  });

  it('reports an encoding problem without sending anything', async () => {
    const { conn, kernel } = setup();
    // Deliberately malformed (the cast lets an address no codec can encode through the types).
    const bad = { ...svc(1), id: { ...svc(1).id, address: 'not-an-ip' } } as ServiceSpec;
    const r = await conn.request(FAKE_IPVS_FAMILY, 1, requests.newService(bad));
    expect(r.ok).toBe(false);
    expect(kernel.sent).toHaveLength(0);
  });
});
