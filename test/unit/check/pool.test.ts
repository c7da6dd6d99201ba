// End-to-end pool tests on the real clock (delay_loop 0.2 s) against loopback listeners and
// real scripts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCheckerPool, type CheckerPool } from '../../../src/check/pool.js';
import { drainKey, type PoolEvent } from '../../../src/check/table.js';
import { realClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { runScript } from '../../../src/net/exec.js';
import type { RealServer, VirtualServer } from '../../../src/config/model.js';
import { config, miscCheck, realServer, script, tcpCheck, virtualServer } from './support/config.js';

let dir = '';
const pools: CheckerPool[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-chk-pool-'));
});
afterEach(async () => {
  for (const p of pools.splice(0)) await p.stop({ omega: false });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A listener on a fixed loopback port that can be switched off and on again. */
class Switchable {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  async on(): Promise<void> {
    const server = createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
      s.end();
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }
  async off(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s === null) return;
    for (const x of this.sockets) x.destroy();
    await new Promise((r) => s.close(r));
  }
}

const listeners: Switchable[] = [];
afterAll(async () => {
  for (const l of listeners) await l.off();
});
async function listener(): Promise<Switchable> {
  const l = new Switchable();
  await l.on();
  listeners.push(l);
  return l;
}

/** A script that appends its arguments as one line to `<name>.log`. */
function recorder(name: string): { spec: ReturnType<typeof script>; lines: () => string[] } {
  const path = join(dir, `${name}.sh`);
  const log = join(dir, `${name}.log`);
  writeFileSync(path, `#!/bin/sh\necho "$*" >> ${log}\n`);
  chmodSync(path, 0o755);
  return {
    spec: script([path, name, 'arg two']),
    lines: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
}

async function waitFor(pred: () => boolean, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startPool(vss: VirtualServer[], over: Partial<Parameters<typeof config>[1]> = {}) {
  const logger = new MemoryLogger();
  const events: PoolEvent[] = [];
  const pool = createCheckerPool(config(vss, over), {
    clock: realClock,
    logger,
    runScript,
    resolveScriptUser: () => ({ uid: 0, gid: 0 }),
    random: () => 0,
  });
  pools.push(pool);
  pool.on((e) => events.push(e));
  pool.start();
  const has = (line: string) => logger.messages().includes(line);
  const weights = () =>
    Object.fromEntries(pool.desiredTable().services[0]!.destinations.map((d) => [d.key, d.weight]));
  return { pool, logger, events, has, weights };
}

const fast = { delayLoop: 0.2, delayBeforeRetry: 0.1, connectTimeout: 0.5 };

function rsFor(port: number, over: Partial<RealServer> = {}, checkOver = {}): RealServer {
  return realServer('127.0.0.1', port, [tcpCheck(port, { ...fast, ...checkOver })], over);
}

describe('checker pool', () => {
  it('TCP_CHECK: success, failure after retries, removal and re-adding, with notify scripts', async () => {
    const l = await listener();
    const up = recorder('up1');
    const down = recorder('down1');
    const vs = virtualServer('10.0.0.1', 80, [
      rsFor(l.port, { notifyUp: up.spec, notifyDown: down.spec }, { retry: 2 }),
    ]);
    const { has, weights, events } = startPool([vs]);
    const rs = `[127.0.0.1]:tcp:${l.port}`;
    expect(weights()).toEqual({ [`127.0.0.1|${l.port}`]: 1 });
    await waitFor(() => has(`TCP connection to ${rs} success.`), 'first success');
    await l.off();
    await waitFor(() => has(`Removing service ${rs} from VS [10.0.0.1]:tcp:80`), 'removal');
    expect(has(`TCP_CHECK on service ${rs} failed after 2 retries.`)).toBe(true);
    expect(weights()).toEqual({});
    await waitFor(() => down.lines().length === 1, 'notify_down');
    expect(down.lines()).toEqual(['down1 arg two']);
    await l.on();
    await waitFor(() => has(`Adding service ${rs} to VS [10.0.0.1]:tcp:80`), 're-adding');
    expect(weights()).toEqual({ [`127.0.0.1|${l.port}`]: 1 });
    await waitFor(() => up.lines().length === 1, 'notify_up');
    expect(up.lines()).toEqual(['up1 arg two']);
    // The start-up `table`, then `changes` events (coalesced per loop turn) carried the removal
    // and the re-adding of the destination.
    expect(events.filter((e) => e.kind === 'table')).toHaveLength(1);
    const changes = () =>
      events.flatMap((e) =>
        e.kind === 'changes' ? e.destinations.map((c) => (c.destination === null ? 'out' : 'set')) : [],
      );
    await waitFor(() => changes().at(-1) === 'set', 'changes event after re-adding');
    expect(changes()).toEqual(['out', 'set']);
    // No per-attempt lines without log_all_failures.
    expect(has(`TCP connection to ${rs} failed.`)).toBe(false);
  });

  it('setDrained: a drained server goes to weight 0 in the table (and a changes event), then back; checks keep running', async () => {
    const l = await listener();
    const vs = virtualServer('10.0.0.1', 80, [rsFor(l.port, { weight: 4 })]);
    const { pool, weights, events } = startPool([vs]);
    const key = `127.0.0.1|${l.port}`;
    await waitFor(() => pool.checkers()[0]!.lastResult !== null, 'first check');
    const first = pool.checkers()[0]!;
    expect(first.lastResult?.kind).toBe('up');
    expect(first.latencyMs).toBeGreaterThanOrEqual(0);
    expect(first.latencyMs).toBeLessThan(500);
    expect(first.lastAttemptAt).not.toBeNull();
    pool.setDrained(new Set([drainKey(vs.key, key)]));
    expect(weights()).toEqual({ [key]: 0 });
    const weightChanges = () =>
      events.flatMap((e) => (e.kind === 'changes' ? e.destinations.map((c) => c.destination?.weight) : []));
    await waitFor(() => weightChanges().includes(0), 'changes event after drain');
    await waitFor(
      () => pool.checkers()[0]!.lastAttemptAt! > first.lastAttemptAt!,
      'checks go on while drained',
    );
    pool.setDrained(new Set());
    expect(weights()).toEqual({ [key]: 4 });
  });

  it('logs every failed attempt with checker_log_all_failures', async () => {
    const l = await listener();
    await l.off();
    const vs = virtualServer('10.0.0.1', 80, [rsFor(l.port)]);
    const { has } = startPool([vs], {
      globalDefs: { ...config([]).globalDefs, checkerLogAllFailures: true },
    });
    await waitFor(() => has(`TCP connection to [127.0.0.1]:tcp:${l.port} failed.`), 'attempt failure line');
    expect(has(`TCP_CHECK on service [127.0.0.1]:tcp:${l.port} failed.`)).toBe(true);
  });

  it('alpha: a server starts out of the table and enters on its first success', async () => {
    const l = await listener();
    const vs = virtualServer('10.0.0.1', 80, [rsFor(l.port, {}, { alpha: true })], { quorum: 1 });
    const { has, weights } = startPool([vs]);
    expect(weights()).toEqual({});
    await waitFor(() => has(`Adding service [127.0.0.1]:tcp:${l.port} to VS [10.0.0.1]:tcp:80`), 'add');
    expect(has('Gained quorum 1+0=1 <= 1 for VS [10.0.0.1]:tcp:80')).toBe(true);
    expect(weights()).toEqual({ [`127.0.0.1|${l.port}`]: 1 });
  });

  it('inhibit_on_failure: a dead server stays at weight 0 (Disabling/Enabling)', async () => {
    const l = await listener();
    const vs = virtualServer('10.0.0.1', 80, [rsFor(l.port, { inhibitOnFailure: true, weight: 4 })]);
    const { has, weights } = startPool([vs]);
    await waitFor(() => has(`TCP connection to [127.0.0.1]:tcp:${l.port} success.`), 'success');
    await l.off();
    await waitFor(
      () => has(`Disabling service [127.0.0.1]:tcp:${l.port} of VS [10.0.0.1]:tcp:80`),
      'disable',
    );
    expect(weights()).toEqual({ [`127.0.0.1|${l.port}`]: 0 });
    await l.on();
    await waitFor(() => has(`Enabling service [127.0.0.1]:tcp:${l.port} of VS [10.0.0.1]:tcp:80`), 'enable');
    expect(weights()).toEqual({ [`127.0.0.1|${l.port}`]: 4 });
  });

  it('sorry server in on lost quorum and out when quorum returns, with quorum scripts', async () => {
    const a = await listener();
    const b = await listener();
    const qUp = recorder('qup');
    const qDown = recorder('qdown');
    const sorry = {
      address: '10.9.9.9',
      family: 'inet' as const,
      port: 80,
      forwardingMethod: 'NAT' as const,
      tunnel: null,
      inhibit: false,
    };
    const vs = virtualServer('10.0.0.1', 80, [rsFor(a.port), rsFor(b.port)], {
      quorum: 2,
      sorryServer: sorry,
      quorumUp: qUp.spec,
      quorumDown: qDown.spec,
    });
    const { has, weights } = startPool([vs]);
    expect(Object.keys(weights())).toHaveLength(2);
    await b.off();
    await waitFor(() => has('Lost quorum 2-0=2 > 1 for VS [10.0.0.1]:tcp:80'), 'lost quorum');
    expect(has('Adding sorry server [10.9.9.9]:tcp:80 to VS [10.0.0.1]:tcp:80')).toBe(true);
    expect(has('Removing alive servers from the pool for VS [10.0.0.1]:tcp:80')).toBe(true);
    expect(weights()).toEqual({ '10.9.9.9|80': 1 });
    await waitFor(() => qDown.lines().length === 1, 'quorum_down');
    await b.on();
    await waitFor(() => has('Gained quorum 2+0=2 <= 2 for VS [10.0.0.1]:tcp:80'), 'gained quorum');
    expect(has('Removing sorry server [10.9.9.9]:tcp:80 from VS [10.0.0.1]:tcp:80')).toBe(true);
    expect(has('Adding alive servers to the pool for VS [10.0.0.1]:tcp:80')).toBe(true);
    expect(Object.keys(weights()).sort()).toEqual([`127.0.0.1|${a.port}`, `127.0.0.1|${b.port}`].sort());
    await waitFor(() => qUp.lines().length === 1, 'quorum_up');
  });

  it('misc_dynamic: the exit code sets the weight (exit - 2); exit 1 removes the server', async () => {
    const codeFile = join(dir, 'code');
    writeFileSync(codeFile, '12');
    const path = join(dir, 'dyn.sh');
    writeFileSync(path, `#!/bin/sh\nexit $(cat ${codeFile})\n`);
    chmodSync(path, 0o755);
    const rs = realServer(
      '10.1.1.5',
      80,
      [miscCheck([path], { delayLoop: 0.2, miscDynamic: true, miscTimeout: 2 })],
      { weight: 3 },
    );
    const vs = virtualServer('10.0.0.1', 80, [rs]);
    const { has, weights, logger } = startPool([vs]);
    await waitFor(
      () => has('Changing weight from 3 to 10 for active service [10.1.1.5]:tcp:80 of VS [10.0.0.1]:tcp:80'),
      'weight 10',
    );
    expect(weights()).toEqual({ '10.1.1.5|80': 10 });
    writeFileSync(codeFile, '1');
    await waitFor(() => has('Removing service [10.1.1.5]:tcp:80 from VS [10.0.0.1]:tcp:80'), 'removal');
    expect(
      has(
        `Misc check for [[10.1.1.5]:tcp:80 VS [10.0.0.1]:tcp:80] by [${path}] failed with retry disabled (exited with status 1).`,
      ),
    ).toBe(true);
    writeFileSync(codeFile, '0');
    const succeeded = `Misc check for [[10.1.1.5]:tcp:80 VS [10.0.0.1]:tcp:80] by [${path}] succeeded.`;
    // Logged once at the first run (as keepalived) and again on recovery.
    await waitFor(() => logger.messages().filter((m) => m === succeeded).length === 2, 'recovery');
    expect(weights()).toEqual({ '10.1.1.5|80': 3 });
  });

  it('a server with no checker is always up', async () => {
    const vs = virtualServer('10.0.0.1', 80, [realServer('10.1.1.9', 80, [])]);
    const { weights } = startPool([vs]);
    expect(weights()).toEqual({ '10.1.1.9|80': 1 });
  });

  it('a real server is up only when all its checkers are up', async () => {
    const a = await listener();
    const b = await listener();
    const rs = realServer('10.1.1.7', 80, [tcpCheck(a.port, fast), tcpCheck(b.port, fast)]);
    const vs = virtualServer('10.0.0.1', 80, [rs]);
    const { has, weights } = startPool([vs]);
    await b.off();
    await waitFor(() => has('Removing service [10.1.1.7]:tcp:80 from VS [10.0.0.1]:tcp:80'), 'removal');
    expect(weights()).toEqual({});
    await b.on();
    await waitFor(() => Object.keys(weights()).length === 1, 're-add');
  });

  it("alpha: a first check that fails runs notify_down once and reports it (the FIFO's RS DOWN)", async () => {
    const l = await listener();
    await l.off();
    const down = recorder('adown');
    const vs = virtualServer('10.0.0.1', 80, [rsFor(l.port, { notifyDown: down.spec }, { alpha: true })]);
    const { events, has } = startPool([vs]);
    await waitFor(() => down.lines().length === 1, 'notify_down');
    const first = events.filter((e) => e.kind === 'rs-first-down');
    expect(first).toEqual([
      {
        kind: 'rs-first-down',
        vs: vs.key,
        rs: vs.realServers[0]!.key,
        vsName: '[10.0.0.1]:tcp:80',
        rsName: `[127.0.0.1]:tcp:${l.port}`,
      },
    ]);
    // Nothing changed: no removal is logged.
    expect(has(`Removing service [127.0.0.1]:tcp:${l.port} from VS [10.0.0.1]:tcp:80`)).toBe(false);
  });

  it('omega: stop runs notify_down for live servers and quorum_down', async () => {
    const l = await listener();
    const down = recorder('odown');
    const qDown = recorder('oqdown');
    const vs = virtualServer('10.0.0.1', 80, [rsFor(l.port, { notifyDown: down.spec })], {
      omega: true,
      quorumDown: qDown.spec,
    });
    const { pool, has } = startPool([vs]);
    pools.splice(pools.indexOf(pool), 1);
    await pool.stop();
    expect(has(`Shutting down service [127.0.0.1]:tcp:${l.port} from VS [10.0.0.1]:tcp:80`)).toBe(true);
    expect(down.lines()).toEqual(['odown arg two']);
    expect(qDown.lines()).toEqual(['oqdown arg two']);
  });

  it('without omega, stop runs no scripts', async () => {
    const l = await listener();
    const down = recorder('nodown');
    const vs = virtualServer('10.0.0.1', 80, [rsFor(l.port, { notifyDown: down.spec })]);
    const { pool } = startPool([vs]);
    pools.splice(pools.indexOf(pool), 1);
    await pool.stop();
    expect(down.lines()).toEqual([]);
  });

  it('a hung script and a hung server do not delay a timer beside them', async () => {
    const hang = createServer(() => {});
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const port = (hang.address() as { port: number }).port;
    const sleeper = join(dir, 'sleep.sh');
    writeFileSync(sleeper, '#!/bin/sh\nsleep 30\n');
    chmodSync(sleeper, 0o755);
    const rs = realServer('127.0.0.1', port, [
      {
        ...tcpCheck(port, fast),
        type: 'HTTP_GET',
        urls: [
          {
            path: '/',
            digest: null,
            statusCodes: [[200, 299]],
            virtualhost: null,
            regex: null,
            regexNoMatch: false,
            tlsCompliant: false,
          },
        ],
        httpProtocol: '1.0',
        virtualhost: null,
        enableSni: false,
        sniName: null,
        fastRecovery: false,
        tlsCompliant: false,
      },
      miscCheck([sleeper], { delayLoop: 0.2, miscTimeout: 0.5 }),
    ]);
    const { has } = startPool([virtualServer('10.0.0.1', 80, [rs])]);
    const ticks: number[] = [];
    let last = performance.now();
    const iv = setInterval(() => {
      const now = performance.now();
      ticks.push(now - last);
      last = now;
    }, 50);
    await waitFor(
      () => has('Removing service [127.0.0.1]:tcp:' + port + ' from VS [10.0.0.1]:tcp:80'),
      'removal',
    );
    clearInterval(iv);
    hang.close();
    // Generous bound: the loop kept turning while sockets and children hung.
    expect(ticks.length).toBeGreaterThan(5);
    expect(Math.max(...ticks)).toBeLessThan(1000);
  });

  it('reload: carries over checker and quorum state; a new real server waits for its check', async () => {
    const a = await listener();
    const b = await listener();
    const c = await listener();
    await b.off();
    const first = virtualServer('10.0.0.1', 80, [rsFor(a.port), rsFor(b.port)]);
    const old = startPool([first]);
    await waitFor(
      () => old.has(`Removing service [127.0.0.1]:tcp:${b.port} from VS [10.0.0.1]:tcp:80`),
      'b down',
    );
    const snapshot = old.pool.snapshot();
    pools.splice(pools.indexOf(old.pool), 1);
    await old.pool.stop({ omega: false });

    const second = virtualServer('10.0.0.1', 80, [rsFor(a.port), rsFor(b.port), rsFor(c.port)]);
    const logger = new MemoryLogger();
    const pool = createCheckerPool(
      config([second]),
      {
        clock: realClock,
        logger,
        runScript,
        resolveScriptUser: () => ({ uid: 0, gid: 0 }),
        random: () => 0.5,
      },
      snapshot,
    );
    pools.push(pool);
    pool.start();
    const keys = () => pool.desiredTable().services[0]!.destinations.map((d) => d.key);
    // a stays in, b stays out, c is not added before its first success; nothing re-logged.
    expect(keys()).toEqual([`127.0.0.1|${a.port}`]);
    expect(logger.messages()).toEqual([]);
    await waitFor(() => keys().length === 2, 'c added after its check');
    expect(keys()).toEqual([`127.0.0.1|${a.port}`, `127.0.0.1|${c.port}`]);
    expect(logger.messages()).toContain(`Adding service [127.0.0.1]:tcp:${c.port} to VS [10.0.0.1]:tcp:80`);
    expect(logger.messages()).not.toContain(
      `Adding service [127.0.0.1]:tcp:${a.port} to VS [10.0.0.1]:tcp:80`,
    );
  });
});
