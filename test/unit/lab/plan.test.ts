// The lab's plan (lab/plan.ts): its configs are clean keepalived.conf for the project's own front
// end, its table model reads ipvsadm's output, and the outage arithmetic of the failover steps.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import {
  LAB_MODES,
  canonicalTable,
  connectionCounts,
  directorConfig,
  expectedTable,
  masterDownIntervalMs,
  outage,
  topology,
} from '../../../lab/plan.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-lab-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('director configs', () => {
  for (const mode of LAB_MODES)
    for (const director of ['a', 'b'] as const)
      for (const sync of [true, false])
        it(`${mode} ${director} sync ${sync}: loads with no diagnostic`, async () => {
          const file = join(dir, `${mode}-${director}-${sync}.conf`);
          writeFileSync(file, directorConfig({ mode, director, sync }));
          const r = await loadConfig(file, {
            configId: null,
            checkInterfaces: true,
            interfaceNames: ['lo', 'eth0', 'eth1'],
          });
          expect(r.diagnostics).toEqual([]);
          expect(r.exitCode).toBe(0);
          const vs = r.config!.virtualServers;
          expect(vs.map((v) => v.realServers.length)).toEqual([2, 2, 2, 2, 2]);
          expect(r.config!.vrrpInstances.map((i) => i.priority)).toEqual(
            mode === 'nat'
              ? [director === 'a' ? 150 : 100, director === 'a' ? 150 : 100]
              : [director === 'a' ? 150 : 100],
          );
        });
});

const IPVSADM = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.77.0.50:80 rr
  -> 10.77.0.11:80                Route   1      3          7
  -> 10.77.0.12:80                Route   1      0          2
TCP  10.77.0.50:81 wrr
  -> 10.77.0.11:81                Route   2      0          0
  -> 10.77.0.12:81                Route   1      0          0
TCP  10.77.0.50:82 sh
  -> 10.77.0.11:82                Route   1      0          0
  -> 10.77.0.12:82                Route   1      0          0
TCP  10.77.0.50:83 rr persistent 3
  -> 10.77.0.11:83                Route   1      0          0
  -> 10.77.0.12:83                Route   1      0          0
TCP  10.77.0.50:9000 rr
  -> 10.77.0.11:9000              Route   1      0          0
  -> 10.77.0.12:9000              Route   1      0          0
`;

describe('tables', () => {
  it('reads ipvsadm -Ln into the canonical form of the expected table', () => {
    expect(canonicalTable(IPVSADM)).toEqual(expectedTable('dr'));
    expect(canonicalTable(IPVSADM)).not.toEqual(expectedTable('tun'));
  });
  it('a server whose web server is down leaves the HTTP services only', () => {
    const down = expectedTable('nat', ['rs1']);
    expect(down.filter((l) => l.includes('10.78.0.11'))).toEqual([
      'TCP 10.77.0.50:9000 -> 10.78.0.11:9000 Masq 1',
    ]);
    expect(down.length).toBe(expectedTable('nat').length - 4);
  });
  it('reads the connection counters', () => {
    const c = connectionCounts(IPVSADM);
    expect(c.get('10.77.0.50:80 10.77.0.11:80')).toEqual({ active: 3, inactive: 7 });
    expect(c.get('10.77.0.50:80 10.77.0.12:80')).toEqual({ active: 0, inactive: 2 });
  });
  it('NAT puts the real servers on the inside network only', () => {
    const t = topology('nat');
    expect(t.perNamespace.get('kts-lab-rs1')).toContain('route add default via 10.78.0.1');
    expect(t.perNamespace.get('kts-lab-rs1')!.some((l) => l.includes('10.77.0.'))).toBe(false);
    expect(
      topology('dr')
        .perNamespace.get('kts-lab-rs1')!
        .some((l) => l.includes('10.78.0.')),
    ).toBe(false);
  });
});

describe('outage', () => {
  it('Master_Down_Interval at priority 100 and 1 s adverts (RFC 3768 6.1)', () => {
    expect(masterDownIntervalMs(100)).toBeCloseTo(3609.375, 3);
  });
  it('counts the failures around the event and when service resumed', () => {
    const at = 10_000;
    const samples = [
      { t: 9_000, ok: false, server: 'before the window' },
      { t: 9_600, ok: true, server: 'rs1' },
      { t: 9_700, ok: false, server: 'timeout' },
      { t: 10_100, ok: false, server: 'timeout' },
      { t: 13_500, ok: false, server: 'timeout' },
      { t: 13_600, ok: true, server: 'rs2' },
      { t: 13_700, ok: true, server: 'rs1' },
    ];
    expect(outage(samples, at, 500)).toEqual({ failed: 3, total: 6, resumedAfterMs: 3600, okAfter: 2 });
  });
  it('no failure: resumed at once; failures to the end: never', () => {
    expect(outage([{ t: 1, ok: true, server: 'rs1' }], 0, 500).resumedAfterMs).toBe(0);
    expect(outage([{ t: 1, ok: false, server: 'x' }], 0, 500).resumedAfterMs).toBe(Infinity);
  });
});
