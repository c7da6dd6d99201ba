/** Host facts read by load.ts: script security as keepalived's check_security, interfaces. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  hostInterfaceNames,
  hostLoopbackNames,
  loadConfig,
  scriptStatus,
  userExists,
} from '../../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-cfg-host-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scriptStatus', () => {
  it('a root-owned system program found on PATH is ok', () => {
    expect(scriptStatus('true')).toBe('ok');
    expect(scriptStatus('/bin/true')).toBe('ok');
  });
  it('a missing program or a directory is missing', () => {
    expect(scriptStatus('/nonexistent/kts-cfg-x')).toBe('missing');
    expect(scriptStatus('kts-cfg-no-such-program')).toBe('missing');
    expect(scriptStatus('/usr')).toBe('missing');
  });
  it('a world-writable script is insecure', () => {
    const p = join(dir, 'w.sh');
    writeFileSync(p, '#!/bin/sh\n');
    chmodSync(p, 0o777);
    expect(scriptStatus(p)).toBe('insecure');
  });
  it('a script under a directory owned by a non-root user, or a tidy root-owned one', () => {
    const p = join(dir, 'tidy.sh');
    writeFileSync(p, '#!/bin/sh\n');
    chmodSync(p, 0o755);
    // The temp directory belongs to whoever runs the tests: secure only when that is root.
    expect(scriptStatus(p)).toBe(process.getuid?.() === 0 ? 'ok' : 'insecure');
  });
});

describe('host facts', () => {
  it('lists this host interfaces (loopback at least) and knows root', () => {
    expect(hostInterfaceNames()).toContain('lo');
    expect(userExists('root')).toBe(true);
    expect(userExists('kts-cfg-no-such-user')).toBe(false);
  });
});

describe('a loopback interface for VRRP', () => {
  const conf = (extra: string) => `vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 51
  priority 100
${extra}  virtual_ipaddress {
    10.9.9.9/32 dev eth0
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 100
  virtual_ipaddress {
    10.9.9.10/32
  }
}
`;
  const load = async (text: string) => {
    const path = join(dir, 'lo.conf');
    writeFileSync(path, text);
    return loadConfig(path, {
      configId: null,
      checkInterfaces: true,
      interfaceNames: ['lo', 'eth0'],
      loopbackNames: ['lo'],
    });
  };

  it('is refused at its line and the instance dropped, as vrrp_int_handler does (exit 5)', async () => {
    const r = await load(conf(''));
    expect(r.diagnostics.map((d) => [d.loc?.line ?? null, d.message])).toEqual([
      [8, '(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring'],
      [null, '(VI_1) Unknown interface!'],
    ]);
    expect(r.exitCode).toBe(5);
    expect(r.config?.vrrpInstances.map((i) => i.name)).toEqual(['VI_2']);
    expect(r.config?.vrrpSyncGroups[0]?.group).toEqual(['VI_2']);
  });

  it('a unicast instance with a source address and peers keeps running without the interface', async () => {
    const r = await load(conf('  unicast_src_ip 10.0.0.1\n  unicast_peer {\n    10.0.0.2\n  }\n'));
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      '(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring',
    ]);
    expect(r.config?.vrrpInstances.find((i) => i.name === 'VI_1')?.interface).toBeNull();
  });

  it("this host's loopback is found by its type", () => {
    expect(hostLoopbackNames()).toContain('lo');
  });
});
