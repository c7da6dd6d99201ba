/**
 * Root tier: vrrp_track_process with dist/keepalived-ts.js in a namespace, tracking a process of
 * the test's own (a copy of sleep under a name no other process has).
 *  - weight 0: the instance starts in FAULT with keepalived's line while the process is not
 *    running, leaves FAULT (BACKUP, then MASTER) when it starts, goes back to FAULT when it is
 *    killed and comes back when it starts again, with `Quorum gained/lost` lines.
 *  - weight 10: the advertised priority is 110 while the process runs and 100 once it is gone
 *    (read from the control socket's status and from the adverts on the wire).
 *  - the proc connector: a fork of a tracked process (a copy of bash whose subshell waits) is
 *    counted, and the quorum it makes is acted on only after fork_delay.
 *  - in the initial network namespace (on a veth pair of the test's own there), where the proc
 *    connector works: keepalived 2.2.7 and keepalived-ts, run in turn on one config (two trackers of
 *    the process, one weight 0 with terminate_delay 1, one weight 10), log the same start line and
 *    the same Quorum, state and priority lines in the same order as the process starts and stops.
 *  - keepalived 2.2.7 in a namespace: its proc connector subscription is refused (ECONNREFUSED:
 *    the connector exists only in the initial network namespace) with the line keepalived-ts
 *    logs too; keepalived then counts no process and the instance stays in FAULT, where
 *    keepalived-ts reads /proc instead (docs/behaviour.md §3.9).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { DaemonStatus } from '../../src/contracts/status.js';
import { watchProcesses, type ProcessWatchEvent } from '../../src/net/process-watch.js';
import { realClock } from '../../src/util/clock.js';
import { MemoryLogger } from '../../src/util/log.js';
import { TrackProcessQuorums } from '../../src/vrrp/track-processes.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  ip,
  LineCollector,
  netnsPrerequisites,
  startKeepalived,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['keepalived', 'tcpdump']));

const PREFIX = '10.231.91';
const VIP = `${PREFIX}.100`;

describeTier('vrrp_track_process', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  /** comm is at most 15 characters: the name must fit to be matched without full_command. */
  const NAME = `ktproc${process.pid}`.slice(0, 15);
  let binary: string;
  const running = new Set<ChildProcess>();
  const daemons: Daemon[] = [];

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('ktproc');
    [a, b] = bed.twoHosts(PREFIX);
    binary = join(bed.tempDir, NAME);
    copyFileSync('/bin/sleep', binary);
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) await stopDaemon(d);
    for (const c of running) c.kill('SIGKILL');
    running.clear();
  });
  afterAll(() => bed?.destroy());

  /** Starts the tracked process (in the root namespace: process tracking is host-wide). */
  const startProcess = (): ChildProcess => {
    const c = spawn(binary, ['1000'], { stdio: 'ignore' });
    running.add(c);
    return c;
  };
  const stopProcess = async (c: ChildProcess): Promise<void> => {
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
    running.delete(c);
  };

  const config = (weight: string): string =>
    vrrpConfig({ priority: 100, vips: [`${VIP}/32`], extra: ['track_process {', `  tp${weight}`, '}'] }, [
      'vrrp_track_process tp {',
      `  process ${NAME}`,
      '}',
    ]);

  const status = (d: Daemon): DaemonStatus => {
    const r = spawnSync(process.execPath, [DIST_ENTRY, 'status', '--json', '--runtime-dir', d.runtimeDir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as DaemonStatus;
  };

  it('weight 0: FAULT while the process is not running, out of FAULT while it runs', async () => {
    const d = startKeepalivedTs(bed, a.ns, 'fault', config(''));
    daemons.push(d);
    await d.lines.wait(/\(VI_1\) entering FAULT state \(tracked process tp quorum not achieved\)/, 15_000);
    await d.lines.wait(/\(VI_1\) Entering FAULT STATE/, 15_000);
    // In a namespace the proc connector is refused: keepalived's line, then /proc is polled.
    await d.lines.wait(/Failed to set\/clear process event listen - errno 111 - Connection refused/, 5_000);
    await d.lines.wait(/track_process: reading \/proc every 200 ms/, 5_000);

    let p = startProcess();
    const gained = await d.lines.wait(/Quorum gained for tracked process tp$/, 10_000);
    await d.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 10_000, gained);
    const master = await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000, gained);

    await stopProcess(p);
    const lost = await d.lines.wait(/Quorum lost for tracked process tp$/, 10_000, master);
    await d.lines.wait(/\(VI_1\) Entering FAULT STATE/, 10_000, lost);

    p = startProcess();
    const again = await d.lines.wait(/Quorum gained for tracked process tp$/, 10_000, lost);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000, again);
    const t = status(d).vrrp!.instances[0]!.trackers.find((x) => x.kind === 'process');
    expect(t).toMatchObject({ name: 'tp', weight: 0, value: 'quorum', fault: false });
    await stopProcess(p);
  }, 90_000);

  it('weight 10: the advertised priority follows the process', async () => {
    const p = startProcess();
    const d = startKeepalivedTs(bed, a.ns, 'weight', config(' weight 10'));
    daemons.push(d);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 20_000);
    expect(status(d).vrrp!.instances[0]!.effectivePriority).toBe(110);
    const before = adverts(b, 3);
    expect(await before).toContain(110);

    await stopProcess(p);
    await d.lines.wait(/\(VI_1\) Changing effective priority from 110 to 100/, 10_000);
    await waitFor(() => status(d).vrrp!.instances[0]!.effectivePriority === 100, 5_000, 'priority 100');
    const after = await adverts(b, 2);
    expect(after.at(-1)).toBe(100);
  }, 90_000);

  it('the proc connector in the initial namespace: exec and exit events of the process', async () => {
    const lines: string[] = [];
    const logger = {
      info: (m: string) => lines.push(m),
      warn: () => {},
      error: () => {},
      detail: () => {},
      debug: () => {},
    };
    const events: ProcessWatchEvent[] = [];
    let scanned = 0;
    let polls = 0;
    const w = watchProcesses(
      { scan: (ps) => (scanned = ps.length), event: (e) => events.push(e), poll: () => polls++ },
      { cmdline: true },
      logger,
    );
    try {
      expect(scanned).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 300)); // the subscription and the kernel's answer
      const p = startProcess();
      const pid = p.pid!;
      await waitFor(() => events.some((e) => e.kind === 'exec' && e.pid === pid), 5_000, 'exec event');
      const exec = events.find((e) => e.kind === 'exec' && e.pid === pid);
      expect(exec).toMatchObject({ info: { pid, comm: NAME, cmdline: [binary, '1000'] } });
      await stopProcess(p);
      await waitFor(() => events.some((e) => e.kind === 'exit' && e.pid === pid), 5_000, 'exit event');
      // Subscribed and answered: one catch-up read of /proc once subscribed, no polling after.
      expect(lines).toEqual([]);
      expect(polls).toBe(1);
    } finally {
      w.close();
    }
  }, 30_000);

  it("the proc connector: a fork counts for the parent's trackers, after fork_delay", async () => {
    const shell = join(bed.tempDir, `ktpsh${process.pid}`.slice(0, 15));
    copyFileSync('/bin/bash', shell);
    const fifo = join(bed.tempDir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const logger = new MemoryLogger();
    const q = new TrackProcessQuorums({
      platform: { watchProcesses: (h, o) => watchProcesses(h, o, logger) },
      clock: realClock,
      logger,
      onChange: () => {},
    });
    const comm = shell.slice(shell.lastIndexOf('/') + 1);
    q.watch([
      {
        name: 'tf',
        process: comm,
        params: [],
        paramMatch: 'none',
        fullCommand: false,
        weight: 0,
        weightReverse: false,
        quorum: 2,
        quorumMax: null,
        forkDelay: 1,
        terminateDelay: 0,
        loc: { file: 'k.conf', line: 1 },
      },
    ]);
    let c: ChildProcess | null = null;
    try {
      await new Promise((r) => setTimeout(r, 300));
      // The subshell is a fork of the shell that runs a builtin: it stays a copy of the shell.
      c = spawn(shell, ['-c', `( read -t 60 x <> ${fifo} ) & wait`], { stdio: 'ignore', detached: true });
      const started = performance.now();
      await waitFor(() => q.count('tf') === 2, 5_000, 'two processes counted');
      expect(q.haveQuorum('tf')).toBe(false);
      expect(q.timerRunning('tf', 'fork')).toBe(true);
      await waitFor(() => q.haveQuorum('tf'), 5_000, 'quorum after fork_delay');
      expect(performance.now() - started).toBeGreaterThanOrEqual(950);
      expect(logger.messages()).toContain('Quorum gained for tracked process tf');
      process.kill(-c.pid!, 'SIGKILL');
      await waitFor(() => q.count('tf') === 0, 5_000, 'both exits');
      expect(q.haveQuorum('tf')).toBe(false);
      expect(logger.messages().at(-1)).toBe('Quorum lost for tracked process tf');
    } finally {
      // The group may be gone already (killed above) before its exit event has been delivered.
      if (c?.pid !== undefined && c.exitCode === null) {
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          // ESRCH: nothing left to kill; a failure above is the one to report.
        }
      }
      q.close();
    }
  }, 30_000);

  it('in the initial namespace: the same lines as keepalived 2.2.7, in the same order', async () => {
    const left = `ktp${process.pid % 10000}a`;
    const right = `ktp${process.pid % 10000}b`;
    spawnSync('ip', ['link', 'del', left], { stdio: 'ignore' });
    ip('link', 'add', left, 'type', 'veth', 'peer', 'name', right);
    try {
      ip('addr', 'add', '10.231.92.1/24', 'dev', left);
      ip('link', 'set', left, 'up');
      ip('link', 'set', right, 'up');
      const text = [
        'vrrp_track_process tp {',
        `  process ${NAME}`,
        '  terminate_delay 1',
        '}',
        'vrrp_track_process tw {',
        `  process ${NAME}`,
        '  weight 10',
        '}',
        'vrrp_instance VI_1 {',
        '  state BACKUP',
        `  interface ${left}`,
        '  virtual_router_id 77',
        '  priority 100',
        '  advert_int 1',
        '  unicast_src_ip 10.231.92.1',
        '  unicast_peer {',
        '    10.231.92.2',
        '  }',
        '  virtual_ipaddress {',
        '    10.231.92.100/32',
        '  }',
        '  track_process {',
        '    tp',
        '    tw',
        '  }',
        '}',
        '',
      ].join('\n');
      const run = async (impl: 'keepalived' | 'keepalived-ts'): Promise<string[]> => {
        const dir = join(bed.tempDir, `root-${impl}`);
        mkdirSync(join(dir, 'run'), { recursive: true });
        const conf = join(dir, 'keepalived.conf');
        writeFileSync(conf, text);
        const [cmd, args] =
          impl === 'keepalived'
            ? [
                'keepalived',
                ['-n', '-l', '-D', '-P', '-f', conf, '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid')],
              ]
            : [
                process.execPath,
                [
                  DIST_ENTRY,
                  '-n',
                  '-l',
                  '-D',
                  '-P',
                  '-f',
                  conf,
                  '-p',
                  join(dir, 'k.pid'),
                  '--runtime-dir',
                  join(dir, 'run'),
                ],
              ];
        const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        const lines = new LineCollector(child);
        const exited = new Promise((r) => child.once('exit', r));
        try {
          await lines.wait(/Startup complete/, 15_000);
          const p = startProcess();
          const master = await lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
          await stopProcess(p);
          await lines.wait(/\(VI_1\) Entering FAULT STATE$/, 10_000, master);
          await new Promise((r) => setTimeout(r, 500));
        } finally {
          child.kill('SIGTERM');
          await exited;
        }
        const keep =
          /entering FAULT state \(tracked|Quorum (gained|lost)|Entering (BACKUP|MASTER|FAULT) STATE$|Changing effective priority/;
        return lines.lines.map((l) => l.text.replace(/^.*?: (?=\(|Quorum)/, '')).filter((l) => keep.test(l));
      };
      const theirs = await run('keepalived');
      const ours = await run('keepalived-ts');
      expect(theirs).toEqual([
        '(VI_1) entering FAULT state (tracked process tp quorum not achieved)',
        'Quorum gained for tracked process tp',
        '(VI_1) Entering BACKUP STATE',
        'Quorum gained for tracked process tw',
        '(VI_1) Changing effective priority from 100 to 110',
        '(VI_1) Entering MASTER STATE',
        'Quorum lost for tracked process tw',
        '(VI_1) Changing effective priority from 110 to 100',
        'Quorum lost for tracked process tp',
        '(VI_1) Entering FAULT STATE',
      ]);
      expect(ours).toEqual(theirs);
    } finally {
      spawnSync('ip', ['link', 'del', left], { stdio: 'ignore' });
    }
  }, 90_000);

  it('keepalived 2.2.7 in a namespace: the subscription is refused and the instance stays in FAULT', async () => {
    const p = startProcess();
    const k = startKeepalived(bed, a.ns, 'keepalived', config(''));
    daemons.push(k);
    await k.lines.wait(/Failed to set\/clear process event listen - errno 111 - Connection refused/, 15_000);
    await k.lines.wait(/\(VI_1\) entering FAULT state \(tracked process tp quorum not achieved\)/, 15_000);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(k.lines.find(/Entering MASTER STATE|Entering BACKUP STATE/)).toBe(-1);
    await stopProcess(p);
  }, 60_000);
});

/** The priorities of the next `count` VRRP adverts seen on `host`'s interface. */
function adverts(host: Host, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const c = spawn(
      'ip',
      [
        'netns',
        'exec',
        host.ns,
        'tcpdump',
        '-l',
        '-n',
        '-i',
        host.ifname,
        '-c',
        String(count),
        'ip proto 112',
      ],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let out = '';
    c.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      reject(new Error(`no ${count} adverts: ${out}`));
    }, 15_000);
    c.on('exit', () => {
      clearTimeout(timer);
      resolve([...out.matchAll(/prio (\d+)/g)].map((m) => Number(m[1])));
    });
  });
}
