// The reducer's parameters derived from the config model (src/vrrp/params.ts).
import { describe, expect, it } from 'vitest';
import { passwordAuthData } from '../../../src/vrrp/packet.js';
import { paramsFromConfig } from '../../../src/vrrp/params.js';
import { globalDefs } from '../../support/config-model.js';
import { vip, vrrpInstance } from '../../support/vrrp-config.js';

describe('paramsFromConfig', () => {
  it('derives millisecond params from the config model', () => {
    const vip24 = (address: string) => vip(address, { prefixLength: 24 });
    const instance = vrrpInstance('VI_1', 51, {
      state: 'MASTER',
      priority: 150,
      nopreempt: true,
      preemptDelay: 5,
      authentication: { type: 'PASS', password: 's3cr3tpw99' },
      vips: [vip24('10.77.0.100'), vip24('10.77.0.101')],
      garp: {
        masterDelay: 5,
        masterRepeat: 5,
        lowerPrioDelay: 5,
        lowerPrioRepeat: 5,
        masterRefresh: 0,
        masterRefreshRepeat: 1,
        interval: 0.002,
      },
    });
    const globals = globalDefs({ vrrpCheckUnicastSrc: false });
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
