// keepalived's signal meanings (lib/signals.c get_signum, keepalived(8) SIGNALS) and names.
import { describe, expect, it } from 'vitest';
import {
  installSignalHandlers,
  signalAction,
  signalName,
  signumFor,
  type SignalHandlers,
} from '../../../src/daemon/signals.js';
import { FakeSignalSource } from '../../support/fake-signals.js';

const rt = { min: 34, max: 64 };

describe('signalAction', () => {
  it('gives keepalived meanings to TERM, INT, HUP, USR1, USR2, SIGRTMIN+2 and SIGRTMAX-1', () => {
    expect(signalAction(15, rt)).toEqual({ kind: 'stop', signal: 'SIGTERM' });
    expect(signalAction(2, rt)).toEqual({ kind: 'stop', signal: 'SIGINT' });
    expect(signalAction(1, rt)).toEqual({ kind: 'reload' });
    expect(signalAction(10, rt)).toEqual({ kind: 'data' });
    expect(signalAction(12, rt)).toEqual({ kind: 'stats' });
    expect(signalAction(36, rt)).toEqual({ kind: 'json' });
    expect(signalAction(63, rt)).toEqual({ kind: 'stats-clear' });
  });
  it('follows the process real-time range, not fixed numbers', () => {
    expect(signalAction(37, { min: 35, max: 64 })).toEqual({ kind: 'json' });
    expect(signalAction(36, { min: 35, max: 64 })).toEqual({ kind: 'ignore', name: 'SIGRTMIN+1' });
  });
  it('ignores the rest by name', () => {
    expect(signalAction(3, rt)).toEqual({ kind: 'ignore', name: 'SIGQUIT' });
    expect(signalAction(40, rt)).toEqual({ kind: 'ignore', name: 'SIGRTMIN+6' });
    expect(signalAction(60, rt)).toEqual({ kind: 'ignore', name: 'SIGRTMAX-4' });
  });
});

describe('signalName', () => {
  it('names real-time signals as kill -l does', () => {
    expect(signalName(34, rt)).toBe('SIGRTMIN');
    expect(signalName(49, rt)).toBe('SIGRTMIN+15');
    expect(signalName(50, rt)).toBe('SIGRTMAX-14');
    expect(signalName(64, rt)).toBe('SIGRTMAX');
    expect(signalName(14, rt)).toBe('SIGALRM');
  });
});

describe('signumFor (--signum)', () => {
  it('answers as keepalived 2.2.7 does', () => {
    expect(['STOP', 'RELOAD', 'DATA', 'STATS', 'JSON', 'STATS_CLEAR'].map((n) => signumFor(n, rt))).toEqual([
      15, 1, 10, 12, 36, 63,
    ]);
    expect(signumFor('TDUMP', rt)).toBeNull();
    expect(signumFor('stop', rt)).toBeNull();
  });
});

describe('installSignalHandlers', () => {
  it('routes each signal to its handler, held ones first, and stops routing when removed', () => {
    const calls: string[] = [];
    const handlers: SignalHandlers = {
      stop: (s) => void calls.push(`stop ${s}`),
      reload: () => void calls.push('reload'),
      dumpData: () => void calls.push('data'),
      dumpStats: () => void calls.push('stats'),
      dumpJson: () => void calls.push('json'),
      clearStats: () => void calls.push('clear'),
      ignored: (n, name) => void calls.push(`ignored ${n} ${name}`),
    };
    const source = new FakeSignalSource();
    source.send(15);
    const remove = installSignalHandlers(handlers, source);
    for (const s of [1, 10, 12, 36, 63, 2, 45]) source.send(s);
    expect(calls).toEqual([
      'stop SIGTERM',
      'reload',
      'data',
      'stats',
      'json',
      'clear',
      'stop SIGINT',
      'ignored 45 SIGRTMIN+11',
    ]);
    remove();
    source.send(1);
    expect(calls).toHaveLength(8);
  });
});
