import { afterEach, describe, expect, it } from 'vitest';
import type { FullTable } from '../../../src/ipvs/sink.js';
import type { DestinationEntry, IpvsStats, ServiceEntry } from '../../../src/ipvs/types.js';
import { EventFeed } from '../../../src/daemon/event-feed.js';
import { DaemonMetrics, WORKER_TEXT_TIMEOUT_MS } from '../../../src/daemon/metrics.js';
import type { VrrpMetricsSource } from '../../../src/daemon/metrics-sources.js';
import { metricsRoutes } from '../../../src/daemon/metrics-routes.js';
import { emptyCounters } from '../../../src/vrrp/counters.js';
import type { InstanceReport } from '../../../src/vrrp/engine.js';
import type { VrrpState } from '../../../src/vrrp/state-machine.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { vip, vrrpInstance } from '../../support/vrrp-config.js';
import {
  GEN2BRAIN_LVS_METRICS,
  MEHDY_VRRP_METRICS,
  parseExposition,
  type Family,
} from './metrics-support.js';

const made: DaemonMetrics[] = [];
afterEach(() => {
  for (const m of made.splice(0)) m.close();
});

function metrics(): DaemonMetrics {
  const m = new DaemonMetrics({ defaultMetrics: false, now: () => 1_000_000 });
  made.push(m);
  return m;
}

function report(
  name: string,
  vrid: number,
  state: VrrpState,
  over: {
    vips?: ReturnType<typeof vip>[];
    excluded?: ReturnType<typeof vip>[];
    counters?: Partial<Record<string, number>>;
    trackers?: InstanceReport['trackers'];
    stateSince?: number;
  } = {},
): InstanceReport {
  const config = vrrpInstance(name, vrid, {
    vips: over.vips ?? [],
    excludedVips: over.excluded ?? [],
  });
  return {
    config,
    detail: {
      name,
      state,
      wantState: state,
      effectivePriority: 110,
      basePriority: 100,
      masterAddress: null,
      counters: { ...emptyCounters(), ...over.counters },
      masterPriority: null,
      fault: null,
      standby: false,
      stateSince: over.stateSince ?? 0,
      lastTransition: null,
    },
    sourceAddress: '10.0.0.9',
    advertIntervalMs: 1000,
    trackers: over.trackers ?? [],
  };
}

function vrrpSource(reports: InstanceReport[], clockNow = 10_000): VrrpMetricsSource & { reads: number } {
  const src = {
    reads: 0,
    reports: () => {
      src.reads++;
      return reports;
    },
    scripts: () => [
      { name: 'chk_good', good: true, running: false },
      { name: 'chk_bad', good: false, running: true },
    ],
    clockNow: () => clockNow,
  };
  return src;
}

const stats = (n: number): IpvsStats => ({
  conns: n,
  inpkts: n * 10,
  outpkts: n * 20,
  inbytes: n * 1000,
  outbytes: n * 2000,
  cps: 0,
  inpps: 0,
  outpps: 0,
  inbps: 0,
  outbps: 0,
});

function kernelTable(): FullTable {
  const service: ServiceEntry = {
    id: { kind: 'addr', family: 'inet', protocol: 6, address: '10.0.0.1', port: 80 },
    scheduler: 'rr',
    flags: 0,
    timeout: 0,
    netmask: 0xffffffff,
    peName: null,
    stats: stats(3),
  };
  const dest = (address: string, n: number): DestinationEntry => ({
    family: 'inet',
    address,
    port: 8080,
    forwarding: 'NAT',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
    tunnel: null,
    activeConns: n,
    inactiveConns: n + 1,
    persistConns: 0,
    stats: stats(n),
  });
  return {
    services: new Map([
      [
        'svc',
        {
          service,
          destinations: new Map([
            ['a', dest('192.168.0.1', 1)],
            ['b', dest('192.168.0.2', 2)],
          ]),
        },
      ],
    ]),
  };
}

const familyOf = (text: string, name: string): Family => {
  const f = parseExposition(text).get(name);
  if (f === undefined) throw new Error(`no ${name} in the exposition`);
  return f;
};

describe('DaemonMetrics: the exporters names and labels', () => {
  it("defines every mehdy/keepalived-exporter VRRP metric with the exporter's type, labels and help", async () => {
    const m = metrics();
    m.attachVrrp(
      vrrpSource([report('VI_1', 51, 'MASTER', { vips: [vip('10.0.0.1')], excluded: [vip('10.0.1.1')] })]),
    );
    const families = parseExposition(await m.text());
    for (const want of MEHDY_VRRP_METRICS) {
      const f = families.get(want.name);
      expect(f, want.name).toBeDefined();
      expect({ name: want.name, type: f!.type, help: f!.help }).toEqual({
        name: want.name,
        type: want.type,
        help: want.help,
      });
      expect(f!.samples.length, want.name).toBeGreaterThan(0);
      for (const s of f!.samples)
        expect(Object.keys(s.labels).sort(), want.name).toEqual([...want.labels].sort());
    }
  });

  it("defines every gen2brain/keepalived_exporter IPVS metric with the exporter's type, labels and help", async () => {
    const m = metrics();
    const source = {
      workerText: () => Promise.resolve(''),
      kernelTable: () => Promise.resolve(kernelTable()),
    };
    m.attachLvs(source);
    await m.refreshKernel(source);
    const families = parseExposition(await m.text());
    for (const want of GEN2BRAIN_LVS_METRICS) {
      const f = families.get(want.name);
      expect(f, want.name).toBeDefined();
      expect({ type: f!.type, help: f!.help }).toEqual({ type: want.type, help: want.help });
      expect(f!.samples.length, want.name).toBeGreaterThan(0);
      for (const s of f!.samples)
        expect(Object.keys(s.labels).sort(), want.name).toEqual([...want.labels].sort());
    }
  });

  it('every name is defined once and every name of ours is keepalived_ or a prom-client default', () => {
    const m = new DaemonMetrics({ defaultMetrics: true });
    made.push(m);
    const names = m.names();
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^(keepalived_|process_|nodejs_)/);
    expect(names).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('DaemonMetrics: values', () => {
  it('keepalived_vrrp_state: one series per VIP, the state number, an empty address without VIPs', async () => {
    const m = metrics();
    m.attachVrrp(
      vrrpSource([
        report('VI_1', 51, 'MASTER', {
          vips: [vip('10.0.0.1'), vip('10.0.0.2', { prefixLength: 24, dev: 'eth1' })],
          excluded: [vip('10.0.1.1')],
        }),
        report('VI_2', 52, 'BACKUP'),
        report('VI_3', 53, 'FAULT', { vips: [vip('10.0.3.1')] }),
      ]),
    );
    const text = await m.text();
    expect(familyOf(text, 'keepalived_vrrp_state').samples).toEqual([
      {
        name: 'keepalived_vrrp_state',
        labels: { iname: 'VI_1', intf: 'eth0', vrid: '51', ip_address: '10.0.0.1' },
        value: 2,
      },
      {
        name: 'keepalived_vrrp_state',
        labels: { iname: 'VI_1', intf: 'eth1', vrid: '51', ip_address: '10.0.0.2/24' },
        value: 2,
      },
      {
        name: 'keepalived_vrrp_state',
        labels: { iname: 'VI_2', intf: 'eth0', vrid: '52', ip_address: '' },
        value: 1,
      },
      {
        name: 'keepalived_vrrp_state',
        labels: { iname: 'VI_3', intf: 'eth0', vrid: '53', ip_address: '10.0.3.1' },
        value: 3,
      },
    ]);
    expect(familyOf(text, 'keepalived_vrrp_excluded_state').samples).toEqual([
      {
        name: 'keepalived_vrrp_excluded_state',
        labels: { iname: 'VI_1', intf: 'eth0', vrid: '51', ip_address: '10.0.1.1' },
        value: 2,
      },
    ]);
  });

  it("the counters are the instances' own counters, read on the scrape; state changes show at the next one", async () => {
    const m = metrics();
    const reports = [report('VI_1', 51, 'BACKUP', { counters: { advert_rcvd: 7, pri_zero_sent: 1 } })];
    m.attachVrrp(vrrpSource(reports));
    let text = await m.text();
    const labels = { iname: 'VI_1', intf: 'eth0', vrid: '51' };
    expect(familyOf(text, 'keepalived_advertisements_received_total').samples).toEqual([
      { name: 'keepalived_advertisements_received_total', labels, value: 7 },
    ]);
    expect(familyOf(text, 'keepalived_priority_zero_sent_total').samples[0]!.value).toBe(1);
    expect(familyOf(text, 'keepalived_advertisements_sent_total').samples[0]!.value).toBe(0);
    reports[0] = report('VI_1', 51, 'MASTER', {
      counters: { advert_rcvd: 9, advert_sent: 3, become_master: 1 },
    });
    text = await m.text();
    expect(familyOf(text, 'keepalived_advertisements_received_total').samples[0]!.value).toBe(9);
    expect(familyOf(text, 'keepalived_advertisements_sent_total').samples[0]!.value).toBe(3);
    expect(familyOf(text, 'keepalived_become_master_total').samples[0]!.value).toBe(1);
    expect(familyOf(text, 'keepalived_vrrp_state').samples[0]!.value).toBe(2);
  });

  it('scripts (GOOD 1 / BAD 0, idle 0 / running 1), priorities, trackers and the time the state was entered', async () => {
    const m = metrics();
    m.attachVrrp(
      vrrpSource(
        [
          report('VI_1', 51, 'MASTER', {
            stateSince: 4000,
            trackers: [
              {
                item: { kind: 'script', name: 'chk_good', weight: 10, reverse: false, status: 'up' },
                effect: { contribution: 10, fault: null },
              },
              {
                item: { kind: 'interface', name: 'eth1', weight: 0, reverse: false, up: false },
                effect: { contribution: 0, fault: { reason: 'interface eth1 down', log: '' } },
              },
            ],
          }),
        ],
        10_000,
      ),
    );
    const text = await m.text();
    expect(
      familyOf(text, 'keepalived_script_status').samples.map((s) => [s.labels['name'], s.value]),
    ).toEqual([
      ['chk_good', 1],
      ['chk_bad', 0],
    ]);
    expect(familyOf(text, 'keepalived_script_state').samples.map((s) => [s.labels['name'], s.value])).toEqual(
      [
        ['chk_good', 0],
        ['chk_bad', 1],
      ],
    );
    expect(familyOf(text, 'keepalived_ts_vrrp_effective_priority').samples[0]!.value).toBe(110);
    expect(familyOf(text, 'keepalived_ts_vrrp_base_priority').samples[0]!.value).toBe(100);
    expect(familyOf(text, 'keepalived_ts_vrrp_tracker_contribution').samples).toEqual([
      {
        name: 'keepalived_ts_vrrp_tracker_contribution',
        labels: { iname: 'VI_1', kind: 'script', name: 'chk_good' },
        value: 10,
      },
      {
        name: 'keepalived_ts_vrrp_tracker_contribution',
        labels: { iname: 'VI_1', kind: 'interface', name: 'eth1' },
        value: 0,
      },
    ]);
    expect(familyOf(text, 'keepalived_ts_vrrp_tracker_fault').samples.map((s) => s.value)).toEqual([0, 1]);
    // Wall clock 1,000,000 ms now; entered 6 s ago on the engine clock.
    expect(familyOf(text, 'keepalived_ts_vrrp_state_since_timestamp_seconds').samples[0]!.value).toBe(994);
  });

  it('transitions and reloads are counted from the event feed as they happen', async () => {
    const m = metrics();
    const feed = new EventFeed(new MemoryLogger());
    feed.subscribe((e) => m.onEvent(e));
    feed.emit({ kind: 'vrrp-state', instance: 'VI_1', from: 'BACKUP', to: 'MASTER' });
    feed.emit({ kind: 'vrrp-state', instance: 'VI_1', from: 'MASTER', to: 'BACKUP' });
    feed.emit({ kind: 'vrrp-state', instance: 'VI_1', from: 'BACKUP', to: 'MASTER' });
    feed.emit({ kind: 'reload', applied: true, durationMs: 40 });
    feed.emit({ kind: 'reload', applied: false, durationMs: 3 });
    feed.emit({ kind: 'rs-health', vs: 'v', rs: 'r', vsName: 'V', rsName: 'R', up: false });
    const text = await m.text();
    expect(
      familyOf(text, 'keepalived_ts_vrrp_transitions_total').samples.map((s) => [s.labels['to'], s.value]),
    ).toEqual([
      ['MASTER', 2],
      ['BACKUP', 1],
    ]);
    expect(
      familyOf(text, 'keepalived_ts_reloads_total').samples.map((s) => [s.labels['result'], s.value]),
    ).toEqual([
      ['applied', 1],
      ['refused', 1],
    ]);
    const duration = familyOf(text, 'keepalived_ts_reload_duration_seconds').samples;
    expect(duration.find((s) => s.name.endsWith('_count'))!.value).toBe(2);
    expect(duration.find((s) => s.name.endsWith('_sum'))!.value).toBeCloseTo(0.043);
    expect(duration.find((s) => s.labels['le'] === '0.005')!.value).toBe(1);
  });

  it('Adver_Timer lateness and checker restarts', async () => {
    const m = metrics();
    m.advertTimer('VI_1', 0.2);
    m.advertTimer('VI_1', 30);
    m.checkerRestart();
    const text = await m.text();
    const lateness = familyOf(text, 'keepalived_ts_vrrp_advert_timer_lateness_seconds').samples;
    expect(lateness.find((s) => s.labels['le'] === '0.0005')!.value).toBe(1);
    expect(lateness.find((s) => s.labels['le'] === '0.05')!.value).toBe(2);
    expect(lateness.find((s) => s.name.endsWith('_count'))).toMatchObject({
      labels: { iname: 'VI_1' },
      value: 2,
    });
    expect(familyOf(text, 'keepalived_ts_checker_worker_restarts_total').samples[0]!.value).toBe(1);
  });

  it("kernel counters: gen2brain's labels, refreshed from a dump (not per scrape), none with --no-ipvs", async () => {
    const m = metrics();
    let dumps = 0;
    const source = {
      workerText: () => Promise.resolve(''),
      kernelTable: () => {
        dumps++;
        return Promise.resolve(kernelTable());
      },
    };
    m.attachLvs(source);
    await m.refreshKernel(source);
    const before = dumps;
    const text = await m.text();
    await m.text();
    expect(dumps).toBe(before);
    expect(familyOf(text, 'keepalived_lvs_vip_in_bytes').samples).toEqual([
      { name: 'keepalived_lvs_vip_in_bytes', labels: { addr: '10.0.0.1:80', proto: '6' }, value: 3000 },
    ]);
    expect(familyOf(text, 'keepalived_lvs_rs_conn').samples).toEqual([
      {
        name: 'keepalived_lvs_rs_conn',
        labels: { vip: '10.0.0.1:80', addr: '192.168.0.1:8080', proto: '6' },
        value: 1,
      },
      {
        name: 'keepalived_lvs_rs_conn',
        labels: { vip: '10.0.0.1:80', addr: '192.168.0.2:8080', proto: '6' },
        value: 2,
      },
    ]);
    expect(familyOf(text, 'keepalived_ts_lvs_rs_active_connections').samples.map((s) => s.value)).toEqual([
      1, 2,
    ]);
    expect(familyOf(text, 'keepalived_ts_lvs_rs_inactive_connections').samples.map((s) => s.value)).toEqual([
      2, 3,
    ]);

    const noIpvs = metrics();
    noIpvs.attachLvs({ workerText: () => Promise.resolve(''), kernelTable: null });
    const families = parseExposition(await noIpvs.text());
    for (const name of families.keys()) expect(name).not.toMatch(/lvs/);
  });

  it("appends the worker's text; a worker that does not answer is left out after the timeout", async () => {
    const m = metrics();
    const detach = m.attachLvs({
      workerText: () =>
        Promise.resolve('# HELP keepalived_ts_x X\n# TYPE keepalived_ts_x gauge\nkeepalived_ts_x 5\n'),
      kernelTable: null,
    });
    expect(familyOf(await m.text(), 'keepalived_ts_x').samples[0]!.value).toBe(5);
    detach();
    // The worker's bytes are written as they came, never decoded or copied on this thread.
    const bytes = new TextEncoder().encode('keepalived_ts_y 1\n');
    const detachBytes = m.attachLvs({ workerText: () => Promise.resolve(bytes), kernelTable: null });
    const parts = await m.parts();
    expect(parts.at(-1)).toBe(bytes);
    expect(typeof parts[0]).toBe('string');
    detachBytes();
    m.attachLvs({ workerText: () => new Promise<string>(() => {}), kernelTable: null });
    const t0 = Date.now();
    const text = await m.text();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(WORKER_TEXT_TIMEOUT_MS - 50);
    expect(parseExposition(text).get('keepalived_up')!.samples[0]!.value).toBe(1);
    expect(parseExposition(text).has('keepalived_ts_x')).toBe(false);
  });

  it('a detached VRRP source is no longer read', async () => {
    const m = metrics();
    const src = vrrpSource([report('VI_1', 51, 'MASTER')]);
    const detach = m.attachVrrp(src);
    await m.text();
    const reads = src.reads;
    expect(reads).toBeGreaterThan(0);
    detach();
    const text = await m.text();
    expect(src.reads).toBe(reads);
    expect(familyOf(text, 'keepalived_vrrp_state').samples).toEqual([]);
  });
});

describe('metricsRoutes', () => {
  it('GET /metrics with the exposition content type; no route without metrics', async () => {
    expect(metricsRoutes({})).toEqual([]);
    const m = metrics();
    const [route] = metricsRoutes({ metrics: m });
    expect(route).toMatchObject({ method: 'GET', path: '/metrics' });
    let head: [number, Record<string, string>] | null = null;
    let body = '';
    let ended = false;
    const res = {
      writeHead: (status: number, headers: Record<string, string>) => (head = [status, headers]),
      write: (p: string | Uint8Array) => (body += typeof p === 'string' ? p : new TextDecoder().decode(p)),
      end: () => (ended = true),
    };
    await route!.handle({} as never, res as never);
    expect(head).toEqual([200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }]);
    expect(body).toContain('keepalived_up 1');
    expect(ended).toBe(true);
  });
});
