/**
 * Root tier: the net/ adapters against the real kernel in two namespaces joined by a veth pair.
 * Raw protocol-112 send/receive with our IPv4 header, VIP add/remove over rtnetlink, link
 * notifications, and gratuitous ARP frames seen by tshark.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tierDescribe } from '../support/tier.js';
import {
  bundleHarness,
  LineCollector,
  netnsPrerequisites,
  nsExec,
  REPO_ROOT,
  sleep,
  Testbed,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['tshark']));

describeTier('net adapters in namespaces', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  let tool: string;

  const run = (host: Host, ...args: string[]): Record<string, unknown> => {
    const lines = nsExec(host.ns, process.execPath, [tool, ...args])
      .trim()
      .split('\n');
    return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
  };

  beforeAll(async () => {
    bed = new Testbed('kts-vio-ad');
    [a, b] = bed.twoHosts('10.231.7');
    tool = await bundleHarness(join(REPO_ROOT, 'test/netns/harness/net-tool.ts'), 'net-tool');
  });
  afterAll(() => {
    bed?.destroy();
    if (tool) rmSync(tool, { force: true });
  });

  it('sends a protocol-112 datagram to 224.0.0.18 that arrives with TTL 255 and our source', async () => {
    const rx = bed.spawnIn(b.ns, process.execPath, [tool, 'recv', 'eth0', '224.0.0.18', '1', '5000']);
    const lines = new LineCollector(rx);
    await lines.wait(/"ready"/, 10_000);
    const payload = '21330164010100000a0a0a0a0000000000000000'.slice(0, 40);
    run(a, 'send', 'eth0', '-', '224.0.0.18', payload, '224.0.0.18');
    await lines.wait(/"datagram"|"timeout"/, 10_000);
    const got = JSON.parse(lines.lines[lines.find(/"datagram"/)]!.text) as Record<string, unknown>;
    expect(got).toMatchObject({ source: a.address, destination: '224.0.0.18', ttl: 255, payload });
  });

  it('writes a configured source address (mcast_src_ip / unicast_src_ip) and sends unicast', async () => {
    nsExec(a.ns, 'ip', ['addr', 'add', '10.231.7.50/24', 'dev', 'eth0']);
    const rx = bed.spawnIn(b.ns, process.execPath, [tool, 'recv', 'eth0', '-', '1', '5000']);
    const lines = new LineCollector(rx);
    await lines.wait(/"ready"/, 10_000);
    run(a, 'send', 'eth0', '10.231.7.50', b.address, 'deadbeef');
    await lines.wait(/"datagram"|"timeout"/, 10_000);
    const got = JSON.parse(lines.lines[lines.find(/"datagram"/)]!.text) as Record<string, unknown>;
    expect(got).toMatchObject({
      source: '10.231.7.50',
      destination: b.address,
      ttl: 255,
      payload: 'deadbeef',
    });
  });

  it('adds and removes a VIP with label, scope and broadcast over rtnetlink', () => {
    expect(
      run(a, 'addr', 'add', 'eth0', '10.231.7.100/24', 'eth0:vip', 'global', '10.231.7.255'),
    ).toMatchObject({
      changed: true,
    });
    // Adding it again reports "already there" instead of failing.
    expect(run(a, 'addr', 'add', 'eth0', '10.231.7.100/24', 'eth0:vip')).toMatchObject({ changed: false });
    const shown = JSON.parse(nsExec(a.ns, 'ip', ['-j', 'addr', 'show', 'dev', 'eth0'])) as {
      addr_info: { local: string; prefixlen: number; label?: string; broadcast?: string; scope: string }[];
    }[];
    const vip = shown[0]!.addr_info.find((x) => x.local === '10.231.7.100');
    expect(vip).toMatchObject({
      prefixlen: 24,
      label: 'eth0:vip',
      broadcast: '10.231.7.255',
      scope: 'global',
    });
    expect(run(a, 'addr', 'add', 'eth0', '10.231.7.101/32', '-', 'host')).toMatchObject({ changed: true });
    expect(bed.addresses(a.ns)).toContain('10.231.7.101/32');
    // The primary address stays the one configured first, whatever VIPs were added later.
    expect(run(a, 'info', 'eth0')).toMatchObject({ primary: a.address, up: true });
    expect(run(a, 'addr', 'del', 'eth0', '10.231.7.100/24')).toMatchObject({ changed: true });
    expect(run(a, 'addr', 'del', 'eth0', '10.231.7.100/24')).toMatchObject({ changed: false });
    expect(run(a, 'addr', 'del', 'eth0', '10.231.7.101/32')).toMatchObject({ changed: true });
    expect(bed.hasAddress(a.ns, '10.231.7.100')).toBe(false);
    expect(bed.hasAddress(a.ns, '10.231.7.101')).toBe(false);
  });

  it('reports link down and up from rtnetlink notifications', async () => {
    const w = bed.spawnIn(a.ns, process.execPath, [tool, 'watch', 'eth0', '2']);
    const lines = new LineCollector(w);
    await lines.wait(/"ready"/, 10_000);
    expect(lines.text()).toContain('"up":true');
    nsExec(a.ns, 'ip', ['link', 'set', 'eth0', 'down']);
    await lines.wait(/"link".*"up":false/, 10_000);
    nsExec(a.ns, 'ip', ['link', 'set', 'eth0', 'up']);
    await lines.wait(/"link".*"up":true/, 10_000);
  });

  it('puts gratuitous ARP frames on the wire: request, broadcast, spa = tpa = VIP', async () => {
    const info = run(a, 'info', 'eth0') as { mac: string };
    const mac = info.mac.match(/../g)!.join(':');
    const capture = bed.spawnIn(b.ns, 'tshark', [
      '-i',
      'eth0',
      '-f',
      'arp',
      '-c',
      '3',
      '-a',
      'duration:15',
      '-l',
      '-T',
      'fields',
      '-e',
      'eth.dst',
      '-e',
      'eth.src',
      '-e',
      'arp.opcode',
      '-e',
      'arp.src.hw_mac',
      '-e',
      'arp.src.proto_ipv4',
      '-e',
      'arp.dst.hw_mac',
      '-e',
      'arp.dst.proto_ipv4',
    ]);
    const lines = new LineCollector(capture);
    await lines.wait(/Capturing on/, 15_000);
    await sleep(300);
    run(a, 'garp', 'eth0', '10.231.7.100', '3');
    const done = new Promise((r) => capture.on('exit', r));
    await done;
    const frames = lines.lines.map((l) => l.text).filter((t) => t.includes('10.231.7.100'));
    expect(frames).toHaveLength(3);
    for (const f of frames) {
      expect(f.split('\t')).toEqual([
        'ff:ff:ff:ff:ff:ff',
        mac,
        '1',
        mac,
        '10.231.7.100',
        'ff:ff:ff:ff:ff:ff',
        '10.231.7.100',
      ]);
    }
  });
});
