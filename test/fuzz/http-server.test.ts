/**
 * Fuzz: the observation HTTP server (src/daemon/http-server.ts) over loopback: generated request
 * bytes (methods, paths, versions, header floods, Content-Length and Transfer-Encoding right or
 * wrong, bodies, raw bytes). Properties: every connection ends within the time bound, what comes
 * back is empty or an HTTP/1.1 response, and the server still answers a valid request afterwards.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readBody, startHttpServer, type HttpServer } from '../../src/daemon/http-server.js';
import { MemoryLogger } from '../../src/util/log.js';
import { fuzzAsync } from './support.js';

let server: HttpServer;
beforeAll(async () => {
  server = await startHttpServer({
    listen: { host: '127.0.0.1', port: 0 },
    logger: new MemoryLogger(),
    routes: [
      { method: 'GET', path: '/ping', handle: (_req, res) => void res.end('pong') },
      {
        method: 'POST',
        path: '/echo',
        handle: async (req, res) => {
          const body = await readBody(req);
          res.writeHead(body === null ? 413 : 200).end(body ?? '');
        },
      },
    ],
  });
});
afterAll(() => server.close());

function exchange(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(server.address.port, '127.0.0.1');
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve(Buffer.concat(got));
    }, 400);
    s.on('data', (d) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got));
    });
    s.on('connect', () => s.end(bytes));
    s.on('timeout', () => reject(new Error('socket timeout')));
  });
}

const request = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'get', 'CONNECT', '', 'G\u0000T'),
    path: fc.constantFrom(
      '/ping',
      '/echo',
      '/',
      '*',
      '/ping?x=1',
      '//ping',
      '/%00',
      'http://h/ping',
      '/' + 'a'.repeat(9000),
    ),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2', 'HTTP/9.9', ''),
    headers: fc.array(
      fc.oneof(
        fc.constantFrom(
          'Host: x',
          'Content-Length: 5',
          'Content-Length: -1',
          'Content-Length: 99999999999',
          'Transfer-Encoding: chunked',
          'Expect: 100-continue',
          'Connection: keep-alive',
        ),
        fc.string({ unit: 'binary-ascii', maxLength: 40 }),
      ),
      { maxLength: 80 },
    ),
    body: fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.constantFrom('5\r\nhello\r\n0\r\n\r\n', 'zz\r\n', 'x'.repeat(20000)),
    ),
  })
  .map((r) =>
    Buffer.from(`${r.method} ${r.path} ${r.version}\r\n${r.headers.join('\r\n')}\r\n\r\n${r.body}`, 'latin1'),
  );

describe('fuzz: observation HTTP server', () => {
  it('generated requests and raw bytes', async () => {
    await fuzzAsync(
      'fuzz-http-server-requests',
      [
        fc.oneof(
          { weight: 4, arbitrary: request },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
        ),
      ],
      async (bytes) => {
        const reply = await exchange(bytes);
        if (reply.length > 0) expect(reply.subarray(0, 9).toString('latin1')).toBe('HTTP/1.1 ');
        const probe = await exchange(
          Buffer.from('GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        );
        expect(probe.toString('latin1')).toMatch(/^HTTP\/1\.1 200[\s\S]*pong$/);
      },
      { runs: 4_000, seed: 8080 },
    );
  });
});
