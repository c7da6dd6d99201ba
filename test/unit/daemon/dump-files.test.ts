/**
 * Where the dump files go (keepalived's tmp_dir and 2.3.3's *_dump_file rules) and what each
 * signal writes, with the file writer replaced by a recorder (net/dump-file.ts has its own tests
 * on a real file system).
 */
import { describe, expect, it } from 'vitest';
import type { GlobalDumpContext } from '../../../src/config/global-dump.js';
import type { Config } from '../../../src/config/model.js';
import { DumpFiles, dumpDirectory, dumpFilePath, type DumpSource } from '../../../src/daemon/dump-files.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { configModel, globalDefs } from '../../support/config-model.js';

describe('dumpDirectory (lib/utils.c set_tmp_dir)', () => {
  it('is $TMPDIR when it is absolute, else /tmp', () => {
    expect(dumpDirectory({})).toBe('/tmp');
    expect(dumpDirectory({ TMPDIR: '/run/ka' })).toBe('/run/ka');
    expect(dumpDirectory({ TMPDIR: 'relative/dir' })).toBe('/tmp');
    expect(dumpDirectory({ TMPDIR: '' })).toBe('/tmp');
  });
});

describe('dumpFilePath (keepalived 2.3.3 open_dump_file)', () => {
  it("keeps keepalived's names in the directory by default", () => {
    expect(dumpFilePath('data', 'vrrp', null, '/tmp')).toBe('/tmp/keepalived.data');
    expect(dumpFilePath('data', 'checker', null, '/tmp')).toBe('/tmp/keepalived_check.data');
    expect(dumpFilePath('data', 'parent', null, '/tmp')).toBe('/tmp/keepalived_parent.data');
    expect(dumpFilePath('stats', 'vrrp', null, '/tmp')).toBe('/tmp/keepalived.stats');
    expect(dumpFilePath('json', 'vrrp', null, '/x')).toBe('/x/keepalived.json');
    expect(dumpFilePath('json', 'checker', null, '/tmp')).toBe('/tmp/keepalived_check.json');
  });

  it('uses an absolute setting as the file, with _check/_parent before its extension', () => {
    expect(dumpFilePath('data', 'vrrp', '/var/run/ka/state.txt', '/tmp')).toBe('/var/run/ka/state.txt');
    expect(dumpFilePath('data', 'checker', '/var/run/ka/state.txt', '/tmp')).toBe(
      '/var/run/ka/state_check.txt',
    );
    expect(dumpFilePath('data', 'parent', '/var/run/ka/state', '/tmp')).toBe('/var/run/ka/state_parent');
    expect(dumpFilePath('data', 'checker', '/d/a.b.data', '/tmp')).toBe('/d/a.b_check.data');
  });

  it('takes a setting ending in / as the directory for the usual names', () => {
    expect(dumpFilePath('stats', 'vrrp', '/run/keepalived/', '/tmp')).toBe(
      '/run/keepalived/keepalived.stats',
    );
    expect(dumpFilePath('data', 'checker', '/run/keepalived/', '/tmp')).toBe(
      '/run/keepalived/keepalived_check.data',
    );
    expect(dumpFilePath('json', 'vrrp', '/', '/tmp')).toBe('/keepalived.json');
  });

  it('takes a relative setting in the default directory (its last component)', () => {
    expect(dumpFilePath('data', 'vrrp', 'ka.data', '/tmp')).toBe('/tmp/ka.data');
    expect(dumpFilePath('data', 'vrrp', 'sub/ka.data', '/run')).toBe('/run/ka.data');
  });
});

const ctx = (): GlobalDumpContext => ({
  process: 'vrrp',
  hostname: 'h',
  userName: 'root',
  defaultScriptIds: { uid: 0, gid: 0 },
  umask: 0o177,
  idsOf: () => ({ uid: 0, gid: 0 }),
});

function setup(over: Partial<Config['globalDefs']> = {}, umask: number | null = null) {
  const writes: { path: string; text: string; mode: number }[] = [];
  const processes: string[] = [];
  const log = new MemoryLogger();
  let fail: NodeJS.ErrnoException | null = null;
  const files = new DumpFiles({
    logger: log,
    env: { TMPDIR: '/dumps' },
    umask,
    globalContext: (_c, p) => {
      processes.push(p);
      return { ...ctx(), process: p };
    },
    write: async (path, text, options) => {
      await Promise.resolve();
      if (fail !== null) throw fail;
      writes.push({ path, text, mode: options.mode });
    },
  });
  const config: Config = configModel({ globalDefs: globalDefs(over) });
  return { files, writes, processes, log, config, failWith: (e: NodeJS.ErrnoException | null) => (fail = e) };
}

describe('DumpFiles', () => {
  it('USR1: the parent file is the Global definitions; each subsystem file adds its own text', async () => {
    const { files, writes, processes, config } = setup();
    const vrrp: DumpSource = { process: 'vrrp', dataText: () => '------< VRRP Topology >------\n' };
    const lvs: DumpSource = { process: 'checker', dataText: async () => '------< LVS Topology >------\n' };
    await files.data(config, [lvs, vrrp]);
    expect(writes.map((w) => w.path).sort()).toEqual([
      '/dumps/keepalived.data',
      '/dumps/keepalived_check.data',
      '/dumps/keepalived_parent.data',
    ]);
    const byPath = new Map(writes.map((w) => [w.path, w.text]));
    expect(byPath.get('/dumps/keepalived_parent.data')).toMatch(/^------< Global definitions >------\n/);
    expect(byPath.get('/dumps/keepalived_parent.data')).not.toMatch(/Default interface/);
    expect(byPath.get('/dumps/keepalived.data')).toMatch(
      / Default interface = eth0\n[^]* umask = 0177\n------< VRRP Topology >------\n$/,
    );
    expect(byPath.get('/dumps/keepalived_check.data')).toMatch(
      / umask = 0177\n------< LVS Topology >------\n$/,
    );
    expect(processes.sort()).toEqual(['checker', 'parent', 'vrrp']);
    expect(writes.every((w) => w.mode === 0o600)).toBe(true);
  });

  it('follows state_dump_file for all three data files, and -u for the mode', async () => {
    const { files, writes, config } = setup({ stateFileLocation: '/var/ka/state.data' }, 0o022);
    await files.data(config, [{ process: 'vrrp', dataText: () => '' }]);
    expect(writes.map((w) => w.path).sort()).toEqual(['/var/ka/state.data', '/var/ka/state_parent.data']);
    expect(writes.every((w) => w.mode === 0o644)).toBe(true);
  });

  it('SIGRTMAX-1 writes the counters as they were, then zeroes them', async () => {
    const { files, writes, config } = setup({ statsFileLocation: '/s/ka.stats' });
    let sent = 7;
    const vrrp: DumpSource = {
      process: 'vrrp',
      statsText: () => `Sent: ${sent}\n`,
      clearStats: () => (sent = 0),
    };
    await files.stats(config, [vrrp], true);
    expect(writes).toEqual([{ path: '/s/ka.stats', text: 'Sent: 7\n', mode: 0o600 }]);
    expect(sent).toBe(0);
    await files.stats(config, [vrrp]);
    expect(writes[1]!.text).toBe('Sent: 0\n');
  });

  it('SIGRTMAX-1 also clears a subsystem that has counters but no stats file', async () => {
    const { files, writes, config } = setup();
    let cleared = false;
    await files.stats(config, [{ process: 'checker', clearStats: () => (cleared = true) }], true);
    expect(cleared).toBe(true);
    expect(writes).toEqual([]);
  });

  it('SIGRTMIN+2 writes each array compact on one line; no file for a subsystem that has none', async () => {
    const { files, writes, config } = setup({ jsonFileLocation: '/j/' });
    await files.json(config, [
      { process: 'vrrp', jsonEntries: () => [{ data: { iname: 'VI_1' }, stats: {} }] },
      { process: 'checker', jsonEntries: async () => null },
    ]);
    expect(writes).toEqual([
      { path: '/j/keepalived.json', text: '[{"data":{"iname":"VI_1"},"stats":{}}]\n', mode: 0o600 },
    ]);
  });

  it('collapses a burst: while one write of a file runs, the requests after it make one more', async () => {
    const { files, writes, config } = setup();
    let n = 0;
    const vrrp: DumpSource = { process: 'vrrp', statsText: () => `${++n}\n` };
    await Promise.all(Array.from({ length: 100 }, () => files.stats(config, [vrrp])));
    expect(writes.map((w) => w.text)).toEqual(['1\n', '2\n']);
    await files.stats(config, [vrrp]);
    expect(writes.map((w) => w.text)).toEqual(['1\n', '2\n', '3\n']);
  });

  it("logs keepalived's line when a file cannot be written, and keeps going", async () => {
    const { files, log, config, failWith, writes } = setup();
    failWith(Object.assign(new Error('EEXIST: file already exists'), { code: 'EEXIST', errno: -17 }));
    await files.stats(config, [{ process: 'vrrp', statsText: () => 'x\n' }]);
    expect(log.messages()).toContain("Can't open dump file /dumps/keepalived.stats (17: EEXIST)");
    failWith(null);
    await files.stats(config, [{ process: 'vrrp', statsText: () => 'y\n' }]);
    expect(writes.map((w) => w.text)).toEqual(['y\n']);
  });
});
