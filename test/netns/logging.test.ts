/**
 * Root tier: the daemon's logs on real outputs. A unix datagram socket bound by the test stands
 * in for /dev/log (KEEPALIVED_TS_SYSLOG_PATH): the lines arrive in RFC 3164 form with the `-S`
 * facility and the ident of the keepalived process each belongs to; `-g` writes the core's and
 * the VRRP side's files; `-d` logs the configuration data once running; `--log-format json`
 * writes pino records with the instance, state and reason of a transition.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ensureBuilt,
  netnsPrerequisites,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

interface BoundSocket {
  bind(path: string): void;
  on(event: 'message', fn: (buf: Buffer) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(type: 'unix_dgram'): BoundSocket;
};

const SYSLOG = /^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (\w+)\[(\d+)\]: (.*)$/s;

describeTier('logs', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  let receiver: BoundSocket;
  const datagrams: string[] = [];
  let syslogPath: string;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-logs');
    [a, b] = bed.twoHosts('10.231.43');
    syslogPath = join(bed.tempDir, 'log');
    receiver = unixDgram.createSocket('unix_dgram');
    receiver.on('message', (buf) => void datagrams.push(buf.toString('utf8')));
    receiver.on('error', () => {});
    receiver.bind(syslogPath);
  });
  afterAll(() => {
    receiver?.close();
    bed?.destroy();
  });

  /** A daemon whose environment points syslog at the test's socket. */
  const start = (host: Host, name: string, config: string, extra: string[]): Daemon => {
    const saved = process.env['KEEPALIVED_TS_SYSLOG_PATH'];
    process.env['KEEPALIVED_TS_SYSLOG_PATH'] = syslogPath;
    try {
      return startKeepalivedTs(bed, host.ns, name, config, extra);
    } finally {
      if (saved === undefined) delete process.env['KEEPALIVED_TS_SYSLOG_PATH'];
      else process.env['KEEPALIVED_TS_SYSLOG_PATH'] = saved;
    }
  };

  it('syslog with the -S facility and per-process idents, -g files, -d dump', async () => {
    const logFile = join(bed.tempDir, 'ka.log');
    const d = start(
      a,
      'text',
      vrrpConfig({ state: 'MASTER', priority: 150, vrid: 61, vips: ['10.231.43.100/32'] }),
      ['-S', 'local2', '-d', `-g${logFile}`],
    );
    try {
      await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
      await d.lines.wait(/------< VRRP Topology >------/, 5000);
      // Datagrams a full socket queue held back arrive after the console line (syslog-socket.ts):
      // wait for each line judged below, not only for the last one the daemon wrote.
      for (const text of ['VRRP Topology', '(VI_1) Entering MASTER STATE', 'Startup complete']) {
        await waitFor(() => datagrams.some((g) => g.includes(text)), 5000, `"${text}" over syslog`);
      }
      const parsed = datagrams.map((g) => SYSLOG.exec(g));
      expect(
        parsed.every((m) => m !== null),
        datagrams.slice(0, 5).join('\n'),
      ).toBe(true);
      const pid = d.child.pid!;
      const lines = parsed.map((m) => ({ pri: Number(m![1]), ident: m![2], pid: Number(m![3]), msg: m![4] }));
      const find = (re: RegExp) => lines.find((l) => re.test(l.msg!));
      // local2 = 18 << 3 = 144; keepalived-ts's info lines are LOG_INFO (6).
      expect(find(/^Starting Keepalived-ts/)).toEqual({
        pri: 150,
        ident: 'Keepalived',
        pid,
        msg: expect.any(String),
      });
      expect(find(/^\(VI_1\) Entering MASTER STATE$/)).toMatchObject({
        pri: 150,
        ident: 'Keepalived_vrrp',
        pid,
      });
      expect(find(/^------< Global definitions >------$/)).toMatchObject({ ident: 'Keepalived_vrrp' });
      expect(find(/^ VRRP Instance = VI_1$/)).toMatchObject({ ident: 'Keepalived_vrrp' });
      expect(find(/^Startup complete$/)).toMatchObject({ ident: 'Keepalived' });

      const stamp = /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d{9} \d{4}: /;
      await waitFor(
        () => readFileSync(join(bed.tempDir, 'ka_vrrp.log'), 'utf8').includes('MASTER'),
        5000,
        'file',
      );
      const core = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
      const vrrp = readFileSync(join(bed.tempDir, 'ka_vrrp.log'), 'utf8').split('\n').filter(Boolean);
      expect(core.every((l) => stamp.test(l))).toBe(true);
      expect(core.map((l) => l.replace(stamp, ''))).toContain('Startup complete');
      expect(core.some((l) => l.includes('(VI_1)'))).toBe(false);
      expect(vrrp.map((l) => l.replace(stamp, ''))).toContain('(VI_1) Entering MASTER STATE');
    } finally {
      expect(await stopDaemon(d)).toBe(0);
    }
  }, 40_000);

  it('--log-format json: pino records with the transition as fields', async () => {
    const d = start(
      b,
      'json',
      vrrpConfig({ state: 'MASTER', priority: 150, vrid: 62, vips: ['10.231.43.101/32'] }),
      ['--log-format=json', '-G'],
    );
    try {
      await d.lines.wait(/Entering MASTER STATE/, 15_000);
      const records = d.lines.lines.map((l) => JSON.parse(l.text) as Record<string, unknown>);
      expect(records.find((r) => r['msg'] === '(VI_1) Entering MASTER STATE')).toEqual({
        level: 'info',
        time: expect.stringMatching(/Z$/),
        pid: d.child.pid,
        subsystem: 'vrrp',
        instance: 'VI_1',
        state: 'MASTER',
        from: 'BACKUP',
        reason: 'master-down-timeout',
        priority: 150,
        msg: '(VI_1) Entering MASTER STATE',
      });
      expect(records.find((r) => r['msg'] === 'Startup complete')).toMatchObject({
        level: 'info',
        pid: d.child.pid,
      });
    } finally {
      expect(await stopDaemon(d)).toBe(0);
    }
    // -G: nothing from this daemon reached syslog.
    expect(datagrams.some((g) => g.includes(`[${d.child.pid}]`))).toBe(false);
  }, 40_000);
});
