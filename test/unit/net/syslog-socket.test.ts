// The syslog socket on real unix datagram sockets: a syslog daemon that stops reading for a while
// (a child process bound to the path, its event loop busy) gets every line, in order, once it
// reads again, and the sender never blocks; one that is not there costs dropped lines only.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSyslogSocket } from '../../../src/net/syslog-socket.js';
import { REPO_ROOT } from '../../support/netns.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-syslog-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A reader that binds `path`, reads nothing for `stallMs`, then reports `count` datagrams. */
function slowReader(path: string, stallMs: number, count: number) {
  const script = join(dir, 'reader.cjs');
  writeFileSync(
    script,
    `const s = require(${JSON.stringify(join(REPO_ROOT, 'node_modules/unix-dgram'))}).createSocket('unix_dgram');
const got = [];
s.on('message', (b) => { got.push(b.toString()); if (got.length === ${count}) process.send({ got }); });
s.bind(${JSON.stringify(path)});
process.send('bound');
const end = Date.now() + ${stallMs};
setImmediate(() => { while (Date.now() < end) {} });
`,
  );
  const child = fork(script, [], { stdio: 'ignore' });
  const bound = new Promise<void>((r) => child.once('message', () => r()));
  const lines = new Promise<string[]>((r) =>
    child.on('message', (m) => {
      if (typeof m === 'object' && m !== null) r((m as { got: string[] }).got);
    }),
  );
  return { bound, lines, child };
}

describe('openSyslogSocket', () => {
  it('queues while the reader is stalled and delivers everything in order after', async () => {
    const path = join(dir, 'log');
    const reader = slowReader(path, 1000, 200);
    await reader.bound;
    const socket = openSyslogSocket(path)!;
    const started = performance.now();
    for (let i = 0; i < 200; i++) socket.send(Buffer.from(`line ${i}`));
    // Sending never waited for the reader.
    expect(performance.now() - started).toBeLessThan(200);
    // The socket's queue (net.unix.max_dgram_qlen, 10 by default here) is full: the rest waits.
    expect(socket.queued).toBeGreaterThan(0);
    const got = await reader.lines;
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `line ${i}`));
    expect(socket.dropped).toBe(0);
    expect(socket.queued).toBe(0);
    socket.close();
    reader.child.kill();
  }, 10_000);

  it('drops (and counts) lines while nobody listens, and connects once a reader is there', async () => {
    const path = join(dir, 'late');
    let clock = 0;
    const socket = openSyslogSocket(path, () => clock)!;
    for (let i = 0; i < 3; i++) socket.send(Buffer.from(`lost ${i}`));
    expect(socket.dropped).toBe(3);
    const reader = slowReader(path, 0, 2);
    await reader.bound;
    // Within a second of the last attempt it does not try again.
    clock += 500;
    socket.send(Buffer.from('lost 3'));
    expect(socket.dropped).toBe(4);
    clock += 600;
    socket.send(Buffer.from('first'));
    socket.send(Buffer.from('second'));
    expect(await reader.lines).toEqual(['first', 'second']);
    expect(socket.dropped).toBe(4);
    socket.close();
    reader.child.kill();
  }, 10_000);
});
