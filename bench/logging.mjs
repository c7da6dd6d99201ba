// npm run bench:logging - does logging hold up the main thread (the advert path)? A subject
// process runs the daemon's logger (src/daemon/logger.ts) with all three outputs at once: syslog
// to a unix datagram socket this process binds (as /dev/log), a log file (-g) and the console
// (stderr to a pipe this process reads), and logs BENCH_RATE lines a second (default 5,000, in
// batches every 10 ms, keepalived's wording and a few fields) while it measures the lateness of
// a 10 ms interval timer and of a 1 s timer on its main thread. Phases: idle (no logging), logging
// with every reader keeping up, logging with the console reader stalled (its pipe full), and
// logging in JSON. Prints p50/p99/max per phase, lines written per output, lines dropped, and
// `uptime` before and after (the machine is shared).
// Then, as root with keepalived, tcpdump and unshare: keepalived-ts and keepalived 2.2.7, each a
// VRRP master in a network namespace, whose syslog daemon stops reading (a process bound to
// their /dev/log that stops calling recv), followed by 52 malformed adverts from a peer: the
// master's adverts are captured on the peer's side for the next 10 s. keepalived's syslog(3)
// blocks once the socket's queue is full, so its advert timer's lateness is measured there, not
// inside the process.
// Env: BENCH_SECONDS (per phase, default 10), BENCH_RATE (lines per second, default 5000).
import { build } from 'esbuild';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rate = Number(process.env.BENCH_RATE ?? 5000);
const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');

function has(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

const pct = (arr, p) => {
  const s = Float64Array.from(arr).sort();
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f = (x) => x.toFixed(2);

if (process.argv[2] === '--subject') {
  // The subject: argv module syslogPath logFile format phaseName
  const [, , , modulePath, syslogPath, logFile, format, phase] = process.argv;
  const { createDaemonLogger } = await import(pathToFileURL(modulePath).href);
  const logger = createDaemonLogger({
    console: true,
    detail: true,
    logFile,
    syslog: true,
    syslogPath,
    format,
  });
  const fine = [];
  const coarse = [];
  let last = performance.now();
  const fineTimer = setInterval(() => {
    const now = performance.now();
    fine.push(now - last - 10);
    last = now;
  }, 10);
  let lastCoarse = performance.now();
  const coarseTimer = setInterval(() => {
    const now = performance.now();
    coarse.push(now - lastCoarse - 1000);
    lastCoarse = now;
  }, 1000);
  let written = 0;
  const perTick = phase === 'idle' ? 0 : Math.round(rate / 100);
  const logTimer = setInterval(() => {
    for (let i = 0; i < perTick; i++, written++) {
      const n = written % 4;
      if (n === 0)
        logger.info(
          `(VI_${written % 8}) Received advert from 10.0.0.${written % 250} with lower priority 90, ours 100, forcing new election`,
          {
            instance: `VI_${written % 8}`,
          },
        );
      else if (n === 1)
        logger.info(`TCP connection to [10.1.${written % 200}.${written % 250}]:tcp:80 failed.`, {
          subsystem: 'lvs',
          vs: '[10.0.0.100]:tcp:80',
        });
      else if (n === 2)
        logger.detail(`Sending gratuitous ARP on eth0 for 10.0.0.${written % 250}`, { subsystem: 'vrrp' });
      else
        logger.info(`(VI_1) Entering MASTER STATE`, {
          subsystem: 'vrrp',
          instance: 'VI_1',
          state: 'MASTER',
          reason: 'bench',
        });
    }
  }, 10);
  setTimeout(async () => {
    clearInterval(fineTimer);
    clearInterval(coarseTimer);
    clearInterval(logTimer);
    const dropped = logger.dropped();
    process.send({ fine, coarse, written, dropped }, () => {
      // Close after the report: a stalled console would otherwise hold the report back.
      void logger.close().then(() => process.exit(0));
    });
  }, seconds * 1000);
} else {
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
  // The logger bundled as scripts/build.mjs bundles it, next to node_modules so pino and the
  // unix-dgram addon resolve.
  const outDir = join(root, 'node_modules', '.cache', 'kts-bench');
  mkdirSync(outDir, { recursive: true });
  const modulePath = join(outDir, `logger-${process.pid}.mjs`);
  await build({
    entryPoints: [join(root, 'src/daemon/logger.ts')],
    outfile: modulePath,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['pino', 'unix-dgram'],
    banner: {
      js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
    },
    logLevel: 'warning',
  });
  const dir = mkdtempSync(join(tmpdir(), 'kts-log-bench-'));
  const syslogPath = join(dir, 'log');
  const unixDgram = createRequire(join(root, 'package.json'))('unix-dgram');
  const syslog = unixDgram.createSocket('unix_dgram');
  let syslogLines = 0;
  syslog.on('message', () => void syslogLines++);
  syslog.bind(syslogPath);

  console.log(`logging bench: ${rate} lines/s for ${seconds} s per phase, syslog + file + console (pipe)`);
  console.log(`before: ${uptime()}`);
  const phases = [
    { name: 'idle', format: 'text', stallConsole: false },
    { name: 'text, readers keeping up', format: 'text', stallConsole: false },
    { name: 'text, console reader stalled', format: 'text', stallConsole: true },
    { name: 'text, syslog reader stalled', format: 'text', stallConsole: false, stallSyslog: true },
    { name: 'json, readers keeping up', format: 'json', stallConsole: false },
  ];
  for (const phase of phases) {
    syslogLines = 0;
    // A syslog daemon that reads nothing: a process bound to the socket, its event loop busy.
    const stalledPath = join(dir, 'stalled-log');
    const stalled = phase.stallSyslog
      ? spawn(
          process.execPath,
          [
            '-e',
            `const s = require('unix-dgram').createSocket('unix_dgram'); s.bind(${JSON.stringify(stalledPath)}); process.send('bound'); const end = Date.now() + ${(seconds + 1) * 1000}; while (Date.now() < end) {}`,
          ],
          { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
        )
      : null;
    if (stalled !== null) await new Promise((r) => stalled.once('message', r));
    const logFile = join(dir, `${phase.name.replace(/\W+/g, '-')}.log`);
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--subject',
        modulePath,
        phase.stallSyslog ? stalledPath : syslogPath,
        logFile,
        phase.format,
        phase.name === 'idle' ? 'idle' : 'log',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      },
    );
    let consoleBytes = 0;
    let consoleLines = 0;
    if (phase.stallConsole) child.stderr.pause();
    else
      child.stderr.on('data', (chunk) => {
        consoleBytes += chunk.length;
        for (const b of chunk) if (b === 10) consoleLines++;
      });
    const report = await new Promise((resolve) => child.once('message', resolve));
    if (phase.stallConsole) child.stderr.resume();
    await new Promise((r) => child.once('exit', r));
    stalled?.kill();
    let fileLines = 0;
    try {
      fileLines = readFileSync(logFile, 'utf8').split('\n').length - 1;
      for (const suffix of ['_vrrp', '_check'])
        fileLines += readFileSync(logFile.replace(/\.log$/, `${suffix}.log`), 'utf8').split('\n').length - 1;
    } catch {
      // idle phase: no file
    }
    const { fine, coarse, written, dropped } = report;
    console.log(`\n${phase.name}: ${written} lines logged`);
    console.log(
      `  10 ms timer lateness ms (${fine.length} samples): p50 ${f(pct(fine, 50))}, p99 ${f(pct(fine, 99))}, max ${f(pct(fine, 100))}`,
    );
    console.log(
      `  1 s timer lateness ms (${coarse.length} samples): p50 ${f(pct(coarse, 50))}, max ${f(pct(coarse, 100))}`,
    );
    console.log(
      `  written: syslog ${phase.stallSyslog ? 'stalled' : syslogLines}, files ${fileLines}, console ${phase.stallConsole ? 'stalled' : `${consoleLines} (${(consoleBytes / 1e6).toFixed(1)} MB)`}; dropped: ${JSON.stringify(dropped)}`,
    );
  }
  await stalledSyslog(dir, outDir);
  console.log(`\nafter: ${uptime()}`);
  syslog.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(modulePath, { force: true });
}

/** keepalived-ts and keepalived as masters whose syslog daemon stops reading. */
async function stalledSyslog(dir, outDir) {
  const missing = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const c of ['ip', 'keepalived', 'tcpdump', 'unshare']) if (!has(c)) missing.push(c);
  const dist = join(root, 'dist', 'keepalived-ts.js');
  try {
    readFileSync(dist);
  } catch {
    missing.push('dist/keepalived-ts.js (npm run build)');
  }
  if (missing.length > 0) {
    console.log(`\nsyslog daemon stops reading: not run (${missing.join(', ')} missing)`);
    return;
  }
  const flood = join(outDir, `flood-${process.pid}.mjs`);
  await build({
    entryPoints: [join(root, 'test/netns/harness/vrrp-flood.ts')],
    outfile: flood,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['raw-socket'],
    banner: {
      js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
    },
    logLevel: 'warning',
  });
  const READ_MS = 8000;
  const WATCH_MS = 10_000;
  const conf = join(dir, 'stall.conf');
  writeFileSync(
    conf,
    [
      'vrrp_instance VI_1 {',
      '  state MASTER',
      '  interface eth0',
      '  virtual_router_id 51',
      '  priority 150',
      '  advert_int 1',
      '  authentication {',
      '    auth_type PASS',
      '    auth_pass floodpw',
      '  }',
      '  virtual_ipaddress {',
      '    10.231.44.100/24',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  console.log(
    `\nsyslog daemon stops reading ${READ_MS / 1000} s after start, then 52 malformed adverts; the master's adverts over the next ${WATCH_MS / 1000} s:`,
  );
  for (const which of ['keepalived-ts', 'keepalived 2.2.7']) {
    const [a, b] = ['kts-lbA', 'kts-lbB'];
    const ip = (...args) => execFileSync('ip', args, { stdio: 'ignore' });
    for (const ns of [a, b]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // not there
      }
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    ip('link', 'add', 'ktslbA', 'type', 'veth', 'peer', 'name', 'ktslbB');
    ip('link', 'set', 'ktslbA', 'netns', a);
    ip('link', 'set', 'ktslbB', 'netns', b);
    for (const [ns, dev, addr] of [
      [a, 'ktslbA', '10.231.44.1'],
      [b, 'ktslbB', '10.231.44.2'],
    ]) {
      ip('-n', ns, 'link', 'set', dev, 'name', 'eth0');
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
    const logPath = join(dir, `stalled-${which.split(' ')[0]}.sock`);
    // Reads for READ_MS, then never again (its event loop busy) until killed.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const s = require('unix-dgram').createSocket('unix_dgram'); s.on('message', () => {}); s.bind(${JSON.stringify(logPath)}); require('fs').chmodSync(${JSON.stringify(logPath)}, 0o666); process.send('bound'); setTimeout(() => { for (;;) {} }, ${READ_MS});`,
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
    );
    await new Promise((r) => reader.once('message', r));
    let daemon = null;
    try {
      const pid = join(dir, `${which.split(' ')[0]}.pid`);
      if (which === 'keepalived-ts') {
        daemon = spawn(
          'ip',
          [
            'netns',
            'exec',
            a,
            process.execPath,
            dist,
            '-n',
            '-D',
            '-P',
            '-f',
            conf,
            '-p',
            pid,
            '--runtime-dir',
            join(dir, 'run'),
          ],
          {
            stdio: 'ignore',
            env: { ...process.env, KEEPALIVED_TS_SYSLOG_PATH: logPath },
          },
        );
      } else {
        // keepalived writes to /dev/log: a private mount namespace puts the reader's socket there.
        const fake = join(dir, 'dev');
        const script = [
          'set -e',
          `mkdir -p ${fake}`,
          `mount -t tmpfs none ${fake}`,
          `for n in null zero urandom random; do touch ${fake}/$n; mount --bind /dev/$n ${fake}/$n; done`,
          `touch ${fake}/log`,
          `mount --bind ${logPath} ${fake}/log`,
          `mount --rbind ${fake} /dev`,
          `exec ip netns exec ${a} keepalived -n -D -P -f ${conf} -p ${pid} -r ${pid}.vrrp`,
        ].join('\n');
        daemon = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
          stdio: 'ignore',
        });
      }
      await sleep(READ_MS + 1000);
      const cap = spawn(
        'ip',
        [
          'netns',
          'exec',
          b,
          'tcpdump',
          '-i',
          'eth0',
          '-n',
          '-tt',
          '-l',
          '-Q',
          'in',
          'ip proto 112 and src host 10.231.44.1',
        ],
        {
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      let capText = '';
      cap.stdout.on('data', (c) => (capText += c));
      await sleep(500);
      const burstAt = Date.now() / 1000;
      execFileSync(
        'ip',
        [
          'netns',
          'exec',
          b,
          process.execPath,
          flood,
          'eth0',
          '51',
          'floodpw',
          '10.231.44.100',
          '5000',
          '100',
          '4',
        ],
        {
          stdio: 'ignore',
        },
      );
      await sleep(WATCH_MS);
      cap.kill('SIGINT');
      await new Promise((r) => cap.once('exit', r));
      const times = capText
        .split('\n')
        .map((l) => Number(l.split(' ')[0]))
        .filter((t) => Number.isFinite(t) && t >= burstAt);
      const edges = [burstAt, ...times, burstAt + WATCH_MS / 1000];
      const gaps = edges.slice(1).map((t, i) => t - edges[i]);
      console.log(
        `  ${which}: ${times.length} adverts, largest gap ${Math.max(...gaps).toFixed(3)} s (the backup takes over after about 3.6 s)`,
      );
    } finally {
      // Stop everything started here, by pid.
      for (const ns of [a, b]) {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
          .split(/\s+/)
          .filter(Boolean);
        for (const p of pids) {
          try {
            process.kill(Number(p), 'SIGKILL');
          } catch {
            // gone
          }
        }
        ip('netns', 'del', ns);
      }
      daemon?.kill('SIGKILL');
      reader.kill('SIGKILL');
    }
  }
  rmSync(flood, { force: true });
}
