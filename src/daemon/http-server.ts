/**
 * The observation listener (`--metrics-listen ADDR:PORT`): one HTTP server for the Prometheus
 * metrics (`/metrics`, metrics-routes.ts) and the live status page (`/`, web-routes.ts); the
 * routes are composed in http-routes.ts. docs/metrics.md and docs/control.md describe them.
 *
 * No client can hold the daemon up: requests are read with Node's own limits (headers within
 * HEADERS_TIMEOUT_MS, a whole request within REQUEST_TIMEOUT_MS, at most MAX_HEADERS headers),
 * bodies are bounded (readBody), idle keep-alive connections close after KEEP_ALIVE_TIMEOUT_MS,
 * and those limits are checked every CONNECTIONS_CHECK_MS (Node's default is 30 s). At most
 * MAX_CONNECTIONS are open at once; a client that comes when all are taken closes the oldest
 * connection that has not sent a whole request (a slow or idle one), so a scrape still gets in
 * while slow clients hold every slot, and is refused only when every connection is busy with a
 * request (event streams included). A handler that throws answers 500 and is logged, never more.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../util/log.js';
import type { ListenAddress } from './listen-address.js';

export const MAX_CONNECTIONS = 64;
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 15_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often Node checks the header and request timeouts of open connections. */
export const CONNECTIONS_CHECK_MS = 1_000;
export const MAX_HEADERS = 64;
/** What a POST body may hold (the page's drain and enable requests are a few bytes). */
export const MAX_BODY_BYTES = 16 * 1024;

export interface HttpRoute {
  readonly method: 'GET' | 'POST';
  /** The exact path (no query string). */
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface HttpServer {
  /** Where it listens (the port the kernel chose when 0 was asked). */
  readonly address: ListenAddress;
  /** Connections open now. */
  readonly connections: number;
  /** Connections closed to admit a new client while every slot was taken. */
  readonly evicted: number;
  /** Stops listening and closes every connection (server-sent event streams included). */
  close(): Promise<void>;
}

export interface HttpServerOptions {
  readonly listen: ListenAddress;
  readonly routes: readonly HttpRoute[];
  readonly logger: Logger;
  readonly maxConnections?: number;
  /** Header timeout (default HEADERS_TIMEOUT_MS; the request timeout stays 5 s longer). */
  readonly headersTimeoutMs?: number;
}

/** Reads a request body of at most `limit` bytes; null when it is larger (the request is drained). */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A plain-text answer. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

/** Starts listening; rejects when the address cannot be bound (EADDRINUSE, EADDRNOTAVAIL ...). */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const byPath = new Map<string, HttpRoute[]>();
  for (const r of options.routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const sockets = new Set<Socket>();
  // Connections with no request in progress (new, or idle between keep-alive requests), in the
  // order they became so: the oldest is the one a full listener closes.
  const waiting = new Set<Socket>();
  const maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
  let evicted = 0;

  const server: Server = createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
      requestTimeout:
        options.headersTimeoutMs === undefined
          ? REQUEST_TIMEOUT_MS
          : options.headersTimeoutMs + REQUEST_TIMEOUT_MS - HEADERS_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const routes = byPath.get(path);
      if (routes === undefined) return sendText(res, 404, 'Not found\n');
      const route = routes.find(
        (r) => r.method === req.method || (r.method === 'GET' && req.method === 'HEAD'),
      );
      if (route === undefined) {
        return sendText(res, 405, 'Method not allowed\n', { allow: routes.map((r) => r.method).join(', ') });
      }
      Promise.resolve()
        .then(() => route.handle(req, res))
        .catch((e: unknown) => {
          options.logger.error(
            `HTTP ${req.method} ${path} failed: ${e instanceof Error ? e.message : String(e)}`,
          );
          if (!res.headersSent) sendText(res, 500, 'Internal error\n');
          else res.destroy();
        });
    },
  );
  server.maxHeadersCount = MAX_HEADERS;
  server.on('connection', (s: Socket) => {
    if (sockets.size >= maxConnections) {
      const oldest = waiting.values().next();
      if (oldest.done === true) {
        s.destroy();
        return;
      }
      evicted++;
      forget(oldest.value);
      oldest.value.destroy();
    }
    sockets.add(s);
    waiting.add(s);
    s.on('close', () => forget(s));
  });
  const forget = (s: Socket): void => {
    sockets.delete(s);
    waiting.delete(s);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const s = req.socket;
    waiting.delete(s);
    // Answered and kept alive: idle again, and the newest of the idle ones.
    res.once('finish', () => {
      if (sockets.has(s) && !s.destroyed) waiting.add(s);
    });
  });
  // A client error (bad request line, timeout) is answered by Node; it must never be fatal.
  server.on('clientError', (_e, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen({ host: options.listen.host, port: options.listen.port, ipv6Only: false }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (e) => options.logger.error(`HTTP listener: ${e.message}`));
  const bound = server.address();
  const address =
    bound !== null && typeof bound === 'object' ? { host: bound.address, port: bound.port } : options.listen;

  let closing: Promise<void> | null = null;
  return {
    address,
    get connections() {
      return sockets.size;
    },
    get evicted() {
      return evicted;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
