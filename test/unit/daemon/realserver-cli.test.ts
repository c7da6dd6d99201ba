import { describe, expect, it } from 'vitest';
import { parseCommandLine, USAGE } from '../../../src/daemon/cli.js';

describe('realserver command line', () => {
  it('setup takes VIPs of both families, a mode, an interface, --dry-run and --runtime-dir', () => {
    expect(
      parseCommandLine([
        'realserver',
        'setup',
        '--vip',
        '10.0.0.100',
        '--vip=2001:db8::100/128',
        '--vip',
        '10.0.0.100/32',
        '--mode',
        'tun',
        '--interface',
        'eth0',
        '--dry-run',
        '--runtime-dir',
        '/tmp/x',
      ]),
    ).toEqual({
      kind: 'realserver',
      action: 'setup',
      mode: 'tun',
      vips: [
        { address: '10.0.0.100', family: 'inet', prefixLength: 32 },
        { address: '2001:db8::100', family: 'inet6', prefixLength: 128 },
      ],
      interface: 'eth0',
      dryRun: true,
      runtimeDir: '/tmp/x',
    });
  });
  it('teardown takes VIPs or none (everything set up)', () => {
    expect(parseCommandLine(['realserver', 'teardown'])).toEqual({
      kind: 'realserver',
      action: 'teardown',
      vips: null,
      dryRun: false,
      runtimeDir: '/run/keepalived-ts',
    });
    expect(parseCommandLine(['realserver', 'teardown', '--vip', '10.0.0.1'])).toMatchObject({
      vips: [{ address: '10.0.0.1' }],
    });
  });
  it.each([
    [['realserver'], 'realserver setup ... | realserver teardown ...'],
    [['realserver', 'setup', '--mode', 'dr'], 'realserver setup needs at least one --vip'],
    [['realserver', 'setup', '--vip', '10.0.0.1'], 'realserver setup needs --mode dr or --mode tun'],
    [
      ['realserver', 'setup', '--vip', '10.0.0.1', '--mode', 'nat'],
      'realserver setup needs --mode dr or --mode tun',
    ],
    [
      ['realserver', 'setup', '--vip', '10.0.0.0/24', '--mode', 'dr'],
      "a VIP is a host address: '10.0.0.0/24' must be /32 or have no length",
    ],
    [['realserver', 'setup', '--vip', 'eth0', '--mode', 'dr'], "invalid VIP 'eth0'"],
    [
      ['realserver', 'teardown', '--mode', 'dr'],
      'realserver teardown takes no --mode or --interface: it undoes what setup recorded',
    ],
    [
      ['realserver', 'setup', 'extra', '--vip', '10.0.0.1', '--mode', 'dr'],
      'realserver setup takes no argument but its options',
    ],
  ])('%j is refused: %s', (argv, message) => {
    expect(parseCommandLine(argv)).toEqual({ kind: 'usage-error', message });
  });
  it('is in -h', () => {
    expect(USAGE).toContain('keepalived-ts realserver setup --vip ADDR');
    expect(USAGE).toContain('keepalived-ts realserver teardown');
  });
});
