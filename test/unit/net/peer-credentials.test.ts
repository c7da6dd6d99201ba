// SO_PEERCRED on a real unix socket: the accepted side names the connecting process.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { peerCredentials } from '../../../src/net/peer-credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-peercred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('peerCredentials', () => {
  it("reads the connecting process's pid, uid and gid; null once the socket is closed", async () => {
    const path = join(dir, 's.sock');
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer((s) => {
        resolve(s);
        server.close();
      });
      server.listen(path);
    });
    await new Promise((r) => setTimeout(r, 20));
    const client = connect(path);
    const s = await accepted;
    expect(peerCredentials(s)).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    client.destroy();
    s.destroy();
    await new Promise((r) => s.once('close', r));
    expect(peerCredentials(s)).toBeNull();
  });
});
