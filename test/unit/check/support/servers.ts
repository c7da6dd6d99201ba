// Real loopback servers on port 0 for checker tests; every one is closed in afterAll.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

/** A TCP listener; `onSocket` decides what happens to each accepted connection. */
export async function tcpServer(onSocket: (s: Socket) => void = (s) => s.end()): Promise<Listening> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return {
    port: addr.port,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

/** A port on 127.0.0.1 that refuses connections (bound then closed). */
export async function refusedPort(): Promise<number> {
  const l = await tcpServer();
  await l.close();
  return l.port;
}

/** A throw-away EC certificate and key for a loopback TLS server, made by openssl in `dir`. */
export function selfSignedCert(dir: string, commonName: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
    ]),
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key), cert: readFileSync(cert) };
}
