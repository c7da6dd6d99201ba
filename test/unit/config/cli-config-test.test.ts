/**
 * `keepalived-ts -t` and `dump-config` end to end through the command-line parser, on real files
 * in a temp dir (stdout/stderr captured in-process).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parseCommandLine } from '../../../src/daemon/cli.js';
import { runConfigTest, runDumpConfig } from '../../../src/daemon/config-check.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-cfg-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string, cb?: () => void) => {
    out += chunk;
    if (typeof cb === 'function') cb();
    return true;
  }) as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string) => {
    err += chunk;
    return true;
  }) as typeof process.stderr.write);
  const cmd = parseCommandLine(argv);
  let code: number;
  if (cmd.kind === 'config-test') code = await runConfigTest(cmd.options, cmd.outputFile);
  else if (cmd.kind === 'dump-config') code = await runDumpConfig(cmd.options);
  else throw new Error(`unexpected command ${cmd.kind}`);
  vi.restoreAllMocks();
  return { code, out, err };
}

const CLEAN = `vrrp_instance VI_1 {
  interface eth9
  virtual_router_id 51
  virtual_ipaddress {
    10.1.1.166/32
  }
}
`;

describe('keepalived-ts -t', () => {
  it('clean config: exit 0, nothing printed', async () => {
    const p = file('clean.conf', CLEAN);
    expect(await run(['-t', '-f', p, '--no-interface-check'])).toEqual({ code: 0, out: '', err: '' });
  });

  it('missing interface: keepalived wording on stderr, exit 5', async () => {
    const p = file('clean.conf', CLEAN);
    const r = await run(['--config-test', '-f', p]);
    expect(r.code).toBe(5);
    expect(r.err).toBe(
      "(Line 1) WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist\nNon-existent interface specified in configuration\n",
    );
  });

  it('errors in an included file name the file; --config-test=FILE writes there', async () => {
    const inc = file('inc.conf', 'vrrp_instance VI_2 {\n  foo\n}\n');
    const p = file('main.conf', `include ${inc}\n`);
    const log = join(dir, 'test.log');
    const r = await run([`--config-test=${log}`, '-f', p, '--no-interface-check']);
    expect(r.code).toBe(5);
    expect(r.err).toBe('');
    expect(readFileSync(log, 'utf8')).toBe(
      `(${inc}: Line 1) (VI_2) the virtual router id must be set\n(${inc}: Line 2) Unknown keyword 'foo'\n`,
    );
  });

  it('missing config file: exit 4 with a message, no stack trace', async () => {
    const r = await run(['-t', '-f', join(dir, 'nope.conf')]);
    expect(r.code).toBe(4);
    expect(r.err).toContain('nope.conf');
    expect(r.err).not.toContain(' at ');
  });

  it('scripts without script security: exit 6', async () => {
    const p = file('sec.conf', 'vrrp_script chk {\n  script "/bin/true"\n}\n');
    const r = await run(['-t', '-f', p, '--no-interface-check']);
    expect(r.code).toBe(6);
    expect(r.err).toBe('SECURITY VIOLATION - scripts are being executed but script_security not enabled.\n');
  });

  it("warnings exit 5, as keepalived 2.2.7's report_config_error warnings do", async () => {
    const p = file(
      'warn.conf',
      'virtual_server 192.0.2.1 80 {\n  lb_algo rr\n  lb_kind DR\n  real_server 10.0.0.1 80 {\n  }\n}\n',
    );
    const r = await run(['-t', '-f', p]);
    expect(r.code).toBe(5);
    expect(r.err).toBe('(Line 1) Virtual server [192.0.2.1]:none:80: no protocol set - defaulting to UDP\n');
  });

  it('binary garbage: diagnostics with lines, never a crash', async () => {
    const p = file('garbage.conf', '\x00\xff{{{}}}"\'\\\n'.repeat(50) + '}'.repeat(1000));
    const r = await run(['-t', '-f', p]);
    expect([0, 4, 5, 6]).toContain(r.code);
    for (const line of r.err
      .trim()
      .split('\n')
      .filter((l) => l !== ''))
      expect(line).toMatch(/^\(Line \d+\) /);
  });
});

describe('keepalived-ts dump-config', () => {
  it('prints the normalized model as JSON with the documented names', async () => {
    const p = file('dump.conf', CLEAN);
    const r = await run(['dump-config', '-f', p, '--no-interface-check']);
    expect(r.code).toBe(0);
    const model = JSON.parse(r.out);
    expect(model.vrrpInstances[0]).toMatchObject({
      name: 'VI_1',
      state: 'BACKUP',
      interface: 'eth9',
      virtualRouterId: 51,
      priority: 100,
      advertInt: 1,
      nopreempt: false,
      preemptDelay: 0,
      authentication: null,
      virtualIpaddresses: ['10.1.1.166/32'],
      trackScripts: [],
    });
    expect(model.virtualServers).toEqual([]);
    expect(model.vrrpScripts).toEqual([]);
  });

  it('same exit codes as -t; a missing file prints no model', async () => {
    const r = await run(['dump-config', '-f', join(dir, 'nope.conf')]);
    expect(r.code).toBe(4);
    expect(r.out).toBe('');
  });
});

describe('loadConfig guard', () => {
  it('a failure inside the front end becomes one fatal diagnostic, not an exception', async () => {
    const { loadConfig } = await import('../../../src/config/load.js');
    const r = await loadConfig('/x.conf', {
      configId: null,
      checkInterfaces: false,
      fs: {
        readFile: () => {
          throw new Error('disk on fire');
        },
        glob: () => [],
        realpath: (p) => p,
      },
    });
    expect(r).toEqual({
      config: null,
      exitCode: 4,
      diagnostics: [
        {
          severity: 'fatal',
          code: 'internal-error',
          message: 'Internal error while reading the configuration (this is a bug): disk on fire',
          loc: null,
        },
      ],
    });
  });
});
