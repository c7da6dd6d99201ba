// The readable forms: `keepalived-ts status` tables and the reload report.
import { describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../../src/contracts/status.js';
import { duration, formatReloadReport, formatStatus, table } from '../../../src/daemon/status-format.js';

const NOW = '2025-01-01T12:00:00.000Z';
const before = (ms: number) => new Date(Date.parse(NOW) - ms).toISOString();

const status: DaemonStatus = {
  schema: 1,
  version: '0.1.0',
  pid: 42,
  generatedAt: NOW,
  startedAt: before(3_723_000),
  configFile: '/etc/keepalived/keepalived.conf',
  lastReload: null,
  vrrp: {
    instances: [
      {
        name: 'VI_1',
        interface: 'eth0',
        vrid: 51,
        state: 'MASTER',
        wantState: 'MASTER',
        basePriority: 100,
        effectivePriority: 120,
        trackers: [
          {
            kind: 'interface',
            name: 'eth0',
            weight: 0,
            reverse: false,
            value: 'up',
            contribution: 0,
            fault: false,
          },
          {
            kind: 'script',
            name: 'chk',
            weight: 20,
            reverse: false,
            value: 'up',
            contribution: 20,
            fault: false,
          },
        ],
        fault: null,
        standby: false,
        masterAddress: '10.0.0.1',
        masterPriority: 120,
        vips: ['10.0.0.100/32 dev eth0'],
        advertIntervalMs: 1000,
        inStateMs: 65_000,
        lastTransition: { from: 'BACKUP', to: 'MASTER', reason: 'master-down-timeout', at: before(65_000) },
        counters: {},
      },
    ],
  },
  lvs: {
    ipvs: 'dry-run',
    virtualServers: [
      {
        key: 'TCP:10.0.0.100:80',
        name: '[10.0.0.100]:tcp:80',
        family: 'inet',
        protocol: 'TCP',
        address: '10.0.0.100',
        port: 80,
        fwmark: null,
        group: null,
        scheduler: 'rr',
        quorum: 1,
        hysteresis: 0,
        quorumUp: true,
        weightSum: 1,
        sorryServer: null,
        counters: null,
        realServers: [
          {
            key: '10.0.1.1|80',
            name: '[10.0.1.1]:tcp:80',
            address: '10.0.1.1',
            port: 80,
            healthy: true,
            weight: 0,
            configuredWeight: 1,
            effectiveWeight: 1,
            inTable: true,
            drained: true,
            drainedAt: before(10_000),
            lastTransitionAt: null,
            lastCheck: { ok: true, reason: null, latencyMs: 1.234, at: before(2000) },
            checkers: [],
            counters: null,
          },
          {
            key: '10.0.1.2|80',
            name: '[10.0.1.2]:tcp:80',
            address: '10.0.1.2',
            port: 80,
            healthy: false,
            weight: 0,
            configuredWeight: 1,
            effectiveWeight: 1,
            inTable: false,
            drained: false,
            drainedAt: null,
            lastTransitionAt: before(5000),
            lastCheck: { ok: false, reason: 'Timeout connecting', latencyMs: 1000, at: before(1000) },
            checkers: [],
            counters: null,
          },
        ],
      },
    ],
  },
};

describe('status formatting', () => {
  it('aligns columns and writes durations', () => {
    expect(
      table(
        [
          ['A', 'BB', 'C'],
          ['long', 'x', 'y'],
        ],
        ' ',
      ),
    ).toEqual([' A     BB  C', ' long  x   y']);
    expect([5_000, 187_000, 7_500_000, 277_000_000].map(duration)).toEqual(['5s', '3m07s', '2h05m', '3d04h']);
  });

  it('prints the instances and each virtual server with its real servers', () => {
    expect(formatStatus(status)).toBe(
      [
        'keepalived-ts 0.1.0, pid 42, up 1h02m, config /etc/keepalived/keepalived.conf',
        '',
        'VRRP instances',
        '  NAME  STATE   PRIO  BASE  MASTER    VIPS                    IN STATE  LAST TRANSITION',
        '  VI_1  MASTER  120   100   10.0.0.1  10.0.0.100/32 dev eth0  1m05s     BACKUP->MASTER (master-down-timeout) 1m05s ago',
        '  VI_1 trackers: script chk +20 (up)',
        '',
        'Virtual servers (IPVS: dry-run)',
        '  [10.0.0.100]:tcp:80  rr  quorum 1 met (weight sum 1)',
        '    REAL SERVER        HEALTH  WEIGHT  CONF  DRAIN    ACTIVE  CONNS  LAST CHECK',
        '    [10.0.1.1]:tcp:80  up      0       1     drained  -       -      ok 1.2ms 2s ago',
        '    [10.0.1.2]:tcp:80  down    -       1     -        -       -      failed: Timeout connecting 1000.0ms 1s ago',
        '',
      ].join('\n'),
    );
  });

  it('prints a refused reload with its diagnostics, and an applied one with its changes', () => {
    expect(
      formatReloadReport({
        applied: false,
        reason: 'configuration errors, keeping the running configuration',
        durationMs: 3,
        diagnostics: [
          {
            severity: 'fatal',
            code: 'missing-close-brace',
            message: 'x',
            file: '/k.conf',
            line: 7,
            text: '(Line 7) x',
          },
        ],
        changes: null,
      }),
    ).toBe('fatal: (Line 7) x\nReload refused: configuration errors, keeping the running configuration\n');
    expect(
      formatReloadReport({
        applied: true,
        reason: null,
        durationMs: 12,
        diagnostics: [],
        changes: {
          instances: { added: [], removed: [], changed: ['VI_1'] },
          vips: { added: ['VI_1: 10.0.0.101/32 dev eth0'], removed: [] },
          virtualServers: { added: [], removed: [], changed: [] },
          realServers: { added: ['[10.0.0.100]:tcp:80 [10.0.1.3]:tcp:80'], removed: [], changed: [] },
        },
      }),
    ).toBe(
      [
        '  ~ instance VI_1',
        '  + VIP VI_1: 10.0.0.101/32 dev eth0',
        '  + real server [10.0.0.100]:tcp:80 [10.0.1.3]:tcp:80',
        'Reload applied in 12 ms',
        '',
      ].join('\n'),
    );
  });
});
