// --watch-config's debounce and file-set following, on a manual clock and a scripted watcher.
import { describe, expect, it } from 'vitest';
import {
  CONFIG_WATCH_DEBOUNCE_MS,
  startConfigWatch,
  type WatchFiles,
} from '../../../src/daemon/config-watch.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';

function scriptedWatcher(): {
  watchFiles: WatchFiles;
  change: (path: string) => void;
  error: (message: string) => void;
  followed: string[][];
  closed: () => boolean;
} {
  let onChange: (path: string) => void = () => {};
  let onError: (message: string) => void = () => {};
  const followed: string[][] = [];
  let closed = false;
  return {
    watchFiles: (paths, change, error) => {
      followed.push([...paths]);
      onChange = change;
      onError = error;
      return {
        follow: (next) => void followed.push([...next]),
        close: async () => {
          closed = true;
        },
      };
    },
    change: (p) => onChange(p),
    error: (m) => onError(m),
    followed,
    closed: () => closed,
  };
}

describe('config watch', () => {
  it('reloads once per quiet period, naming the files that changed', () => {
    const clock = new ManualClock();
    const logger = new MemoryLogger();
    const w = scriptedWatcher();
    let reloads = 0;
    startConfigWatch(['/e/k.conf', '/e/inc.conf'], () => reloads++, {
      clock,
      logger,
      watchFiles: w.watchFiles,
    });
    expect(w.followed).toEqual([['/e/k.conf', '/e/inc.conf']]);
    w.change('/e/k.conf');
    clock.advance(CONFIG_WATCH_DEBOUNCE_MS - 1);
    w.change('/e/inc.conf');
    w.change('/e/k.conf');
    clock.advance(CONFIG_WATCH_DEBOUNCE_MS - 1);
    expect(reloads).toBe(0);
    clock.advance(1);
    expect(reloads).toBe(1);
    expect(logger.messages()).toEqual(['Configuration changed (/e/k.conf, /e/inc.conf) - reloading']);
    w.change('/e/inc.conf');
    clock.advance(CONFIG_WATCH_DEBOUNCE_MS);
    expect(reloads).toBe(2);
    expect(logger.messages()[1]).toBe('Configuration changed (/e/inc.conf) - reloading');
  });

  it('follows the new file set and logs watcher errors', () => {
    const logger = new MemoryLogger();
    const w = scriptedWatcher();
    const watch = startConfigWatch(['/a'], () => {}, {
      clock: new ManualClock(),
      logger,
      watchFiles: w.watchFiles,
    });
    watch.follow(['/a', '/b']);
    expect(w.followed).toEqual([['/a'], ['/a', '/b']]);
    w.error('EMFILE');
    expect(logger.lines).toEqual([{ level: 'error', message: '--watch-config: EMFILE' }]);
  });

  it('close drops a pending reload and ignores later changes', async () => {
    const clock = new ManualClock();
    const w = scriptedWatcher();
    let reloads = 0;
    const watch = startConfigWatch(['/a'], () => reloads++, {
      clock,
      logger: new MemoryLogger(),
      watchFiles: w.watchFiles,
    });
    w.change('/a');
    await watch.close();
    w.change('/a');
    clock.advance(10 * CONFIG_WATCH_DEBOUNCE_MS);
    expect(reloads).toBe(0);
    expect(w.closed()).toBe(true);
  });
});
