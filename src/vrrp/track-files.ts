/**
 * SHELL: the values of the `track_file` blocks, for VRRP tracking. Each file is created with its
 * `init_file` value if asked, then watched through the platform; every new text is read with the
 * one track_file parser (util/track-file.ts, as keepalived) and reported to the engine, which
 * re-evaluates the instances' tracking. A number keepalived refuses is logged and ignored.
 */
import type { TrackFile } from '../config/model.js';
import type { Logger } from '../util/log.js';
import { parseTrackFileValue } from '../util/track-file.js';
import type { VrrpPlatform } from './ports.js';

export interface TrackFilesDeps {
  readonly platform: Pick<VrrpPlatform, 'initFile' | 'watchFile'>;
  readonly logger: Logger;
  /** A file's value changed. */
  readonly onChange: () => void;
}

export class TrackFileValues {
  private readonly values = new Map<string, number>();
  private watchers: { close(): void }[] = [];

  constructor(private readonly deps: TrackFilesDeps) {}

  /** Initialises and watches `files`; each watch reports the file's current value at once. */
  watch(files: readonly TrackFile[]): void {
    const { platform, logger } = this.deps;
    for (const t of files) {
      if (t.initFile !== null) platform.initFile(t.file, t.initFile.value, t.initFile.overwrite);
      this.watchers.push(
        platform.watchFile(t.file, (text) => {
          const parsed = parseTrackFileValue(text);
          if (!parsed.ok) {
            // keepalived ignores the number and keeps the file's previous value.
            logger.info(`Invalid number ${parsed.error} read from ${t.file} - ignoring`);
            return;
          }
          this.values.set(t.name, parsed.value);
          this.deps.onChange();
        }),
      );
    }
  }

  /** The last value of the track_file `name`; 0 before any (keepalived's initial last_status). */
  value(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** Stops watching; the values stay until `clear`. */
  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /** Stops watching and forgets every value (a reload watches afresh). */
  clear(): void {
    this.close();
    this.values.clear();
  }
}
