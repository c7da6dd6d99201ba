/**
 * Hostile HTTP clients against the observation listener, run inside a namespace by the netns
 * tier, while a well-behaved prober scrapes /metrics. Usage:
 *   node hostile-clients.mjs HOST PORT DURATION_MS SLOW_CLIENTS
 * For DURATION_MS it keeps SLOW_CLIENTS slow clients connected (a request line and headers one
 * byte every 500 ms, never finished; reconnecting when closed), sends malformed requests and
 * requests with oversized headers in a loop, opens clients that send a request and never read,
 * and scrapes /metrics every 250 ms on a fresh connection (2 s to answer). Prints one JSON line:
 * what was sent and what came back.
 */
import { connect, type Socket } from 'node:net';

const [host, portText, durationText, slowText] = process.argv.slice(2) as [string, string, string, string];
const port = Number(portText);
const until = Date.now() + Number(durationText);
const slowWanted = Number(slowText);
const live = (): boolean => Date.now() < until;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const result = {
  slowConnections: 0,
  slowClosedByServer: 0,
  malformed: 0,
  malformedAnswered400: 0,
  oversized: 0,
  oversizedAnswered4xx: 0,
  nonReaders: 0,
  probes: 0,
  probesOk: 0,
  probeFailures: [] as string[],
  probeMaxMs: 0,
};

const open = (): Socket => {
  const s = connect({ host, port });
  s.on('error', () => {});
  return s;
};

/** One slow client: a header byte every 500 ms; a new one when the server closes it. */
async function slowClient(): Promise<void> {
  while (live()) {
    result.slowConnections++;
    const s = open();
    s.resume();
    const text = 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000);
    let closed = false;
    s.on('close', () => (closed = true));
    for (let i = 0; i < text.length && live() && !closed; i++) {
      s.write(text[i]!);
      await sleep(500);
    }
    if (closed && live()) result.slowClosedByServer++;
    s.destroy();
    await sleep(50);
  }
}

/** Sends `request` and resolves with what came back before the server closed (3 s at most). */
function exchange(request: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = open();
    let reply = '';
    s.on('data', (d) => (reply += d.toString('latin1')));
    const timer = setTimeout(() => s.destroy(), 3000);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(reply);
    });
    s.on('connect', () => s.write(request));
  });
}

async function malformed(): Promise<void> {
  const shapes = [
    'NOT HTTP AT ALL\r\n\r\n',
    'GET /metrics HTTP/9.9\r\n\r\n',
    'GET /metrics HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
    'GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n',
    '\x00\x01\x02\xff\xfe\r\n\r\n',
  ];
  for (let i = 0; live(); i++) {
    result.malformed++;
    const reply = await exchange(shapes[i % shapes.length]!);
    if (reply.startsWith('HTTP/1.1 400')) result.malformedAnswered400++;
    await sleep(20);
  }
}

async function oversized(): Promise<void> {
  while (live()) {
    result.oversized++;
    const reply = await exchange(
      `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(64 * 1024)}\r\n\r\n`,
    );
    if (/^HTTP\/1\.1 4\d\d/.test(reply)) result.oversizedAnswered4xx++;
    await sleep(100);
  }
}

/** Clients that send a whole request and never read the answer. */
async function nonReaders(): Promise<void> {
  const held: Socket[] = [];
  while (live()) {
    result.nonReaders++;
    const s = open();
    s.on('connect', () => {
      s.pause();
      s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    held.push(s);
    await sleep(500);
  }
  for (const s of held) s.destroy();
}

function probe(): Promise<void> {
  return new Promise((resolve) => {
    result.probes++;
    const t0 = Date.now();
    const s = open();
    let reply = '';
    let settled = false;
    const done = (failure: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      const ms = Date.now() - t0;
      if (failure === null) {
        result.probesOk++;
        result.probeMaxMs = Math.max(result.probeMaxMs, ms);
      } else if (result.probeFailures.length < 20) result.probeFailures.push(`${failure} after ${ms} ms`);
      resolve();
    };
    const timer = setTimeout(() => done('no answer'), 2000);
    s.on('connect', () => s.write('GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    s.on('data', (d) => {
      reply += d.toString('latin1');
      if (reply.includes('keepalived_vrrp_state')) done(null);
    });
    s.on('close', () => done(`closed (${JSON.stringify(reply.slice(0, 40))})`));
  });
}

async function prober(): Promise<void> {
  // Once the slow clients hold their slots.
  await sleep(2000);
  while (live()) {
    await probe();
    await sleep(250);
  }
}

await Promise.all([
  ...Array.from({ length: slowWanted }, async (_, i) => {
    await sleep(i * 5);
    await slowClient();
  }),
  malformed(),
  oversized(),
  nonReaders(),
  prober(),
]);
process.stdout.write(JSON.stringify({ kind: 'done', ...result }) + '\n');
process.exit(0);
