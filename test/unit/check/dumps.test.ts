/**
 * keepalived_check.data and keepalived_check.json: the layout of keepalived 2.2.7's
 * check_data.c / check_api.c dump functions (keepalived's checker cannot run on this machine's
 * kernel, which has no IPVS, so these goldens follow its source line by line).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDataText, checkJsonEntries, cmdStr } from '../../../src/check/dumps.js';
import type { CheckerStatus } from '../../../src/check/pool.js';
import type { PoolHealth } from '../../../src/check/table.js';
import { lvsStatus } from '../../../src/daemon/lvs-status.js';
import { build } from '../config/schema-helpers.js';

const CONF = `
virtual_server 10.1.0.10 80 {
  delay_loop 6
  lb_algo wlc
  lb_kind NAT
  protocol TCP
  quorum 1
  sorry_server 10.1.0.99 8080
  real_server 10.1.0.11 80 {
    weight 3
    TCP_CHECK {
      connect_timeout 3
      retry 2
      delay_before_retry 1
    }
  }
  real_server 10.1.0.12 80 {
    weight 1
    inhibit_on_failure
    HTTP_GET {
      url {
        path /health
        status_code 200 201
      }
      connect_timeout 2
    }
    MISC_CHECK {
      misc_path "/usr/local/bin/probe --fast"
      misc_timeout 4
    }
  }
}
`;

describe('checkDataText (check_data.c dump_check_data)', () => {
  beforeAll(() => {
    process.env['TZ'] = 'UTC';
  });
  const { config } = build(CONF);
  const vs = config.virtualServers[0]!;
  const health: PoolHealth = {
    virtualServers: new Map([
      [
        vs.key,
        {
          quorumUp: true,
          realServers: new Map([
            [vs.realServers[0]!.key, { alive: true, effectiveWeight: 3 }],
            [vs.realServers[1]!.key, { alive: false, effectiveWeight: 1 }],
          ]),
        },
      ],
    ]),
  };
  const at = Date.UTC(2026, 11, 1, 23, 4, 55, 199);
  const checkers: CheckerStatus[] = [
    {
      vs: vs.key,
      rs: vs.realServers[0]!.key,
      type: 'TCP_CHECK',
      target: '[10.1.0.11]:tcp:80',
      up: true,
      retryIt: 0,
      lastResult: { kind: 'up', weight: null, notes: [] },
      latencyMs: 0.4,
      lastAttemptAt: at,
    },
    {
      vs: vs.key,
      rs: vs.realServers[1]!.key,
      type: 'HTTP_GET',
      target: '[10.1.0.12]:tcp:80',
      up: false,
      retryIt: 1,
      lastResult: { kind: 'down', reason: 'Timeout connecting', detail: '' },
      latencyMs: 2000,
      lastAttemptAt: at,
    },
    {
      vs: vs.key,
      rs: vs.realServers[1]!.key,
      type: 'MISC_CHECK',
      target: '[10.1.0.12]:tcp:80',
      up: false,
      retryIt: 0,
      lastResult: { kind: 'down', reason: 'failed', detail: '(exited with status 3)' },
      latencyMs: 10,
      lastAttemptAt: at,
    },
  ];
  const table = {
    services: [
      {
        key: vs.key,
        family: 'inet' as const,
        protocol: 'TCP' as const,
        address: '10.1.0.10',
        port: 80,
        fwmark: null,
        scheduler: 'wlc',
        persistenceTimeout: 0,
        persistenceGranularity: null,
        flags: vs.flags,
        destinations: [
          {
            key: vs.realServers[0]!.key,
            address: '10.1.0.11',
            family: 'inet' as const,
            port: 80,
            weight: 3,
            forwardingMethod: 'NAT' as const,
            tunnel: null,
            uthreshold: 0,
            lthreshold: 0,
          },
        ],
      },
    ],
  };
  const status = lvsStatus({
    config,
    health,
    table,
    drained: new Map(),
    transitions: new Map(),
    checkers,
    ipvs: 'dry-run',
    kernel: null,
  });
  const idsOf = () => ({ uid: 0, gid: 0 });

  it('writes the LVS topology and the health checkers in keepalived 2.2.7 layout', () => {
    expect(checkDataText({ config, status, checkers, idsOf }).split('\n')).toEqual([
      '------< LVS Topology >------',
      ' System is compiled with LVS v1.2.1',
      ' ------< Virtual server >------',
      ' VS VIP = 10.1.0.10, VPORT = 80',
      '   Address family = inet',
      '   connection timeout = 5.000000',
      '   delay_loop = 6.000000',
      '   lvs_sched = wlc',
      '   Hashed = disabled',
      '   flag-1 = disabled',
      '   flag-2 = disabled',
      '   flag-3 = disabled',
      '   One packet scheduling = disabled',
      '   protocol = TCP',
      '   alpha is OFF',
      '   omega is OFF',
      '   Inhibit on failure is OFF',
      '   quorum = 1, hysteresis = 0',
      '   Using smtp notification = no',
      '   default forwarding method = NAT',
      '   sorry server = [10.1.0.99]:tcp:8080',
      '     forwarding method = NAT',
      '     Inhibit on failure is OFF',
      '   alive = 1',
      '   quorum_state_up = 1',
      '   reloaded = 0',
      '   ------< Real server >------',
      '   RIP = 10.1.0.11, RPORT = 80, WEIGHT = 3 EFF WEIGHT = 3',
      '   forwarding method = NAT',
      '   Alpha is OFF',
      '   connection timeout = 3.000000',
      '   connection limit range = 0 -> 0',
      '   Delay loop = 6.000000',
      '   Inhibit on failure is OFF',
      '   Using smtp notification = yes',
      '   initial weight = 3',
      '   effective weight = 3',
      '   previous effective_weight = 3',
      '   alive = 1',
      '   num failed checkers = 0',
      '   RS set = 1',
      '   reloaded = 0',
      '   ------< Real server >------',
      '   RIP = 10.1.0.12, RPORT = 80, WEIGHT = 1 EFF WEIGHT = 1',
      '   forwarding method = NAT',
      '   Alpha is OFF',
      '   connection timeout = 2.000000',
      '   connection limit range = 0 -> 0',
      '   Delay loop = 6.000000',
      '   Inhibit on failure is ON',
      '   Using smtp notification = yes',
      '   initial weight = 1',
      '   effective weight = 1',
      '   previous effective_weight = 1',
      '   alive = 0',
      '   num failed checkers = 2',
      '   RS set = 0',
      '   reloaded = 0',
      '------< Health checkers >------',
      ' [10.1.0.10]:tcp:80 -> [10.1.0.11]:tcp:80',
      '   Enabled = yes',
      '   Up = yes',
      '   Has run = yes',
      '   Current weight = 0',
      '   Alpha = no',
      '   Delay loop = 6000000 us',
      '   Warmup = 6000000 us',
      '   Retries = 2',
      '   Delay before retry = 1000000 us',
      '   Retries iterations = 0',
      '   Default delay before retry = 1000000 us',
      '   Log all failures = no',
      '   Connection',
      '     Dest = [10.1.0.11]:80',
      '     Timeout = 3.000000',
      '   Keepalive method = TCP_CHECK',
      ' [10.1.0.10]:tcp:80 -> [10.1.0.12]:tcp:80',
      '   Enabled = yes',
      '   Up = no',
      '   Has run = yes',
      '   Current weight = 0',
      '   Alpha = no',
      '   Delay loop = 6000000 us',
      '   Warmup = 6000000 us',
      '   Retries = 1',
      '   Delay before retry = 3000000 us',
      '   Retries iterations = 1',
      '   Default delay before retry = 1000000 us',
      '   Log all failures = no',
      '   Connection',
      '     Dest = [10.1.0.12]:80',
      '     Timeout = 2.000000',
      '   Keepalive method = HTTP_GET, http protocol 1.0',
      '   Enable SNI unset',
      '   Fast recovery unset',
      '   Checked url = /health',
      '     HTTP Status Code(s)',
      '       200-201',
      ' [10.1.0.10]:tcp:80 -> [10.1.0.12]:tcp:80',
      '   Enabled = yes',
      '   Up = no',
      '   Has run = yes',
      '   Current weight = 0',
      '   Alpha = no',
      '   Delay loop = 6000000 us',
      '   Warmup = 6000000 us',
      '   Retries = 0',
      '   Default delay before retry = 1000000 us',
      '   Log all failures = no',
      '   Keepalive method = MISC_CHECK',
      "   script = '/usr/local/bin/probe' '--fast'",
      '   timeout = 4',
      '   dynamic = NO',
      '   uid:gid = 0:0',
      '   Last ran = 1796166295.199000 (Tue Dec  1 23:04:55 2026.199000)',
      '   Last status = 3',
      '',
    ]);
  });

  it("quotes each word of a script as keepalived's cmd_str", () => {
    expect(cmdStr({ command: 'x', argv: ['/bin/sh', '-c', 'exit 0'], user: null, group: null })).toBe(
      "'/bin/sh' '-c' 'exit 0'",
    );
  });

  it('keepalived_check.json: one {data, stats} per virtual server, its real servers and checkers inside', () => {
    const entries = checkJsonEntries(config, status) as {
      data: Record<string, unknown>;
      stats: Record<string, unknown>;
    }[];
    expect(entries).toHaveLength(1);
    const [e] = entries;
    expect(e!.data).toMatchObject({
      vs: '[10.1.0.10]:tcp:80',
      af: 'inet',
      protocol: 'TCP',
      lvs_sched: 'wlc',
      quorum_state_up: true,
      weight_sum: 3,
      sorry_server: '[10.1.0.99]:tcp:8080',
      sorry_server_active: false,
      ipvs: 'dry-run',
    });
    const rss = e!.data['real_servers'] as Record<string, unknown>[];
    expect(rss.map((r) => [r['rs'], r['alive'], r['set'], r['num_failed_checkers']])).toEqual([
      ['[10.1.0.11]:tcp:80', true, true, 0],
      ['[10.1.0.12]:tcp:80', false, false, 2],
    ]);
    expect(
      (rss[1]!['checkers'] as Record<string, unknown>[]).map((c) => [
        c['type'],
        c['up'],
        c['last_check_reason'],
      ]),
    ).toEqual([
      ['HTTP_GET', false, 'Timeout connecting'],
      ['MISC_CHECK', false, 'failed'],
    ]);
    expect(e!.stats).toEqual({ conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 });
    // JSON round trip: plain values only.
    expect(JSON.parse(JSON.stringify(entries))).toEqual(entries);
  });
});
