/**
 * vrrp_track_process blocks and track_process references: the model and keepalived 2.2.7's
 * diagnostics (the expected lines are what `keepalived -t` printed for the same text).
 */
import { describe, expect, it } from 'vitest';
import { build, summary } from './schema-helpers.js';

const BAD = `vrrp_track_process p1 {
  process sleep
  weight 300
  weight 10 reverse
  weight 5
  quorum 0
  quorum 3
  quorum_max 2
  quorum_max 5
  delay 0
  fork_delay 1.5
  terminate_delay abc
  param_match bogus
  full_command
  bogus_kw
}
vrrp_track_process p2 {
  quorum 2
}
vrrp_track_process p3 {
  process /bin/sleep 1000
  param_match initial
  quorum_max 0
}
vrrp_instance VI_1 {
  interface eth0
  state BACKUP
  virtual_router_id 51
  priority 100
  virtual_ipaddress { 10.9.9.9/32 }
  track_process {
    p1
    p1
    p3 weight
    p3 foo
    p3 weight 300 noreverse
    nope
  }
}
vrrp_sync_group G {
  group { VI_1 }
  track_process { p1 weight 4 reverse }
}
`;

describe('vrrp_track_process', () => {
  it("reports keepalived's lines and keeps what its handlers keep", () => {
    const { config, diagnostics } = build(BAD);
    // keepalived reports in file order; keepalived-ts reports the replayed lines after the others.
    const lines = summary(diagnostics)
      .filter((l) => !l.includes('only 1 virtual router'))
      .sort(byLine);
    expect(lines).toEqual([
      "3 error number '300' outside range [-254, 254]",
      '3 error Weight (300) for vrrp_track_process p1 must be between [-254..254] inclusive. Ignoring...',
      '5 error Weight already set for track process p1 - ignoring 5',
      "6 error number '0' outside range [1, 65535]",
      '6 error Quorum (0) for vrrp_track_process p1 must be between [1..65535] inclusive. Ignoring...',
      '8 error quorum_max is less than quorum - ignoring',
      "10 error number '0' outside range [0.000001, 3600.000000]",
      '10 error delay (0) for vrrp_track_process p1 must be between [0.000001..3600] inclusive. Ignoring...',
      "12 error invalid number 'abc'",
      '12 error terminate_delay (abc) for vrrp_track_process p1 must be between [0.000001..3600] inclusive. Ignoring...',
      '13 error Invalid param_match type bogus - ignoring',
      "15 error Unknown keyword 'bogus_kw'",
      "17 error track process 'p2' process name not specified",
      '33 error (VI_1) duplicate track_process p1 - ignoring',
      '34 error (VI_1) weight without value specified for track process p3 - ignoring',
      '35 error (VI_1) unknown track process option foo - ignoring',
      "36 error number '300' outside range [-254, 254]",
      '36 error (VI_1) weight for track process p3 must be in [-254..254] inclusive. Ignoring...',
      '37 error (VI_1) track process nope not found, ignoring...',
    ]);
    expect(config.trackProcesses.map(({ loc: _loc, ...t }) => t)).toEqual([
      {
        name: 'p1',
        process: 'sleep',
        params: [],
        paramMatch: 'none',
        fullCommand: true,
        weight: 10,
        weightReverse: true,
        quorum: 3,
        quorumMax: 5,
        forkDelay: 1.5,
        terminateDelay: 0,
      },
      {
        name: 'p3',
        process: '/bin/sleep',
        params: ['1000'],
        paramMatch: 'initial',
        fullCommand: true,
        weight: 0,
        weightReverse: false,
        quorum: 0,
        quorumMax: 0,
        forkDelay: 0,
        terminateDelay: 0,
      },
    ]);
    expect(config.vrrpInstances[0]!.trackProcesses).toEqual([
      { name: 'p1', weight: 10, reverse: true },
      // weight out of range: the tracker's own weight, noreverse honoured
      { name: 'p3', weight: 0, reverse: false },
    ]);
    expect(config.vrrpSyncGroups[0]!.trackProcesses).toEqual([{ name: 'p1', weight: 4, reverse: true }]);
  });

  it('defaults: quorum 1, no maximum, comm matching, no delays; delay sets both', () => {
    const { config, diagnostics } = build(
      'vrrp_track_process t {\n process nginx\n delay 2\n fork_delay 0.5\n}\n',
    );
    expect(diagnostics).toEqual([]);
    expect(config.trackProcesses[0]).toMatchObject({
      process: 'nginx',
      paramMatch: 'none',
      fullCommand: false,
      weight: 0,
      quorum: 1,
      quorumMax: null,
      forkDelay: 0.5,
      terminateDelay: 2,
    });
  });

  it('process with parameters means exact matching of the full command; param_match partial overrides', () => {
    const { config } = build(
      'vrrp_track_process a {\n process /usr/bin/x -f\n}\nvrrp_track_process b {\n param_match partial\n process /usr/bin/x -f\n}\n',
    );
    expect(config.trackProcesses.map((t) => [t.paramMatch, t.fullCommand])).toEqual([
      ['exact', true],
      ['partial', true],
    ]);
  });

  it('a quorum above quorum_max is refused', () => {
    const { config, diagnostics } = build(
      'vrrp_track_process a {\n process x\n quorum_max 2\n quorum 3\n}\n',
    );
    expect(summary(diagnostics)).toEqual(['4 error Quorum is greater than quorum_max - ignoring']);
    expect(config.trackProcesses[0]).toMatchObject({ quorum: 1, quorumMax: 2 });
  });
});

function byLine(a: string, b: string): number {
  return Number(a.split(' ')[0]) - Number(b.split(' ')[0]);
}
