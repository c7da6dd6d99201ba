/**
 * EDGE: writes one dump file (/tmp/keepalived.data, .stats, .json, ...) safely and atomically.
 *
 * The dump files live in a world-writable directory by default, where another user can plant a
 * symlink or a file at the path before the daemon (root) writes it: keepalived's CVE-2018-19044,
 * -19045 and -19046. keepalived's answer (lib/utils.c `fopen_safe`) is the one followed here: the
 * text goes to a new temporary file in the same directory, created with O_CREAT|O_EXCL|O_NOFOLLOW
 * and mode 0600, which is then renamed over the path. So:
 * - whatever sits at the path (a symlink to /etc/shadow, a file someone else holds open) is
 *   replaced by the rename, never followed, truncated or written through;
 * - a reader sees the old file or the whole new one, never a partial write (keepalived renames
 *   first and writes after; here the rename comes last);
 * - anything already at the temporary name (a planted symlink) makes O_EXCL fail: the write is
 *   refused and nothing outside the new file is touched.
 * The temporary name is random and starts with `.kts-dump-`, so it never matches the
 * `keepalived.json*` pattern that one exporter deletes (keepalived's own `keepalived.jsonXXXXXX`
 * does). docs/operations.md "Dump files".
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface DumpFileOptions {
  /** The file's mode, applied with fchmod so the process umask cannot widen or narrow it. */
  readonly mode: number;
  /** The temporary file's name in the target's directory (tests); default random. */
  readonly tempName?: () => string;
}

/** keepalived's default: rw for root only (its umask 0177 applied to 0666). */
export const DUMP_FILE_MODE = 0o600;

/** A fresh random temporary name: `.kts-dump-` and 16 hex digits. */
export function randomTempName(): string {
  return `.kts-dump-${randomBytes(8).toString('hex')}`;
}

/**
 * Writes `text` to `path` through a temporary file in the same directory. Rejects with the
 * errno error of the step that failed (the temporary file is then removed); `path` is either
 * untouched or the complete new file.
 */
export async function writeDumpFile(path: string, text: string, options: DumpFileOptions): Promise<void> {
  const temp = join(dirname(path), (options.tempName ?? randomTempName)());
  // O_EXCL: an existing entry at the temporary name, symlink or not, is never opened. (libuv
  // adds O_CLOEXEC to every open, so scripts the daemon runs do not inherit the descriptor.)
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(temp, flags, DUMP_FILE_MODE);
  let renamed = false;
  try {
    await handle.chmod(options.mode);
    await handle.writeFile(text, 'utf8');
    await handle.close();
    // rename(2) replaces whatever is at `path` (a symlink itself, not its target) atomically.
    await rename(temp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
    }
  }
}
