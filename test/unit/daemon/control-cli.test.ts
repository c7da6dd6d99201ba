// The control commands' command line (control-cli.ts through cli.ts's parseCommandLine).
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/daemon/cli.js';

describe('control commands on the command line', () => {
  it('parses status, reload, rs and vrrp with --runtime-dir', () => {
    expect(parseCommandLine(['status', '--json', '--runtime-dir', '/tmp/r'])).toEqual({
      kind: 'control',
      command: { cmd: 'status' },
      runtimeDir: '/tmp/r',
      json: true,
      waitSeconds: null,
    });
    expect(parseCommandLine(['reload'])).toMatchObject({
      command: { cmd: 'reload' },
      runtimeDir: '/run/keepalived-ts',
    });
    expect(
      parseCommandLine(['rs', 'drain', '[2001:db8::1]:80', '10.0.0.2:80', '--protocol', 'udp']),
    ).toMatchObject({
      command: { cmd: 'rs.drain', vs: '[2001:db8::1]:80', rs: '10.0.0.2:80', protocol: 'UDP' },
      waitSeconds: null,
    });
    expect(parseCommandLine(['rs', 'enable', 'fwmark:5', '10.0.0.2'])).toMatchObject({
      command: { cmd: 'rs.enable', vs: 'fwmark:5', rs: '10.0.0.2', protocol: null },
    });
    expect(parseCommandLine(['vrrp', 'standby', 'VI_1'])).toMatchObject({
      command: { cmd: 'vrrp.standby', instance: 'VI_1' },
    });
    expect(parseCommandLine(['vrrp', 'resume'])).toMatchObject({
      command: { cmd: 'vrrp.resume', instance: null },
    });
  });

  it('--wait takes an optional number of seconds', () => {
    expect(parseCommandLine(['rs', 'drain', 'a:1', 'b:1', '--wait'])).toMatchObject({
      waitSeconds: Infinity,
    });
    expect(parseCommandLine(['rs', 'drain', '--wait', '30', 'a:1', 'b:1'])).toMatchObject({
      command: { vs: 'a:1', rs: 'b:1' },
      waitSeconds: 30,
    });
    expect(parseCommandLine(['rs', 'drain', 'a:1', 'b:1', '--wait=2.5'])).toMatchObject({ waitSeconds: 2.5 });
  });

  it.each([
    [['rs', 'drain', 'a:1']],
    [['rs', 'pause', 'a:1', 'b:1']],
    [['rs', 'enable', 'a:1', 'b:1', '--wait']],
    [['status', '--protocol', 'tcp']],
    [['reload', '--json']],
    [['vrrp', 'standby', 'A', 'B']],
    [['vrrp', 'sleep']],
    [['status', '--bogus']],
    [['rs', 'drain', 'a:1', 'b:1', '--protocol', 'icmp']],
  ])('%j is a usage error', (argv) => {
    expect(parseCommandLine(argv).kind).toBe('usage-error');
  });
});
