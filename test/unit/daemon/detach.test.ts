// The launcher's side of daemon mode on real processes (small scripts that speak the daemon's
// channel), the paths the detached daemon makes absolute, and which start-up lines reach the launcher.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  absolutePaths,
  launchDetached,
  reportingLogger,
  type StartupReport,
} from '../../../src/daemon/detach.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { daemonOptions } from '../../support/daemon-options.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-detach-'));
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const path = join(dir, `${name}.cjs`);
  writeFileSync(path, body);
  return path;
}

function run(path: string, args: string[] = []): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  return launchDetached(args, { script: path, stderr: (t) => void (stderr += t) }).then((code) => ({
    code,
    stderr,
  }));
}

describe('launchDetached', () => {
  it('returns 0 on ready, prints the lines sent before it, and leaves the daemon running in its own session', async () => {
    const pidFile = join(dir, 'ready.pid');
    const path = script(
      'ready',
      `const fs = require('fs');
       if (process.env.KEEPALIVED_TS_DETACHED !== '1') process.exit(99);
       fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
       process.send({ kind: 'line', text: 'args ' + process.argv.slice(2).join(' ') });
       process.send({ kind: 'ready' }, () => process.disconnect());
       setTimeout(() => {}, 30000);`,
    );
    const r = await run(path, ['-P', '-f', 'x.conf']);
    expect(r).toEqual({ code: 0, stderr: 'args -P -f x.conf\n' });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    started.push(pid);
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3])).toBe(pid);
  });

  it("returns the daemon's exit code when it ends before ready", async () => {
    const path = script(
      'missing',
      `process.send({ kind: 'line', text: "Configuration file '/x' - not found" }, () => process.exit(6));`,
    );
    expect(await run(path)).toEqual({ code: 6, stderr: "Configuration file '/x' - not found\n" });
    const quiet = script('already', 'process.exit(0);');
    expect(await run(quiet)).toEqual({ code: 0, stderr: '' });
  });

  it('returns 128 + the signal when the daemon is killed before ready', async () => {
    const path = script('killed', "process.kill(process.pid, 'SIGKILL');");
    expect(await run(path)).toEqual({ code: 137, stderr: '' });
  });
});

describe('the detached daemon', () => {
  it('makes the paths of the command line absolute against the directory it was run in', () => {
    const options = daemonOptions({
      config: 'conf/keepalived.conf',
      pidFile: 'run/k.pid',
      runtimeDir: '/run/kts',
      extra: ['-r', 'v.pid', '-glog/k.log'],
    });
    expect(absolutePaths(options, '/srv/ka')).toMatchObject({
      configFile: '/srv/ka/conf/keepalived.conf',
      pidFile: '/srv/ka/run/k.pid',
      vrrpPidFile: '/srv/ka/v.pid',
      checkersPidFile: null,
      runtimeDir: '/run/kts',
      // keepalived's make_file_name: a relative -g name is in $TMPDIR or /tmp, not the cwd.
      logFile: 'log/k.log',
    });
  });

  it('sends error lines to the launcher always, the others only when the console would show them', () => {
    const sent: string[] = [];
    const report: StartupReport = { line: (t) => void sent.push(t), ready: () => {}, close: async () => {} };
    const quiet = reportingLogger(new MemoryLogger(), report, { logConsole: false, logDetail: false });
    quiet.info('Starting');
    quiet.detail('detail');
    quiet.error('Configuration file - not found');
    expect(sent).toEqual(['Configuration file - not found']);
    sent.length = 0;
    const base = new MemoryLogger();
    const loud = reportingLogger(base, report, { logConsole: true, logDetail: false });
    loud.info('Starting');
    loud.warn('warning');
    loud.detail('detail');
    loud.debug('debug');
    expect(sent).toEqual(['Starting', 'warning']);
    // Every line still reaches the daemon's own logger.
    expect(base.messages()).toEqual(['Starting', 'warning', 'detail', 'debug']);
  });
});
