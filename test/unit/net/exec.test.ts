import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveScriptUser, runScript } from '../../../src/net/exec.js';
import { rootMissing, tierIt } from '../../support/tier.js';

// Changing uid/gid needs root; the unit tier runs as root in CI.
const itAsRoot = tierIt('unit (setuid)', rootMissing());

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-chk-exec-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** 'gone', or the state letter from /proc (a zombie 'Z' is dead but not yet reaped by init). */
function processState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .charAt(0);
  } catch {
    return 'gone';
  }
}

describe('runScript', () => {
  it('reports the exit code and passes argv without a shell', async () => {
    const out = join(dir, 'args.txt');
    const s = script('args.sh', `printf '%s\\n' "$@" > ${out}; exit 3`);
    const r = await runScript({ argv: [s, 'a b', '$HOME', ';x'], timeoutMs: 5000 });
    expect(r).toEqual({ kind: 'exited', code: 3 });
    expect(readFileSync(out, 'utf8')).toBe('a b\n$HOME\n;x\n');
  });

  it('reports a signal', async () => {
    const s = script('sig.sh', 'kill -USR1 $$');
    expect(await runScript({ argv: [s], timeoutMs: 5000 })).toEqual({ kind: 'signaled', signal: 'SIGUSR1' });
  });

  it('reports a spawn error for a missing program', async () => {
    const r = await runScript({ argv: [join(dir, 'nope')], timeoutMs: 1000 });
    expect(r.kind).toBe('spawn-error');
  });

  it('kills the whole process group on timeout, KILL after an ignored TERM', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const s = script('hang.sh', `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait`);
    const started = Date.now();
    const r = await runScript({ argv: [s], timeoutMs: 200, killGraceMs: 200 });
    expect(r).toEqual({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(10_000);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    expect(processState(grandchild)).toMatch(/^(gone|Z)$/);
  });

  it('ends a script when its signal aborts: TERM to the group, KILL after the grace if ignored', async () => {
    const polite = script('polite.sh', 'exec sleep 30');
    const stop = new AbortController();
    const started = Date.now();
    const p = runScript({ argv: [polite], timeoutMs: 30_000, killGraceMs: 300, signal: stop.signal });
    setTimeout(() => stop.abort(), 100);
    expect(await p).toEqual({ kind: 'signaled', signal: 'SIGTERM' });
    expect(Date.now() - started).toBeLessThan(3000);

    const pidFile = join(dir, 'stubborn.pid');
    const stubborn = script('stubborn.sh', `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait`);
    const again = new AbortController();
    const q = runScript({ argv: [stubborn], timeoutMs: 30_000, killGraceMs: 300, signal: again.signal });
    setTimeout(() => again.abort(), 100);
    expect(await q).toEqual({ kind: 'signaled', signal: 'SIGKILL' });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    expect(processState(grandchild)).toMatch(/^(gone|Z)$/);

    // Aborted before it starts: it is ended at once.
    const late = await runScript({ argv: [polite], timeoutMs: 30_000, signal: AbortSignal.abort() });
    expect(late).toEqual({ kind: 'signaled', signal: 'SIGTERM' });
  });

  it('does not block the event loop while a script runs', async () => {
    const s = script('slow.sh', 'sleep 0.5');
    let ticks = 0;
    const iv = setInterval(() => ticks++, 20);
    await runScript({ argv: [s], timeoutMs: 5000 });
    clearInterval(iv);
    expect(ticks).toBeGreaterThan(5);
  });

  itAsRoot('runs as the given uid/gid', async () => {
    const out = join(dir, 'id.txt');
    const s = script('id.sh', `id -u > ${out}.tmp; id -g >> ${out}.tmp; cat ${out}.tmp`);
    chmodSync(dir, 0o777);
    const r = await runScript({
      argv: ['/bin/sh', '-c', `${s} > ${out}`],
      uid: 65534,
      gid: 65534,
      timeoutMs: 5000,
    });
    expect(r).toEqual({ kind: 'exited', code: 0 });
    expect(readFileSync(out, 'utf8')).toBe('65534\n65534\n');
  });
});

describe('resolveScriptUser', () => {
  const files = {
    passwd:
      'root:x:0:0:root:/root:/bin/sh\nkeepalived_script:x:990:985::/:/bin/false\nnobody:x:65534:65534::/:/bin/false\n',
    group: 'root:x:0:\nnogroup:x:65534:\nwheel:x:10:\n',
  };
  it('defaults to keepalived_script when it exists', () => {
    expect(resolveScriptUser(null, null, files)).toEqual({
      ok: true,
      value: { identity: { user: 'keepalived_script', uid: 990, gid: 985 }, warning: null },
    });
  });
  it('falls back to root with keepalived warning when the default user is missing', () => {
    const r = resolveScriptUser(null, null, { passwd: 'root:x:0:0::/:/bin/sh\n', group: '' });
    expect(r.ok && r.value.identity).toEqual({ user: 'root', uid: 0, gid: 0 });
    expect(r.ok && r.value.warning).toBe(
      "WARNING - default user 'keepalived_script' for script execution does not exist - please create.",
    );
  });
  it('uses the primary group unless a group is given', () => {
    expect(resolveScriptUser('nobody', null, files)).toMatchObject({
      ok: true,
      value: { identity: { uid: 65534, gid: 65534 } },
    });
    expect(resolveScriptUser('nobody', 'wheel', files)).toMatchObject({
      ok: true,
      value: { identity: { gid: 10 } },
    });
    expect(resolveScriptUser('1234', '77', files)).toMatchObject({
      ok: true,
      value: { identity: { uid: 1234, gid: 77 } },
    });
  });
  it('rejects unknown names', () => {
    expect(resolveScriptUser('ghost', null, files).ok).toBe(false);
    expect(resolveScriptUser('nobody', 'ghosts', files).ok).toBe(false);
  });
});
