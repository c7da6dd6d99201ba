// The notify FIFO lines of the checkers, as keepalived 2.2.7 writes them (check/ipwrapper.c
// notify_fifo_vs, notify_fifo_rs), and which pool events write one.
import { describe, expect, it } from 'vitest';
import { poolEventFifoLine, rsFifoLine, vsFifoLine } from '../../../src/check/fifo-lines.js';
import type { PoolEvent } from '../../../src/check/table.js';

const names = { vs: 'k1', rs: 'k2', vsName: '[10.0.0.1]:tcp:80', rsName: '[192.168.1.2]:tcp:8080' };
const quorum = {
  vs: 'k1',
  vsName: '[10.0.0.1]:tcp:80',
  quorum: 1,
  hysteresis: 0,
  threshold: 1,
  weightSum: 0,
};

describe('LVS FIFO lines', () => {
  it('writes VS name STATE and RS rs vs STATE', () => {
    expect(vsFifoLine('[10.0.0.1]:tcp:80', true)).toBe('VS [10.0.0.1]:tcp:80 UP\n');
    expect(vsFifoLine('FWM 7', false)).toBe('VS FWM 7 DOWN\n');
    expect(vsFifoLine('[web]:80', true)).toBe('VS [web]:80 UP\n');
    expect(rsFifoLine('[192.168.1.2]:tcp:8080', '[10.0.0.1]:tcp:80', false)).toBe(
      'RS [192.168.1.2]:tcp:8080 [10.0.0.1]:tcp:80 DOWN\n',
    );
  });

  it('maps the pool events keepalived notifies for', () => {
    const cases: [PoolEvent, string | null][] = [
      [{ kind: 'rs-up', ...names, inhibit: false }, 'RS [192.168.1.2]:tcp:8080 [10.0.0.1]:tcp:80 UP\n'],
      [{ kind: 'rs-down', ...names, inhibit: true }, 'RS [192.168.1.2]:tcp:8080 [10.0.0.1]:tcp:80 DOWN\n'],
      [{ kind: 'rs-first-down', ...names }, 'RS [192.168.1.2]:tcp:8080 [10.0.0.1]:tcp:80 DOWN\n'],
      [{ kind: 'rs-shutdown', ...names, notify: true }, 'RS [192.168.1.2]:tcp:8080 [10.0.0.1]:tcp:80 DOWN\n'],
      [{ kind: 'rs-shutdown', ...names, notify: false }, null],
      [{ kind: 'quorum-up', ...quorum, phase: 'run' }, 'VS [10.0.0.1]:tcp:80 UP\n'],
      [{ kind: 'quorum-down', ...quorum, phase: 'init' }, 'VS [10.0.0.1]:tcp:80 DOWN\n'],
      [{ kind: 'quorum-down', ...quorum, phase: 'stop' }, 'VS [10.0.0.1]:tcp:80 DOWN\n'],
      [{ kind: 'rs-weight', ...names, from: 1, to: 2, alive: true }, null],
      [{ kind: 'sorry-in', vs: 'k1', vsName: names.vsName, sorryName: 'x', inhibit: false }, null],
      [{ kind: 'alive-pool', vs: 'k1', vsName: names.vsName, add: true }, null],
    ];
    for (const [event, line] of cases) expect(poolEventFifoLine(event)).toBe(line);
  });
});
