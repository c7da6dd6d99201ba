/**
 * Guest program for test/vm/daemon-lvs.test.ts: runs the real daemon (`keepalived-ts -n -l -C`) with
 * the conf/ samples and this test's own configs, one director namespace per scenario
 * (test/vm/guest/daemon-plan.ts), against real listeners, and records what the kernel's IPVS table
 * held after every step, and what the control socket's drains did to it (natDrains). It never
 * asserts: it waits (bounded) for each expected table, then records the last `ipvsadm` output it
 * saw, and the host compares.
 *
 *   node daemon-scenarios.mjs run RESULTS_DIR   the whole sequence; results in RESULTS_DIR/daemon-results.json
 *                                               (rewritten after every step), daemon logs in
 *                                               RESULTS_DIR/daemon-<scenario>.log
 *   node daemon-scenarios.mjs echo-server A:P...   line echo server ("<local address> <line>")
 *   node daemon-scenarios.mjs client HOST PORT  connects, sends "before", waits for a line on stdin,
 *                                               sends "after", waits for another line, closes; prints
 *                                               one JSON line per reply
 *
 * Inputs in RESULTS_DIR (written by the host): run.json { daemon, indexBody, reference? }, <scenario>.conf,
 * nat-reload.conf.in, own-reload.conf.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, appendFileSync, closeSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import {
  ADOPT_BEFORE_RELOAD,
  ADOPT_BEFORE_START,
  ADOPT_CONF,
  ADOPT_PRERELOAD,
  ADOPT_PRESET,
  ADOPT_RELOAD_CONF,
  ADOPT_RELOADED,
  ADOPT_START,
  BIG,
  bigConfig,
  CHAOS,
  DOWN,
  DOWN_HEALTH_FILES,
  GONE_CONF,
  GONE_DELETE,
  GONE_DELETED,
  GONE_DOWN,
  GONE_DOWN_LISTENERS,
  GONE_START,
  DOWN_LISTENERS,
  FOREIGN_RESTORE,
  KILL_DRIFT,
  SCENARIOS,
  START,
  canonicalTable,
  drainedIn,
  NAT_VS,
  natReloaded,
  OWN_RELOADED,
  scenarioByName,
  serviceStats,
  withForeign,
  type Scenario,
  type Table,
} from './daemon-plan.js';
import { daemonArgs } from '../../support/daemon-options.js';

const WORK = '/tmp/kts-vmd';
const SELF = process.argv[1]!;

// -------------------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------------------

function run(
  argv: string[],
  allowFailure = false,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      if (code !== 0 && !allowFailure) reject(new Error(`${argv.join(' ')}: exit ${code}: ${stderr.trim()}`));
      else resolve({ code, stdout, stderr });
    });
  });
}
const inNs = (ns: string, argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ipvsadm(ns: string, ...args: string[]): Promise<string> {
  return (await run(inNs(ns, ['ipvsadm', '-Ln', ...args]))).stdout;
}

interface StepRecord {
  ns: string;
  expected: Table;
  matched: boolean;
  waitedMs: number;
  raw: string;
}

/**
 * Polls `ipvsadm -Ln` in `ns` until its canonical form equals `expected`, at most `timeoutMs`;
 * `seen` (if given) collects every distinct table on the way, so a passing state shows.
 */
async function waitTable(
  ns: string,
  expected: Table,
  timeoutMs: number,
  seen?: Table[],
): Promise<StepRecord> {
  const start = Date.now();
  const want = JSON.stringify(expected);
  let raw = '';
  for (;;) {
    raw = await ipvsadm(ns);
    const table = canonicalTable(raw);
    if (seen && JSON.stringify(seen[seen.length - 1]) !== JSON.stringify(table)) seen.push(table);
    if (JSON.stringify(table) === want)
      return { ns, expected, matched: true, waitedMs: Date.now() - start, raw };
    if (Date.now() - start > timeoutMs)
      return { ns, expected, matched: false, waitedMs: Date.now() - start, raw };
    await sleep(300);
  }
}

const NAT_SERVICE = 'TCP 198.51.100.10:80';

/**
 * `ipvsadm -Ln --stats --exact` once the NAT service's counters satisfy `ready` (the kernel folds its
 * per-CPU counters into what it reports every 2 s), or after 15 s whatever they are.
 */
async function waitStats(
  ns: string,
  ready: (s: { conns: number; inPkts: number }) => boolean,
): Promise<string> {
  const start = Date.now();
  for (;;) {
    const raw = await ipvsadm(ns, '--stats', '--exact');
    const s = serviceStats(raw).get(NAT_SERVICE);
    if ((s && ready(s)) || Date.now() - start > 15_000) return raw;
    await sleep(500);
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
  });
}

// -------------------------------------------------------------------------------------------------
// topology
// -------------------------------------------------------------------------------------------------

/**
 * The topology as `ip -batch` input: one batch in the root namespace (namespaces, veth pairs), then
 * one per namespace (each process start costs ~0.2 s under emulation; a batch costs one).
 */
function topology(scenarios: Scenario[]): { root: string[]; perNs: Map<string, string[]> } {
  const root: string[] = [];
  const perNs = new Map<string, string[]>();
  const add = (ns: string, ...lines: string[]) => perNs.set(ns, [...(perNs.get(ns) ?? []), ...lines]);
  for (const s of scenarios) {
    const d = s.director;
    const r = s.servers;
    root.push(
      `netns add ${d}`,
      `netns add ${r}`,
      `link add kvd-${s.name}-a type veth peer name kvd-${s.name}-b`,
      `link set kvd-${s.name}-a netns ${d}`,
      `link set kvd-${s.name}-b netns ${r}`,
    );
    add(
      r,
      `link set kvd-${s.name}-b name eth0`,
      'addr add 172.31.0.2/24 dev eth0',
      'link set lo up',
      'link set eth0 up',
      'route add default via 172.31.0.1',
      ...s.serverAddresses.map((a) => `addr add ${a}/32 dev eth0`),
    );
    add(
      d,
      `link set kvd-${s.name}-a name eth0`,
      'addr add 172.31.0.1/24 dev eth0',
      'link set lo up',
      'link set eth0 up',
      'link add vip0 type dummy',
      'link set vip0 up',
      ...s.vips.map((v) => `addr add ${v}/32 dev vip0`),
      ...s.serverAddresses.map((a) => `route add ${a}/32 via 172.31.0.2`),
    );
    if (s.client) {
      const c = s.client.ns;
      root.push(
        `netns add ${c}`,
        `link add kvd-${s.name}-c type veth peer name kvd-${s.name}-e`,
        `link set kvd-${s.name}-c netns ${c}`,
        `link set kvd-${s.name}-e netns ${d}`,
      );
      add(
        c,
        `link set kvd-${s.name}-c name eth0`,
        `addr add ${s.client.subnet}.2/24 dev eth0`,
        'link set lo up',
        'link set eth0 up',
        `route add default via ${s.client.subnet}.1`,
      );
      add(
        d,
        `link set kvd-${s.name}-e name eth1`,
        `addr add ${s.client.subnet}.1/24 dev eth1`,
        'link set eth1 up',
      );
    }
  }
  return { root, perNs };
}

function runWithInput(argv: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0]!, argv.slice(1), (error, _stdout, stderr) => {
      if (error) reject(new Error(`${argv.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve();
    });
    child.stdin!.end(input);
  });
}

async function buildTopology(scenarios: Scenario[]): Promise<void> {
  const { root, perNs } = topology(scenarios);
  await runWithInput(['ip', '-batch', '-'], root.join('\n') + '\n');
  await Promise.all(
    [...perNs].map(([ns, lines]) => runWithInput(['ip', '-n', ns, '-batch', '-'], lines.join('\n') + '\n')),
  );
  await Promise.all(
    scenarios.map((s) =>
      runWithInput(inNs(s.director, ['ipvsadm', '-R']), FOREIGN_RESTORE.join('\n') + '\n'),
    ),
  );
  // The NAT director forwards the client's traffic to the real servers and back.
  await run(inNs(scenarioByName('nat').director, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']));
}

// -------------------------------------------------------------------------------------------------
// listeners and daemons
// -------------------------------------------------------------------------------------------------

const wwwDir = (key: string) => `${WORK}/www/${key}`;
const httpds = new Map<string, ChildProcess>();

function startHttpd(s: Scenario, key: string): void {
  const child = spawn(
    'ip',
    inNs(s.servers, ['busybox', 'httpd', '-f', '-p', key, '-h', wwwDir(key)]).slice(1),
    {
      stdio: 'ignore',
    },
  );
  httpds.set(key, child);
}
async function stopHttpd(key: string): Promise<void> {
  const child = httpds.get(key);
  if (!child) throw new Error(`no listener ${key}`);
  child.kill('SIGTERM');
  await waitExit(child, 10_000);
  httpds.delete(key);
}

async function startEchoServer(s: Scenario): Promise<ChildProcess> {
  const keys = s.listeners.filter((l) => l.kind === 'echo').map((l) => `${l.address}:${l.port}`);
  const child = spawn('ip', inNs(s.servers, ['node', SELF, 'echo-server', ...keys]).slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('echo server did not start')), 60_000);
    lines.once('line', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return child;
}

interface Daemon {
  child: ChildProcess;
  conf: string;
  log: string;
  /** Where this process's part of the (appended) log starts. */
  logOffset: number;
}
const daemons = new Map<string, Daemon>();

/** How the daemon is started: ours, or keepalived 2.2.7 itself (to check this test's expectations). */
interface DaemonInput {
  daemon: string;
  reference?: boolean;
}

function startDaemon(results: string, input: DaemonInput, s: Scenario, extra: string[] = []): void {
  const conf = `${WORK}/etc/${s.name}.conf`;
  const logPath = `${results}/daemon-${s.name}.log`;
  const pid = `${WORK}/run/${s.name}.pid`;
  const args = input.reference
    ? [
        'keepalived',
        '-n',
        '-l',
        '-D',
        '-C',
        '-f',
        conf,
        '-p',
        pid,
        '-c',
        `${WORK}/run/${s.name}-c.pid`,
        ...extra,
      ]
    : [
        'node',
        input.daemon,
        ...daemonArgs({
          config: conf,
          pidFile: pid,
          runtimeDir: `${WORK}/run/${s.name}`,
          only: 'check',
          extra,
        }),
      ];
  appendFileSync(logPath, `##### ${new Date().toISOString()} start: ${args.join(' ')}\n`);
  const logOffset = readFileSync(logPath).length;
  const fd = openSync(logPath, 'a');
  const child = spawn('ip', inNs(s.director, args).slice(1), { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  daemons.set(s.name, { child, conf, log: logPath, logOffset });
}

/** Waits (bounded) until the daemon's own part of its log contains `text`; false on timeout. */
async function waitLog(d: Daemon, text: string, timeoutMs: number): Promise<boolean> {
  const start = Date.now();
  for (;;) {
    if (readFileSync(d.log).subarray(d.logOffset).toString('utf8').includes(text)) return true;
    if (Date.now() - start > timeoutMs || d.child.exitCode !== null || d.child.signalCode !== null)
      return false;
    await sleep(300);
  }
}

/**
 * A client of the NAT service (the `client` mode below, in nat's client namespace): `next()` is its
 * next JSON line (one per reply), or an error after 60 s.
 */
function startNatClient(): {
  child: ChildProcess;
  next: () => Promise<{ event: string; reply?: string | null; localPort?: number }>;
} {
  const nat = scenarioByName('nat');
  const child = spawn('ip', inNs(nat.client!.ns, ['node', SELF, 'client', '198.51.100.10', '80']).slice(1), {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const n = await Promise.race([lines.next(), sleep(60_000).then(() => null)]);
    if (n === null || n.done) throw new Error('client gave no reply');
    return JSON.parse(n.value) as { event: string; reply?: string | null; localPort?: number };
  };
  return { child, next };
}

/**
 * `busybox nc` to the NAT VIP from nat's client namespace (a Node client costs seconds of the
 * guest's CPU to start): `say(word)` sends a line and resolves with the echo server's reply, or
 * null after 30 s; the connection stays open until the process is killed.
 */
function startNcClient(): { child: ChildProcess; say: (word: string) => Promise<string | null> } {
  const nat = scenarioByName('nat');
  const child = spawn('ip', inNs(nat.client!.ns, ['busybox', 'nc', '198.51.100.10', '80']).slice(1), {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const say = async (word: string) => {
    child.stdin!.write(`${word}\n`);
    const n = await Promise.race([lines.next(), sleep(30_000).then(() => null)]);
    return n === null || n.done ? null : n.value;
  };
  return { child, say };
}

/** `keepalived-ts ARGS --runtime-dir DIR`: a control command (docs/control.md) to scenario S's daemon. */
function controlArgv(input: DaemonInput, s: Scenario, args: string[]): string[] {
  return inNs(s.director, ['node', input.daemon, ...args, '--runtime-dir', `${WORK}/run/${s.name}`]);
}

/**
 * One request on scenario S's control socket, written in the protocol's own words (docs/control.md,
 * version 1): the reply line, parsed. Spares a Node start per command (seconds under emulation);
 * the commands' own behaviour (`--wait`, exit codes) is what controlArgv is for.
 */
function controlRequest(s: Scenario, cmd: string, args?: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(`${WORK}/run/${s.name}/control.sock`);
    sock.setEncoding('utf8');
    let buf = '';
    const timer = setTimeout(() => sock.destroy(new Error(`${cmd}: no reply within 30 s`)), 30_000);
    sock.on('connect', () =>
      sock.write(`${JSON.stringify({ v: 1, id: 1, cmd, ...(args ? { args } : {}) })}\n`),
    );
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.destroy();
      resolve(JSON.parse(buf.slice(0, nl)));
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** A control command run to its end, with how long it took. */
interface CommandRecord {
  code: number | string | null;
  stdout: string;
  stderr: string;
  ms: number;
}
function startControl(
  input: DaemonInput,
  s: Scenario,
  args: string[],
): Promise<CommandRecord> & {
  child: ChildProcess;
  /** What it has printed on stdout so far. */
  stdout: () => string;
} {
  const started = Date.now();
  const child = spawn('ip', controlArgv(input, s, args).slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CommandRecord>((resolve) =>
    child.once('close', (code, signal) =>
      resolve({ code: code ?? signal, stdout, stderr, ms: Date.now() - started }),
    ),
  );
  return Object.assign(done, { child, stdout: () => stdout });
}

/**
 * The operator's drains on the NAT daemon over its control socket, from the table its reload left
 * (rr; KEPT weight 3, 10.0.0.3 weight 1). Records, for the host to judge:
 *   drain/*         rs.drain KEPT: the kernel's table right after the reply, the status model;
 *                   rs.enable KEPT: the table right after (weight 3 back);
 *   wait/*          a client connection held open through the VIP to TARGET (the server it reached):
 *                   `rs drain TARGET --wait` and `rs drain TARGET --wait 2`, started together; the
 *                   first runs on while the kernel counts the connection active, the second runs
 *                   out; the client closes and the first returns;
 *   reload-drain/*  KEPT drained, then SIGHUP back to the sample's config (KEPT kept, its weight
 *                   3 -> 1): every table seen on the way, the settled one, the status model; then
 *                   rs.enable KEPT gives it the new configured weight.
 * Leaves nat on the sample's config with its start table.
 */
async function natDrains(results: string, input: DaemonInput, out: Results, kept: string): Promise<void> {
  const nat = scenarioByName('nat');
  const rs = (address: string) => ({ vs: NAT_VS, rs: `${address}:8080` });
  const t0 = Date.now();
  const mark = (name: string) => (out.durationsMs[`nat-drains/${name}`] = Date.now() - t0);
  // It may connect before or after the drain below; either way it reaches a server of weight > 0,
  // which is what --wait needs.
  const client = startNcClient();
  const hello = client.say('before');

  out.facts['drain/drain'] = await controlRequest(nat, 'rs.drain', rs(kept));
  // The reply comes once the table is applied: read at once, no polling.
  out.facts['drain/table-drained'] = await ipvsadm(nat.director);
  out.facts['drain/status'] = await controlRequest(nat, 'status');
  out.facts['drain/enable'] = await controlRequest(nat, 'rs.enable', rs(kept));
  out.facts['drain/table-enabled'] = await ipvsadm(nat.director);
  mark('drain');

  out.facts['wait/client-before'] = await hello;
  const target = ((await hello) ?? '').split(' ')[0] ?? '';
  out.facts['wait/target'] = target;
  const target8080 = `${target}:8080`;
  const waiting = startControl(input, nat, ['rs', 'drain', NAT_VS, target8080, '--wait']);
  const timed = startControl(input, nat, ['rs', 'drain', NAT_VS, target8080, '--wait', '2']);
  out.steps['wait/drained'] = await waitTable(
    nat.director,
    withForeign(drainedIn(natReloaded(kept), target)),
    60_000,
  );
  out.facts['wait/timed'] = await timed;
  // The waiting command has its reply (its first line) before its wait is judged: a few seconds
  // after that, the connection still open, it must still be running.
  const answered = Date.now();
  while (!waiting.stdout().includes('\n') && Date.now() - answered < 60_000) await sleep(100);
  const waitingFrom = Date.now();
  await sleep(4000);
  out.facts['wait/conns-open'] = await ipvsadm(nat.director);
  out.facts['wait/still-waiting'] = waiting.child.exitCode === null && waiting.child.signalCode === null;
  out.facts['wait/printed-before-close'] = waiting.stdout();
  out.facts['wait/waited-ms'] = Date.now() - waitingFrom;
  out.facts['wait/client-after'] = await client.say('after');
  // The client closes its connection (its socket goes with the process).
  client.child.kill('SIGTERM');
  const closedAt = Date.now();
  out.facts['wait/client-exit'] = await waitExit(client.child, 20_000);
  out.facts['wait/waiting'] = await Promise.race([waiting, sleep(60_000).then(() => null)]);
  out.facts['wait/returned-after-close-ms'] = Date.now() - closedAt;
  out.facts['wait/conns-closed'] = await ipvsadm(nat.director);
  mark('wait');

  out.facts['reload-drain/drain'] = await controlRequest(nat, 'rs.drain', rs(kept));
  const d = daemons.get('nat')!;
  writeFileSync(d.conf, readFileSync(`${results}/nat.conf`));
  d.child.kill('SIGHUP');
  const seen: Table[] = [];
  out.steps['reload-drain/reload'] = await waitTable(
    nat.director,
    withForeign(drainedIn(START.nat!, kept)),
    60_000,
    seen,
  );
  out.facts['reload-drain/seen'] = seen;
  mark('reload');
  // A few check rounds later (delay_loop 1): still drained.
  await sleep(3000);
  out.facts['reload-drain/settled'] = await ipvsadm(nat.director);
  out.facts['reload-drain/status'] = await controlRequest(nat, 'status');
  out.facts['reload-drain/enable'] = await controlRequest(nat, 'rs.enable', rs(kept));
  out.facts['reload-drain/table-enabled'] = await ipvsadm(nat.director);
  mark('enable');
}

// -------------------------------------------------------------------------------------------------
// the IPVS chaos matrix
// -------------------------------------------------------------------------------------------------

const chaosScenario = (name: string): Scenario => CHAOS.find((s) => s.name === name)!;

/** Services and destinations in a /proc/net/ip_vs text (hex addresses; the header lines left out). */
function procEntries(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (/^(TCP|UDP|SCTP|FWM) |^\s+-> [0-9A-F]/.test(line)) n++;
  return n;
}

/**
 * SIGKILL during programming, in `big` (BIG_VS x BIG_RS, no checkers). A `sleep` in the director
 * namespace lends its /proc/PID/net/ip_vs, read every few ms without starting a process; the
 * daemon is killed once it shows ours >= `at` entries. Three daemons: the first killed as its
 * first entries appear, the second (starting from the first's partial table) half way, the third
 * runs to the whole table, then SIGTERM. Records per kill the entries seen at the trigger, the
 * time from spawn, the exit and `ipvsadm -Ln` after.
 */
async function chaosKill(results: string, input: DaemonInput, out: Results): Promise<void> {
  const big = chaosScenario('big');
  writeFileSync(`${WORK}/etc/big.conf`, bigConfig());
  const probe = spawn('ip', inNs(big.director, ['sleep', '600']).slice(1), { stdio: 'ignore' });
  const proc = `/proc/${probe.pid}/net/ip_vs`;
  // Until `ip netns exec` has entered the namespace (its foreign services show).
  const entered = Date.now();
  const readProc = () => {
    try {
      return readFileSync(proc, 'utf8');
    } catch {
      return '';
    }
  };
  while (!readProc().includes('FWM') && Date.now() - entered < 20_000) await sleep(20);
  const foreignEntries = procEntries(readProc());
  out.facts['big/foreign-entries'] = foreignEntries;
  const t0 = Date.now();
  for (const [name, at] of [
    ['kill1', 1],
    ['kill2', Math.ceil(BIG.length / 2)],
  ] as const) {
    const spawned = Date.now();
    startDaemon(results, input, big);
    const d = daemons.get('big')!;
    let seen = 0;
    while (Date.now() - spawned < 120_000 && d.child.exitCode === null && d.child.signalCode === null) {
      seen = procEntries(readProc()) - foreignEntries;
      if (seen >= at) break;
      await sleep(2);
    }
    d.child.kill('SIGKILL');
    out.facts[`big/${name}-seen`] = seen;
    out.facts[`big/${name}-ms`] = Date.now() - spawned;
    out.facts[`big/${name}-exit`] = await waitExit(d.child, 20_000);
    out.facts[`big/${name}-after`] = await ipvsadm(big.director);
    out.durationsMs[`chaos/big-${name}`] = Date.now() - spawned;
  }
  probe.kill('SIGKILL');
  const restarted = Date.now();
  startDaemon(results, input, big);
  out.facts['big/restart-started'] = await waitLog(daemons.get('big')!, 'Startup complete', 150_000);
  out.steps['big/restart'] = await waitTable(big.director, withForeign(BIG), 60_000);
  out.facts['big/restart-ms'] = Date.now() - restarted;
  await sleep(2000);
  out.facts['big/restart-settled'] = await ipvsadm(big.director);
  daemons.get('big')!.child.kill('SIGTERM');
  out.facts['big/term-exit'] = await waitExit(daemons.get('big')!.child, 60_000);
  out.facts['big/after-term'] = await ipvsadm(big.director);
  out.durationsMs['chaos/big'] = Date.now() - t0;
}

/**
 * EEXIST, in `adopt`: ipvsadm makes the daemon's first service (another scheduler, a destination
 * at another weight) before it starts; then, while it runs, the service its SIGHUP adds and one of
 * that service's destinations (another forwarding method and weight). Each time the table must
 * come to the config's; a few check rounds later still; SIGTERM leaves the foreign services only.
 */
async function chaosAdopt(results: string, input: DaemonInput, out: Results): Promise<void> {
  const adopt = chaosScenario('adopt');
  const t0 = Date.now();
  writeFileSync(`${WORK}/etc/adopt.conf`, ADOPT_CONF);
  for (const cmd of ADOPT_BEFORE_START) await run(inNs(adopt.director, ['ipvsadm', ...cmd]));
  out.steps['adopt/preset'] = await waitTable(adopt.director, withForeign(ADOPT_PRESET), 10_000);
  startDaemon(results, input, adopt);
  const d = daemons.get('adopt')!;
  out.facts['adopt/started'] = await waitLog(d, 'Startup complete', 150_000);
  out.steps['adopt/start'] = await waitTable(adopt.director, withForeign(ADOPT_START), 60_000);
  for (const cmd of ADOPT_BEFORE_RELOAD) await run(inNs(adopt.director, ['ipvsadm', ...cmd]));
  out.steps['adopt/prereload'] = await waitTable(adopt.director, withForeign(ADOPT_PRERELOAD), 10_000);
  writeFileSync(d.conf, ADOPT_RELOAD_CONF);
  d.child.kill('SIGHUP');
  out.steps['adopt/reload'] = await waitTable(adopt.director, withForeign(ADOPT_RELOADED), 60_000);
  await sleep(2000);
  out.facts['adopt/settled'] = await ipvsadm(adopt.director);
  d.child.kill('SIGTERM');
  out.facts['adopt/term-exit'] = await waitExit(d.child, 60_000);
  out.facts['adopt/after-term'] = await ipvsadm(adopt.director);
  out.durationsMs['chaos/adopt'] = Date.now() - t0;
}

/**
 * ENOENT and ESRCH, in `gone`: with the daemon running, ipvsadm deletes a destination of its
 * first service and its whole second service; then the deleted destination's listener and one of
 * the deleted service's stop (the daemon's deletes meet ENOENT and ESRCH) and start again (its
 * adds must bring everything back). The daemon must still be the same process at the end.
 */
async function chaosGone(results: string, input: DaemonInput, out: Results): Promise<void> {
  const gone = chaosScenario('gone');
  const t0 = Date.now();
  writeFileSync(`${WORK}/etc/gone.conf`, GONE_CONF);
  startDaemon(results, input, gone);
  const d = daemons.get('gone')!;
  out.facts['gone/started'] = await waitLog(d, 'Startup complete', 150_000);
  out.steps['gone/start'] = await waitTable(gone.director, withForeign(GONE_START), 60_000);
  for (const cmd of GONE_DELETE) await run(inNs(gone.director, ['ipvsadm', ...cmd]));
  out.steps['gone/after-delete'] = await waitTable(gone.director, withForeign(GONE_DELETED), 10_000);
  for (const k of GONE_DOWN_LISTENERS) await stopHttpd(k);
  out.steps['gone/down'] = await waitTable(gone.director, withForeign(GONE_DOWN), 60_000);
  for (const k of GONE_DOWN_LISTENERS) startHttpd(gone, k);
  out.steps['gone/up'] = await waitTable(gone.director, withForeign(GONE_START), 60_000);
  await sleep(2000);
  out.facts['gone/settled'] = await ipvsadm(gone.director);
  out.facts['gone/alive'] = d.child.exitCode === null && d.child.signalCode === null;
  d.child.kill('SIGTERM');
  out.facts['gone/term-exit'] = await waitExit(d.child, 60_000);
  out.facts['gone/after-term'] = await ipvsadm(gone.director);
  out.durationsMs['chaos/gone'] = Date.now() - t0;
}

// -------------------------------------------------------------------------------------------------
// the sequence
// -------------------------------------------------------------------------------------------------

interface Results {
  phase: string;
  steps: Record<string, StepRecord>;
  facts: Record<string, unknown>;
  durationsMs: Record<string, number>;
  error?: string;
}

async function runAll(results: string): Promise<void> {
  const input = JSON.parse(readFileSync(`${results}/run.json`, 'utf8')) as DaemonInput & {
    indexBody: string;
  };
  const out: Results = { phase: 'setup', steps: {}, facts: {}, durationsMs: {} };
  const save = () => writeFileSync(`${results}/daemon-results.json`, JSON.stringify(out, null, 1));
  const t0 = Date.now();
  let phaseStart = t0;
  const phase = (name: string) => {
    out.durationsMs[out.phase] = Date.now() - phaseStart;
    phaseStart = Date.now();
    out.phase = name;
    save();
    process.stdout.write(`### phase ${name} at ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  };
  const record = async (name: string, pending: Promise<StepRecord>) => {
    out.steps[name] = await pending;
  };
  const allMatched = (names: string[]) => names.every((n) => out.steps[n]?.matched);

  try {
    rmSync(WORK, { recursive: true, force: true });
    for (const d of ['etc', 'run', 'www']) mkdirSync(`${WORK}/${d}`, { recursive: true });
    for (const s of SCENARIOS)
      writeFileSync(`${WORK}/etc/${s.name}.conf`, readFileSync(`${results}/${s.name}.conf`));
    // The chaos namespaces are built with the others; nothing touches them before their phases.
    await buildTopology([...SCENARIOS, ...CHAOS]);
    for (const s of [...SCENARIOS, ...CHAOS])
      for (const l of s.listeners.filter((x) => x.kind === 'httpd')) {
        const dir = wwwDir(`${l.address}:${l.port}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(`${dir}/health`, 'ok\n');
        writeFileSync(`${dir}/index.html`, input.indexBody);
      }

    phase('listeners');
    for (const s of [...SCENARIOS, ...CHAOS])
      for (const l of s.listeners.filter((x) => x.kind === 'httpd')) startHttpd(s, `${l.address}:${l.port}`);
    const echo = await startEchoServer(scenarioByName('nat'));

    phase('start');
    for (const s of SCENARIOS) startDaemon(results, input, s);
    await Promise.all(
      SCENARIOS.map((s) =>
        record(`${s.name}/start`, waitTable(s.director, withForeign(START[s.name]!), 180_000)),
      ),
    );
    if (!allMatched(SCENARIOS.map((s) => `${s.name}/start`)))
      throw new Error('start tables did not converge');

    phase('persistence');
    // One SYN to the persistent DR service: the template goes to one real server (PersistConn 1).
    const per = scenarioByName('per');
    await run(inNs(per.client!.ns, ['timeout', '5', 'busybox', 'nc', '-w', '2', '192.0.2.101', '443']), true);
    out.facts['per/persistent-conn'] = await ipvsadm(per.director, '--persistent-conn');
    out.facts['own/persistent-conn'] = await ipvsadm(scenarioByName('own').director, '--persistent-conn');

    phase('down');
    for (const keys of Object.values(DOWN_LISTENERS)) for (const k of keys) await stopHttpd(k);
    for (const keys of Object.values(DOWN_HEALTH_FILES)) for (const k of keys) rmSync(`${wwwDir(k)}/health`);
    await Promise.all(
      Object.entries(DOWN).map(([name, table]) =>
        record(`${name}/down`, waitTable(scenarioByName(name).director, withForeign(table), 60_000)),
      ),
    );

    phase('up');
    for (const [name, keys] of Object.entries(DOWN_LISTENERS))
      for (const k of keys) startHttpd(scenarioByName(name), k);
    for (const keys of Object.values(DOWN_HEALTH_FILES))
      for (const k of keys) writeFileSync(`${wwwDir(k)}/health`, 'ok\n');
    await Promise.all(
      Object.keys(DOWN).map((name) =>
        record(`${name}/up`, waitTable(scenarioByName(name).director, withForeign(START[name]!), 60_000)),
      ),
    );

    phase('reload');
    const nat = scenarioByName('nat');
    const { child: client, next: nextClientLine } = startNatClient();
    const before = await nextClientLine();
    out.facts['nat/client-before'] = before;
    const kept = (before.reply ?? '').split(' ')[0] ?? '';
    out.facts['nat/kept'] = kept;
    out.facts['nat/conns-before'] = await ipvsadm(nat.director, '-c');
    out.facts['nat/stats-before'] = await waitStats(nat.director, (x) => x.conns >= 1);
    const template = readFileSync(`${results}/nat-reload.conf.in`, 'utf8');
    writeFileSync(daemons.get('nat')!.conf, template.replaceAll('@KEPT@', kept));
    daemons.get('nat')!.child.kill('SIGHUP');
    await record('nat/reload', waitTable(nat.director, withForeign(natReloaded(kept)), 60_000));
    client.stdin!.write('go\n');
    out.facts['nat/client-after'] = await nextClientLine().catch((e: Error) => ({
      event: 'error',
      reply: e.message,
    }));
    // Taken while the client still holds the connection open.
    out.facts['nat/conns-after'] = await ipvsadm(nat.director, '-c');
    out.facts['nat/stats-after'] = await waitStats(
      nat.director,
      (x) => x.inPkts > (serviceStats(out.facts['nat/stats-before'] as string).get(NAT_SERVICE)?.inPkts ?? 0),
    );
    client.stdin!.write('close\n');
    out.facts['nat/client-exit'] = await waitExit(client, 20_000);

    // The operator's drains on nat over the control socket, beside the next phases (which touch
    // other namespaces only): it is mostly waiting, and CI time counts. keepalived has no control socket.
    const drainsStart = Date.now();
    const drains = input.reference
      ? Promise.resolve(null)
      : natDrains(results, input, out, kept).then(
          () => ((out.durationsMs['nat-drains'] = Date.now() - drainsStart), null),
          (e: Error) => e,
        );

    phase('kill');
    // SIGKILL: nothing is cleaned up; a new process must converge on what it finds.
    for (const name of ['own', 'hash']) {
      const d = daemons.get(name)!;
      d.child.kill('SIGKILL');
      out.facts[`${name}/kill-exit`] = await waitExit(d.child, 20_000);
      out.facts[`${name}/after-kill`] = await ipvsadm(scenarioByName(name).director);
      // The table drifts while no daemon runs; the next one must put it back. (keepalived's checker
      // child has already removed everything when it is the reference: nothing to drift.)
      if (!input.reference)
        for (const cmd of KILL_DRIFT[name]!)
          await run(inNs(scenarioByName(name).director, ['ipvsadm', ...cmd]));
      out.facts[`${name}/after-drift`] = await ipvsadm(scenarioByName(name).director);
    }
    phase('restart');
    startDaemon(results, input, scenarioByName('own'));
    // -I: this one must leave its services in place when it stops.
    startDaemon(results, input, scenarioByName('hash'), ['-I']);
    // Wait for the new processes to be up before judging their table.
    for (const name of ['own', 'hash'])
      out.facts[`${name}/restart-started`] = await waitLog(daemons.get(name)!, 'Startup complete', 150_000);
    await Promise.all(
      ['own', 'hash'].map((name) =>
        record(
          `${name}/restart`,
          waitTable(scenarioByName(name).director, withForeign(START[name]!), 60_000),
        ),
      ),
    );
    // A few check rounds later: still no duplicate, nothing else changed.
    await sleep(3000);
    for (const name of ['own', 'hash'])
      out.facts[`${name}/restart-settled`] = await ipvsadm(scenarioByName(name).director);

    phase('reload-own');
    // Virtual-server level changes on the restarted daemon: an address leaves the group's range,
    // a fwmark service changes scheduler and persistence, a new virtual server comes.
    const own = daemons.get('own')!;
    writeFileSync(own.conf, readFileSync(`${results}/own-reload.conf`));
    own.child.kill('SIGHUP');
    await record('own/reload', waitTable(scenarioByName('own').director, withForeign(OWN_RELOADED), 60_000));

    const drainsError = await drains;
    if (drainsError !== null) throw drainsError;

    phase('term');
    for (const s of SCENARIOS) daemons.get(s.name)!.child.kill('SIGTERM');
    await Promise.all(
      SCENARIOS.map(async (s) => {
        out.facts[`${s.name}/term-exit`] = await waitExit(daemons.get(s.name)!.child, 60_000);
        out.facts[`${s.name}/after-term`] = await ipvsadm(s.director);
      }),
    );
    echo.kill('SIGTERM');

    // The IPVS chaos matrix (docs/reliability.md), side by side in namespaces of their own.
    phase('chaos');
    if (!input.reference)
      await Promise.all([
        chaosKill(results, input, out),
        chaosAdopt(results, input, out),
        chaosGone(results, input, out),
      ]);
    phase('done');
  } catch (e) {
    out.error = (e as Error).stack ?? String(e);
    save();
    process.stderr.write(`daemon-scenarios: ${(e as Error).message}\n`);
    for (const d of daemons.values()) d.child.kill('SIGKILL');
    for (const h of httpds.values()) h.kill('SIGKILL');
    process.exit(1);
  }
  for (const h of httpds.values()) h.kill('SIGTERM');
  save();
  process.exit(0);
}

// -------------------------------------------------------------------------------------------------
// echo server and client
// -------------------------------------------------------------------------------------------------

function echoServer(keys: string[]): void {
  let listening = 0;
  for (const key of keys) {
    const [host, port] = key.split(':');
    const server = createServer((sock) => {
      sock.setEncoding('utf8');
      let buffered = '';
      sock.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          sock.write(`${sock.localAddress} ${buffered.slice(0, nl)}\n`);
          buffered = buffered.slice(nl + 1);
        }
      });
      sock.on('error', () => sock.destroy());
    });
    server.listen(Number(port), host, () => {
      if (++listening === keys.length) process.stdout.write('ready\n');
    });
  }
}

function client(host: string, port: number): void {
  const sock = createConnection({ host, port });
  sock.setEncoding('utf8');
  const replies = createInterface({ input: sock })[Symbol.asyncIterator]();
  const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const exchange = async (word: string) => {
    sock.write(`${word}\n`);
    const r = await Promise.race([replies.next(), sleep(20_000).then(() => null)]);
    const reply = r === null || r.done ? null : r.value;
    process.stdout.write(`${JSON.stringify({ event: word, reply, localPort: sock.localPort })}\n`);
    return reply !== null;
  };
  sock.on('error', (e) => {
    process.stdout.write(`${JSON.stringify({ event: 'error', reply: e.message })}\n`);
    process.exit(1);
  });
  sock.once('connect', async () => {
    if (!(await exchange('before'))) process.exit(1);
    await stdin.next();
    const ok = await exchange('after');
    await stdin.next();
    sock.end();
    process.exit(ok ? 0 : 1);
  });
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'run') void runAll(rest[0]!);
else if (mode === 'echo-server') echoServer(rest);
else if (mode === 'client') client(rest[0]!, Number(rest[1]));
else {
  process.stderr.write('usage: daemon-scenarios.mjs run RESULTS | echo-server A:P... | client HOST PORT\n');
  process.exit(2);
}
