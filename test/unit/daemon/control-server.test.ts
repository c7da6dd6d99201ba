// The control socket over a real unix socket: replies in order, malformed and oversized requests,
// the client cap and idle timeout, and the credential check (an injected reader, and a real
// client of another uid when the tests run as root).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { errorReply, okReply, type ControlRequest } from '../../../src/daemon/control-protocol.js';
import {
  startControlServer,
  type ControlServer,
  type ControlServerOptions,
} from '../../../src/daemon/control-server.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { hasCommand } from '../../support/netns.js';
import { rootMissing, tierIt } from '../../support/tier.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-control-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const servers: ControlServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

let n = 0;
async function server(over: Partial<ControlServerOptions> = {}) {
  const logger = new MemoryLogger();
  const handled: ControlRequest[] = [];
  const s = await startControlServer({
    path: join(dir, `c${n++}.sock`),
    logger,
    handle: async (r) => {
      handled.push(r);
      if (r.cmd === 'reload') await new Promise((res) => setTimeout(res, 50));
      return okReply(r.id, { cmd: r.cmd });
    },
    ...over,
  });
  servers.push(s);
  return { s, logger, handled };
}

/** A client that collects reply lines and notices the server closing. */
function client(path: string) {
  const sock: Socket = connect(path);
  const lines: unknown[] = [];
  let buf = '';
  let closed = false;
  sock.on('data', (d) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p));
  });
  sock.on('error', () => {});
  sock.on('close', () => (closed = true));
  return {
    sock,
    lines,
    closed: () => closed,
    until: async (pred: () => boolean, ms = 3000) => {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end) throw new Error(`timed out; got ${JSON.stringify(lines)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

describe('control server', () => {
  it('listens with mode 0600 and answers requests in order, pipelined on one connection', async () => {
    const { s } = await server();
    expect(statSync(s.path).mode & 0o777).toBe(0o600);
    const c = client(s.path);
    c.sock.write('{"v":1,"id":1,"cmd":"reload"}\n{"v":1,"id":2,"cmd":"status"}\n');
    await c.until(() => c.lines.length === 2);
    expect(c.lines).toEqual([okReply(1, { cmd: 'reload' }), okReply(2, { cmd: 'status' })]);
    c.sock.destroy();
  });

  it('answers a malformed request with an error and keeps the connection; an oversized one is refused and closed', async () => {
    const { s } = await server();
    const c = client(s.path);
    c.sock.write('this is not json\n{"v":1,"id":3,"cmd":"nope"}\n{"v":1,"id":4,"cmd":"ping"}\n');
    await c.until(() => c.lines.length === 3);
    expect(c.lines[0]).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(c.lines[1]).toMatchObject({ id: 3, ok: false, error: { code: 'unknown-command' } });
    expect(c.lines[2]).toEqual(okReply(4, { cmd: 'ping' }));
    c.sock.write('{"v":1,"id":5,"cmd":"status","pad":"' + 'x'.repeat(70 * 1024));
    await c.until(() => c.closed());
    expect(c.lines[3]).toMatchObject({ ok: false, error: { code: 'request-too-large' } });
    // The server is still there for the next client.
    const d = client(s.path);
    d.sock.write('{"v":1,"id":6,"cmd":"ping"}\n');
    await d.until(() => d.lines.length === 1);
    d.sock.destroy();
  });

  it('closes idle connections after the idle timeout', async () => {
    const { s } = await server({ maxClients: 2, idleTimeoutMs: 300 });
    const a = client(s.path);
    const b = client(s.path);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.clients).toBe(2);
    await a.until(() => a.closed() && b.closed(), 3000);
    expect(s.clients).toBe(0);
  });

  it('a client finding every slot taken closes the oldest idle connection; busy only when all are busy', async () => {
    let release = (): void => {};
    const held = new Promise<void>((r) => (release = r));
    const { s } = await server({
      maxClients: 2,
      handle: async (r) => {
        if (r.cmd === 'reload') await held;
        return okReply(r.id, { cmd: r.cmd });
      },
    });
    const a = client(s.path);
    await new Promise((r) => setTimeout(r, 30));
    const b = client(s.path);
    b.sock.write('{"v":1,"id":1,"cmd":"ping"}\n');
    await b.until(() => b.lines.length === 1);
    // a (oldest idle) gives way to c; b, idle again after its answer, stays.
    const c = client(s.path);
    c.sock.write('{"v":1,"id":2,"cmd":"status"}\n');
    await c.until(() => c.lines.length === 1);
    expect(c.lines).toEqual([okReply(2, { cmd: 'status' })]);
    await a.until(() => a.closed());
    expect(b.closed()).toBe(false);
    // Both connections busy with a request: the next client is told so.
    b.sock.write('{"v":1,"id":3,"cmd":"reload"}\n');
    c.sock.write('{"v":1,"id":4,"cmd":"reload"}\n');
    await new Promise((r) => setTimeout(r, 50));
    const d = client(s.path);
    await d.until(() => d.closed());
    expect(d.lines).toEqual([errorReply(null, 'busy', 'too many clients (at most 2); try again')]);
    release();
    await b.until(() => b.lines.length === 2 && c.lines.length === 2);
    b.sock.destroy();
    c.sock.destroy();
  });

  it('refuses a peer that is neither root nor the owner (injected credentials), and logs it', async () => {
    const { s, logger, handled } = await server({
      credentials: () => ({ pid: 4242, uid: 1234, gid: 1234 }),
      ownerUid: 1000,
    });
    const c = client(s.path);
    c.sock.write('{"v":1,"id":1,"cmd":"status"}\n');
    await c.until(() => c.closed());
    expect(c.lines).toEqual([
      errorReply(null, 'denied', 'only root and the socket owner may use the control socket'),
    ]);
    expect(handled).toEqual([]);
    expect(logger.messages()).toContain('Control socket: refused a connection from uid 1234 (pid 4242)');
    const owner = await server({ credentials: () => ({ pid: 1, uid: 1000, gid: 1000 }), ownerUid: 1000 });
    const d = client(owner.s.path);
    d.sock.write('{"v":1,"id":1,"cmd":"ping"}\n');
    await d.until(() => d.lines.length === 1);
    expect(d.lines[0]).toEqual(okReply(1, { cmd: 'ping' }));
    d.sock.destroy();
  });

  tierIt('unit (real uid)', [...rootMissing(), ...(hasCommand('setpriv') ? [] : ['setpriv'])])(
    'a real client running as nobody is refused by SO_PEERCRED (socket opened up to it by the test)',
    async () => {
      const { s, logger, handled } = await server({ mode: 0o666 });
      const script = `const s=require('node:net').connect(${JSON.stringify(s.path)});let b='';s.on('data',d=>b+=d);s.on('close',()=>{process.stdout.write(b)});s.write('{"v":1,"id":1,"cmd":"status"}\\n');`;
      const child = spawn('setpriv', [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '-e',
        script,
      ]);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const code = await new Promise((r) => child.on('exit', r));
      expect(code).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ ok: false, error: { code: 'denied' } });
      expect(handled).toEqual([]);
      expect(logger.messages().some((m) => /refused a connection from uid 65534/.test(m))).toBe(true);
    },
  );
});
