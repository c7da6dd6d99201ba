/**
 * Root tier: the daemon run path of dist/keepalived-ts.js in a namespace - config diagnostics
 * (fatal stops it, errors it can run with are logged), pid file, notify scripts with keepalived's
 * arguments, and a clean SIGINT stop with exit code 0.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonArgs } from '../support/daemon-options.js';
import { tierDescribe } from '../support/tier.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  netnsPrerequisites,
  nsExec,
  signalDaemon,
  startKeepalivedTs,
  Testbed,
  waitFor,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

describeTier('keepalived-ts daemon run path', () => {
  let bed: Testbed;
  let a: Host;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-vio-dm');
    [a] = bed.twoHosts('10.231.3');
  });
  afterAll(() => bed?.destroy());

  it('exits non-zero with the diagnostic when the config cannot be used', () => {
    const missing = join(bed.tempDir, 'missing.conf');
    const r = spawnSync(
      process.execPath,
      [DIST_ENTRY, ...daemonArgs({ config: missing, pidFile: join(bed.tempDir, 'x.pid'), only: 'vrrp' })],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    // keepalived's KEEPALIVED_EXIT_NO_CONFIG for a config file it cannot read.
    expect(r.status).toBe(6);
    expect(r.stderr).toContain(`Configuration file '${missing}' - not found`);
    expect(existsSync(join(bed.tempDir, 'x.pid'))).toBe(false);
  });

  it('runs a config with errors, runs notify scripts, and stops cleanly on SIGINT', async () => {
    const out = join(bed.tempDir, 'notify.out');
    const hook = join(bed.tempDir, 'notify.sh');
    writeFileSync(hook, `#!/bin/sh\necho "$@" >> ${out}\n`);
    chmodSync(hook, 0o755);
    const config = [
      'bogus_keyword 1',
      'vrrp_instance VI_1 {',
      '  state BACKUP',
      '  interface eth0',
      '  virtual_router_id 61',
      '  priority 120',
      '  advert_int 1',
      '  virtual_ipaddress {',
      '    10.231.3.100/32',
      '  }',
      '  virtual_ipaddress_excluded {',
      '    10.231.3.110/32',
      '  }',
      '  virtual_routes {',
      '    10.231.50.0/24 dev eth0',
      '    10.231.51.0/24 via 10.231.3.2',
      '  }',
      `  notify_master "${hook} master-hook"`,
      `  notify_stop "${hook} stop-hook"`,
      `  notify "${hook}"`,
      '}',
      '',
    ].join('\n');
    const d = startKeepalivedTs(bed, a.ns, 'run', config);
    await d.lines.wait(/\(Line 1\) Unknown keyword 'bogus_keyword'/, 10_000);
    await d.lines.wait(/\(VI_1\) Entering BACKUP STATE \(init\)/, 10_000);
    expect(readFileSync(d.pidFile, 'utf8').trim()).toBe(String(d.child.pid));
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await waitFor(
      () => existsSync(out) && readFileSync(out, 'utf8').includes('INSTANCE VI_1 MASTER 120'),
      5000,
      'notify',
    );
    expect(readFileSync(out, 'utf8')).toContain('master-hook');
    expect(bed.hasAddress(a.ns, '10.231.3.100')).toBe(true);
    expect(bed.hasAddress(a.ns, '10.231.3.110')).toBe(true);
    const routes = (): string => nsExec(a.ns, 'ip', ['route', 'show']);
    await waitFor(() => routes().includes('10.231.51.0/24 via 10.231.3.2'), 3000, 'virtual routes');
    expect(routes()).toMatch(/10\.231\.50\.0\/24 dev eth0/);

    signalDaemon(d, 'SIGINT');
    expect(await d.exited).toBe(0);
    expect(bed.hasAddress(a.ns, '10.231.3.100')).toBe(false);
    expect(bed.hasAddress(a.ns, '10.231.3.110')).toBe(false);
    expect(routes()).not.toMatch(/10\.231\.5[01]\.0/);
    expect(existsSync(d.pidFile)).toBe(false);
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines).toEqual(expect.arrayContaining(['stop-hook', 'INSTANCE VI_1 STOP 120']));
    expect(d.lines.find(/Stopped Keepalived-ts v/)).toBeGreaterThanOrEqual(0);
  });
});

describeTier('keepalived-ts stop during start-up', () => {
  let bed: Testbed;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-main-early');
  });
  afterAll(() => bed?.destroy());

  it('a SIGTERM sent as soon as the daemon announces itself still ends in a clean stop (exit 0)', async () => {
    const conf = join(bed.tempDir, 'early.conf');
    // A large config keeps the daemon in its config load when the signal arrives.
    const lines = ['global_defs {', '  router_id early', '}'];
    for (let i = 0; i < 3000; i++)
      lines.push(`vrrp_script chk_${i} {`, '  script "/bin/true"', '  interval 5', '}');
    writeFileSync(conf, lines.join('\n') + '\n');
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [
        DIST_ENTRY,
        ...daemonArgs({
          config: conf,
          pidFile: join(bed.tempDir, 'e.pid'),
          runtimeDir: join(bed.tempDir, 'run'),
          only: 'vrrp',
          extra: ['--no-interface-check'],
        }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let signalled = false;
    const onData = (b: Buffer): void => {
      output += b.toString();
      // The early handler is in place before the first line is logged.
      if (!signalled && output.includes('Starting Keepalived-ts')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    expect(signalled).toBe(true);
    expect(result, output).toEqual({ code: 0, signal: null });
    expect(output).toContain('Stopping');
    expect(output).toContain('Stopped Keepalived-ts');
    expect(existsSync(join(bed.tempDir, 'e.pid'))).toBe(false);
  });
});
