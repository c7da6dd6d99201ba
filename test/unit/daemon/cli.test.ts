import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE, parseCommandLine } from '../../../src/daemon/cli.js';

describe('command line', () => {
  it('runs both subsystems by default and one with -P or -C, as keepalived', () => {
    const both = parseCommandLine(['-n', '-l', '-D']);
    expect(both).toMatchObject({
      kind: 'run',
      options: {
        runVrrp: true,
        runChecker: true,
        dontFork: true,
        logConsole: true,
        logDetail: true,
        configFile: DEFAULT_CONFIG_FILE,
      },
    });
    expect(parseCommandLine(['-P'])).toMatchObject({ options: { runVrrp: true, runChecker: false } });
    expect(parseCommandLine(['--check'])).toMatchObject({ options: { runVrrp: false, runChecker: true } });
  });
  it('accepts grouped short flags and runtime paths', () => {
    expect(
      parseCommandLine(['-nlD', '-f', '/x.conf', '-p', '/r/p.pid', '--runtime-dir', '/r']),
    ).toMatchObject({
      kind: 'run',
      options: { configFile: '/x.conf', pidFile: '/r/p.pid', runtimeDir: '/r', logDetail: true },
    });
  });
  it('takes -t with an optional --config-test=FILE', () => {
    expect(parseCommandLine(['-t', '-f', 'a.conf'])).toMatchObject({ kind: 'config-test', outputFile: null });
    expect(parseCommandLine(['--config-test=/tmp/out'])).toMatchObject({
      kind: 'config-test',
      outputFile: '/tmp/out',
    });
  });
  it('selects one ipvs listing layout', () => {
    expect(parseCommandLine(['ipvs'])).toMatchObject({ kind: 'ipvs', layout: 'plain' });
    expect(parseCommandLine(['ipvs', '--tun-info'])).toMatchObject({ kind: 'ipvs', layout: 'tun-info' });
    expect(parseCommandLine(['ipvs', '--stats', '--rate']).kind).toBe('usage-error');
    expect(parseCommandLine(['--stats']).kind).toBe('usage-error');
  });
  it('reports unknown options as usage errors', () => {
    expect(parseCommandLine(['--bogus'])).toMatchObject({ kind: 'usage-error' });
  });
});

describe('version and --signum', () => {
  it('-v and --version, --signum=NAME', () => {
    expect(parseCommandLine(['-v'])).toEqual({ kind: 'version', long: false });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version', long: true });
    expect(parseCommandLine(['--signum=JSON'])).toEqual({ kind: 'signum', name: 'JSON' });
    expect(parseCommandLine(['--signum', 'STOP'])).toEqual({ kind: 'signum', name: 'STOP' });
  });
  it('prints the keepalived version line first, and --enable-json with --version', async () => {
    const { versionText } = await import('../../../src/version.js');
    const short = versionText('6.1.0', false);
    expect(short.split('\n')[0]).toMatch(/^Keepalived v2\.2\.7 \(keepalived-ts v\d+\.\d+\.\d+\)$/);
    expect(short).not.toContain('configure options:');
    expect(versionText('6.1.0', true)).toMatch(/^configure options: .*--enable-json/m);
  });
});
