import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up } from '../../../src/check/checker.js';
import { desiredTable, drainKey, type PoolHealth, type RsState } from '../../../src/check/table.js';
import type { Config } from '../../../src/config/model.js';
import { createCheckerHost, type CheckerHost } from '../../../src/daemon/checker-host.js';
import { CheckerWorkerMetrics } from '../../../src/daemon/metrics-worker.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { config, realServer, tcpCheck, virtualServer } from '../check/support/config.js';
import { tcpServer, type Listening } from '../check/support/servers.js';
import { parseExposition } from './metrics-support.js';

const rs1 = realServer('192.168.0.1', 80, [tcpCheck(80)], { weight: 3 });
const rs2 = realServer('192.168.0.2', 80, [tcpCheck(80)], { weight: 2 });
const vs = virtualServer('10.0.0.1', 80, [rs1, rs2], { quorum: 1 });
const cfg = config([vs]);

function health(alive1: boolean, alive2: boolean, quorumUp = true): PoolHealth {
  const servers = new Map<string, RsState>([
    [rs1.key, { alive: alive1, effectiveWeight: 3 }],
    [rs2.key, { alive: alive2, effectiveWeight: 2 }],
  ]);
  return { virtualServers: new Map([[vs.key, { quorumUp, realServers: servers }]]) };
}

async function values(m: CheckerWorkerMetrics, name: string): Promise<Record<string, number>> {
  const f = parseExposition(await m.text()).get(name);
  return Object.fromEntries(
    (f?.samples ?? []).map((s) => [s.labels['real_server'] ?? s.labels['virtual_server'], s.value]),
  );
}

describe('CheckerWorkerMetrics', () => {
  it('updateVirtualServer changes the series of that virtual server only', async () => {
    const other = virtualServer('10.0.0.2', 80, [realServer('192.168.0.9', 80, [tcpCheck(80)])]);
    const both = config([vs, other]);
    const m = new CheckerWorkerMetrics();
    const h = health(true, true);
    m.update(both, desiredTable(both, h), h);
    const lost = health(false, true);
    const services = desiredTable(config([vs]), lost).services;
    m.updateVirtualServer(vs, services, lost.virtualServers.get(vs.key));
    expect(await values(m, 'keepalived_ts_real_server_healthy')).toEqual({
      '[192.168.0.1]:tcp:80': 0,
      '[192.168.0.2]:tcp:80': 1,
      '[192.168.0.9]:tcp:80': 0,
    });
    expect(await values(m, 'keepalived_ts_real_server_weight')).toEqual({
      '[192.168.0.1]:tcp:80': 0,
      '[192.168.0.2]:tcp:80': 2,
      '[192.168.0.9]:tcp:80': 0,
    });
  });

  it("real servers' health, weight and drain state and the quorum follow the pool's tables", async () => {
    const m = new CheckerWorkerMetrics();
    const h = health(true, false);
    m.update(cfg, desiredTable(cfg, h), h);
    expect(await values(m, 'keepalived_ts_real_server_healthy')).toEqual({
      '[192.168.0.1]:tcp:80': 1,
      '[192.168.0.2]:tcp:80': 0,
    });
    expect(await values(m, 'keepalived_ts_real_server_weight')).toEqual({
      '[192.168.0.1]:tcp:80': 3,
      '[192.168.0.2]:tcp:80': 0,
    });
    expect(await values(m, 'keepalived_ts_real_server_drained')).toEqual({
      '[192.168.0.1]:tcp:80': 0,
      '[192.168.0.2]:tcp:80': 0,
    });
    expect(await values(m, 'keepalived_ts_virtual_server_quorum_up')).toEqual({ '[10.0.0.1]:tcp:80': 1 });

    // The operator drains rs1: weight 0 in the table, health unchanged.
    const drained = new Set([drainKey(vs.key, rs1.key)]);
    m.setDrained(drained);
    m.update(cfg, desiredTable(cfg, h, drained), h);
    expect(await values(m, 'keepalived_ts_real_server_drained')).toMatchObject({ '[192.168.0.1]:tcp:80': 1 });
    expect(await values(m, 'keepalived_ts_real_server_weight')).toMatchObject({ '[192.168.0.1]:tcp:80': 0 });
    expect(await values(m, 'keepalived_ts_real_server_healthy')).toMatchObject({ '[192.168.0.1]:tcp:80': 1 });

    // Both down, quorum lost.
    const lost = health(false, false, false);
    m.update(cfg, desiredTable(cfg, lost, drained), lost);
    expect(await values(m, 'keepalived_ts_real_server_healthy')).toEqual({
      '[192.168.0.1]:tcp:80': 0,
      '[192.168.0.2]:tcp:80': 0,
    });
    expect(await values(m, 'keepalived_ts_virtual_server_quorum_up')).toEqual({ '[10.0.0.1]:tcp:80': 0 });
  });

  it('an unchanged virtual server (same objects) is skipped; reset drops servers a new config lacks', async () => {
    const m = new CheckerWorkerMetrics();
    const h = health(true, true);
    const table = desiredTable(cfg, h);
    m.update(cfg, table, h);
    // Same table and health objects: skipped, so a changed config alone does not show yet.
    const other = config([virtualServer('10.0.0.1', 80, [rs1], { quorum: 1 })]);
    m.update(other, table, h);
    expect(Object.keys(await values(m, 'keepalived_ts_real_server_healthy'))).toHaveLength(2);
    m.reset();
    const h2 = health(true, true);
    m.update(other, desiredTable(other, h2), h2);
    expect(await values(m, 'keepalived_ts_real_server_healthy')).toEqual({ '[192.168.0.1]:tcp:80': 1 });
  });

  it("renders the servers' series once per change, the check series on every call", async () => {
    const m = new CheckerWorkerMetrics();
    const h = health(true, true);
    const table = desiredTable(cfg, h);
    m.update(cfg, table, h);
    let renders = 0;
    const render = m.stateRegistry.metrics.bind(m.stateRegistry);
    m.stateRegistry.metrics = () => {
      renders++;
      return render();
    };
    await m.bytes();
    await m.bytes();
    expect(renders).toBe(1);
    m.attempt('TCP_CHECK', 1, up());
    expect(parseExposition(await m.text()).get('keepalived_ts_checks_total')!.samples[0]!.value).toBe(1);
    expect(renders).toBe(1);
    m.update(cfg, table, h); // the same objects: nothing changed
    await m.bytes();
    expect(renders).toBe(1);
    const h2 = health(false, true);
    m.update(cfg, desiredTable(cfg, h2), h2);
    expect(await values(m, 'keepalived_ts_real_server_healthy')).toMatchObject({ '[192.168.0.1]:tcp:80': 0 });
    expect(renders).toBe(2);
  });

  it('attempts: a latency histogram per checker kind, failures by kind and reason', async () => {
    const m = new CheckerWorkerMetrics();
    m.attempt('TCP_CHECK', 0.8, up());
    m.attempt('TCP_CHECK', 30, down('Timeout connecting'));
    m.attempt('HTTP_GET', 4, down('HTTP status code error to', 'url(/), status_code [500]'));
    const families = parseExposition(await m.text());
    const hist = families.get('keepalived_ts_check_duration_seconds')!;
    expect(hist.type).toBe('histogram');
    const count = (type: string) =>
      hist.samples.find((s) => s.name.endsWith('_count') && s.labels['type'] === type)!.value;
    expect(count('TCP_CHECK')).toBe(2);
    expect(count('HTTP_GET')).toBe(1);
    expect(
      hist.samples.find((s) => s.labels['type'] === 'TCP_CHECK' && s.labels['le'] === '0.001')!.value,
    ).toBe(1);
    expect(
      families.get('keepalived_ts_checks_total')!.samples.map((s) => [s.labels['type'], s.value]),
    ).toEqual([
      ['TCP_CHECK', 2],
      ['HTTP_GET', 1],
    ]);
    expect(families.get('keepalived_ts_check_failures_total')!.samples.map((s) => s.labels)).toEqual([
      { type: 'TCP_CHECK', reason: 'Timeout connecting' },
      // The reason without its detail: the label set stays bounded.
      { type: 'HTTP_GET', reason: 'HTTP status code error to' },
    ]);
  });
});

describe('checker host with metrics: the worker renders its part', () => {
  let dir: string;
  let workerUrl: URL;
  const hosts: CheckerHost[] = [];
  const listening: Listening[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kts-metrics-worker-'));
    // As scripts/build.mjs bundles it: prom-client is CommonJS and needs a `require`.
    await build({
      entryPoints: [join(import.meta.dirname, '../../../src/daemon/checker-worker.ts')],
      outfile: join(dir, 'checker-worker.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      logLevel: 'warning',
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    workerUrl = pathToFileURL(join(dir, 'checker-worker.js'));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop({ omega: false })));
    await Promise.all(listening.map((l) => l.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const oneServer = (port: number): Config =>
    config([
      virtualServer('10.0.0.1', 80, [
        realServer('127.0.0.1', port, [tcpCheck(port, { retry: 0, connectTimeout: 1 })]),
      ]),
    ]);

  const waitFor = async (cond: () => Promise<boolean>, what: string): Promise<void> => {
    const until = Date.now() + 10_000;
    while (!(await cond())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('metricsText: health 1 while the listener answers, 0 once it is gone, with the attempts counted', async () => {
    const l = await tcpServer();
    listening.push(l);
    const host = createCheckerHost(oneServer(l.port), {
      logger: new MemoryLogger(),
      workerUrl,
      metrics: true,
    });
    hosts.push(host);
    await host.start();
    const rs = `[127.0.0.1]:tcp:${l.port}`;
    const healthy = async (): Promise<number | undefined> =>
      parseExposition(new TextDecoder().decode(await host.metricsText()))
        .get('keepalived_ts_real_server_healthy')
        ?.samples.find((s) => s.labels['real_server'] === rs)?.value;
    await waitFor(async () => {
      const f = parseExposition(new TextDecoder().decode(await host.metricsText())).get(
        'keepalived_ts_checks_total',
      );
      return (f?.samples[0]?.value ?? 0) > 0;
    }, 'a counted attempt');
    expect(await healthy()).toBe(1);
    await l.close();
    await waitFor(async () => (await healthy()) === 0, 'health 0');
    const failures = parseExposition(new TextDecoder().decode(await host.metricsText())).get(
      'keepalived_ts_check_failures_total',
    )!;
    expect(failures.samples[0]!.labels['type']).toBe('TCP_CHECK');
  });

  it('without metrics the worker loads no prom-client and answers an empty text', async () => {
    const l = await tcpServer();
    listening.push(l);
    const host = createCheckerHost(oneServer(l.port), { logger: new MemoryLogger(), workerUrl });
    hosts.push(host);
    await host.start();
    expect((await host.metricsText()).length).toBe(0);
  });
});
