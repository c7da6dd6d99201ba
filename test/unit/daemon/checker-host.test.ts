// The checker host against a real worker thread (src/daemon/checker-worker.ts bundled with
// esbuild into a temp dir, as scripts/build.mjs bundles it into dist/) and real loopback servers.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolEvent } from '../../../src/check/table.js';
import type { Config } from '../../../src/config/model.js';
import { createCheckerHost, type CheckerHost } from '../../../src/daemon/checker-host.js';
import { MemoryLogger } from '../../../src/util/log.js';
import {
  config,
  httpCheck,
  miscCheck,
  realServer,
  tcpCheck,
  virtualServer,
} from '../check/support/config.js';
import { tcpServer, type Listening } from '../check/support/servers.js';

let dir: string;
let workerUrl: URL;
let crashOnceUrl: URL;
let hangOnceUrl: URL;
const hosts: CheckerHost[] = [];
const listeners: Listening[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kts-chk2-host-'));
  await build({
    entryPoints: [join(import.meta.dirname, '../../../src/daemon/checker-worker.ts')],
    outfile: join(dir, 'checker-worker.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
  });
  workerUrl = pathToFileURL(join(dir, 'checker-worker.js'));
  // A worker that dies of an uncaught exception the first time it runs, then behaves.
  writeFileSync(
    join(dir, 'crash-once.mjs'),
    [
      "import { existsSync, writeFileSync } from 'node:fs';",
      "import './checker-worker.js';",
      `const marker = ${JSON.stringify(join(dir, 'crashed'))};`,
      'if (!existsSync(marker)) {',
      "  writeFileSync(marker, '');",
      "  setTimeout(() => { throw new Error('checker worker test crash'); }, 200);",
      '}',
    ].join('\n'),
  );
  crashOnceUrl = pathToFileURL(join(dir, 'crash-once.mjs'));
  // A worker whose event loop stops the first time it runs (a loop that never yields), then behaves.
  writeFileSync(
    join(dir, 'hang-once.mjs'),
    [
      "import { existsSync, writeFileSync } from 'node:fs';",
      "import './checker-worker.js';",
      `const marker = ${JSON.stringify(join(dir, 'hung'))};`,
      'if (!existsSync(marker)) {',
      "  writeFileSync(marker, '');",
      '  setTimeout(() => { for (;;) {} }, 300);',
      '}',
    ].join('\n'),
  );
  hangOnceUrl = pathToFileURL(join(dir, 'hang-once.mjs'));
}, 60_000);

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop({ omega: false })));
  await Promise.all(listeners.map((l) => l.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function listen(onSocket?: Parameters<typeof tcpServer>[0]): Promise<Listening> {
  const l = await tcpServer(onSocket);
  listeners.push(l);
  return l;
}

function oneServer(port: number): Config {
  return config([
    virtualServer('10.0.0.1', 80, [
      realServer('127.0.0.1', port, [tcpCheck(port, { retry: 0, connectTimeout: 1 })]),
    ]),
  ]);
}

async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function destinations(host: CheckerHost): number {
  return host.desiredTable().services.reduce((n, s) => n + s.destinations.length, 0);
}

describe('checker host (pool in a worker thread)', () => {
  it('delivers a server going down as rs-down on the main thread, with keepalived log lines', async () => {
    const l = await listen();
    const logger = new MemoryLogger();
    const host = createCheckerHost(oneServer(l.port), { logger, workerUrl });
    hosts.push(host);
    const events: PoolEvent[] = [];
    host.on((e) => events.push(e));
    await host.start();
    expect(host.threadId).not.toBeNull();
    // The start-up table has been delivered by the time start() resolves.
    expect(events.some((e) => e.kind === 'table')).toBe(true);
    expect(destinations(host)).toBe(1);
    const rs = `[127.0.0.1]:tcp:${l.port}`;
    await waitFor(() => logger.messages().includes(`TCP connection to ${rs} success.`), 'first check');

    await l.close();
    await waitFor(() => events.some((e) => e.kind === 'rs-down'), 'rs-down');
    const down = events.find((e) => e.kind === 'rs-down');
    expect(down).toMatchObject({ kind: 'rs-down', vs: 'TCP:10.0.0.1:80', rs: `127.0.0.1|${l.port}` });
    expect(logger.messages()).toContain(`TCP_CHECK on service ${rs} failed.`);
    expect(logger.messages()).toContain(`Removing service ${rs} from VS [10.0.0.1]:tcp:80`);
    await waitFor(() => destinations(host) === 0, 'table without the server');
    const vs = host.health().virtualServers.get('TCP:10.0.0.1:80');
    expect(vs?.realServers.get(`127.0.0.1|${l.port}`)?.alive).toBe(false);

    const status = await host.checkers();
    expect(status).toMatchObject([{ type: 'TCP_CHECK', target: rs, up: false }]);

    await host.stop({ omega: false });
    expect(host.threadId).toBeNull();
    await expect(host.checkers()).rejects.toThrow(/not running/);
  });

  it('setDrained: the table with the drained server at weight 0 has arrived when it resolves, and it survives a reload', async () => {
    const l = await listen();
    const logger = new MemoryLogger();
    const cfg = oneServer(l.port);
    const host = createCheckerHost(cfg, { logger, workerUrl });
    hosts.push(host);
    await host.start();
    const weight = () => host.desiredTable().services[0]!.destinations[0]!.weight;
    expect(weight()).toBe(1);
    const key = `TCP:10.0.0.1:80 127.0.0.1|${l.port}`;
    await host.setDrained(new Set([key]));
    expect(weight()).toBe(0);
    await host.reload(cfg);
    await waitFor(() => host.desiredTable().services.length === 1, 'table after reload');
    expect(weight()).toBe(0);
    await host.setDrained(new Set());
    expect(weight()).toBe(1);
    await waitFor(
      () => logger.messages().includes(`TCP connection to [127.0.0.1]:tcp:${l.port} success.`),
      'check',
    );
    await waitFor(() => host.health().virtualServers.size === 1, 'health');
    // The reload built new checker entries: wait for one completed attempt after it (the
    // success line above may be the one from before the reload).
    let [c] = await host.checkers();
    for (let i = 0; i < 100 && (c?.lastAttemptAt ?? null) === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      [c] = await host.checkers();
    }
    expect(c?.lastAttemptAt ?? null).not.toBeNull();
    // The worker reports wall-clock completion times.
    expect(Math.abs(c!.lastAttemptAt! - Date.now())).toBeLessThan(5000);
    expect(c!.latencyMs).toBeGreaterThanOrEqual(0);
    await host.stop({ omega: false });
  });

  it('settles start() and stop() when stopped before the worker has started', async () => {
    const l = await listen();
    const host = createCheckerHost(oneServer(l.port), { logger: new MemoryLogger(), workerUrl });
    hosts.push(host);
    const starting = host.start();
    await host.stop({ omega: false });
    await starting;
    expect(host.threadId).toBeNull();
  });

  it('sends only what changed: services of unchanged virtual servers keep their identity', async () => {
    const a = await listen();
    const b = await listen();
    const logger = new MemoryLogger();
    const cfg = config([
      virtualServer('10.0.0.1', 80, [realServer('127.0.0.1', a.port, [tcpCheck(a.port, { retry: 0 })])]),
      virtualServer('10.0.0.2', 80, [realServer('127.0.0.1', b.port, [tcpCheck(b.port, { retry: 0 })])]),
    ]);
    const host = createCheckerHost(cfg, { logger, workerUrl });
    hosts.push(host);
    await host.start();
    await waitFor(() => logger.messages().filter((m) => m.endsWith('success.')).length === 2, 'checks');
    const [first, second] = host.desiredTable().services;
    expect(first?.destinations).toHaveLength(1);
    await a.close();
    await waitFor(() => host.desiredTable().services[0]?.destinations.length === 0, 'first VS emptied');
    const after = host.desiredTable().services;
    expect(after[0]).not.toBe(first);
    expect(after[1]).toBe(second);
    expect(host.health().virtualServers.get('TCP:10.0.0.1:80')?.quorumUp).toBe(false);
    expect(host.health().virtualServers.get('TCP:10.0.0.2:80')?.quorumUp).toBe(true);
    await host.stop({ omega: false });
  });

  it('reload keeps the state of matched servers and adds new ones', async () => {
    const a = await listen();
    const b = await listen();
    const logger = new MemoryLogger();
    const host = createCheckerHost(oneServer(a.port), { logger, workerUrl });
    hosts.push(host);
    await host.start();
    await waitFor(() => logger.messages().some((m) => m.endsWith('success.')), 'first check');
    const before = await host.snapshot();
    expect(before.realServers.get(`TCP:10.0.0.1:80 127.0.0.1|${a.port}`)?.alive).toBe(true);

    const both = config([
      virtualServer('10.0.0.1', 80, [
        realServer('127.0.0.1', a.port, [tcpCheck(a.port)]),
        realServer('127.0.0.1', b.port, [tcpCheck(b.port)]),
      ]),
    ]);
    await host.reload(both);
    // The kept server is not re-added (no start-up line for what carried over).
    const adds = (): number =>
      logger
        .messages()
        .filter((m) => m === `Adding service [127.0.0.1]:tcp:${a.port} to VS [10.0.0.1]:tcp:80`).length;
    await waitFor(() => destinations(host) === 2, 'new server added after its check');
    expect(adds()).toBe(0);
    await host.stop({ omega: false });
  });

  it('restarts a worker that crashed, with the last config', async () => {
    const l = await listen();
    const logger = new MemoryLogger();
    const host = createCheckerHost(oneServer(l.port), { logger, workerUrl: crashOnceUrl });
    hosts.push(host);
    const tables: number[] = [];
    host.on((e) => {
      if (e.kind === 'table') tables.push(e.table.services.length);
    });
    await host.start();
    const first = host.threadId;
    const started = (): string[] =>
      logger.messages().filter((m) => /^Starting Healthcheck child process, pid=\d+$/.test(m));
    await waitFor(() => started().length === 1, 'start line');
    const pid = started()[0]!.split('=')[1];
    await waitFor(
      () => logger.messages().includes(`Healthcheck child process(${pid}) died: Respawning`),
      'respawn line',
    );
    expect(logger.messages()).toContain(
      'Restart of Healthcheck process delayed 0 seconds to limit respawn rate',
    );
    expect(
      logger.lines.some((l) => l.level === 'error' && l.message.includes('checker worker test crash')),
    ).toBe(true);
    await waitFor(() => host.threadId !== null && host.threadId !== first, 'new worker');
    await waitFor(() => started().length === 2, 'start line of the new worker');
    expect(started()[1]).not.toBe(started()[0]);
    await waitFor(() => tables.length >= 2, 'table from the new worker');
    await waitFor(
      () => logger.messages().includes(`TCP connection to [127.0.0.1]:tcp:${l.port} success.`),
      'checks running again',
    );
    await host.stop({ omega: false });
    expect(host.threadId).toBeNull();
  });

  it('ends a hung worker once it has been silent for the watchdog timeout, and respawns it', async () => {
    const l = await listen();
    const logger = new MemoryLogger();
    const host = createCheckerHost(oneServer(l.port), {
      logger,
      workerUrl: hangOnceUrl,
      watchdog: { intervalMs: 100, timeoutMs: 1000 },
    });
    hosts.push(host);
    await host.start();
    const first = host.threadId;
    const started = (): string[] =>
      logger.messages().filter((m) => /^Starting Healthcheck child process, pid=\d+$/.test(m));
    await waitFor(() => started().length === 1, 'start line');
    const pid = started()[0]!.split('=')[1];
    const t0 = Date.now();
    await waitFor(
      () =>
        logger
          .messages()
          .some((m) => m.startsWith(`Healthcheck child process(${pid}) has not answered for `)),
      'watchdog line',
    );
    // Not before the timeout: the worker answered every ping until it hung (300 ms after start).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    await waitFor(
      () => logger.messages().includes(`Healthcheck child process(${pid}) died: Respawning`),
      'respawn line',
    );
    await waitFor(() => host.threadId !== null && host.threadId !== first, 'new worker');
    await waitFor(
      () => logger.messages().includes(`TCP connection to [127.0.0.1]:tcp:${l.port} success.`),
      'checks running in the new worker',
    );
    // The new worker answers its pings: no second watchdog line over several timeouts.
    await new Promise((r) => setTimeout(r, 2500));
    expect(logger.messages().filter((m) => m.includes('has not answered')).length).toBe(1);
    await host.stop({ omega: false });
  });

  it('runs omega scripts on stop before the worker exits', async () => {
    const l = await listen();
    const marker = join(dir, 'omega-ran');
    const logger = new MemoryLogger();
    const cfg = config([
      virtualServer(
        '10.0.0.1',
        80,
        [
          realServer('127.0.0.1', l.port, [tcpCheck(l.port)], {
            notifyDown: {
              command: `/usr/bin/touch ${marker}`,
              argv: ['/usr/bin/touch', marker],
              user: 'root',
              group: null,
            },
          }),
        ],
        { omega: true },
      ),
    ]);
    const host = createCheckerHost(cfg, { logger, workerUrl });
    hosts.push(host);
    await host.start();
    await host.stop({ omega: true });
    expect(logger.messages()).toContain(
      `Shutting down service [127.0.0.1]:tcp:${l.port} from VS [10.0.0.1]:tcp:80`,
    );
    const { existsSync } = await import('node:fs');
    expect(existsSync(marker)).toBe(true);
  });
});

describe('checker I/O does not block the main thread', () => {
  it('delivers a mass failure in slices, in order, between which main-thread timers run', async () => {
    // 2,000 servers on a refusing port go down together: 4,000 log lines and 2,000
    // rs-down events. The logger costs 0.25 ms a line (a slow syslog), 1 s in all; delivered in
    // one piece that would stall the main thread for the whole of it.
    const refused = await listen();
    await refused.close();
    const rss = Array.from({ length: 2000 }, (_, i) =>
      realServer(`10.7.${i >> 8}.${i & 255}`, 80, [tcpCheck(refused.port, { retry: 0, warmup: 0 })]),
    );
    const messages: string[] = [];
    const busy = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const slowLogger = {
      ...new MemoryLogger(),
      error: (m: string) => void messages.push(m),
      warn: (m: string) => void messages.push(m),
      detail: (m: string) => void messages.push(m),
      debug: (m: string) => void messages.push(m),
      info: (m: string) => {
        busy(0.25);
        messages.push(m);
      },
    };
    const host = createCheckerHost(config([virtualServer('10.0.0.3', 80, rss)]), {
      logger: slowLogger,
      workerUrl,
    });
    hosts.push(host);
    const order: string[] = [];
    // A 1 ms ticker on this thread counts macrotask turns; events delivered without a tick
    // between them were delivered in one piece, without giving the thread back.
    let tick = 0;
    const ticker = setInterval(() => tick++, 1);
    let runTick = -1;
    let run = 0;
    let longestRun = 0;
    let loggedFirst = 0;
    host.on((e) => {
      if (e.kind !== 'rs-down') return;
      order.push(e.rs);
      run = tick === runTick ? run + 1 : 1;
      runTick = tick;
      longestRun = Math.max(longestRun, run);
      // The pool logs before it emits: the line must already have been delivered.
      if (messages.at(-1) === `Removing service ${e.rsName} from VS ${e.vsName}`) loggedFirst++;
    });
    await host.start();
    await waitFor(() => order.length === 2000, 'every server removed');
    clearInterval(ticker);
    expect(messages.filter((m) => m.startsWith('Removing service')).length).toBe(2000);
    // Every rs-down arrived right after its own log line: slicing kept the worker's order.
    expect(new Set(order).size).toBe(2000);
    expect(loggedFirst).toBe(2000);
    // A slice is 2 ms of work (two 0.25 ms lines an event: a handful of events); the worker's
    // batches hold hundreds of events, which one-piece delivery would hand over in one turn.
    expect(longestRun).toBeLessThanOrEqual(50);
    await host.stop({ omega: false });
  });

  it('200 hung servers (accept, never answer) and 20 hung scripts leave a main-thread timer on time', async () => {
    const hung = await listen(() => {
      // Accept and say nothing: HTTP_GET waits for its connect_timeout.
    });
    const rss = Array.from({ length: 200 }, (_, i) =>
      realServer(`10.9.${i >> 8}.${i & 255}`, 80, [
        httpCheck(hung.port, { connectTimeout: 1, delayLoop: 1, warmup: 1, retry: 0 }),
      ]),
    );
    // And 20 scripts that never exit on their own (misc_timeout kills them).
    for (let i = 0; i < 20; i++)
      rss.push(
        realServer(`10.8.0.${i}`, 80, [
          miscCheck(['/bin/sleep', '30'], { miscTimeout: 1, warmup: 1, retry: 0 }),
        ]),
      );
    const logger = new MemoryLogger();
    const host = createCheckerHost(config([virtualServer('10.0.0.2', 80, rss)]), { logger, workerUrl });
    hosts.push(host);
    let removed = 0;
    host.on((e) => {
      if (e.kind === 'rs-down') removed++;
    });
    await host.start();
    // A 100 ms timer on this thread for 4 s, through several rounds of 200 timeouts.
    const lateness: number[] = [];
    await new Promise<void>((done) => {
      let due = performance.now() + 100;
      const tick = (): void => {
        lateness.push(performance.now() - due);
        due += 100;
        if (lateness.length === 40) return done();
        setTimeout(tick, Math.max(0, due - performance.now()));
      };
      setTimeout(tick, 100);
    });
    // Every hung server timed out and was removed while the timer ran (or just after).
    await waitFor(() => removed === 220, 'all hung servers removed');
    expect(logger.messages()).toContain(`HTTP_CHECK on service [127.0.0.1]:tcp:${hung.port} failed.`);
    lateness.sort((x, y) => x - y);
    // The median and the 90th percentile: generous against a shared, noisy machine.
    expect(lateness[20]).toBeLessThan(50);
    expect(lateness[36]).toBeLessThan(50);
    await host.stop({ omega: false });
  });
});
