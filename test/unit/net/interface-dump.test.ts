/** The host's interfaces over real rtnetlink (no root needed to read them). */
import { describe, expect, it } from 'vitest';
import { readHostInterfaces } from '../../../src/net/interface-dump.js';

describe('readHostInterfaces', () => {
  it('reads the loopback interface as keepalived shows it: no MAC, loopback, 127.0.0.1', async () => {
    const all = await readHostInterfaces();
    const lo = all.find((i) => i.name === 'lo');
    expect(lo).toMatchObject({
      index: 1,
      mac: null,
      hwType: 772,
      flags: { loopback: true, broadcast: false, multicast: false },
    });
    expect(lo!.ipv4).toContain('127.0.0.1');
    expect(lo!.mtu).toBeGreaterThan(0);
    // By index, as keepalived's interface queue.
    expect(all.map((i) => i.index)).toEqual([...all.map((i) => i.index)].sort((a, b) => a - b));
  });

  it('formats IPv6 addresses with the longest zero run compressed', async () => {
    const lo = (await readHostInterfaces()).find((i) => i.name === 'lo')!;
    for (const a of lo.ipv6) expect(a).toMatch(/^[0-9a-f:]+$/);
    if (lo.ipv6.length > 0) expect(lo.ipv6).toContain('::1');
  });
});
