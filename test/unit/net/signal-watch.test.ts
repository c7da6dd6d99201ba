import { describe, expect, it } from 'vitest';
import { catchableTerminatingSignals, realtimeSignalRange } from '../../../src/net/signal-watch.js';

describe('the signals the daemon catches', () => {
  it('are the terminating standard ones and the whole real-time range', () => {
    const { min, max } = realtimeSignalRange();
    const caught = catchableTerminatingSignals([]);
    for (const s of [1, 2, 3, 10, 12, 14, 15, 27, 30, min, min + 2, max - 1, max])
      expect(caught).toContain(s);
    // Faults (SEGV, BUS, ILL, FPE, ABRT) and SIGKILL/SIGSTOP are not caught.
    for (const s of [4, 6, 7, 8, 9, 11, 19]) expect(caught).not.toContain(s);
  });
  it('leave SIGPROF to V8 when node runs its profiler (--cpu-prof, --prof)', () => {
    for (const flags of [['--cpu-prof'], ['--cpu-prof-dir=/tmp', '--cpu-prof'], ['--prof']])
      expect(catchableTerminatingSignals(flags), flags.join(' ')).not.toContain(27);
    expect(catchableTerminatingSignals(['--cpu-prof-dir=/tmp'])).toContain(27);
  });
});
