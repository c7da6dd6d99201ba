/**
 * Root tier: the control socket and its commands against dist/keepalived-ts.js (docs/control.md).
 *  - two VRRP daemons side by side in namespaces, each with its own runtime dir: `status` on each
 *    (MASTER with its VIP; BACKUP naming the master's address), `vrrp standby` moves the VIP to
 *    the peer and `vrrp resume` brings it back; `reload` of a broken config answers with the line
 *    and keeps the old one, a good one lists what changed; malformed and oversized requests get
 *    error replies and the daemon stays responsive;
 *  - a checker daemon (-C --no-ipvs) with loopback real servers: `rs drain` and `rs enable` change
 *    the desired table as `status --json` shows it; an unknown real server exits non-zero.
 * The clients run on the host: a unix socket is reached by its path, whatever the namespace.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DaemonStatus } from '../../src/contracts/status.js';
import { daemonArgs } from '../support/daemon-options.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

const VIP = '10.231.62.100';
const VIP2 = '10.231.62.101';

/** `keepalived-ts ARGS --runtime-dir DIR` on the host. */
function cli(d: Daemon, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [DIST_ENTRY, ...args, '--runtime-dir', d.runtimeDir], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** keepalived-ts in `ns` with its own config, pid file and runtime dir under the bed's temp dir. */
function startTs(
  bed: Testbed,
  ns: string,
  name: string,
  configText: string,
  flags: { only: 'vrrp' | 'check'; extra: string[] },
): Daemon {
  const dir = join(bed.tempDir, name);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'keepalived.conf');
  writeFileSync(configPath, configText);
  const pidFile = join(dir, 'daemon.pid');
  const runtimeDir = join(dir, 'run');
  const child = bed.spawnIn(ns, process.execPath, [
    DIST_ENTRY,
    ...daemonArgs({ config: configPath, pidFile, runtimeDir, logDetail: true, ...flags }),
  ]);
  const lines = new LineCollector(child);
  const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)));
  return { name, ns, child, lines, pidFile, runtimeDir, configPath, exited };
}

function status(d: Daemon): DaemonStatus {
  const r = cli(d, 'status', '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as DaemonStatus;
}

/** Raw bytes to the control socket; resolves with the reply lines once the daemon closes or `lines` came. */
function raw(
  d: Daemon,
  payload: string | Buffer,
  lines: number,
): Promise<{ replies: unknown[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(join(d.runtimeDir, 'control.sock'));
    let buf = '';
    const replies: unknown[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no ${lines} replies; got ${buf}`));
    }, 10_000);
    s.on('data', (c) => {
      buf += c.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const p of parts) replies.push(JSON.parse(p));
      if (replies.length >= lines) {
        clearTimeout(timer);
        s.destroy();
        resolve({ replies, closed: false });
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ replies, closed: true });
    });
    s.write(payload);
  });
}

describeTier('control socket: status, standby/resume, reload, drain/enable', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  const running: Daemon[] = [];

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-wire-ct');
    [a, b] = bed.twoHosts('10.231.62');
  });
  afterAll(async () => {
    await Promise.all(running.map((d) => stopDaemon(d)));
    bed?.destroy();
  });

  it('two daemons: status on each, standby moves the VIP and resume brings it back, reload answers, bad requests get errors', async () => {
    // -e: a missing include is fatal, so a reload of a config naming one is refused.
    const da = startTs(bed, a.ns, 'a', vrrpConfig({ priority: 150, vips: [`${VIP}/32`] }), {
      only: 'vrrp',
      extra: ['-e'],
    });
    const db = startKeepalivedTs(bed, b.ns, 'b', vrrpConfig({ priority: 100, vips: [`${VIP}/32`] }));
    running.push(da, db);
    await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await db.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 10_000);
    await waitFor(() => bed.hasAddress(a.ns, VIP), 3000, 'VIP on a');

    const sock = join(da.runtimeDir, 'control.sock');
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    const sa = status(da);
    expect(sa).toMatchObject({ schema: 1, lvs: null, pid: da.child.pid });
    expect(sa.vrrp!.instances[0]).toMatchObject({
      name: 'VI_1',
      state: 'MASTER',
      basePriority: 150,
      effectivePriority: 150,
      masterAddress: a.address,
      vips: [`${VIP}/32 dev eth0`],
      standby: false,
      lastTransition: { from: 'BACKUP', to: 'MASTER', reason: 'master-down-timeout' },
    });
    await waitFor(() => status(db).vrrp!.instances[0]!.masterAddress === a.address, 5000, 'b sees a');
    expect(status(db).vrrp!.instances[0]).toMatchObject({ state: 'BACKUP', masterPriority: 150 });
    const plain = cli(db, 'status');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/VI_1\s+BACKUP\s+100\s+100\s+10\.231\.62\.1\s/);

    // Standby: a hands over at once (priority 0), b takes the VIP; a stays BACKUP.
    let from = da.lines.lines.length;
    const standby = cli(da, 'vrrp', 'standby', 'VI_1');
    expect(standby.code, standby.stderr).toBe(0);
    expect(standby.stdout).toBe('VI_1: standby (now BACKUP)\n');
    await db.lines.wait(/\(VI_1\) Entering MASTER STATE/, 5000);
    await waitFor(() => bed.hasAddress(b.ns, VIP) && !bed.hasAddress(a.ns, VIP), 3000, 'VIP moved to b');
    expect(da.lines.find(/\(VI_1\) Entering administrative standby/, from)).toBeGreaterThanOrEqual(0);
    // Well past a's Master_Down_Interval it is still BACKUP, in standby.
    await new Promise((r) => setTimeout(r, 4500));
    expect(status(da).vrrp!.instances[0]).toMatchObject({
      state: 'BACKUP',
      standby: true,
      masterAddress: b.address,
      lastTransition: { from: 'MASTER', to: 'BACKUP', reason: 'standby' },
    });
    expect(cli(da, 'status').stdout).toMatch(/VI_1\s+BACKUP \(standby\)/);
    expect(cli(da, 'vrrp', 'standby', 'VI_9')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/not-found/),
    });

    // Resume: a (150) preempts b (100) again.
    from = da.lines.lines.length;
    expect(cli(da, 'vrrp', 'resume').code).toBe(0);
    await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 8000, from);
    await waitFor(() => bed.hasAddress(a.ns, VIP) && !bed.hasAddress(b.ns, VIP), 3000, 'VIP back on a');

    // A config that cannot be used: refused with its line, and the old one keeps running.
    const good = vrrpConfig({ priority: 150, vips: [`${VIP}/32`] });
    writeFileSync(da.configPath, `include ${bed.tempDir}/missing.conf\n${good}`);
    const refused = cli(da, 'reload');
    expect(refused.code, refused.stdout).toBe(1);
    expect(refused.stdout).toMatch(/^fatal: \(Line 1\) Could not open configuration file '.*missing\.conf'/m);
    expect(refused.stdout).toContain(
      'Reload refused: configuration errors, keeping the running configuration',
    );
    expect(status(da).vrrp!.instances[0]).toMatchObject({ state: 'MASTER' });
    expect(status(da).lastReload).toMatchObject({ applied: false });
    // A good one: applied, with the VIP it adds.
    writeFileSync(da.configPath, vrrpConfig({ priority: 150, vips: [`${VIP}/32`, `${VIP2}/32`] }));
    const applied = cli(da, 'reload');
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`+ VIP VI_1: ${VIP2}/32 dev eth0`);
    expect(applied.stdout).toMatch(/Reload applied in \d+ ms/);
    await waitFor(() => bed.hasAddress(a.ns, VIP2), 3000, 'new VIP on a');

    // Malformed, unknown and oversized requests: error replies; the daemon answers afterwards.
    const bad = await raw(
      da,
      'hello\n{"v":1,"id":9,"cmd":"format-disk"}\n{"v":7,"id":10,"cmd":"status"}\n',
      3,
    );
    expect(bad.replies).toMatchObject([
      { v: 1, ok: false, error: { code: 'bad-request' } },
      { v: 1, id: 9, ok: false, error: { code: 'unknown-command' } },
      { v: 1, id: 10, ok: false, error: { code: 'unsupported-version' } },
    ]);
    const big = await raw(da, Buffer.alloc(1024 * 1024, 0x7b), 1);
    expect(big.replies).toMatchObject([{ ok: false, error: { code: 'request-too-large' } }]);
    const ping = await raw(da, '{"v":1,"id":"p","cmd":"ping"}\n', 1);
    expect(ping.replies).toEqual([
      { v: 1, id: 'p', ok: true, result: { version: expect.any(String), pid: da.child.pid } },
    ]);
    expect(status(da).vrrp!.instances[0]!.state).toBe('MASTER');
  }, 90_000);

  it('a checker daemon: rs drain and rs enable change the desired table; an unknown server is an error', async () => {
    const ns = a.ns;
    const listeners: ChildProcess[] = [18091, 18092].map((port) =>
      bed.spawnIn(ns, process.execPath, [
        '-e',
        `require('node:net').createServer((s) => { s.on('error', () => {}); s.end(); }).listen(${port}, '127.0.0.1', () => console.log('listening'))`,
      ]),
    );
    await Promise.all(listeners.map((l) => new LineCollector(l).wait(/listening/, 10_000)));
    const real = (port: number) => [
      `  real_server 127.0.0.1 ${port} {`,
      '    weight 3',
      '    TCP_CHECK {',
      '      connect_timeout 1',
      '      retry 0',
      '    }',
      '  }',
    ];
    const config = [
      'virtual_server 10.231.62.50 80 {',
      '  delay_loop 1',
      '  lb_algo rr',
      '  lb_kind NAT',
      '  protocol TCP',
      ...real(18091),
      ...real(18092),
      '}',
      '',
    ].join('\n');
    const d = startTs(bed, ns, 'chk', config, { only: 'check', extra: ['--no-ipvs'] });
    const lines = d.lines;
    running.push(d);
    await lines.wait(/Startup complete/, 20_000);
    await lines.wait(/TCP connection to \[127\.0\.0\.1\]:tcp:18092 success\./, 10_000);
    const servers = () => status(d).lvs!.virtualServers[0]!.realServers;
    await waitFor(() => servers().every((r) => r.lastCheck !== null), 5000, 'first checks');
    expect(status(d).lvs).toMatchObject({ ipvs: 'dry-run' });
    expect(
      servers().map((r) => [r.port, r.healthy, r.weight, r.drained, r.counters]),
      lines.text(),
    ).toEqual([
      [18091, true, 3, false, null],
      [18092, true, 3, false, null],
    ]);
    expect(servers()[0]!.lastCheck).toMatchObject({ ok: true, reason: null });

    const drain = cli(d, 'rs', 'drain', '10.231.62.50:80', '127.0.0.1:18092', '--wait', '5');
    expect(drain.code, drain.stderr).toBe(0);
    expect(drain.stdout).toContain('[127.0.0.1]:tcp:18092 of [10.231.62.50]:tcp:80 drained');
    expect(
      servers().map((r) => [r.port, r.weight, r.drained, r.healthy]),
      lines.text(),
    ).toEqual([
      [18091, 3, false, true],
      [18092, 0, true, true],
    ]);
    await lines.wait(/Draining service \[127\.0\.0\.1\]:tcp:18092 of VS \[10\.231\.62\.50\]:tcp:80/, 2000);
    expect(cli(d, 'status').stdout).toMatch(/\[127\.0\.0\.1\]:tcp:18092\s+up\s+0\s+3\s+drained/);

    const unknown = cli(d, 'rs', 'drain', '10.231.62.50:80', '127.0.0.1:9');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no real server 127\.0\.0\.1:9 .*\(not-found\)/);
    expect(cli(d, 'rs', 'drain', '10.231.62.51:80', '127.0.0.1:18092').code).toBe(1);
    expect(cli(d, 'vrrp', 'standby').stderr).toMatch(/unavailable/);

    expect(cli(d, 'rs', 'enable', '10.231.62.50:80', '127.0.0.1:18092').code).toBe(0);
    expect(servers().map((r) => [r.weight, r.drained])).toEqual([
      [3, false],
      [3, false],
    ]);
    expect(await stopDaemon(d)).toBe(0);
  }, 90_000);
});
