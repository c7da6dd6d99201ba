/**
 * Root tier: keepalived's dump files from a running MASTER in a namespace. USR1, USR2,
 * SIGRTMIN+2 and SIGRTMAX-1 write them at keepalived's default paths (/tmp/keepalived.*, or
 * $TMPDIR) and at the paths the config's *_dump_file keywords give, mode 0600; a symlink planted
 * at a path is replaced, never followed (the victim is untouched); a planted file is replaced,
 * not truncated; SIGRTMAX-1 writes the counters, then zeroes them; with the checkers running,
 * keepalived_check.data and keepalived_check.json beside the VRRP files; a burst of 100 signals
 * leaves whole files and a live MASTER.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

const SIGJSON = 36; // SIGRTMIN+2
const SIGSTATS_CLEAR = 63; // SIGRTMAX-1

describeTier('dump files', () => {
  let bed: Testbed;
  let a: Host;
  const running: Daemon[] = [];

  const start = async (
    name: string,
    topLevel: readonly string[],
    env?: (dir: string) => NodeJS.ProcessEnv,
  ) => {
    const config = vrrpConfig(
      {
        state: 'MASTER',
        priority: 150,
        vrid: 93,
        vips: ['10.231.13.100/32'],
        extra: ['track_script {', '  chk', '}'],
      },
      [...topLevel, 'vrrp_script chk {', '  script "/bin/true"', '  interval 1', '  timeout 1', '}'],
    );
    const d = startKeepalivedTs(bed, a.ns, name, config, [], env);
    running.push(d);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
    return d;
  };

  /** Sends `signum` and waits for `path` to be (re)written. */
  const dump = async (d: Daemon, signum: number, path: string): Promise<string> => {
    const before = existsSync(path) ? lstatSync(path).ino : -1;
    process.kill(d.child.pid!, signum);
    await waitFor(() => existsSync(path) && lstatSync(path).ino !== before, 5000, `${path} written`);
    return readFileSync(path, 'utf8');
  };

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-dump');
    [a] = bed.twoHosts('10.231.13');
  });
  // One daemon at a time: they share the VRID and the VIP.
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => stopDaemon(d)));
  });
  afterAll(() => bed?.destroy());

  it("writes /tmp/keepalived.data, .stats and .json by default, mode 0600, in keepalived's layout, over a planted symlink", async () => {
    const names = ['keepalived.data', 'keepalived_parent.data', 'keepalived.stats', 'keepalived.json'];
    // Keep whatever a real keepalived on this machine left there, and put it back afterwards.
    const saved = names.filter((n) => existsSync(join('/tmp', n)));
    for (const n of saved) renameSync(join('/tmp', n), join(bed.tempDir, `saved-${n}`));
    const env = (): NodeJS.ProcessEnv => {
      const e = { ...process.env };
      delete e['TMPDIR'];
      return e;
    };
    // CVE-2018-19044: a symlink planted at /tmp/keepalived.data must not lead the write elsewhere.
    const victim = join(bed.tempDir, 'victim-default');
    writeFileSync(victim, 'do not touch\n', { mode: 0o644 });
    try {
      symlinkSync(victim, '/tmp/keepalived.data');
      const d = await start('default', [], env);
      const data = await dump(d, 10, '/tmp/keepalived.data');
      expect(readFileSync(victim, 'utf8')).toBe('do not touch\n');
      expect(lstatSync('/tmp/keepalived.data').isSymbolicLink()).toBe(false);
      expect(data).toMatch(/^------< Global definitions >------\n/);
      expect(data).toContain(
        '------< VRRP Topology >------\n VRRP Instance = VI_1\n   VRRP Version = 2\n   State = MASTER\n',
      );
      expect(data).toContain('   Virtual IP (1):\n     10.231.13.100 dev eth0 scope global set\n');
      expect(data).toContain(' VRRP Script = chk\n');
      expect(data).toMatch(/^ {3}Status = GOOD$/m);
      expect(readFileSync('/tmp/keepalived_parent.data', 'utf8')).toMatch(
        /^------< Global definitions >------\n/,
      );
      const stats = await dump(d, 12, '/tmp/keepalived.stats');
      expect(stats).toMatch(
        /^VRRP Instance: VI_1\n {2}Advertisements:\n {4}Received: \d+\n {4}Sent: [1-9]\d*\n/,
      );
      const json = JSON.parse(await dump(d, SIGJSON, '/tmp/keepalived.json')) as {
        data: Record<string, unknown>;
        stats: Record<string, unknown>;
      }[];
      expect(json).toHaveLength(1);
      expect(json[0]!.data).toMatchObject({
        iname: 'VI_1',
        vrid: 93,
        state: 2,
        wantstate: 2,
        base_priority: 150,
      });
      expect(json[0]!.data['vips']).toEqual(['10.231.13.100 dev eth0 scope global set']);
      expect(Object.keys(json[0]!.stats)).toContain('advert_sent');
      for (const n of names) expect(statSync(join('/tmp', n)).mode & 0o777, n).toBe(0o600);
      expect(await stopDaemon(d)).toBe(0);
    } finally {
      for (const n of names) rmSync(join('/tmp', n), { force: true });
      for (const n of saved) renameSync(join(bed.tempDir, `saved-${n}`), join('/tmp', n));
    }
  });

  it('follows $TMPDIR and the *_dump_file keywords (keepalived 2.3.3; state_file_location aliases)', async () => {
    const dir = join(bed.tempDir, 'custom');
    mkdirSync(dir);
    const d = await start('keywords', [
      'global_defs {',
      `  state_dump_file ${dir}/state.txt`,
      `  stats_file_location ${dir}/`,
      `  json_dump_file ${dir}/ka.json`,
      '}',
    ]);
    const data = await dump(d, 10, join(dir, 'state.txt'));
    expect(data).toContain(' VRRP Instance = VI_1');
    expect(existsSync(join(dir, 'state_parent.txt'))).toBe(true);
    expect(await dump(d, 12, join(dir, 'keepalived.stats'))).toContain('VRRP Instance: VI_1');
    expect(JSON.parse(await dump(d, SIGJSON, join(dir, 'ka.json')))).toHaveLength(1);
    for (const f of ['state.txt', 'state_parent.txt', 'keepalived.stats', 'ka.json']) {
      expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    }
    // Nothing went to the daemon's $TMPDIR.
    expect(existsSync(join(d.runtimeDir, 'keepalived.data'))).toBe(false);
  });

  it('replaces a symlink planted at a dump path: the file it points at is untouched', async () => {
    const d = await start('symlink', []);
    const victim = join(bed.tempDir, 'victim');
    writeFileSync(victim, 'root:secret\n', { mode: 0o644 });
    for (const name of ['keepalived.data', 'keepalived.stats', 'keepalived.json']) {
      symlinkSync(victim, join(d.runtimeDir, name));
    }
    await dump(d, 10, join(d.runtimeDir, 'keepalived.data'));
    await dump(d, 12, join(d.runtimeDir, 'keepalived.stats'));
    await dump(d, SIGJSON, join(d.runtimeDir, 'keepalived.json'));
    expect(readFileSync(victim, 'utf8')).toBe('root:secret\n');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    for (const name of ['keepalived.data', 'keepalived.stats', 'keepalived.json']) {
      const st = lstatSync(join(d.runtimeDir, name));
      expect(st.isSymbolicLink(), name).toBe(false);
      expect(st.mode & 0o777, name).toBe(0o600);
    }
    // No temporary file is left, and none is named like keepalived.json*.
    expect(readdirSync(d.runtimeDir).filter((n) => n.startsWith('.kts-dump-'))).toEqual([]);
  });

  it('replaces a planted file without truncating it (a reader holding it keeps its bytes)', async () => {
    const d = await start('planted', []);
    const path = join(d.runtimeDir, 'keepalived.stats');
    writeFileSync(path, 'planted\n', { mode: 0o666 });
    const fd = openSync(path, 'r');
    try {
      await dump(d, 12, path);
      const buf = Buffer.alloc(32);
      expect(buf.subarray(0, readSync(fd, buf, 0, 32, 0)).toString()).toBe('planted\n');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, 'utf8')).toContain('VRRP Instance: VI_1');
  });

  it('SIGRTMAX-1 writes the stats as they were, then zeroes them', async () => {
    const d = await start('clear', []);
    const path = join(d.runtimeDir, 'keepalived.stats');
    await sleep(1500);
    const sent = (text: string): number => Number(/^ {4}Sent: (\d+)$/m.exec(text)![1]);
    const cleared = await dump(d, SIGSTATS_CLEAR, path);
    expect(sent(cleared)).toBeGreaterThanOrEqual(2);
    expect(cleared).toMatch(/^ {2}Became master: 1$/m);
    const after = await dump(d, 12, path);
    expect(sent(after)).toBeLessThan(sent(cleared));
    expect(after).toMatch(/^ {2}Became master: 0$/m);
  });

  it('with the checkers running: keepalived_check.data (LVS Topology, Health checkers) and keepalived_check.json', async () => {
    const config = vrrpConfig({ state: 'MASTER', priority: 150, vrid: 93, vips: ['10.231.13.100/32'] }, [
      'virtual_server 10.231.13.100 80 {',
      '  delay_loop 1',
      '  lb_algo rr',
      '  lb_kind DR',
      '  protocol TCP',
      '  real_server 10.231.13.2 9 {',
      '    TCP_CHECK {',
      '      connect_timeout 1',
      '    }',
      '  }',
      '}',
    ]);
    const d = startKeepalivedTs(bed, a.ns, 'checker', config, ['-C', '--no-ipvs']);
    running.push(d);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
    const data = await dump(d, 10, join(d.runtimeDir, 'keepalived_check.data'));
    expect(data).toMatch(/^------< Global definitions >------\n/);
    // Only keepalived's VRRP process prints its default interface.
    expect(data).not.toContain(' Default interface = ');
    expect(data).toContain(
      '------< LVS Topology >------\n System is compiled with LVS v1.2.1\n ------< Virtual server >------\n VS VIP = 10.231.13.100, VPORT = 80\n',
    );
    expect(data).toContain('   RIP = 10.231.13.2, RPORT = 80, WEIGHT = ');
    expect(data).toMatch(
      /------< Health checkers >------\n \[10\.231\.13\.100\]:tcp:80 -> \[10\.231\.13\.2\]:tcp:80\n/,
    );
    expect(data).toContain('   Keepalive method = TCP_CHECK');
    // The VRRP process's file is written beside it, as keepalived's two processes do.
    await waitFor(() => existsSync(join(d.runtimeDir, 'keepalived.data')), 5000, 'keepalived.data');
    expect(readFileSync(join(d.runtimeDir, 'keepalived.data'), 'utf8')).toContain(' VRRP Instance = VI_1');
    const json = JSON.parse(await dump(d, SIGJSON, join(d.runtimeDir, 'keepalived_check.json'))) as {
      data: Record<string, unknown>;
      stats: Record<string, unknown>;
    }[];
    expect(json.map((e) => [e.data['vs'], e.data['ipvs']])).toEqual([['[10.231.13.100]:tcp:80', 'dry-run']]);
    expect((json[0]!.data['real_servers'] as { rs: string }[]).map((r) => r.rs)).toEqual([
      '[10.231.13.2]:tcp:80',
    ]);
    // keepalived.json keeps only the VRRP entries, for the exporters.
    await waitFor(() => existsSync(join(d.runtimeDir, 'keepalived.json')), 5000, 'keepalived.json');
    const vrrp = JSON.parse(readFileSync(join(d.runtimeDir, 'keepalived.json'), 'utf8')) as {
      data: { iname: string };
    }[];
    expect(vrrp.map((e) => e.data.iname)).toEqual(['VI_1']);
  });

  it('100 of each dump signal in a row: whole files, still MASTER with its VIP', async () => {
    const d = await start('burst', []);
    for (const s of [10, 12, SIGJSON, SIGSTATS_CLEAR])
      for (let i = 0; i < 100; i++) process.kill(d.child.pid!, s);
    await sleep(1500);
    expect(d.child.exitCode).toBeNull();
    expect(bed.hasAddress(a.ns, '10.231.13.100')).toBe(true);
    expect(readFileSync(join(d.runtimeDir, 'keepalived.data'), 'utf8')).toMatch(
      /------< Interfaces >------\n[^]* Name = eth0\n/,
    );
    expect(JSON.parse(readFileSync(join(d.runtimeDir, 'keepalived.json'), 'utf8'))).toHaveLength(1);
    expect(readFileSync(join(d.runtimeDir, 'keepalived.stats'), 'utf8')).toMatch(
      /Priority Zero:\n {4}Received: \d+\n {4}Sent: \d+\n$/,
    );
  });
});
