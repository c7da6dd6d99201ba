/**
 * Root tier: every signal keepalived gives a meaning to, and every other signal whose default
 * action would end the process, sent 100 times in a row to a running MASTER. The daemon stays
 * alive and MASTER with its VIP, writes its dump files, and still stops cleanly on SIGTERM.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  netnsPrerequisites,
  sleep,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

/** Signal numbers on Linux/glibc: SIGRTMIN is 34, SIGRTMAX 64. */
const SIGRTMIN = 34;
const SIGRTMAX = 64;

describeTier('signals', () => {
  let bed: Testbed;
  let a: Host;
  let d: Daemon;
  let dataFile: string;
  let statsFile: string;

  beforeAll(async () => {
    ensureBuilt();
    bed = new Testbed('kts-sig');
    [a] = bed.twoHosts('10.231.9');
    dataFile = join(bed.tempDir, 'ka.data');
    statsFile = join(bed.tempDir, 'ka.stats');
    const config = vrrpConfig({ state: 'MASTER', priority: 150, vrid: 90, vips: ['10.231.9.100/32'] }, [
      'global_defs {',
      `  state_file_location ${dataFile}`,
      `  stats_file_location ${statsFile}`,
      '}',
    ]);
    d = startKeepalivedTs(bed, a.ns, 'sig', config);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
  });
  afterAll(async () => {
    if (d !== undefined) await stopDaemon(d);
    bed?.destroy();
  });

  const burst = async (signum: number): Promise<void> => {
    for (let i = 0; i < 100; i++) process.kill(d.child.pid!, signum);
    // Let the daemon work through them (a reload, dumps) before judging it.
    await sleep(300);
  };

  const stillMaster = (): void => {
    expect(d.child.exitCode, d.lines.text()).toBeNull();
    expect(d.child.signalCode).toBeNull();
    expect(bed.hasAddress(a.ns, '10.231.9.100')).toBe(true);
    const master = d.lines.find(/\(VI_1\) Entering MASTER STATE/);
    expect(master).toBeGreaterThanOrEqual(0);
    expect(d.lines.find(/Entering (BACKUP|FAULT) STATE/, master + 1)).toBe(-1);
  };

  it('USR1 and USR2 write the data and stats files each time', async () => {
    rmSync(dataFile, { force: true });
    rmSync(statsFile, { force: true });
    await burst(10);
    await burst(12);
    await waitFor(() => existsSync(dataFile) && existsSync(statsFile), 5000, 'dump files');
    expect(readFileSync(dataFile, 'utf8')).toContain('VI_1');
    expect(readFileSync(statsFile, 'utf8')).toContain('VI_1');
    stillMaster();
  });

  it('SIGRTMIN+2 (JSON dump) and SIGRTMAX-1 (stats clear) neither kill nor demote it', async () => {
    await burst(SIGRTMIN + 2);
    await burst(SIGRTMAX - 1);
    stillMaster();
  });

  it('HUP 100 times reloads and keeps it MASTER', async () => {
    await burst(1);
    await d.lines.wait(/Reload complete/, 15_000);
    await sleep(1500);
    stillMaster();
  });

  it('every other terminating signal is ignored: QUIT, ALRM, STKFLT, XCPU, XFSZ, VTALRM, PROF, IO, PWR and the whole real-time range', async () => {
    const others = [3, 14, 16, 24, 25, 26, 27, 29, 30];
    for (let s = SIGRTMIN; s <= SIGRTMAX; s++) if (s !== SIGRTMIN + 2 && s !== SIGRTMAX - 1) others.push(s);
    for (const s of others) await burst(s);
    stillMaster();
    expect(d.lines.find(/Received signal 40 \(SIGRTMIN\+6\) - ignoring/)).toBeGreaterThanOrEqual(0);
    // Once a minute per signal at most: 100 of each left one line each.
    expect(d.lines.text().match(/Received signal 40 /g)?.length).toBe(1);
  });

  it('SIGUSR1 never starts the inspector', () => {
    expect(d.lines.text()).not.toMatch(/Debugger listening/);
  });

  it('after all of that, SIGTERM still stops it cleanly and removes the VIP', async () => {
    expect(await stopDaemon(d)).toBe(0);
    expect(bed.hasAddress(a.ns, '10.231.9.100')).toBe(false);
  });
});
