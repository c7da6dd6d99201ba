// A SIGHUP while a reload runs is queued, not dropped (keepalived 2.2.7: core/main.c
// process_reload_signal, core/config_notify.c queue_reload): however many arrive, one more reload
// runs when the current one ends, and it reads the config as it is then.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Config } from '../../../src/config/model.js';
import { runDaemon } from '../../../src/daemon/daemon.js';
import type { SystemdNotifier } from '../../../src/daemon/systemd.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { daemonOptions } from '../../support/daemon-options.js';
import { FakeSignalSource } from '../../support/fake-signals.js';

class TestLogger extends MemoryLogger {
  close(): void {}
}

const systemd: SystemdNotifier = {
  ready: () => {},
  reloading: () => {},
  stopping: () => {},
  status: () => {},
  watchdogIntervalMs: null,
  watchdog: () => {},
  close: () => {},
};

const conf = (priority: number): string =>
  `vrrp_instance VI_1 {\n  state BACKUP\n  interface lo\n  virtual_router_id 50\n  priority ${priority}\n` +
  `  virtual_ipaddress {\n    10.9.9.1\n  }\n}\n`;

async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out: ${what}`);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-reload-queue-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('SIGHUPs during a reload run one more reload afterwards, with the config written meanwhile', async () => {
  const path = join(dir, 'k.conf');
  writeFileSync(path, conf(100));
  const options = daemonOptions({
    config: path,
    pidFile: join(dir, 'k.pid'),
    runtimeDir: join(dir, 'run'),
    logDetail: true,
    extra: ['--no-interface-check'],
  });
  const reloaded: number[] = [];
  let release: (() => void) | null = null;
  const logger = new TestLogger();
  const signals = new FakeSignalSource();
  const run = runDaemon(options, {
    factories: [
      async () => ({
        name: 'vrrp',
        start: () => {},
        stop: async () => {},
        reload: async (c: Config) => {
          reloaded.push(c.vrrpInstances[0]!.priority);
          // The first reload is held until the test lets it go.
          if (reloaded.length === 1) await new Promise<void>((r) => (release = r));
        },
      }),
    ],
    logger,
    systemd,
    clock: new ManualClock(),
    signals,
  });
  await until(() => logger.messages().includes('Startup complete'), 'startup');

  writeFileSync(path, conf(110));
  signals.send(1);
  await until(() => release !== null, 'the first reload');
  writeFileSync(path, conf(120));
  signals.send(1);
  signals.send(1);
  expect(logger.messages().filter((m) => m === 'Reload already in progress, request queued')).toHaveLength(2);
  release!();
  await until(
    () => logger.messages().filter((m) => m === 'Reload complete').length === 2,
    'the queued reload',
  );
  expect(reloaded).toEqual([110, 120]);
  expect(logger.messages()).toContain('Processing queued reload');

  signals.send(15);
  expect(await run).toBe(0);
});
