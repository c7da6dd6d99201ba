// The notify FIFO adapter on a real FIFO: created with keepalived's mode when missing, kept when it
// exists, writes that never block (no reader: the lines wait; a full pipe: the line is dropped and
// counted), the script started with the FIFO's path last, SIGTERM to it, and the FIFO removed at
// close only when it was created here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fifoMode, NotifyFifo, type NotifyFifoOptions } from '../../../src/net/notify-fifo.js';
import { MemoryLogger } from '../../../src/util/log.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-fifo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const me = { uid: process.getuid!(), gid: process.getgid!() };

function options(
  path: string,
  logger: MemoryLogger,
  over: Partial<NotifyFifoOptions> = {},
): NotifyFifoOptions {
  return {
    path,
    type: 'vrrp_',
    ...me,
    mode: fifoMode(null),
    script: null,
    scriptExitMessage: 'vrrp notify fifo script terminated',
    logger,
    ...over,
  };
}

/** Everything waiting in the FIFO now (a non-blocking reader). */
function drain(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(1 << 20);
  let out = '';
  try {
    for (;;) {
      let n = 0;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw e;
      }
      if (n === 0) break;
      out += buf.subarray(0, n).toString();
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('NotifyFifo', () => {
  it("keepalived's modes: 0644 less -u, 0600 under its default umask 0177", () => {
    expect(fifoMode(null)).toBe(0o600);
    expect(fifoMode(0o022)).toBe(0o644);
    expect(fifoMode(0o027)).toBe(0o640);
  });

  it('creates a missing FIFO with its mode, whatever the process umask, and removes it at close', () => {
    const path = join(dir, 'created');
    const logger = new MemoryLogger();
    const old = process.umask(0o077);
    let fifo: NotifyFifo | null;
    try {
      fifo = NotifyFifo.open(options(path, logger, { mode: 0o640 }));
    } finally {
      process.umask(old);
    }
    expect(fifo).not.toBeNull();
    const st = lstatSync(path);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o777).toBe(0o640);
    fifo!.close();
    expect(existsSync(path)).toBe(false);
    expect(logger.messages()).toEqual([]);
  });

  it('keeps a FIFO that was there before, at close too', () => {
    const path = join(dir, 'existing');
    expect(spawnSync('mkfifo', ['-m', '600', path]).status).toBe(0);
    const fifo = NotifyFifo.open(options(path, new MemoryLogger()))!;
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    fifo.close();
    expect(lstatSync(path).isFIFO()).toBe(true);
  });

  it('writes without a reader; the lines wait, one per write, for the reader that comes', () => {
    const path = join(dir, 'noreader');
    const fifo = NotifyFifo.open(options(path, new MemoryLogger()))!;
    expect(fifo.write('INSTANCE "VI_1" BACKUP 100\n')).toBe(true);
    expect(fifo.write('INSTANCE "VI_1" MASTER 100\n')).toBe(true);
    expect(drain(path)).toBe('INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\n');
    fifo.close();
  });

  it('drops the lines a full pipe cannot take, counts them and logs under one limit key', () => {
    const path = join(dir, 'full');
    const logger = new MemoryLogger();
    const fifo = NotifyFifo.open(options(path, logger))!;
    const line = 'RS [192.168.1.2]:tcp:8080 [10.0.0.1]:tcp:80 DOWN\n';
    let written = 0;
    const started = Date.now();
    for (let i = 0; i < 10_000; i++) if (fifo.write(line)) written++;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(fifo.dropped).toBe(10_000 - written);
    expect(fifo.dropped).toBeGreaterThan(0);
    const warn = logger.lines.filter((l) => l.level === 'warn');
    expect(warn).toHaveLength(fifo.dropped);
    expect(new Set(warn.map((l) => l.fields?.limit))).toEqual(new Set([`notify fifo ${path}`]));
    expect(warn[0]!.message).toBe(`vrrp_notify fifo ${path}: line dropped (EAGAIN), 1 dropped so far`);
    // Whole lines only: what the pipe took is a whole number of them.
    const got = drain(path);
    expect(got.length).toBe(written * line.length);
    expect(fifo.write(line)).toBe(true);
    fifo.close();
  });

  it('starts the script with the FIFO path last; SIGTERM ends it and is logged', async () => {
    const path = join(dir, 'scripted');
    const out = join(dir, 'script-args');
    const script = join(dir, 'reader.sh');
    writeFileSync(
      script,
      `#!/bin/sh\nprintf '%s\\n' "$@" > ${out}\ntrap 'echo TERM >> ${out}; exit 0' TERM\nwhile :; do sleep 0.05; done\n`,
    );
    chmodSync(script, 0o755);
    const logger = new MemoryLogger();
    const fifo = NotifyFifo.open(options(path, logger, { script: { argv: [script, 'first'], ...me } }))!;
    await until(() => existsSync(out) && readFileSync(out, 'utf8').includes(path));
    expect(readFileSync(out, 'utf8')).toBe(`first\n${path}\n`);
    expect(fifo.scriptPid).not.toBeNull();
    fifo.terminateScript();
    await until(() => logger.messages().includes('vrrp notify fifo script terminated'));
    expect(readFileSync(out, 'utf8')).toBe(`first\n${path}\nTERM\n`);
    fifo.close();
  });

  it('reports a FIFO it cannot create in keepalived words', () => {
    const logger = new MemoryLogger();
    expect(NotifyFifo.open(options(join(dir, 'no', 'such', 'dir'), logger, { type: 'lvs_' }))).toBeNull();
    expect(logger.messages()).toEqual([`Unable to create lvs_notify fifo ${join(dir, 'no', 'such', 'dir')}`]);
  });
});
