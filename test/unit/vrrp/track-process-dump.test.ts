/**
 * keepalived.data's `VRRP Track processes` section (vrrp_data.c dump_vprocess). The expected
 * text is what keepalived 2.2.7 wrote on SIGUSR1 for the same config, with one copy of the
 * tracked program running.
 */
import { describe, expect, it } from 'vitest';
import type { DumpHost } from '../../../src/vrrp/dumps.js';
import { vrrpDataText } from '../../../src/vrrp/dumps.js';
import { build } from '../config/schema-helpers.js';

const host: DumpHost = { ids: () => ({ uid: 0, gid: 0 }), programOf: (p) => p };

describe('VRRP Track processes dump', () => {
  it('writes every field as keepalived 2.2.7 does', () => {
    const { config } = build(
      [
        'vrrp_track_process tp {',
        '  process ktprocsl 1000',
        '  param_match initial',
        '  terminate_delay 1.5',
        '  quorum 1',
        '  quorum_max 3',
        '}',
        'vrrp_track_process tw {',
        '  process ktprocsl',
        '  weight 10 reverse',
        '}',
      ].join('\n'),
    );
    const [tp, tw] = config.trackProcesses;
    const text = vrrpDataText(
      {
        instances: [],
        sockets: [],
        syncGroups: [],
        scripts: [],
        trackFiles: [],
        trackProcesses: [
          {
            config: tp!,
            count: 0,
            haveQuorum: false,
            forkTimer: false,
            terminateTimer: false,
            trackedBy: [{ name: 'VI_1', weight: 0, reverse: false }],
          },
          {
            config: tw!,
            count: 1,
            haveQuorum: true,
            forkTimer: false,
            terminateTimer: false,
            trackedBy: [{ name: 'VI_1', weight: 5, reverse: true }],
          },
        ],
      },
      [],
      host,
    );
    expect(text).toBe(
      [
        '------< VRRP Track processes >------',
        ' VRRP Track process = tp',
        '   Process = ktprocsl',
        '   Parameters = 1000',
        '   Param match = initial',
        '   Min processes = 1',
        '   Max processes = 3',
        '   Current processes = 0',
        '   Have quorum = false',
        '   Weight = 0',
        '   Terminate delay = 1.500000s',
        '   Fork delay = 0.000000s',
        '   Fork delay timer not running',
        '   Terminate delay timer not running',
        '   Full command = true',
        '   Tracking instances :',
        '     VI_1, weight 0',
        ' VRRP Track process = tw',
        '   Process = ktprocsl',
        '   Min processes = 1',
        '   Current processes = 1',
        '   Have quorum = true',
        '   Weight = 10 reverse',
        '   Terminate delay = 0.000000s',
        '   Fork delay = 0.000000s',
        '   Fork delay timer not running',
        '   Terminate delay timer not running',
        '   Full command = false',
        '   Tracking instances :',
        '     VI_1, weight 5 reverse',
        '',
      ].join('\n'),
    );
  });
});
