/**
 * PID files, as keepalived: refuse to start when the file names a live process, write our pid,
 * remove the file on exit. Every path is set from the command line, so several daemons can run
 * side by side (one per network namespace).
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { err, ok, type Result } from '../util/result.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid recorded in `path` when that process still runs, else null. */
export function runningPid(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  return alive(pid) ? pid : null;
}

export function writePidFile(path: string): Result<void> {
  const other = runningPid(path);
  if (other !== null) return err(`daemon is already running (pid ${other}, pid file ${path})`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${process.pid}\n`, { mode: 0o644 });
    return ok(undefined);
  } catch (e) {
    return err(`cannot write pid file ${path}: ${(e as Error).message}`);
  }
}

export function removePidFile(path: string): void {
  try {
    if (runningPid(path) === null && readFileSync(path, 'utf8').trim() === String(process.pid))
      unlinkSync(path);
  } catch {
    // Already gone.
  }
}
