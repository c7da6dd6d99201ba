/**
 * Root tier: the live status page (docs/status-page.md) in a real browser. keepalived-ts runs in
 * namespace `a` as MASTER with a VIP and a virtual server whose two real servers are TCP_CHECKed
 * against loopback listeners (--no-ipvs), with `--metrics-listen` on its eth0 address; headless
 * Chromium (puppeteer-core over a pipe, so it can run in namespace `b` through `ip netns exec`)
 * opens the page from the peer, as an operator's browser would.
 *  - with --web-control: the page loads without a console error, shows MASTER and both real
 *    servers up; a listener stopped shows as down within 3 s without a reload; the drain button
 *    drains (and enable enables) as the status says; requests from elsewhere are refused: a raw
 *    POST with a wrong Origin, a cross-site Sec-Fetch-Site, no custom header, a form's content
 *    type or a Host by name, and a page on another origin trying both a CORS and a no-cors POST;
 *  - without it: no buttons, and the same POST the page would send is refused.
 * A screenshot goes to test-artifacts/status-page.png.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DaemonStatus } from '../../src/contracts/status.js';
import { daemonArgs } from '../support/daemon-options.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  nsExec,
  REPO_ROOT,
  stopDaemon,
  Testbed,
  vrrpConfig,
  type Daemon,
  type Host,
} from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';

const CHROMIUM = '/usr/bin/chromium';
const describeTier = tierDescribe('netns', netnsPrerequisites(['chromium']));

const PREFIX = '10.231.86';
const VIP = `${PREFIX}.100`;
const RS_PORTS = [18601, 18602] as const;
const WEB_PORT = 18690;
const EVIL_PORT = 18691;
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

const CONFIG = vrrpConfig({ state: 'MASTER', priority: 150, vrid: 86, vips: [`${VIP}/32`] }, [
  `virtual_server ${VIP} 80 {`,
  '  delay_loop 1',
  '  lb_algo rr',
  '  lb_kind NAT',
  '  protocol TCP',
  ...RS_PORTS.flatMap((port) => [
    `  real_server 127.0.0.1 ${port} {`,
    '    weight 1',
    '    TCP_CHECK {',
    '      connect_timeout 1',
    '      retry 0',
    '    }',
    '  }',
  ]),
  '}',
]);

// Browser-side code goes in as JavaScript text: this tsconfig has no DOM types.
const js = (x: string): string => JSON.stringify(x);
const inPage = <T>(page: Page, expr: string): Promise<T> => page.evaluate(expr) as Promise<T>;
const dataOf = (page: Page, selector: string, name: string): Promise<string | null> =>
  inPage(page, `document.querySelector(${js(selector)})?.dataset[${js(name)}] ?? null`);
const countOf = (page: Page, selector: string): Promise<number> =>
  inPage(page, `document.querySelectorAll(${js(selector)}).length`);
const textsOf = (page: Page, selector: string): Promise<string[]> =>
  inPage(page, `Array.from(document.querySelectorAll(${js(selector)}), (e) => e.textContent)`);
const waitForMaster = (page: Page): Promise<unknown> =>
  page.waitForFunction(
    `document.querySelector('tr.instance[data-instance="VI_1"]')?.dataset.state === 'MASTER'`,
    {
      timeout: 10_000,
    },
  );

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP request from namespace `ns` (node's http client, headers exactly as given). */
function rawRequest(
  ns: string,
  url: string,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body = '',
): RawAnswer {
  const script = `
    const req = require('node:http').request(${JSON.stringify(url)}, { method: ${JSON.stringify(method)}, headers: ${JSON.stringify(headers)}, setHost: ${headers.host === undefined} }, (res) => {
      let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, headers: res.headers, body: b })));
    });
    req.on('error', (e) => { console.log(JSON.stringify({ status: -1, headers: {}, body: e.message })); });
    req.end(${JSON.stringify(body)});`;
  return JSON.parse(nsExec(ns, process.execPath, ['-e', script]).trim()) as RawAnswer;
}

describeTier('status page in headless Chromium', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  let browser: Browser;
  const listeners = new Map<number, ChildProcess>();
  const daemons: Daemon[] = [];
  const base = `http://${PREFIX}.1:${WEB_PORT}`;
  const rsKey = (port: number): string => `127.0.0.1|${port}`;
  const row = (port: number): string => `tr.rs[data-rs-key="${rsKey(port)}"]`;

  const listen = async (port: number): Promise<void> => {
    const child = bed.spawnIn(a.ns, process.execPath, [
      '-e',
      `require('node:net').createServer((s) => { s.on('error', () => {}); s.end(); }).listen(${port}, '127.0.0.1', () => console.log('listening'))`,
    ]);
    listeners.set(port, child);
    await new LineCollector(child).wait(/listening/, 10_000);
  };
  const unlisten = async (port: number): Promise<void> => {
    const child = listeners.get(port)!;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  };

  const startDaemon = (name: string, extra: readonly string[]): Daemon => {
    const dir = join(bed.tempDir, name);
    mkdirSync(dir, { recursive: true });
    const configPath = join(dir, 'keepalived.conf');
    writeFileSync(configPath, CONFIG);
    const pidFile = join(dir, 'daemon.pid');
    const runtimeDir = join(dir, 'run');
    const args = ['--no-ipvs', '--metrics-listen', `${PREFIX}.1:${WEB_PORT}`, ...extra];
    const child = bed.spawnIn(a.ns, process.execPath, [
      DIST_ENTRY,
      ...daemonArgs({ config: configPath, pidFile, runtimeDir, logDetail: true, extra: args }),
    ]);
    const lines = new LineCollector(child);
    const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)));
    const d = { name, ns: a.ns, child, lines, pidFile, runtimeDir, configPath, exited };
    daemons.push(d);
    return d;
  };

  /** A page on the daemon's listener, with every console error and page error collected. */
  const openPage = async (): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url ?? ''})`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${(e as Error).message}`));
    page.on('requestfailed', (r) =>
      errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`),
    );
    await page.goto(`${base}/`, { waitUntil: 'load' });
    return { page, errors };
  };

  const statusFrom = (ns: string): DaemonStatus =>
    JSON.parse(rawRequest(ns, `${base}/api/status`, 'GET', {}).body) as DaemonStatus;

  /** What the page would send, with `change` applied to the headers. */
  const controlPost = (
    path: string,
    change: (h: Record<string, string>) => Record<string, string> = (h) => h,
    body = JSON.stringify({ vs: `${VIP}:80`, rs: `127.0.0.1:${RS_PORTS[0]}`, protocol: 'TCP' }),
  ): RawAnswer =>
    rawRequest(
      b.ns,
      `${base}${path}`,
      'POST',
      change({
        host: `${PREFIX}.1:${WEB_PORT}`,
        origin: base,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
        'x-keepalived-ts-control': '1',
      }),
      body,
    );

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    bed = new Testbed('kts-web-sp');
    [a, b] = bed.twoHosts(PREFIX);
    for (const p of RS_PORTS) await listen(p);
    // The browser runs in namespace b: puppeteer speaks to it over a pipe (fds 3 and 4, which
    // `ip netns exec` passes on), so no DevTools port has to be reachable across namespaces.
    const wrapper = join(bed.tempDir, 'chromium-in-b');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${b.ns} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
    const profile = join(bed.tempDir, 'chromium-profile');
    mkdirSync(profile);
    browser = await puppeteer.launch({
      executablePath: wrapper,
      pipe: true,
      ignoreDefaultArgs: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        'about:blank',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close().catch(() => {});
    await Promise.all(daemons.map((d) => stopDaemon(d)));
    bed?.destroy();
  });

  it('with --web-control: MASTER and both servers up, a stopped server down within 3 s, drain and enable from the page, cross-site requests refused', async () => {
    const d = startDaemon('control', ['--web-control']);
    await d.lines.wait(/Metrics and status page on http:\/\/10\.231\.86\.1:18690\//, 15_000);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);

    const { page, errors } = await openPage();
    // The page's headers: only 'self' may be loaded from.
    const index = rawRequest(b.ns, `${base}/`, 'GET', {});
    expect(index.status).toBe(200);
    expect(index.body).toContain('<script type="module" src="app.js"></script>');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = index.headers['content-security-policy']!.split('; ');
    expect(csp).toContain("default-src 'self'");
    for (const directive of csp) expect(directive).toMatch(/^[a-z-]+ '(self|none)'$/);

    await waitForMaster(page);
    const instance = await textsOf(page, 'tr.instance[data-instance="VI_1"] td');
    expect(instance).toEqual([
      'VI_1',
      'MASTER',
      '150 / 150',
      a.address,
      `${VIP}/32 dev eth0`,
      expect.any(String),
      expect.stringMatching(/→ MASTER/),
    ]);
    for (const p of RS_PORTS) {
      await page.waitForSelector(`${row(p)}[data-health="up"]`, { timeout: 10_000 });
    }
    expect(await dataOf(page, '#live', 'state')).toBe('live');
    expect(await countOf(page, 'tr.rs button[data-action="drain"]')).toBe(2);
    await inPage(page, 'window.loadedOnce = true');

    // One listener goes away: the next check fails at once (connection refused).
    const stoppedAt = performance.now();
    await unlisten(RS_PORTS[1]);
    await page.waitForSelector(`${row(RS_PORTS[1])}[data-health="down"]`, { timeout: 3000 });
    const shownDownMs = performance.now() - stoppedAt;
    expect(shownDownMs).toBeLessThan(3000);
    console.log(
      `status page: real server shown down ${Math.round(shownDownMs)} ms after its listener stopped`,
    );
    expect(await dataOf(page, row(RS_PORTS[0]), 'health')).toBe('up');
    expect(await inPage(page, 'window.loadedOnce')).toBe(true);
    await page.waitForFunction(
      `Array.from(document.querySelectorAll('#event-list li'), (l) => l.textContent).some((t) =>
        t.endsWith('[127.0.0.1]:tcp:18602 of [10.231.86.100]:tcp:80 down'))`,
      { timeout: 3000 },
    );

    // A page on another origin (served from namespace b) tries both ways a browser allows.
    const evil = bed.spawnIn(b.ns, process.execPath, [
      '-e',
      `require('node:http').createServer((q, s) => { s.setHeader('content-type', 'text/html'); s.end('<p>other origin</p>'); })` +
        `.listen(${EVIL_PORT}, '${b.address}', () => console.log('listening'))`,
    ]);
    await new LineCollector(evil).wait(/listening/, 10_000);
    const evilPage = await browser.newPage();
    await evilPage.goto(`http://${b.address}:${EVIL_PORT}/`);
    const attempts = await evilPage.evaluate(
      async (target: string, body: string) => {
        const out: string[] = [];
        try {
          const r = await fetch(target, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-keepalived-ts-control': '1' },
            body,
          });
          out.push(`cors: ${r.status}`);
        } catch (e) {
          out.push(`cors: ${(e as Error).name}`);
        }
        const r = await fetch(target, { method: 'POST', mode: 'no-cors', body });
        out.push(`no-cors: ${r.type}`);
        return out;
      },
      `${base}/api/rs/drain`,
      JSON.stringify({ vs: `${VIP}:80`, rs: `127.0.0.1:${RS_PORTS[0]}`, protocol: 'TCP' }),
    );
    await evilPage.close();
    // The preflight is never granted; the no-cors POST reaches the daemon, which refuses it.
    expect(attempts).toEqual(['cors: TypeError', 'no-cors: opaque']);
    await d.lines.wait(
      /Status page: refused \/api\/rs\/drain from 10\.231\.86\.2: the body must be application\/json/,
      3000,
    );

    // Requests that do not come from the page are refused before anything runs.
    const refused: [string, RawAnswer, number][] = [
      ['wrong Origin', controlPost('/api/rs/drain', (h) => ({ ...h, origin: 'http://evil.example' })), 403],
      ['no Origin', controlPost('/api/rs/drain', ({ origin: _o, 'sec-fetch-site': _s, ...h }) => h), 403],
      ['cross-site', controlPost('/api/rs/drain', (h) => ({ ...h, 'sec-fetch-site': 'cross-site' })), 403],
      ['no custom header', controlPost('/api/rs/drain', ({ 'x-keepalived-ts-control': _x, ...h }) => h), 403],
      [
        'form content type',
        controlPost('/api/rs/drain', (h) => ({ ...h, 'content-type': 'text/plain' })),
        415,
      ],
      [
        'Host by name (DNS rebinding)',
        controlPost('/api/rs/drain', (h) => ({
          ...h,
          host: `evil.example:${WEB_PORT}`,
          origin: `http://evil.example:${WEB_PORT}`,
        })),
        403,
      ],
      ['bad body', controlPost('/api/rs/drain', (h) => h, '{"vs":"x","rs":1}'), 400],
    ];
    for (const [what, answer, status] of refused)
      expect({ what, status: answer.status }).toEqual({ what, status });
    expect(controlPost('/api/rs/drain', (h) => ({ ...h, origin: 'http://evil.example' })).body).toMatch(
      /"code":"denied"/,
    );

    expect(statusFrom(b.ns).lvs!.virtualServers[0]!.realServers.map((r) => r.drained)).toEqual([
      false,
      false,
    ]);

    // The page's own drain button.
    await page.click(`${row(RS_PORTS[0])} button[data-action="drain"]`);
    await page.waitForSelector(`${row(RS_PORTS[0])}[data-drained="true"]`, { timeout: 3000 });
    expect(statusFrom(b.ns).lvs!.virtualServers[0]!.realServers[0]).toMatchObject({
      drained: true,
      weight: 0,
    });
    expect((await textsOf(page, `${row(RS_PORTS[0])} button`))[0]).toBe('Enable');
    await d.lines.wait(/Draining service \[127\.0\.0\.1\]:tcp:18601 of VS \[10\.231\.86\.100\]:tcp:80/, 3000);
    await page.waitForSelector('#chart-latency canvas', { timeout: 3000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });

    await page.click(`${row(RS_PORTS[0])} button[data-action="enable"]`);
    await page.waitForSelector(`${row(RS_PORTS[0])}[data-drained="false"]`, { timeout: 3000 });
    expect(statusFrom(b.ns).lvs!.virtualServers[0]!.realServers[0]).toMatchObject({
      drained: false,
      weight: 1,
    });

    expect(errors).toEqual([]);
    await page.close();
    await stopDaemon(d);
    await listen(RS_PORTS[1]);
  });

  it('without --web-control: no buttons, and the POST the page would send is refused', async () => {
    const d = startDaemon('read-only', []);
    await d.lines.wait(/Metrics and status page on/, 15_000);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
    const { page, errors } = await openPage();
    await waitForMaster(page);
    for (const p of RS_PORTS) await page.waitForSelector(`${row(p)}[data-health="up"]`, { timeout: 10_000 });
    // The hello came (the page is live) and said no control: no button anywhere.
    expect(await dataOf(page, '#live', 'state')).toBe('live');
    expect(await countOf(page, 'button')).toBe(0);

    for (const path of ['/api/rs/drain', '/api/rs/enable']) {
      const answer = controlPost(path);
      expect(answer.status).toBe(403);
      expect(answer.body).toMatch(/--web-control/);
    }
    expect(statusFrom(b.ns).lvs!.virtualServers[0]!.realServers.map((r) => r.drained)).toEqual([
      false,
      false,
    ]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
