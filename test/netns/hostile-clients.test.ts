/**
 * Root tier: a MASTER whose control socket and observation listener are attacked while it
 * serves. From another namespace, over the veth: more slow HTTP clients than the listener has
 * connections (a header byte every 500 ms, reconnecting when closed), malformed requests,
 * oversized headers, clients that never read, while a prober scrapes /metrics every 250 ms. On
 * the control socket at the same time: more idle connections than it takes, garbage lines, an
 * oversized line, and a client that pipelines requests and never reads, while `status` is asked
 * every 250 ms. The daemon must stay alive and MASTER with its adverts on time (captured on the
 * other side), every scrape and every status must be answered, and nothing may be left open
 * once the attackers are gone.
 */
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from '../../src/daemon/control-client.js';
import {
  bundleHarness,
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  nsExec,
  REPO_ROOT,
  sleep,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  type Daemon,
  type Host,
} from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['tcpdump']));

const PREFIX = '10.231.43';
const VIP = `${PREFIX}.100`;
const PORT = 19180;
const ATTACK_MS = 20_000;
/** More than the listener's 64 connections. */
const SLOW_HTTP_CLIENTS = 100;

interface HttpAttack {
  readonly slowConnections: number;
  readonly slowClosedByServer: number;
  readonly malformed: number;
  readonly malformedAnswered400: number;
  readonly oversized: number;
  readonly oversizedAnswered4xx: number;
  readonly nonReaders: number;
  readonly probes: number;
  readonly probesOk: number;
  readonly probeFailures: readonly string[];
  readonly probeMaxMs: number;
}

describeTier('hostile clients of the control socket and the observation listener', () => {
  let bed: Testbed;
  let master: Host;
  let peer: Host;
  let d: Daemon;
  let attackScript: string;
  let masterLine: number;

  beforeAll(async () => {
    ensureBuilt();
    attackScript = await bundleHarness(
      join(REPO_ROOT, 'test/netns/harness/hostile-clients.ts'),
      'hostile-clients',
    );
    bed = new Testbed('kts-hostile');
    [master, peer] = bed.twoHosts(PREFIX);
    d = startKeepalivedTs(
      bed,
      master.ns,
      'master',
      vrrpConfig({ state: 'MASTER', priority: 150, vips: [`${VIP}/24`] }),
      ['--metrics-listen', `${master.address}:${PORT}`],
    );
    masterLine = await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
  }, 60_000);
  afterAll(async () => {
    if (d !== undefined) await stopDaemon(d);
    bed?.destroy();
  });

  const controlPath = (): string => join(d.runtimeDir, 'control.sock');

  /** Control socket attackers in this process; returns a function that ends them. */
  const attackControl = (): { stop: () => { opened: number; closedByServer: number } } => {
    const sockets: Socket[] = [];
    let opened = 0;
    let closedByServer = 0;
    let stopping = false;
    const open = (): Socket => {
      const s = connect(controlPath());
      opened++;
      s.on('error', () => {});
      s.on('close', () => {
        if (!stopping) closedByServer++;
      });
      sockets.push(s);
      return s;
    };
    // Idle connections, more than the 16 it takes, one more every 100 ms.
    const idle = setInterval(() => void open().resume(), 100);
    // Garbage and an oversized line.
    const garbage = setInterval(() => {
      const s = open();
      s.resume();
      s.write('{"v":1,"id":1,"cmd":"no such"}\nnot json at all\n\u0000\u0001\n');
      const big = open();
      big.resume();
      big.write('{"v":1,"id":2,"cmd":"status","pad":"' + 'x'.repeat(1024 * 1024));
    }, 1000);
    // Pipelined status requests, never read.
    const greedy = setInterval(() => {
      const s = open();
      s.pause();
      s.write('{"v":1,"id":3,"cmd":"status"}\n'.repeat(200));
    }, 2000);
    return {
      stop: () => {
        stopping = true;
        clearInterval(idle);
        clearInterval(garbage);
        clearInterval(greedy);
        for (const s of sockets) s.destroy();
        return { opened, closedByServer };
      },
    };
  };

  it(
    `stays MASTER with adverts on time while attacked for ${ATTACK_MS / 1000} s, and answers every scrape and status`,
    async () => {
      const capture = bed.spawnIn(peer.ns, 'tcpdump', [
        '-i',
        'eth0',
        '-n',
        '-tt',
        '-l',
        '-Q',
        'in',
        `ip proto 112 and src host ${master.address}`,
      ]);
      const adverts = new LineCollector(capture);
      await sleep(1500);
      const linesBefore = d.lines.lines.length;
      const startedAt = Date.now() / 1000;
      const http = new LineCollector(
        bed.spawnIn(peer.ns, process.execPath, [
          attackScript,
          master.address,
          String(PORT),
          String(ATTACK_MS),
          String(SLOW_HTTP_CLIENTS),
        ]),
      );
      const control = attackControl();
      // The operator's status, every 250 ms, each within 1 s.
      const statusTimes: number[] = [];
      const statusFailures: string[] = [];
      await sleep(2000);
      while (Date.now() / 1000 < startedAt + ATTACK_MS / 1000 - 1) {
        const t0 = Date.now();
        try {
          const reply = await request(controlPath(), { cmd: 'status' }, 1000);
          if (reply.ok) statusTimes.push(Date.now() - t0);
          else statusFailures.push(`${reply.error.code}: ${reply.error.message}`);
        } catch (e) {
          statusFailures.push(e instanceof Error ? e.message : String(e));
        }
        await sleep(250);
      }
      const i = await http.wait(/"kind":"done"/, ATTACK_MS + 15_000);
      const attack = JSON.parse(http.lines[i]!.text) as HttpAttack;
      const controlFigures = control.stop();
      const endedAt = Date.now() / 1000;
      await sleep(1500);
      capture.kill('SIGINT');
      await new Promise((r) => capture.once('exit', r));
      const times = adverts.lines.map((l) => Number(l.text.split(' ')[0])).filter((t) => t > 0);
      const during = times.filter((t) => t >= startedAt - 1 && t <= endedAt + 1);
      const gaps = during.slice(1).map((t, k) => t - during[k]!);
      const largestGap = Math.max(...gaps);
      const logLines = d.lines.lines.length - linesBefore;
      console.log(
        `hostile clients, ${ATTACK_MS / 1000} s: HTTP ${attack.slowConnections} slow connections ` +
          `(${attack.slowClosedByServer} closed by the listener), ${attack.malformed} malformed ` +
          `(${attack.malformedAnswered400} answered 400), ${attack.oversized} oversized ` +
          `(${attack.oversizedAnswered4xx} answered 4xx), ${attack.nonReaders} never reading; ` +
          `${attack.probesOk}/${attack.probes} scrapes answered (slowest ${attack.probeMaxMs} ms); ` +
          `control: ${controlFigures.opened} hostile connections (${controlFigures.closedByServer} ` +
          `closed by the daemon), ${statusTimes.length} status answered (slowest ` +
          `${Math.max(...statusTimes)} ms); ${during.length} adverts, largest gap ${largestGap.toFixed(3)} s, ${logLines} log lines`,
      );

      expect(d.child.exitCode).toBeNull();
      expect(d.lines.find(/Entering (BACKUP|FAULT) STATE/, masterLine)).toBe(-1);
      expect(bed.hasAddress(master.ns, VIP)).toBe(true);
      // advert_int 1: never a gap of 1.5 intervals.
      expect(during.length).toBeGreaterThanOrEqual(ATTACK_MS / 1000);
      expect(largestGap).toBeLessThan(1.5);
      // Every scrape answered, though slow clients outnumbered the connections all along.
      expect(attack.probeFailures).toEqual([]);
      expect(attack.probesOk).toBeGreaterThan(ATTACK_MS / 1000);
      expect(attack.slowClosedByServer).toBeGreaterThan(0);
      expect(attack.malformedAnswered400).toBe(attack.malformed);
      expect(attack.oversizedAnswered4xx).toBe(attack.oversized);
      // Every status answered within its second, though idle connections outnumbered the slots.
      expect(statusFailures).toEqual([]);
      expect(statusTimes.length).toBeGreaterThan(ATTACK_MS / 1000);
      expect(controlFigures.closedByServer).toBeGreaterThan(16);
      // Thousands of refused and closed connections leave the log bounded.
      expect(logLines).toBeLessThan(200);
    },
    ATTACK_MS + 60_000,
  );

  it('leaves no connection open once the attackers are gone, and still answers', async () => {
    await sleep(1000);
    // The listener binds only where it was told: one socket, on that address.
    const listening = nsExec(master.ns, 'ss', ['-Hltn', `( sport = :${PORT} )`])
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[3]);
    expect(listening).toEqual([`${master.address}:${PORT}`]);
    // ss in the master's namespace: no established TCP connection to the listener is left.
    const open = nsExec(master.ns, 'ss', ['-Htn', 'state', 'established', `( sport = :${PORT} )`]).trim();
    expect(open).toBe('');
    const reply = await request(controlPath(), { cmd: 'status' }, 2000);
    expect(reply.ok).toBe(true);
    const scrape = nsExec(peer.ns, 'curl', ['-sf', `http://${master.address}:${PORT}/metrics`]);
    expect(scrape).toMatch(/keepalived_vrrp_state\{/);
  }, 30_000);
});
