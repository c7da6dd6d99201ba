/**
 * Guest side of `npm run bench:ipvs` (bench/ipvs.mjs bundles it with the VM harness). Runs inside the
 * VM, prints one JSON line per mode; asserts nothing but that each run reached the full table.
 *
 *   node ipvs-guest.mjs ours VS RS        our writer: cold start on an empty table, then a no-change
 *                                         reconcile, then one changed destination (in-process timings)
 *   node ipvs-guest.mjs cold VS RS        cold start only (the shell times the whole process)
 *   node ipvs-guest.mjs files VS RS DIR   writes DIR/restore.txt (ipvsadm-restore) and DIR/keepalived.conf
 *                                         (no checkers: every real server counts as up) for the same table
 *   node ipvs-guest.mjs keepalived VS RS CONF
 *                                         spawns keepalived 2.2.7 (-n -l -C) on CONF, polls until the
 *                                         last virtual server has all its real servers, kills it
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { realClock } from '../src/util/clock.js';
import { MemoryLogger } from '../src/util/log.js';
import { GenlConnection } from '../src/ipvs/genl-conn.js';
import { IpvsWriter } from '../src/ipvs/writer.js';
import type { DesiredService, DesiredTable } from '../src/contracts/ipvs-table.js';
import { openGenericNetlink } from '../src/net/netlink-socket.js';
import { requests } from '../src/ipvs/messages.js';

const [mode, vsText, rsText, conf] = process.argv.slice(2);
const VS = Number(vsText);
const RS = Number(rsText);

const flags = {
  onePacket: false,
  shPort: false,
  shFallback: false,
  mhPort: false,
  mhFallback: false,
  sched1: false,
  sched2: false,
  sched3: false,
};

/** Virtual server i: 10.(1 + i/65536).(i/256 % 256).(i % 256):80 with real servers 10.(100 + j/256).(j % 256).(1 + i % 250):80. */
function benchTable(vs: number, rs: number): { vip: string; rips: string[] }[] {
  const out: { vip: string; rips: string[] }[] = [];
  for (let i = 0; i < vs; i++) {
    const rips: string[] = [];
    for (let j = 0; j < rs; j++) rips.push(`10.${100 + (j >> 8)}.${j & 255}.${1 + (i % 250)}`);
    out.push({ vip: `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, rips });
  }
  return out;
}

function files(dir: string): void {
  const restore: string[] = [];
  const ka: string[] = ['global_defs {', '  router_id kts_bench', '}'];
  for (const v of benchTable(VS, RS)) {
    restore.push(`-A -t ${v.vip}:80 -s wlc`);
    ka.push(`virtual_server ${v.vip} 80 {`, '  lb_algo wlc', '  lb_kind NAT', '  protocol TCP');
    for (const rip of v.rips) {
      restore.push(`-a -t ${v.vip}:80 -r ${rip}:80 -m -w 1`);
      ka.push(`  real_server ${rip} 80 {`, '    weight 1', '  }');
    }
    ka.push('}');
  }
  writeFileSync(join(dir, 'restore.txt'), restore.join('\n') + '\n');
  writeFileSync(join(dir, 'keepalived.conf'), ka.join('\n') + '\n');
}

/** The bench table as the writer's input; `firstWeight` changes one destination. */
function desired(firstWeight = 1): DesiredTable {
  const services: DesiredService[] = benchTable(VS, RS).map((v, i) => ({
    key: `v${i}`,
    family: 'inet',
    protocol: 'TCP',
    address: v.vip,
    port: 80,
    fwmark: null,
    scheduler: 'wlc',
    persistenceTimeout: 0,
    persistenceGranularity: null,
    flags,
    destinations: v.rips.map((rip, j) => ({
      key: `r${j}`,
      address: rip,
      family: 'inet',
      port: 80,
      weight: i === 0 && j === 0 ? firstWeight : 1,
      forwardingMethod: 'NAT',
      tunnel: null,
      uthreshold: 0,
      lthreshold: 0,
    })),
  }));
  return { services };
}

async function openWriter() {
  const sock = openGenericNetlink();
  if (!sock.ok) throw new Error(sock.error.message);
  const conn = new GenlConnection(sock.value, { clock: realClock, timeoutMs: 300_000 });
  const log = new MemoryLogger();
  const w = await IpvsWriter.open(conn, log);
  if (!w.ok) throw new Error(w.error.message);
  return { conn, log, writer: w.value };
}

async function ours(): Promise<void> {
  const { conn, log, writer } = await openWriter();
  const table = desired();
  let t0 = performance.now();
  const cold = await writer.start({ flush: false, timeouts: null, desired: table });
  const coldMs = performance.now() - t0;
  t0 = performance.now();
  const same = await writer.apply(desired());
  const sameMs = performance.now() - t0;
  t0 = performance.now();
  const one = await writer.apply(desired(5));
  const oneMs = performance.now() - t0;
  t0 = performance.now();
  const dumped = await writer.dump();
  const dumpMs = performance.now() - t0;
  conn.close();
  console.log(
    JSON.stringify({
      coldMs,
      cold,
      sameMs,
      same,
      oneMs,
      one,
      dumpMs,
      dumpedServices: dumped.ok ? dumped.value.services.size : -1,
      dumpedDestinations: dumped.ok
        ? [...dumped.value.services.values()].reduce((n, s) => n + s.destinations.size, 0)
        : -1,
      errors: log.messages().slice(0, 3),
    }),
  );
}

async function cold(): Promise<void> {
  const { conn, writer } = await openWriter();
  const r = await writer.start({ flush: false, timeouts: null, desired: desired() });
  conn.close();
  console.log(JSON.stringify(r));
}

/**
 * keepalived from exec until the last virtual server of the config has all its real servers
 * (keepalived programs virtual servers in config order, each with its real servers), polled every
 * 20 ms with a GET_DEST dump of that one service. The shell then counts the whole table with
 * ipvsadm after the kill, so an incomplete table cannot pass unnoticed.
 */
async function keepalived(): Promise<void> {
  if (!conf) throw new Error('keepalived mode needs CONF');
  const sock = openGenericNetlink();
  if (!sock.ok) throw new Error(sock.error.message);
  const conn = new GenlConnection(sock.value, { clock: realClock });
  const family = await conn.resolveFamily('IPVS');
  if (!family.ok) throw new Error(family.error.message);
  const last = benchTable(VS, RS)[VS - 1]!;
  const lastId = { kind: 'addr', family: 'inet', protocol: 6, address: last.vip, port: 80 } as const;
  const t0 = performance.now();
  const child = spawn(
    '/usr/sbin/keepalived',
    ['-n', '-l', '-C', '-f', conf, '-p', '/run/kts-bench-ka.pid', '-c', '/run/kts-bench-ka-checkers.pid'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  let seen = 0;
  let polls = 0;
  const deadline = t0 + 1_800_000;
  while (performance.now() < deadline && !exited) {
    const r = await conn.request(family.value.id, family.value.version, requests.getDests(lastId));
    seen = r.ok ? r.value.length : 0;
    polls++;
    if (seen >= RS) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const completeMs = performance.now() - t0;
  try {
    const checker = Number(readFileSync('/run/kts-bench-ka-checkers.pid', 'utf8').trim());
    if (checker > 0) process.kill(checker, 'SIGKILL');
  } catch {
    // no checker pid file
  }
  child.kill('SIGKILL');
  conn.close();
  console.log(
    JSON.stringify({
      completeMs,
      lastServiceDestinations: seen,
      polls,
      exitedEarly: exited,
      stderr: stderr.slice(-500),
    }),
  );
}

const run =
  mode === 'ours'
    ? ours
    : mode === 'cold'
      ? cold
      : mode === 'keepalived'
        ? keepalived
        : mode === 'files'
          ? async () => files(conf ?? '.')
          : null;
if (!run || !(VS > 0) || !(RS > 0)) {
  console.error('usage: ipvs-guest.mjs ours|cold|files|keepalived VS RS [DIR|CONF]');
  process.exit(2);
}
run().catch((e: unknown) => {
  console.error(`bench ipvs guest: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
