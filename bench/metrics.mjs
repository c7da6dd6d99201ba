// npm run bench:metrics - what a Prometheus scrape costs the main thread (the advert path).
// A subject process runs the daemon (src/daemon/daemon.ts, bundled as scripts/build.mjs bundles
// it) with -C --no-ipvs --metrics-listen and a config of BENCH_SERVERS real servers (default
// 10,000) behind virtual servers of 100, each a TCP_CHECK against a real loopback listener
// (127.x.y.z:PORT, one listening socket in another process accepts them all), and measures the
// lateness of a 10 ms interval timer on its main thread. Once every real server is healthy:
//   (warm-up BENCH_WARMUP_SECONDS, default 15, not measured)
//   idle     BENCH_SECONDS (default 10) with nothing asked;
//   scrape   BENCH_SCRAPES (default 60) GETs of /metrics, one every BENCH_INTERVAL_MS (1000);
//   status   the same number of control-socket `status` requests (the per-request snapshot that
//            asks the worker for every checker), for comparison;
//   idle-after  BENCH_SECONDS again.
// Prints scrape time (request to last byte) p50/p99/max, its size and series count, the timer
// lateness p50/p99/max of each phase side by side, and the CPU time of the main thread and of the
// other threads per phase (/proc/self/task: what a scrape costs beyond idle whatever the
// machine's load), with the load average (the machine is shared).
import { build } from 'esbuild';
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const servers = Number(process.env.BENCH_SERVERS ?? 10_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const scrapes = Number(process.env.BENCH_SCRAPES ?? 60);
const intervalMs = Number(process.env.BENCH_INTERVAL_MS ?? 1000);
const delayLoop = Number(process.env.BENCH_DELAY_LOOP ?? 5);
const warmupS = Number(process.env.BENCH_WARMUP_SECONDS ?? 15);
const here = fileURLToPath(new URL('.', import.meta.url));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (arr, p) => {
  const s = Float64Array.from(arr).sort();
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f = (x) => x.toFixed(2);

if (process.argv[2] === '--listener') {
  // Accepts every TCP_CHECK (any 127.x.y.z reaches a socket bound to 0.0.0.0).
  const server = createServer((s) => {
    s.on('error', () => {});
    s.end();
  });
  server.listen(0, '0.0.0.0', () => process.send(server.address().port));
  process.on('disconnect', () => process.exit(0));
} else if (process.argv[2] === '--subject') {
  const [, , , entryPath, configPath, dir, metricsPort] = process.argv;
  const { runDaemon, parseCommandLine } = await import(pathToFileURL(entryPath).href);
  const cmd = parseCommandLine([
    '-n',
    '-C',
    '--no-ipvs',
    '-l',
    '--metrics-listen',
    `127.0.0.1:${metricsPort}`,
    '-f',
    configPath,
    '-p',
    join(dir, 'daemon.pid'),
    '--runtime-dir',
    join(dir, 'run'),
  ]);
  // Main-thread lateness of a 10 ms interval timer, and CPU time of the main thread and of the
  // others (the checker worker, libuv's pool, V8's helpers) from /proc, by phase.
  const { readFileSync, readdirSync } = await import('node:fs');
  const threadCpu = (tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ 100
    } catch {
      return 0;
    }
  };
  const cpuNow = () => {
    const main = threadCpu(process.pid);
    let all = 0;
    for (const t of readdirSync('/proc/self/task')) all += threadCpu(t);
    return { main, others: all - main, at: performance.now() };
  };
  const cpu = new Map();
  let phaseCpu = cpuNow();
  let phase = 'startup';
  const samples = new Map();
  let expected = performance.now() + 10;
  const timer = setInterval(() => {
    const now = performance.now();
    if (!samples.has(phase)) samples.set(phase, []);
    samples.get(phase).push(Math.max(0, now - expected));
    expected = now + 10;
  }, 10);
  process.on('message', (m) => {
    if (m.kind === 'phase') {
      const now = cpuNow();
      cpu.set(phase, {
        main: now.main - phaseCpu.main,
        others: now.others - phaseCpu.others,
        ms: now.at - phaseCpu.at,
      });
      phaseCpu = now;
      phase = m.phase;
      expected = performance.now() + 10;
    } else if (m.kind === 'report') {
      process.send({ kind: 'report', samples: Object.fromEntries(samples), cpu: Object.fromEntries(cpu) });
    }
  });
  const code = await runDaemon(cmd.options, { startupReport: null });
  clearInterval(timer);
  process.exit(code);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'kts-metrics-bench-'));
  // The bundle lives under node_modules so that its externals (pino, the addons) resolve from the
  // repository's; the checker worker sits beside it, where checker-host.ts looks for it.
  const out = join(here, '..', 'node_modules', '.cache', `kts-bench-metrics-${process.pid}`);
  try {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
    await build({
      entryPoints: {
        entry: join(here, 'metrics-entry.ts'),
        'checker-worker': join(here, '../src/daemon/checker-worker.ts'),
      },
      outdir: out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      external: [
        'raw-socket',
        'netlink',
        'unix-dgram',
        '@keepalived-ts/af-packet',
        '@keepalived-ts/signals',
        'pino',
        'chokidar',
        'fs-ext',
      ],
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'warning',
    });
    const entry = join(out, 'entry.js');
    const listener = fork(fileURLToPath(import.meta.url), ['--listener'], { stdio: 'inherit' });
    const port = await new Promise((r) => listener.once('message', r));

    const lines = [];
    for (let v = 0; v * 100 < servers; v++) {
      lines.push(
        `virtual_server 10.200.${v >> 8}.${v & 255} 80 {`,
        `  delay_loop ${delayLoop}`,
        '  lb_algo rr',
        '  lb_kind NAT',
        '  protocol TCP',
      );
      for (let i = v * 100; i < Math.min(servers, (v + 1) * 100); i++) {
        const address = `127.${1 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}`;
        lines.push(
          `  real_server ${address} ${port} {`,
          '    TCP_CHECK {',
          '      connect_timeout 2',
          '    }',
          '  }',
        );
      }
      lines.push('}');
    }
    const configPath = join(dir, 'keepalived.conf');
    writeFileSync(configPath, lines.join('\n') + '\n');
    mkdirSync(join(dir, 'run'), { recursive: true });
    const metricsPort = await new Promise((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const uptimeBefore = os.loadavg();
    const subject = fork(
      fileURLToPath(import.meta.url),
      ['--subject', entry, configPath, dir, String(metricsPort)],
      {
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      },
    );
    const { request: controlRequest } = await import(pathToFileURL(entry).href);

    const scrape = () =>
      new Promise((resolve, reject) => {
        const t0 = performance.now();
        const req = httpRequest(
          { host: '127.0.0.1', port: metricsPort, path: '/metrics', agent: false },
          (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () =>
              resolve({ ms: performance.now() - t0, body: Buffer.concat(chunks).toString('utf8') }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      });
    const healthyCount = (body) =>
      (body.match(/^keepalived_ts_real_server_healthy\{[^}]*\} 1$/gm) ?? []).length;

    // Start-up: every real server healthy (first checks within one delay_loop).
    const t0 = performance.now();
    for (;;) {
      const r = await scrape().catch(() => null);
      if (r !== null && healthyCount(r.body) === servers) break;
      if (performance.now() - t0 > 180_000) throw new Error('real servers not all healthy within 180 s');
      await sleep(1000);
    }
    const startupS = (performance.now() - t0) / 1000;
    // Warm-up: the start-up's deliveries and garbage settle before anything is measured.
    await sleep(warmupS * 1000);

    subject.send({ kind: 'phase', phase: 'idle' });
    await sleep(seconds * 1000);

    subject.send({ kind: 'phase', phase: 'scrape' });
    const scrapeMs = [];
    let last = null;
    for (let i = 0; i < scrapes; i++) {
      const started = performance.now();
      last = await scrape();
      scrapeMs.push(last.ms);
      await sleep(Math.max(0, intervalMs - (performance.now() - started)));
    }

    subject.send({ kind: 'phase', phase: 'status' });
    const statusMs = [];
    const sock = join(dir, 'run', 'control.sock');
    for (let i = 0; i < scrapes; i++) {
      const started = performance.now();
      await controlRequest(sock, { cmd: 'status' });
      statusMs.push(performance.now() - started);
      await sleep(Math.max(0, intervalMs - (performance.now() - started)));
    }
    subject.send({ kind: 'phase', phase: 'idle-after' });
    await sleep(seconds * 1000);
    subject.send({ kind: 'phase', phase: 'end' });

    subject.send({ kind: 'report' });
    const report = await new Promise((r) => subject.on('message', (m) => m.kind === 'report' && r(m)));
    const gone = new Promise((r) => subject.once('exit', r));
    subject.kill('SIGTERM');
    await gone;
    listener.kill();

    const series = last.body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    console.log(
      `bench:metrics - ${servers} real servers in ${Math.ceil(servers / 100)} virtual servers, TCP_CHECK every ${delayLoop} s, --no-ipvs`,
    );
    console.log(
      `  node ${process.version}, ${os.cpus().length} CPUs, load before ${uptimeBefore.map(f).join(' ')}, after ${os.loadavg().map(f).join(' ')}`,
    );
    console.log(`  all healthy after ${startupS.toFixed(1)} s`);
    console.log(`  /metrics: ${series} series, ${(Buffer.byteLength(last.body) / 1024).toFixed(0)} KiB`);
    console.log(
      `  scrape time ms (${scrapeMs.length} scrapes, one every ${intervalMs} ms): p50 ${f(pct(scrapeMs, 50))}, p99 ${f(pct(scrapeMs, 99))}, max ${f(pct(scrapeMs, 100))}`,
    );
    console.log(
      `  control status ms (${statusMs.length} requests, for comparison): p50 ${f(pct(statusMs, 50))}, p99 ${f(pct(statusMs, 99))}, max ${f(pct(statusMs, 100))}`,
    );
    console.log(
      '  main-thread 10 ms timer lateness ms; CPU ms per second of the main thread and the others:',
    );
    console.log('    phase      samples    p50     p99     max    main  others');
    for (const phase of ['idle', 'scrape', 'status', 'idle-after']) {
      const s = report.samples[phase] ?? [];
      const c = report.cpu[phase];
      const perS = (x) => f((x / c.ms) * 1000).padStart(7);
      console.log(
        `    ${phase.padEnd(9)} ${String(s.length).padStart(8)} ${f(pct(s, 50)).padStart(6)} ${f(pct(s, 99)).padStart(7)} ${f(pct(s, 100)).padStart(7)} ${perS(c.main)} ${perS(c.others)}`,
      );
    }
    // The idle rate: both idle phases together (one before, one after the requests).
    const [i1, i2] = [report.cpu['idle'], report.cpu['idle-after']];
    const idle = { main: i1.main + i2.main, others: i1.others + i2.others, ms: i1.ms + i2.ms };
    const beyondIdle = (phase) => {
      const c = report.cpu[phase];
      return {
        main: (c.main - (idle.main / idle.ms) * c.ms) / scrapes,
        others: (c.others - (idle.others / idle.ms) * c.ms) / scrapes,
      };
    };
    const sc = beyondIdle('scrape');
    const st = beyondIdle('status');
    console.log(`  CPU ms per scrape beyond idle: main thread ${f(sc.main)}, other threads ${f(sc.others)}`);
    console.log(
      `  CPU ms per control status beyond idle: main thread ${f(st.main)}, other threads ${f(st.others)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
}
