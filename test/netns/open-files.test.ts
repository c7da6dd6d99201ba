/**
 * Root tier: 2,000 TCP checkers under an open-file limit of 256 (`prlimit --nofile=256:256`, as
 * `ulimit -n 256` leaves a shell). Half the real servers answer on a loopback listener, half sit
 * behind a route to a neighbour that never answers, so a thousand connects are in flight for
 * connect_timeout at a time. The daemon asks for the limit its checkers need, as keepalived does
 * (lib/process.c set_max_file_limit); run as `nobody` it may not raise the hard limit (nor may
 * root without CAP_SYS_RESOURCE, as in the containers these tests run in), so it says so, and
 * the checks that cannot get a socket are rescheduled with keepalived's line, rate-limited: no
 * healthy server is reported down (before, each such attempt failed its server).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { daemonArgs } from '../support/daemon-options.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  ip,
  LineCollector,
  netnsPrerequisites,
  sleep,
  Testbed,
} from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['prlimit', 'setpriv']));

const LISTEN_PORT = 2000;
const SERVERS = 2000;
const SETTLE_MS = 9000;

/** 100 virtual servers of 20: the even ones unanswered (192.0.2.0/24), the odd ones healthy. */
function config(): string {
  const out = ['global_defs {', '  router_id OPENFILES', '}'];
  for (let v = 0; v < SERVERS / 20; v++) {
    out.push(
      `virtual_server 10.0.0.${v} 80 {`,
      '  delay_loop 2',
      '  lb_algo rr',
      '  lb_kind NAT',
      '  protocol TCP',
    );
    for (let r = 0; r < 20; r++) {
      const i = v * 20 + r;
      const address =
        r % 2 === 0
          ? `192.0.2.${(i % 250) + 1} ${1000 + Math.floor(i / 250)}`
          : `127.0.${i >> 8}.${i & 255 || 1} ${LISTEN_PORT}`;
      out.push(
        `  real_server ${address} {`,
        '    TCP_CHECK {',
        '      connect_timeout 3',
        '      retry 0',
        '    }',
        '  }',
      );
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

describeTier('open files: 2,000 checkers under a limit of 256', () => {
  let bed: Testbed;
  let ns: string;
  let dir: string;

  beforeAll(async () => {
    ensureBuilt();
    bed = new Testbed('kts-nofile');
    ns = bed.addNamespace('d');
    const sink = bed.addNamespace('s');
    // The neighbour that never answers: a veth whose other end has no address.
    const veth = `kof${process.pid % 10000}`;
    ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}s`);
    ip('link', 'set', veth, 'netns', ns);
    ip('link', 'set', `${veth}s`, 'netns', sink);
    ip('-n', ns, 'link', 'set', veth, 'name', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', sink, 'link', 'set', `${veth}s`, 'up');
    ip('-n', ns, 'addr', 'add', '198.51.100.1/24', 'dev', 'eth0');
    ip('-n', ns, 'route', 'add', '192.0.2.0/24', 'via', '198.51.100.2');
    ip('-n', ns, 'neigh', 'add', '198.51.100.2', 'lladdr', '02:00:00:00:00:02', 'dev', 'eth0');
    const listener = bed.spawnIn(ns, process.execPath, [
      '-e',
      `require('net').createServer((s) => s.on('error', () => {})).listen(${LISTEN_PORT}, '0.0.0.0', () => console.log('listening'))`,
    ]);
    await new LineCollector(listener).wait(/listening/, 5000);
    // Where nobody can read the config and write its pid files and runtime dir.
    dir = mkdtempSync(join(tmpdir(), 'kts-nofile-'));
    chmodSync(dir, 0o1777);
    writeFileSync(join(dir, 'keepalived.conf'), config());
    chmodSync(join(dir, 'keepalived.conf'), 0o644);
  }, 30_000);
  afterAll(() => {
    bed?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the checkers for SETTLE_MS; `asUser`: run as that user (setpriv, no PAM). */
  const run = async (name: string, asUser: string | null) => {
    const runtime = join(dir, `${name}-run`);
    const argv = [
      '--nofile=256:256',
      '--',
      ...(asUser === null ? [] : ['setpriv', `--reuid=${asUser}`, '--regid=nogroup', '--clear-groups', '--']),
      process.execPath,
      DIST_ENTRY,
      ...daemonArgs({
        config: join(dir, 'keepalived.conf'),
        pidFile: join(dir, `${name}.pid`),
        runtimeDir: runtime,
        only: 'check',
        logDetail: true,
        extra: ['--no-ipvs', '-c', join(dir, `${name}-check.pid`)],
      }),
    ];
    const child = bed.spawnIn(ns, 'prlimit', argv);
    const lines = new LineCollector(child);
    await lines.wait(/Starting Healthcheck child process/, 15_000);
    await sleep(SETTLE_MS);
    const limits = readFileSync(`/proc/${child.pid}/limits`, 'utf8');
    const m = /Max open files\s+(\d+)\s+(\d+)/.exec(limits);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const text = lines.lines.map((l) => l.text);
    const failed = (prefix: string): number =>
      text.filter((l) => l.includes(`TCP_CHECK on service [${prefix}`) && l.endsWith('failed.')).length;
    return {
      soft: Number(m?.[1]),
      hard: Number(m?.[2]),
      text,
      healthyFailed: failed('127.'),
      unansweredFailed: failed('192.0.2.'),
      rescheduled: text.filter((l) => l.endsWith('TCP connect fail to create socket. Rescheduling.')).length,
      suppressedLines: text
        .map((l) => /(\d+) similar messages? suppressed, last: TCP connect fail to create socket/.exec(l))
        .reduce((sum, m2) => sum + (m2 === null ? 0 : Number(m2[1])), 0),
    };
  };

  it('as nobody (the hard limit stays 256): checks without a socket are rescheduled, rate-limited; no healthy server reported down', async () => {
    const r = await run('nobody', 'nobody');
    console.log(
      `nobody: limit ${r.soft}:${r.hard}, ${r.healthyFailed} healthy and ${r.unansweredFailed} unanswered reported down, ` +
        `${r.rescheduled} rescheduling lines written, ${r.suppressedLines} suppressed, ${r.text.length} lines in all`,
    );
    expect(r.hard).toBe(256);
    expect(r.text.some((l) => /Failed to set open file limit to \d+:\d+ failed - errno 1$/.test(l))).toBe(
      true,
    );
    expect(r.healthyFailed).toBe(0);
    expect(r.rescheduled).toBeGreaterThan(0);
    // One rate-limit key for all of them: a burst, then summaries.
    expect(r.rescheduled).toBeLessThanOrEqual(10);
    expect(r.suppressedLines).toBeGreaterThan(100);
  }, 60_000);
});
