/**
 * Root tier: the Prometheus metrics (docs/metrics.md) as a real Prometheus server scrapes them.
 * keepalived-ts runs in a namespace as MASTER of VI_1 with a VIP and a virtual server (--no-ipvs)
 * whose two real servers are loopback listeners, serving --metrics-listen; Debian's `prometheus`
 * runs in the same namespace with its own config, a temporary storage dir and a 1 s
 * scrape_interval. Its HTTP API must return `keepalived_vrrp_state{iname="VI_1",...} 2`, the
 * exporter-compatible series, a real server's health going to 0 once its listener stops, and a
 * drain and a reload in their series.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { daemonArgs } from '../support/daemon-options.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  signalDaemon,
  sleep,
  stopDaemon,
  Testbed,
  vrrpConfig,
  type Daemon,
  type Host,
} from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';

// Prometheus is a prerequisite of this file: under CI=true its absence fails the tier.
const describeTier = tierDescribe('netns', netnsPrerequisites(['prometheus']));

const VIP = '10.231.66.100';
const VS = '10.231.66.200';
const METRICS_PORT = 19100;
const PROMETHEUS_PORT = 19090;
const RS_UP = 18191;
const RS_STOPPING = 18192;

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

describeTier('metrics: a real Prometheus scrapes --metrics-listen', () => {
  let bed: Testbed;
  let a: Host;
  let daemon: Daemon | null = null;
  let prometheus: ChildProcess | null = null;
  const listeners = new Map<number, ChildProcess>();

  /** Prometheus's instant query, asked from inside the namespace (it listens on its loopback). */
  const query = (expr: string): Sample[] => {
    const url = `http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(expr)}`;
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        a.ns,
        process.execPath,
        '-e',
        `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t), () => process.exit(3))`,
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    if (r.status !== 0) return [];
    const body = JSON.parse(r.stdout) as { status: string; data: { result: Sample[] } };
    expect(body.status).toBe('success');
    return body.data.result;
  };

  /** Polls `expr` until `accept` holds for its result; returns that result. */
  const until = async (
    expr: string,
    accept: (s: Sample[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<Sample[]> => {
    const end = Date.now() + timeoutMs;
    let last: Sample[] = [];
    while (Date.now() < end) {
      last = query(expr);
      if (accept(last)) return last;
      await sleep(500);
    }
    throw new Error(`${expr}: no accepted answer in ${timeoutMs} ms; last ${JSON.stringify(last)}`);
  };

  const listen = async (port: number): Promise<void> => {
    const child = bed.spawnIn(a.ns, process.execPath, [
      '-e',
      `require('node:net').createServer((s) => { s.on('error', () => {}); s.end(); }).listen(${port}, '127.0.0.1', () => console.log('listening'))`,
    ]);
    listeners.set(port, child);
    await new LineCollector(child).wait(/listening/, 10_000);
  };

  const realServer = (port: number): string[] => [
    `  real_server 127.0.0.1 ${port} {`,
    '    weight 2',
    '    TCP_CHECK {',
    '      connect_timeout 1',
    '      retry 0',
    '    }',
    '  }',
  ];

  beforeAll(async () => {
    ensureBuilt();
    bed = new Testbed('kts-metr');
    [a] = bed.twoHosts('10.231.66');
    await listen(RS_UP);
    await listen(RS_STOPPING);

    const dir = join(bed.tempDir, 'daemon');
    mkdirSync(dir, { recursive: true });
    const configPath = join(dir, 'keepalived.conf');
    const config =
      vrrpConfig({ name: 'VI_1', state: 'MASTER', priority: 150, vips: [`${VIP}/24`] }) +
      [
        `virtual_server ${VS} 80 {`,
        '  delay_loop 1',
        '  lb_algo rr',
        '  lb_kind NAT',
        '  protocol TCP',
        ...realServer(RS_UP),
        ...realServer(RS_STOPPING),
        '}',
        '',
      ].join('\n');
    writeFileSync(configPath, config);
    const pidFile = join(dir, 'daemon.pid');
    const runtimeDir = join(dir, 'run');
    const child = bed.spawnIn(a.ns, process.execPath, [
      DIST_ENTRY,
      ...daemonArgs({
        config: configPath,
        pidFile,
        runtimeDir,
        extra: ['--no-ipvs', '--metrics-listen', `127.0.0.1:${METRICS_PORT}`],
      }),
    ]);
    const lines = new LineCollector(child);
    const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)));
    daemon = { name: 'metrics', ns: a.ns, child, lines, pidFile, runtimeDir, configPath, exited };
    await lines.wait(/Metrics and status page on http:\/\/127\.0\.0\.1:19100\//, 20_000);

    const promDir = join(bed.tempDir, 'prometheus');
    mkdirSync(join(promDir, 'data'), { recursive: true });
    const promConfig = join(promDir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: keepalived-ts',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${METRICS_PORT}']`,
        '',
      ].join('\n'),
    );
    prometheus = bed.spawnIn(a.ns, 'prometheus', [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
    ]);
    // Prometheus logs to stderr; LineCollector reads both streams.
    await new LineCollector(prometheus).wait(/Server is ready to receive web requests/, 30_000);
  }, 90_000);

  afterAll(async () => {
    if (prometheus !== null && prometheus.exitCode === null) {
      const gone = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000)]);
      prometheus.kill('SIGKILL');
    }
    if (daemon !== null) await stopDaemon(daemon);
    for (const l of listeners.values()) l.kill('SIGKILL');
    bed?.destroy();
  }, 60_000);

  it('the target is up and keepalived_vrrp_state of VI_1 is 2 (MASTER) with its VIP', async () => {
    await until('up{job="keepalived-ts"}', (s) => s.length === 1 && s[0]!.value[1] === '1');
    const state = await until('keepalived_vrrp_state', (s) => s.some((x) => x.value[1] === '2'));
    expect(state).toHaveLength(1);
    expect(state[0]!.metric).toMatchObject({
      __name__: 'keepalived_vrrp_state',
      iname: 'VI_1',
      intf: 'eth0',
      vrid: '51',
      ip_address: `${VIP}/24`,
    });
    expect(state[0]!.value[1]).toBe('2');
    const up = query('keepalived_up');
    expect(up.map((s) => s.value[1])).toEqual(['1']);
    const sent = await until(
      'keepalived_advertisements_sent_total{iname="VI_1"}',
      (s) => Number(s[0]?.value[1]) > 0,
    );
    expect(sent[0]!.metric).toMatchObject({ iname: 'VI_1', intf: 'eth0', vrid: '51' });
    const became = query('keepalived_become_master_total{iname="VI_1"}');
    expect(became.map((s) => s.value[1])).toEqual(['1']);
  });

  it('both real servers healthy with their weight; one goes to 0 when its listener stops', async () => {
    const healthy = await until(
      'keepalived_ts_real_server_healthy',
      (s) => s.length === 2 && s.every((x) => x.value[1] === '1'),
    );
    expect(healthy.map((s) => s.metric['virtual_server'])).toEqual([`[${VS}]:tcp:80`, `[${VS}]:tcp:80`]);
    const weights = query('keepalived_ts_real_server_weight');
    expect(weights.map((s) => s.value[1])).toEqual(['2', '2']);
    expect(query('keepalived_ts_virtual_server_quorum_up').map((s) => s.value[1])).toEqual(['1']);

    listeners.get(RS_STOPPING)!.kill('SIGKILL');
    const down = `keepalived_ts_real_server_healthy{real_server="[127.0.0.1]:tcp:${RS_STOPPING}"}`;
    await until(down, (s) => s.length === 1 && s[0]!.value[1] === '0');
    const stillUp = query(`keepalived_ts_real_server_healthy{real_server="[127.0.0.1]:tcp:${RS_UP}"}`);
    expect(stillUp.map((s) => s.value[1])).toEqual(['1']);
    expect(
      query(`keepalived_ts_real_server_weight{real_server="[127.0.0.1]:tcp:${RS_STOPPING}"}`)[0]!.value[1],
    ).toBe('0');
    // The failed attempts are counted in the worker, by kind and keepalived's reason.
    const failures = await until('keepalived_ts_check_failures_total', (s) => s.length > 0);
    expect(failures[0]!.metric['type']).toBe('TCP_CHECK');
    const latency = query('keepalived_ts_check_duration_seconds_count{type="TCP_CHECK"}');
    expect(Number(latency[0]?.value[1])).toBeGreaterThan(0);
  });

  it('a drain (keepalived-ts rs drain) and a reload (SIGHUP) show in their series', async () => {
    const rs = `[127.0.0.1]:tcp:${RS_UP}`;
    expect(query(`keepalived_ts_real_server_drained{real_server="${rs}"}`).map((s) => s.value[1])).toEqual([
      '0',
    ]);
    const drain = spawnSync(
      process.execPath,
      [DIST_ENTRY, 'rs', 'drain', `${VS}:80`, `127.0.0.1:${RS_UP}`, '--runtime-dir', daemon!.runtimeDir],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(drain.status, drain.stderr).toBe(0);
    await until(`keepalived_ts_real_server_drained{real_server="${rs}"}`, (s) => s[0]?.value[1] === '1');
    expect(query(`keepalived_ts_real_server_weight{real_server="${rs}"}`)[0]!.value[1]).toBe('0');
    expect(query(`keepalived_ts_real_server_healthy{real_server="${rs}"}`)[0]!.value[1]).toBe('1');

    signalDaemon(daemon!, 'SIGHUP');
    const reloads = await until(
      'keepalived_ts_reloads_total{result="applied"}',
      (s) => s[0]?.value[1] === '1',
    );
    expect(reloads[0]!.metric['result']).toBe('applied');
    expect(query('keepalived_ts_reload_duration_seconds_count').map((s) => s.value[1])).toEqual(['1']);
    // The instance kept its state across the reload.
    expect(query('keepalived_vrrp_state{iname="VI_1"}').map((s) => s.value[1])).toEqual(['2']);
  });
});
