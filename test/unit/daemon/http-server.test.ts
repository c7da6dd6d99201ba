import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CONNECTIONS_CHECK_MS,
  MAX_BODY_BYTES,
  readBody,
  sendText,
  startHttpServer,
  type HttpRoute,
  type HttpServer,
} from '../../../src/daemon/http-server.js';
import { MemoryLogger } from '../../../src/util/log.js';

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(routes: HttpRoute[], logger = new MemoryLogger(), maxConnections?: number) {
  const server = await startHttpServer({
    listen: { host: '127.0.0.1', port: 0 },
    routes,
    logger,
    ...(maxConnections !== undefined ? { maxConnections } : {}),
  });
  servers.push(server);
  return server;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function ask(server: HttpServer, method: string, path: string, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.address.port, method, path, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const hello: HttpRoute = { method: 'GET', path: '/hello', handle: (_q, s) => sendText(s, 200, 'hi\n') };

describe('startHttpServer', () => {
  it('listens on the port the kernel chose and answers a route', async () => {
    const server = await serve([hello]);
    expect(server.address.host).toBe('127.0.0.1');
    expect(server.address.port).toBeGreaterThan(0);
    const a = await ask(server, 'GET', '/hello?x=1');
    expect(a).toMatchObject({ status: 200, body: 'hi\n' });
    expect(a.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('404 for an unknown path, 405 with Allow for a known path and another method; HEAD is GET', async () => {
    const server = await serve([
      hello,
      { method: 'POST', path: '/hello', handle: (_q, s) => sendText(s, 201, '') },
    ]);
    expect((await ask(server, 'GET', '/nope')).status).toBe(404);
    expect((await ask(server, 'POST', '/hello')).status).toBe(201);
    const put = await ask(server, 'PUT', '/hello');
    expect(put.status).toBe(405);
    expect(put.headers['allow']).toBe('GET, POST');
    const getOnly = await serve([hello]);
    expect((await ask(getOnly, 'DELETE', '/hello')).headers['allow']).toBe('GET');
    const head = await ask(getOnly, 'HEAD', '/hello');
    expect(head).toMatchObject({ status: 200, body: '' });
  });

  it('a throwing handler answers 500 and is logged; the server goes on', async () => {
    const logger = new MemoryLogger();
    const server = await serve(
      [
        {
          method: 'GET',
          path: '/sync',
          handle: () => {
            throw new Error('sync failure');
          },
        },
        { method: 'GET', path: '/async', handle: () => Promise.reject(new Error('async failure')) },
        hello,
      ],
      logger,
    );
    expect(await ask(server, 'GET', '/sync')).toMatchObject({ status: 500, body: 'Internal error\n' });
    expect(await ask(server, 'GET', '/async')).toMatchObject({ status: 500 });
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      'HTTP GET /sync failed: sync failure',
      'HTTP GET /async failed: async failure',
    ]);
    expect((await ask(server, 'GET', '/hello')).status).toBe(200);
  });

  it('a handler failing after its headers went out ends that connection', async () => {
    const logger = new MemoryLogger();
    const server = await serve(
      [
        {
          method: 'GET',
          path: '/half',
          handle: async (_q, s) => {
            s.writeHead(200);
            s.write('partial');
            await new Promise((r) => setTimeout(r, 10));
            throw new Error('late failure');
          },
        },
      ],
      logger,
    );
    await expect(ask(server, 'GET', '/half')).rejects.toThrow();
    expect(logger.messages()).toContain('HTTP GET /half failed: late failure');
  });

  it('readBody: a body within the limit, null over it (the request is drained, the answer still sent)', async () => {
    const server = await serve([
      {
        method: 'POST',
        path: '/body',
        handle: async (q, s) => {
          const body = await readBody(q);
          if (body === null) return sendText(s, 413, 'too large\n');
          sendText(s, 200, `${body.length}\n`);
        },
      },
    ]);
    expect(await ask(server, 'POST', '/body', 'x'.repeat(100))).toMatchObject({ status: 200, body: '100\n' });
    expect(await ask(server, 'POST', '/body', Buffer.alloc(MAX_BODY_BYTES))).toMatchObject({
      status: 200,
      body: `${MAX_BODY_BYTES}\n`,
    });
    expect(await ask(server, 'POST', '/body', Buffer.alloc(MAX_BODY_BYTES + 1))).toMatchObject({
      status: 413,
    });
  });

  it('close() ends open connections, streams that never end included', async () => {
    const server = await serve([
      {
        method: 'GET',
        path: '/stream',
        handle: (_q, s) => {
          s.writeHead(200, { 'content-type': 'text/event-stream' });
          s.write('data: 1\n\n');
        },
      },
    ]);
    const ended = new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.address.port, path: '/stream', agent: false },
        (res) => {
          res.once('data', () => void server.close());
          res.on('error', () => resolve());
          res.on('close', () => resolve());
        },
      );
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => reject(new Error('the stream was not ended')), 5000);
    });
    await ended;
    await server.close();
    expect(server.connections).toBe(0);
    // The port is closed: a new connection is refused.
    await expect(ask(server, 'GET', '/stream')).rejects.toThrow(/ECONNREFUSED/);
  });

  const open = (server: HttpServer): Promise<ReturnType<typeof connect>> =>
    new Promise((resolve) => {
      const s = connect(server.address.port, '127.0.0.1', () => resolve(s));
      s.on('error', () => {});
      s.resume(); // read what the server sends, so its end is seen
    });
  const closedWithin = (s: ReturnType<typeof connect>, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (s.destroyed) return resolve(true);
      s.on('close', () => resolve(true));
      setTimeout(() => resolve(false), ms);
    });

  it('a client finding every slot taken by slow clients gets in: the oldest slow one is closed', async () => {
    const server = await serve([hello], new MemoryLogger(), 3);
    const slow: ReturnType<typeof connect>[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await open(server);
      s.write('GET /hello HTTP/1.1\r\nHost: x\r\n'); // headers never finished
      slow.push(s);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(server.connections).toBe(3);
    expect((await ask(server, 'GET', '/hello')).status).toBe(200);
    expect(await closedWithin(slow[0]!, 2000)).toBe(true);
    expect(slow[1]!.destroyed || slow[2]!.destroyed).toBe(false);
    expect(server.evicted).toBe(1);
    for (const s of slow) s.destroy();
  });

  it('connections beyond maxConnections are refused while every one is busy with a request', async () => {
    let release = (): void => {};
    const held = new Promise<void>((r) => (release = r));
    const stuck: HttpRoute = {
      method: 'GET',
      path: '/stuck',
      handle: async (_q, res) => {
        await held;
        sendText(res, 200, 'late\n');
      },
    };
    const server = await serve([stuck], new MemoryLogger(), 2);
    const busy = [ask(server, 'GET', '/stuck'), ask(server, 'GET', '/stuck')];
    for (let i = 0; i < 50 && server.connections < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    const third = await open(server);
    expect(await closedWithin(third, 3000)).toBe(true);
    expect(server.evicted).toBe(0);
    release();
    expect((await Promise.all(busy)).map((a) => a.status)).toEqual([200, 200]);
  });

  it('a connection that never finishes its headers is closed soon after the headers timeout', async () => {
    const headersTimeoutMs = 2000;
    const server = await startHttpServer({
      listen: { host: '127.0.0.1', port: 0 },
      routes: [hello],
      logger: new MemoryLogger(),
      headersTimeoutMs,
    });
    servers.push(server);
    const s = await open(server);
    s.write('GET /hello HTTP/1.1\r\n');
    const t0 = Date.now();
    expect(await closedWithin(s, headersTimeoutMs + 3 * CONNECTIONS_CHECK_MS)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(headersTimeoutMs - 100);
  });

  it('a malformed request gets 400 and the server goes on', async () => {
    const server = await serve([hello]);
    const reply = await new Promise<string>((resolve) => {
      const s = connect(server.address.port, '127.0.0.1', () => s.write('NOT HTTP\r\n\r\n'));
      let text = '';
      s.on('data', (c) => (text += c.toString()));
      s.on('close', () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect((await ask(server, 'GET', '/hello')).status).toBe(200);
  });

  it('rejects when the address is taken', async () => {
    const first = await serve([hello]);
    await expect(
      startHttpServer({
        listen: { host: '127.0.0.1', port: first.address.port },
        routes: [],
        logger: new MemoryLogger(),
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
