import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { GenlConnection } from '../../../src/ipvs/genl-conn.js';
import { IpvsWriter, formatIpvsError } from '../../../src/ipvs/writer.js';
import { formatTable } from '../../../src/ipvs/format.js';
import type { DesiredService, DesiredTable } from '../../../src/contracts/ipvs-table.js';
import * as C from '../../../src/ipvs/constants.js';
import { FakeKernel } from './fake-kernel.js';

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
const rs = (last: number, weight = 1) => ({
  key: `rs${last}`,
  address: `192.168.0.${last}`,
  family: 'inet' as const,
  port: 80,
  weight,
  forwardingMethod: 'NAT' as 'NAT' | 'DR' | 'TUN',
  tunnel: null,
  uthreshold: 0,
  lthreshold: 0,
});
const vs = (port: number, dests = [rs(1), rs(2)], over: Partial<DesiredService> = {}): DesiredService => ({
  key: `vs${port}`,
  family: 'inet',
  protocol: 'TCP',
  address: '10.0.0.1',
  port,
  fwmark: null,
  scheduler: 'wlc',
  persistenceTimeout: 0,
  persistenceGranularity: null,
  flags: noFlags,
  destinations: dests,
  ...over,
});

async function setup() {
  const kernel = new FakeKernel();
  const log = new MemoryLogger();
  const conn = new GenlConnection(kernel, { clock: new ManualClock() });
  const w = await IpvsWriter.open(conn, log);
  if (!w.ok) throw new Error(w.error.message);
  return { kernel, log, writer: w.value };
}

const kernelView = (k: FakeKernel) =>
  [...k.services.entries()].map(([key, s]) => [
    key,
    s.service.scheduler,
    [...s.dests.values()].map((d) => `${d.address}:${d.weight}`).sort(),
  ]);

describe('IpvsWriter against the fake kernel', () => {
  it('start programs services and destinations; a second apply sends nothing', async () => {
    const { kernel, writer } = await setup();
    const desired: DesiredTable = { services: [vs(80), vs(443)] };
    expect(await writer.start({ flush: false, timeouts: null, desired })).toEqual({ ops: 6, failed: 0 });
    expect(kernelView(kernel)).toEqual([
      ['tcp|10.0.0.1|80', 'wlc', ['192.168.0.1:1', '192.168.0.2:1']],
      ['tcp|10.0.0.1|443', 'wlc', ['192.168.0.1:1', '192.168.0.2:1']],
    ]);
    const before = kernel.commands.length;
    expect(await writer.apply(desired)).toEqual({ ops: 0, failed: 0 });
    expect(kernel.commands.length).toBe(before);
  });

  it('applies weight changes, inhibit (weight 0), removal and scheduler change minimally', async () => {
    const { kernel, writer } = await setup();
    await writer.start({ flush: false, timeouts: null, desired: { services: [vs(80)] } });
    const r = await writer.apply({ services: [vs(80, [rs(1, 0), rs(3)], { scheduler: 'rr' })] });
    expect(r).toEqual({ ops: 4, failed: 0 }); // edit-service, del rs2, edit rs1, add rs3
    expect(kernelView(kernel)).toEqual([['tcp|10.0.0.1|80', 'rr', ['192.168.0.1:0', '192.168.0.3:1']]]);
  });

  it('restart converges on an existing table without duplicates and leaves foreign services alone', async () => {
    const first = await setup();
    await first.writer.start({ flush: false, timeouts: null, desired: { services: [vs(80)] } });
    // A foreign service someone else made.
    first.kernel.services.set('udp|10.9.9.9|53', {
      service: {
        id: { kind: 'addr', family: 'inet', protocol: 17, address: '10.9.9.9', port: 53 },
        scheduler: 'rr',
        flags: 0,
        timeout: 0,
        netmask: 0xffffffff,
        peName: null,
        stats: null,
      },
      dests: new Map(),
    });
    // "SIGKILL": a new writer on the same kernel, with one weight changed.
    const conn = new GenlConnection(first.kernel, { clock: new ManualClock() });
    const w2 = await IpvsWriter.open(conn, first.log);
    if (!w2.ok) throw new Error('open');
    const r = await w2.value.start({
      flush: false,
      timeouts: null,
      desired: { services: [vs(80, [rs(1, 7), rs(2)])] },
    });
    expect(r).toEqual({ ops: 1, failed: 0 });
    expect(first.kernel.services.size).toBe(2);
    await w2.value.stop({ release: true, flushOnStop: 'off' });
    expect([...first.kernel.services.keys()]).toEqual(['udp|10.9.9.9|53']);
  });

  it('logs kernel errors in keepalived wording, never throws, and retries on the next apply', async () => {
    const { kernel, writer, log } = await setup();
    kernel.failCommands.set(C.IPVS_CMD.NEW_DEST, C.ERRNO.EINVAL);
    const r = await writer.start({ flush: false, timeouts: null, desired: { services: [vs(80, [rs(1)])] } });
    expect(r).toEqual({ ops: 2, failed: 1 });
    expect(log.messages()).toContain(
      'IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Invalid operation.  Possibly wrong module version, address not unicast, ...(22) (10.0.0.1:tcp:80 -> 192.168.0.1:80)',
    );
    kernel.failCommands.clear();
    expect(await writer.apply({ services: [vs(80, [rs(1)])] })).toEqual({ ops: 1, failed: 0 });
    expect(kernelView(kernel)).toEqual([['tcp|10.0.0.1|80', 'wlc', ['192.168.0.1:1']]]);
  });

  /** A service someone else made with ipvsadm (rr), with destination 192.168.0.1:80 at `weight`. */
  const outOfBand = (kernel: FakeKernel, port: number, weight: number) => {
    const id = { kind: 'addr', family: 'inet', protocol: 6, address: '10.0.0.1', port } as const;
    const service = {
      id,
      scheduler: 'rr',
      flags: 0,
      timeout: 0,
      netmask: 0xffffffff,
      peName: null,
      stats: null,
    };
    const dest = {
      address: '192.168.0.1',
      family: 'inet' as const,
      port: 80,
      forwarding: 'DR' as const,
      weight,
      upperThreshold: 0,
      lowerThreshold: 0,
      tunnel: null,
      activeConns: 0,
      inactiveConns: 0,
      persistConns: 0,
      stats: null,
    };
    kernel.services.set(`tcp|10.0.0.1|${port}`, { service, dests: new Map([['192.168.0.1|80', dest]]) });
  };

  it('treats EEXIST on add as success and aligns attributes with an edit', async () => {
    const { kernel, writer, log } = await setup();
    await writer.start({ flush: false, timeouts: null, desired: { services: [vs(80, [rs(1)])] } });
    // Made after the writer's dump: its adds of the service and the destination meet EEXIST.
    outOfBand(kernel, 443, 9);
    const r = await writer.apply({ services: [vs(80, [rs(1)]), vs(443, [rs(1, 3), rs(2)])] });
    expect(r.failed).toBe(0);
    expect(kernelView(kernel)).toEqual([
      ['tcp|10.0.0.1|80', 'wlc', ['192.168.0.1:1']],
      ['tcp|10.0.0.1|443', 'wlc', ['192.168.0.1:3', '192.168.0.2:1']],
    ]);
    expect(kernel.services.get('tcp|10.0.0.1|443')!.dests.get('192.168.0.1|80')!.forwarding).toBe('NAT');
    expect(log.messages().filter((m) => m.includes('IPVS cmd'))).toEqual([]);
  });

  it("a service whose add fails (a scheduler the kernel lacks) gets keepalived's two lines, not a re-add", async () => {
    const { kernel, writer, log } = await setup();
    await writer.start({ flush: false, timeouts: null, desired: { services: [vs(80)] } });
    // keepalived 2.2.7: the ADD fails, then the ADDDEST into the service that is not there.
    const r = await writer.apply({ services: [vs(80), vs(443, [rs(1)], { scheduler: 'nosuch' })] });
    expect(r).toEqual({ ops: 2, failed: 2 });
    expect(log.messages().filter((m) => m.startsWith('IPVS'))).toEqual([
      'IPVS cmd IP_VS_SO_SET_ADD(1154) error: Scheduler or persistence engine not found(2) (10.0.0.1:tcp:443)',
      'IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Service not defined(3) (10.0.0.1:tcp:443 -> 192.168.0.1:80)',
    ]);
    expect(kernel.services.has('tcp|10.0.0.1|443')).toBe(false);
  });

  it('a service deleted behind its back (ESRCH) is added again whole, with the destinations wanted now', async () => {
    const { kernel, writer, log } = await setup();
    await writer.start({ flush: false, timeouts: null, desired: { services: [vs(80), vs(443)] } });
    // ipvsadm -D of both services; then a destination edit (weight) and a removal (health down).
    kernel.services.delete('tcp|10.0.0.1|80');
    kernel.services.delete('tcp|10.0.0.1|443');
    const r = await writer.apply({ services: [vs(80, [rs(1, 3), rs(2)]), vs(443, [rs(2)])] });
    expect(r).toEqual({ ops: 2, failed: 0 });
    expect(kernelView(kernel)).toEqual([
      ['tcp|10.0.0.1|80', 'wlc', ['192.168.0.1:3', '192.168.0.2:1']],
      ['tcp|10.0.0.1|443', 'wlc', ['192.168.0.2:1']],
    ]);
    expect(log.messages()).toContain(
      'IPVS cmd IP_VS_SO_SET_EDITDEST(1161) error: Service not defined(3) (10.0.0.1:tcp:80 -> 192.168.0.1:80)',
    );
    expect(log.messages()).toContain('IPVS: 10.0.0.1:tcp:80 is gone from the kernel - adding it again');
    expect(log.messages()).toContain('IPVS: 10.0.0.1:tcp:443 is gone from the kernel - adding it again');
    // Tracked again: nothing left to do.
    expect(await writer.apply({ services: [vs(80, [rs(1, 3), rs(2)]), vs(443, [rs(2)])] })).toEqual({
      ops: 0,
      failed: 0,
    });
    // A stop that finds a service gone does not bring it back.
    kernel.services.delete('tcp|10.0.0.1|443');
    await writer.stop({ release: true, flushOnStop: 'off' });
    expect(kernel.services.size).toBe(0);
  });

  it('a health change on a service deleted behind its back brings the service back', async () => {
    const { kernel, writer } = await setup();
    const desired: DesiredTable = { services: [vs(80)] };
    await writer.start({ flush: false, timeouts: null, desired });
    kernel.services.delete('tcp|10.0.0.1|80');
    // rs1 down: its DEL_DEST meets ESRCH.
    const r = await writer.applyChanges([{ service: 'vs80', key: 'rs1', destination: null }]);
    expect(r.failed).toBe(0);
    expect(kernelView(kernel)).toEqual([['tcp|10.0.0.1|80', 'wlc', ['192.168.0.2:1']]]);
  });

  it('stop with lvs_flush_on_stop sends one FLUSH; -I leaves the table', async () => {
    const a = await setup();
    await a.writer.start({ flush: false, timeouts: null, desired: { services: [vs(80)] } });
    await a.writer.stop({ release: false, flushOnStop: 'off' });
    expect(a.kernel.services.size).toBe(1);
    await a.writer.stop({ release: true, flushOnStop: 'all' });
    expect(a.kernel.services.size).toBe(0);
  });

  it('sets and restores lvs_timeouts; starts and stops the sync daemon', async () => {
    const { kernel, writer } = await setup();
    await writer.start({ flush: true, timeouts: { tcp: 60 }, desired: { services: [] } });
    expect(kernel.timeouts).toEqual({ tcp: 60, tcpFin: 120, udp: 300 });
    expect(
      await writer.startSyncDaemon({
        state: 'master',
        interface: 'eth0',
        syncId: 1,
        maxlen: null,
        port: null,
        ttl: null,
        group: null,
      }),
    ).toBe(true);
    expect(kernel.daemons).toEqual([{ state: 1, ifn: 'eth0' }]);
    expect(await writer.stopSyncDaemon('master')).toBe(true);
    await writer.stop({ release: true, flushOnStop: 'off' });
    expect(kernel.timeouts).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  });

  it('prints the dump in ipvsadm -Ln layout', async () => {
    const { writer } = await setup();
    await writer.start({
      flush: false,
      timeouts: null,
      desired: {
        services: [
          vs(80, [rs(2, 5), { ...rs(1), forwardingMethod: 'DR' }], {
            persistenceTimeout: 300,
            persistenceGranularity: '255.255.255.0',
          }),
          vs(0, [], {
            protocol: null,
            address: null,
            port: null,
            fwmark: 10,
            scheduler: 'sh',
            flags: { ...noFlags, shPort: true, shFallback: true },
          }),
        ],
      },
    });
    const info = await writer.info();
    const table = await writer.dump();
    if (!info.ok || !table.ok) throw new Error('dump');
    expect(formatTable(info.value, table.value, 'plain')).toBe(
      [
        'IP Virtual Server version 1.2.1 (size=4096)',
        'Prot LocalAddress:Port Scheduler Flags',
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
        'TCP  10.0.0.1:80 wlc persistent 300 mask 255.255.255.0',
        // printf("  -> %-28s %-7s %-6d %-10u %-10u\n", ...) as ipvsadm
        '  -> ' + '192.168.0.1:80'.padEnd(28) + ' Route   1      0          0         ',
        '  -> ' + '192.168.0.2:80'.padEnd(28) + ' Masq    5      0          0         ',
        'FWM  10 sh (sh-fallback,sh-port)',
        '',
      ].join('\n'),
    );
  });

  it('formats keepalived error lines for fwmark and IPv6 services', () => {
    expect(formatIpvsError('DEL', 3, { kind: 'fwmark', family: 'inet6', fwmark: 5 }, null)).toBe(
      'IPVS cmd IP_VS_SO_SET_DEL(1156) error: No such service(3) (Fwm 5 inet6)',
    );
  });
});
