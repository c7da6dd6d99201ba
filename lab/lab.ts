/**
 * The director-pair lab: builds the classic LVS topology of lab/plan.ts in network namespaces on a
 * kernel with IPVS (the host's, or the project's VM), runs two directors and two web servers, and
 * tells the main job's story with checks: the schedulers, a web server dying and coming back, the
 * master director dying under a request loop, a clean stop, the master coming back, connection
 * synchronisation, the same failover under keepalived 2.2.7 and a mixed pair.
 *
 *   node lab.mjs run [--modes dr,nat,tun] [--story full|demo] [--daemon DIST/keepalived-ts.js]
 *                    [--results FILE] [--logs DIR] [--keepalived yes|no]
 *   node lab.mjs server NAME | client      (started by `run` inside the namespaces: lab/hosts.ts)
 *
 * `run` prints the story as it goes (one line per step, "ok" or "FAILED"), writes every step's
 * figures to --results (JSON, rewritten after each step), removes everything it made (namespaces,
 * processes, run-time files) and exits 0 only if every step held; otherwise it names the first
 * step that did not. The full story is test/vm/e2e-pair.test.ts's; the demo story (`npm run demo`)
 * is DR only, with a live view of the pair, the table and the responses.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ClientConnection, runClient, runServer, type ConnReport, type LoopRecord } from './hosts.js';
import {
  ALL_NAMESPACES,
  CLIENT_ADDRESS,
  CLIENT_ADDRESS_2,
  INSIDE_VIP,
  LAB_MODES,
  PORTS,
  PRIORITY,
  SERVERS,
  VIP,
  canonicalTable,
  connectionCounts,
  directorConfig,
  expectedTable,
  masterDownIntervalMs,
  ns,
  outage,
  serverAddress,
  sysctls,
  topology,
  type DirectorName,
  type Implementation,
  type LabMode,
  type Outage,
  type ServerName,
} from './plan.js';

const SELF = process.argv[1]!;
const RUN_DIR = '/run/kts-lab';
const LOOP = { intervalMs: 100, timeoutMs: 500 };
const MDI_B = masterDownIntervalMs(PRIORITY.b);

// -------------------------------------------------------------------------------------------------
// processes
// -------------------------------------------------------------------------------------------------

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(argv: string[], input?: string): Promise<Exec> {
  return new Promise((resolve) => {
    const child = execFile(argv[0]!, argv.slice(1), { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function must(argv: string[], input?: string): Promise<string> {
  const r = await exec(argv, input);
  if (r.code !== 0)
    throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const inNs = (name: string, argv: string[]): string[] => ['ip', 'netns', 'exec', name, ...argv];

async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 200,
): Promise<number | undefined> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) return undefined;
    await sleep(everyMs);
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// -------------------------------------------------------------------------------------------------
// the lab's hosts
// -------------------------------------------------------------------------------------------------

interface Director {
  name: DirectorName;
  impl: Implementation;
  child: ChildProcess;
  log: string;
}

class Lab {
  readonly children = new Set<ChildProcess>();
  directors: Partial<Record<DirectorName, Director>> = {};
  servers = new Map<ServerName, { child: ChildProcess; lines: AsyncIterator<string> }>();
  client!: ClientConnection;
  private logSeq = 0;

  constructor(
    readonly mode: LabMode,
    readonly daemon: string,
    readonly logDir: string,
  ) {}

  async build(): Promise<void> {
    await this.destroy();
    const t = topology(this.mode);
    await must(['ip', '-batch', '-'], t.root.join('\n') + '\n');
    for (const [name, lines] of t.perNamespace)
      await must(['ip', '-n', name, '-batch', '-'], lines.join('\n') + '\n');
    for (const [name, settings] of sysctls(this.mode)) await must(inNs(name, ['sysctl', '-qw', ...settings]));
    // tcp fin timeout 1 s on the directors: a closed connection's entry goes quickly, so a
    // persistence template can expire within the story (ipvsadm --set TCP TCPFIN UDP).
    for (const d of ['a', 'b'] as const) await must(inNs(ns[d], ['ipvsadm', '--set', '900', '1', '300']));
    // Node starts slowly under emulation: the real servers' set-up, the web servers and the client
    // start side by side.
    if (this.mode !== 'nat') {
      await Promise.all(
        SERVERS.map((s) =>
          must(
            inNs(ns[s], [
              process.execPath,
              this.daemon,
              'realserver',
              'setup',
              '--vip',
              VIP,
              '--mode',
              this.mode,
              '--interface',
              'eth0',
              '--runtime-dir',
              join(RUN_DIR, s),
            ]),
          ),
        ),
      );
    }
    const client = this.spawn(ns.client, [process.execPath, SELF, 'client'], 'client.log', true);
    await Promise.all(
      SERVERS.map(async (s) => {
        const child = this.spawn(ns[s], [process.execPath, SELF, 'server', s], `${s}.log`, true);
        const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
        this.servers.set(s, { child, lines });
        const first = await lines.next();
        if (first.value !== 'ready') throw new Error(`${s}: the web server did not start`);
      }),
    );
    this.client = new ClientConnection(client.stdin!, client.stdout!);
  }

  private spawn(name: string, argv: string[], logName: string, piped = false): ChildProcess {
    const log = openSync(join(this.logDir, logName), 'a');
    const child = spawn('ip', ['netns', 'exec', name, ...argv], {
      stdio: piped ? ['pipe', 'pipe', log] : ['ignore', log, log],
    });
    closeSync(log);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  running(d: DirectorName): boolean {
    const child = this.directors[d]?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  logTail(d: DirectorName, lines = 15): string {
    const director = this.directors[d];
    if (!director) return '(not running)';
    try {
      return readFileSync(join(this.logDir, director.log), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async serverCommand(s: ServerName, command: 'http-stop' | 'http-start'): Promise<void> {
    const server = this.servers.get(s)!;
    server.child.stdin!.write(`${command}\n`);
    await server.lines.next();
  }

  config(d: DirectorName, sync: boolean): string {
    const file = join(RUN_DIR, d, `keepalived-${this.mode}${sync ? '' : '-nosync'}.conf`);
    mkdirSync(join(RUN_DIR, d), { recursive: true });
    writeFileSync(file, directorConfig({ mode: this.mode, director: d, sync }));
    return file;
  }

  startDirector(d: DirectorName, impl: Implementation, sync: boolean): Director {
    const conf = this.config(d, sync);
    const dir = join(RUN_DIR, d);
    const argv =
      impl === 'keepalived-ts'
        ? [
            process.execPath,
            this.daemon,
            '-n',
            '-l',
            '-D',
            '-f',
            conf,
            '-p',
            join(dir, 'kts.pid'),
            '--runtime-dir',
            dir,
          ]
        : [
            'keepalived',
            '-n',
            '-l',
            '-D',
            '-f',
            conf,
            '-p',
            join(dir, 'ka.pid'),
            '-r',
            join(dir, 'ka-vrrp.pid'),
            '-c',
            join(dir, 'ka-check.pid'),
          ];
    const log = `${this.mode}-${d}-${impl}-${++this.logSeq}.log`;
    const child = this.spawn(ns[d], argv, log);
    const director = { name: d, impl, child, log };
    this.directors[d] = director;
    return director;
  }

  /**
   * The director dies as a machine does: every process in its namespace frozen, its links cut, then
   * everything SIGKILLed. (A SIGKILL of the daemon alone leaves the VIP and the IPVS table in its kernel,
   * which would go on forwarding and hide the outage.) Returns the time of the kill.
   */
  async kill(d: DirectorName): Promise<number> {
    const pids = (await exec(['ip', 'netns', 'pids', ns[d]])).stdout.split(/\s+/).filter(Boolean).map(Number);
    const signal = (name: NodeJS.Signals): void => {
      for (const pid of pids) {
        try {
          process.kill(pid, name);
        } catch {
          // gone already
        }
      }
    };
    // SIGSTOP first: nothing in the namespace runs another instruction, so no process can react
    // (keepalived's children get SIGTERM when their parent dies and would send a priority 0 advert),
    // then the links go, then SIGKILL.
    signal('SIGSTOP');
    const at = Date.now();
    await must(['ip', '-n', ns[d], '-batch', '-'], this.links(d, 'down'));
    signal('SIGKILL');
    const director = this.directors[d];
    if (director) await waitExit(director.child, 5000);
    delete this.directors[d];
    return at;
  }

  private links(d: DirectorName, state: 'up' | 'down'): string {
    return ['eth0', ...(this.mode === 'nat' ? ['eth1'] : [])].map((i) => `link set ${i} ${state}\n`).join('');
  }

  /** The killed director boots again: links up, no VIP and an empty IPVS table, as after a reboot. */
  async reboot(d: DirectorName): Promise<void> {
    await must(['ip', '-n', ns[d], '-batch', '-'], this.links(d, 'up'));
    await exec(['ip', '-n', ns[d], 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
    if (this.mode === 'nat')
      await exec(['ip', '-n', ns[d], 'addr', 'del', `${INSIDE_VIP}/24`, 'dev', 'eth1']);
    await must(inNs(ns[d], ['ipvsadm', '-C']));
  }

  /** SIGTERM: a clean stop. Returns the time it was sent and whether the daemon exited within 15 s. */
  async stop(d: DirectorName): Promise<{ at: number; exited: boolean }> {
    const director = this.directors[d];
    if (!director) return { at: Date.now(), exited: true };
    const at = Date.now();
    director.child.kill('SIGTERM');
    const exited = await waitExit(director.child, 15_000);
    delete this.directors[d];
    return { at, exited };
  }

  /** Both directors gone and rebooted: the topology, web servers and client stay. */
  async resetDirectors(): Promise<void> {
    for (const d of ['a', 'b'] as const) {
      await this.kill(d);
      await this.reboot(d);
    }
  }

  async holdsVips(d: DirectorName): Promise<boolean> {
    const out = (await exec(['ip', '-n', ns[d], '-o', '-4', 'addr', 'show'])).stdout;
    return out.includes(` ${VIP}/`) && (this.mode !== 'nat' || out.includes(` ${INSIDE_VIP}/`));
  }

  async holdsAnyVip(d: DirectorName): Promise<boolean> {
    const out = (await exec(['ip', '-n', ns[d], '-o', '-4', 'addr', 'show'])).stdout;
    return out.includes(` ${VIP}/`) || out.includes(` ${INSIDE_VIP}/`);
  }

  async ipvs(d: DirectorName, ...args: string[]): Promise<string> {
    return (await exec(inNs(ns[d], ['ipvsadm', '-Ln', ...args]))).stdout;
  }

  async tableMatches(d: DirectorName, expected: string[]): Promise<boolean> {
    return JSON.stringify(canonicalTable(await this.ipvs(d))) === JSON.stringify(expected);
  }

  async destroy(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    for (const name of ALL_NAMESPACES) {
      const pids = (await exec(['ip', 'netns', 'pids', name])).stdout.split(/\s+/).filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    for (const child of [...this.children]) await waitExit(child, 5000);
    for (const name of ALL_NAMESPACES) await exec(['ip', 'netns', 'del', name]);
    this.directors = {};
    this.servers.clear();
    rmSync(RUN_DIR, { recursive: true, force: true });
  }
}

// -------------------------------------------------------------------------------------------------
// the story
// -------------------------------------------------------------------------------------------------

export interface StepResult {
  ok: boolean;
  detail: string;
  figures?: Record<string, unknown>;
}

interface StoryOptions {
  story: 'full' | 'demo';
  modes: LabMode[];
  daemon: string;
  results?: string;
  /** Where the daemons', servers' and client's logs go (kept after the run). */
  logs: string;
  keepalived: boolean;
}

class Story {
  readonly steps: Record<string, StepResult> = {};
  readonly started = Date.now();
  firstFailure: string | undefined;

  constructor(readonly options: StoryOptions) {}

  say(text: string): void {
    const s = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    process.stdout.write(`[${s} s] ${text}\n`);
  }

  record(name: string, result: StepResult): boolean {
    this.steps[name] = result;
    if (!result.ok) this.firstFailure ??= name;
    this.say(`${result.ok ? 'ok    ' : 'FAILED'} ${name}: ${result.detail}`);
    this.save();
    return result.ok;
  }

  save(): void {
    if (this.options.results === undefined) return;
    writeFileSync(
      this.options.results,
      JSON.stringify(
        { steps: this.steps, firstFailure: this.firstFailure, elapsedMs: Date.now() - this.started },
        null,
        1,
      ),
    );
  }
}

const count = (names: string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
};
const summary = (c: Record<string, number>): string =>
  Object.entries(c)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

/** One line of the live view: who holds the VIP, the master's table counters, the responses. */
async function view(lab: Lab, story: Story): Promise<void> {
  const holders = [];
  for (const d of ['a', 'b'] as const) if (await lab.holdsAnyVip(d)) holders.push(d);
  const master = holders.length === 0 ? 'nobody' : holders.join('+');
  let table = '';
  if (holders.length > 0) {
    const counts = connectionCounts(await lab.ipvs(holders[0] as DirectorName));
    table = SERVERS.map((s) => {
      const c = counts.get(`${VIP}:${PORTS.rr} ${serverAddress(lab.mode, s)}:${PORTS.rr}`);
      return c ? `${s} ${c.active}/${c.inactive}` : `${s} -`;
    }).join('  ');
  }
  const responses = await lab.client.request<Record<string, number>>({ op: 'loop-peek' });
  story.say(
    `  view | VIP on: ${master.padEnd(6)} | IPVS :${PORTS.rr} active/inactive: ${table.padEnd(22)} | responses: ${summary(responses) || 'none'}`,
  );
}

/** Runs a request loop through `event`, showing the live view each second in the demo story. */
async function throughEvent(
  lab: Lab,
  story: Story,
  event: () => Promise<number>,
  settled: () => Promise<boolean>,
  settleTimeoutMs: number,
): Promise<{ outage: Outage; samples: LoopRecord[]; at: number; settledAfterMs: number | undefined }> {
  await lab.client.request({ op: 'loop-start', host: VIP, port: PORTS.rr, ...LOOP });
  const demo = story.options.story === 'demo';
  const pause = async (ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (demo) await view(lab, story);
      await sleep(Math.min(1000, Math.max(0, end - Date.now())));
    }
  };
  await pause(demo ? 3000 : 1000);
  const at = await event();
  let settledAfterMs: number | undefined;
  for (;;) {
    if (await settled()) {
      settledAfterMs = Date.now() - at;
      break;
    }
    if (Date.now() - at > settleTimeoutMs) break;
    if (demo) await view(lab, story);
    await sleep(demo ? 700 : 200);
  }
  await pause(demo ? 4000 : 2000);
  const samples = await lab.client.request<LoopRecord[]>({ op: 'loop-stop' });
  return { outage: outage(samples, at, LOOP.timeoutMs), samples, at, settledAfterMs };
}

const fmtOutage = (o: Outage): string =>
  `${o.failed} of ${o.total} requests failed, service resumed ${Number.isFinite(o.resumedAfterMs) ? `${o.resumedAfterMs} ms` : 'never'} after, ${o.okAfter} ok after`;

async function startPair(
  lab: Lab,
  story: Story,
  step: string,
  impls: Record<DirectorName, Implementation>,
  sync: boolean,
): Promise<boolean> {
  lab.startDirector('a', impls.a, sync);
  await sleep(500);
  lab.startDirector('b', impls.b, sync);
  const running = (): boolean => lab.running('a') && lab.running('b');
  const masterAfter = await waitFor(async () => !running() || (await lab.holdsVips('a')), 60_000, 300);
  const expected = expectedTable(lab.mode);
  const tables = await waitFor(
    async () =>
      !running() || ((await lab.tableMatches('a', expected)) && (await lab.tableMatches('b', expected))),
    40_000,
    500,
  );
  const bIdle = !(await lab.holdsAnyVip('b'));
  const ok = running() && masterAfter !== undefined && tables !== undefined && bIdle;
  const detail = ok
    ? `${impls.a} a MASTER with the VIP${lab.mode === 'nat' ? 's' : ''}, ${impls.b} b BACKUP; both tables as configured (${expected.length} lines)`
    : `a holds the VIPs: ${masterAfter !== undefined}; b holds none: ${bIdle}; tables as configured: ${tables !== undefined}` +
      `; both daemons running: ${running()}` +
      `\n--- a: ipvsadm -Ln\n${await lab.ipvs('a')}\n--- b: ipvsadm -Ln\n${await lab.ipvs('b')}` +
      `\n--- a's log (tail)\n${lab.logTail('a')}\n--- b's log (tail)\n${lab.logTail('b')}`;
  return story.record(step, { ok, detail, figures: { masterAfterMs: masterAfter, tablesAfterMs: tables } });
}

async function schedulers(lab: Lab, story: Story, m: LabMode): Promise<void> {
  const burst = (port: number, n: number, source?: string, parallel = 1): Promise<string[]> =>
    lab.client.request<string[]>({
      op: 'burst',
      host: VIP,
      port,
      count: n,
      parallel,
      ...(source ? { source } : {}),
    });

  const rr = await burst(PORTS.rr, 20);
  const alternates = rr.every((s, i) => SERVERS.includes(s as ServerName) && (i === 0 || s !== rr[i - 1]));
  story.record(`${m}/rr`, {
    ok: alternates,
    detail: `20 requests: ${rr.join(' ')}`,
    figures: { responses: rr },
  });

  const wrr = count(await burst(PORTS.wrr, 300, undefined, 10));
  const wrrOk = Math.abs((wrr.rs1 ?? 0) - 200) <= 3 && Math.abs((wrr.rs2 ?? 0) - 100) <= 3;
  story.record(`${m}/wrr`, { ok: wrrOk, detail: `300 requests, weights 2:1: ${summary(wrr)}`, figures: wrr });

  const sh1 = count(await burst(PORTS.sh, 15, CLIENT_ADDRESS));
  const sh2 = count(await burst(PORTS.sh, 15, CLIENT_ADDRESS_2));
  const shOk = [sh1, sh2].every(
    (c) => Object.keys(c).length === 1 && SERVERS.includes(Object.keys(c)[0] as ServerName),
  );
  story.record(`${m}/sh`, {
    ok: shOk,
    detail: `15 requests from ${CLIENT_ADDRESS}: ${summary(sh1)}; 15 from ${CLIENT_ADDRESS_2}: ${summary(sh2)}`,
    figures: { [CLIENT_ADDRESS]: sh1, [CLIENT_ADDRESS_2]: sh2 },
  });

  // The template lives while its connections do. A closed connection goes after tcpfin (1 s here)
  // where the director sees one direction (DR, TUN); in NAT it sees both and keeps the entry in
  // TIME_WAIT, which ipvsadm cannot shorten (about a minute): the wait is long enough for both.
  const first = count(await burst(PORTS.persistent, 10));
  const expiredAfter = await waitFor(
    async () => !(await lab.ipvs('a', '-c')).includes(`${VIP}:${PORTS.persistent}`),
    180_000,
    1000,
  );
  const second = count(await burst(PORTS.persistent, 10));
  const [x] = Object.keys(first);
  const [y] = Object.keys(second);
  const persistOk =
    Object.keys(first).length === 1 &&
    Object.keys(second).length === 1 &&
    expiredAfter !== undefined &&
    x !== y;
  story.record(`${m}/persistence`, {
    ok: persistOk,
    detail:
      `10 requests: ${summary(first)}; the template expired ${expiredAfter ?? 'never'} ms after the last ` +
      `(persistence_timeout 3); 10 more: ${summary(second)}` +
      (expiredAfter === undefined ? `\n--- a: ipvsadm -Lnc\n${await lab.ipvs('a', '-c')}` : ''),
    figures: {
      first,
      second,
      expiredAfterMs: expiredAfter,
      ...(expiredAfter === undefined ? { entries: await lab.ipvs('a', '-c') } : {}),
    },
  });
}

async function serverDownUp(lab: Lab, story: Story, m: LabMode): Promise<void> {
  await lab.serverCommand('rs1', 'http-stop');
  const leftAfter = await waitFor(() => lab.tableMatches('a', expectedTable(m, ['rs1'])), 60_000, 300);
  const whileDown = count(
    await lab.client.request<string[]>({ op: 'burst', host: VIP, port: PORTS.rr, count: 10 }),
  );
  story.record(`${m}/rs-down`, {
    ok: leftAfter !== undefined && whileDown.rs2 === 10,
    detail:
      `rs1's web server stopped: it left the table after ${leftAfter ?? 'never'} ms; 10 requests: ${summary(whileDown)}` +
      (leftAfter === undefined
        ? `\n--- a: ipvsadm -Ln\n${await lab.ipvs('a')}\n--- a's log (tail)\n${lab.logTail('a', 30)}`
        : ''),
    figures: { leftAfterMs: leftAfter, whileDown },
  });
  await lab.serverCommand('rs1', 'http-start');
  const backAfter = await waitFor(() => lab.tableMatches('a', expectedTable(m)), 60_000, 300);
  const whileUp = count(
    await lab.client.request<string[]>({ op: 'burst', host: VIP, port: PORTS.rr, count: 10 }),
  );
  story.record(`${m}/rs-up`, {
    ok: backAfter !== undefined && whileUp.rs1 === 5 && whileUp.rs2 === 5,
    detail: `rs1's web server started: back in the table after ${backAfter ?? 'never'} ms; 10 requests: ${summary(whileUp)}`,
    figures: { backAfterMs: backAfter, whileUp },
  });
}

const CONNS = 5;

/** Opens the long-lived connections and waits until b's table knows them (or a few seconds). */
async function openConnections(lab: Lab, sync: boolean): Promise<number> {
  await lab.client.request({ op: 'conns-open', host: VIP, port: PORTS.echo, count: CONNS, intervalMs: 100 });
  await waitFor(
    async () => (await lab.client.request<ConnReport[]>({ op: 'conns-report' })).every((c) => c.echoes >= 5),
    20_000,
  );
  // The sync daemon sends a connection after its third packet (sync_threshold 3).
  const synced = async (): Promise<number> =>
    (await lab.ipvs('b', '-c')).split('\n').filter((l) => l.includes(`${VIP}:${PORTS.echo}`)).length;
  if (sync) await waitFor(async () => (await synced()) >= CONNS, 20_000, 500);
  else await sleep(1500);
  return synced();
}

/**
 * After the master's death (b holds the VIP since `since`): how many long-lived connections get
 * their echoes again. TCP retransmits with exponential backoff (RTO 200 ms, doubling), so after a
 * few seconds of outage the next retransmission may come several seconds later: wait up to 20 s.
 */
async function closeConnections(lab: Lab, since: number): Promise<{ lost: number; reports: ConnReport[] }> {
  const report = (): Promise<ConnReport[]> => lab.client.request<ConnReport[]>({ op: 'conns-report' });
  const alive = (c: ConnReport): boolean => c.error === undefined && c.lastEchoAt > since;
  await waitFor(async () => (await report()).every((c) => alive(c) || c.error !== undefined), 20_000, 500);
  const reports = await report();
  await lab.client.request({ op: 'conns-close' });
  return { lost: reports.filter((c) => !alive(c)).length, reports };
}

const died = (lab: Lab, story: Story) =>
  throughEvent(
    lab,
    story,
    () => lab.kill('a'),
    () => lab.holdsVips('b'),
    MDI_B + 20_000,
  );

/** SIGTERM of director a under the request loop, until b holds the VIPs; whether a exited. */
async function stopped(
  lab: Lab,
  story: Story,
): Promise<{ run: Awaited<ReturnType<typeof throughEvent>>; exited: boolean }> {
  let exited = false;
  const run = await throughEvent(
    lab,
    story,
    async () => {
      const r = await lab.stop('a');
      exited = r.exited;
      return r.at;
    },
    () => lab.holdsVips('b'),
    20_000,
  );
  return { run, exited };
}

const comeBack = (lab: Lab, story: Story, impl: Implementation) =>
  throughEvent(
    lab,
    story,
    async () => {
      await lab.reboot('a');
      lab.startDirector('a', impl, true);
      return Date.now();
    },
    async () => (await lab.holdsVips('a')) && !(await lab.holdsAnyVip('b')),
    90_000,
  );

async function failoverStory(lab: Lab, story: Story, m: LabMode): Promise<void> {
  // SIGKILL (the director dies) under the request loop, with long-lived connections open.
  const synced = await openConnections(lab, true);
  const killed = await died(lab, story);
  const conns = await closeConnections(lab, killed.at + (killed.settledAfterMs ?? 0));
  const bound = MDI_B + 1000;
  story.record(`${m}/kill`, {
    ok:
      killed.settledAfterMs !== undefined &&
      killed.outage.resumedAfterMs <= bound &&
      killed.outage.okAfter > 0,
    detail: `director a died (SIGKILL, links cut): b took the VIP after ${killed.settledAfterMs ?? 'never'} ms; ${fmtOutage(killed.outage)} (bound: Master_Down_Interval + 1 s = ${bound.toFixed(0)} ms)`,
    figures: { ...killed.outage, takeoverMs: killed.settledAfterMs },
  });
  story.record(`${m}/sync-on`, {
    ok: conns.lost === 0 && synced >= CONNS,
    detail: `lvs_sync_daemon on: ${CONNS} long-lived connections through the VIP, ${synced} in b's table before a died; ${conns.lost} lost (goal 0)`,
    figures: { lost: conns.lost, synced, connections: conns.reports },
  });

  // a comes back with the higher priority: it takes the VIP back, the loop goes on.
  const back = await comeBack(lab, story, 'keepalived-ts');
  story.record(`${m}/takeback`, {
    ok: back.settledAfterMs !== undefined && back.outage.okAfter >= 10 && back.outage.failed <= 10,
    detail: `director a restarted at priority ${PRIORITY.a}: it holds the VIP again after ${back.settledAfterMs ?? 'never'} ms; ${fmtOutage(back.outage)}`,
    figures: { ...back.outage, takebackMs: back.settledAfterMs },
  });
  await waitFor(() => lab.tableMatches('a', expectedTable(m)), 60_000, 500);

  // SIGTERM: a clean stop hands over at once (priority 0 advert) and leaves nothing behind.
  const { run: termed, exited } = await stopped(lab, story);
  const aTable = canonicalTable(await lab.ipvs('a'));
  const aVip = await lab.holdsAnyVip('a');
  story.record(`${m}/term`, {
    ok:
      exited &&
      termed.settledAfterMs !== undefined &&
      termed.outage.resumedAfterMs <= 1000 &&
      termed.outage.okAfter > 0 &&
      aTable.length === 0 &&
      !aVip,
    detail:
      `director a stopped (SIGTERM): it ${exited ? 'exited' : 'had not exited after 15 s'}; b took the VIP after ` +
      `${termed.settledAfterMs ?? 'never'} ms; ${fmtOutage(termed.outage)} (bound 1,000 ms); a left ${aTable.length} IPVS lines and ${aVip ? 'a' : 'no'} VIP behind`,
    figures: {
      ...termed.outage,
      takeoverMs: termed.settledAfterMs,
      leftTableLines: aTable.length,
      leftVip: aVip,
    },
  });
}

/** The same death without lvs_sync_daemon: b knows none of the connections. */
async function syncOff(lab: Lab, story: Story, m: LabMode): Promise<void> {
  await lab.resetDirectors();
  if (
    !(await startPair(lab, story, `${m}/sync-off-start`, { a: 'keepalived-ts', b: 'keepalived-ts' }, false))
  )
    return;
  const synced = await openConnections(lab, false);
  await lab.kill('a');
  await waitFor(() => lab.holdsVips('b'), MDI_B + 20_000);
  const conns = await closeConnections(lab, Date.now());
  story.record(`${m}/sync-off`, {
    ok: conns.lost > 0,
    detail: `lvs_sync_daemon off: ${CONNS} long-lived connections, ${synced} in b's table; ${conns.lost} lost when a died (with sync on: ${
      (story.steps[`${m}/sync-on`]?.figures as { lost?: number } | undefined)?.lost ?? '?'
    })`,
    figures: { lost: conns.lost, synced, connections: conns.reports },
  });
}

/** "; keepalived-ts in this run: ..." after a keepalived figure, when ours was measured. */
const beside = (ours: Outage | undefined): string =>
  ours ? `; keepalived-ts in this run: ${ours.failed} failed, resumed after ${ours.resumedAfterMs} ms` : '';

async function referencePair(lab: Lab, story: Story, m: LabMode, ours: Outage | undefined): Promise<void> {
  await lab.resetDirectors();
  if (!(await startPair(lab, story, `${m}/keepalived-start`, { a: 'keepalived', b: 'keepalived' }, true)))
    return;
  const killed = await died(lab, story);
  story.record(`${m}/keepalived-kill`, {
    ok: killed.settledAfterMs !== undefined,
    detail:
      `keepalived 2.2.7 pair, director a died: b took the VIP after ${killed.settledAfterMs ?? 'never'} ms; ${fmtOutage(killed.outage)}` +
      beside(ours),
    figures: { ...killed.outage, takeoverMs: killed.settledAfterMs },
  });
  const back = await comeBack(lab, story, 'keepalived');
  if (back.settledAfterMs === undefined) return;
  const { run: termed } = await stopped(lab, story);
  story.record(`${m}/keepalived-term`, {
    ok: termed.settledAfterMs !== undefined,
    detail:
      `keepalived 2.2.7 pair, SIGTERM of a: b took the VIP after ${termed.settledAfterMs ?? 'never'} ms; ${fmtOutage(termed.outage)}` +
      beside(story.steps[`${m}/term`]?.figures as Outage | undefined),
    figures: { ...termed.outage, takeoverMs: termed.settledAfterMs },
  });
}

async function mixedPair(lab: Lab, story: Story, m: LabMode): Promise<void> {
  const pairs: Record<DirectorName, Implementation>[] = [
    { a: 'keepalived-ts', b: 'keepalived' },
    { a: 'keepalived', b: 'keepalived-ts' },
  ];
  for (const impls of pairs) {
    const tag = `${m}/mixed-${impls.a === 'keepalived-ts' ? 'ts-ka' : 'ka-ts'}`;
    await lab.resetDirectors();
    if (!(await startPair(lab, story, `${tag}-start`, impls, true))) continue;
    const aTable = canonicalTable(await lab.ipvs('a'));
    const bTable = canonicalTable(await lab.ipvs('b'));
    story.record(`${tag}-tables`, {
      ok: JSON.stringify(aTable) === JSON.stringify(bTable) && aTable.length > 0,
      detail: `${impls.a} on a and ${impls.b} on b program the same table (${aTable.length} lines)`,
    });
    const killed = await died(lab, story);
    story.record(`${tag}-kill`, {
      ok:
        killed.settledAfterMs !== undefined &&
        killed.outage.resumedAfterMs <= MDI_B + 1000 &&
        killed.outage.okAfter > 0,
      detail: `${impls.a} on a died: ${impls.b} on b took the VIP after ${killed.settledAfterMs ?? 'never'} ms; ${fmtOutage(killed.outage)}`,
      figures: { ...killed.outage, takeoverMs: killed.settledAfterMs },
    });
    const back = await comeBack(lab, story, impls.a);
    story.record(`${tag}-takeback`, {
      ok: back.settledAfterMs !== undefined && back.outage.okAfter >= 10,
      detail: `${impls.a} on a restarted: it holds the VIP again after ${back.settledAfterMs ?? 'never'} ms; ${fmtOutage(back.outage)}`,
      figures: { ...back.outage, takebackMs: back.settledAfterMs },
    });
  }
}

async function fullStory(lab: Lab, story: Story, m: LabMode): Promise<void> {
  story.say(`=== LVS-${m.toUpperCase()}: two keepalived-ts directors, rs1 and rs2, one client`);
  await lab.build();
  story.record(`${m}/topology`, {
    ok: true,
    detail:
      m === 'nat'
        ? 'real servers on the inside network, default route on the inside VIP'
        : `real servers set up with \`keepalived-ts realserver setup --mode ${m}\``,
  });
  if (!(await startPair(lab, story, `${m}/start`, { a: 'keepalived-ts', b: 'keepalived-ts' }, true))) return;
  await schedulers(lab, story, m);
  await serverDownUp(lab, story, m);
  await failoverStory(lab, story, m);
  const ours = story.steps[`${m}/kill`]?.figures as Outage | undefined;
  if (m !== 'tun') await syncOff(lab, story, m);
  if (story.options.keepalived) await referencePair(lab, story, m, ours);
  if (m === 'dr' && story.options.keepalived) await mixedPair(lab, story, m);
  await lab.destroy();
}

async function demoStory(lab: Lab, story: Story): Promise<void> {
  story.say(
    '=== LVS-DR director pair: keepalived-ts on directors a (priority 150) and b (100), web servers rs1 and rs2',
  );
  story.say(
    `    client ${CLIENT_ADDRESS} -> VIP ${VIP}:${PORTS.rr} (rr); one request every ${LOOP.intervalMs} ms`,
  );
  await lab.build();
  story.record('topology', {
    ok: true,
    detail: 'namespaces, bridge, real servers set up with `keepalived-ts realserver setup --mode dr`',
  });
  if (!(await startPair(lab, story, 'start', { a: 'keepalived-ts', b: 'keepalived-ts' }, true))) return;
  story.say('--- traffic through the master; then director a dies (SIGKILL, links cut)');
  const killed = await died(lab, story);
  story.record('takeover', {
    ok:
      killed.settledAfterMs !== undefined &&
      killed.outage.resumedAfterMs <= MDI_B + 1000 &&
      killed.outage.okAfter > 0,
    detail: `b took the VIP after ${killed.settledAfterMs ?? 'never'} ms; ${fmtOutage(killed.outage)}`,
    figures: { ...killed.outage },
  });
  story.say('--- director a boots again with the higher priority');
  const back = await comeBack(lab, story, 'keepalived-ts');
  story.record('takeback', {
    ok: back.settledAfterMs !== undefined && back.outage.okAfter >= 10,
    detail: `a holds the VIP again after ${back.settledAfterMs ?? 'never'} ms; ${fmtOutage(back.outage)}`,
    figures: { ...back.outage },
  });
}

async function runStory(options: StoryOptions): Promise<number> {
  const story = new Story(options);
  const logDir = options.logs;
  mkdirSync(logDir, { recursive: true });
  let current: Lab | undefined;
  const cleanup = async (): Promise<void> => {
    if (current) await current.destroy();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));
  try {
    for (const m of options.story === 'demo' ? (['dr'] as const) : options.modes) {
      current = new Lab(m, options.daemon, logDir);
      if (options.story === 'demo') await demoStory(current, story);
      else await fullStory(current, story, m);
      await current.destroy();
    }
  } catch (e) {
    story.record('error', { ok: false, detail: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  } finally {
    await cleanup();
  }
  const left = [];
  for (const name of ALL_NAMESPACES) if (existsSync(`/run/netns/${name}`)) left.push(name);
  story.record('cleanup', {
    ok: left.length === 0,
    detail:
      left.length === 0
        ? 'every namespace, process and run-time file removed'
        : `left behind: ${left.join(' ')}`,
  });
  story.save();
  if (story.firstFailure === undefined) {
    story.say(`every step held (${Object.keys(story.steps).length} steps)`);
    return 0;
  }
  story.say(`the step that did not hold: ${story.firstFailure}`);
  return 1;
}

// -------------------------------------------------------------------------------------------------
// entry
// -------------------------------------------------------------------------------------------------

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'server') return runServer(args[0] ?? 'rs');
  if (command === 'client') return runClient();
  const usage = (problem: string): never => {
    process.stderr.write(
      `lab: ${problem}\nusage: lab run [--modes dr,nat,tun] [--story full|demo] --daemon FILE [--results FILE] [--logs DIR]\n`,
    );
    process.exit(2);
  };
  if (command !== 'run') usage(command === undefined ? 'no command' : `unknown command ${command}`);
  const daemon = option(args, '--daemon') ?? usage('--daemon DIST/keepalived-ts.js is required');
  const modes = (option(args, '--modes') ?? LAB_MODES.join(',')).split(',') as LabMode[];
  for (const m of modes) if (!LAB_MODES.includes(m)) usage(`unknown mode ${m}`);
  const story = option(args, '--story') === 'demo' ? 'demo' : 'full';
  const keepalived = option(args, '--keepalived') !== 'no';
  const results = option(args, '--results');
  const logs = option(args, '--logs') ?? '/tmp/kts-lab-logs';
  process.exit(await runStory({ story, modes, daemon, keepalived, logs, ...(results ? { results } : {}) }));
}

void main().catch((e: unknown) => {
  process.stderr.write(`lab: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
