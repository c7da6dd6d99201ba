// The daemon's logger on real outputs: a unix datagram socket bound as the syslog socket, log
// files in a temporary directory, and a pipe as the console.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDaemonLogger, daemonLoggerOptions } from '../../../src/daemon/logger.js';
import { parseCommandLine } from '../../../src/daemon/cli.js';
import { ManualClock, realClock } from '../../../src/util/clock.js';
import { EVENT_TIME_FIELD, withFields } from '../../../src/util/log.js';
import { fileTimestamp } from '../../../src/daemon/log-format.js';

interface BoundSocket {
  bind(path: string): void;
  on(event: 'message', fn: (buf: Buffer) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(type: 'unix_dgram'): BoundSocket;
};

let dir: string;
let receiver: BoundSocket | null = null;
const received: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-logger-'));
  received.length = 0;
});
afterEach(() => {
  receiver?.close();
  receiver = null;
  rmSync(dir, { recursive: true, force: true });
});

function bindSyslog(): string {
  const path = join(dir, 'log');
  receiver = unixDgram.createSocket('unix_dgram');
  receiver.on('message', (buf) => void received.push(buf.toString('utf8')));
  receiver.on('error', (e) => {
    throw e;
  });
  receiver.bind(path);
  return path;
}

async function waitForDatagrams(n: number): Promise<void> {
  for (let i = 0; i < 100 && received.length < n; i++) await new Promise((r) => setTimeout(r, 10));
}

const SYSLOG_LINE = /^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) ([\w]+)\[(\d+)\]: (.*)$/s;

describe('syslog', () => {
  it('sends RFC 3164 datagrams with the -S facility and the ident of the line’s subsystem', async () => {
    const syslogPath = bindSyslog();
    const cmd = parseCommandLine(['-S', 'local3', '-D']);
    if (cmd.kind !== 'run') throw new Error('not run');
    const logger = createDaemonLogger({
      ...daemonLoggerOptions(cmd.options, realClock, { KEEPALIVED_TS_SYSLOG_PATH: syslogPath }),
    });
    logger.info('Starting Keepalived-ts v0.1.0');
    withFields(logger, { subsystem: 'vrrp' }).info('(VI_1) Entering MASTER STATE', {
      instance: 'VI_1',
      state: 'MASTER',
    });
    withFields(logger, { subsystem: 'lvs' }).error("IPVS: Can't initialize ipvs: No such file or directory");
    withFields(logger, { subsystem: 'vrrp' }).detail('(VI_1) setting VIPs.');
    await logger.close();
    await waitForDatagrams(4);
    const parsed = received.map((d) => SYSLOG_LINE.exec(d));
    expect(
      parsed.every((m) => m !== null),
      received.join('\n'),
    ).toBe(true);
    expect(parsed.map((m) => [Number(m![1]), m![3], Number(m![4]), m![5]])).toEqual([
      // local3 = 19 << 3 = 152; info 6, error 3 (keepalived -S local3 sends <158> for LOG_INFO).
      [158, 'Keepalived', process.pid, 'Starting Keepalived-ts v0.1.0'],
      [158, 'Keepalived_vrrp', process.pid, '(VI_1) Entering MASTER STATE'],
      [
        155,
        'Keepalived_healthcheckers',
        process.pid,
        "IPVS: Can't initialize ipvs: No such file or directory",
      ],
      [158, 'Keepalived_vrrp', process.pid, '(VI_1) setting VIPs.'],
    ]);
    expect(logger.dropped().syslog).toBe(0);
  });

  it('uses LOG_DAEMON by default, and -G sends nothing', async () => {
    const syslogPath = bindSyslog();
    const a = createDaemonLogger({ console: false, detail: false, logFile: null, syslog: true, syslogPath });
    a.warn('warned');
    a.detail('not without -D');
    await a.close();
    const b = createDaemonLogger({ console: false, detail: false, logFile: null, syslog: false, syslogPath });
    b.info('never sent');
    await b.close();
    await waitForDatagrams(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(received.map((d) => SYSLOG_LINE.exec(d)?.slice(1, 2)[0])).toEqual([String((3 << 3) | 4)]);
  });

  it('drops and counts lines when nobody reads the socket, without stopping', async () => {
    const logger = createDaemonLogger({
      console: false,
      detail: false,
      logFile: null,
      syslog: true,
      syslogPath: join(dir, 'nobody'),
    });
    for (let i = 0; i < 5; i++) logger.info(`line ${i}`);
    await logger.close();
    expect(logger.dropped().syslog).toBe(5);
  });

  it('sends the JSON record as the message with --log-format json', async () => {
    const syslogPath = bindSyslog();
    const logger = createDaemonLogger({
      console: false,
      detail: false,
      logFile: null,
      syslog: true,
      syslogPath,
      format: 'json',
    });
    withFields(logger, { subsystem: 'vrrp' }).info('(VI_1) Entering BACKUP STATE', { instance: 'VI_1' });
    await logger.close();
    await waitForDatagrams(1);
    const m = SYSLOG_LINE.exec(received[0]!);
    expect(m![3]).toBe('Keepalived_vrrp');
    expect(JSON.parse(m![5]!)).toMatchObject({
      level: 'info',
      subsystem: 'vrrp',
      instance: 'VI_1',
      msg: '(VI_1) Entering BACKUP STATE',
    });
  });
});

describe('log files (-g)', () => {
  it("writes FILE, FILE_vrrp and FILE_check with keepalived's file timestamp", async () => {
    const logger = createDaemonLogger({
      console: false,
      detail: false,
      logFile: join(dir, 'ka.log'),
      syslog: false,
      flushLogFile: true,
    });
    logger.info('Starting');
    withFields(logger, { subsystem: 'vrrp' }).info('(VI_1) Entering MASTER STATE');
    withFields(logger, { subsystem: 'lvs' }).info(
      'Adding service [10.0.0.5]:tcp:80 to VS [10.0.0.100]:tcp:80',
    );
    const stamp = /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d{9} \d{4}: /;
    // --flush-log-file: on disk before close.
    const core = readFileSync(join(dir, 'ka.log'), 'utf8');
    expect(core).toMatch(stamp);
    expect(core.replace(stamp, '')).toBe('Starting\n');
    expect(readFileSync(join(dir, 'ka_vrrp.log'), 'utf8').replace(stamp, '')).toBe(
      '(VI_1) Entering MASTER STATE\n',
    );
    expect(readFileSync(join(dir, 'ka_check.log'), 'utf8').replace(stamp, '')).toBe(
      'Adding service [10.0.0.5]:tcp:80 to VS [10.0.0.100]:tcp:80\n',
    );
    await logger.close();
  });

  it('appends, and never writes through a symlink planted at the path', async () => {
    writeFileSync(join(dir, 'ka.log'), 'earlier\n');
    writeFileSync(join(dir, 'victim'), 'keep me\n');
    symlinkSync(join(dir, 'victim'), join(dir, 'ka_vrrp.log'));
    const logger = createDaemonLogger({
      console: false,
      detail: false,
      logFile: join(dir, 'ka.log'),
      syslog: false,
    });
    logger.info('core line');
    withFields(logger, { subsystem: 'vrrp' }).info('vrrp line');
    await logger.close();
    const core = readFileSync(join(dir, 'ka.log'), 'utf8').split('\n');
    expect(core[0]).toBe('earlier');
    expect(core[1]).toMatch(/: core line$/);
    // The refusal is logged on the outputs that work (here the core's file).
    expect(core[2]).toMatch(/: Unable to open '.*ka_vrrp\.log' - ELOOP/);
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('keep me\n');
  });

  it('writes buffered lines at close, in order (the process exits right after)', async () => {
    const logger = createDaemonLogger({
      console: false,
      detail: false,
      logFile: join(dir, 'b.log'),
      syslog: false,
    });
    for (let i = 0; i < 1000; i++) logger.info(`line ${i}`);
    await logger.close();
    const lines = readFileSync(join(dir, 'b.log'), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => l.replace(/^.*? \d{4}: /, ''))).toEqual(
      Array.from({ length: 1000 }, (_, i) => `line ${i}`),
    );
  });
});

describe('--log-format json', () => {
  it('writes one pino record per line with the fields, and without the logger-only ones', async () => {
    const logger = createDaemonLogger({
      console: false,
      detail: false,
      logFile: join(dir, 'j.log'),
      syslog: false,
      format: 'json',
    });
    withFields(logger, { subsystem: 'vrrp' }).info('(VI_1) Entering MASTER STATE', {
      instance: 'VI_1',
      state: 'MASTER',
      from: 'BACKUP',
      reason: 'master-down-timeout',
      limit: 'never written',
    });
    await logger.close();
    const text = readFileSync(join(dir, 'j_vrrp.log'), 'utf8');
    const record = JSON.parse(text) as Record<string, unknown>;
    expect(record).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
      pid: process.pid,
      subsystem: 'vrrp',
      instance: 'VI_1',
      state: 'MASTER',
      from: 'BACKUP',
      reason: 'master-down-timeout',
      msg: '(VI_1) Entering MASTER STATE',
    });
    expect(existsSync(join(dir, 'j.log'))).toBe(false);
  });
});

describe('rate limiting', () => {
  it('limits lines with a key and writes the summary line', async () => {
    const clock = new ManualClock();
    const logger = createDaemonLogger({
      console: false,
      detail: false,
      logFile: join(dir, 'r.log'),
      syslog: false,
      clock,
      rateLimit: { burst: 2, refillMs: 1000, quietMs: 100, maxKeys: 10 },
    });
    for (let i = 0; i < 10; i++) logger.info(`(VI_1) invalid TTL ${i}`, { limit: 'VI_1/ttl' });
    clock.advance(100);
    await logger.close();
    const lines = readFileSync(join(dir, 'r.log'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/^.*? \d{4}: /, ''));
    expect(lines).toEqual([
      '(VI_1) invalid TTL 0',
      '(VI_1) invalid TTL 1',
      '8 similar messages suppressed, last: (VI_1) invalid TTL 9',
    ]);
  });
});

describe('the end of rate limiting, before the last lines', () => {
  it('writes the pending summary at once and lets later lines through unlimited', async () => {
    const clock = new ManualClock();
    const logger = createDaemonLogger({
      console: false,
      detail: false,
      logFile: join(dir, 'z.log'),
      syslog: false,
      clock,
      rateLimit: { burst: 1, refillMs: 1000, quietMs: 5000, maxKeys: 10 },
    });
    for (let i = 0; i < 4; i++) logger.info(`(VI_1) invalid TTL ${i}`, { limit: 'VI_1/ttl' });
    logger.endRateLimiting();
    logger.info('(VI_1) invalid TTL 4', { limit: 'VI_1/ttl' });
    logger.info('Stopped Keepalived-ts v0');
    await logger.close();
    const lines = readFileSync(join(dir, 'z.log'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/^.*? \d{4}: /, ''));
    expect(lines).toEqual([
      '(VI_1) invalid TTL 0',
      '3 similar messages suppressed, last: (VI_1) invalid TTL 3',
      '(VI_1) invalid TTL 4',
      'Stopped Keepalived-ts v0',
    ]);
  });
});

describe('a line logged in another thread', () => {
  // The checker worker's lines reach the main thread later; they keep the time they were logged.
  const loggedAt = Date.parse('2026-03-04T05:06:07.089Z');

  it('text: the file line shows the eventTime, other lines the time of writing', async () => {
    const logger = createDaemonLogger({
      console: false,
      detail: false,
      logFile: join(dir, 'e.log'),
      syslog: false,
    });
    logger.info('from the worker', { [EVENT_TIME_FIELD]: loggedAt });
    logger.info('from the main thread');
    await logger.close();
    const [worker, main] = readFileSync(join(dir, 'e.log'), 'utf8').trimEnd().split('\n');
    expect(worker).toBe(`${fileTimestamp(new Date(loggedAt))}: from the worker`);
    expect(main).not.toContain(fileTimestamp(new Date(loggedAt)).slice(0, 10));
    expect(main).toMatch(/: from the main thread$/);
  });

  it('json: the record time is the eventTime and the field itself is not written', async () => {
    const logger = createDaemonLogger({
      console: false,
      detail: false,
      logFile: join(dir, 'f.log'),
      syslog: false,
      format: 'json',
    });
    logger.warn('late line', { [EVENT_TIME_FIELD]: loggedAt, rs: '10.0.0.1:80' });
    await logger.close();
    const text = readFileSync(join(dir, 'f.log'), 'utf8');
    expect(text.match(/"time"/g)).toHaveLength(1);
    const record = JSON.parse(text) as Record<string, unknown>;
    expect(record.time).toBe('2026-03-04T05:06:07.089Z');
    expect(record.rs).toBe('10.0.0.1:80');
    expect(record[EVENT_TIME_FIELD]).toBeUndefined();
  });
});

describe('console', () => {
  it('writes the lines of one loop turn in order, gathered into bounded writes', async () => {
    const path = join(dir, 'console');
    const fd = openSync(path, 'w');
    const logger = createDaemonLogger({
      console: true,
      consoleFd: fd,
      detail: false,
      logFile: null,
      syslog: false,
    });
    const sent: string[] = [];
    // About 600 KB in one turn: more than one batch.
    for (let i = 0; i < 6000; i++) {
      const line = `line ${i} ${'x'.repeat(90)}`;
      sent.push(line);
      logger.info(line);
    }
    await logger.close();
    closeSync(fd);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(
      lines.map((l) => l.replace(/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}: /, '')),
    ).toEqual(sent);
    expect(logger.dropped().console).toBe(0);
  });

  it('counts each line it drops when nobody reads the console', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // Opened for reading and writing and never read: the pipe fills at 64 KiB.
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    const logger = createDaemonLogger({
      console: true,
      consoleFd: fd,
      detail: false,
      logFile: null,
      syslog: false,
    });
    const line = 'y'.repeat(999); // 1,000 bytes a line with the timestamp's part counted below
    const count = 20_000; // about 20 MB: beyond the 8 MiB the console buffers
    for (let i = 0; i < count; i++) logger.info(line);
    await new Promise((r) => setTimeout(r, 50));
    const dropped = logger.dropped().console;
    // What the buffer and the pipe hold was not dropped; the rest was, line by line.
    const lineBytes = 26 + 2 + line.length + 1;
    expect(dropped).toBeGreaterThan(count - Math.ceil((8 * 1024 * 1024 + 65536 + 65536) / lineBytes) - 70);
    expect(dropped).toBeLessThan(count);
    await logger.close();
    closeSync(fd);
  });
});
