import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRequest, httpAttempt } from '../../../src/check/http.js';
import { httpCheck } from './support/config.js';
import { attemptContext } from './support/context.js';
import { selfSignedCert, tcpServer, type Listening } from './support/servers.js';

const BODY = 'hello from the real server\n';
const BODY_MD5 = createHash('md5').update(BODY).digest('hex');

let dir = '';
let http: Server;
let https: Server;
let httpPort = 0;
let httpsPort = 0;
let hang: Listening;
const seen: { host: string | undefined; servername?: string | false; raw: IncomingMessage['rawHeaders'] }[] =
  [];
const sockets = new Set<Socket>();

function handler(req: IncomingMessage, res: ServerResponse): void {
  seen.push({
    host: req.headers.host,
    servername: (req.socket as { servername?: string | false }).servername,
    raw: req.rawHeaders,
  });
  if (req.url === '/missing') {
    res.writeHead(404).end('nope');
    return;
  }
  if (req.url === '/redirect') {
    res.writeHead(302, { location: '/' }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' }).end(BODY);
}

async function listen(server: Server): Promise<number> {
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kts-chk-tls-'));
  const pem = selfSignedCert(dir, 'kts-chk.test');
  http = createHttpServer(handler);
  https = createHttpsServer(pem, handler);
  httpPort = await listen(http);
  httpsPort = await listen(https);
  hang = await tcpServer(() => {}); // accepts, never answers
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => http.close(r));
  await new Promise((r) => https.close(r));
  await hang.close();
  rmSync(dir, { recursive: true, force: true });
});

const url = (
  path: string,
  over: Partial<{ digest: string | null; statusCodes: [number, number][] }> = {},
) => ({
  path,
  digest: null,
  statusCodes: [[200, 299]] as [number, number][],
  virtualhost: null,
  regex: null,
  regexNoMatch: false,
  tlsCompliant: false,
  ...over,
});

describe('HTTP_GET', () => {
  it('builds keepalived request lines for 1.0, 1.0C and 1.1', () => {
    const c = httpCheck(8080);
    expect(buildRequest(c, url('/a'))).toBe(
      'GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:8080\r\n\r\n',
    );
    expect(buildRequest({ ...c, httpProtocol: '1.0C' }, url('/a'))).toContain(
      'HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\n',
    );
    expect(buildRequest({ ...c, httpProtocol: '1.1', virtualhost: 'www.example' }, url('/'))).toBe(
      'GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example\r\n\r\n',
    );
    expect(buildRequest({ ...c, connectIp: '::1' }, url('/'))).toContain('Host: [::1]:8080');
  });

  it('succeeds on 200 with the matching digest and reports keepalived success lines', async () => {
    const c = httpCheck(httpPort, { urls: [url('/', { digest: BODY_MD5 }), url('/other')] });
    const r = await httpAttempt(c, attemptContext({ target: `[127.0.0.1]:tcp:${httpPort}` }));
    expect(r).toEqual({
      kind: 'up',
      weight: null,
      notes: [
        `MD5 digest success to [127.0.0.1]:tcp:${httpPort} url(/)`,
        `HTTP status code success to [127.0.0.1]:tcp:${httpPort} url(/other)`,
      ],
    });
  });

  it('fails on a status outside the ranges, and accepts it when listed', async () => {
    const bad = await httpAttempt(httpCheck(httpPort, { urls: [url('/missing')] }), attemptContext());
    expect(bad).toEqual({
      kind: 'down',
      reason: 'HTTP status code error to',
      detail: 'url(/missing), status_code [404]',
    });
    const ok = await httpAttempt(
      httpCheck(httpPort, {
        urls: [
          url('/missing', {
            statusCodes: [
              [301, 302],
              [404, 404],
            ],
          }),
        ],
      }),
      attemptContext(),
    );
    expect(ok.kind).toBe('up');
    const redirect = await httpAttempt(httpCheck(httpPort, { urls: [url('/redirect')] }), attemptContext());
    expect(redirect.kind).toBe('down');
  });

  it('fails on a wrong digest', async () => {
    const r = await httpAttempt(
      httpCheck(httpPort, { urls: [url('/', { digest: '0'.repeat(32) })] }),
      attemptContext(),
    );
    expect(r).toMatchObject({ kind: 'down', reason: 'MD5 digest error to' });
  });

  it('sends the virtualhost as Host header', async () => {
    seen.length = 0;
    await httpAttempt(
      httpCheck(httpPort, { virtualhost: 'vh.example', httpProtocol: '1.1' }),
      attemptContext(),
    );
    expect(seen[0]!.host).toBe('vh.example');
    expect(seen[0]!.raw).toContain('KeepAliveClient');
  });

  it('times out against a server that accepts and then hangs', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const pending = httpAttempt(httpCheck(hang.port), attemptContext({ signal: ac.signal }));
    setTimeout(() => ac.abort(), 200);
    expect(await pending).toMatchObject({ kind: 'down', reason: 'Timeout HTTP read' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('SSL_GET', () => {
  it('succeeds over TLS without certificate verification', async () => {
    const r = await httpAttempt(
      httpCheck(httpsPort, { type: 'SSL_GET', urls: [url('/', { digest: BODY_MD5 })] }),
      attemptContext(),
    );
    expect(r.kind).toBe('up');
  });

  it('sends SNI only with enable_sni, using sni_name', async () => {
    seen.length = 0;
    await httpAttempt(httpCheck(httpsPort, { type: 'SSL_GET' }), attemptContext());
    await httpAttempt(
      httpCheck(httpsPort, { type: 'SSL_GET', enableSni: true, sniName: 'sni.example' }),
      attemptContext(),
    );
    expect(seen.map((s) => s.servername)).toEqual([false, 'sni.example']);
  });

  it('fails the handshake against a plain HTTP server', async () => {
    const r = await httpAttempt(httpCheck(httpPort, { type: 'SSL_GET' }), attemptContext());
    expect(r).toMatchObject({ kind: 'down', reason: 'SSL handshake/communication error' });
  });
});

describe('HTTP_GET regex', () => {
  it('matches the body with regex, and inverts with regex_no_match', async () => {
    const withRegex = (regex: string, regexNoMatch = false) =>
      httpCheck(httpPort, { urls: [{ ...url('/'), regex, regexNoMatch }] });
    expect(await httpAttempt(withRegex('real\\s+server'), attemptContext({ target: 'T' }))).toEqual({
      kind: 'up',
      weight: null,
      notes: ['Regex match success to T url(/)'],
    });
    expect(await httpAttempt(withRegex('^nothing here'), attemptContext())).toMatchObject({
      kind: 'down',
      reason: 'Regex match failed',
    });
    expect((await httpAttempt(withRegex('^nothing here', true), attemptContext())).kind).toBe('up');
    expect(await httpAttempt(withRegex('(unclosed'), attemptContext())).toMatchObject({
      kind: 'down',
      reason: 'Regex match failed',
    });
  });
});
