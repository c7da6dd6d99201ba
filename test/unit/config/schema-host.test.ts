/** Host facts read by load.ts: script security as keepalived's check_security, interfaces. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostInterfaceNames, scriptStatus, userExists } from '../../../src/config/load.js';

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
