import { describe, expect, it } from 'vitest';
import { vrrpInstanceIdentity } from '../../../src/config/identity.js';
import type { UnicastPeer } from '../../../src/config/model.js';

const base = {
  virtualRouterId: 51,
  interface: 'eth0' as string | null,
  unicastPeers: [] as readonly UnicastPeer[],
  unicastSrcIp: null as string | null,
};
const peer: UnicastPeer = { address: '10.0.0.2', minTtl: null, maxTtl: null };
const id = (over: Partial<typeof base> = {}, group = '224.0.0.18') =>
  vrrpInstanceIdentity({ ...base, ...over }, group);

describe('vrrpInstanceIdentity (keepalived vrrp_exist)', () => {
  it('is VRID, family, interface and the multicast group for a multicast instance', () => {
    expect(id()).toBe('51|inet|eth0|multicast|224.0.0.18');
    expect(id({}, '224.0.0.19')).not.toBe(id());
  });

  it('is VRID, family, interface and the unicast source for a unicast instance (no group)', () => {
    expect(id({ unicastPeers: [peer], unicastSrcIp: '10.0.0.1' })).toBe('51|inet|eth0|unicast|10.0.0.1');
    expect(id({ unicastPeers: [peer] }, '224.0.0.19')).toBe(id({ unicastPeers: [peer] }));
    expect(id({ unicastPeers: [peer], unicastSrcIp: '10.0.0.9' })).not.toBe(
      id({ unicastPeers: [peer], unicastSrcIp: '10.0.0.1' }),
    );
  });

  it('changes with the VRID, the interface, and between unicast and multicast', () => {
    expect(id({ virtualRouterId: 52 })).not.toBe(id());
    expect(id({ interface: 'eth1' })).not.toBe(id());
    expect(id({ interface: null })).toBe('51|inet||multicast|224.0.0.18');
    expect(id({ unicastPeers: [peer] })).not.toBe(id());
  });
});
