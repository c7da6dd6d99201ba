// An instance's interface deleted and created again (a new ifindex): keepalived 2.2.7
// (vrrp/vrrp_if.c cleanup_lost_interface, update_added_interface -> setup_interface) puts the
// instance down and closes its sockets, then opens them on the new interface and lets the
// instance run again. keepalived-ts: the deletion is a link down to tracking (FAULT), and the
// channel is opened again on the new index (engine.ts reopenChannels, channels.ts).
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { VrrpChannelHub } from '../../../src/vrrp/channels.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import type { ChannelOptions, VrrpSocket, VrrpSocketOptions } from '../../../src/vrrp/ports.js';
import { fakeVrrpPlatform } from '../../support/fake-vrrp-platform.js';
import { vrrpConfig, vrrpInstance } from '../../support/vrrp-config.js';

const MDI_100 = 3000 + (156 * 1000) / 256;

const options: ChannelOptions = {
  interfaceName: 'eth0',
  sourceAddress: '10.0.0.1',
  multicastGroup: '224.0.0.18',
  unicastPeers: [],
  ttl: 255,
  vrid: 51,
};

describe('VrrpChannelHub: the interface re-created', () => {
  it('opens a new socket on the new index; closing the old channel keeps the new socket', () => {
    let ifindex = 2;
    const opened: { options: VrrpSocketOptions; closed: boolean }[] = [];
    const h = new VrrpChannelHub({
      openSocket: (o): VrrpSocket => {
        const record = { options: o, closed: false };
        opened.push(record);
        return {
          send: async () => {},
          onDatagram: () => {},
          onError: () => {},
          close: () => void (record.closed = true),
        };
      },
      links: { current: (name) => ({ name, ifindex, up: true }) },
      logger: new MemoryLogger(),
      logUnknownVrids: false,
    });
    const first = h.open(options);
    first.onDatagram(() => {});
    expect(h.open({ ...options, vrid: 52 })).toBeDefined();
    expect(opened).toHaveLength(1);
    ifindex = 7;
    const second = h.open(options);
    second.onDatagram(() => {});
    expect(opened.map((o) => o.options.ifindex)).toEqual([2, 7]);
    first.close();
    expect(opened[0]!.closed).toBe(true);
    expect(opened[1]!.closed).toBe(false);
    // The new socket is still the shared one.
    h.open({ ...options, vrid: 53 });
    expect(opened).toHaveLength(2);
  });
});

describe('engine: the interface deleted and re-created', () => {
  it('FAULT while it is gone; a new channel on the new index, and MASTER again', async () => {
    const f = fakeVrrpPlatform();
    const clock = new ManualClock();
    const logger = new MemoryLogger();
    const engine = await VrrpEngine.create(vrrpConfig([vrrpInstance('VI_1', 51)]), {
      clock,
      logger,
      platform: f.platform,
    });
    engine.start();
    clock.advance(MDI_100 + 1);
    expect(engine.status()[0]!.state).toBe('MASTER');
    expect(f.channels()).toBe(1);

    f.setLink('eth0', false);
    expect(engine.status()[0]!.state).toBe('FAULT');
    expect(f.channels()).toBe(1);

    f.setLink('eth0', false, 12);
    expect(f.channels()).toBe(2);
    expect(logger.messages()).toContain('(VI_1) reopening VRRP socket on eth0 (index 12)');
    f.setLink('eth0', true, 12);
    expect(f.channels()).toBe(2);
    clock.advance(MDI_100 + 1);
    expect(engine.status()[0]!.state).toBe('MASTER');
    const flush = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    await flush();
    const before = f.sent.length;
    clock.advance(1000);
    await flush();
    expect(f.sent.length).toBeGreaterThan(before);
    await engine.stop();
  });
});
