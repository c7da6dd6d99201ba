/**
 * The dump-file writer on a real file system: atomic replacement, mode 0600 whatever the umask,
 * and the planted-symlink and planted-file cases of keepalived's CVE-2018-19044..19046.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DUMP_FILE_MODE, randomTempName, writeDumpFile } from '../../../src/net/dump-file.js';

describe('writeDumpFile', () => {
  let dir: string;
  let victim: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kts-dumpfile-'));
    victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n', { mode: 0o644 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the text at the path with mode 0600, even under umask 0', async () => {
    const old = process.umask(0);
    try {
      await writeDumpFile(join(dir, 'keepalived.data'), 'hello\n', { mode: DUMP_FILE_MODE });
    } finally {
      process.umask(old);
    }
    const path = join(dir, 'keepalived.data');
    expect(readFileSync(path, 'utf8')).toBe('hello\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('applies the mode it is given (keepalived -u: 0666 & ~umask)', async () => {
    await writeDumpFile(join(dir, 'keepalived.stats'), 'x\n', { mode: 0o640 });
    expect(statSync(join(dir, 'keepalived.stats')).mode & 0o777).toBe(0o640);
  });

  it('replaces a symlink planted at the path instead of following it: the victim is untouched', async () => {
    const path = join(dir, 'keepalived.data');
    symlinkSync(victim, path);
    await writeDumpFile(path, 'dump\n', { mode: DUMP_FILE_MODE });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('dump\n');
  });

  it('replaces a planted file without truncating it: a reader holding it open keeps the old bytes', async () => {
    const path = join(dir, 'keepalived.json');
    writeFileSync(path, 'planted by someone else\n', { mode: 0o666 });
    const fd = openSync(path, 'r');
    try {
      await writeDumpFile(path, '[]\n', { mode: DUMP_FILE_MODE });
      const buf = Buffer.alloc(64);
      const n = readSync(fd, buf, 0, buf.length, 0);
      expect(buf.subarray(0, n).toString()).toBe('planted by someone else\n');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, 'utf8')).toBe('[]\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses to write when a symlink sits at the temporary name, and touches nothing', async () => {
    symlinkSync(victim, join(dir, '.kts-dump-planted'));
    const path = join(dir, 'keepalived.data');
    await expect(
      writeDumpFile(path, 'dump\n', { mode: DUMP_FILE_MODE, tempName: () => '.kts-dump-planted' }),
    ).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(() => lstatSync(path)).toThrow();
    expect(lstatSync(join(dir, '.kts-dump-planted')).isSymbolicLink()).toBe(true);
  });

  it('leaves no temporary file behind when the rename fails (a directory at the path)', async () => {
    const path = join(dir, 'keepalived.stats');
    mkdirSync(path);
    await expect(writeDumpFile(path, 'x\n', { mode: DUMP_FILE_MODE })).rejects.toMatchObject({
      code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/),
    });
    expect(readdirSync(dir).sort()).toEqual(['keepalived.stats', 'victim']);
  });

  it('picks a fresh random temporary name that no keepalived.json* pattern matches', async () => {
    const names = Array.from({ length: 50 }, () => randomTempName());
    expect(new Set(names).size).toBe(50);
    for (const n of names) expect(n).toMatch(/^\.kts-dump-[0-9a-f]{16}$/);
    const path = join(dir, 'keepalived.json');
    await writeDumpFile(path, 'last\n', { mode: DUMP_FILE_MODE });
    expect(readdirSync(dir).sort()).toEqual(['keepalived.json', 'victim']);
    expect(readFileSync(path, 'utf8')).toBe('last\n');
  });
});
