/**
 * Root tier: a burst of kernel events larger than the daemon's netlink receive buffers
 * (issue: reliability, netlink errors). The MASTER is held with SIGSTOP while 3,000 addresses
 * are added to its interface and removed again, so 6,000 RTM_NEWADDR/RTM_DELADDR events queue
 * on its link and address subscriptions; on SIGCONT it reads them. Before src/net/netlink-fd.ts
 * the overrun's ENOBUFS aborted the process inside the `netlink` module's native reader
 * (`terminate called after throwing an instance of 'Napi::Error'`). It must stay alive and
 * MASTER, and still see the events that follow: its VIP removed by someone else is noticed and
 * taken back, as keepalived does.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  netnsPrerequisites,
  nsExec,
  signalDaemon,
  sleep,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites([]));

const VIP = '10.231.93.100';
const BURST = 3000;

describeTier('a burst of netlink events past the receive buffer', () => {
  let bed: Testbed;
  let a: Host;
  let d: Daemon | null = null;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-nlb');
    [a] = bed.twoHosts('10.231.93');
  });
  afterAll(async () => {
    if (d !== null && d.child.exitCode === null) {
      signalDaemon(d, 'SIGCONT');
      await stopDaemon(d);
    }
    bed?.destroy();
  });

  it('stays alive and MASTER through 6,000 address events, and still sees the ones after', async () => {
    d = startKeepalivedTs(bed, a.ns, 'a', vrrpConfig({ priority: 150, vips: [`${VIP}/32`] }));
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
    await waitFor(() => bed.hasAddress(a.ns, VIP), 3000, 'VIP on a');

    const batch = (verb: 'add' | 'del'): string => {
      const file = join(bed.tempDir, `burst-${verb}`);
      const lines: string[] = [];
      for (let i = 0; i < BURST; i++)
        lines.push(`addr ${verb} 10.240.${i >> 7}.${(i & 127) + 1}/32 dev eth0`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    };
    const addFile = batch('add');
    const delFile = batch('del');
    signalDaemon(d, 'SIGSTOP');
    nsExec(a.ns, 'ip', ['-batch', addFile]);
    nsExec(a.ns, 'ip', ['-batch', delFile]);
    const from = d.lines.lines.length;
    signalDaemon(d, 'SIGCONT');
    // Time to read the queue (and, before the fix, to abort on the overrun).
    await sleep(3000);
    expect(
      d.child.exitCode,
      d.lines.lines
        .slice(from)
        .map((l) => l.text)
        .join('\n'),
    ).toBeNull();
    expect(d.child.signalCode).toBeNull();
    expect(d.lines.find(/terminate called|Napi::Error/)).toBe(-1);
    expect(d.lines.find(/Entering (BACKUP|FAULT) STATE/, from)).toBe(-1);
    expect(bed.hasAddress(a.ns, VIP)).toBe(true);

    // The subscriptions still deliver: the VIP removed by someone else is noticed and restored.
    const before = d.lines.lines.length;
    nsExec(a.ns, 'ip', ['addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
    await d.lines.wait(/Netlink reflector reports IP 10\.231\.93\.100 removed from eth0/, 5000, before);
    await waitFor(() => bed.hasAddress(a.ns, VIP), 10_000, 'VIP back on a');

    const code = await stopDaemon(d);
    expect(code).toBe(0);
    expect(bed.hasAddress(a.ns, VIP)).toBe(false);
  });
});
