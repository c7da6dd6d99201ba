// track_file values for VRRP tracking, through a fake watch.
import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../../src/util/log.js';
import { TrackFileValues } from '../../../src/vrrp/track-files.js';
import { trackFile } from '../../support/vrrp-config.js';

function setup() {
  const logger = new MemoryLogger();
  const watchers = new Map<string, (text: string | null) => void>();
  const initialised: string[] = [];
  const closed: string[] = [];
  let changes = 0;
  const files = new TrackFileValues({
    platform: {
      initFile: (path, value, overwrite) => void initialised.push(`${path}=${value}${overwrite ? '!' : ''}`),
      watchFile: (path, fn) => {
        watchers.set(path, fn);
        fn('0\n');
        return { close: () => void closed.push(path) };
      },
    },
    logger,
    onChange: () => void changes++,
  });
  return { files, logger, watchers, initialised, closed, changes: () => changes };
}

describe('TrackFileValues', () => {
  it('initialises, watches and reads each file as keepalived (+N is N, 0x is hexadecimal)', () => {
    const t = setup();
    t.files.watch([
      trackFile('a', '/run/a', { initFile: { value: 5, overwrite: true } }),
      trackFile('b', '/run/b'),
    ]);
    expect(t.initialised).toEqual(['/run/a=5!']);
    expect(t.changes()).toBe(2); // each watch reports the current text at once
    t.watchers.get('/run/a')!('+5\n');
    t.watchers.get('/run/b')!('0x10');
    expect([t.files.value('a'), t.files.value('b'), t.files.value('unknown')]).toEqual([5, 16, 0]);
    t.watchers.get('/run/a')!(null);
    expect(t.files.value('a')).toBe(0);
    expect(t.changes()).toBe(5);
  });

  it('logs and ignores a number keepalived refuses, keeping the previous value', () => {
    const t = setup();
    t.files.watch([trackFile('a', '/run/a')]);
    t.watchers.get('/run/a')!('3');
    t.watchers.get('/run/a')!('4294967296');
    expect(t.files.value('a')).toBe(3);
    expect(t.changes()).toBe(2);
    expect(t.logger.messages()).toEqual(['Invalid number 4294967296 read from /run/a - ignoring']);
  });

  it('close stops the watches and keeps the values; clear forgets them too', () => {
    const t = setup();
    t.files.watch([trackFile('a', '/run/a')]);
    t.watchers.get('/run/a')!('3');
    t.files.close();
    expect(t.closed).toEqual(['/run/a']);
    expect(t.files.value('a')).toBe(3);
    t.files.clear();
    expect(t.files.value('a')).toBe(0);
  });
});
