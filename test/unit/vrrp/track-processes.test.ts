// The vrrp_track_process shell: a fake process watch, a manual clock for the delays.
import { describe, expect, it } from 'vitest';
import type { TrackProcess } from '../../../src/config/model.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import type { ProcessWatchHandlers } from '../../../src/vrrp/ports.js';
import { TrackProcessQuorums } from '../../../src/vrrp/track-processes.js';

const tracker = (name: string, extra: Partial<TrackProcess> = {}): TrackProcess => ({
  name,
  process: 'daemon',
  params: [],
  paramMatch: 'none',
  fullCommand: false,
  weight: 0,
  weightReverse: false,
  quorum: 1,
  quorumMax: null,
  forkDelay: 0,
  terminateDelay: 0,
  loc: { file: 'k.conf', line: 1 },
  ...extra,
});

function setup() {
  const clock = new ManualClock();
  const logger = new MemoryLogger();
  let handlers: ProcessWatchHandlers | null = null;
  let options: { cmdline: boolean } | null = null;
  let closed = 0;
  const seen: string[] = [];
  const q: TrackProcessQuorums = new TrackProcessQuorums({
    platform: {
      watchProcesses: (h, o) => {
        handlers = h;
        options = o;
        h.scan([{ pid: 1, comm: 'init', cmdline: ['/sbin/init'] }]);
        return { close: () => void closed++ };
      },
    },
    clock,
    logger,
    // What the engine sees at each change, in order.
    onChange: () => void seen.push(`${q.haveQuorum('a')}/${q.haveQuorum('b')}`),
  });
  return { q, clock, logger, seen, h: () => handlers!, options: () => options, closed: () => closed };
}

describe('TrackProcessQuorums', () => {
  it("logs keepalived's Quorum lines and shows each change before the next one's", () => {
    const t = setup();
    t.q.watch([tracker('a'), tracker('b', { weight: 10 })]);
    expect(t.options()).toEqual({ cmdline: false });
    expect([t.q.haveQuorum('a'), t.q.count('a')]).toEqual([false, 0]);
    expect(t.seen).toEqual([]); // the scan is read before the first evaluation, no change
    t.h().event({ kind: 'exec', pid: 7, info: { pid: 7, comm: 'daemon', cmdline: ['daemon'] } });
    expect(t.seen).toEqual(['true/false', 'true/true']);
    expect(t.logger.messages()).toEqual([
      'Quorum gained for tracked process a',
      'Quorum gained for tracked process b',
    ]);
    expect(t.q.count('b')).toBe(1);
  });

  it('terminate_delay holds the loss until the timer; the dump sees it running', () => {
    const t = setup();
    t.q.watch([tracker('a', { terminateDelay: 1.5, fullCommand: true, process: 'daemon' })]);
    expect(t.options()).toEqual({ cmdline: true });
    t.h().event({ kind: 'exec', pid: 7, info: { pid: 7, comm: 'daemon', cmdline: ['daemon'] } });
    t.h().event({ kind: 'exit', pid: 7 });
    expect(t.q.haveQuorum('a')).toBe(true);
    expect(t.q.timerRunning('a', 'terminate')).toBe(true);
    t.clock.advance(1499);
    expect(t.q.haveQuorum('a')).toBe(true);
    t.clock.advance(1);
    expect(t.q.haveQuorum('a')).toBe(false);
    expect(t.q.timerRunning('a', 'terminate')).toBe(false);
    expect(t.logger.messages().at(-1)).toBe('Quorum lost for tracked process a');
  });

  it('no trackers: nothing watched; close stops the watch and forgets', () => {
    const t = setup();
    t.q.watch([]);
    expect(t.options()).toBeNull();
    t.q.watch([tracker('a')]);
    t.h().poll([{ pid: 9, comm: 'daemon', cmdline: [] }]);
    expect(t.q.haveQuorum('a')).toBe(true);
    t.q.close();
    expect(t.closed()).toBe(1);
    expect(t.q.haveQuorum('a')).toBe(false);
  });
});
