// ha_suspend in the checker pool (keepalived 2.2.7 check_api.c register_checkers_thread,
// update_checker_activity): the checkers of a virtual server whose address is not on the host do
// not run, start when it appears and stop when it goes, with keepalived's lines; a virtual server
// without ha_suspend is checked all along. Real clock, a loopback listener counting connections.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { createCheckerPool, type CheckerPool } from '../../../src/check/pool.js';
import { realClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { runScript } from '../../../src/net/exec.js';
import { config, realServer, tcpCheck, virtualServer } from './support/config.js';

let server: Server;
let port = 0;
let connections = 0;
beforeAll(async () => {
  server = createServer((s) => {
    connections++;
    s.on('error', () => {});
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise((r) => server.close(r)));
const pools: CheckerPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.stop({ omega: false });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pool(
  haSuspend: boolean,
  addresses: Map<string, number>,
): { pool: CheckerPool; logs: () => string[] } {
  const logger = new MemoryLogger();
  const rs = realServer('127.0.0.1', port, [tcpCheck(port, { delayLoop: 0.05, warmup: 0 })]);
  const p = createCheckerPool(config([virtualServer('10.9.9.9', 80, [rs], { haSuspend })]), {
    clock: realClock,
    logger,
    runScript,
    resolveScriptUser: () => ({ uid: 0, gid: 0 }),
    random: () => 0,
  });
  pools.push(p);
  p.setLocalAddresses(addresses);
  p.start();
  return { pool: p, logs: () => logger.messages().filter((m) => m.includes('healthchecker')) };
}

const SERVICE = () => `service [127.0.0.1]:tcp:${port} for VS [10.9.9.9]:tcp:80`;

describe('ha_suspend', () => {
  it('no check while the address is absent, checks once it is there, none after it goes', async () => {
    connections = 0;
    const { pool: p, logs } = pool(true, new Map());
    await sleep(400);
    expect(connections).toBe(0);
    expect(logs()).toEqual([`Deactivating healthchecker for ${SERVICE()}`]);
    p.setLocalAddresses(new Map([['10.9.9.9', 1]]));
    await sleep(400);
    expect(connections).toBeGreaterThanOrEqual(2);
    expect(logs()).toEqual([
      `Deactivating healthchecker for ${SERVICE()}`,
      `Activating healthchecker for ${SERVICE()}`,
    ]);
    // On two interfaces: suspended only when both have lost it.
    p.setLocalAddresses(new Map([['10.9.9.9', 2]]));
    p.setLocalAddresses(new Map([['10.9.9.9', 1]]));
    expect(logs()).toHaveLength(2);
    p.setLocalAddresses(new Map());
    expect(logs()[2]).toBe(`Suspending healthchecker for ${SERVICE()}`);
    await sleep(150); // an attempt in flight ends
    const after = connections;
    await sleep(400);
    expect(connections).toBe(after);
  });

  it('an address there at start: Activating, and checked', async () => {
    connections = 0;
    const { logs } = pool(true, new Map([['10.9.9.9', 1]]));
    await sleep(300);
    expect(connections).toBeGreaterThanOrEqual(2);
    expect(logs()).toEqual([`Activating healthchecker for ${SERVICE()}`]);
  });

  it('without ha_suspend: checked whatever the addresses, no lines', async () => {
    connections = 0;
    const { pool: p, logs } = pool(false, new Map());
    await sleep(300);
    expect(connections).toBeGreaterThanOrEqual(2);
    p.setLocalAddresses(new Map([['10.9.9.9', 1]]));
    p.setLocalAddresses(new Map());
    expect(logs()).toEqual([]);
  });
});
