// auth_hmac as keepalived 2.4.3 reads and completes it (vrrp_parser.c vrrp_auth_hmac_*_handler,
// vrrp.c vrrp_complete_instance), with its words, reported at the file and line of the statement.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAuthHmacKeyFile } from '../../../src/config/load.js';
import { parseConfigFiles } from '../../../src/config/parse.js';
import { buildConfig } from '../../../src/config/schema.js';
import { memoryFs } from '../../support/memory-fs.js';
import { build, MAIN, summary } from './schema-helpers.js';

/** As load.ts builds it: `file:` keys read from disk. */
function buildWithKeyFiles(text: string) {
  const parsed = parseConfigFiles(MAIN, { configId: 'test', fs: memoryFs({ [MAIN]: text }) });
  const built = buildConfig(parsed.statements, parsed.files, readAuthHmacKeyFile);
  return { config: built.config, diagnostics: [...parsed.diagnostics, ...built.diagnostics] };
}

const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

// Line 1 is `vrrp_instance`; the body starts at line 8 and the block's lines at 9.
const instance = (body: string, extra = ''): string => `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  advert_int 1
  virtual_ipaddress {
    192.0.2.10/24
  }
  auth_hmac {
${body}
  }
${extra}
}
`;

const dir = mkdtempSync(join(tmpdir(), 'ah-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('auth_hmac block', () => {
  it('reads keys (hex, ASCII), active_key, anti_replay, time_window and mode', () => {
    const { config, diagnostics } = build(
      instance(
        `    key 1 hex:${KEY}\n    key 2 0123456789abcdef0123456789abcdef\n    active_key 2\n    anti_replay monotonic\n    time_window 7\n    mode permissive`,
      ),
    );
    expect(summary(diagnostics)).toEqual([]);
    expect(config.vrrpInstances[0]!.authHmac).toEqual({
      keys: [
        { id: 1, hex: KEY },
        { id: 2, hex: Buffer.from('0123456789abcdef0123456789abcdef').toString('hex') },
      ],
      activeKey: 2,
      mode: 'permissive',
      antiReplay: 'monotonic',
      timeWindow: 7,
    });
  });

  it('defaults: enforce, time, window max(3 x advert_int, 5)', () => {
    const { config } = build(
      instance(`    key 1 hex:${KEY}\n    active_key 1`).replace('advert_int 1', 'advert_int 3'),
    );
    expect(config.vrrpInstances[0]!.authHmac).toMatchObject({
      mode: 'enforce',
      antiReplay: 'time',
      timeWindow: 9,
    });
  });

  it("reports bad lines with keepalived's words at their file and line", () => {
    const { config, diagnostics } = build(
      instance(
        [
          `    key 1 hex:${KEY}`, // 9
          '    key 0 hex:00', // 10
          '    key 2 short', // 11
          `    key 1 hex:${KEY}`, // 12
          '    key 3', // 13
          '    key 4 hex:zz', // 14
          '    active_key 300', // 15
          '    time_window 301', // 16
          '    anti_replay sometimes', // 17
          '    mode lenient', // 18
        ].join('\n'),
      ),
    );
    expect(summary(diagnostics)).toEqual([
      "10 error (VI_1) auth_hmac key id '0' must be between 1 and 255",
      '11 error (VI_1) auth_hmac key 2 length 5 not in range [32, 64]',
      '12 error (VI_1) duplicate auth_hmac key id 1',
      '13 error (VI_1) auth_hmac key needs an id and a value',
      '14 error (VI_1) auth_hmac key 4 length 0 not in range [32, 64]',
      "15 error (VI_1) auth_hmac active_key '300' must be between 1 and 255",
      "16 error (VI_1) auth_hmac time_window '301' must be between 1 and 300 seconds",
      "17 error (VI_1) auth_hmac anti_replay 'sometimes' must be time or monotonic",
      "18 error (VI_1) auth_hmac mode 'lenient' must be enforce, permissive or receive-only",
      '15 error (VI_1) auth_hmac active_key 0 is not defined, disabling extension',
    ]);
    expect(diagnostics.every((d) => d.loc?.file === MAIN)).toBe(true);
    expect(config.vrrpInstances[0]!.authHmac).toBeNull();
  });

  it('an active_key that is not a key disables the extension, reported at its line', () => {
    const { config, diagnostics } = build(instance(`    key 1 hex:${KEY}\n    active_key 2`));
    expect(summary(diagnostics)).toEqual([
      '10 error (VI_1) auth_hmac active_key 2 is not defined, disabling extension',
    ]);
    expect(config.vrrpInstances[0]!.authHmac).toBeNull();
  });

  it('drops the legacy authentication block (vrrp.c: "dropping legacy auth")', () => {
    const { config, diagnostics } = build(
      instance(
        `    key 1 hex:${KEY}\n    active_key 1`,
        '  authentication {\n    auth_type PASS\n    auth_pass secret\n  }',
      ),
    );
    expect(summary(diagnostics)).toEqual([
      '12 error (VI_1) auth_hmac cannot be combined with authentication, dropping legacy auth',
    ]);
    expect(config.vrrpInstances[0]!.authentication).toBeNull();
    expect(config.vrrpInstances[0]!.authHmac).not.toBeNull();
  });

  it('strict mode forces enforce', () => {
    const { config, diagnostics } = build(
      instance(`    key 1 hex:${KEY}\n    active_key 1\n    mode receive-only`, '  strict_mode'),
    );
    expect(summary(diagnostics)).toContain('11 error (VI_1) strict mode requires auth_hmac mode enforce');
    expect(config.vrrpInstances[0]!.authHmac?.mode).toBe('enforce');
  });

  it('with VRRPv3 it is kept (keepalived signs v2 and v3 alike)', () => {
    const { config, diagnostics } = build(instance(`    key 1 hex:${KEY}\n    active_key 1`, '  version 3'));
    expect(summary(diagnostics).filter((l) => l.includes('auth_hmac'))).toEqual([]);
    expect(config.vrrpInstances[0]!.authHmac?.activeKey).toBe(1);
  });

  it('reads a key from a file, the line end dropped, and warns when group or others may read it', () => {
    const path = join(dir, 'k1');
    writeFileSync(path, `hex:${KEY}\n`);
    chmodSync(path, 0o600);
    const ok = buildWithKeyFiles(instance(`    key 1 file:${path}\n    active_key 1`));
    expect(summary(ok.diagnostics)).toEqual([]);
    expect(ok.config.vrrpInstances[0]!.authHmac?.keys).toEqual([{ id: 1, hex: KEY }]);
    chmodSync(path, 0o644);
    const loose = buildWithKeyFiles(instance(`    key 1 file:${path}\n    active_key 1`));
    expect(summary(loose.diagnostics)).toEqual([
      `9 warning (VI_1) auth_hmac key file '${path}' is readable by group or others`,
    ]);
    const missing = buildWithKeyFiles(instance(`    key 1 file:${dir}/none\n    active_key 1`));
    expect(summary(missing.diagnostics)).toEqual([
      `9 error (VI_1) auth_hmac key file '${dir}/none' cannot be opened`,
      '9 error (VI_1) auth_hmac key 1 length 0 not in range [32, 64]',
      '10 error (VI_1) auth_hmac active_key 1 is not defined, disabling extension',
    ]);
  });
});
