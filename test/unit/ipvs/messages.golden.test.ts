import { describe, expect, it } from 'vitest';
import {
  NetlinkWriter,
  decodeMessages,
  decodeGenl,
  decodeError,
  HOST_LITTLE_ENDIAN,
} from '../../../src/ipvs/netlink-codec.js';
import {
  requests,
  writeIpvsRequest,
  decodeServiceMessage,
  decodeServiceAttrs,
  decodeDestAttrs,
  decodeDaemonMessage,
  type IpvsRequest,
} from '../../../src/ipvs/messages.js';
import { IPVS_CMD, IPVS_CMD_ATTR, NLMSG_ERROR, NLM_F_MULTI } from '../../../src/ipvs/constants.js';
import { decodeAttrTable } from '../../../src/ipvs/netlink-codec.js';
import type { DestinationSpec, ServiceSpec } from '../../../src/ipvs/types.js';
import { loadGolden } from './golden.js';

const FAMILY = 0x24;

function encode(req: IpvsRequest, seq: number): Buffer {
  const w = new NetlinkWriter();
  const r = writeIpvsRequest(w, req, FAMILY, seq);
  expect(r).toEqual({ ok: true, value: undefined });
  return w.finish();
}

const tcp80: ServiceSpec = {
  id: { kind: 'addr', family: 'inet', protocol: 6, address: '10.0.0.1', port: 80 },
  scheduler: 'wlc',
  flags: 0,
  timeout: 0,
  netmask: 0xffffffff,
  peName: null,
};

describe('IPVS golden vectors (little-endian host)', () => {
  it('runs on a little-endian host, which the vectors assume', () => {
    expect(HOST_LITTLE_ENDIAN).toBe(true);
  });

  it('NEW_SERVICE TCP with port big-endian and netmask bytes', () => {
    expect(encode(requests.newService(tcp80), 1).toString('hex')).toBe(
      loadGolden('new-service-tcp.hex').toString('hex'),
    );
  });

  it('NEW_SERVICE UDP persistent with a /24 granularity and one-packet', () => {
    const spec: ServiceSpec = {
      id: { kind: 'addr', family: 'inet', protocol: 17, address: '10.0.0.2', port: 53 },
      scheduler: 'rr',
      flags: 0x5,
      timeout: 60,
      netmask: 0xffffff00,
      peName: null,
    };
    expect(encode(requests.newService(spec), 7).toString('hex')).toBe(
      loadGolden('new-service-udp-persistent.hex').toString('hex'),
    );
  });

  it('SET_SERVICE fwmark inet6 with flags and a host-order prefix length', () => {
    const spec: ServiceSpec = {
      id: { kind: 'fwmark', family: 'inet6', fwmark: 10 },
      scheduler: 'sh',
      flags: 0x19,
      timeout: 300,
      netmask: 64,
      peName: null,
    };
    expect(encode(requests.setService(spec), 2).toString('hex')).toBe(
      loadGolden('set-service-fwmark6.hex').toString('hex'),
    );
  });

  const dr: DestinationSpec = {
    family: 'inet',
    address: '192.168.1.10',
    port: 8080,
    forwarding: 'DR',
    weight: 5,
    upperThreshold: 0,
    lowerThreshold: 0,
    tunnel: null,
  };

  it('NEW_DEST DR', () => {
    expect(encode(requests.newDest(tcp80.id, dr), 3).toString('hex')).toBe(
      loadGolden('new-dest-dr.hex').toString('hex'),
    );
  });

  it('SET_DEST TUN gue with tunnel port big-endian and flags host-order', () => {
    const tun: DestinationSpec = {
      family: 'inet',
      address: '10.1.1.1',
      port: 80,
      forwarding: 'TUN',
      weight: 2,
      upperThreshold: 100,
      lowerThreshold: 10,
      tunnel: { type: 'gue', port: 6080, flags: 1 },
    };
    expect(encode(requests.setDest(tcp80.id, tun), 4).toString('hex')).toBe(
      loadGolden('set-dest-tun-gue.hex').toString('hex'),
    );
  });

  it('DEL_DEST IPv6 SCTP with identity attributes only', () => {
    const svc = { kind: 'addr', family: 'inet6', protocol: 132, address: '2001:db8::1', port: 5060 } as const;
    const d: DestinationSpec = { ...dr, family: 'inet6', address: '2001:db8::10', port: 5060 };
    expect(encode(requests.delDest(svc, d), 5).toString('hex')).toBe(
      loadGolden('del-dest-v6.hex').toString('hex'),
    );
  });

  it('FLUSH, GET_SERVICE dump, SET_CONFIG', () => {
    expect(encode(requests.flush(), 6).toString('hex')).toBe(loadGolden('flush.hex').toString('hex'));
    expect(encode(requests.getServices(), 8).toString('hex')).toBe(
      loadGolden('get-service-dump.hex').toString('hex'),
    );
    expect(encode(requests.setTimeouts({ tcp: 900, tcpFin: 120, udp: 300 }), 9).toString('hex')).toBe(
      loadGolden('set-config-timeouts.hex').toString('hex'),
    );
  });

  it('NEW_DAEMON with host-order multicast port and a network-order group', () => {
    const req = requests.newDaemon({
      state: 'master',
      interface: 'eth0',
      syncId: 5,
      maxlen: 1472,
      group: '224.0.0.81',
      port: 8848,
      ttl: 1,
    });
    const bytes = encode(req, 10);
    expect(bytes.toString('hex')).toBe(loadGolden('new-daemon.hex').toString('hex'));
    const genl = decodeGenl(
      decodeMessages(bytes).ok
        ? (decodeMessages(bytes) as { value: { payload: Buffer }[] }).value[0]!.payload
        : Buffer.alloc(0),
    );
    expect(genl.ok).toBe(true);
    if (genl.ok) {
      expect(decodeDaemonMessage(genl.value.attrs)).toEqual({
        ok: true,
        value: {
          state: 'master',
          interface: 'eth0',
          syncId: 5,
          maxlen: 1472,
          group: '224.0.0.81',
          port: 8848,
          ttl: 1,
        },
      });
    }
  });

  it('decodes a kernel GET_SERVICE dump part: HASHED stripped, STATS64 preferred', () => {
    const msgs = decodeMessages(loadGolden('reply-service-dump.hex'));
    expect(msgs.ok).toBe(true);
    if (!msgs.ok) return;
    expect(msgs.value).toHaveLength(1);
    const m = msgs.value[0]!;
    expect(m.flags & NLM_F_MULTI).toBe(NLM_F_MULTI);
    const genl = decodeGenl(m.payload);
    if (!genl.ok) throw new Error(genl.error);
    expect(genl.value.cmd).toBe(IPVS_CMD.GET_SERVICE);
    const svc = decodeServiceMessage(genl.value.attrs);
    expect(svc).toEqual({
      ok: true,
      value: {
        id: { kind: 'addr', family: 'inet', protocol: 6, address: '10.0.0.1', port: 80 },
        scheduler: 'wlc',
        flags: 1,
        timeout: 300,
        netmask: 0xffffffff,
        peName: null,
        stats: {
          conns: 7,
          inpkts: 100,
          outpkts: 80,
          inbytes: 10000,
          outbytes: 10000000000,
          cps: 1,
          inpps: 2,
          outpps: 3,
          inbps: 4,
          outbps: 5,
        },
      },
    });
  });

  it('decodes NLMSG_ERROR with a capped original header', () => {
    const msgs = decodeMessages(loadGolden('reply-error-eexist.hex'));
    if (!msgs.ok) throw new Error(msgs.error);
    const m = msgs.value[0]!;
    expect(m.type).toBe(NLMSG_ERROR);
    expect(decodeError(m)).toEqual({
      ok: true,
      value: { errno: 17, request: { type: 0x24, flags: 5, seq: 1, pid: 0 }, message: null },
    });
  });

  it('reads back a request the way the kernel would (service and dest attributes)', () => {
    const tun: DestinationSpec = { ...dr, forwarding: 'TUN', tunnel: { type: 'gre', port: 0, flags: 2 } };
    const bytes = encode(requests.newDest(tcp80.id, tun), 1);
    const m = decodeMessages(bytes);
    if (!m.ok) throw new Error(m.error);
    const g = decodeGenl(m.value[0]!.payload);
    if (!g.ok) throw new Error(g.error);
    const top = decodeAttrTable(g.value.attrs);
    if (!top.ok) throw new Error(top.error);
    const s = decodeServiceAttrs(top.value.get(IPVS_CMD_ATTR.SERVICE)!);
    expect(s.ok && s.value.id).toEqual(tcp80.id);
    const d = decodeDestAttrs(top.value.get(IPVS_CMD_ATTR.DEST)!, 'inet');
    expect(d.ok && { ...d.value, activeConns: 0 }).toMatchObject({ ...tun });
  });
});
