import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../../../src/vrrp/counters.js';
import { vrrpDataText, vrrpStatsText } from '../../../src/vrrp/dumps.js';
import type { InstanceStatus } from '../../../src/vrrp/instance.js';

const status = (over: Partial<InstanceStatus> = {}): InstanceStatus => ({
  name: 'VI_1',
  state: 'MASTER',
  wantState: 'MASTER',
  effectivePriority: 110,
  basePriority: 100,
  masterAddress: '10.0.0.1',
  counters: { ...emptyCounters(), advert_rcvd: 3, advert_sent: 7, pri_zero_sent: 1 },
  ...over,
});

describe('vrrpStatsText (keepalived vrrp_print.c layout)', () => {
  it('writes one block per instance', () => {
    expect(vrrpStatsText([status()])).toBe(
      [
        'VRRP Instance: VI_1',
        '  Advertisements:',
        '    Received: 3',
        '    Sent: 7',
        '  Became master: 0',
        '  Released master: 0',
        '  Packet Errors:',
        '    Length: 0',
        '    TTL: 0',
        '    Invalid Type: 0',
        '    Advertisement Interval: 0',
        '    Address List: 0',
        '  Authentication Errors:',
        '    Invalid Type: 0',
        '    Type Mismatch: 0',
        '    Failure: 0',
        '  Priority Zero:',
        '    Received: 0',
        '    Sent: 1',
        '',
      ].join('\n'),
    );
    expect(vrrpStatsText([])).toBe('\n');
  });
});

describe('vrrpDataText', () => {
  it('writes the VRRP topology, an unknown master as empty', () => {
    expect(vrrpDataText([status(), status({ name: 'VI_2', state: 'BACKUP', masterAddress: null })])).toBe(
      [
        '------< VRRP Topology >------',
        ' VRRP Instance = VI_1',
        '   State = MASTER',
        '   Wanted State = MASTER',
        '   Priority = 100',
        '   Effective priority = 110',
        '   Master router = 10.0.0.1',
        ' VRRP Instance = VI_2',
        '   State = BACKUP',
        '   Wanted State = MASTER',
        '   Priority = 100',
        '   Effective priority = 110',
        '   Master router = ',
        '',
      ].join('\n'),
    );
  });
});
