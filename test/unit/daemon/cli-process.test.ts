// The process side of the command line: every flag `-h` lists parses, every flag keepalived
// 2.2.7's `-h` lists is either ours or refused with one line naming it, -u, --watch-config.
import { describe, expect, it } from 'vitest';
import { parseCommandLine, parseUmask, USAGE } from '../../../src/daemon/cli.js';

/** Flags of `keepalived -h` (keepalived 2.2.7, Debian 12), short and long, and whether they take a value. */
const KEEPALIVED_2_2_7_FLAGS: readonly { short?: string; long: string; value?: string }[] = [
  { short: 'f', long: 'use-file', value: '/x.conf' },
  { short: 'P', long: 'vrrp' },
  { short: 'C', long: 'check' },
  { short: 'B', long: 'no_bfd' },
  { long: 'all' },
  { short: 'l', long: 'log-console' },
  { short: 'D', long: 'log-detail' },
  { short: 'S', long: 'log-facility', value: '1' },
  { short: 'G', long: 'no-syslog' },
  { short: 'u', long: 'umask', value: '022' },
  { short: 'X', long: 'release-vips' },
  { short: 'V', long: 'dont-release-vrrp' },
  { short: 'I', long: 'dont-release-ipvs' },
  { short: 'R', long: 'dont-respawn' },
  { short: 'n', long: 'dont-fork' },
  { short: 'd', long: 'dump-conf' },
  { short: 'p', long: 'pid', value: '/r/k.pid' },
  { short: 'r', long: 'vrrp_pid', value: '/r/v.pid' },
  { short: 'T', long: 'genhash' },
  { short: 'c', long: 'checkers_pid', value: '/r/c.pid' },
  { short: 'a', long: 'address-monitoring' },
  { short: 'b', long: 'bfd_pid', value: '/r/b.pid' },
  { short: 'x', long: 'snmp' },
  { short: 'A', long: 'snmp-agent-socket', value: '/s' },
  { short: 's', long: 'namespace', value: 'ns1' },
  { short: 'm', long: 'core-dump' },
  { short: 'M', long: 'core-dump-pattern', value: 'core' },
  { short: 'e', long: 'all-config' },
  { short: 'i', long: 'config-id', value: 'id1' },
  { long: 'signum', value: 'STOP' },
  { short: 't', long: 'config-test' },
  { short: 'v', long: 'version' },
  { short: 'h', long: 'help' },
];

/** `-x, --long=VALUE` / `--long` entries of our USAGE. */
function usageFlags(): { short?: string; long: string; takesValue: boolean }[] {
  const out: { short?: string; long: string; takesValue: boolean }[] = [];
  for (const line of USAGE.split('\n')) {
    // `--long=VALUE`, `--long[=OPTIONAL]`, `--long value` (one space), else a flag.
    const m = /^\s+(?:-(\w), )?--([\w-]+)(=|\[=| \w+ {2})?/.exec(line);
    if (m) out.push({ short: m[1], long: m[2]!, takesValue: m[3] !== undefined && !m[3].startsWith('[') });
  }
  return out;
}

/** A valid value for the flags that need a particular one. */
const VALUES: Record<string, string> = {
  'log-facility': '3',
  'log-format': 'json',
  umask: '022',
  signum: 'STOP',
  'metrics-listen': '127.0.0.1:9650',
};
/** Flags that only mean something beside another one. */
const ALONGSIDE: Record<string, string[]> = {
  'web-control': ['--metrics-listen=:9650'],
};

describe('every flag of -h', () => {
  const ours = usageFlags();
  it('lists the flags this file knows about', () => {
    expect(ours.length).toBeGreaterThan(25);
  });
  it.each(ours)('--$long parses, short and long', ({ short, long, takesValue }) => {
    const value = takesValue ? (VALUES[long] ?? 'x') : null;
    const extra = ALONGSIDE[long] ?? [];
    const forms = [[`--${long}`, ...(value === null ? [] : [value]), ...extra]];
    if (short !== undefined) forms.push([`-${short}`, ...(value === null ? [] : [value]), ...extra]);
    for (const argv of forms) expect(parseCommandLine(argv).kind, argv.join(' ')).not.toBe('usage-error');
  });
});

describe("keepalived 2.2.7's flags", () => {
  const ours = new Set(usageFlags().map((f) => f.long));
  it.each(KEEPALIVED_2_2_7_FLAGS)('--$long is ours or refused naming it', ({ short, long, value }) => {
    const forms = [[`--${long}`, ...(value === undefined ? [] : [value])]];
    if (short !== undefined) forms.push([`-${short}`, ...(value === undefined ? [] : [value])]);
    for (const argv of forms) {
      const cmd = parseCommandLine(argv);
      if (ours.has(long)) {
        expect(cmd.kind, argv.join(' ')).not.toBe('usage-error');
      } else {
        expect(cmd.kind, argv.join(' ')).toBe('usage-error');
        const message = cmd.kind === 'usage-error' ? cmd.message : '';
        expect(message).toContain(`--${long}`);
        if (short !== undefined) expect(message).toContain(`-${short}/`);
        expect(message).toMatch(/ is not supported: /);
        expect(message).not.toContain('\n');
      }
    }
  });
  it('refuses an unknown option on one line naming it', () => {
    const cmd = parseCommandLine(['-Z']);
    expect(cmd).toEqual({ kind: 'usage-error', message: "Unknown option '-Z'" });
  });
});

describe('observation flags', () => {
  it('--metrics-listen takes ADDR:PORT, [ADDR6]:PORT and :PORT, and refuses the rest', () => {
    expect(parseCommandLine(['--metrics-listen', '127.0.0.1:9650'])).toMatchObject({
      options: { metricsListen: { host: '127.0.0.1', port: 9650 }, webControl: false },
    });
    expect(parseCommandLine(['--metrics-listen=[::1]:9650'])).toMatchObject({
      options: { metricsListen: { host: '::1', port: 9650 } },
    });
    expect(parseCommandLine(['--metrics-listen=:9650', '--web-control'])).toMatchObject({
      options: { metricsListen: { host: '::', port: 9650 }, webControl: true },
    });
    expect(parseCommandLine([])).toMatchObject({ options: { metricsListen: null, webControl: false } });
    for (const bad of ['9650', '10.0.0.1', '10.0.0.256:80', '1.2.3.4:65536', 'host:80', '[::1:80']) {
      const cmd = parseCommandLine([`--metrics-listen=${bad}`]);
      expect(cmd, bad).toEqual({ kind: 'usage-error', message: expect.stringContaining(`'${bad}'`) });
    }
  });
  it('--web-control without --metrics-listen is an error', () => {
    expect(parseCommandLine(['--web-control'])).toEqual({
      kind: 'usage-error',
      message: '--web-control needs --metrics-listen',
    });
  });
});

describe('process flags', () => {
  it("-u takes keepalived's numeric forms (strtoll base 0) up to 0777", () => {
    expect(parseUmask('022')).toBe(0o22);
    expect(parseUmask('0177')).toBe(0o177);
    expect(parseUmask('0x1ff')).toBe(0o777);
    expect(parseUmask('18')).toBe(18);
    expect(parseUmask('0')).toBe(0);
    for (const bad of ['0999', '01000', '512', 'u=rwx', '', '-1', '0x']) expect(parseUmask(bad)).toBeNull();
    expect(parseCommandLine(['-u', '027'])).toMatchObject({ kind: 'run', options: { umask: 0o27 } });
    expect(parseCommandLine([])).toMatchObject({ kind: 'run', options: { umask: null } });
    expect(parseCommandLine(['--umask=0999'])).toEqual({
      kind: 'usage-error',
      message: 'Invalid --umask option 0999',
    });
  });
  it('--watch-config, -n, -X and -B reach the options', () => {
    expect(parseCommandLine(['--watch-config', '-n'])).toMatchObject({
      options: { watchConfig: true, dontFork: true },
    });
    expect(parseCommandLine([])).toMatchObject({ options: { watchConfig: false, dontFork: false } });
    expect(parseCommandLine(['-X'])).toMatchObject({ options: { releaseVips: true } });
    expect(parseCommandLine(['-B']).kind).toBe('run');
  });
});
