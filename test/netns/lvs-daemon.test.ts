/**
 * Root tier: the checker/IPVS half of dist/keepalived-ts.js in a namespace (this host's kernel
 * has no IPVS, so IPVS itself is the VM tier's job).
 *  - `-C --no-ipvs` against real TCP and HTTP servers in the namespace: health changes logged in
 *    keepalived's wording, what would be programmed logged with -D, SIGHUP reloads (a new real
 *    server enters only after its check passes, a removed virtual server is deleted, a broken
 *    config keeps the old one running), SIGTERM stops cleanly.
 *  - `-C` without --no-ipvs: keepalived's FATAL exit (code 1) naming the module.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonArgs } from '../support/daemon-options.js';
import { tierDescribe } from '../support/tier.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  signalDaemon,
  sleep,
  stopDaemon,
  Testbed,
  type Daemon,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

const VS = '10.231.60.1';
const TCP_PORT = 18081;
const HTTP_PORT = 18082;
const NEW_RS_PORT = 18083;

function virtualServer(
  port: number,
  realServers: readonly string[],
  extra: readonly string[] = [],
): string[] {
  return [
    `virtual_server ${VS} ${port} {`,
    '  delay_loop 1',
    ...extra,
    '  lb_algo rr',
    '  lb_kind NAT',
    '  protocol TCP',
    ...realServers,
    '}',
  ];
}

function tcpReal(port: number): string[] {
  return [
    `  real_server 127.0.0.1 ${port} {`,
    '    weight 1',
    '    TCP_CHECK {',
    '      connect_timeout 1',
    '      retry 0',
    '    }',
    '  }',
  ];
}

function httpReal(port: number): string[] {
  return [
    `  real_server 127.0.0.1 ${port} {`,
    '    HTTP_GET {',
    '      url {',
    '        path /health',
    '        status_code 200',
    '      }',
    '      connect_timeout 1',
    '      retry 0',
    '    }',
    '  }',
  ];
}

describeTier('keepalived-ts -C: health checkers and the IPVS table', () => {
  let bed: Testbed;
  let ns: string;

  /** A node HTTP server (also a plain TCP listener for TCP_CHECK) on 127.0.0.1:port in the namespace. */
  const server = (port: number): ChildProcess =>
    bed.spawnIn(ns, process.execPath, [
      '-e',
      `require('node:http').createServer((q, s) => { s.statusCode = q.url === '/health' ? 200 : 404; s.end('ok'); })` +
        `.listen(${port}, '127.0.0.1', () => console.log('listening'))`,
    ]);
  const listening = async (child: ChildProcess): Promise<void> => {
    await new LineCollector(child).wait(/listening/, 10_000);
  };
  const stopServer = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  };

  const startDaemon = (name: string, config: string, extraArgs: readonly string[]): Daemon => {
    const dir = join(bed.tempDir, name);
    mkdirSync(dir, { recursive: true });
    const configPath = join(dir, 'keepalived.conf');
    writeFileSync(configPath, config);
    const pidFile = join(dir, 'daemon.pid');
    const runtimeDir = join(dir, 'run');
    const child = bed.spawnIn(ns, process.execPath, [
      DIST_ENTRY,
      ...daemonArgs({ config: configPath, pidFile, runtimeDir, only: 'check', extra: extraArgs }),
    ]);
    const lines = new LineCollector(child);
    const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)));
    return { name, ns, child, lines, pidFile, runtimeDir, configPath, exited };
  };

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-wire-lv');
    ns = bed.addNamespace('a');
  });
  afterAll(() => bed?.destroy());

  it("without IPVS in the kernel -C exits 1 with keepalived's FATAL message", () => {
    const dir = join(bed.tempDir, 'fatal');
    mkdirSync(dir, { recursive: true });
    const configPath = join(dir, 'keepalived.conf');
    writeFileSync(configPath, virtualServer(80, tcpReal(TCP_PORT)).join('\n') + '\n');
    const pid = join(dir, 'daemon.pid');
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        DIST_ENTRY,
        ...daemonArgs({ config: configPath, pidFile: pid, runtimeDir: join(dir, 'run'), only: 'check' }),
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Initializing ipvs');
    expect(r.stderr).toMatch(/IPVS: Can't initialize ipvs: .+ \(is the ip_vs module loaded\?\)/);
    expect(r.stderr).not.toContain('Startup complete');
    expect(existsSync(pid)).toBe(false);
  });

  it('--no-ipvs: health changes, SIGHUP reloads (broken config kept out), SIGTERM', async () => {
    const tcp = server(TCP_PORT);
    const http = server(HTTP_PORT);
    await Promise.all([listening(tcp), listening(http)]);
    const config = [
      ...virtualServer(80, tcpReal(TCP_PORT)),
      ...virtualServer(8080, httpReal(HTTP_PORT), ['  alpha']),
      '',
    ];
    const d = startDaemon('dry', config.join('\n'), ['-D', '--no-ipvs']);
    try {
      await d.lines.wait(/Startup complete/, 20_000);
      const vs80 = `[${VS}]:tcp:80`;
      const rsTcp = `[127.0.0.1]:tcp:${TCP_PORT}`;
      expect(
        d.lines.find(new RegExp(`not programmed\\): NEW_SERVICE ${VS}:tcp:80 scheduler rr`)),
      ).toBeGreaterThanOrEqual(0);
      expect(
        d.lines.find(
          new RegExp(`not programmed\\): NEW_DEST ${VS}:tcp:80 -> 127\\.0\\.0\\.1:${TCP_PORT} weight 1`),
        ),
      ).toBeGreaterThanOrEqual(0);
      // Without alpha the TCP server is in the start-up table; with alpha the HTTP one is not.
      const started = d.lines.find(/Startup complete/);
      expect(d.lines.find(/NEW_DEST 10\.231\.60\.1:tcp:80 /)).toBeLessThan(started);
      await d.lines.wait(new RegExp(`TCP connection to \\${rsTcp} success\\.`), 10_000);
      // alpha: the HTTP server starts down and is added after its first passing check.
      await d.lines.wait(/HTTP status code success to \[127\.0\.0\.1\]:tcp:18082 url\(\/health\)/, 10_000);
      await d.lines.wait(/Remote Web server \[127\.0\.0\.1\]:tcp:18082 succeed on service\./, 5000);
      await d.lines.wait(/Adding service \[127\.0\.0\.1\]:tcp:18082 to VS \[10\.231\.60\.1\]:tcp:8080/, 5000);
      await d.lines.wait(
        /not programmed\): NEW_DEST 10\.231\.60\.1:tcp:8080 -> 127\.0\.0\.1:18082 weight 1/,
        5000,
      );
      expect(d.lines.find(/NEW_DEST 10\.231\.60\.1:tcp:8080 /)).toBeGreaterThan(started);

      // The TCP listener stops: removed from the table.
      let from = d.lines.lines.length;
      await stopServer(tcp);
      await d.lines.wait(new RegExp(`Removing service \\${rsTcp} from VS \\${vs80}`), 10_000, from);
      await d.lines.wait(
        new RegExp(`not programmed\\): DEL_DEST ${VS}:tcp:80 -> 127\\.0\\.0\\.1:${TCP_PORT}$`),
        5000,
        from,
      );
      // ... and comes back.
      from = d.lines.lines.length;
      const tcp2 = server(TCP_PORT);
      await listening(tcp2);
      await d.lines.wait(new RegExp(`Adding service \\${rsTcp} to VS \\${vs80}`), 10_000, from);

      // Reload: the 8080 VS goes, a new real server with no listener joins VS 80.
      from = d.lines.lines.length;
      const reloaded = [...virtualServer(80, [...tcpReal(TCP_PORT), ...tcpReal(NEW_RS_PORT)]), ''];
      writeFileSync(d.configPath, reloaded.join('\n'));
      signalDaemon(d, 'SIGHUP');
      await d.lines.wait(/^.*: Reloading$/, 10_000, from);
      await d.lines.wait(/Reload complete/, 20_000, from);
      await d.lines.wait(new RegExp(`not programmed\\): DEL_SERVICE ${VS}:tcp:8080`), 5000, from);
      expect(
        d.lines.find(/Removing Virtual Server \[10\.231\.60\.1\]:tcp:8080$/, from),
      ).toBeGreaterThanOrEqual(0);
      // Two check rounds later the new server (nothing listening) has not been added, and the
      // matched one was never removed.
      await sleep(2500);
      const after = d.lines.lines.slice(from).map((l) => l.text);
      expect(after.some((t) => t.includes(`NEW_DEST ${VS}:tcp:80 -> 127.0.0.1:${NEW_RS_PORT}`))).toBe(false);
      expect(after.some((t) => t.includes(`Removing service ${rsTcp}`))).toBe(false);
      expect(after.some((t) => t.includes(`DEL_DEST ${VS}:tcp:80 -> 127.0.0.1:${TCP_PORT}`))).toBe(false);

      // A config that cannot be loaded (the file is gone): the previous one keeps running.
      from = d.lines.lines.length;
      rmSync(d.configPath);
      signalDaemon(d, 'SIGHUP');
      await d.lines.wait(
        /Reload failed - configuration errors, keeping the running configuration/,
        10_000,
        from,
      );
      expect(d.child.exitCode).toBeNull();
      // Still checking: the listener stops again and the removal is logged.
      from = d.lines.lines.length;
      await stopServer(tcp2);
      await d.lines.wait(new RegExp(`Removing service \\${rsTcp} from VS \\${vs80}`), 10_000, from);

      // SIGTERM: clean stop, exit 0.
      from = d.lines.lines.length;
      const code = await stopDaemon(d);
      expect(code).toBe(0);
      expect(d.lines.find(/Stopping/, from)).toBeGreaterThanOrEqual(0);
      expect(d.lines.find(/Stopped Keepalived-ts v/, from)).toBeGreaterThanOrEqual(0);
      expect(existsSync(d.pidFile)).toBe(false);
    } finally {
      if (d.child.exitCode === null) signalDaemon(d, 'SIGKILL');
      await stopServer(http);
    }
  }, 90_000);
});
