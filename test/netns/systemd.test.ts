/**
 * Root tier: keepalived-ts as systemd/keepalived-ts.service runs it, without systemd itself: in
 * a namespace, under the unit's CapabilityBoundingSet and NoNewPrivileges (setpriv), with
 * NOTIFY_SOCKET and WATCHDOG_USEC set and a real datagram socket playing systemd's part.
 *  - with only the unit's capabilities the daemon becomes MASTER and holds its VIP;
 *  - READY=1 with its MAINPID once started, WATCHDOG=1 at WatchdogSec/2, RELOADING=1 with
 *    MONOTONIC_USEC then READY=1 on SIGHUP, STOPPING=1 on SIGTERM, which still cleans up.
 * (An abstract NOTIFY_SOCKET belongs to one network namespace, so this test uses a path; the unit
 * tier covers `@name`, test/unit/daemon/systemd.test.ts.)
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UnixDatagramSender } from '@keepalived-ts/af-packet';
import { notifySocketAddress } from '../../src/net/notify-socket.js';
import { tierDescribe } from '../support/tier.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  REPO_ROOT,
  sleep,
  Testbed,
  vrrpConfig,
  waitFor,
  type Host,
} from '../support/netns.js';
import { daemonArgs } from '../support/daemon-options.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['setpriv']));
const require = createRequire(import.meta.url);
const { UnixDatagramSender: Sender } = require('@keepalived-ts/af-packet') as {
  UnixDatagramSender: new () => UnixDatagramSender;
};

const VIP = '10.231.73.100';

/** The capabilities CapabilityBoundingSet= of the unit names, as setpriv spells them. */
function unitCapabilities(): string[] {
  const unit = readFileSync(join(REPO_ROOT, 'systemd', 'keepalived-ts.service'), 'utf8');
  const line = /^CapabilityBoundingSet=(.*)$/m.exec(unit);
  if (line === null) throw new Error('the unit has no CapabilityBoundingSet');
  return line[1]!
    .trim()
    .split(/\s+/)
    .map((c) => c.replace(/^CAP_/, '').toLowerCase());
}

/** Capability numbers (linux/capability.h) of the ones the unit may name. */
const CAP_NUMBERS: Record<string, number> = {
  kill: 5,
  setgid: 6,
  setuid: 7,
  net_bind_service: 10,
  net_admin: 12,
  net_raw: 13,
  sys_module: 16,
};

describeTier('under the systemd unit', () => {
  let bed: Testbed;
  let a: Host;
  let listener: UnixDatagramSender;
  const messages: string[] = [];
  let polling: ReturnType<typeof setInterval> | undefined;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-wire-sd');
    [a] = bed.twoHosts('10.231.73');
  });
  afterAll(() => {
    if (polling !== undefined) clearInterval(polling);
    listener?.close();
    bed?.destroy();
  });

  it('runs with the unit capabilities only and speaks sd_notify: READY, WATCHDOG, RELOADING, STOPPING', async () => {
    const dir = join(bed.tempDir, 'a');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'keepalived.conf');
    writeFileSync(config, vrrpConfig({ state: 'MASTER', priority: 150, vips: [`${VIP}/32`] }));
    const notifyPath = join(dir, 'notify');
    listener = new Sender();
    listener.bind(notifySocketAddress(notifyPath)!);
    const buf = Buffer.alloc(4096);
    polling = setInterval(() => {
      for (;;) {
        try {
          messages.push(buf.toString('utf8', 0, readSync(listener.fd, buf)));
        } catch {
          return;
        }
      }
    }, 10);

    const caps = unitCapabilities();
    const child = bed.spawnIn(
      a.ns,
      'setpriv',
      [
        '--no-new-privs',
        '--bounding-set',
        `-all,${caps.map((c) => `+${c}`).join(',')}`,
        '--',
        process.execPath,
        DIST_ENTRY,
        ...daemonArgs({ config, pidFile: join(dir, 'pid'), runtimeDir: join(dir, 'run'), only: 'vrrp' }),
      ],
      { ...process.env, NOTIFY_SOCKET: notifyPath, WATCHDOG_USEC: '1000000' },
    );
    const lines = new LineCollector(child);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const pid = child.pid!;

    await waitFor(() => messages.some((m) => m.startsWith('READY=1')), 10_000, 'READY=1');
    expect(messages.find((m) => m.startsWith('READY=1'))).toBe(
      `READY=1\nMAINPID=${pid}\nSTATUS=Startup complete`,
    );
    // The bounding set the daemon runs with is exactly the unit's.
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const bounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(status)![1]}`);
    const expected = caps.reduce((m, c) => m | (1n << BigInt(CAP_NUMBERS[c]!)), 0n);
    expect(bounding.toString(16)).toBe(expected.toString(16));
    expect(/^NoNewPrivs:\s*1$/m.test(status)).toBe(true);

    await lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await waitFor(() => bed.hasAddress(a.ns, VIP), 3000, 'VIP held with the unit capabilities');

    // WatchdogSec=1s: a ping every 500 ms.
    const pingsBefore = messages.filter((m) => m === 'WATCHDOG=1').length;
    await sleep(2100);
    const pings = messages.filter((m) => m === 'WATCHDOG=1').length - pingsBefore;
    console.log(`WATCHDOG=1 pings in 2.1 s at WATCHDOG_USEC=1000000: ${pings}`);
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(pings).toBeLessThanOrEqual(6);

    let from = messages.length;
    process.kill(pid, 'SIGHUP');
    await lines.wait(/: Reload complete$/, 5000);
    await waitFor(
      () => messages.slice(from).some((m) => m.startsWith('READY=1')),
      3000,
      'READY=1 after the reload',
    );
    const afterHup = messages.slice(from).filter((m) => m !== 'WATCHDOG=1');
    expect(afterHup[0]).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+$/);
    expect(afterHup[1]).toBe(`READY=1\nMAINPID=${pid}\nSTATUS=Reload complete`);

    from = messages.length;
    process.kill(pid, 'SIGTERM');
    expect(await exited).toBe(0);
    await sleep(50);
    expect(messages.slice(from).filter((m) => m !== 'WATCHDOG=1')[0]).toBe('STOPPING=1');
    expect(bed.hasAddress(a.ns, VIP)).toBe(false);
  }, 60_000);
});
