// RLIMIT_NOFILE as keepalived sets it (lib/process.c set_max_file_limit): the pure decision, the
// limiter over an in-memory control, and the native addon in a child process.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  openFileLimiter,
  openFileLimitsFor,
  type OpenFileLimitControl,
  type OpenFileLimits,
} from '../../../src/net/open-file-limit.js';
import { REPO_ROOT } from '../../support/netns.js';

describe('openFileLimitsFor', () => {
  const original = { soft: 1024, hard: 4096 };
  it('changes nothing while the original soft limit is enough and in force', () => {
    expect(openFileLimitsFor(original, original, 1000)).toBeNull();
    expect(openFileLimitsFor(original, original, 1024)).toBeNull();
  });
  it('raises the soft limit, and the hard one only when it is lower than required', () => {
    expect(openFileLimitsFor(original, original, 2000)).toEqual({ soft: 2000, hard: 4096 });
    expect(openFileLimitsFor(original, original, 5000)).toEqual({ soft: 5000, hard: 5000 });
  });
  it('goes back to the original limits when a reload needs fewer, never below them', () => {
    expect(openFileLimitsFor(original, { soft: 5000, hard: 5000 }, 100)).toEqual(original);
  });
  it('keeps an unlimited hard limit', () => {
    expect(openFileLimitsFor({ soft: 1024, hard: Infinity }, { soft: 1024, hard: Infinity }, 3000)).toEqual({
      soft: 3000,
      hard: Infinity,
    });
  });
});

/** A control over limits in memory; `hardCeiling`: raising the hard limit above it is EPERM. */
function memoryControl(start: OpenFileLimits, hardCeiling = Infinity) {
  let now = start;
  const writes: OpenFileLimits[] = [];
  const control: OpenFileLimitControl = {
    read: () => now,
    write: (l) => {
      if (l.hard > Math.max(now.hard, hardCeiling) || l.soft > l.hard)
        throw Object.assign(new Error('Operation not permitted'), {
          code: l.soft > l.hard ? 'EINVAL' : 'EPERM',
        });
      writes.push(l);
      now = l;
    },
  };
  return { control, writes, now: () => now };
}

describe('openFileLimiter', () => {
  it('sets what each config requires, from the limits the process started with', () => {
    const m = memoryControl({ soft: 1024, hard: 1024 });
    const limiter = openFileLimiter(m.control);
    expect(limiter.require(500)).toEqual({ kind: 'unchanged' });
    expect(limiter.require(2500)).toEqual({ kind: 'set', limits: { soft: 2500, hard: 2500 } });
    expect(limiter.require(2500)).toEqual({ kind: 'unchanged' });
    expect(limiter.require(100)).toEqual({ kind: 'set', limits: { soft: 1024, hard: 1024 } });
    expect(m.writes).toHaveLength(2);
  });
  it('without the right to raise the hard limit: reports it and raises the soft one to the hard one', () => {
    const m = memoryControl({ soft: 256, hard: 1024 }, 1024);
    const change = openFileLimiter(m.control).require(3000);
    expect(change).toEqual({
      kind: 'failed',
      limits: { soft: 3000, hard: 3000 },
      code: 'EPERM',
      capped: { soft: 1024, hard: 1024 },
    });
    expect(m.now()).toEqual({ soft: 1024, hard: 1024 });
  });
  it('reports nothing capped when the soft limit is at the hard one already', () => {
    const m = memoryControl({ soft: 256, hard: 256 }, 256);
    expect(openFileLimiter(m.control).require(3000)).toMatchObject({ kind: 'failed', capped: null });
  });
});

describe('the native control', () => {
  // In a child: the limit is the whole process's, and the test runner's must stay as it is.
  const run = (script: string, prlimit: string | null): unknown => {
    const node = [process.execPath, '--input-type=module', '-e', script];
    const argv = prlimit === null ? node : ['prlimit', `--nofile=${prlimit}`, '--', ...node];
    return JSON.parse(execFileSync(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, encoding: 'utf8' }));
  };
  const body = `
    const { createRequire } = await import('node:module');
    const a = createRequire(process.cwd() + '/package.json')('@keepalived-ts/signals');
    const before = a.openFileLimit();
    a.setOpenFileLimit(200, before.hard);
    const lowered = a.openFileLimit();
    let refused = null;
    try { a.setOpenFileLimit(before.hard + 1, before.hard); } catch (e) { refused = e.code; }
    console.log(JSON.stringify({ before, lowered, refused }));`;
  it('reads and sets RLIMIT_NOFILE, and refuses a soft limit above the hard one', () => {
    const out = run(body, '300:500') as { before: OpenFileLimits; lowered: OpenFileLimits; refused: string };
    // Node raises the soft limit to the hard one as it starts.
    expect(out.before).toEqual({ soft: 500, hard: 500 });
    expect(out.lowered).toEqual({ soft: 200, hard: 500 });
    expect(out.refused).toBe('EINVAL');
  });
});
