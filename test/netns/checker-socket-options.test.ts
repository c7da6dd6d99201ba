/**
 * Root tier: a checker's `bind_if` (SO_BINDTODEVICE) and `fwmark` (SO_MARK) change where its
 * packets go, as in keepalived 2.2.7 (core/layer4.c socket_bind_connect). The checker host has
 * two links: eth0 to host A, where the real server's ports listen, and eth1 to host B, which has
 * the real server's address too but listens on none of them (a connect there is refused). The
 * main table routes the real server through eth1, a second route through eth0 has a worse metric,
 * and `ip rule fwmark 42 table 100` sends marked packets through eth0. So only a TCP_CHECK bound
 * to eth0, or one whose socket is marked 42, reaches a listener; the same check without the
 * option, bound to eth1 or marked 43, is refused by B. Both links also carry fe80::2 at the far
 * end: a link-local destination is reached through the interface bind_if names (A listens on
 * port 86, B on 87 alone). UDP_CHECK (the mark only, as keepalived's udp_bind_connect) and
 * DNS_CHECK (both) go the same ways over dgram sockets. The daemon runs the checkers only,
 * without IPVS, and its log lines tell each checker's fate: the checks expected up start down
 * (`alpha`) and must log their success line (`TCP connection to ... success.`), the ones
 * expected down start up and must log `TCP_CHECK on service ... failed.` (or UDP_CHECK,
 * DNS_CHECK), and neither logs the other line.
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
/** The link-local address A and B both have on their end of the links (fe80::1 is the checker's). */
const LINK_LOCAL = 'fe80::2';

interface Case {
  /** TCP_CHECK unless set. */
  readonly checker?: 'UDP_CHECK' | 'DNS_CHECK';
  readonly address: string;
  readonly port: number;
  readonly options: readonly string[];
  readonly up: boolean;
  readonly what: string;
}
const CASES: readonly Case[] = [
  {
    address: SERVER,
    port: 81,
    options: ['bind_if eth0'],
    up: true,
    what: 'bind_if eth0 (the link to the listener)',
  },
  {
    address: SERVER,
    port: 82,
    options: ['bind_if eth1'],
    up: false,
    what: 'bind_if eth1 (the link the main table uses)',
  },
  {
    address: SERVER,
    port: 83,
    options: ['fwmark 42'],
    up: true,
    what: 'fwmark 42 (ip rule fwmark 42 -> eth0)',
  },
  { address: SERVER, port: 84, options: [], up: false, what: 'neither (the main table: eth1)' },
  { address: SERVER, port: 85, options: ['fwmark 43'], up: false, what: 'fwmark 43 (no rule)' },
  // A link-local destination is reached through the interface bind_if names (its scope): A
  // listens on 86, B on 87 only.
  {
    address: LINK_LOCAL,
    port: 86,
    options: ['bind_if eth0'],
    up: true,
    what: `${LINK_LOCAL} 86 bind_if eth0`,
  },
  {
    address: LINK_LOCAL,
    port: 87,
    options: ['bind_if eth1'],
    up: true,
    what: `${LINK_LOCAL} 87 bind_if eth1`,
  },
  // UDP: an echo on 91 and 92 and a DNS responder on 93 and 94 on A; B answers with ICMP port
  // unreachable. UDP_CHECK sets the mark only, DNS_CHECK both.
  {
    checker: 'UDP_CHECK',
    address: SERVER,
    port: 91,
    options: ['fwmark 42', 'require_reply'],
    up: true,
    what: 'UDP_CHECK fwmark 42',
  },
  {
    checker: 'UDP_CHECK',
    address: SERVER,
    port: 92,
    options: ['require_reply'],
    up: false,
    what: 'UDP_CHECK without fwmark',
  },
  {
    checker: 'DNS_CHECK',
    address: SERVER,
    port: 93,
    options: ['bind_if eth0'],
    up: true,
    what: 'DNS_CHECK bind_if eth0',
  },
  {
    checker: 'DNS_CHECK',
    address: SERVER,
    port: 94,
    options: ['bind_if eth1'],
    up: false,
    what: 'DNS_CHECK bind_if eth1',
  },
];

/** One virtual server a case. */
function config(): string {
  const out = ['global_defs {', '  router_id KBINDIF', '}'];
  CASES.forEach((c, i) => {
    out.push(
      c.address.includes(':')
        ? `virtual_server 2001:db8::${i + 1} 80 {`
        : `virtual_server 10.0.0.${i + 1} 80 {`,
    );
    out.push('  delay_loop 1', '  lb_algo rr', '  lb_kind NAT', `  protocol ${c.checker ? 'UDP' : 'TCP'}`);
    out.push(
      `  real_server ${c.address} ${c.port} {`,
      `    ${c.checker ?? 'TCP_CHECK'} {`,
      '      connect_timeout 2',
    );
    out.push('      retry 0', ...(c.up ? ['      alpha'] : []), ...c.options.map((o) => `      ${o}`));
    out.push('    }', '  }', '}');
  });
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
  ip('-n', d, 'addr', 'add', 'fe80::1/64', 'dev', inner, 'nodad');
  ip('-n', peer, 'addr', 'add', `${LINK_LOCAL}/64`, 'dev', 'eth0', 'nodad');
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
    // A listens on every case's port but 87, B on 87 only.
    const listen = async (ns: string, ports: readonly number[]) => {
      const child = bed.spawnIn(ns, process.execPath, [
        '-e',
        `const net = require('net'); let n = 0; for (const p of [${ports.join(',')}]) net.createServer((s) => s.on('error', () => {}).end()).listen(p, '::', () => { if (++n === ${ports.length}) console.log('listening'); });`,
      ]);
      await new LineCollector(child).wait(/listening/, 5000);
    };
    await listen(
      a,
      [...new Set(CASES.filter((c) => c.checker === undefined).map((c) => c.port))].filter((p) => p !== 87),
    );
    await listen(b, [87]);
    const udp = bed.spawnIn(a, process.execPath, [
      '-e',
      `const dgram = require('dgram'); let n = 0;
       const bind = (port, answer) => { const s = dgram.createSocket('udp4'); s.on('message', (m, r) => s.send(answer(m), r.port, r.address)); s.bind(port, '${SERVER}', () => { if (++n === 4) console.log('listening'); }); };
       const dns = (m) => { const r = Buffer.from(m); r.writeUInt16BE(0x8180, 2); return r; };
       bind(91, (m) => m); bind(92, (m) => m); bind(93, dns); bind(94, dns);`,
    ]);
    await new LineCollector(udp).wait(/listening/, 5000);
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

  it('only the checks bound to eth0 or marked 42 come up: TCP, a link-local destination, UDP, DNS', async () => {
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
    const target = (c: Case) =>
      `\\[${c.address.replace(/\./g, '\\.')}\\]:${c.checker ? 'udp' : 'tcp'}:${c.port}`;
    const success = (c: Case) =>
      new RegExp(
        c.checker === 'DNS_CHECK'
          ? `DNS_CHECK \\(${target(c)}\\) succeed`
          : `${c.checker ? 'UDP' : 'TCP'} connection to ${target(c)} success\\.`,
      );
    const failed = (c: Case) => new RegExp(`${c.checker ?? 'TCP_CHECK'} on service ${target(c)} failed\\.`);
    try {
      for (const c of CASES) await lines.wait(c.up ? success(c) : failed(c), 15_000);
      // Two more rounds (delay_loop 1): nothing flips.
      await sleep(2500);
      const fates = CASES.map((c) => ({
        what: c.what,
        success: lines.count(success(c)),
        failed: lines.count(failed(c)),
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
