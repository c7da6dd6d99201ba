// track_file init and watch on a temporary directory.
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initTrackFile, watchFileText } from '../../../src/net/file-watch.js';
import { MemoryLogger } from '../../../src/util/log.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-file-watch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

describe('initTrackFile', () => {
  it('writes the value only when the file is missing, unless overwrite', () => {
    const logger = new MemoryLogger();
    const path = join(dir, 'init');
    initTrackFile(path, 5, false, logger);
    expect(readFileSync(path, 'utf8')).toBe('5\n');
    initTrackFile(path, 7, false, logger);
    expect(readFileSync(path, 'utf8')).toBe('5\n');
    initTrackFile(path, 7, true, logger);
    expect(readFileSync(path, 'utf8')).toBe('7\n');
    expect(logger.messages()).toEqual([]);
  });

  it('logs a file it cannot write', () => {
    const logger = new MemoryLogger();
    initTrackFile(join(dir, 'no', 'such', 'dir'), 1, false, logger);
    expect(logger.messages()[0]).toMatch(/^track_file .*: cannot initialise: /);
  });
});

describe('watchFileText', () => {
  it('reports the text at once, then each change, also when the file is replaced', async () => {
    const logger = new MemoryLogger();
    const path = join(dir, 'watched');
    writeFileSync(path, '1\n');
    const seen: (string | null)[] = [];
    const w = watchFileText(path, (t) => seen.push(t), logger);
    try {
      expect(seen).toEqual(['1\n']);
      writeFileSync(path, '2\n');
      await until(() => seen.includes('2\n'));
      writeFileSync(join(dir, 'tmp'), '3\n');
      renameSync(join(dir, 'tmp'), path);
      await until(() => seen.includes('3\n'));
      rmSync(path);
      await until(() => seen.at(-1) === null);
      expect(seen).toEqual(['1\n', '2\n', '3\n', null]);
    } finally {
      w.close();
    }
  });

  it('reports an unreadable file as null and logs a directory it cannot watch', () => {
    const logger = new MemoryLogger();
    const seen: (string | null)[] = [];
    watchFileText(join(dir, 'absent', 'file'), (t) => seen.push(t), logger).close();
    expect(seen).toEqual([null]);
    expect(logger.messages()[0]).toMatch(/^track_file .*: cannot watch: /);
  });
});
