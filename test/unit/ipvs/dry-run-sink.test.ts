// `--no-ipvs`: the writer's one apply loop over the dry-run sink. Ops are reconciled against an
// in-memory table and logged at detail level; nothing is released on stop.
import { describe, expect, it } from 'vitest';
import type { DesiredService } from '../../../src/contracts/ipvs-table.js';
import { describeOp, DryRunSink } from '../../../src/ipvs/dry-run-sink.js';
import type { DestinationSpec, ServiceIdentity, ServiceSpec } from '../../../src/ipvs/types.js';
import { IpvsWriter } from '../../../src/ipvs/writer.js';
import { MemoryLogger } from '../../../src/util/log.js';

const addr: ServiceIdentity = { kind: 'addr', family: 'inet', protocol: 6, address: '10.0.0.1', port: 80 };
const fwm: ServiceIdentity = { kind: 'fwmark', family: 'inet6', fwmark: 5 };
const spec = (id: ServiceIdentity): ServiceSpec => ({
  id,
  scheduler: 'rr',
  flags: 0,
  timeout: 0,
  netmask: 0xffffffff,
  peName: null,
});
const dest: DestinationSpec = {
  family: 'inet',
  address: '192.168.0.1',
  port: 8080,
  forwarding: 'NAT',
  weight: 3,
  upperThreshold: 0,
  lowerThreshold: 0,
  tunnel: null,
};

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
const service = (weights: readonly number[]): DesiredService => ({
  key: 'vs80',
  family: 'inet',
  protocol: 'TCP',
  address: '10.0.0.1',
  port: 80,
  fwmark: null,
  scheduler: 'wlc',
  persistenceTimeout: 0,
  persistenceGranularity: null,
  flags: noFlags,
  destinations: weights.map((weight, i) => ({
    key: `rs${i + 1}`,
    address: `192.168.0.${i + 1}`,
    family: 'inet',
    port: 80,
    weight,
    forwardingMethod: 'NAT',
    tunnel: null,
    uthreshold: 0,
    lthreshold: 0,
  })),
});

const detail = (log: MemoryLogger): string[] =>
  log.lines.filter((l) => l.level === 'detail').map((l) => l.message);

describe('dry-run sink', () => {
  it('describes every op kind', () => {
    expect(describeOp({ kind: 'add-service', service: spec(addr) })).toBe(
      'NEW_SERVICE 10.0.0.1:tcp:80 scheduler rr',
    );
    expect(describeOp({ kind: 'edit-service', service: spec(fwm) })).toBe(
      'SET_SERVICE Fwm 5 inet6 scheduler rr',
    );
    expect(describeOp({ kind: 'del-service', service: addr })).toBe('DEL_SERVICE 10.0.0.1:tcp:80');
    expect(describeOp({ kind: 'add-dest', service: addr, dest })).toBe(
      'NEW_DEST 10.0.0.1:tcp:80 -> 192.168.0.1:8080 weight 3',
    );
    expect(describeOp({ kind: 'edit-dest', service: addr, dest })).toBe(
      'SET_DEST 10.0.0.1:tcp:80 -> 192.168.0.1:8080 weight 3',
    );
    expect(describeOp({ kind: 'del-dest', service: addr, dest })).toBe(
      'DEL_DEST 10.0.0.1:tcp:80 -> 192.168.0.1:8080',
    );
  });

  it('accepts every op, keeps the table in memory and dumps it with no statistics', async () => {
    const log = new MemoryLogger();
    const sink = new DryRunSink(log);
    const results = await sink.run([
      { kind: 'add-service', service: spec(addr) },
      { kind: 'add-dest', service: addr, dest },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    const dumped = await sink.dump();
    if (!dumped.ok) throw new Error(dumped.error.message);
    const entry = dumped.value.services.get('tcp|10.0.0.1|80');
    expect(entry?.service).toMatchObject({ scheduler: 'rr', stats: null });
    expect([...(entry?.destinations.values() ?? [])]).toEqual([
      { ...dest, activeConns: 0, inactiveConns: 0, persistConns: 0, stats: null },
    ]);
    expect((await sink.flush()).ok).toBe(true);
    const flushed = await sink.dump();
    expect(flushed.ok && flushed.value.services.size).toBe(0);
    expect((await sink.info()).ok).toBe(false);
    expect(await sink.getTimeouts()).toBeNull();
    expect(log.lines.filter((l) => l.level !== 'detail')).toEqual([]);
  });

  it('the writer logs the reconciled ops, the same way on every apply, and releases nothing on stop', async () => {
    const log = new MemoryLogger();
    const writer = IpvsWriter.dryRun(log);
    expect(
      await writer.start({
        flush: true,
        timeouts: { tcp: 900 },
        desired: { services: [service([1, 1])] },
      }),
    ).toEqual({ ops: 3, failed: 0 });
    expect(await writer.apply({ services: [service([1, 1])] })).toEqual({ ops: 0, failed: 0 });
    await writer.apply({ services: [service([4])] });
    await writer.startSyncDaemon({
      state: 'master',
      interface: 'eth0',
      syncId: 1,
      maxlen: null,
      port: null,
      ttl: null,
      group: null,
    });
    expect(await writer.stop({ release: true, flushOnStop: 'off' })).toEqual({ ops: 0, failed: 0 });
    writer.close();
    expect(detail(log).map((m) => m.replace('IPVS (--no-ipvs, not programmed): ', ''))).toEqual([
      'NEW_SERVICE 10.0.0.1:tcp:80 scheduler wlc',
      'NEW_DEST 10.0.0.1:tcp:80 -> 192.168.0.1:80 weight 1',
      'NEW_DEST 10.0.0.1:tcp:80 -> 192.168.0.2:80 weight 1',
      'DEL_DEST 10.0.0.1:tcp:80 -> 192.168.0.2:80',
      'SET_DEST 10.0.0.1:tcp:80 -> 192.168.0.1:80 weight 4',
    ]);
    expect(detail(log).every((m) => m.startsWith('IPVS (--no-ipvs, not programmed): '))).toBe(true);
    expect(log.lines.filter((l) => l.level !== 'detail')).toEqual([]);
  });
});
