/**
 * EDGE: exclusive flock(2) locks, over the `fs-ext` native addon (Node's fs has no flock). The
 * kernel drops a flock lock when the last descriptor of its open file closes, so a daemon that
 * dies, even by SIGKILL, never leaves a lock behind; a lock is tied to the open file description,
 * so a second open of the same file, in this process or another, cannot take it.
 */
import { createRequire } from 'node:module';

interface FsExtModule {
  flockSync(fd: number, flags: 'ex' | 'exnb' | 'sh' | 'shnb' | 'un'): void;
}

let fsExt: FsExtModule | null = null;

function addon(): FsExtModule {
  if (fsExt === null) fsExt = createRequire(import.meta.url)('fs-ext') as FsExtModule;
  return fsExt;
}

/**
 * Takes an exclusive lock on the open file `fd` without waiting: true when taken, false when
 * another open file description holds it (EWOULDBLOCK). Other failures throw.
 */
export function tryLockExclusive(fd: number): boolean {
  try {
    addon().flockSync(fd, 'exnb');
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
    throw e;
  }
}
