/**
 * Root tier: instances a reload removes (keepalived 2.2.7 vrrp.c clear_diff_vrrp). A removed
 * MASTER sends priority 0 and gives up its VIPs, then is notified DELETED when it has
 * `notify_deleted` (its notify_deleted script, the generic `notify` with DELETED, the FIFO line
 * `INSTANCE "VI_2" DELETED 100`), FAULT otherwise (`notify ... FAULT` and the FAULT line; notify_fault
 * does not run), never STOP. keepalived-ts and keepalived 2.2.7 run the same config and reload and must write the
 * same FIFO lines and run the same scripts with the same arguments; the kept instance stays MASTER.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  netnsPrerequisites,
  sh,
  signalDaemon,
  sleep,
  startKeepalived,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['keepalived', 'cat', 'mkfifo']));

const PREFIX = '10.231.43';
type Impl = 'keepalived-ts' | 'keepalived';

describeTier('instances removed by a reload', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('vc-del');
    [a, b] = bed.twoHosts(PREFIX);
  });
  afterAll(() => bed?.destroy());

  const instance = (name: string, vrid: number, priority: number, extra: readonly string[]): string[] => [
    `vrrp_instance ${name} {`,
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    `  priority ${priority}`,
    '  advert_int 1',
    '  virtual_ipaddress {',
    `    ${PREFIX}.${vrid}/32`,
    '  }',
    ...extra.map((l) => `  ${l}`),
    '}',
  ];

  async function reloadRemoving(impl: Impl): Promise<{
    fifo: string[];
    scripts: string[];
    vips: string[];
    keptState: string;
    peerSawZero: boolean;
  }> {
    const dir = join(bed.tempDir, impl);
    mkdirSync(dir, { recursive: true });
    const fifo = join(dir, 'vrrp.fifo');
    sh('mkfifo', ['-m', '0600', fifo]);
    const log = join(dir, 'scripts.log');
    const script = (name: string): string => {
      const path = join(dir, `${name}.sh`);
      writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> ${log}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    const notify = script('notify');
    const fault = script('fault');
    const deleted = script('deleted');
    const stop = script('stop');
    const globals = ['global_defs {', `  vrrp_notify_fifo ${fifo}`, '  script_user root', '}'];
    const scripts = [`notify ${notify}`, `notify_fault ${fault}`, `notify_stop ${stop}`];
    const before = [
      ...globals,
      ...instance('VI_1', 71, 150, scripts),
      ...instance('VI_2', 72, 100, [...scripts, `notify_deleted ${deleted}`]),
      ...instance('VI_3', 73, 100, scripts),
      ...instance('VI_4', 74, 100, [...scripts, 'notify_deleted']),
      '',
    ].join('\n');
    const after = [...globals, ...instance('VI_1', 71, 150, scripts), ''].join('\n');

    // The daemon re-opens the FIFO at a reload: the reader opens it again each time it ends.
    const readerOut = join(dir, 'fifo.out');
    const reader: ChildProcess = bed.spawnIn(a.ns, 'sh', [
      '-c',
      `while :; do cat ${fifo} >> ${readerOut}; done`,
    ]);
    // A capture on the other end of the link: the priority-0 adverts of the removed masters.
    const capture = bed.spawnIn(b.ns, 'tcpdump', ['-l', '-n', '-i', 'eth0', '-v', 'ip proto 112']);
    const captured: string[] = [];
    capture.stdout?.on('data', (c: Buffer) => captured.push(c.toString()));
    const d: Daemon =
      impl === 'keepalived'
        ? startKeepalived(bed, a.ns, `del-${impl}`, before)
        : startKeepalivedTs(bed, a.ns, `del-${impl}`, before);
    const text = (p: string): string => (existsSync(p) ? readFileSync(p, 'utf8') : '');
    try {
      for (const i of ['VI_1', 'VI_2', 'VI_3', 'VI_4'])
        await d.lines.wait(new RegExp(`\\(${i}\\) Entering MASTER STATE`), 20_000);
      await waitFor(() => text(readerOut).includes('INSTANCE "VI_4" MASTER 100'), 5000, 'MASTER lines');
      await sleep(500);
      const fifoFrom = text(readerOut).length;
      const logFrom = text(log).length;
      const capFrom = captured.join('').length;
      writeFileSync(d.configPath, after);
      signalDaemon(d, 'SIGHUP');
      await waitFor(
        () => ['VI_2', 'VI_3', 'VI_4'].every((i) => text(readerOut).slice(fifoFrom).includes(`"${i}"`)),
        15_000,
        `${impl}: the removed instances' FIFO lines`,
      );
      await sleep(1500);
      const vips = [71, 72, 73, 74].map((v) => `${PREFIX}.${v}`).filter((v) => bed.hasAddress(a.ns, v));
      const states = d.lines.lines.filter((l) => /\(VI_1\) Entering \w+ STATE/.test(l.text));
      const out = {
        fifo: text(readerOut).slice(fifoFrom).trimEnd().split('\n'),
        // Only the last newline goes: `deleted ` (no arguments) keeps its space when it runs last.
        scripts: text(log).slice(logFrom).replace(/\n+$/, '').split('\n').sort(),
        vips,
        keptState: /Entering (\w+) STATE/.exec(states[states.length - 1]?.text ?? '')?.[1] ?? '',
        peerSawZero: ['72', '73', '74'].every((v) =>
          new RegExp(`vrid ${v}, prio 0`).test(captured.join('').slice(capFrom)),
        ),
      };
      expect(await stopDaemon(d)).toBe(0);
      return out;
    } finally {
      if (d.child.exitCode === null) signalDaemon(d, 'SIGKILL');
      for (const c of [reader, capture]) if (c.pid !== undefined) process.kill(c.pid, 'SIGTERM');
    }
  }

  it('notify DELETED with notify_deleted, FAULT without, as keepalived 2.2.7', async () => {
    const ours = await reloadRemoving('keepalived-ts');
    const theirs = await reloadRemoving('keepalived');
    const expectedFifo = [
      'INSTANCE "VI_2" DELETED 100',
      'INSTANCE "VI_3" FAULT 100',
      'INSTANCE "VI_4" DELETED 100',
    ];
    // notify_fault does not run for VI_3: keepalived picks the script for DELETED (none) before
    // turning DELETED into FAULT (vrrp_notify.c send_instance_notifies); notify_stop never runs.
    const expectedScripts = [
      'deleted ',
      'notify INSTANCE VI_2 DELETED 100',
      'notify INSTANCE VI_3 FAULT 100',
      'notify INSTANCE VI_4 DELETED 100',
    ];
    expect(theirs.fifo).toEqual(expectedFifo);
    expect(ours.fifo).toEqual(theirs.fifo);
    expect(theirs.scripts).toEqual(expectedScripts);
    expect(ours.scripts).toEqual(theirs.scripts);
    for (const r of [ours, theirs]) {
      expect(r.vips).toEqual([`${PREFIX}.71`]);
      expect(r.keptState).toBe('MASTER');
      expect(r.peerSawZero).toBe(true);
    }
  });
});
