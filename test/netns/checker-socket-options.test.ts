/**
 * Root tier: a checker's `bind_if` (SO_BINDTODEVICE) and `fwmark` (SO_MARK) change where its
 * packets go, as in keepalived 2.2.7 (core/layer4.c socket_bind_connect). The checker host has
 * two links: eth0 to host A, where every real server port listens, and eth1 to host B, which has
 * the real server's address too but listens nowhere (a connect there is refused). The main table
 * routes the real server through eth1, a second route through eth0 has a worse metric, and
 * `ip rule fwmark 42 table 100` sends marked packets through eth0. So only a TCP_CHECK bound to
 * eth0, or one whose socket is marked 42, reaches a listener; the same check without the option,
 * bound to eth1 or marked 43, is refused by B. The daemon runs the checkers only, without IPVS,
 * and its log lines tell each checker's fate: the checks expected up start down (`alpha`) and
 * must log `TCP connection to ... success.`, the ones expected down start up and must log
 * `TCP_CHECK on service ... failed.`, and neither logs the other line.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { daemonArgs } from '../support/daemon-options.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  ip,
  LineCollector,
  netnsPrerequisites,
  nsExec,
  sleep,
  Testbed,
} from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

const SERVER = '192.0.2.10';

/** Port -> the TCP_CHECK options of its real server and whether the check must come up. */
const CASES: readonly { port: number; options: readonly string[]; up: boolean; what: string }[] = [
  { port: 81, options: ['bind_if eth0'], up: true, what: 'bind_if eth0 (the link to the listener)' },
  { port: 82, options: ['bind_if eth1'], up: false, what: 'bind_if eth1 (the link the main table uses)' },
  { port: 83, options: ['fwmark 42'], up: true, what: 'fwmark 42 (ip rule fwmark 42 -> eth0)' },
  { port: 84, options: [], up: false, what: 'neither (the main table: eth1)' },
  { port: 85, options: ['fwmark 43'], up: false, what: 'fwmark 43 (no rule)' },
];

function config(): string {
  const out = ['global_defs {', '  router_id KBINDIF', '}', 'virtual_server 10.0.0.1 80 {'];
  out.push('  delay_loop 1', '  lb_algo rr', '  lb_kind NAT', '  protocol TCP');
  for (const c of CASES) {
    out.push(`  real_server ${SERVER} ${c.port} {`, '    TCP_CHECK {', '      connect_timeout 2');
    out.push('      retry 0', ...(c.up ? ['      alpha'] : []), ...c.options.map((o) => `      ${o}`));
    out.push('    }', '  }');
  }
  out.push('}');
  return out.join('\n') + '\n';
}

/** A veth from the checker host `d` (named `inner` there) to `peer` (eth0 there), addressed /24. */
function link(d: string, inner: string, peer: string, net: string): void {
  const a = `kbi${process.pid % 10000}${inner.slice(-1)}`;
  ip('link', 'add', a, 'type', 'veth', 'peer', 'name', `${a}p`);
  ip('link', 'set', a, 'netns', d);
  ip('link', 'set', `${a}p`, 'netns', peer);
  ip('-n', d, 'link', 'set', a, 'name', inner);
  ip('-n', peer, 'link', 'set', `${a}p`, 'name', 'eth0');
  ip('-n', d, 'addr', 'add', `${net}.1/24`, 'dev', inner);
  ip('-n', peer, 'addr', 'add', `${net}.2/24`, 'dev', 'eth0');
  ip('-n', peer, 'addr', 'add', `${SERVER}/32`, 'dev', 'eth0');
  ip('-n', d, 'link', 'set', inner, 'up');
  ip('-n', peer, 'link', 'set', 'eth0', 'up');
  ip('-n', peer, 'route', 'add', 'default', 'via', `${net}.1`);
}

describeTier('checker bind_if and fwmark on the wire', () => {
  let bed: Testbed;
  let d: string;

  beforeAll(async () => {
    ensureBuilt();
    bed = new Testbed('kbindif');
    d = bed.addNamespace('d');
    const a = bed.addNamespace('a');
    const b = bed.addNamespace('b');
    link(d, 'eth0', a, '10.91.1');
    link(d, 'eth1', b, '10.91.2');
    // Replies from A come in on eth0 while the main table points at eth1: no reverse-path drop.
    for (const dev of ['all', 'default', 'eth0', 'eth1'])
      nsExec(d, 'sysctl', ['-qw', `net.ipv4.conf.${dev}.rp_filter=0`]);
    ip('-n', d, 'route', 'add', `${SERVER}/32`, 'via', '10.91.2.2', 'dev', 'eth1', 'metric', '100');
    ip('-n', d, 'route', 'add', `${SERVER}/32`, 'via', '10.91.1.2', 'dev', 'eth0', 'metric', '200');
    ip('-n', d, 'route', 'add', `${SERVER}/32`, 'via', '10.91.1.2', 'dev', 'eth0', 'table', '100');
    ip('-n', d, 'rule', 'add', 'fwmark', '42', 'table', '100', 'priority', '100');
    const ports = CASES.map((c) => c.port).join(',');
    const listener = bed.spawnIn(a, process.execPath, [
      '-e',
      `const net = require('net'); let n = 0; for (const p of [${ports}]) net.createServer((s) => s.on('error', () => {}).end()).listen(p, '${SERVER}', () => { if (++n === ${CASES.length}) console.log('listening'); });`,
    ]);
    await new LineCollector(listener).wait(/listening/, 5000);
  }, 30_000);

  afterAll(() => bed?.destroy());

  it('a plain connect from the checker host reaches B (refused), as the routes say', () => {
    // The premise: without an option, the real server's address leads to the host that refuses.
    const probe = nsExec(d, process.execPath, [
      '-e',
      `const s = require('net').connect({ host: '${SERVER}', port: 81 }); s.on('connect', () => { console.log('connected'); s.destroy(); }); s.on('error', (e) => console.log(e.code));`,
    ]).trim();
    expect(probe).toBe('ECONNREFUSED');
  });

  it('only the checks bound to eth0 or marked 42 come up', async () => {
    const dir = join(bed.tempDir, 'daemon');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'keepalived.conf'), config());
    const child = bed.spawnIn(d, process.execPath, [
      DIST_ENTRY,
      ...daemonArgs({
        config: join(dir, 'keepalived.conf'),
        pidFile: join(dir, 'keepalived.pid'),
        runtimeDir: join(dir, 'run'),
        only: 'check',
        logDetail: true,
        extra: ['--no-ipvs', '-c', join(dir, 'checkers.pid')],
      }),
    ]);
    const lines = new LineCollector(child);
    const target = (port: number) => `\\[${SERVER.replace(/\./g, '\\.')}\\]:tcp:${port}`;
    const success = (port: number) => new RegExp(`TCP connection to ${target(port)} success\\.`);
    const failed = (port: number) => new RegExp(`TCP_CHECK on service ${target(port)} failed\\.`);
    try {
      for (const c of CASES) await lines.wait(c.up ? success(c.port) : failed(c.port), 15_000);
      // Two more rounds (delay_loop 1): nothing flips.
      await sleep(2500);
      const fates = CASES.map((c) => ({
        what: c.what,
        success: lines.count(success(c.port)),
        failed: lines.count(failed(c.port)),
      }));
      console.log(fates.map((f) => `${f.what}: ${f.success} success, ${f.failed} failed lines`).join('\n'));
      expect(fates).toEqual(
        CASES.map((c) => ({ what: c.what, success: c.up ? 1 : 0, failed: c.up ? 0 : 1 })),
      );
      expect(lines.count(/Checker can't bind to device|Error setting fwmark|socket bind failed/)).toBe(0);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 40_000);
});
