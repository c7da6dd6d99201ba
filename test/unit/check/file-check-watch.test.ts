/**
 * FILE_CHECK acts on a change of its file as keepalived does with inotify on the file's
 * directory (track_file.c): written in place, replaced by a rename, deleted, created again, its
 * directory removed. Without a watcher the pool read the file once a second; every change here
 * must reach the table well inside that period, so only the watch can explain it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCheckerPool, type CheckerPool } from '../../../src/check/pool.js';
import type { FileCheck } from '../../../src/config/model.js';
import { watchFileText } from '../../../src/net/file-watch.js';
import { realClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { config, realServer, virtualServer } from './support/config.js';

/** The period the pool polled FILE_CHECK's file at before it watched it. */
const OLD_POLL_MS = 1000;
/** A change must be in the table within this (a poll would see it after 500 ms on average). */
const BOUND_MS = OLD_POLL_MS / 4;

let dir = '';
const pools: CheckerPool[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-file-watch-'));
});
afterEach(async () => {
  for (const p of pools.splice(0)) await p.stop({ omega: false });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fileCheck = (trackFile: string, weight: number): FileCheck => ({
  type: 'FILE_CHECK',
  trackFile,
  weight,
  weightReverse: false,
  dynamic: false,
  loc: { file: 't', line: 1 },
});

async function within(pred: () => boolean, what: string): Promise<number> {
  const start = performance.now();
  const end = start + 5000;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

describe('FILE_CHECK watches its file', () => {
  it('each change moves the weight or the server at once', async () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const fa = join(dir, 'a');
    const fb = join(sub, 'b');
    writeFileSync(fa, '0\n');
    writeFileSync(fb, '0\n');
    const logger = new MemoryLogger();
    const vs = virtualServer('192.0.2.1', 80, [
      realServer('10.0.0.1', 80, [fileCheck('ta', 0)]),
      realServer('10.0.0.2', 80, [fileCheck('tb', 2)], { weight: 5 }),
    ]);
    const trackFile = (name: string, file: string) => ({
      name,
      file,
      weight: 1,
      weightReverse: false,
      initFile: null,
      loc: { file: 't', line: 1 },
    });
    const pool = createCheckerPool(config([vs], { trackFiles: [trackFile('ta', fa), trackFile('tb', fb)] }), {
      clock: realClock,
      logger,
      runScript: () => Promise.reject(new Error('no scripts')),
      resolveScriptUser: () => ({ uid: 0, gid: 0 }),
      random: () => 0,
      watchFile: (path, fn) => watchFileText(path, fn, logger),
    });
    pools.push(pool);
    pool.start();
    const weights = (): Record<string, number> =>
      Object.fromEntries(pool.desiredTable().services[0]!.destinations.map((d) => [d.key, d.weight]));
    const A = '10.0.0.1|80';
    const B = '10.0.0.2|80';
    await within(() => weights()[A] === 1 && weights()[B] === 5, 'both up at start');

    const delays: Record<string, number> = {};
    const step = async (name: string, change: () => void, pred: () => boolean): Promise<void> => {
      change();
      delays[name] = await within(pred, name);
    };
    await step(
      'written in place',
      () => writeFileSync(fb, '3\n'),
      () => weights()[B] === 11,
    );
    await step(
      'replaced by rename',
      () => {
        writeFileSync(join(sub, 'b.tmp'), '1\n');
        renameSync(join(sub, 'b.tmp'), fb);
      },
      () => weights()[B] === 7,
    );
    await step(
      'deleted (reads 0)',
      () => unlinkSync(fb),
      () => weights()[B] === 5,
    );
    await step(
      'created',
      () => writeFileSync(fb, '2\n'),
      () => weights()[B] === 9,
    );
    await step(
      'non-zero with weight 0',
      () => writeFileSync(fa, '1\n'),
      () => weights()[A] === undefined,
    );
    await step(
      'back to 0',
      () => writeFileSync(fa, '0\n'),
      () => weights()[A] === 1,
    );
    await step(
      'directory removed',
      () => rmSync(sub, { recursive: true }),
      () => weights()[B] === 5,
    );
    for (const [name, ms] of Object.entries(delays))
      expect({ name, ms: ms < BOUND_MS }).toEqual({ name, ms: true });
    expect(Object.keys(delays)).toHaveLength(7);
    const lines = logger.messages();
    expect(lines).toContain('FILE_CHECK on service [10.0.0.1]:tcp:80 failed (tracked file has status 1).');
    expect(lines).toContain('FILE_CHECK on service [10.0.0.1]:tcp:80 succeed.');
  });

  it("a refused number keeps the last value, with keepalived's line", async () => {
    const f = join(dir, 'c');
    writeFileSync(f, '4\n');
    const logger = new MemoryLogger();
    const vs = virtualServer('192.0.2.1', 80, [
      realServer('10.0.0.3', 80, [fileCheck('tc', 1)], { weight: 1 }),
    ]);
    const pool = createCheckerPool(
      config([vs], {
        trackFiles: [
          {
            name: 'tc',
            file: f,
            weight: 1,
            weightReverse: false,
            initFile: null,
            loc: { file: 't', line: 1 },
          },
        ],
      }),
      {
        clock: realClock,
        logger,
        runScript: () => Promise.reject(new Error('no scripts')),
        resolveScriptUser: () => ({ uid: 0, gid: 0 }),
        watchFile: (path, fn) => watchFileText(path, fn, logger),
      },
    );
    pools.push(pool);
    pool.start();
    const weight = () => pool.desiredTable().services[0]!.destinations[0]?.weight;
    await within(() => weight() === 5, 'weight 1 + 4');
    writeFileSync(f, '99999999999\n');
    await within(
      () => logger.messages().includes(`Invalid number 99999999999 read from ${f} - ignoring`),
      'the refusal',
    );
    expect(weight()).toBe(5);
  });
});
