// The logging flags of the command line: -S, -g[FILE], --flush-log-file, -G, --log-format, -d.
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/daemon/cli.js';

const options = (argv: string[]): Record<string, unknown> => {
  const cmd = parseCommandLine(argv);
  if (cmd.kind !== 'run') throw new Error(`${argv.join(' ')}: ${JSON.stringify(cmd)}`);
  return cmd.options as unknown as Record<string, unknown>;
};

describe('-S / --log-facility', () => {
  it("takes keepalived's forms: 0-7 and local0-7 (LOG_LOCALn), user, daemon", () => {
    expect(options(['-S', '0']).logFacility).toBe(16 << 3);
    expect(options(['-S7']).logFacility).toBe(23 << 3);
    expect(options(['--log-facility=local3']).logFacility).toBe(19 << 3);
    expect(options(['--log-facility', 'user']).logFacility).toBe(1 << 3);
    expect(options(['-S', 'daemon']).logFacility).toBe(3 << 3);
    expect(options([]).logFacility).toBeNull();
  });
  it("refuses anything else with keepalived's one line", () => {
    for (const bad of ['8', 'local8', 'foo', '-1', 'LOCAL1', ' 1', 'kern', '']) {
      expect(parseCommandLine([`--log-facility=${bad}`])).toEqual({
        kind: 'usage-error',
        message: `Invalid log facility '${bad}'`,
      });
    }
  });
});

describe('-g / --log-file (getopt optional argument)', () => {
  it('takes the file only attached, and keepalived.log without one', () => {
    expect(options(['-g/var/log/ka.log']).logFile).toBe('/var/log/ka.log');
    expect(options(['--log-file=/var/log/ka.log']).logFile).toBe('/var/log/ka.log');
    expect(options(['-g']).logFile).toBe('keepalived.log');
    expect(options(['--log-file']).logFile).toBe('keepalived.log');
    expect(options(['--log-file=']).logFile).toBe('keepalived.log');
    expect(options([]).logFile).toBeNull();
  });
  it('reads it inside a cluster of short flags, and never from the value of another flag', () => {
    expect(options(['-nlg'])).toMatchObject({ dontFork: true, logConsole: true, logFile: 'keepalived.log' });
    expect(options(['-lgka.log'])).toMatchObject({ logConsole: true, logFile: 'ka.log' });
    // A value that looks like a flag stays the value (which parseArgs then refuses as ambiguous).
    expect(parseCommandLine(['-p', '-gx'])).toMatchObject({
      kind: 'usage-error',
      message: /'-p' argument is ambiguous/,
    });
    expect(parseCommandLine(['--pid', '-g'])).toMatchObject({
      kind: 'usage-error',
      message: /'--pid' argument is ambiguous/,
    });
    expect(options(['-fg'])).toMatchObject({ configFile: 'g', logFile: null });
  });
  it('refuses a separate value, as keepalived does ("Unexpected argument")', () => {
    expect(parseCommandLine(['-g', '/var/log/ka.log']).kind).toBe('usage-error');
  });
  it('--flush-log-file', () => {
    expect(options(['-g', '--flush-log-file']).flushLogFile).toBe(true);
    expect(options(['-g']).flushLogFile).toBe(false);
  });
});

describe('--log-format, -G, -d', () => {
  it('text by default, json on request, anything else refused', () => {
    expect(options([]).logFormat).toBe('text');
    expect(options(['--log-format=json']).logFormat).toBe('json');
    expect(options(['--log-format', 'text']).logFormat).toBe('text');
    expect(parseCommandLine(['--log-format=xml'])).toEqual({
      kind: 'usage-error',
      message: "Invalid --log-format 'xml' (text or json)",
    });
  });
  it('-G and -d reach the options', () => {
    expect(options(['-G', '-d'])).toMatchObject({ noSyslog: true, dumpConf: true });
    expect(options([])).toMatchObject({ noSyslog: false, dumpConf: false });
  });
});
