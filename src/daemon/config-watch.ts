/**
 * `--watch-config` (docs/operations.md "Watching the config"): a change to the config file or
 * any file it includes (Config.files) triggers the same validated reload as SIGHUP, once the
 * files have been quiet for `debounceMs`, so an editor's several writes, or a tool writing many
 * included files, give one reload. The watched set follows the config now running: after a
 * reload it is the new config's files; a refused reload keeps the old config, and its files.
 */
import type { FileSetWatch } from '../net/file-set-watch.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';

export const CONFIG_WATCH_DEBOUNCE_MS = 500;

export type WatchFiles = (
  paths: readonly string[],
  onChange: (path: string) => void,
  onError: (message: string) => void,
) => FileSetWatch;

export interface ConfigWatch {
  /** The running config's files (after a reload). */
  follow(files: readonly string[]): void;
  close(): Promise<void>;
}

export function startConfigWatch(
  files: readonly string[],
  reload: () => void,
  deps: { readonly clock: Clock; readonly logger: Logger; readonly watchFiles: WatchFiles },
  debounceMs = CONFIG_WATCH_DEBOUNCE_MS,
): ConfigWatch {
  const { clock, logger } = deps;
  let timer: TimerHandle | null = null;
  let changed: string[] = [];
  let closed = false;
  const fire = (): void => {
    timer = null;
    if (closed) return;
    logger.info(`Configuration changed (${changed.join(', ')}) - reloading`);
    changed = [];
    reload();
  };
  const watch = deps.watchFiles(
    files,
    (path) => {
      if (closed) return;
      if (!changed.includes(path)) changed.push(path);
      timer?.cancel();
      timer = clock.setTimer(debounceMs, fire);
    },
    (message) => logger.error(`--watch-config: ${message}`),
  );
  return {
    follow: (next) => {
      if (!closed) watch.follow(next);
    },
    close: async () => {
      closed = true;
      timer?.cancel();
      await watch.close();
    },
  };
}
