// chokidar on real files: an in-place write, an editor's atomic save (write a temporary file,
// rename it over), a file deleted and created again, and a watched set that follows.
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchFileSet, type FileSetWatch } from '../../../src/net/file-set-watch.js';

let dir: string;
let watch: FileSetWatch | null = null;
const changes: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-fsw-'));
  changes.length = 0;
});
afterEach(async () => {
  await watch?.close();
  watch = null;
  rmSync(dir, { recursive: true, force: true });
});

async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}; changes: ${JSON.stringify(changes)}`);
}

/** chokidar reports nothing until its initial scan is done; a settle time covers it. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

describe('watchFileSet', () => {
  it('reports in-place writes, atomic renames over the file, and re-creation', async () => {
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, 'a\n');
    watch = watchFileSet(
      [conf],
      (p) => changes.push(p),
      (m) => changes.push(`error ${m}`),
    );
    await settle();
    writeFileSync(conf, 'b\n');
    await until(() => changes.length >= 1, 'the in-place write');
    // chokidar drops a change within 50 ms of the last one it reported (the daemon's 500 ms
    // debounce reads the file after any such change); this test wants each event on its own.
    await new Promise((r) => setTimeout(r, 100));
    const tmp = join(dir, '.keepalived.conf.swp');
    writeFileSync(tmp, 'c\n');
    renameSync(tmp, conf);
    await until(() => changes.length >= 2, 'the rename over the file');
    // Events come from the watched file only, not from the temporary one.
    expect(new Set(changes)).toEqual(new Set([conf]));
    unlinkSync(conf);
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(conf, 'd\n');
    const before = changes.length;
    await until(() => changes.length > before, 'the file created again');
    expect(new Set(changes)).toEqual(new Set([conf]));
  });

  it('follows a new file set: added files are watched, dropped ones are not', async () => {
    const a = join(dir, 'a.conf');
    const b = join(dir, 'b.conf');
    writeFileSync(a, '1\n');
    writeFileSync(b, '1\n');
    watch = watchFileSet(
      [a],
      (p) => changes.push(p),
      () => {},
    );
    await settle();
    watch.follow([b]);
    await settle();
    writeFileSync(a, '2\n');
    writeFileSync(b, '2\n');
    await until(() => changes.includes(b), 'the added file');
    await new Promise((r) => setTimeout(r, 200));
    expect(changes).not.toContain(a);
  });
});
