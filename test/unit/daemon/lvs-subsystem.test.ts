// The LVS subsystem's wiring over the in-memory IPVS kernel (test/unit/ipvs/fake-kernel.ts) and a
// scripted checker host: start-up order (flush, timeouts, table), table events applied and
// coalesced, reload with no flush (removed service deleted, scheduler SET_SERVICE, weight
// SET_DEST), lvs_sync_daemon following VRRP state, stop (delete unless -I), --no-ipvs dry run,
// and keepalived's FATAL message when the IPVS family is missing.
import { describe, expect, it } from 'vitest';
import type { CheckerHost } from '../../../src/daemon/checker-host.js';
import { createLvsSubsystem, type LvsSubsystem } from '../../../src/daemon/lvs-subsystem.js';
import { desiredTable, type PoolEvent } from '../../../src/check/table.js';
import type { DesiredDestination, DesiredService, DesiredTable } from '../../../src/contracts/ipvs-table.js';
import type { Config } from '../../../src/config/model.js';
import * as C from '../../../src/ipvs/constants.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { ok } from '../../../src/util/result.js';
import { config, globalDefs, realServer, tcpCheck, virtualServer } from '../check/support/config.js';
import { FakeKernel } from '../ipvs/fake-kernel.js';
import { vrrpInstance } from '../../support/vrrp-config.js';

const noFlags = {
  onePacket: false,
  shPort: false,
  shFallback: false,
  mhPort: false,
  mhFallback: false,
  sched1: false,
  sched2: false,
  sched3: false,
};
const dest = (last: number, weight = 1): DesiredDestination => ({
  key: `rs${last}`,
  address: `192.168.0.${last}`,
  family: 'inet',
  port: 80,
  weight,
  forwardingMethod: 'NAT',
  tunnel: null,
  uthreshold: 0,
  lthreshold: 0,
});
const service = (port: number, dests: DesiredDestination[], scheduler = 'wlc'): DesiredService => ({
  key: `vs${port}`,
  family: 'inet',
  protocol: 'TCP',
  address: '10.0.0.1',
  port,
  fwmark: null,
  scheduler,
  persistenceTimeout: 0,
  persistenceGranularity: null,
  flags: noFlags,
  destinations: dests,
});
const table = (...services: DesiredService[]): DesiredTable => ({ services });

/** A checker host whose tables the test decides. */
class ScriptedHost implements CheckerHost {
  setLocalAddresses(): void {}
  readonly listeners = new Set<(e: PoolEvent) => void>();
  current: DesiredTable;
  readonly calls: string[] = [];
  /** The table the pool produces after a reload with a given config. */
  onReload: (c: Config) => DesiredTable = () => this.current;

  constructor(initial: DesiredTable) {
    this.current = initial;
  }
  emit(t: DesiredTable): void {
    this.current = t;
    for (const l of this.listeners) l({ kind: 'table', table: t });
  }
  start(): Promise<void> {
    this.calls.push('start');
    return Promise.resolve();
  }
  stop(o?: { readonly omega?: boolean }): Promise<void> {
    this.calls.push(`stop omega=${String(o?.omega)}`);
    return Promise.resolve();
  }
  on(l: (e: PoolEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  desiredTable(): DesiredTable {
    return this.current;
  }
  health() {
    return { virtualServers: new Map() };
  }
  checkers() {
    return Promise.resolve([]);
  }
  snapshot() {
    return Promise.reject(new Error('not scripted'));
  }
  async reload(c: Config): Promise<void> {
    this.calls.push('reload');
    this.emit(this.onReload(c));
  }
  drained: ReadonlySet<string> = new Set();
  /** The table the pool produces when the drained set changes. */
  onDrain: (drained: ReadonlySet<string>) => DesiredTable | null = () => null;
  async setDrained(d: ReadonlySet<string>): Promise<void> {
    this.drained = new Set(d);
    this.calls.push(`drain ${[...d].join(',')}`);
    const t = this.onDrain(this.drained);
    if (t !== null) this.emit(t);
  }
  stats() {
    return Promise.reject(new Error('not scripted'));
  }
  metricsText() {
    return Promise.resolve(new Uint8Array(0));
  }
  readonly threadId = null;
}

const baseConfig = (over: Partial<Config['globalDefs']> = {}): Config =>
  config([virtualServer('10.0.0.1', 80, [realServer('192.168.0.1', 80, [tcpCheck(80)])])], {
    globalDefs: globalDefs(over),
    vrrpInstances: [vrrpInstance('VI_1', 51)],
  });

const cmdNames = (k: FakeKernel): string[] => {
  const names = new Map<number, string>(Object.entries(C.IPVS_CMD).map(([n, v]) => [v, n]));
  return k.commands.map((c) => names.get(c.cmd) ?? `cmd${c.cmd}`);
};
const view = (k: FakeKernel) =>
  [...k.services.values()].map((s) => ({
    port: s.service.id.kind === 'addr' ? s.service.id.port : null,
    scheduler: s.service.scheduler,
    dests: [...s.dests.values()].map((d) => `${d.address}:${d.weight}`).sort(),
  }));

async function setup(
  cfg: Config,
  initial: DesiredTable,
  opts: { dontReleaseIpvs?: boolean; noIpvs?: boolean } = {},
): Promise<{ kernel: FakeKernel; host: ScriptedHost; lvs: LvsSubsystem; log: MemoryLogger }> {
  const kernel = new FakeKernel();
  const host = new ScriptedHost(initial);
  const log = new MemoryLogger();
  const made = await createLvsSubsystem(cfg, {
    logger: log,
    clock: new ManualClock(),
    noIpvs: opts.noIpvs ?? false,
    dontReleaseIpvs: opts.dontReleaseIpvs ?? false,
    openTransport: () => ok(kernel),
    loadModule: () => Promise.resolve(),
    createHost: () => host,
  });
  if (!made.ok) throw new Error(made.error);
  return { kernel, host, lvs: made.value, log };
}

describe('LVS subsystem', () => {
  it("fails with keepalived's FATAL line when the IPVS family is missing, after one module load attempt", async () => {
    const kernel = new FakeKernel();
    kernel.familyRegistered = false;
    let loads = 0;
    const log = new MemoryLogger();
    const made = await createLvsSubsystem(baseConfig(), {
      logger: log,
      clock: new ManualClock(),
      noIpvs: false,
      dontReleaseIpvs: false,
      openTransport: () => ok(kernel),
      loadModule: () => {
        loads++;
        return Promise.resolve();
      },
      createHost: () => {
        throw new Error('no host may be built without IPVS');
      },
    });
    expect(made.ok).toBe(false);
    if (!made.ok)
      expect(made.error).toBe(
        "IPVS: Can't initialize ipvs: No such file or directory (is the ip_vs module loaded?)",
      );
    expect(loads).toBe(1);
    expect(log.messages()).toContain('Initializing ipvs');
  });

  it('starts the pool, then flush, timeouts and the table; applies table events; stop deletes what it owns', async () => {
    const cfg = baseConfig({ lvsFlush: true, lvsTimeouts: { tcp: 7200, tcpfin: null, udp: 60 } });
    const { kernel, host, lvs } = await setup(cfg, table(service(80, [dest(1), dest(2)])));
    await lvs.start();
    expect(host.calls).toEqual(['start']);
    const names = cmdNames(kernel);
    expect(names.indexOf('FLUSH')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('FLUSH')).toBeLessThan(names.indexOf('SET_CONFIG'));
    expect(names.indexOf('SET_CONFIG')).toBeLessThan(names.indexOf('NEW_SERVICE'));
    expect(kernel.timeouts).toMatchObject({ tcp: 7200, udp: 60 });
    expect(view(kernel)).toEqual([{ port: 80, scheduler: 'wlc', dests: ['192.168.0.1:1', '192.168.0.2:1'] }]);

    // rs2 goes down, then a weight change; the second table waits for the first apply.
    host.emit(table(service(80, [dest(1)])));
    host.emit(table(service(80, [dest(1, 5)])));
    await lvs.settled();
    expect(view(kernel)).toEqual([{ port: 80, scheduler: 'wlc', dests: ['192.168.0.1:5'] }]);

    await lvs.stop();
    expect(host.calls).toEqual(['start', 'stop omega=true']);
    expect(view(kernel)).toEqual([]);
    // Timeouts restored to the kernel's previous values.
    expect(kernel.timeouts).toMatchObject({ tcp: 900, udp: 300 });
  });

  it('-I leaves the table on stop; lvs_flush_on_stop sends one FLUSH', async () => {
    const kept = await setup(baseConfig(), table(service(80, [dest(1)])), { dontReleaseIpvs: true });
    await kept.lvs.start();
    await kept.lvs.stop();
    expect(view(kept.kernel)).toHaveLength(1);

    const flushed = await setup(baseConfig({ lvsFlushOnStop: 'all' }), table(service(80, [dest(1)])));
    await flushed.lvs.start();
    const before = flushed.kernel.commands.length;
    await flushed.lvs.stop();
    expect(cmdNames(flushed.kernel).slice(before)).toContain('FLUSH');
    expect(cmdNames(flushed.kernel).slice(before)).not.toContain('DEL_DEST');
    expect(view(flushed.kernel)).toEqual([]);
  });

  it('reload: no flush; removed service deleted, scheduler -> SET_SERVICE, weight -> SET_DEST', async () => {
    const { kernel, host, lvs, log } = await setup(
      baseConfig(),
      table(service(80, [dest(1), dest(2)]), service(443, [dest(3)])),
    );
    await lvs.start();
    const before = kernel.commands.length;
    host.onReload = () => table(service(80, [dest(1, 3), dest(2)], 'rr'));
    await lvs.reload(baseConfig());
    expect(log.messages().filter((m) => m.startsWith('Removing Virtual') || m.includes('no longer'))).toEqual(
      [],
    );
    expect(host.calls).toContain('reload');
    const sent = cmdNames(kernel).slice(before);
    expect(sent).not.toContain('FLUSH');
    expect(sent).not.toContain('NEW_SERVICE');
    expect(sent.filter((n) => n === 'SET_SERVICE')).toHaveLength(1);
    expect(sent.filter((n) => n === 'SET_DEST')).toHaveLength(1);
    expect(sent.filter((n) => n === 'DEL_SERVICE')).toHaveLength(1);
    expect(view(kernel)).toEqual([{ port: 80, scheduler: 'rr', dests: ['192.168.0.1:3', '192.168.0.2:1'] }]);
    await lvs.stop();
  });

  it('a removed real server that was not in the table gets no removal line', async () => {
    const two = config([
      virtualServer('10.0.0.1', 80, [
        realServer('192.168.0.1', 80, [tcpCheck(80)]),
        realServer('192.168.0.2', 80, [tcpCheck(80)]),
      ]),
    ]);
    const one = config([virtualServer('10.0.0.1', 80, [realServer('192.168.0.1', 80, [tcpCheck(80)])])]);
    const { lvs, log } = await setup(two, table(service(80, [dest(1)])));
    await lvs.start();
    await lvs.reload(one);
    expect(log.messages()).toContain('service [192.168.0.2]:tcp:80 no longer exist');
    expect(log.messages().some((m) => m.startsWith('Removing service [192.168.0.2]'))).toBe(false);
    await lvs.stop();
  });

  it("reload logs keepalived's lines for a removed virtual server and a removed real server", async () => {
    const two = config([
      virtualServer('10.0.0.1', 80, [
        realServer('192.168.0.1', 80, [tcpCheck(80)]),
        realServer('192.168.0.2', 80, [tcpCheck(80)]),
      ]),
      virtualServer('10.0.0.1', 443, [realServer('192.168.0.3', 443, [tcpCheck(443)])]),
    ]);
    const one = config([virtualServer('10.0.0.1', 80, [realServer('192.168.0.1', 80, [tcpCheck(80)])])]);
    const { lvs, log } = await setup(two, table(service(80, [dest(1), dest(2)])));
    await lvs.start();
    await lvs.reload(one);
    expect(log.messages()).toContain('Removing Virtual Server [10.0.0.1]:tcp:443');
    expect(log.messages()).toContain('service [192.168.0.2]:tcp:80 no longer exist');
    expect(log.messages()).toContain('Removing service [192.168.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80');
    await lvs.stop();
  });

  it('reload logs a weight change for an active and an inactive real server', async () => {
    const before = config([
      virtualServer('10.0.0.1', 80, [
        realServer('192.168.0.1', 80, [tcpCheck(80)]),
        realServer('192.168.0.2', 80, [tcpCheck(80)]),
      ]),
    ]);
    const heavier = (rs: ReturnType<typeof realServer>) => ({ ...rs, weight: 3 });
    const after = config([
      virtualServer('10.0.0.1', 80, [
        heavier(realServer('192.168.0.1', 80, [tcpCheck(80)])),
        heavier(realServer('192.168.0.2', 80, [tcpCheck(80)])),
      ]),
    ]);
    const { lvs, log } = await setup(before, table(service(80, [dest(1)])));
    await lvs.start();
    await lvs.reload(after);
    expect(log.messages()).toContain(
      'Changing weight from 1 to 3 for active service [192.168.0.1]:tcp:80 of VS [10.0.0.1]:tcp:80',
    );
    expect(log.messages()).toContain(
      'Changing weight from 1 to 3 for inactive service [192.168.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80',
    );
    await lvs.stop();
  });

  it('lvs_sync_daemon with an instance: backup until that instance is MASTER, then master; stopped on stop', async () => {
    const sync = {
      interface: 'eth0',
      instance: 'VI_1',
      syncId: null,
      maxlen: null,
      port: null,
      ttl: null,
      group: null,
    };
    const { kernel, lvs } = await setup(baseConfig({ lvsSyncDaemon: sync }), table(service(80, [dest(1)])));
    await lvs.start();
    expect(kernel.daemons).toEqual([{ state: C.IP_VS_STATE_BACKUP, ifn: 'eth0' }]);
    lvs.vrrpState('VI_2', 'MASTER'); // not the followed instance
    lvs.vrrpState('VI_1', 'MASTER');
    await lvs.settled();
    await new Promise((r) => setImmediate(r));
    await lvs.reload(baseConfig({ lvsSyncDaemon: sync })); // chains after the switch
    expect(kernel.daemons).toEqual([{ state: C.IP_VS_STATE_MASTER, ifn: 'eth0' }]);
    lvs.vrrpState('VI_1', 'BACKUP');
    await lvs.stop();
    expect(kernel.daemons).toEqual([]);
    expect(cmdNames(kernel).filter((n) => n === 'NEW_DAEMON')).toHaveLength(3);
  });

  it('lvs_sync_daemon without an instance runs both roles', async () => {
    const sync = {
      interface: 'eth1',
      instance: null,
      syncId: 5,
      maxlen: null,
      port: null,
      ttl: null,
      group: null,
    };
    const { kernel, lvs } = await setup(baseConfig({ lvsSyncDaemon: sync }), table(service(80, [dest(1)])));
    await lvs.start();
    expect(kernel.daemons.map((d) => d.state).sort()).toEqual([C.IP_VS_STATE_MASTER, C.IP_VS_STATE_BACKUP]);
    await lvs.stop();
    expect(kernel.daemons).toEqual([]);
  });

  it('--no-ipvs: nothing sent to the kernel; what would be programmed is logged at detail level', async () => {
    const { kernel, host, lvs, log } = await setup(baseConfig(), table(service(80, [dest(1)])), {
      noIpvs: true,
    });
    await lvs.start();
    host.emit(table(service(80, [])));
    await lvs.settled();
    await lvs.stop();
    expect(kernel.commands).toEqual([]);
    const detail = log.lines.filter((l) => l.level === 'detail').map((l) => l.message);
    expect(detail).toEqual([
      'IPVS (--no-ipvs, not programmed): NEW_SERVICE 10.0.0.1:tcp:80 scheduler wlc',
      'IPVS (--no-ipvs, not programmed): NEW_DEST 10.0.0.1:tcp:80 -> 192.168.0.1:80 weight 1',
      'IPVS (--no-ipvs, not programmed): DEL_DEST 10.0.0.1:tcp:80 -> 192.168.0.1:80',
    ]);
  });
});

describe('LVS subsystem: drain and status (docs/control.md)', () => {
  const cfg = (): Config =>
    config([
      virtualServer('10.0.0.1', 80, [realServer('192.168.0.1', 80, []), realServer('192.168.0.2', 80, [])]),
    ]);
  /** Health as the pool would report it: every server up at weight 1. */
  const healthOf = (c: Config) => ({
    virtualServers: new Map(
      c.virtualServers.map((vs) => [
        vs.key,
        {
          quorumUp: true,
          realServers: new Map(vs.realServers.map((rs) => [rs.key, { alive: true, effectiveWeight: 1 }])),
        },
      ]),
    ),
  });
  /** The table as the pool would compute it, drained servers at 0. */
  const tableFor = (c: Config, drained: ReadonlySet<string>): DesiredTable =>
    desiredTable(c, healthOf(c), drained);

  it('drains a real server to weight 0 in the kernel, shows it in status, keeps it over a reload, enables it again', async () => {
    const c = cfg();
    const { kernel, host, lvs, log } = await setup(c, tableFor(c, new Set()));
    host.onDrain = (d) => tableFor(c, d);
    host.onReload = (next) => tableFor(next, host.drained);
    host.health = () => healthOf(c);
    await lvs.start();
    const r = await lvs.setDrained('10.0.0.1:80', '192.168.0.2:80', null, true);
    expect(r).toEqual({
      ok: true,
      value: {
        vs: '[10.0.0.1]:tcp:80',
        rs: '[192.168.0.2]:tcp:80',
        vsKey: c.virtualServers[0]!.key,
        rsKey: '192.168.0.2|80',
        drained: true,
        changed: true,
      },
    });
    expect(view(kernel)[0]!.dests).toEqual(['192.168.0.1:1', '192.168.0.2:0']);
    expect(log.messages()).toContain(
      'Draining service [192.168.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80 (operator request)',
    );
    const status = await lvs.status();
    expect(status.ipvs).toBe('kernel');
    const [vs] = status.virtualServers;
    expect(vs).toMatchObject({ name: '[10.0.0.1]:tcp:80', quorumUp: true, weightSum: 2 });
    expect(vs!.realServers.map((s) => [s.address, s.healthy, s.weight, s.drained, s.inTable])).toEqual([
      ['192.168.0.1', true, 1, false, true],
      ['192.168.0.2', true, 0, true, true],
    ]);
    expect(vs!.realServers[1]!.counters).toMatchObject({ activeConnections: 0 });
    // Again: no change, nothing logged twice.
    expect((await lvs.setDrained('10.0.0.1:80', '192.168.0.2', null, true)).ok).toBe(true);
    expect(log.messages().filter((m) => m.startsWith('Draining')).length).toBe(1);

    await lvs.reload(cfg());
    expect(view(kernel)[0]!.dests).toEqual(['192.168.0.1:1', '192.168.0.2:0']);
    expect((await lvs.status()).virtualServers[0]!.realServers[1]!.drained).toBe(true);

    await lvs.setDrained('10.0.0.1:80', '192.168.0.2:80', 'TCP', false);
    expect(view(kernel)[0]!.dests).toEqual(['192.168.0.1:1', '192.168.0.2:1']);
    await lvs.stop();
  });

  it('an unknown virtual or real server is an error; a reload that removes a drained server forgets it', async () => {
    const c = cfg();
    const { host, lvs } = await setup(c, tableFor(c, new Set()));
    host.onDrain = (d) => tableFor(c, d);
    await lvs.start();
    expect(await lvs.setDrained('10.0.0.9:80', '192.168.0.2:80', null, true)).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(await lvs.setDrained('10.0.0.1:80', '192.168.0.7:80', null, true)).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(await lvs.setDrained('10.0.0.1', 'nonsense', null, true)).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    await lvs.setDrained('10.0.0.1:80', '192.168.0.2:80', null, true);
    const smaller = config([virtualServer('10.0.0.1', 80, [realServer('192.168.0.1', 80, [])])]);
    await lvs.reload(smaller);
    expect([...host.drained]).toEqual([]);
    await lvs.stop();
  });

  it('--no-ipvs: status shows the dry run and null kernel counters', async () => {
    const c = cfg();
    const { lvs } = await setup(c, tableFor(c, new Set()), { noIpvs: true });
    await lvs.start();
    const s = await lvs.status();
    expect(s.ipvs).toBe('dry-run');
    expect(s.virtualServers[0]!.counters).toBeNull();
    expect(s.virtualServers[0]!.realServers.every((r) => r.counters === null)).toBe(true);
    await lvs.stop();
  });
});
