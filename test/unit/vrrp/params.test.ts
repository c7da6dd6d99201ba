// The reducer's parameters derived from the config model (src/vrrp/params.ts).
import { describe, expect, it } from 'vitest';
import type { GlobalDefs, VrrpInstance } from '../../../src/config/model.js';
import { passwordAuthData } from '../../../src/vrrp/packet.js';
import { paramsFromConfig } from '../../../src/vrrp/params.js';

describe('paramsFromConfig', () => {
  it('derives millisecond params from the config model', () => {
    const vip = (address: string) => ({
      address,
      family: 'inet' as const,
      prefixLength: 24,
      dev: 'eth0',
      label: null,
      scope: null,
      broadcast: null,
      peer: null,
      noTrack: false,
      loc: { file: 'k.conf', line: 1 },
    });
    const instance = {
      name: 'VI_1',
      state: 'MASTER',
      interface: 'eth0',
      virtualRouterId: 51,
      priority: 150,
      advertInt: 1,
      version: 2,
      nopreempt: true,
      preemptDelay: 5,
      authentication: { type: 'PASS', password: 's3cr3tpw99' },
      vips: [vip('10.77.0.100'), vip('10.77.0.101')],
      unicastPeers: [],
      checkUnicastSrc: false,
      garp: {
        masterDelay: 5,
        masterRepeat: 5,
        lowerPrioDelay: 5,
        lowerPrioRepeat: 5,
        masterRefresh: 0,
        masterRefreshRepeat: 1,
        interval: 0.002,
      },
      lowerPrioNoAdvert: false,
      higherPrioSendAdvert: false,
      downTimerAdverts: 3,
      skipCheckAdvAddr: false,
      syncGroup: null,
    } as unknown as VrrpInstance;
    const globals = { vrrpCheckUnicastSrc: false } as unknown as GlobalDefs;
    const p = paramsFromConfig(instance, globals, '10.77.0.1');
    expect(p.vipAddresses).toEqual(['10.77.0.100', '10.77.0.101']);
    expect(p.auth).toEqual({ type: 'pass', authData: passwordAuthData('s3cr3tpw') });
    expect(p.nopreempt).toBe(false); // state MASTER clears nopreempt
    expect(p.preemptDelayMs).toBe(0);
    expect(p.multicast).toBe(true);
    expect(p.garp.masterDelayMs).toBe(5000);
    expect(p.garp.intervalMs).toBe(2);
  });
});
