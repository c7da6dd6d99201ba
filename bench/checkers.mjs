// npm run bench:checkers - 10,000 real servers with TCP_CHECK at delay_loop 1 s against local
// listeners (half of them refusing), with the pool in its worker thread as the daemon runs it.
// Prints CPU (whole process and the worker thread), memory, check lateness against schedule
// (measured in the worker), and the lateness of a 1 s timer on the MAIN thread (what a VRRP
// advert would see), with `uptime` before and after (the machine is shared).
// Env: BENCH_SECONDS (default 60), BENCH_SERVERS (default 10000), BENCH_NICE (worker thread nice
// value; default the host's, 5), BENCH_FLIP_SECONDS (mass-failure phase at the end, default 10).
import { build } from 'esbuild';
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const servers = Number(process.env.BENCH_SERVERS ?? 10000);
const here = fileURLToPath(new URL('.', import.meta.url));

if (process.argv[2] === '--listeners') {
  // Child: the real servers, in their own process so their CPU is not counted as the checker's.
  const { createServer } = await import('node:net');
  const up = [];
  const down = [];
  const listening = [];
  for (let i = 0; i < 8; i++) {
    const s = createServer((c) => {
      c.on('error', () => {});
      c.destroy();
    });
    s.on('error', () => {});
    await new Promise((r) => s.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r));
    up.push(s.address().port);
    listening.push(s);
    const d = createServer();
    await new Promise((r) => d.listen(0, '127.0.0.1', r));
    down.push(d.address().port);
    await new Promise((r) => d.close(r)); // a closed port refuses
  }
  process.send({ up, down });
  process.on('message', (m) => {
    // Mass failure: every listening port starts refusing at once.
    if (m === 'close-up') for (const s of listening) s.close();
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'kts-chk-bench-'));
  // The host (main thread) and the worker, bundled as scripts/build.mjs bundles them.
  await build({
    entryPoints: {
      entry: join(here, 'checkers-entry.ts'),
      'checker-worker': join(here, '../src/daemon/checker-worker.ts'),
    },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
  });
  const entry = await import(join(dir, 'entry.mjs'));
  const workerUrl = pathToFileURL(join(dir, 'checker-worker.mjs'));
  const child = fork(fileURLToPath(import.meta.url), ['--listeners'], { stdio: 'inherit' });
  const ports = await new Promise((r) => child.once('message', r));

  const pct = (arr, p) => {
    const s = Float64Array.from(arr).sort();
    return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  };
  const uptime = () => {
    try {
      return execFileSync('uptime', { encoding: 'utf8' }).trim();
    } catch {
      return `load average: ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(', ')}`;
    }
  };
  // Baseline: the same timer on an idle loop, to show what this machine gives without checkers.
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
  const uptimeBefore = uptime();
  const config = entry.benchConfig(servers, ports.up, ports.down);
  const settle = 5; // warmup spreads first checks over 1 s; ignore the first seconds
  const nice = process.env.BENCH_NICE === undefined ? undefined : Number(process.env.BENCH_NICE);
  const bench = entry.startBenchHost(config, workerUrl, nice);
  await bench.started;

  // The advert stand-in: a 1 s timer on the MAIN thread, and a 100 ms one for more samples.
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
  const stats0 = await bench.host.stats(); // also resets the worker's lateness samples
  tick(1000, advert);
  tick(100, fine);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let peakRss = 0;
  const memTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1000);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const stats1 = await bench.host.stats();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(memTimer);
  const mem = process.memoryUsage();
  const uptimeAfter = uptime();
  const up = bench.host.desiredTable().services.reduce((a, s) => a + s.destinations.length, 0);

  // Phase 2, mass failure: all listening ports close at once, so every server still in the
  // table goes down within about 2 s (retry 1): thousands of rs-down events, log lines and
  // table changes flow to the main thread. The same main-thread timers measure what an advert
  // would see meanwhile.
  const flipSeconds = Number(process.env.BENCH_FLIP_SECONDS ?? 10);
  const linesBefore = bench.lines();
  const steadyAdvert = advert.splice(0);
  const steadyFine = fine.splice(0);
  const flipStart = performance.now();
  child.send('close-up');
  let emptyAt = NaN;
  const emptyPoll = setInterval(() => {
    if (Number.isNaN(emptyAt) && bench.host.desiredTable().services.every((s) => s.destinations.length === 0))
      emptyAt = performance.now();
  }, 10);
  await new Promise((r) => setTimeout(r, flipSeconds * 1000));
  clearInterval(emptyPoll);
  const flipAdvert = advert.splice(0);
  const flipFine = fine.splice(0);

  await bench.host.stop({ omega: false });
  child.disconnect();

  const checks = stats1.lateness;
  const f = (x) => x.toFixed(2);
  const pctCore = (ms) => `${((ms / 1000 / wall) * 100).toFixed(1)}%`;
  const procMs = (cpu.user + cpu.system) / 1000;
  console.log(`servers ${servers}, delay_loop 1 s, ${wall.toFixed(1)} s measured after ${settle} s settle`);
  console.log(`uptime before: ${uptimeBefore}`);
  console.log(`uptime after:  ${uptimeAfter} (${os.cpus().length} cores)`);
  console.log(
    `checks run: ${checks.length} (${(checks.length / wall).toFixed(0)}/s), servers in table: ${up}`,
  );
  console.log(
    `CPU, whole process (both threads): ${pctCore(procMs)} of one core (user ${(cpu.user / 1e6).toFixed(1)} s, system ${(cpu.system / 1e6).toFixed(1)} s)`,
  );
  if (stats0.threadCpuMs !== null && stats1.threadCpuMs !== null) {
    const u = stats1.threadCpuMs.user - stats0.threadCpuMs.user;
    const sy = stats1.threadCpuMs.system - stats0.threadCpuMs.system;
    console.log(
      `CPU, checker worker thread: ${pctCore(u + sy)} of one core (user ${(u / 1000).toFixed(1)} s, system ${(sy / 1000).toFixed(1)} s); rest of the process ${pctCore(procMs - u - sy)}`,
    );
  }
  console.log(
    `memory: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB (peak ${(peakRss / 2 ** 20).toFixed(0)} MiB), main heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, worker heap used ${(stats1.heapUsed / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(
    `check lateness ms (worker): p50 ${f(pct(checks, 50))}, p99 ${f(pct(checks, 99))}, max ${f(pct(checks, 100))}`,
  );
  console.log(
    `main-thread 1 s timer lateness ms (${steadyAdvert.length} samples): p50 ${f(pct(steadyAdvert, 50))}, p99 ${f(pct(steadyAdvert, 99))}, max ${f(pct(steadyAdvert, 100))}`,
  );
  console.log(
    `main-thread 100 ms timer lateness ms (${steadyFine.length} samples): p50 ${f(pct(steadyFine, 50))}, p99 ${f(pct(steadyFine, 99))}, max ${f(pct(steadyFine, 100))}`,
  );
  console.log(
    `baseline 100 ms timer on an idle loop (${baseline.length} samples): p50 ${f(pct(baseline, 50))}, p99 ${f(pct(baseline, 99))}, max ${f(pct(baseline, 100))}`,
  );
  console.log(`log lines ${linesBefore}, table events ${bench.tables()}`);
  console.log(
    `mass failure: ${up} servers in the table lost their listeners; table empty after ${((emptyAt - flipStart) / 1000).toFixed(2)} s, ${bench.lines() - linesBefore} log lines delivered in ${flipSeconds} s`,
  );
  console.log(
    `  main-thread 1 s timer lateness ms (${flipAdvert.length} samples): p50 ${f(pct(flipAdvert, 50))}, max ${f(pct(flipAdvert, 100))}`,
  );
  console.log(
    `  main-thread 100 ms timer lateness ms (${flipFine.length} samples): p50 ${f(pct(flipFine, 50))}, p99 ${f(pct(flipFine, 99))}, max ${f(pct(flipFine, 100))}`,
  );
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
