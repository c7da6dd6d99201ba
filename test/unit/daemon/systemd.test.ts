import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSystemdNotifier } from '../../../src/daemon/systemd.js';

const require = createRequire(import.meta.url);
const unix = require('unix-dgram') as {
  createSocket(type: string, fn: (buf: Buffer) => void): { bind(p: string): void; close(): void };
};

describe('sd_notify', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('sends READY, RELOADING with MONOTONIC_USEC, and STOPPING to NOTIFY_SOCKET', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-sdnotify-'));
    dirs.push(dir);
    const path = join(dir, 'notify');
    const got: string[] = [];
    const server = unix.createSocket('unix_dgram', (buf) => got.push(buf.toString()));
    server.bind(path);
    const n = createSystemdNotifier({ NOTIFY_SOCKET: path });
    n.ready();
    n.reloading();
    n.stopping();
    for (let i = 0; i < 50 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    n.close();
    server.close();
    expect(got[0]).toBe(`READY=1\nMAINPID=${process.pid}`);
    expect(got[1]).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+$/);
    expect(got[2]).toBe('STOPPING=1');
  });

  it('does nothing without NOTIFY_SOCKET and derives the watchdog interval', () => {
    expect(createSystemdNotifier({}).watchdogIntervalMs).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'kts-sdnotify-'));
    dirs.push(dir);
    const n = createSystemdNotifier({ NOTIFY_SOCKET: join(dir, 'x'), WATCHDOG_USEC: '10000000' });
    expect(n.watchdogIntervalMs).toBe(5000);
    const other = createSystemdNotifier({
      NOTIFY_SOCKET: join(dir, 'x'),
      WATCHDOG_USEC: '10000000',
      WATCHDOG_PID: '1',
    });
    expect(other.watchdogIntervalMs).toBeNull();
    n.close();
    other.close();
  });
});
