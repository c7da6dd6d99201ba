// PID files on real files and real processes: the flock a live daemon holds, a pid file naming a
// keepalived that holds no lock, stale files (a dead pid, another program's pid), planted symlinks.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquirePidFile,
  isKeepalivedCommandLine,
  parsePidText,
  type PidFileLock,
} from '../../../src/daemon/pidfile.js';

let dir: string;
const children: ChildProcess[] = [];
const locks: PidFileLock[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-pidfile-'));
});
afterEach(() => {
  for (const l of locks.splice(0)) l.release();
  for (const c of children.splice(0)) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function locked(path: string): PidFileLock {
  const r = acquirePidFile(path);
  if (r.kind !== 'locked')
    throw new Error(`expected the lock on ${path}, got ${r.kind}: ${JSON.stringify(r)}`);
  locks.push(r.lock);
  return r.lock;
}

/** Starts a process and resolves once it printed its first line. */
function startProcess(cmd: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${cmd} exited early (${code})`)));
  });
}

describe('pid file lock', () => {
  it('writes our pid (mode 0644), refuses a second holder, and removes the file on release', () => {
    const path = join(dir, 'sub', 'keepalived.pid');
    const lock = locked(path);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o644);
    // flock conflicts between two open file descriptions, even in one process.
    const second = acquirePidFile(path);
    expect(second).toMatchObject({ kind: 'running', pid: process.pid });
    expect(second.kind === 'running' && second.message).toMatch(/^daemon is already running/);
    lock.release();
    expect(existsSync(path)).toBe(false);
    expect(acquirePidFile(path).kind).toBe('locked');
  });

  it('refuses while another process holds the lock, and takes the file once that process is killed', async () => {
    const path = join(dir, 'held.pid');
    const holder = await startProcess(process.execPath, [
      '-e',
      `const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(path)}, 'w');
       require('fs-ext').flockSync(fd, 'exnb'); fs.writeSync(fd, process.pid + '\\n');
       console.log('locked'); setInterval(() => {}, 1000);`,
    ]);
    expect(acquirePidFile(path)).toMatchObject({ kind: 'running', pid: holder.pid });
    // SIGKILL: no clean-up ran, the file still names the dead holder, the kernel dropped the lock.
    const gone = new Promise((r) => holder.once('exit', r));
    holder.kill('SIGKILL');
    await gone;
    expect(readFileSync(path, 'utf8').trim()).toBe(String(holder.pid));
    const r = acquirePidFile(path);
    expect(r).toMatchObject({ kind: 'locked' });
    if (r.kind === 'locked') {
      locks.push(r.lock);
      expect(r.takenOver).toMatch(/^Remove a zombie pid file .*held\.pid/);
    }
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('takes over a pid file that names another program (sleep)', () => {
    const path = join(dir, 'stale.pid');
    // uv_spawn returns once the exec succeeded: the pid is sleep's from here on.
    const sleeper = spawn('sleep', ['100'], { stdio: 'ignore' });
    children.push(sleeper);
    writeFileSync(path, `${sleeper.pid}\n`);
    const r = acquirePidFile(path);
    expect(r.kind).toBe('locked');
    if (r.kind === 'locked') {
      locks.push(r.lock);
      expect(r.takenOver).toBe(
        `pid file ${path} names pid ${sleeper.pid} (sleep), which is not keepalived - taking it over`,
      );
    }
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    expect(sleeper.exitCode).toBeNull();
  });

  it('refuses a pid file naming a live keepalived-ts that holds no lock (e.g. keepalived itself)', async () => {
    const path = join(dir, 'unlocked.pid');
    const script = join(dir, 'keepalived-ts.js');
    writeFileSync(script, "console.log('up'); setInterval(() => {}, 1000);\n");
    const daemon = await startProcess(process.execPath, [script, '-n']);
    writeFileSync(path, `${daemon.pid}\n`);
    expect(acquirePidFile(path)).toMatchObject({ kind: 'running', pid: daemon.pid });
    expect(readFileSync(path, 'utf8')).toBe(`${daemon.pid}\n`);
  });

  it('does not follow a symlink planted at the path', () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'precious\n');
    const path = join(dir, 'link.pid');
    symlinkSync(target, path);
    expect(acquirePidFile(path)).toMatchObject({ kind: 'error' });
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
  });

  it('leaves a pid file another daemon took over after ours was removed', () => {
    const path = join(dir, 'replaced.pid');
    const lock = locked(path);
    rmSync(path);
    writeFileSync(path, '12345\n');
    lock.release();
    expect(readFileSync(path, 'utf8')).toBe('12345\n');
  });
});

describe('pid file contents and process identity', () => {
  it('reads keepalived\'s "%d\\n" and nothing else', () => {
    expect(parsePidText('1234\n')).toBe(1234);
    expect(parsePidText(' 7 ')).toBe(7);
    for (const bad of ['', '0\n', '-5', '12ab', '1 2', 'x']) expect(parsePidText(bad)).toBeNull();
  });
  it('recognises keepalived and keepalived-ts command lines, directly or through node', () => {
    expect(isKeepalivedCommandLine(['/usr/sbin/keepalived', '--dont-fork'])).toBe(true);
    expect(isKeepalivedCommandLine(['keepalived-ts', '-n'])).toBe(true);
    expect(isKeepalivedCommandLine(['/usr/bin/node', '/opt/kts/dist/keepalived-ts.js', '-n'])).toBe(true);
    expect(isKeepalivedCommandLine(['node', '--enable-source-maps', '/usr/bin/keepalived-ts'])).toBe(true);
    expect(isKeepalivedCommandLine(['sleep', '100'])).toBe(false);
    expect(isKeepalivedCommandLine(['/usr/bin/node', 'server.js', 'keepalived'])).toBe(false);
    expect(isKeepalivedCommandLine([])).toBe(false);
  });
});
