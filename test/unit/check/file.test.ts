// FILE_CHECK reads its track_file with the shared parser (util/track-file.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileAttempt } from '../../../src/check/file.js';
import type { FileCheck } from '../../../src/config/model.js';
import { attemptContext, realIo } from './support/context.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-file-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fileCheck = (over: Partial<FileCheck> = {}): FileCheck => ({
  type: 'FILE_CHECK',
  trackFile: 'tf',
  weight: 0,
  weightReverse: false,
  dynamic: false,
  loc: { file: 't', line: 1 },
  ...over,
});

describe('FILE_CHECK value', () => {
  const path = join(dir, 'track');
  const io = { ...realIo, trackFilePath: (n: string) => (n === 'tf' ? path : null) };
  const attempt = (checker: FileCheck, configuredWeight = 1) =>
    fileAttempt(checker, attemptContext({ io, configuredWeight }));

  it('reads +N, hexadecimal and octal as keepalived strtol(..., 0) does', async () => {
    const weighted = fileCheck({ weight: 1 });
    writeFileSync(path, '+5\n');
    expect(await attempt(weighted, 10)).toMatchObject({ kind: 'up', weight: 15 });
    writeFileSync(path, '0x10\n');
    expect(await attempt(weighted, 10)).toMatchObject({ kind: 'up', weight: 26 });
    writeFileSync(path, '010\n');
    expect(await attempt(weighted, 10)).toMatchObject({ kind: 'up', weight: 18 });
  });

  it('keeps the last accepted value when the file holds an out-of-range number', async () => {
    const checker = fileCheck();
    writeFileSync(path, '0\n');
    expect((await attempt(checker)).kind).toBe('up');
    writeFileSync(path, '99999999999\n');
    expect((await attempt(checker)).kind).toBe('up');
    writeFileSync(path, '1\n');
    expect((await attempt(checker)).kind).toBe('down');
    writeFileSync(path, '-99999999999\n');
    expect((await attempt(checker)).kind).toBe('down');
    // A checker that never read a value starts from 0, as keepalived's last_status.
    expect((await attempt(fileCheck())).kind).toBe('up');
  });
});
