// The daemon's composition root with scripted subsystems: sd_notify around start, reload and
// stop; SIGHUP reloads (a config that cannot be loaded keeps the old one; a subsystem the new
// config needs is built); events routed between subsystems; FATAL start-up exits 1; watchdog pings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DaemonOptions } from '../../../src/daemon/cli.js';
import { runDaemon } from '../../../src/daemon/daemon.js';
import {
  FatalStartupError,
  type DaemonEvent,
  type Subsystem,
  type SubsystemContext,
  type SubsystemFactory,
} from '../../../src/daemon/subsystem.js';
import type { SystemdNotifier } from '../../../src/daemon/systemd.js';
import type { Config } from '../../../src/config/model.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { FakeSignalSource } from '../../support/fake-signals.js';
import { daemonOptions } from '../../support/daemon-options.js';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;

class TestLogger extends MemoryLogger {
  close(): void {}
}

function fakeSystemd(watchdogIntervalMs: number | null = null): SystemdNotifier & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    ready: (status) => void sent.push(`READY ${status ?? ''}`.trim()),
    reloading: () => void sent.push('RELOADING'),
    stopping: () => void sent.push('STOPPING'),
    status: (t) => void sent.push(`STATUS ${t}`),
    watchdogIntervalMs,
    watchdog: () => void sent.push('WATCHDOG'),
    close: () => {},
  };
}

/** A subsystem that records what the daemon does with it. */
function recorder(name: string, record: string[], extra: Partial<Subsystem> = {}): Subsystem {
  return {
    name,
    start: () => void record.push(`${name} start`),
    stop: async () => void record.push(`${name} stop`),
    reload: async (c: Config) =>
      void record.push(`${name} reload ${c.vrrpInstances.map((i) => i.name).join(',')}`),
    ...extra,
  };
}

const vrrpConf = (names: string[]): string =>
  names
    .map(
      (n, i) =>
        `vrrp_instance ${n} {\n  state BACKUP\n  interface lo\n  virtual_router_id ${50 + i}\n  priority 100\n` +
        `  virtual_ipaddress {\n    10.9.9.${i + 1}\n  }\n}\n`,
    )
    .join('');

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out: ${what}`);
}

describe('daemon composition', () => {
  let dir: string;
  let options: DaemonOptions;
  let saved: Map<string, ((...a: unknown[]) => void)[]>;
  let signals: FakeSignalSource;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kts-wire-daemon-'));
    writeFileSync(join(dir, 'k.conf'), vrrpConf(['VI_1']));
    options = daemonOptions({
      config: join(dir, 'k.conf'),
      pidFile: join(dir, 'k.pid'),
      runtimeDir: join(dir, 'run'),
      extra: ['--no-interface-check'],
    });
    signals = new FakeSignalSource();
    // No process signal handler may be left behind by the daemon; keep the runner's own apart.
    saved = new Map();
    for (const s of SIGNALS) {
      saved.set(s, process.listeners(s) as ((...a: unknown[]) => void)[]);
      process.removeAllListeners(s);
    }
  });
  afterEach(() => {
    for (const s of SIGNALS) {
      process.removeAllListeners(s);
      for (const l of saved.get(s) ?? []) process.on(s, l);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('READY after start; SIGHUP reloads between RELOADING and READY; a missing config keeps the old one; SIGTERM stops in reverse order', async () => {
    const record: string[] = [];
    const systemd = fakeSystemd();
    const logger = new TestLogger();
    const factories: SubsystemFactory[] = [
      async () => recorder('lvs', record),
      async () => recorder('vrrp', record),
    ];
    const run = runDaemon(options, { factories, logger, systemd, clock: new ManualClock(), signals });
    await until(() => systemd.sent.includes('READY Startup complete'), 'startup');
    expect(record).toEqual(['lvs start', 'vrrp start']);
    expect(logger.messages()).toContain('Startup complete');

    writeFileSync(join(dir, 'k.conf'), vrrpConf(['VI_1', 'VI_2']));
    signals.send(1); // SIGHUP
    await until(() => logger.messages().includes('Reload complete'), 'reload');
    expect(record.slice(2)).toEqual(['lvs reload VI_1,VI_2', 'vrrp reload VI_1,VI_2']);
    expect(systemd.sent.slice(1)).toEqual(['RELOADING', 'READY Reload complete']);

    rmSync(join(dir, 'k.conf'));
    signals.send(1); // SIGHUP
    await until(
      () =>
        logger.messages().includes('Reload failed - configuration errors, keeping the running configuration'),
      'refused reload',
    );
    await flush();
    expect(record).toHaveLength(4); // no subsystem reloaded
    expect(systemd.sent.slice(3)).toEqual(['RELOADING', 'READY Reload complete']);
    expect(logger.messages().filter((m) => m === 'Reload complete')).toHaveLength(1);

    signals.send(15); // SIGTERM
    expect(await run).toBe(0);
    expect(record.slice(4)).toEqual(['vrrp stop', 'lvs stop']);
    expect(systemd.sent[systemd.sent.length - 1]).toBe('STOPPING');
  });

  it('signals held since start-up are handled as the handlers are installed: an ignored one is logged, a SIGTERM stops', async () => {
    const record: string[] = [];
    const logger = new TestLogger();
    const systemd = fakeSystemd();
    // SIGPROF (27, a profiler's) and SIGRTMIN+5 arrive before the daemon listens, then SIGTERM.
    signals.send(27);
    signals.send(39);
    signals.send(15);
    const code = await runDaemon(options, {
      factories: [async () => recorder('vrrp', record)],
      logger,
      systemd,
      clock: new ManualClock(),
      signals,
    });
    expect(code).toBe(0);
    expect(logger.messages()).toEqual(
      expect.arrayContaining([
        'Received signal 27 (SIGPROF) - ignoring',
        'Received signal 39 (SIGRTMIN+5) - ignoring',
      ]),
    );
  });

  it('a FATAL start-up error exits 1 with its line; nothing after it is built, nothing unstarted is stopped', async () => {
    const record: string[] = [];
    const logger = new TestLogger();
    const systemd = fakeSystemd();
    const factories: SubsystemFactory[] = [
      async () => recorder('first', record),
      async () => {
        throw new FatalStartupError("IPVS: Can't initialize ipvs: No such file or directory");
      },
      async () => {
        record.push('third built');
        return null;
      },
    ];
    const code = await runDaemon(options, { factories, logger, systemd, clock: new ManualClock(), signals });
    expect(code).toBe(1);
    expect(logger.messages()).toContain("IPVS: Can't initialize ipvs: No such file or directory");
    expect(logger.messages()).not.toContain('Startup complete');
    expect(record).toEqual([]);
    expect(systemd.sent).not.toContain('READY Startup complete');
  });

  it('routes published events to the other subsystems; a reload builds a subsystem the new config needs', async () => {
    const seen: DaemonEvent[] = [];
    const record: string[] = [];
    const logger = new TestLogger();
    const systemd = fakeSystemd();
    let publish: ((e: DaemonEvent) => void) | null = null;
    const producer: SubsystemFactory = async (ctx: SubsystemContext) => {
      publish = ctx.publish;
      return recorder('vrrp', record);
    };
    const consumer: SubsystemFactory = async (ctx) =>
      ctx.config.vrrpInstances.length > 1
        ? recorder('late', record, { onEvent: (e) => void seen.push(e) })
        : null;
    const run = runDaemon(options, {
      factories: [producer, consumer],
      logger,
      systemd,
      clock: new ManualClock(),
      signals,
    });
    await until(() => systemd.sent.includes('READY Startup complete'), 'startup');
    expect(record).toEqual(['vrrp start']);

    writeFileSync(join(dir, 'k.conf'), vrrpConf(['VI_1', 'VI_2']));
    signals.send(1); // SIGHUP
    await until(() => logger.messages().includes('Reload complete'), 'reload');
    expect(record).toEqual(['vrrp start', 'vrrp reload VI_1,VI_2', 'late start']);
    publish!({ kind: 'vrrp-state', instance: 'VI_1', from: 'BACKUP', to: 'MASTER' });
    expect(seen).toEqual([{ kind: 'vrrp-state', instance: 'VI_1', from: 'BACKUP', to: 'MASTER' }]);

    signals.send(15); // SIGTERM
    expect(await run).toBe(0);
    expect(record.slice(3)).toEqual(['late stop', 'vrrp stop']);
  });

  it('a reload lets the first config go: nothing of the daemon keeps it once the new one runs', async () => {
    // The daemon's frame lives as long as the daemon: a first load kept there stayed beside every
    // reload's model (about 20 MB on the main thread at 40,000 real servers, docs/benchmarks.md).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const logger = new TestLogger();
    const systemd = fakeSystemd();
    const built: WeakRef<Config>[] = [];
    const factory: SubsystemFactory = async (ctx) => {
      built.push(new WeakRef(ctx.config));
      return recorder('vrrp', []);
    };
    const run = runDaemon(options, {
      factories: [factory],
      logger,
      systemd,
      clock: new ManualClock(),
      signals,
    });
    await until(() => systemd.sent.includes('READY Startup complete'), 'startup');
    writeFileSync(join(dir, 'k.conf'), vrrpConf(['VI_1', 'VI_2']));
    signals.send(1); // SIGHUP
    await until(() => logger.messages().includes('Reload complete'), 'reload');
    // A WeakRef's target stays alive until the current job ends: collect on a later turn.
    await flush();
    gc();
    await flush();
    expect(built).toHaveLength(1);
    expect(built[0]!.deref()).toBeUndefined();
    signals.send(15); // SIGTERM
    expect(await run).toBe(0);
  });

  it('pings the systemd watchdog at the interval systemd asked for', async () => {
    const clock = new ManualClock();
    const systemd = fakeSystemd(1000);
    const logger = new TestLogger();
    const run = runDaemon(options, { factories: [], logger, systemd, clock, signals });
    await until(() => systemd.sent.includes('READY Startup complete'), 'startup');
    clock.advance(3500);
    expect(systemd.sent.filter((s) => s === 'WATCHDOG')).toHaveLength(4);
    signals.send(15); // SIGTERM
    expect(await run).toBe(0);
    clock.advance(5000);
    expect(systemd.sent.filter((s) => s === 'WATCHDOG')).toHaveLength(4);
  });
});
