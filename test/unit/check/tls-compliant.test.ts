/**
 * tls_compliant (keepalived 2.2.8+): accepted in SSL_GET and its urls only, and on the wire the
 * difference between SSL_shutdown with and without SSL_set_quiet_shutdown: a close_notify
 * alert record from the checker, or none. A TCP relay in front of a node:tls server (TLS 1.2,
 * whose record headers stay in clear) reads the record types the checker sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { httpAttempt } from '../../../src/check/http.js';
import type { HttpCheck } from '../../../src/config/model.js';
import { build, summary } from '../config/schema-helpers.js';
import { httpCheck } from './support/config.js';
import { attemptContext } from './support/context.js';
import { selfSignedCert } from './support/servers.js';

const TLS_ALERT = 21;

let dir = '';
let tls: TlsServer;
let relay: Server;
let relayPort = 0;
const sockets = new Set<Socket>();
/** Per relayed connection: content types of the TLS records the client sent. */
const sessions: number[][] = [];
const closed: Promise<void>[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kts-tls-compliant-'));
  const pem = selfSignedCert(dir, 'kts-tls.test');
  tls = createTlsServer(
    {
      ...pem,
      maxVersion: 'TLSv1.2',
    },
    (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      s.once('data', () => s.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    },
  );
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  const tlsPort = (tls.address() as { port: number }).port;
  relay = createTcpServer((client) => {
    const types: number[] = [];
    sessions.push(types);
    let pending = Buffer.alloc(0);
    const upstream = tcpConnect(tlsPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    closed.push(new Promise((r) => client.on('close', () => r())));
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt16BE(3)) {
        types.push(pending[0]!);
        pending = pending.subarray(5 + pending.readUInt16BE(3));
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  relayPort = (relay.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => relay.close(r));
  await new Promise((r) => tls.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function recordTypes(over: Partial<HttpCheck>): Promise<number[]> {
  const before = sessions.length;
  const r = await httpAttempt(httpCheck(relayPort, { type: 'SSL_GET', ...over }), attemptContext());
  expect(r.kind).toBe('up');
  expect(sessions.length).toBe(before + 1);
  await closed[before];
  return sessions[before]!;
}

const URL = {
  path: '/',
  digest: null,
  statusCodes: [[200, 299] as [number, number]],
  virtualhost: null,
  regex: null,
  regexNoMatch: false,
};

describe('SSL_GET tls_compliant on the wire', () => {
  it('without it the session is dropped with no alert (SSL_set_quiet_shutdown)', async () => {
    const types = await recordTypes({});
    expect(types).toContain(23); // the request went over the session
    expect(types).not.toContain(TLS_ALERT);
  });

  it('with it the checker sends close_notify last', async () => {
    const types = await recordTypes({ tlsCompliant: true });
    expect(types.at(-1)).toBe(TLS_ALERT);
    expect(types.filter((t) => t === TLS_ALERT)).toHaveLength(1);
  });

  it("a url's own tls_compliant applies to that url's session only", async () => {
    const types = await recordTypes({ urls: [{ ...URL, tlsCompliant: true }] });
    expect(types.at(-1)).toBe(TLS_ALERT);
    const quiet = await recordTypes({ urls: [{ ...URL, tlsCompliant: false }] });
    expect(quiet).not.toContain(TLS_ALERT);
  });
});

describe('tls_compliant in the grammar (keepalived 2.2.8+ check_http.c)', () => {
  const conf = (checker: string, top: string, inUrl: string) =>
    'virtual_server 192.0.2.1 443 {\n  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n' +
    `  real_server 10.0.0.1 443 {\n    ${checker} {\n      ${top}\n      url {\n        path /\n        ${inUrl}\n      }\n    }\n  }\n}\n`;

  it('SSL_GET takes it at the checker and in a url, with an optional on/off word', () => {
    const { config, diagnostics } = build(conf('SSL_GET', 'tls_compliant', 'tls_compliant off'));
    expect(summary(diagnostics)).toEqual([]);
    const c = config.virtualServers[0]!.realServers[0]!.checkers[0] as HttpCheck;
    expect(c.tlsCompliant).toBe(true);
    expect(c.urls[0]!.tlsCompliant).toBe(false);
    const urlOnly = build(conf('SSL_GET', '', 'tls_compliant yes')).config.virtualServers[0]!.realServers[0]!
      .checkers[0] as HttpCheck;
    expect(urlOnly.tlsCompliant).toBe(false);
    expect(urlOnly.urls[0]!.tlsCompliant).toBe(true);
  });

  it("keepalived's line for a bad word", () => {
    expect(summary(build(conf('SSL_GET', 'tls_compliant maybe', '')).diagnostics)).toEqual([
      '7 error Invalid tls_compliant option maybe',
    ]);
  });

  it('HTTP_GET knows it nowhere', () => {
    expect(summary(build(conf('HTTP_GET', 'tls_compliant', 'tls_compliant')).diagnostics)).toEqual([
      "7 error Unknown keyword 'tls_compliant'",
      "10 error Unknown keyword 'tls_compliant'",
    ]);
  });
});
