// The shared daemon command line of the tests (test/support/daemon-options.ts).
import { describe, expect, it } from 'vitest';
import { daemonArgs, daemonOptions } from '../../support/daemon-options.js';

describe('daemonArgs', () => {
  it('foreground and console always; -D, -P/-C, extra flags, -p and --runtime-dir only when asked', () => {
    expect(daemonArgs({ config: '/k.conf' })).toEqual(['-n', '-l', '-f', '/k.conf']);
    expect(
      daemonArgs({
        config: '/k.conf',
        pidFile: '/r/k.pid',
        runtimeDir: '/r',
        only: 'vrrp',
        logDetail: true,
        extra: ['--no-interface-check'],
      }),
    ).toEqual([
      '-n',
      '-l',
      '-D',
      '-P',
      '--no-interface-check',
      '-f',
      '/k.conf',
      '-p',
      '/r/k.pid',
      '--runtime-dir',
      '/r',
    ]);
    expect(daemonArgs({ config: '/k.conf', only: 'check' })).toEqual(['-n', '-l', '-C', '-f', '/k.conf']);
  });
});

describe('daemonOptions', () => {
  it('is what the real parser makes of daemonArgs', () => {
    expect(
      daemonOptions({
        config: '/k.conf',
        pidFile: '/r/k.pid',
        runtimeDir: '/r',
        only: 'check',
        extra: ['--no-ipvs'],
      }),
    ).toMatchObject({
      configFile: '/k.conf',
      pidFile: '/r/k.pid',
      runtimeDir: '/r',
      runVrrp: false,
      runChecker: true,
      dontFork: true,
      logConsole: true,
      logDetail: false,
      noIpvs: true,
    });
  });
  it('refuses flags that do not make a run command line', () => {
    expect(() => daemonOptions({ config: '/k.conf', extra: ['--bogus'] })).toThrow(/not a run command line/);
  });
});
