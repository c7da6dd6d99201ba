/**
 * The lab's two small programs that run inside its namespaces (lab/lab.ts starts them with
 * `ip netns exec NS node LAB server|client`):
 *
 *   server NAME   a real server: HTTP on every lab port answering "NAME\n", and a line echo server on
 *                 the echo port answering "NAME LINE\n". Commands on stdin: `http-stop` (closes the
 *                 HTTP listeners and their connections, as a web server that died), `http-start`;
 *                 each answered with `ok` on stdout. Prints `ready` once listening.
 *   client        the client: JSON requests on stdin, one JSON answer per line on stdout (ClientRequest).
 */
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createConnection, createServer as createTcpServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { HTTP_PORTS, PORTS } from './plan.js';

// -------------------------------------------------------------------------------------------------
// real server
// -------------------------------------------------------------------------------------------------

export async function runServer(name: string): Promise<void> {
  const listen = (server: Server | ReturnType<typeof createTcpServer>, port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '0.0.0.0', () => resolve());
    });
  let http: { server: Server; sockets: Set<Socket> }[] = [];
  const startHttp = async (): Promise<void> => {
    http = HTTP_PORTS.map(() => {
      const sockets = new Set<Socket>();
      const server = createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
        res.end(`${name}\n`);
      });
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      return { server, sockets };
    });
    await Promise.all(http.map((h, i) => listen(h.server, HTTP_PORTS[i]!)));
  };
  const stopHttp = async (): Promise<void> => {
    await Promise.all(
      http.map(
        (h) =>
          new Promise<void>((resolve) => {
            h.server.close(() => resolve());
            for (const s of h.sockets) s.destroy();
          }),
      ),
    );
    http = [];
  };
  const echo = createTcpServer((socket) => {
    socket.setNoDelay(true);
    const lines = createInterface({ input: socket });
    lines.on('line', (line) => socket.write(`${name} ${line}\n`));
    // A health checker connects and resets: neither the socket nor its reader may throw.
    lines.on('error', () => socket.destroy());
    socket.on('error', () => socket.destroy());
  });
  await startHttp();
  await listen(echo, PORTS.echo);
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'http-stop') await stopHttp();
    else if (line === 'http-start') await startHttp();
    else continue;
    process.stdout.write('ok\n');
  }
  process.exit(0);
}

// -------------------------------------------------------------------------------------------------
// client
// -------------------------------------------------------------------------------------------------

export type ClientRequest =
  /** Sequential HTTP GETs, each on a new connection; answers the server names (or "error: ..."). */
  | { id: number; op: 'burst'; host: string; port: number; count: number; parallel?: number; source?: string }
  /** A GET every intervalMs (each its own connection, bounded by timeoutMs), until loop-stop. */
  | { id: number; op: 'loop-start'; host: string; port: number; intervalMs: number; timeoutMs: number }
  /** Counts per server (and failures) of the loop's requests finished since the last peek. */
  | { id: number; op: 'loop-peek' }
  /** Stops the loop; answers every request it made: start time, outcome, server, duration. */
  | { id: number; op: 'loop-stop' }
  /** Opens long-lived connections, each sending a line every intervalMs and reading the echo. */
  | { id: number; op: 'conns-open'; host: string; port: number; count: number; intervalMs: number }
  /** Per connection: echoes received, ms since the last one, error if the connection failed. */
  | { id: number; op: 'conns-report' }
  | { id: number; op: 'conns-close' };

export interface LoopRecord {
  /** Start time (epoch ms, the guest's clock, the same as the orchestrator's). */
  t: number;
  ok: boolean;
  /** The server that answered, or the error. */
  server: string;
  ms: number;
}

export interface ConnReport {
  echoes: number;
  sinceLastEchoMs: number;
  /** When the last echo came (epoch ms). */
  lastEchoAt: number;
  /** The server that answers this connection (from the echo). */
  server: string;
  error?: string;
}

function get(host: string, port: number, timeoutMs: number, source?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host,
        port,
        path: '/',
        agent: false,
        timeout: timeoutMs,
        ...(source ? { localAddress: source } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body.trim()));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export async function runClient(): Promise<void> {
  const out = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
  let loop:
    { timer: NodeJS.Timeout; records: LoopRecord[]; peeked: number; pending: Set<Promise<void>> } | undefined;
  let conns: { socket: Socket; timer: NodeJS.Timeout; report: ConnReport; last: number }[] = [];

  for await (const line of createInterface({ input: process.stdin })) {
    const req = JSON.parse(line) as ClientRequest;
    switch (req.op) {
      case 'burst': {
        // `parallel` requests at a time (the answers keep their order; IPVS schedules in arrival order).
        const result: string[] = [];
        const width = Math.max(1, req.parallel ?? 1);
        for (let i = 0; i < req.count; i += width) {
          const batch = Array.from({ length: Math.min(width, req.count - i) }, () =>
            get(req.host, req.port, 3000, req.source).catch((e: Error) => `error: ${e.message}`),
          );
          result.push(...(await Promise.all(batch)));
        }
        out({ id: req.id, result });
        break;
      }
      case 'loop-start': {
        const records: LoopRecord[] = [];
        const pending = new Set<Promise<void>>();
        const timer = setInterval(() => {
          const t = Date.now();
          const p = get(req.host, req.port, req.timeoutMs).then(
            (server) => void records.push({ t, ok: true, server, ms: Date.now() - t }),
            (e: Error) => void records.push({ t, ok: false, server: e.message, ms: Date.now() - t }),
          );
          pending.add(p);
          void p.finally(() => pending.delete(p));
        }, req.intervalMs);
        loop = { timer, records, peeked: 0, pending };
        out({ id: req.id, result: 'started' });
        break;
      }
      case 'loop-peek': {
        const counts: Record<string, number> = {};
        if (loop) {
          for (const r of loop.records.slice(loop.peeked)) {
            const key = r.ok ? r.server : 'failed';
            counts[key] = (counts[key] ?? 0) + 1;
          }
          loop.peeked = loop.records.length;
        }
        out({ id: req.id, result: counts });
        break;
      }
      case 'loop-stop': {
        if (!loop) {
          out({ id: req.id, result: [] });
          break;
        }
        clearInterval(loop.timer);
        await Promise.all(loop.pending);
        out({ id: req.id, result: [...loop.records].sort((x, y) => x.t - y.t) });
        loop = undefined;
        break;
      }
      case 'conns-open': {
        for (let i = 0; i < req.count; i++) {
          const socket = createConnection({ host: req.host, port: req.port });
          socket.setNoDelay(true);
          const entry = {
            socket,
            last: Date.now(),
            report: { echoes: 0, sinceLastEchoMs: 0, lastEchoAt: 0, server: '' } as ConnReport,
            timer: setInterval(() => {
              if (!socket.destroyed) socket.write(`line ${entry.report.echoes}\n`);
            }, req.intervalMs),
          };
          const lines = createInterface({ input: socket });
          lines.on('line', (l) => {
            entry.report.echoes++;
            entry.report.server = l.split(' ')[0] ?? '';
            entry.last = Date.now();
          });
          lines.on('error', () => undefined);
          socket.on('error', (e) => (entry.report.error ??= e.message));
          socket.on('close', () => (entry.report.error ??= 'closed'));
          conns.push(entry);
        }
        out({ id: req.id, result: 'opened' });
        break;
      }
      case 'conns-report':
        out({
          id: req.id,
          result: conns.map((c) => ({
            ...c.report,
            lastEchoAt: c.last,
            sinceLastEchoMs: Date.now() - c.last,
          })),
        });
        break;
      case 'conns-close':
        for (const c of conns) {
          clearInterval(c.timer);
          c.socket.destroy();
        }
        conns = [];
        out({ id: req.id, result: 'closed' });
        break;
    }
  }
  process.exit(0);
}

/** Talks to a client process over its stdin/stdout (the orchestrator's side of runClient). */
export class ClientConnection {
  private nextId = 1;
  private readonly waiting = new Map<number, (value: unknown) => void>();

  constructor(
    private readonly stdin: NodeJS.WritableStream,
    stdout: NodeJS.ReadableStream,
  ) {
    createInterface({ input: stdout }).on('line', (line) => {
      let answer: { id?: number; result?: unknown };
      try {
        answer = JSON.parse(line) as typeof answer;
      } catch {
        return;
      }
      if (answer.id === undefined) return;
      this.waiting.get(answer.id)?.(answer.result);
      this.waiting.delete(answer.id);
    });
  }

  request<T>(req: Record<string, unknown> & { op: ClientRequest['op'] }): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.waiting.set(id, resolve as (value: unknown) => void);
      this.stdin.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }
}
