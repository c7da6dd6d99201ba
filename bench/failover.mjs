#!/usr/bin/env node
// VRRP failover benchmark (root). Two namespaces on a veth pair; the backup (priority 100)
// and the master (priority 150) run the same implementation. The master is SIGKILLed N times;
// on the backup's wire (tshark) and address table (`ip -ts monitor address`) we measure
//   VIP outage  = VIP added on the backup        - last advert from the master
//   ARP outage  = first gratuitous ARP from backup - last advert from the master
// for keepalived-ts (dist/keepalived-ts.js) and keepalived 2.2.7, in the same run.
// Master_Down_Interval for priority 100, advert_int 1 is 3 + 156/256 s = 3609.4 ms.
//
// Usage: npm run bench:failover [-- --runs 20] [-- --only ts|ka]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist', 'keepalived-ts.js');
const TAG = 'kts-vio-bench';
const NS_M = `${TAG}-m`;
const NS_B = `${TAG}-b`;
const M_IP = '10.231.4.1';
const B_IP = '10.231.4.2';
const VIP = '10.231.4.100';
const MDI_MS = 3000 + (156 * 1000) / 256;

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 20) || 20;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ip = (...a) => execFileSync('ip', a, { encoding: 'utf8' });

if (process.getuid?.() !== 0) {
  console.error('bench:failover needs root (network namespaces)');
  process.exit(2);
}
if (!existsSync(DIST) || statSync(DIST).mtimeMs < statSync(join(ROOT, 'src', 'main.ts')).mtimeMs) {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
}

const tmp = mkdtempSync(join(tmpdir(), `${TAG}-`));
const children = new Set();

function setup() {
  for (const ns of [NS_M, NS_B]) {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  spawnSync('ip', ['link', 'del', 'kvbench0'], { stdio: 'ignore' });
  ip('link', 'add', 'kvbench0', 'type', 'veth', 'peer', 'name', 'kvbench1');
  ip('link', 'set', 'kvbench0', 'netns', NS_M);
  ip('link', 'set', 'kvbench1', 'netns', NS_B);
  for (const [ns, dev, addr] of [
    [NS_M, 'kvbench0', M_IP],
    [NS_B, 'kvbench1', B_IP],
  ]) {
    ip('-n', ns, 'link', 'set', dev, 'name', 'eth0');
    ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
  }
}

function teardown() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const ns of [NS_M, NS_B]) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
  rmSync(tmp, { recursive: true, force: true });
}

function config(priority) {
  return `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 53
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }
}
`;
}

let seq = 0;
function startDaemon(impl, ns, priority) {
  const dir = join(tmp, `${impl}-${ns}-${seq++}`);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, config(priority));
  const pid = join(dir, 'pid');
  const argv =
    impl === 'ts'
      ? [process.execPath, DIST, '-n', '-l', '-P', '-f', conf, '-p', pid, '--runtime-dir', join(dir, 'run')]
      : ['keepalived', '-n', '-l', '-P', '-f', conf, '-p', pid, '-r', `${pid}.vrrp`];
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  // A crash of the process that speaks VRRP: keepalived's VRRP child first (its parent would
  // otherwise stop it gracefully with a priority-0 advert), then the parent.
  child.crash = () => {
    if (impl === 'ka') {
      try {
        process.kill(Number(readFileSync(`${pid}.vrrp`, 'utf8').trim()), 'SIGKILL');
      } catch {
        // no child pid file yet
      }
    }
    child.kill('SIGKILL');
  };
  child.stdout.resume();
  child.stderr.resume();
  child.exited = new Promise((r) => child.on('exit', () => (children.delete(child), r())));
  return child;
}

/** Lines of a long-running command, each stamped with the bench's receive time. */
function follow(ns, cmd, cmdArgs) {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...cmdArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines = [];
  let partial = '';
  const onData = (d) => {
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop();
    for (const p of parts) lines.push(p);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return { child, lines };
}

const hasVip = (ns) => ip('-n', ns, '-br', 'addr', 'show', 'dev', 'eth0').includes(`${VIP}/32`);
async function waitUntil(pred, timeoutMs, what) {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

/** `[2026-11-21T19:35:29.123456] ...` from `ip -ts monitor` -> epoch seconds. */
function monitorEpoch(line) {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?\]/.exec(line);
  if (!m) return null;
  return new Date(m[1]).getTime() / 1000 + Number(m[2] ?? 0);
}

async function measure(impl) {
  const backupMac = JSON.parse(ip('-n', NS_B, '-j', 'link', 'show', 'dev', 'eth0'))[0].address;
  const capture = follow(NS_B, 'tshark', [
    '-i',
    'eth0',
    '-l',
    '-f',
    'ip proto 112 or arp',
    '-T',
    'fields',
    '-E',
    'separator=|',
    '-e',
    'frame.time_epoch',
    '-e',
    'ip.src',
    '-e',
    'ip.proto',
    '-e',
    'arp.src.proto_ipv4',
    '-e',
    'eth.src',
  ]);
  const monitor = follow(NS_B, 'ip', ['-ts', 'monitor', 'address', 'dev', 'eth0']);
  await waitUntil(() => capture.lines.some((l) => l.includes('Capturing on')), 15000, 'tshark ready');

  const backup = startDaemon(impl, NS_B, 100);
  await waitUntil(() => hasVip(NS_B), 15000, 'backup takes the VIP alone');
  const results = [];
  for (let i = 0; i < runs; i++) {
    const master = startDaemon(impl, NS_M, 150);
    await waitUntil(() => hasVip(NS_M) && !hasVip(NS_B), 15000, 'master preempts');
    await sleep(1500);
    const capFrom = capture.lines.length;
    const monFrom = monitor.lines.length;
    master.crash();
    await master.exited;
    await waitUntil(() => hasVip(NS_B), 15000, 'backup takes over');
    // Let the GARP frames (tshark) and the address event (ip monitor) reach us.
    await waitUntil(
      () =>
        capture.lines.slice(capFrom).some((l) => l.includes(`|${VIP}|${backupMac}`)) &&
        monitor.lines.slice(monFrom).some((l) => l.includes(`${VIP}/32`)),
      5000,
      'GARP and address event observed',
    ).catch(() => {});
    const frames = capture.lines.slice(capFrom).map((l) => l.split('|'));
    const before = capture.lines.slice(0, capFrom).map((l) => l.split('|'));
    const lastAdvert = [...before, ...frames]
      .filter((f) => f[1] === M_IP && f[2] === '112')
      .map((f) => Number(f[0]))
      .filter((t) => t > 0)
      .pop();
    const firstGarp = frames.find((f) => f[3] === VIP && f[4] === backupMac);
    const added = monitor.lines.slice(monFrom).find((l) => !l.includes('Deleted') && l.includes(`${VIP}/32`));
    const vipAt = added ? monitorEpoch(added) : null;
    const garpAt = firstGarp ? Number(firstGarp[0]) : null;
    results.push({
      vipMs: vipAt !== null && lastAdvert ? (vipAt - lastAdvert) * 1000 : NaN,
      garpMs: garpAt !== null && lastAdvert ? (garpAt - lastAdvert) * 1000 : NaN,
    });
    process.stderr.write(
      `${impl} run ${i + 1}/${runs}: VIP ${results.at(-1).vipMs.toFixed(1)} ms, GARP ${results.at(-1).garpMs.toFixed(1)} ms\n`,
    );
  }
  backup.kill('SIGTERM');
  await backup.exited;
  capture.child.kill('SIGTERM');
  monitor.child.kill('SIGTERM');
  if (hasVip(NS_B)) ip('-n', NS_B, 'addr', 'del', `${VIP}/32`, 'dev', 'eth0');
  if (hasVip(NS_M)) ip('-n', NS_M, 'addr', 'del', `${VIP}/32`, 'dev', 'eth0');
  return results;
}

function summary(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const q = (p) => v[Math.min(v.length - 1, Math.floor(p * (v.length - 1) + 0.5))];
  return { n: v.length, min: v[0], median: q(0.5), p90: q(0.9), max: v[v.length - 1] };
}

const fmt = (x) => (x === undefined ? '-' : x.toFixed(1));
process.on('SIGINT', () => {
  teardown();
  process.exit(130);
});

try {
  setup();
  const out = {};
  for (const impl of ['ts', 'ka']) {
    if (only && only !== impl) continue;
    const r = await measure(impl);
    out[impl] = { vip: summary(r.map((x) => x.vipMs)), garp: summary(r.map((x) => x.garpMs)) };
  }
  const names = { ts: 'keepalived-ts', ka: 'keepalived 2.2.7' };
  console.log(
    `VRRP failover after SIGKILL of the master, ${runs} runs each (advert_int 1, backup priority 100)`,
  );
  console.log(
    `Master_Down_Interval = ${MDI_MS.toFixed(1)} ms; times from the master's last advert on the wire`,
  );
  console.log('| implementation | measure | n | min | median | p90 | max | median - MDI |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [impl, s] of Object.entries(out)) {
    for (const [what, label] of [
      ['vip', 'VIP added on backup'],
      ['garp', 'first gratuitous ARP'],
    ]) {
      const x = s[what];
      console.log(
        `| ${names[impl]} | ${label} | ${x.n} | ${fmt(x.min)} | ${fmt(x.median)} | ${fmt(x.p90)} | ${fmt(x.max)} | ${fmt(x.median - MDI_MS)} |`,
      );
    }
  }
  console.log(JSON.stringify({ runs, mdiMs: MDI_MS, results: out }));
} finally {
  teardown();
}
