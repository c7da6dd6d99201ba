/**
 * Root tier: faults around the daemon rather than on the wire.
 * - MISC_CHECK scripts that never exit (one ignores SIGTERM): misc_timeout ends them (TERM, then
 *   KILL), a reload ends the old checkers' scripts, and a stop ends the running ones at once, as
 *   keepalived's script_killall does: the daemon is gone within seconds and no script is left
 *   (before, a stop waited for each script's own timeout).
 * - The disk full where the dump files go: SIGUSR1, SIGUSR2 and the JSON signal are refused with
 *   `Can't open dump file ... (28: ENOSPC)`, nothing partial is left, the MASTER keeps its VIP.
 * - The runtime directory read-only: no control socket (said once), the instance still becomes
 *   MASTER, and a stop still removes its VIP.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { daemonArgs } from '../support/daemon-options.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  signalDaemon,
  sleep,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Host,
} from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

const PREFIX = '10.231.45';
const VIP = `${PREFIX}.100`;
/** The pids of this file's scripts still running (by the paths in their command lines). */
function scriptsLeft(dir: string): number[] {
  const out = spawnSync('pgrep', ['-f', `${dir}/(kts-sleep|hang\\.sh|stubborn\\.sh)`], { encoding: 'utf8' });
  return out.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

describeTier('faults around the daemon', () => {
  let bed: Testbed;
  let master: Host;
  let dir: string;
  const mounts: string[] = [];

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-faults');
    [master] = bed.twoHosts(PREFIX);
    dir = mkdtempSync(join(tmpdir(), 'kts-faults-'));
  });
  afterAll(() => {
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    if (dir !== undefined) for (const pid of scriptsLeft(dir)) spawnSync('kill', ['-KILL', String(pid)]);
    bed?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const tmpfs = (path: string, options: string): void => {
    mkdirSync(path, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', path]);
    mounts.push(path);
  };

  it('ends scripts that never exit: at misc_timeout, at a reload, and at once on stop', async () => {
    // A copy of sleep in this test's directory, so every process of the scripts names it.
    const sleeper = join(dir, 'kts-sleep');
    copyFileSync('/bin/sleep', sleeper);
    chmodSync(sleeper, 0o755);
    const hang = join(dir, 'hang.sh');
    writeFileSync(hang, `#!/bin/sh\nexec ${sleeper} 1000\n`, { mode: 0o755 });
    // SIGTERM ignored by the shell and, inherited, by its sleep: only SIGKILL ends them.
    const stubborn = join(dir, 'stubborn.sh');
    writeFileSync(stubborn, `#!/bin/sh\ntrap '' TERM\n${sleeper} 1000 &\nwait\n`, { mode: 0o755 });
    const left = (): number[] => scriptsLeft(dir);
    const conf = (timeout: number): string =>
      [
        'global_defs {',
        '  enable_script_security',
        '  script_user root',
        '}',
        'virtual_server 10.0.0.1 80 {',
        '  delay_loop 2',
        '  lb_algo rr',
        '  lb_kind NAT',
        '  protocol TCP',
        ...[hang, stubborn].flatMap((path, i) => [
          `  real_server 127.0.0.${i + 1} 80 {`,
          '    MISC_CHECK {',
          `      misc_path ${path}`,
          `      misc_timeout ${timeout}`,
          '    }',
          '  }',
        ]),
        '}',
        '',
      ].join('\n');
    const confPath = join(dir, 'misc.conf');
    writeFileSync(confPath, conf(3));
    const child = bed.spawnIn(master.ns, process.execPath, [
      DIST_ENTRY,
      ...daemonArgs({
        config: confPath,
        pidFile: join(dir, 'misc.pid'),
        runtimeDir: join(dir, 'misc-run'),
        only: 'check',
        logDetail: true,
        extra: ['--no-ipvs', '-c', join(dir, 'misc-check.pid')],
      }),
    ]);
    const lines = new LineCollector(child);
    // misc_timeout: both time out; the one that ignores TERM is killed a second later.
    await lines.wait(/Misc check for \[\[127\.0\.0\.1\]:tcp:80 .* timed out/, 15_000);
    await lines.wait(/Misc check for \[\[127\.0\.0\.2\]:tcp:80 .* timed out/, 15_000);

    // A reload to a long misc_timeout: the scripts running when it comes are ended.
    writeFileSync(confPath, conf(600));
    await waitFor(() => left().length >= 3, 10_000, 'both scripts running');
    const beforeReload = left();
    child.kill('SIGHUP');
    await lines.wait(/Reload complete/, 10_000);
    await waitFor(
      () => !left().some((p) => beforeReload.includes(p)),
      5000,
      'the old checkers’ scripts ended by the reload',
    );

    // Stop while the new scripts run (misc_timeout 600): gone within a few seconds, nothing left.
    await waitFor(() => left().length >= 3, 10_000, 'the new scripts running');
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const stopMs = Date.now() - stoppedAt;
    console.log(`stop with two scripts that never exit (one ignoring SIGTERM): ${stopMs} ms`);
    expect(stopMs).toBeLessThan(4000);
    expect(left()).toEqual([]);
  }, 60_000);

  it('a full disk refuses the dump files with ENOSPC and leaves nothing partial; the MASTER goes on', async () => {
    const full = join(dir, 'full');
    tmpfs(full, 'size=64k');
    // Fill it (dd stops at ENOSPC).
    spawnSync('dd', ['if=/dev/zero', `of=${join(full, 'filler')}`, 'bs=4k', 'count=64']);
    const d = startKeepalivedTs(
      bed,
      master.ns,
      'full',
      vrrpConfig({ state: 'MASTER', priority: 150, vips: [`${VIP}/24`] }),
      [],
      () => ({ ...process.env, TMPDIR: full }),
    );
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
    const from = d.lines.lines.length;
    for (const s of ['SIGUSR1', 'SIGUSR2'] as const) signalDaemon(d, s);
    execFileSync('kill', ['-36', String(Number(execFileSync('cat', [d.pidFile], { encoding: 'utf8' })))]);
    await d.lines.wait(/Can't open dump file .*keepalived\.data \(28: ENOSPC\)/, 5000, from);
    await d.lines.wait(/Can't open dump file .*keepalived\.stats \(28: ENOSPC\)/, 5000, from);
    await d.lines.wait(/Can't open dump file .*keepalived\.json \(28: ENOSPC\)/, 5000, from);
    expect(readdirSync(full)).toEqual(['filler']);
    await sleep(1500);
    expect(d.child.exitCode).toBeNull();
    expect(bed.hasAddress(master.ns, VIP)).toBe(true);
    await stopDaemon(d);
    expect(bed.hasAddress(master.ns, VIP)).toBe(false);
  }, 60_000);

  it('a read-only runtime directory: no control socket, still MASTER, and a stop removes the VIP', async () => {
    const runtime = join(dir, 'ro-run');
    tmpfs(runtime, 'ro,size=64k');
    const confPath = join(dir, 'ro.conf');
    writeFileSync(confPath, vrrpConfig({ state: 'MASTER', priority: 150, vips: [`${VIP}/24`] }));
    const child = bed.spawnIn(master.ns, process.execPath, [
      DIST_ENTRY,
      ...daemonArgs({
        config: confPath,
        pidFile: join(dir, 'ro.pid'),
        runtimeDir: runtime,
        only: 'vrrp',
        logDetail: true,
        extra: ['-r', join(dir, 'ro-vrrp.pid')],
      }),
    ]);
    const lines = new LineCollector(child);
    await lines.wait(/Cannot open the control socket .*EROFS/, 10_000);
    await lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
    expect(bed.hasAddress(master.ns, VIP)).toBe(true);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode).toBe(0);
    expect(bed.hasAddress(master.ns, VIP)).toBe(false);
  }, 60_000);
});
