/**
 * Root tier: keepalived-ts as a process, in a namespace, as an init script or an operator runs it.
 *  - without `-n` the command returns 0 once the detached daemon has written its pid file and
 *    started; the daemon has its own session, runs in /, has stdio on /dev/null (the caller's
 *    pipes close when the command returns), keeps a relative `-f` working for reloads, and stops
 *    cleanly on SIGTERM (VIP removed, pid file removed);
 *  - a second daemon for the same pid file is refused, detached or not, with keepalived's
 *    `daemon is already running` and its exit code 0, and the first keeps running;
 *  - start-up failures are printed and returned by the command itself: a missing config file
 *    exits 6 (keepalived's KEEPALIVED_EXIT_NO_CONFIG), a symlink planted at the pid file exits 1;
 *  - a pid file naming another program's pid (`sleep`) is stale and taken over, as is one left
 *    by a daemon killed with SIGKILL (the kernel dropped its lock).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tierDescribe } from '../support/tier.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  netnsPrerequisites,
  Testbed,
  vrrpConfig,
  waitFor,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

const VIP = '10.231.72.100';
const VIP2 = '10.231.72.101';

interface CommandResult {
  readonly code: number | null;
  readonly output: string;
  /** From spawn until the command's stdout and stderr were closed (not only until it exited). */
  readonly ms: number;
}

/** Runs `keepalived-ts ARGS` in `ns` from `cwd`; resolves once its output pipes are closed. */
function runCommand(ns: string, cwd: string, args: readonly string[]): Promise<CommandResult> {
  const start = performance.now();
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, DIST_ENTRY, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    // 'close' waits for the pipes: a daemon that kept them open would hang the caller here.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: performance.now() - start });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** /proc/PID/stat field 6, the session id. */
function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

function readPid(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

describeTier('daemon mode and pid files', () => {
  let bed: Testbed;
  let a: Host;
  let n = 0;
  const daemons: number[] = [];

  /** A directory with a VRRP-only config (state MASTER, VIPs given) and the flags to run it. */
  function setup(vips: readonly string[]): { dir: string; config: string; pid: string; args: string[] } {
    const dir = join(bed.tempDir, `d${n++}`);
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'keepalived.conf');
    writeFileSync(config, vrrpConfig({ state: 'MASTER', priority: 150, vips: vips.map((v) => `${v}/32`) }));
    const pid = join(dir, 'keepalived.pid');
    return { dir, config, pid, args: ['-P', '-p', pid, '--runtime-dir', join(dir, 'run')] };
  }

  async function stop(pid: number): Promise<void> {
    if (!alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !alive(pid), 10_000, `daemon ${pid} to stop`);
  }

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-wire-pr');
    [a] = bed.twoHosts('10.231.72');
  });
  afterAll(async () => {
    for (const pid of daemons) await stop(pid).catch(() => {});
    bed?.destroy();
  });

  describe('without -n', () => {
    it('returns 0 once the detached daemon runs, which stops cleanly on SIGTERM', async () => {
      const s = setup([VIP]);
      // A relative -f from the config's directory: the daemon runs in / but keeps reading it.
      const r = await runCommand(a.ns, s.dir, [...s.args, '-f', 'keepalived.conf']);
      expect(r.output).toBe('');
      expect(r.code).toBe(0);
      // Written before the command returned.
      expect(existsSync(s.pid)).toBe(true);
      const pid = readPid(s.pid);
      daemons.push(pid);
      expect(alive(pid)).toBe(true);
      expect(sessionOf(pid)).toBe(pid);
      expect(readlinkSync(`/proc/${pid}/cwd`)).toBe('/');
      for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toBe('/dev/null');
      console.log(`detached start: the command returned after ${r.ms.toFixed(0)} ms`);

      await waitFor(() => bed.hasAddress(a.ns, VIP), 8000, 'VIP from the detached daemon');
      writeFileSync(
        s.config,
        vrrpConfig({ state: 'MASTER', priority: 150, vips: [`${VIP}/32`, `${VIP2}/32`] }),
      );
      process.kill(pid, 'SIGHUP');
      await waitFor(() => bed.hasAddress(a.ns, VIP2), 5000, 'VIP2 after SIGHUP (relative -f)');

      await stop(pid);
      expect(bed.hasAddress(a.ns, VIP)).toBe(false);
      expect(bed.hasAddress(a.ns, VIP2)).toBe(false);
      expect(existsSync(s.pid)).toBe(false);
    }, 40_000);
  });

  describe('pid file lock', () => {
    it('refuses a second daemon for the same pid file, detached or not, and keeps the first', async () => {
      const s = setup([VIP]);
      const first = await runCommand(a.ns, s.dir, [...s.args, '-f', s.config]);
      expect(first.code).toBe(0);
      const pid = readPid(s.pid);
      daemons.push(pid);

      const detached = await runCommand(a.ns, s.dir, [...s.args, '-f', s.config]);
      expect(detached.output).toMatch(new RegExp(`^daemon is already running \\(pid ${pid} holds the lock`));
      expect(detached.output.trim().split('\n')).toHaveLength(1);
      // keepalived 2.2.7 exits 0 here too (core/main.c: "daemon is already running", exit code OK).
      expect(detached.code).toBe(0);

      const foreground = await runCommand(a.ns, s.dir, ['-n', '-l', ...s.args, '-f', s.config]);
      expect(foreground.output).toMatch(/daemon is already running \(pid \d+ holds the lock/);
      expect(foreground.code).toBe(0);

      expect(readPid(s.pid)).toBe(pid);
      expect(alive(pid)).toBe(true);
      await stop(pid);
    }, 40_000);

    it('takes over a pid file naming sleep, and one left by a daemon killed with SIGKILL', async () => {
      const s = setup([VIP]);
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        writeFileSync(s.pid, `${sleeper.pid}\n`);
        const r = await runCommand(a.ns, s.dir, ['-l', ...s.args, '-f', s.config]);
        expect(r.code).toBe(0);
        expect(r.output).toContain(
          `pid file ${s.pid} names pid ${sleeper.pid} (sleep), which is not keepalived - taking it over`,
        );
        const pid = readPid(s.pid);
        daemons.push(pid);
        expect(pid).not.toBe(sleeper.pid);
        expect(sleeper.exitCode).toBeNull();

        // SIGKILL: no clean-up, the file still names the dead daemon, the lock went with it.
        process.kill(pid, 'SIGKILL');
        await waitFor(() => !alive(pid), 5000, 'the killed daemon to go');
        expect(readPid(s.pid)).toBe(pid);
        const again = await runCommand(a.ns, s.dir, ['-l', ...s.args, '-f', s.config]);
        expect(again.code).toBe(0);
        expect(again.output).toContain(`Remove a zombie pid file ${s.pid} (pid ${pid} is not running)`);
        const next = readPid(s.pid);
        daemons.push(next);
        expect(alive(next)).toBe(true);
        await stop(next);
      } finally {
        sleeper.kill('SIGKILL');
      }
    }, 40_000);
  });

  describe('start-up failures', () => {
    it('are printed and returned by the command, with no daemon left behind', async () => {
      const s = setup([VIP]);
      const missing = await runCommand(a.ns, s.dir, [...s.args, '-f', join(s.dir, 'nope.conf')]);
      expect(missing.code).toBe(6);
      expect(missing.output).toContain(`Configuration file '${join(s.dir, 'nope.conf')}' - not found`);
      expect(existsSync(s.pid)).toBe(false);

      const target = join(s.dir, 'precious');
      writeFileSync(target, 'keep me\n');
      symlinkSync(target, s.pid);
      const planted = await runCommand(a.ns, s.dir, [...s.args, '-f', s.config]);
      expect(planted.code).toBe(1);
      expect(planted.output).toMatch(/pidfile_write : Cannot open .*keepalived\.pid pidfile/);
      expect(readFileSync(target, 'utf8')).toBe('keep me\n');

      const left = spawn('ip', ['netns', 'pids', a.ns], { stdio: ['ignore', 'pipe', 'ignore'] });
      let pids = '';
      left.stdout.on('data', (b: Buffer) => (pids += b.toString()));
      await new Promise((r) => left.on('close', r));
      expect(pids.trim()).toBe('');
    }, 40_000);
  });
});
