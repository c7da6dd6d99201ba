/**
 * EDGE: watches a set of files (the config and its includes) with chokidar. chokidar watches
 * each file's directory as well, so an editor's atomic save (write a temporary file, rename it
 * over the original) is reported as a change of the original, and a file deleted then created
 * again is found again. chokidar drops a change that comes within 50 ms of the last one it
 * reported for the same file; a caller that reads the files some time after the last event it
 * got (the config watch waits 500 ms) still reads what such a change wrote.
 */
import { watch, type FSWatcher } from 'chokidar';

export interface FileSetWatch {
  /** Makes `paths` the watched set: new ones are added, the ones no longer listed dropped. */
  follow(paths: readonly string[]): void;
  close(): Promise<void>;
}

/**
 * Calls `onChange(path)` whenever a watched file is changed, replaced, created or deleted;
 * `onError` receives watcher errors (the watch goes on).
 */
export function watchFileSet(
  paths: readonly string[],
  onChange: (path: string) => void,
  onError: (message: string) => void,
): FileSetWatch {
  let watched = new Set(paths);
  const watcher: FSWatcher = watch([...watched], { ignoreInitial: true, atomic: true });
  watcher.on('all', (event, path) => {
    if (event === 'add' || event === 'change' || event === 'unlink') onChange(path);
  });
  watcher.on('error', (e) => onError(e instanceof Error ? e.message : String(e)));
  return {
    follow(next) {
      const nextSet = new Set(next);
      const added = [...nextSet].filter((p) => !watched.has(p));
      const removed = [...watched].filter((p) => !nextSet.has(p));
      if (added.length > 0) watcher.add(added);
      if (removed.length > 0) watcher.unwatch(removed);
      watched = nextSet;
    },
    close: () => watcher.close(),
  };
}
