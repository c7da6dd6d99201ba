import { mkdtempSync, readSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { UnixDatagramSender } from '@keepalived-ts/af-packet';
import { createSystemdNotifier } from '../../../src/daemon/systemd.js';
import { notifySocketAddress } from '../../../src/net/notify-socket.js';

const require = createRequire(import.meta.url);
const { UnixDatagramSender: Sender } = require('@keepalived-ts/af-packet') as {
  UnixDatagramSender: new () => UnixDatagramSender;
};

/** systemd's side: a real AF_UNIX datagram socket bound to a NOTIFY_SOCKET value. */
function listen(value: string): { next(): Promise<string>; close(): void } {
  const socket = new Sender();
  socket.bind(notifySocketAddress(value)!);
  const buf = Buffer.alloc(4096);
  return {
    async next() {
      for (let i = 0; i < 200; i++) {
        try {
          return buf.toString('utf8', 0, readSync(socket.fd, buf));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      throw new Error(`no datagram on ${value}`);
    },
    close: () => socket.close(),
  };
}

describe('sd_notify', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  const socketPath = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-sdnotify-'));
    dirs.push(dir);
    return join(dir, 'notify');
  };

  it.each([
    ['a path', socketPath],
    ['an abstract @name', () => `@kts-sdnotify-${process.pid}-${Date.now()}`],
  ])('sends READY, RELOADING with MONOTONIC_USEC, STOPPING and WATCHDOG to %s', async (_what, name) => {
    const value = name();
    const systemd = listen(value);
    const n = createSystemdNotifier({ NOTIFY_SOCKET: value }, (m) => {
      throw new Error(m);
    });
    const before = process.hrtime.bigint() / 1000n;
    n.ready('Startup complete');
    n.reloading();
    n.ready();
    n.stopping();
    n.watchdog();
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await systemd.next());
    n.close();
    systemd.close();
    expect(got[0]).toBe(`READY=1\nMAINPID=${process.pid}\nSTATUS=Startup complete`);
    const reloading = /^RELOADING=1\nMONOTONIC_USEC=(\d+)$/.exec(got[1]!);
    expect(reloading, got[1]).not.toBeNull();
    // CLOCK_MONOTONIC in microseconds, as systemd's Type=notify-reload compares it.
    const usec = BigInt(reloading![1]!);
    expect(usec >= before && usec <= process.hrtime.bigint() / 1000n).toBe(true);
    expect(got[2]).toBe(`READY=1\nMAINPID=${process.pid}`);
    expect(got[3]).toBe('STOPPING=1');
    expect(got[4]).toBe('WATCHDOG=1');
  });

  it('reports a send that fails (nobody listening) and a NOTIFY_SOCKET it cannot use', () => {
    const errors: string[] = [];
    const n = createSystemdNotifier({ NOTIFY_SOCKET: `@kts-nobody-${process.pid}` }, (m) => errors.push(m));
    n.ready();
    n.close();
    expect(errors).toEqual([expect.stringMatching(/^sd_notify: sendto\(AF_UNIX\): Connection refused/)]);
    const bad: string[] = [];
    createSystemdNotifier({ NOTIFY_SOCKET: 'vsock:2:1234' }, (m) => bad.push(m)).ready();
    expect(bad).toEqual([
      expect.stringMatching(/^sd_notify unavailable: NOTIFY_SOCKET vsock:2:1234 is neither/),
    ]);
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
