/**
 * The status page's routes over a real HTTP server on loopback (http-server.ts): the page's files
 * with their types and headers, /api/status, the event stream (hello, backlog after Last-Event-ID,
 * live feed entries, one status computation per tick whatever the number of clients, the client
 * bound, a client that does not read closed), and the control routes' refusals and answers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../../src/contracts/status.js';
import type { ControlCommand, ControlReply } from '../../../src/daemon/control-protocol.js';
import { EventFeed } from '../../../src/daemon/event-feed.js';
import { startHttpServer, type HttpServer } from '../../../src/daemon/http-server.js';
import { CONTENT_SECURITY_POLICY } from '../../../src/daemon/web-assets.js';
import { MAX_STATUS_DUTY, type EventStream } from '../../../src/daemon/web-events.js';
import { webRoutes, type WebRoutesOptions } from '../../../src/daemon/web-routes.js';
import { MemoryLogger } from '../../../src/util/log.js';

function fakeStatus(extra: Record<string, unknown> = {}): DaemonStatus {
  return {
    schema: 1,
    version: '0.1.0',
    pid: 1,
    generatedAt: new Date().toISOString(),
    startedAt: new Date().toISOString(),
    configFile: '/etc/keepalived/keepalived.conf',
    lastReload: null,
    vrrp: null,
    lvs: null,
    ...extra,
  } as DaemonStatus;
}

interface Setup {
  server: HttpServer;
  base: string;
  logger: MemoryLogger;
  feed: EventFeed;
  stream: EventStream;
  statusCalls: () => number;
  commands: ControlCommand[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  opts: {
    webControl?: boolean;
    status?: () => DaemonStatus;
    reply?: ControlReply;
    routes?: WebRoutesOptions;
  } = {},
): Promise<Setup> {
  const logger = new MemoryLogger();
  const feed = new EventFeed(logger);
  let calls = 0;
  const commands: ControlCommand[] = [];
  let stream!: EventStream;
  const routes = webRoutes(
    {
      options: { webControl: opts.webControl ?? false },
      logger,
      events: feed,
      status: () => {
        calls++;
        return Promise.resolve((opts.status ?? (() => fakeStatus()))());
      },
      control: (command) => {
        commands.push(command);
        return Promise.resolve(opts.reply ?? { v: 1, id: 'http-1', ok: true, result: { drained: true } });
      },
    },
    { webDir: null, ...opts.routes, onStream: (s) => (stream = s) },
  );
  const server = await startHttpServer({ listen: { host: '127.0.0.1', port: 0 }, routes, logger });
  cleanups.push(() => server.close());
  return {
    server,
    base: `http://127.0.0.1:${server.address.port}`,
    logger,
    feed,
    stream,
    statusCalls: () => calls,
    commands,
  };
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function send(
  url: string,
  method: 'GET' | 'POST' | 'HEAD' = 'GET',
  headers: Record<string, string> = {},
  body = '',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface SseClient {
  messages: { event: string; id: string | null; data: string }[];
  status: number;
  close(): void;
  waitFor(pred: () => boolean, what: string): Promise<void>;
}

/** An event stream client that parses every message it gets. */
function sse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const messages: SseClient['messages'] = [];
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let event = 'message';
          let id: string | null = null;
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const [field, ...rest] = line.split(': ');
            const value = rest.join(': ');
            if (field === 'event') event = value;
            else if (field === 'id') id = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length > 0) messages.push({ event, id, data: data.join('\n') });
        }
      });
      res.on('error', () => {});
      const client: SseClient = {
        messages,
        status: res.statusCode!,
        close: () => req.destroy(),
        async waitFor(pred, what) {
          const start = Date.now();
          while (!pred()) {
            if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`);
            await new Promise((r) => setTimeout(r, 5));
          }
        },
      };
      cleanups.push(() => client.close());
      resolve(client);
    });
    req.on('error', reject);
    req.end();
  });
}

const waitUntil = async (pred: () => boolean, what: string): Promise<void> => {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('the page', () => {
  it('serves the built files from memory with their types, the CSP and validators', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-web-assets-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><p>page</p>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'app.css'), 'p{}');
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    writeFileSync(join(dir, 'uPlot.LICENSE'), 'MIT');
    const { base } = await setup({ routes: { webDir: dir } });
    // Read at start: a rebuild afterwards does not change what is served.
    writeFileSync(join(dir, 'app.js'), 'changed');

    const index = await send(`${base}/`);
    expect(index).toMatchObject({ status: 200, body: '<!doctype html><p>page</p>' });
    expect(index.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
    });
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect((await send(`${base}/index.html`)).body).toBe(index.body);
    const js = await send(`${base}/app.js`);
    expect(js).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await send(`${base}/app.css`)).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await send(`${base}/favicon.svg`)).headers['content-type']).toBe('image/svg+xml');
    expect((await send(`${base}/uPlot.LICENSE`)).status).toBe(404);
    expect((await send(`${base}/../package.json`)).status).toBe(404);
    const again = await send(`${base}/app.js`, 'GET', { 'if-none-match': js.headers.etag! });
    expect(again).toMatchObject({ status: 304, body: '' });
    expect((await send(`${base}/app.js`, 'HEAD')).status).toBe(200);
  });

  it('answers 503 at / when not built, and says so once', async () => {
    const { base, logger } = await setup({ routes: { webDir: null } });
    expect(await send(`${base}/`)).toMatchObject({ status: 503 });
    expect(logger.messages().filter((m) => m.includes('Status page not built'))).toHaveLength(1);
  });

  it('/api/status is the status model', async () => {
    const { base } = await setup();
    const r = await send(`${base}/api/status`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(r.body)).toMatchObject({ schema: 1, vrrp: null, lvs: null });
  });
});

describe('the event stream', () => {
  it('says hello, sends the recent events after Last-Event-ID, then live ones and the status', async () => {
    const s = await setup({ webControl: true, routes: { stream: { pushMs: 50 } } });
    s.feed.emit({ kind: 'vrrp-state', instance: 'VI_1', from: 'INIT', to: 'BACKUP' });
    s.feed.emit({ kind: 'vrrp-state', instance: 'VI_1', from: 'BACKUP', to: 'MASTER' });
    s.feed.emit({ kind: 'reload', applied: true, durationMs: 4 });

    const fresh = await sse(`${s.base}/api/events`);
    expect(fresh.status).toBe(200);
    await fresh.waitFor(() => fresh.messages.some((m) => m.event === 'status'), 'a status');
    expect(fresh.messages[0]).toEqual({
      event: 'hello',
      id: null,
      data: JSON.stringify({ pid: process.pid, webControl: true }),
    });
    expect(fresh.messages.filter((m) => m.event === 'feed').map((m) => m.id)).toEqual(['1', '2', '3']);
    expect(JSON.parse(fresh.messages.find((m) => m.event === 'feed')!.data)).toMatchObject({
      seq: 1,
      kind: 'vrrp-state',
      to: 'BACKUP',
    });

    const resumed = await sse(`${s.base}/api/events`, { 'last-event-id': '2' });
    await resumed.waitFor(() => resumed.messages.length >= 2, 'the backlog');
    expect(resumed.messages.filter((m) => m.event === 'feed').map((m) => m.id)).toEqual(['3']);
    // An id from an earlier daemon (beyond this feed): everything is new to it.
    const other = await sse(`${s.base}/api/events`, { 'last-event-id': '99' });
    await other.waitFor(() => other.messages.filter((m) => m.event === 'feed').length === 3, 'all');

    s.feed.emit({
      kind: 'rs-health',
      vs: 'TCP:10.0.0.1:80',
      rs: '10.0.1.2|80',
      vsName: 'v',
      rsName: 'r',
      up: false,
    });
    for (const c of [fresh, resumed, other]) {
      await c.waitFor(() => c.messages.some((m) => m.event === 'feed' && m.id === '4'), 'the live event');
    }
    expect(JSON.parse(fresh.messages.find((m) => m.id === '4')!.data)).toMatchObject({
      kind: 'rs-health',
      up: false,
    });
  });

  it('waits 1/MAX_STATUS_DUTY times as long as a status took before the next push (a large status never crowds out the adverts)', async () => {
    const busyMs = 60;
    const s = await setup({
      routes: { stream: { pushMs: 20 } },
      status: () => {
        // A status that costs the main thread 60 ms, as thousands of real servers would.
        const until = performance.now() + busyMs;
        while (performance.now() < until);
        return fakeStatus();
      },
    });
    const c = await sse(`${s.base}/api/events`);
    const at: number[] = [];
    const seen = () => c.messages.filter((m) => m.event === 'status').length;
    for (let n = 1; n <= 3; n++) {
      await c.waitFor(() => seen() >= n, `status ${n}`);
      at.push(performance.now());
    }
    c.close();
    // Timers never fire early: each gap is at least the status time over the duty.
    for (let i = 1; i < at.length; i++)
      expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(busyMs / MAX_STATUS_DUTY - 5);
    expect(s.stream.lastStatusMs).toBeGreaterThanOrEqual(busyMs);
  });

  it('computes the status once per tick for every client, and not at all without clients', async () => {
    const s = await setup({ routes: { stream: { pushMs: 20 } } });
    await new Promise((r) => setTimeout(r, 100));
    expect(s.statusCalls()).toBe(0);
    const clients = await Promise.all([1, 2, 3, 4].map(() => sse(`${s.base}/api/events`)));
    const statuses = (c: SseClient): number => c.messages.filter((m) => m.event === 'status').length;
    for (const c of clients) await c.waitFor(() => statuses(c) >= 10, '10 status pushes');
    const calls = s.statusCalls();
    // Each client got (nearly) every tick's status; four clients did not make four times the work.
    expect(calls).toBe(s.stream.statusTicks);
    expect(calls).toBeLessThan(Math.min(...clients.map(statuses)) + 4);

    for (const c of clients) c.close();
    await waitUntil(() => s.stream.size === 0, 'the streams to close');
    const after = s.statusCalls();
    await new Promise((r) => setTimeout(r, 100));
    expect(s.statusCalls()).toBe(after);
  });

  it('refuses a stream beyond the bound with 503', async () => {
    const s = await setup({ routes: { stream: { maxClients: 2 } } });
    await sse(`${s.base}/api/events`);
    await sse(`${s.base}/api/events`);
    const third = await send(`${s.base}/api/events`);
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('5');
    expect(s.stream.refused).toBe(1);
    expect(s.stream.size).toBe(2);
  });

  it('closes a client that does not read once its buffer is full, and keeps one that does', async () => {
    // A large status every 5 ms: the kernel's socket buffers fill within a second.
    const padding = 'x'.repeat(128 * 1024);
    const s = await setup({
      status: () => fakeStatus({ padding }),
      routes: { stream: { pushMs: 5, maxBufferedBytes: 512 * 1024 } },
    });
    const reader = await sse(`${s.base}/api/events`);
    const stalled = connect(s.server.address.port, '127.0.0.1');
    cleanups.push(() => void stalled.destroy());
    let closed = false;
    stalled.on('close', () => (closed = true));
    stalled.on('error', () => {});
    stalled.write('GET /api/events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    stalled.pause();
    await waitUntil(() => s.stream.size === 2, 'both streams');
    await waitUntil(() => s.stream.dropped === 1, 'the stalled stream to be dropped');
    expect(s.stream.size).toBe(1);
    expect(
      s.logger.messages().some((m) => /closed the event stream of 127\.0\.0\.1, which does not read/.test(m)),
    ).toBe(true);
    stalled.resume();
    await waitUntil(() => closed, 'the socket to close');
    const got = reader.messages.length;
    await reader.waitFor(() => reader.messages.length > got + 3, 'the reader to go on');
    expect(s.stream.dropped).toBe(1);
  });
});

describe('drain and enable', () => {
  const page = (base: string): Record<string, string> => {
    const host = base.replace('http://', '');
    return {
      host,
      origin: base,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/json',
      'x-keepalived-ts-control': '1',
    };
  };
  const body = JSON.stringify({ vs: '10.0.0.1:80', rs: '10.0.1.2:80', protocol: 'TCP' });

  it('are refused without --web-control, whatever the request', async () => {
    const s = await setup({ webControl: false });
    for (const path of ['/api/rs/drain', '/api/rs/enable']) {
      const r = await send(`${s.base}${path}`, 'POST', page(s.base), body);
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'denied' } });
    }
    expect((await send(`${s.base}/api/rs/drain`)).status).toBe(405);
    expect(s.commands).toEqual([]);
  });

  it('run the control command for the page, and refuse others before reading the body', async () => {
    const s = await setup({ webControl: true });
    const ok = await send(`${s.base}/api/rs/drain`, 'POST', page(s.base), body);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true, result: { drained: true } });
    await send(`${s.base}/api/rs/enable`, 'POST', page(s.base), '{"vs":"fwmark:5","rs":"10.0.1.2:80"}');
    expect(s.commands).toEqual([
      { cmd: 'rs.drain', vs: '10.0.0.1:80', rs: '10.0.1.2:80', protocol: 'TCP' },
      { cmd: 'rs.enable', vs: 'fwmark:5', rs: '10.0.1.2:80', protocol: null },
    ]);
    expect(s.logger.messages()).toContain('Status page: rs.drain 10.0.0.1:80 10.0.1.2:80 from 127.0.0.1');

    const evil = await send(
      `${s.base}/api/rs/drain`,
      'POST',
      { ...page(s.base), origin: 'http://evil.example' },
      body,
    );
    expect(evil.status).toBe(403);
    const form = await send(
      `${s.base}/api/rs/drain`,
      'POST',
      { ...page(s.base), 'content-type': 'text/plain' },
      body,
    );
    expect(form.status).toBe(415);
    const bad = await send(`${s.base}/api/rs/drain`, 'POST', page(s.base), '{"vs":"a"}');
    expect(bad.status).toBe(400);
    const big = await send(`${s.base}/api/rs/drain`, 'POST', page(s.base), 'x'.repeat(20_000));
    expect(big.status).toBe(413);
    expect(s.commands).toHaveLength(2);
  });

  it("answer the control command's error with its HTTP status", async () => {
    const s = await setup({
      webControl: true,
      reply: {
        v: 1,
        id: 'http-1',
        ok: false,
        error: { code: 'not-found', message: 'no real server 10.0.1.2:80' },
      },
    });
    const r = await send(`${s.base}/api/rs/drain`, 'POST', page(s.base), body);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no real server 10.0.1.2:80' },
    });
  });
});
