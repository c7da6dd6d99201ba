/**
 * Root tier: the notify FIFOs of dist/keepalived-ts.js in a namespace, read by reader processes
 * (`cat`, and a notify_fifo_script) as an operator's would read them.
 *  - VRRP: a sync group's instance going BACKUP, MASTER, FAULT (its link down), BACKUP, MASTER and
 *    STOP writes the same lines in the same order to vrrp_notify_fifo and notify_fifo as keepalived
 *    2.2.7 (/usr/sbin/keepalived) does with the same config; both create the FIFOs 0600 and remove
 *    them at stop.
 *  - a sync group of two members: the member whose timer ends, the member it moves, then the group,
 *    as keepalived 2.2.7 writes them.
 *  - vrrp_notify_priority_changes: a track_file moving a MASTER's priority writes MASTER_PRIORITY
 *    lines, as keepalived 2.2.7 does.
 *  - vrrp_notify_fifo_script: started with the FIFO's path as its last argument; a reload sends it
 *    SIGTERM and starts it again, and fifo_write_vrrp_states_on_reload writes the kept states
 *    (the group's, not a kept MASTER's); the same lines as keepalived 2.2.7's.
 *  - LVS (--no-ipvs, both subsystems): a TCP_CHECK failing on a closed loopback port writes
 *    `RS ... DOWN` then `VS ... DOWN`, its return `UP`s, omega's stop the DOWNs; an alpha server
 *    whose first check fails writes its `RS ... DOWN` once; notify_fifo gets
 *    the VRRP and the LVS lines, vrrp_notify_fifo and lvs_notify_fifo each their own.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonArgs } from '../support/daemon-options.js';
import { tierDescribe } from '../support/tier.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  ip,
  LineCollector,
  netnsPrerequisites,
  signalDaemon,
  startKeepalived,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';

// keepalived 2.2.7 is the reference the VRRP lines are checked against: required, as `cat`.
const describeTier = tierDescribe('netns', netnsPrerequisites(['keepalived', 'cat', 'mkfifo']));

const PREFIX = '10.231.78';

type Impl = 'keepalived-ts' | 'keepalived';

describeTier('notify FIFOs', () => {
  let bed: Testbed;
  let a: Host;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kfifo');
    [a] = bed.twoHosts(PREFIX);
  });
  afterAll(() => bed?.destroy());

  const start = (impl: Impl, name: string, config: string): Daemon =>
    impl === 'keepalived'
      ? startKeepalived(bed, a.ns, name, config)
      : startKeepalivedTs(bed, a.ns, name, config);

  const isFifo = (path: string): boolean => existsSync(path) && lstatSync(path).isFIFO();

  /** A `cat` of the FIFO, once the daemon has created it; its lines, and its end. */
  const reader = async (path: string): Promise<{ lines: LineCollector; done: Promise<unknown> }> => {
    await waitFor(() => isFifo(path), 15_000, `FIFO ${path}`);
    const child: ChildProcess = bed.spawnIn(a.ns, 'cat', [path]);
    const done = new Promise((r) => child.once('exit', r));
    return { lines: new LineCollector(child), done };
  };

  const lines = (c: LineCollector): string[] => c.lines.map((l) => l.text);

  const vrrpConfig = (
    dir: string,
    extraGlobal: readonly string[],
    instances: readonly string[],
    syncGroup = true,
  ): string =>
    [
      'global_defs {',
      `  vrrp_notify_fifo ${dir}/vrrp.fifo`,
      `  notify_fifo ${dir}/all.fifo`,
      ...extraGlobal.map((l) => `  ${l}`),
      '}',
      ...(syncGroup ? ['vrrp_sync_group G1 {', '  group {', '    VI_1', '  }', '}'] : []),
      ...instances,
      '',
    ].join('\n');

  const instance = (name: string, vrid: number, priority: number, vip: string): string[] => [
    `vrrp_instance ${name} {`,
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    `  priority ${priority}`,
    '  advert_int 1',
    '  virtual_ipaddress {',
    `    ${vip}/32`,
    '  }',
    '}',
  ];

  /** Start, MASTER, link down (FAULT), link up (BACKUP, MASTER), stop: both FIFOs' lines. */
  async function stateChanges(impl: Impl): Promise<{ vrrp: string[]; all: string[]; mode: number }> {
    const dir = join(bed.tempDir, `states-${impl}`);
    mkdirSync(dir, { recursive: true });
    const d = start(impl, `states-${impl}`, vrrpConfig(dir, [], instance('VI_1', 51, 150, `${PREFIX}.100`)));
    try {
      const vrrp = await reader(join(dir, 'vrrp.fifo'));
      const all = await reader(join(dir, 'all.fifo'));
      const mode = lstatSync(join(dir, 'vrrp.fifo')).mode & 0o777;
      await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 20_000);
      await vrrp.lines.wait(/^GROUP "G1" MASTER 0$/, 5000);
      let from = d.lines.lines.length;
      ip('-n', a.ns, 'link', 'set', 'eth0', 'down');
      await d.lines.wait(/\(VI_1\) Entering FAULT STATE/, 10_000, from);
      await vrrp.lines.wait(/^GROUP "G1" FAULT 0$/, 5000);
      from = d.lines.lines.length;
      ip('-n', a.ns, 'link', 'set', 'eth0', 'up');
      await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 20_000, from);
      await vrrp.lines.wait(/^GROUP "G1" MASTER 0$/, 5000, vrrp.lines.find(/FAULT/));
      expect(await stopDaemon(d)).toBe(0);
      // The daemon's descriptor was the FIFO's last writer: the readers see its end.
      await Promise.all([vrrp.done, all.done]);
      // Created by the daemon, so removed by it.
      expect(existsSync(join(dir, 'vrrp.fifo'))).toBe(false);
      expect(existsSync(join(dir, 'all.fifo'))).toBe(false);
      return { vrrp: lines(vrrp.lines), all: lines(all.lines), mode };
    } finally {
      if (d.child.exitCode === null) signalDaemon(d, 'SIGKILL');
      ip('-n', a.ns, 'link', 'set', 'eth0', 'up');
    }
  }

  it('VRRP state changes: the lines and order of keepalived 2.2.7, in both FIFOs', async () => {
    const expected = [
      'GROUP "G1" BACKUP 0',
      'INSTANCE "VI_1" BACKUP 150',
      'INSTANCE "VI_1" MASTER 150',
      'GROUP "G1" MASTER 0',
      'INSTANCE "VI_1" FAULT 150',
      'GROUP "G1" FAULT 0',
      'INSTANCE "VI_1" BACKUP 150',
      'GROUP "G1" BACKUP 0',
      'INSTANCE "VI_1" MASTER 150',
      'GROUP "G1" MASTER 0',
      'INSTANCE "VI_1" STOP 150',
      'GROUP "G1" STOP 0',
    ];
    const ours = await stateChanges('keepalived-ts');
    const theirs = await stateChanges('keepalived');
    expect(theirs.vrrp).toEqual(expected);
    expect(theirs.all).toEqual(expected);
    expect(ours.vrrp).toEqual(expected);
    expect(ours.all).toEqual(expected);
    expect(theirs.mode).toBe(0o600);
    expect(ours.mode).toBe(0o600);
  }, 120_000);

  /** A sync group of two members: start, the group MASTER, stop. */
  async function twoMembers(impl: Impl): Promise<string[]> {
    const dir = join(bed.tempDir, `members-${impl}`);
    mkdirSync(dir, { recursive: true });
    const config = [
      'global_defs {',
      `  vrrp_notify_fifo ${dir}/vrrp.fifo`,
      '}',
      'vrrp_sync_group G2 {',
      '  group {',
      '    VI_A',
      '    VI_B',
      '  }',
      '}',
      ...instance('VI_A', 55, 150, `${PREFIX}.104`),
      ...instance('VI_B', 56, 100, `${PREFIX}.105`),
      '',
    ].join('\n');
    const d = start(impl, `members-${impl}`, config);
    try {
      const vrrp = await reader(join(dir, 'vrrp.fifo'));
      await vrrp.lines.wait(/^GROUP "G2" MASTER 0$/, 20_000);
      expect(await stopDaemon(d)).toBe(0);
      await vrrp.done;
      return lines(vrrp.lines);
    } finally {
      if (d.child.exitCode === null) signalDaemon(d, 'SIGKILL');
    }
  }

  it("a sync group's members write before the group, as keepalived 2.2.7's", async () => {
    // The group goes MASTER when its last member's down timer ends (VI_B: the lower priority);
    // VI_A follows it, then the group writes.
    const expected = [
      'GROUP "G2" BACKUP 0',
      'INSTANCE "VI_A" BACKUP 150',
      'INSTANCE "VI_B" BACKUP 100',
      'INSTANCE "VI_B" MASTER 100',
      'INSTANCE "VI_A" MASTER 150',
      'GROUP "G2" MASTER 0',
      'INSTANCE "VI_A" STOP 150',
      'INSTANCE "VI_B" STOP 100',
      'GROUP "G2" STOP 0',
    ];
    const ours = await twoMembers('keepalived-ts');
    const theirs = await twoMembers('keepalived');
    expect(theirs).toEqual(expected);
    expect(ours).toEqual(expected);
  }, 120_000);

  /** A MASTER whose track_file moves its priority down and back, with priority change lines. */
  async function priorityChanges(impl: Impl): Promise<string[]> {
    const dir = join(bed.tempDir, `prio-${impl}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'weight');
    writeFileSync(file, '0\n');
    const config = vrrpConfig(
      dir,
      ['vrrp_notify_priority_changes'],
      [
        'track_file tf {',
        `  file ${file}`,
        '  weight 10',
        '}',
        ...instance('VI_1', 54, 150, `${PREFIX}.103`).slice(0, -1),
        '  track_file {',
        '    tf',
        '  }',
        '}',
      ],
      false,
    );
    const d = start(impl, `prio-${impl}`, config);
    try {
      const vrrp = await reader(join(dir, 'vrrp.fifo'));
      await vrrp.lines.wait(/^INSTANCE "VI_1" MASTER 150$/, 20_000);
      writeFileSync(file, '-2\n');
      await d.lines.wait(/\(VI_1\) Changing effective priority from 150 to 130/, 10_000);
      await vrrp.lines.wait(/MASTER_PRIORITY 130/, 5000);
      writeFileSync(file, '0\n');
      await vrrp.lines.wait(/MASTER_PRIORITY 150/, 10_000);
      expect(await stopDaemon(d)).toBe(0);
      await vrrp.done;
      return lines(vrrp.lines);
    } finally {
      if (d.child.exitCode === null) signalDaemon(d, 'SIGKILL');
    }
  }

  it('vrrp_notify_priority_changes: MASTER_PRIORITY lines as keepalived 2.2.7 writes them', async () => {
    const expected = [
      'INSTANCE "VI_1" BACKUP 150',
      'INSTANCE "VI_1" MASTER 150',
      'INSTANCE "VI_1" MASTER_PRIORITY 130',
      'INSTANCE "VI_1" MASTER_PRIORITY 150',
      'INSTANCE "VI_1" STOP 150',
    ];
    const ours = await priorityChanges('keepalived-ts');
    const theirs = await priorityChanges('keepalived');
    expect(theirs).toEqual(expected);
    expect(ours).toEqual(expected);
  }, 120_000);

  /** The FIFO script run, a reload with fifo_write_vrrp_states_on_reload, a stop. */
  async function scriptAndReload(impl: Impl): Promise<{ log: string[]; daemon: Daemon; fifo: string }> {
    const dir = join(bed.tempDir, `script-${impl}`);
    mkdirSync(dir, { recursive: true });
    const log = join(dir, 'script.log');
    const script = join(dir, 'fifo-reader.sh');
    // The sample_notify_fifo.sh way: the FIFO is the last argument; SIGTERM ends the script.
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        'for FIFO; do :; done',
        `echo "start $*" >> ${log}`,
        `trap 'echo TERM >> ${log}; exit 0' TERM`,
        `while read line; do echo "$line" >> ${log}; done < "$FIFO"`,
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    const config = vrrpConfig(
      dir,
      [`vrrp_notify_fifo_script "${script} arg1"`, 'fifo_write_vrrp_states_on_reload', 'script_user root'],
      [...instance('VI_1', 52, 150, `${PREFIX}.101`), ...instance('VI_2', 53, 100, `${PREFIX}.102`)],
    );
    const d = start(impl, `script-${impl}`, config);
    const text = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    try {
      await waitFor(
        () => text().includes('INSTANCE "VI_2" MASTER 100'),
        20_000,
        `${impl}: VI_2 MASTER in the script`,
      );
      signalDaemon(d, 'SIGHUP');
      // The second start's reader gets the kept states.
      const afterReload = (): string[] => {
        const l = text().split('\n');
        const starts = l.flatMap((x, i) => (x.startsWith('start ') ? [i] : []));
        return starts.length < 2 ? [] : l.slice(starts[1]! + 1);
      };
      await waitFor(
        () => afterReload().includes('GROUP "G1" MASTER 0'),
        20_000,
        `${impl}: the script started again and the kept state written`,
      );
      expect(await stopDaemon(d)).toBe(0);
      await waitFor(
        () =>
          text()
            .split('\n')
            .filter((l) => l === 'TERM').length === 2,
        5000,
        `${impl}: TERM x2`,
      );
      return { log: text().trimEnd().split('\n'), daemon: d, fifo: join(dir, 'vrrp.fifo') };
    } finally {
      if (d.child.exitCode === null) signalDaemon(d, 'SIGKILL');
    }
  }

  it('vrrp_notify_fifo_script reads the FIFO; a reload restarts it and writes the kept states', async () => {
    const ours = await scriptAndReload('keepalived-ts');
    const theirs = await scriptAndReload('keepalived');
    const fifoLines = (log: string[]): string[] => log.filter((l) => l !== 'TERM' && !l.startsWith('start '));
    const expected = [
      'GROUP "G1" BACKUP 0',
      'INSTANCE "VI_1" BACKUP 150',
      'INSTANCE "VI_2" BACKUP 100',
      'INSTANCE "VI_1" MASTER 150',
      'GROUP "G1" MASTER 0',
      'INSTANCE "VI_2" MASTER 100',
      // The reload: the group's kept state; the instances kept MASTER write nothing.
      'GROUP "G1" MASTER 0',
    ];
    expect(fifoLines(theirs.log)).toEqual(expected);
    expect(fifoLines(ours.log)).toEqual(expected);
    for (const run of [ours, theirs]) {
      // Started twice (start-up, reload) with the FIFO's path last; SIGTERM at the reload and the stop.
      expect(run.log.filter((l) => l.startsWith('start '))).toEqual([
        `start arg1 ${run.fifo}`,
        `start arg1 ${run.fifo}`,
      ]);
      expect(run.log.filter((l) => l === 'TERM')).toHaveLength(2);
      expect(existsSync(run.fifo)).toBe(false);
    }
    expect(ours.daemon.lines.count(/vrrp notify fifo script terminated/)).toBe(2);
  }, 120_000);

  it('LVS: a failing TCP_CHECK writes RS and VS lines; notify_fifo gets both subsystems', async () => {
    const dir = join(bed.tempDir, 'lvs');
    mkdirSync(dir, { recursive: true });
    const port = 18091;
    const listen = (): ChildProcess =>
      bed.spawnIn(a.ns, process.execPath, [
        '-e',
        `require('node:net').createServer((s) => { s.on('error', () => {}); s.end(); }).listen(${port}, '127.0.0.1', () => console.log('listening'))`,
      ]);
    const stopListener = async (child: ChildProcess): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error('the listener died');
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    };
    let server = listen();
    await new LineCollector(server).wait(/listening/, 10_000);
    const config = [
      'global_defs {',
      `  notify_fifo ${dir}/all.fifo`,
      `  vrrp_notify_fifo ${dir}/vrrp.fifo`,
      `  lvs_notify_fifo ${dir}/lvs.fifo`,
      '}',
      ...instance('VI_9', 59, 150, `${PREFIX}.109`),
      `virtual_server ${PREFIX}.109 80 {`,
      '  delay_loop 1',
      '  lb_algo rr',
      '  lb_kind NAT',
      '  protocol TCP',
      '  omega',
      `  real_server 127.0.0.1 ${port} {`,
      '    weight 1',
      '    TCP_CHECK {',
      '      connect_timeout 1',
      '      retry 0',
      '    }',
      '  }',
      '}',
      // alpha, nothing listening: the first check fails and is notified once.
      `virtual_server ${PREFIX}.109 81 {`,
      '  delay_loop 1',
      '  lb_algo rr',
      '  lb_kind NAT',
      '  protocol TCP',
      `  real_server 127.0.0.1 ${port + 1} {`,
      '    TCP_CHECK {',
      '      alpha',
      '      connect_timeout 1',
      '      retry 0',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n');
    const name = 'lvs';
    const runDir = join(dir, 'run');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(dir, 'keepalived.conf'), config);
    const child = bed.spawnIn(a.ns, process.execPath, [
      DIST_ENTRY,
      ...daemonArgs({
        config: join(dir, 'keepalived.conf'),
        pidFile: join(dir, 'daemon.pid'),
        runtimeDir: runDir,
        extra: ['--no-ipvs'],
      }),
    ]);
    const d: Daemon = {
      name,
      ns: a.ns,
      child,
      lines: new LineCollector(child),
      pidFile: join(dir, 'daemon.pid'),
      runtimeDir: runDir,
      configPath: join(dir, 'keepalived.conf'),
      exited: new Promise((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1))),
    };
    try {
      const all = await reader(join(dir, 'all.fifo'));
      const vrrp = await reader(join(dir, 'vrrp.fifo'));
      const lvs = await reader(join(dir, 'lvs.fifo'));
      await d.lines.wait(/Startup complete/, 20_000);
      await d.lines.wait(/TCP connection to \[127\.0\.0\.1\]:tcp:18091 success\./, 10_000);
      await d.lines.wait(/\(VI_9\) Entering MASTER STATE/, 20_000);
      const rs = `[127.0.0.1]:tcp:${port}`;
      const vs = `[${PREFIX}.109]:tcp:80`;
      const alphaLine = `RS [127.0.0.1]:tcp:${port + 1} [${PREFIX}.109]:tcp:81 DOWN`;
      await lvs.lines.wait(new RegExp(`^${alphaLine.replace(/[[\]]/g, '\\$&')}$`), 10_000);
      // The port closes: the real server goes, and the quorum with it.
      await stopListener(server);
      await lvs.lines.wait(/^VS .* DOWN$/, 15_000);
      server = listen();
      await lvs.lines.wait(/^VS .* UP$/, 15_000);
      expect(await stopDaemon(d)).toBe(0);
      await Promise.all([all.done, vrrp.done, lvs.done]);
      const lvsLines = [
        alphaLine,
        `RS ${rs} ${vs} DOWN`,
        `VS ${vs} DOWN`,
        `RS ${rs} ${vs} UP`,
        `VS ${vs} UP`,
        // omega: the live server and the virtual server go down at stop.
        `RS ${rs} ${vs} DOWN`,
        `VS ${vs} DOWN`,
      ];
      const vrrpLines = [
        'INSTANCE "VI_9" BACKUP 150',
        'INSTANCE "VI_9" MASTER 150',
        'INSTANCE "VI_9" STOP 150',
      ];
      expect(lines(lvs.lines)).toEqual(lvsLines);
      expect(lines(vrrp.lines)).toEqual(vrrpLines);
      // notify_fifo: both, each subsystem's in its order (the two interleave as they happen).
      expect(lines(all.lines).filter((l) => /^(VS|RS) /.test(l))).toEqual(lvsLines);
      expect(lines(all.lines).filter((l) => l.startsWith('INSTANCE '))).toEqual(vrrpLines);
      expect(lines(all.lines)).toHaveLength(lvsLines.length + vrrpLines.length);
      for (const f of ['all.fifo', 'vrrp.fifo', 'lvs.fifo']) expect(existsSync(join(dir, f))).toBe(false);
    } finally {
      if (d.child.exitCode === null) signalDaemon(d, 'SIGKILL');
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  }, 90_000);
});
