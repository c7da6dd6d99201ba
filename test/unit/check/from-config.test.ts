// The pool built from a real keepalived.conf through the config loader (schema inheritance:
// virtual_server -> real_server -> checker), against loopback listeners.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { createCheckerPool } from '../../../src/check/pool.js';
import { realClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { runScript } from '../../../src/net/exec.js';
import { refusedPort, tcpServer, type Listening } from './support/servers.js';

let dir = '';
let up: Listening;
let downPort = 0;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kts-chk-conf-'));
  up = await tcpServer((s) => s.end());
  downPort = await refusedPort();
});
afterAll(async () => {
  await up.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('pool from a parsed keepalived.conf', () => {
  it('inherits timings and produces the desired table and keepalived log lines', async () => {
    const path = join(dir, 'keepalived.conf');
    writeFileSync(
      path,
      `global_defs {
  router_id test
}
virtual_server 10.0.0.1 80 {
  delay_loop 0.2
  lb_algo rr
  lb_kind DR
  protocol TCP
  quorum 1
  sorry_server 10.9.9.9 80
  real_server 127.0.0.1 ${up.port} {
    weight 3
    TCP_CHECK {
      connect_port ${up.port}
      connect_timeout 1
    }
  }
  real_server 127.0.0.2 ${downPort} {
    weight 2
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_port ${downPort}
      connect_timeout 1
      retry 0
    }
  }
}
`,
    );
    const loaded = await loadConfig(path, { configId: null, checkInterfaces: false });
    expect(loaded.config).not.toBeNull();
    const config = loaded.config!;
    const checker = config.virtualServers[0]!.realServers[0]!.checkers[0]!;
    expect(checker.type === 'TCP_CHECK' && checker.delayLoop).toBe(0.2);
    const logger = new MemoryLogger();
    const pool = createCheckerPool(config, {
      clock: realClock,
      logger,
      runScript,
      resolveScriptUser: () => ({ uid: 0, gid: 0 }),
      random: () => 0,
    });
    pool.start();
    try {
      const vs = '[10.0.0.1]:tcp:80';
      const end = Date.now() + 8000;
      while (
        !logger.messages().includes(`Removing service [127.0.0.2]:tcp:80 from VS ${vs}`) &&
        Date.now() < end
      )
        await new Promise((r) => setTimeout(r, 20));
      // DR: real server ports are forced to the VS port (80), the checker keeps its connect_port.
      expect(logger.messages()).toContain(`TCP connection to [127.0.0.1]:tcp:${up.port} success.`);
      expect(logger.messages()).toContain(`TCP_CHECK on service [127.0.0.1]:tcp:${downPort} failed.`);
      expect(logger.messages()).toContain(`Removing service [127.0.0.2]:tcp:80 from VS ${vs}`);
      const [service] = pool.desiredTable().services;
      expect(service).toMatchObject({ protocol: 'TCP', address: '10.0.0.1', port: 80, scheduler: 'rr' });
      expect(service!.destinations).toEqual([
        {
          key: '127.0.0.1|80',
          address: '127.0.0.1',
          family: 'inet',
          port: 80,
          weight: 3,
          forwardingMethod: 'DR',
          tunnel: null,
          uthreshold: 0,
          lthreshold: 0,
        },
      ]);
    } finally {
      await pool.stop({ omega: false });
    }
  });
});
