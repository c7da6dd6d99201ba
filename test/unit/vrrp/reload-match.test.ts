import { describe, expect, it } from 'vitest';
import type { VrrpInstance } from '../../../src/config/model.js';
import { matchInstances } from '../../../src/vrrp/reload-match.js';
import { vrrpInstance } from '../../support/vrrp-config.js';

const GROUP = '224.0.0.18';
const running = (config: VrrpInstance) => ({ config, id: `running ${config.name}` });
const peer = { address: '10.0.0.2', minTtl: null, maxTtl: null };

describe('matchInstances (keepalived vrrp_exist)', () => {
  it('keeps an instance whose identity is unchanged, even renamed or with other settings', () => {
    const a = running(vrrpInstance('VI_1', 51));
    const renamed = vrrpInstance('VI_RENAMED', 51, { priority: 200 });
    const m = matchInstances([a], [renamed], GROUP);
    expect(m.matched).toEqual([{ entry: a, config: renamed }]);
    expect(m.added).toEqual([]);
    expect(m.removed).toEqual([]);
  });

  it('a new VRID, interface or mode is a removed instance and an added one', () => {
    const a = running(vrrpInstance('VI_1', 51));
    for (const next of [
      vrrpInstance('VI_1', 52),
      vrrpInstance('VI_1', 51, { interface: 'eth1' }),
      vrrpInstance('VI_1', 51, { unicastPeers: [peer] }),
    ]) {
      const m = matchInstances([a], [next], GROUP);
      expect(m.matched).toEqual([]);
      expect(m.added).toEqual([next]);
      expect(m.removed).toEqual([a]);
    }
  });

  it('pairs in the new config order and leaves the rest on each side', () => {
    const a = running(vrrpInstance('A', 51));
    const b = running(vrrpInstance('B', 52));
    const c = running(vrrpInstance('C', 53));
    const next = [vrrpInstance('C2', 53), vrrpInstance('N', 60), vrrpInstance('A2', 51)];
    const m = matchInstances([a, b, c], next, GROUP);
    expect(m.matched.map((x) => [x.entry.id, x.config.name])).toEqual([
      ['running C', 'C2'],
      ['running A', 'A2'],
    ]);
    expect(m.added.map((i) => i.name)).toEqual(['N']);
    expect(m.removed.map((e) => e.id)).toEqual(['running B']);
  });

  it('of two new instances with one identity, the first is matched and the second added', () => {
    const a = running(vrrpInstance('A', 51));
    const first = vrrpInstance('X', 51);
    const second = vrrpInstance('Y', 51);
    const m = matchInstances([a], [first, second], GROUP);
    expect(m.matched.map((x) => x.config.name)).toEqual(['X']);
    expect(m.added.map((i) => i.name)).toEqual(['Y']);
  });
});
