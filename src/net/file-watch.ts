/**
 * EDGE: the files of `track_file` blocks: `init_file` writes and change watches (fs.watch on the
 * file's directory, since editors and `echo > file` replace or recreate the file). Failures are
 * logged here; the watch then reports nothing more.
 */
import { readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../util/log.js';

/**
 * `init_file VALUE [overwrite]`: writes VALUE to the file when it does not exist, or always with
 * `overwrite`.
 */
export function initTrackFile(path: string, value: number, overwrite: boolean, logger: Logger): void {
  try {
    writeFileSync(path, `${value}\n`, { flag: overwrite ? 'w' : 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      logger.error(`track_file ${path}: cannot initialise: ${(e as Error).message}`);
    }
  }
}

/** Calls `fn` with the file's text now and after every change of it (null when unreadable). */
export function watchFileText(
  path: string,
  fn: (text: string | null) => void,
  logger: Logger,
): { close(): void } {
  const read = (): string | null => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  };
  let last = read();
  fn(last);
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(path), (_event, name) => {
      if (name !== null && name !== basename(path)) return;
      const text = read();
      if (text !== last) {
        last = text;
        fn(text);
      }
    });
  } catch (e) {
    logger.error(`track_file ${path}: cannot watch: ${(e as Error).message}`);
  }
  return { close: () => watcher?.close() };
}
