// npm run bench:checkers - 10,000 real servers with TCP_CHECK at delay_loop 1 s against local
// listeners (half of them refusing). Prints CPU, memory, check lateness against schedule, and
// the lateness of a 1 s timer running beside them (what a VRRP advert would see).
// Env: BENCH_SECONDS (default 60), BENCH_SERVERS (default 10000).
import { build } from 'esbuild';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const servers = Number(process.env.BENCH_SERVERS ?? 10000);
const here = fileURLToPath(new URL('.', import.meta.url));

if (process.argv[2] === '--listeners') {
  // Child: the real servers, in their own process so their CPU is not counted as the checker's.
  const { createServer } = await import('node:net');
  const up = [];
  const down = [];
  for (let i = 0; i < 8; i++) {
    const s = createServer((c) => {
      c.on('error', () => {});
      c.destroy();
    });
    s.on('error', () => {});
    await new Promise((r) => s.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r));
    up.push(s.address().port);
    const d = createServer();
    await new Promise((r) => d.listen(0, '127.0.0.1', r));
    down.push(d.address().port);
    await new Promise((r) => d.close(r)); // a closed port refuses
  }
  process.send({ up, down });
  process.on('disconnect', () => process.exit(0));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'kts-chk-bench-'));
  const outfile = join(dir, 'entry.mjs');
  await build({
    entryPoints: [join(here, 'checkers-entry.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['raw-socket'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'warning',
  });
  const entry = await import(outfile);
  const child = fork(fileURLToPath(import.meta.url), ['--listeners'], { stdio: 'inherit' });
  const ports = await new Promise((r) => child.once('message', r));

  const lateness = new Float64Array(Math.ceil(servers * (seconds + 5) * 1.2));
  let n = 0;
  const onLaunch = (ms) => {
    if (n < lateness.length) lateness[n++] = ms;
  };
  // Baseline: the same timers on an idle loop, to show what this machine gives without checkers.
  const pct = (arr, p) => {
    const s = Float64Array.from(arr).sort();
    return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  };
  const baseline = [];
  {
    let due = performance.now() + 100;
    let left = 50;
    await new Promise((done) => {
      const loop = () => {
        baseline.push(performance.now() - due);
        due += 100;
        if (--left === 0) return done();
        setTimeout(loop, Math.max(0, due - performance.now()));
      };
      setTimeout(loop, 100);
    });
  }
  const config = entry.benchConfig(servers, ports.up, ports.down);
  const settle = 5; // warmup spreads first checks over 1 s; ignore the first seconds
  const bench = entry.startBenchPool(config, onLaunch);

  // The advert stand-in: a 1 s timer on the same loop, and a 100 ms one for more samples.
  const advert = [];
  const fine = [];
  const tick = (period, out) => {
    let due = performance.now() + period;
    const loop = () => {
      const now = performance.now();
      out.push(now - due);
      due += period;
      setTimeout(loop, Math.max(0, due - performance.now()));
    };
    setTimeout(loop, period);
  };
  await new Promise((r) => setTimeout(r, settle * 1000));
  const startSample = n;
  tick(1000, advert);
  tick(100, fine);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let peakRss = 0;
  const memTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1000);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(memTimer);
  const mem = process.memoryUsage();
  await bench.pool.stop({ omega: false });
  child.disconnect();

  const checks = lateness.subarray(startSample, n);
  const f = (x) => x.toFixed(2);
  const up = bench.pool.desiredTable().services.reduce((a, s) => a + s.destinations.length, 0);
  console.log(`servers ${servers}, delay_loop 1 s, ${wall.toFixed(1)} s measured after ${settle} s settle`);
  console.log(
    `checks run: ${checks.length} (${(checks.length / wall).toFixed(0)}/s), servers in table: ${up}`,
  );
  console.log(
    `CPU: ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)}% of one core (user ${(cpu.user / 1e6).toFixed(1)} s, system ${(cpu.system / 1e6).toFixed(1)} s)`,
  );
  console.log(
    `memory: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB (peak ${(peakRss / 2 ** 20).toFixed(0)} MiB), heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(
    `check lateness ms: p50 ${f(pct(checks, 50))}, p99 ${f(pct(checks, 99))}, max ${f(pct(checks, 100))}`,
  );
  console.log(
    `1 s timer lateness ms (${advert.length} samples): p50 ${f(pct(advert, 50))}, p99 ${f(pct(advert, 99))}, max ${f(pct(advert, 100))}`,
  );
  console.log(
    `100 ms timer lateness ms (${fine.length} samples): p50 ${f(pct(fine, 50))}, p99 ${f(pct(fine, 99))}, max ${f(pct(fine, 100))}`,
  );
  console.log(
    `baseline 100 ms timer on an idle loop (${baseline.length} samples): p50 ${f(pct(baseline, 50))}, p99 ${f(pct(baseline, 99))}, max ${f(pct(baseline, 100))}`,
  );
  const os = await import('node:os');
  console.log(
    `load average at end: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${os.cpus().length} cores`,
  );
  console.log(`log lines ${bench.lines()}, table events ${bench.tables()}`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
