/**
 * The VRRP dump texts against keepalived 2.2.7's own files for the same config
 * (test/fixtures/dumps: vrrp.conf run by keepalived 2.2.7 in a network namespace here, then
 * USR1, USR2 and SIGRTMIN+2): the engine runs vrrp.conf over the in-memory platform until the
 * states are keepalived's (VI_1 MASTER, VI_2 FAULT on its failing weight-0 script), and its
 * snapshot is formatted. Lines must match keepalived's one for one, the run's values (times,
 * descriptors, the advert source) aside.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { emptyCounters } from '../../../src/vrrp/counters.js';
import {
  formatRoute,
  formatVip,
  vrrpDataText,
  vrrpJsonDocument,
  vrrpStatsText,
  type DumpHost,
  type InterfaceDump,
} from '../../../src/vrrp/dumps.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { fakeVrrpPlatform } from '../../support/fake-vrrp-platform.js';
import { jsonShape, maskData } from '../../support/dump-compare.js';
import { build } from '../config/schema-helpers.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'dumps');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const host: DumpHost = {
  ids: () => ({ uid: 0, gid: 0 }),
  programOf: (p) => (p.startsWith('/bin/') ? `/usr${p}` : p),
};

/** The namespace keepalived ran in: lo and the veth end named eth0. */
const INTERFACES: InterfaceDump[] = [
  {
    name: 'lo',
    index: 1,
    ipv4: ['127.0.0.1'],
    ipv6: ['::1'],
    mac: null,
    macBroadcast: null,
    flags: {
      up: true,
      running: true,
      broadcast: false,
      loopback: true,
      pointToPoint: false,
      noArp: false,
      multicast: false,
    },
    mtu: 65536,
    hwType: 772,
  },
  {
    name: 'eth0',
    index: 68,
    ipv4: ['10.239.9.1', '10.239.9.100', '10.239.9.101', '10.239.9.102'],
    ipv6: ['fe80::cc16:a7ff:fec7:cf7f'],
    mac: 'ce:16:a7:c7:cf:7f',
    macBroadcast: 'ff:ff:ff:ff:ff:ff',
    flags: {
      up: true,
      running: true,
      broadcast: true,
      loopback: false,
      pointToPoint: false,
      noArp: false,
      multicast: true,
    },
    mtu: 1500,
    hwType: 1,
  },
];

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

async function runFixtureConfig() {
  const { config } = build(fixture('vrrp.conf'));
  const f = fakeVrrpPlatform();
  f.scriptResults.set('/bin/false', { kind: 'exited', code: 1 });
  const clock = new ManualClock();
  const engine = await VrrpEngine.create(config, { clock, logger: new MemoryLogger(), platform: f.platform });
  engine.start();
  await flush();
  clock.advance(5000);
  await flush();
  return { engine, clock };
}

describe('VRRP dump texts against keepalived 2.2.7', () => {
  beforeAll(() => {
    process.env['TZ'] = 'UTC';
  });

  it("the data file's VRRP sections are keepalived's, line for line", async () => {
    const { engine, clock } = await runFixtureConfig();
    expect(engine.status().map((s) => s.state)).toEqual(['MASTER', 'FAULT']);
    const ours = vrrpDataText(
      engine.dumpSnapshot({ clock: clock.now(), wall: 1796166300000 }),
      INTERFACES,
      host,
    );
    const theirs = fixture('ka227-keepalived.data');
    // keepalived keeps an unset vrrp_script timeout as 0 (and runs with the interval); the
    // model holds the timeout in force, which keepalived-ts prints (docs/operations.md).
    const vrrpPart = theirs
      .slice(theirs.indexOf('------< VRRP Topology >------'))
      .replace('   Timeout = 0 sec', '   Timeout = 1 sec');
    expect(maskData(ours)).toEqual(maskData(vrrpPart));
    await engine.stop();
  });

  it('prints the times as keepalived does: seconds.micros and ctime with the micros', async () => {
    const { engine, clock } = await runFixtureConfig();
    const snapshot = engine.dumpSnapshot({ clock: clock.now(), wall: Date.UTC(2026, 11, 1, 23, 5, 0, 200) });
    const lines = vrrpDataText(snapshot, [], host).split('\n');
    // VI_1 became master when its Master_Down_Timer ran out, 3414.0625 ms after start (5000 ms
    // before the snapshot); its next advert is due one advert interval after the last.
    expect(lines).toContain('   Last transition = 1796166298.614063 (Tue Dec  1 23:04:58.614063 2026)');
    expect(lines.filter((l) => l.startsWith('   Read timeout = '))).toEqual([
      expect.stringMatching(/^ {3}Read timeout = 1796166300\.\d{6} \(Tue Dec {2}1 23:05:00\.\d{6} 2026\)$/),
      '   Read timeout = DISABLED',
    ]);
    await engine.stop();
  });

  it("the stats file is keepalived's, and SIGRTMAX-1's clear zeroes every counter", async () => {
    const { engine } = await runFixtureConfig();
    const ours = engine.statsText();
    // keepalived had sent 5 adverts by then; keepalived-ts's count is its own (timing).
    expect(ours.replace(/Sent: \d+/, 'Sent: 5')).toBe(fixture('ka227-keepalived.stats'));
    expect(ours).toMatch(/^ {4}Sent: [1-9]\d*$/m);
    engine.clearStats();
    expect(engine.statsText()).toBe(
      vrrpStatsText([
        { name: 'VI_1', counters: emptyCounters() },
        { name: 'VI_2', counters: emptyCounters() },
      ]),
    );
    expect(vrrpStatsText([])).toBe('');
    await engine.stop();
  });

  it("the JSON is keepalived's array of {data, stats}: same keys, order and types, same config values", async () => {
    const { engine, clock } = await runFixtureConfig();
    const ours = vrrpJsonDocument(engine.dumpSnapshot({ clock: clock.now(), wall: 1796166300000 }), host);
    const theirs = JSON.parse(fixture('ka227-keepalived.json')) as {
      data: Record<string, unknown>;
      stats: Record<string, unknown>;
    }[];
    expect(jsonShape(ours)).toEqual(jsonShape(theirs));
    const strip = (e: { data: Record<string, unknown>; stats: Record<string, unknown> }) => ({
      ...e,
      data: { ...e.data, last_transition: 0 },
      stats: { ...e.stats, advert_sent: 0 },
    });
    expect((ours as typeof theirs).map(strip)).toEqual(theirs.map(strip));
    await engine.stop();
  });

  it('json_version 2 wraps the instances as "vrrp" and adds the process trackers, as keepalived 2.3.3', async () => {
    const conf = (version: number) =>
      [
        'global_defs {',
        `  json_version ${version}`,
        '}',
        'vrrp_track_process sshd {',
        '  process sshd -D',
        '  param_match initial',
        '  quorum 1',
        '  quorum_max 3',
        '  weight 10 reverse',
        '}',
        'vrrp_instance VI_1 {',
        '  interface eth0',
        '  virtual_router_id 51',
        '  track_process {',
        '    sshd',
        '  }',
        '  virtual_ipaddress {',
        '    10.239.9.100',
        '  }',
        '}',
        '',
      ].join('\n');
    const json = async (version: 1 | 2) => {
      const { config, diagnostics } = build(conf(version));
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(config.globalDefs.jsonVersion).toBe(version);
      const f = fakeVrrpPlatform();
      const engine = await VrrpEngine.create(config, {
        clock: new ManualClock(),
        logger: new MemoryLogger(),
        platform: f.platform,
      });
      const doc = vrrpJsonDocument(
        engine.dumpSnapshot({ clock: 0, wall: 0 }),
        host,
        config.globalDefs.jsonVersion,
      );
      await engine.stop();
      return doc;
    };
    const v1 = (await json(1)) as { data: Record<string, unknown> }[];
    expect(Array.isArray(v1)).toBe(true);
    expect(v1[0]!.data['track_process']).toBeUndefined();
    const v2 = (await json(2)) as {
      vrrp: { data: Record<string, unknown>; stats: Record<string, unknown> }[];
      track_process: Record<string, unknown>[];
    };
    expect(Object.keys(v2)).toEqual(['vrrp', 'track_process']);
    // The instances are v1's, each naming its tracked processes.
    const { track_process: names, ...rest } = v2.vrrp[0]!.data;
    expect(names).toEqual(['sshd']);
    expect(jsonShape([{ ...v2.vrrp[0]!, data: rest }])).toEqual(jsonShape(v1));
    expect(v2.track_process).toEqual([
      {
        process: 'sshd',
        parameters: '-D',
        param_match: 'initial',
        min_processes: 1,
        max_processes: 3,
        current_processes: 0,
        have_quorum: false,
        weight: -10,
        terminate_delay: 0,
        fork_delay: 0,
        fork_delay_timer_running: false,
        terminate_delay_timer_running: false,
        // A process line with parameters matches the whole command line (vrrp_parser.c).
        full_command: true,
      },
    ]);
  });

  it('no instances: no JSON file (keepalived writes none) and an empty data part', () => {
    const empty = { instances: [], sockets: [], syncGroups: [], scripts: [], trackFiles: [] };
    expect(vrrpJsonDocument(empty, host)).toBeNull();
    expect(vrrpDataText(empty, [], host)).toBe('');
  });

  it('formats virtual routes as format_iproute (keepalived 2.2.7 wrote the first one)', () => {
    const { config } = build(
      [
        'vrrp_instance VU {',
        '  interface eth0',
        '  virtual_router_id 71',
        '  virtual_ipaddress {',
        '    10.239.9.150/24',
        '  }',
        '  virtual_routes {',
        '    10.250.0.0/16 via 10.239.9.254 dev eth0',
        '    default via 10.239.9.1 table 100 metric 5 no_track',
        '  }',
        '}',
      ].join('\n'),
    );
    const routes = config.vrrpInstances[0]!.virtualRoutes.map((r) => formatRoute(r, 'eth0'));
    expect(routes).toEqual([
      'prepend 10.250.0.0/16 via inet 10.239.9.254 dev eth0 proto 18',
      'prepend default via inet 10.239.9.1 dev eth0 table 100 metric 5 no_track',
    ]);
  });

  it('formats VIPs as format_ipaddress: the prefix only when not a host route, label, set', () => {
    const { config } = build(fixture('vrrp.conf'));
    const [a, b] = config.vrrpInstances[0]!.vips;
    expect(formatVip(a!, false)).toBe('10.239.9.100 dev eth0 scope global');
    expect(formatVip(b!, true)).toBe('10.239.9.101/24 dev eth0 scope global label eth0:1 set');
  });
});

describe('VMAC lines of the data file (vrrp_data.c dump_vrrp)', () => {
  it("prints keepalived 2.2.7's lines for use_vmac and vmac_xmit_base, and the JSON names", async () => {
    const text = (conf: string) =>
      `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  ${conf}\n  virtual_ipaddress {\n    10.239.9.100\n  }\n}\n`;
    const dump = async (conf: string) => {
      const { config } = build(text(conf));
      const f = fakeVrrpPlatform();
      const engine = await VrrpEngine.create(config, {
        clock: new ManualClock(),
        logger: new MemoryLogger(),
        platform: f.platform,
      });
      const snapshot = engine.dumpSnapshot({ clock: 0, wall: 0 });
      return { lines: vrrpDataText(snapshot, [], host).split('\n'), json: vrrpJsonDocument(snapshot, host) };
    };
    // Both as keepalived 2.2.7 wrote them in a namespace (vmac_xmit_base: lines 92-93 of its file).
    const base = await dump('use_vmac\n  vmac_xmit_base');
    const at = base.lines.findIndex((l) => l.startsWith('   Master down timer'));
    expect(base.lines.slice(at + 1, at + 3)).toEqual([
      '   Use VMAC, i/f name vrrp.51, is_up = true, xmit_base = true',
      '   Interface = vrrp.51, vmac on eth0, xmit base i/f',
    ]);
    const own = await dump('use_vmac vm1 02:11:22:33:44');
    expect(own.lines).toContain('   Use VMAC, i/f name vm1, is_up = true, xmit_base = false');
    expect(own.lines).toContain('     MAC = 02:11:22:33:44:33');
    expect(own.lines).toContain('   Interface = vm1, vmac on eth0');
    const addr = await dump('use_vmac_addr');
    const i = addr.lines.indexOf('   Use VMAC for VIPs on other interfaces');
    expect(addr.lines[i + 1]).toBe('   Interface = eth0');
    const data = ((own.json as unknown[])[0] as { data: Record<string, unknown> }).data;
    expect([data['vmac_ifname'], data['ifp_ifname']]).toEqual(['vm1', 'vm1']);
  });

  it("prints notify_priority_changes as resolved for an instance, and a sync group's when set", async () => {
    const { config } = build(
      [
        'global_defs {',
        '  vrrp_notify_priority_changes',
        '}',
        'vrrp_sync_group G1 {',
        '  group {',
        '    VI_2',
        '  }',
        '  notify_priority_changes off',
        '}',
        ...['VI_1', 'VI_2'].flatMap((name, i) => [
          `vrrp_instance ${name} {`,
          '  interface eth0',
          `  virtual_router_id ${51 + i}`,
          '  virtual_ipaddress {',
          `    10.239.9.${100 + i}`,
          '  }',
          '}',
        ]),
        '',
      ].join('\n'),
    );
    const engine = await VrrpEngine.create(config, {
      clock: new ManualClock(),
      logger: new MemoryLogger(),
      platform: fakeVrrpPlatform().platform,
    });
    const lines = vrrpDataText(engine.dumpSnapshot({ clock: 0, wall: 0 }), [], host).split('\n');
    // vrrp_data.c: the instance's true/false; the group's yes/no only when it sets one.
    expect(lines.filter((l) => l.includes('Notify priority changes'))).toEqual([
      '   Notify priority changes = true',
      '   Notify priority changes = false',
      '   Notify priority changes = no',
    ]);
  });
});

describe('a VMAC in the interfaces section (vrrp_if.c dump_if)', () => {
  it("prints keepalived 2.2.7's block for vrrp.51, but for its history-dependent rp_filter line", async () => {
    const { config } = build(
      'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  use_vmac\n  virtual_ipaddress {\n    10.231.14.100/24\n  }\n}\n',
    );
    const engine = await VrrpEngine.create(config, {
      clock: new ManualClock(),
      logger: new MemoryLogger(),
      platform: fakeVrrpPlatform().platform,
    });
    const eth0 = { ...INTERFACES[1]!, index: 2, arpIgnore: 1, arpFilter: 1 };
    const vmac: InterfaceDump = {
      ...INTERFACES[1]!,
      name: 'vrrp.51',
      index: 4,
      ipv4: [],
      ipv6: [],
      mac: '00:00:5e:00:01:33',
      macvlan: { mode: 1, base: 'eth0' },
      arpIgnore: 1,
      arpFilter: 0,
      promoteSecondaries: 1,
    };
    const lines = vrrpDataText(engine.dumpSnapshot({ clock: 0, wall: 0 }), [eth0, vmac], host).split('\n');
    const at = lines.indexOf(' Name = vrrp.51');
    // keepalived's file for this configuration in a namespace, its `rp_filter 0` line left out.
    expect(lines.slice(at, at + 23)).toEqual([
      ' Name = vrrp.51',
      '   index = 4',
      '   IPv4 address = (none)',
      '   IPv6 address = (none)',
      '   MAC = 00:00:5e:00:01:33',
      '   MAC broadcast = ff:ff:ff:ff:ff:ff',
      '   State = UP, RUNNING',
      '   Seen up = 1',
      '   Delayed state change running = false',
      '   Up debounce timer = 0us',
      '   Down debounce timer = 0us',
      '   VMAC type private, underlying interface = eth0, state = UP, RUNNING',
      '   I/f created by keepalived',
      '   MTU = 1500',
      '   HW Type = ETHERNET',
      '   NIC netlink status update',
      '   Reset ARP config counter 0',
      '   Original arp_ignore 1',
      '   Original arp_filter 0',
      '   Original promote_secondaries 1',
      '   Reset promote_secondaries counter 0',
      '   Tracking VRRP instances :',
      '     VI_1, weight 0',
    ]);
    const base = lines.indexOf(' Name = eth0');
    expect(lines.slice(base).find((l) => l.startsWith('   Original arp_ignore'))).toBe(
      '   Original arp_ignore 1',
    );
  });
});

describe('an ipvlan in the interfaces section (vrrp_if.c dump_if)', () => {
  it('prints the IPVLAN type line of keepalived 2.2.7 and marks the ipvlan as its own', async () => {
    const { config } = build(
      'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  use_ipvlan ipv1 10.1.1.1/24 private\n  virtual_ipaddress {\n    10.231.14.100/24\n  }\n}\n',
    );
    const engine = await VrrpEngine.create(config, {
      clock: new ManualClock(),
      logger: new MemoryLogger(),
      platform: fakeVrrpPlatform().platform,
    });
    const eth0 = { ...INTERFACES[1]!, index: 2 };
    const ipvlan = (name: string, flags: number, mode = 0): InterfaceDump => ({
      ...INTERFACES[1]!,
      name,
      index: 5,
      ipv4: ['10.1.1.1'],
      ipv6: [],
      ipvlan: { mode, flags, base: 'eth0' },
    });
    const block = (i: InterfaceDump): string[] => {
      const lines = vrrpDataText(engine.dumpSnapshot({ clock: 0, wall: 0 }), [eth0, i], host).split('\n');
      const at = lines.indexOf(` Name = ${i.name}`);
      return lines.slice(at + 11, at + 13);
    };
    // vrrp_if.c: the mode word (with its space) before the type word; the flags give the type.
    expect(block(ipvlan('ipv1', 1))).toEqual([
      '   IPVLAN type L2 private, underlying interface = eth0, state = UP, RUNNING',
      '   I/f created by keepalived',
    ]);
    expect(block(ipvlan('other', 2, 1))).toEqual([
      '   IPVLAN type L3 vepa, underlying interface = eth0, state = UP, RUNNING',
      '   MTU = 1500',
    ]);
    expect(block(ipvlan('other', 0, 2))[0]).toBe(
      '   IPVLAN type L3S bridge, underlying interface = eth0, state = UP, RUNNING',
    );
  });
});
