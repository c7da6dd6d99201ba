// Advert channels: source choice, and raw sockets shared by VRID through a fake socket opener.
import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../../src/util/log.js';
import { channelKey, channelOptionsFor, VrrpChannelHub } from '../../../src/vrrp/channels.js';
import type { ChannelOptions, VrrpSocket, VrrpSocketOptions } from '../../../src/vrrp/ports.js';
import { vip, vrrpInstance } from '../../support/vrrp-config.js';

const GROUP = '224.0.0.18';
const peer = (address: string) => ({ address, minTtl: null, maxTtl: null });

describe('channelOptionsFor', () => {
  const primary = (address: string | null) => {
    const asked: { ifname: string; exclude: string[] }[] = [];
    const fn = async (ifname: string, exclude: ReadonlySet<string>) => {
      asked.push({ ifname, exclude: [...exclude] });
      return address;
    };
    return { fn, asked };
  };

  it('multicast: the interface primary address without the own VIPs, TTL 255, the group', async () => {
    const p = primary('10.0.0.1');
    const instance = vrrpInstance('VI_1', 51, { excludedVips: [vip('10.0.9.9')] });
    expect(await channelOptionsFor(instance, GROUP, p.fn)).toEqual({
      interfaceName: 'eth0',
      sourceAddress: '10.0.0.1',
      multicastGroup: GROUP,
      unicastPeers: [],
      ttl: 255,
      vrid: 51,
    });
    expect(p.asked).toEqual([{ ifname: 'eth0', exclude: ['10.0.0.51', '10.0.9.9'] }]);
  });

  it('unicast: unicast_src_ip first, unicast_ttl, the peers and no group; the primary is not asked', async () => {
    const p = primary('10.0.0.1');
    const instance = vrrpInstance('VI_1', 51, {
      unicastPeers: [peer('10.0.0.2'), peer('10.0.0.3')],
      unicastSrcIp: '10.0.0.7',
      mcastSrcIp: '10.0.0.8',
      unicastTtl: 64,
    });
    expect(await channelOptionsFor(instance, GROUP, p.fn)).toMatchObject({
      sourceAddress: '10.0.0.7',
      multicastGroup: null,
      unicastPeers: ['10.0.0.2', '10.0.0.3'],
      ttl: 64,
    });
    expect(p.asked).toEqual([]);
  });

  it('falls back to the other mode source; null without any source', async () => {
    const multicastWithUnicastSrc = vrrpInstance('VI_1', 51, { unicastSrcIp: '10.0.0.7' });
    expect((await channelOptionsFor(multicastWithUnicastSrc, GROUP, primary(null).fn))?.sourceAddress).toBe(
      '10.0.0.7',
    );
    expect(await channelOptionsFor(vrrpInstance('VI_1', 51), GROUP, primary(null).fn)).toBeNull();
    const noInterface = vrrpInstance('VI_1', 51, { interface: null, unicastPeers: [peer('10.0.0.2')] });
    expect(await channelOptionsFor(noInterface, GROUP, primary('10.0.0.1').fn)).toBeNull();
  });

  it('channelKey tells equal options from different ones', () => {
    const a: ChannelOptions = {
      interfaceName: 'eth0',
      sourceAddress: '10.0.0.1',
      multicastGroup: GROUP,
      unicastPeers: [],
      ttl: 255,
      vrid: 51,
    };
    expect(channelKey({ ...a })).toBe(channelKey(a));
    expect(channelKey({ ...a, sourceAddress: '10.0.0.2' })).not.toBe(channelKey(a));
  });
});

class FakeSocket implements VrrpSocket {
  readonly sent: string[] = [];
  closed = false;
  private listener: ((d: { datagram: Buffer; payload: Buffer }) => void) | null = null;
  private errorListener: ((e: Error) => void) | null = null;
  constructor(readonly options: VrrpSocketOptions) {}
  send(message: Buffer, destination: string): Promise<void> {
    this.sent.push(`${destination}:${message[1]}`);
    return Promise.resolve();
  }
  onDatagram(fn: (d: { datagram: Buffer; payload: Buffer }) => void): void {
    this.listener = fn;
  }
  onError(fn: (e: Error) => void): void {
    this.errorListener = fn;
  }
  close(): void {
    this.closed = true;
  }
  receive(vrid: number): void {
    // A whole fixed VRRP header (version/type, VRID, priority, count, auth, interval, checksum).
    const payload = Buffer.from([0x21, vrid, 100, 0, 0, 1, 0, 0]);
    this.listener?.({ datagram: Buffer.concat([Buffer.from([0x45]), payload]), payload });
  }
  receiveBytes(datagram: Buffer, payload: Buffer): void {
    this.listener?.({ datagram, payload });
  }
  fail(message: string): void {
    this.errorListener?.(new Error(message));
  }
}

function hub(logUnknownVrids = true) {
  const sockets: FakeSocket[] = [];
  const logger = new MemoryLogger();
  const h = new VrrpChannelHub({
    openSocket: (o) => {
      const s = new FakeSocket(o);
      sockets.push(s);
      return s;
    },
    links: { current: (name) => (name === 'eth0' ? { name, ifindex: 2, up: true } : null) },
    logger,
    logUnknownVrids,
  });
  return { h, sockets, logger };
}

const options = (over: Partial<ChannelOptions> = {}): ChannelOptions => ({
  interfaceName: 'eth0',
  sourceAddress: '10.0.0.1',
  multicastGroup: GROUP,
  unicastPeers: [],
  ttl: 255,
  vrid: 51,
  ...over,
});

describe('VrrpChannelHub', () => {
  it('opens one socket per interface, group, source and TTL, with the ifindex of the interface', () => {
    const { h, sockets } = hub();
    h.open(options({ vrid: 51 }));
    h.open(options({ vrid: 52 }));
    h.open(options({ vrid: 53, sourceAddress: '10.0.0.2' }));
    h.open(options({ vrid: 54, multicastGroup: null, unicastPeers: ['10.0.0.9'] }));
    expect(sockets.map((s) => s.options)).toEqual([
      { interfaceName: 'eth0', ifindex: 2, sourceAddress: '10.0.0.1', multicastGroup: GROUP, ttl: 255 },
      { interfaceName: 'eth0', ifindex: 2, sourceAddress: '10.0.0.2', multicastGroup: GROUP, ttl: 255 },
      { interfaceName: 'eth0', ifindex: 2, sourceAddress: '10.0.0.1', multicastGroup: null, ttl: 255 },
    ]);
  });

  it('sends to the group, or to every unicast peer', async () => {
    const { h, sockets } = hub();
    await h.open(options()).send(Buffer.from([0x21, 51]));
    await h
      .open(options({ vrid: 52, multicastGroup: null, unicastPeers: ['10.0.0.8', '10.0.0.9'] }))
      .send(Buffer.from([0x21, 52]));
    expect(sockets[0]!.sent).toEqual([`${GROUP}:51`]);
    expect(sockets[1]!.sent).toEqual(['10.0.0.8:52', '10.0.0.9:52']);
  });

  it('delivers each datagram to the channel of its VRID and logs unknown VRIDs when asked', () => {
    const { h, sockets, logger } = hub();
    const got: string[] = [];
    h.open(options({ vrid: 51 })).onDatagram(() => got.push('51'));
    h.open(options({ vrid: 52 })).onDatagram(() => got.push('52'));
    sockets[0]!.receive(52);
    sockets[0]!.receive(51);
    sockets[0]!.receive(60);
    expect(got).toEqual(['52', '51']);
    expect(logger.messages()).toEqual(['Unknown VRID(60) received on interface(eth0). ignoring...']);
    const quiet = hub(false);
    quiet.h.open(options());
    quiet.sockets[0]!.receive(60);
    expect(quiet.logger.messages()).toEqual([]);
  });

  it('logs a datagram too short for a VRRP header (no instance to count it) with a rate-limit key', () => {
    const { h, sockets, logger } = hub(false);
    h.open(options()).onDatagram(() => {});
    sockets[0]!.receiveBytes(Buffer.alloc(21), Buffer.alloc(1));
    expect(logger.lines).toEqual([
      {
        level: 'info',
        message: 'IPv4 VRRP packet too short - 21 bytes',
        fields: { error: 'short-packet', limit: 'eth0:short-packet' },
      },
    ]);
  });

  it('closes a shared socket with its last listening channel, and reopens it after', () => {
    const { h, sockets } = hub();
    // A channel counts once it listens, as every instance shell does when it is built.
    const a = h.open(options({ vrid: 51 }));
    a.onDatagram(() => {});
    const b = h.open(options({ vrid: 52 }));
    b.onDatagram(() => {});
    a.close();
    expect(sockets[0]!.closed).toBe(false);
    b.close();
    expect(sockets[0]!.closed).toBe(true);
    h.open(options({ vrid: 51 }));
    expect(sockets).toHaveLength(2);
    h.closeAll();
    expect(sockets[1]!.closed).toBe(true);
  });

  it('logs socket errors; the source address of a channel is its own', () => {
    const { h, sockets, logger } = hub();
    expect(h.open(options()).sourceAddress).toBe('10.0.0.1');
    sockets[0]!.fail('ENOBUFS');
    expect(logger.messages()).toEqual(['VRRP socket error: ENOBUFS']);
  });
});

describe('channelOptionsFor with use_vmac', () => {
  const primary = async () => '10.0.0.1';
  it('puts the channel on the VMAC, and on the base interface with vmac_xmit_base; the source stays the base one', async () => {
    const vmac = { ifname: 'vrrp.51', mac: '00:00:5e:00:01:33', xmitBase: false };
    const onVmac = await channelOptionsFor(vrrpInstance('VI_1', 51, { vmac }), GROUP, primary);
    expect(onVmac).toMatchObject({ interfaceName: 'vrrp.51', sourceAddress: '10.0.0.1' });
    const xmitBase = await channelOptionsFor(
      vrrpInstance('VI_1', 51, { vmac: { ...vmac, xmitBase: true } }),
      GROUP,
      primary,
    );
    expect(xmitBase).toMatchObject({ interfaceName: 'eth0', sourceAddress: '10.0.0.1' });
  });
});
