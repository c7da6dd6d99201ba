// The checkers' sockets with fwmark (SO_MARK) and bind_if (SO_BINDTODEVICE): the addon sets and
// reads back both, and every connecting checker that sets them in keepalived 2.2.7 runs its
// attempt over such a socket, adopted by libuv (net.Socket for TCP and TLS, dgram for UDP). Their
// effect on the wire is in test/netns/checker-socket-options.test.ts.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { closeSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckSocketSpec } from '../../../src/contracts/check-socket.js';
import type { CheckerIo } from '../../../src/check/checker.js';
import { dnsAttempt } from '../../../src/check/dns.js';
import { httpAttempt } from '../../../src/check/http.js';
import { smtpAttempt } from '../../../src/check/smtp.js';
import { checkSocketSpec, socketSetupCause } from '../../../src/check/socket-options.js';
import { tcpAttempt } from '../../../src/check/tcp.js';
import { udpAttempt } from '../../../src/check/udp.js';
import type { DnsCheck, SmtpCheck, UdpCheck } from '../../../src/config/model.js';
import { openCheckSocket, socketMarkAndDevice } from '../../../src/net/check-socket.js';
import { createCheckerPool } from '../../../src/check/pool.js';
import { loadConfig } from '../../../src/config/load.js';
import { runScript } from '../../../src/net/exec.js';
import { realClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { rootMissing, tierIt } from '../../support/tier.js';
import { httpCheck, tcpCheck } from '../check/support/config.js';
import { attemptContext, realIo } from '../check/support/context.js';
import { refusedPort, selfSignedCert, tcpServer, type Listening } from '../check/support/servers.js';

// SO_MARK needs CAP_NET_ADMIN; the unit tier runs as root in CI.
const itAsRoot = tierIt('unit (root)', rootMissing());

const spec = (over: Partial<CheckSocketSpec> = {}): CheckSocketSpec => ({
  protocol: 'tcp',
  family: 'inet',
  mark: 0,
  device: null,
  bindAddress: null,
  bindPort: 0,
  ...over,
});

/** The real opener, recording what each socket it made carried (read back from its fd). */
function recordingIo(): { io: CheckerIo; seen: { spec: CheckSocketSpec; mark: number; device: string }[] } {
  const seen: { spec: CheckSocketSpec; mark: number; device: string }[] = [];
  return {
    seen,
    io: {
      ...realIo,
      openCheckSocket: (s) => {
        const fd = openCheckSocket(s);
        seen.push({ spec: s, ...socketMarkAndDevice(fd) });
        return fd;
      },
    },
  };
}

const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe('the addon (native/signals/src/checksock.c)', () => {
  itAsRoot('sets SO_MARK and SO_BINDTODEVICE, read back with getsockopt', () => {
    const tcp = openCheckSocket(spec({ mark: 42 }));
    const udp6 = openCheckSocket(spec({ protocol: 'udp', family: 'inet6', mark: 4294967295, device: 'lo' }));
    try {
      expect(socketMarkAndDevice(tcp)).toEqual({ mark: 42, device: '' });
      expect(socketMarkAndDevice(udp6)).toEqual({ mark: 4294967295, device: 'lo' });
    } finally {
      for (const fd of [tcp, udp6]) closeSync(fd);
    }
  });

  it('a plain socket reads back no mark and no device', () => {
    const fd = openCheckSocket(spec());
    try {
      expect(socketMarkAndDevice(fd)).toEqual({ mark: 0, device: '' });
    } finally {
      closeSync(fd);
    }
  });

  itAsRoot('fails with the errno name and the step: unknown device, address not on the host', () => {
    expect(() => openCheckSocket(spec({ device: 'kbindif-none' }))).toThrow(
      expect.objectContaining({ code: 'ENODEV', syscall: 'SO_BINDTODEVICE', message: 'No such device' }),
    );
    expect(() => openCheckSocket(spec({ bindAddress: '192.0.2.77' }))).toThrow(
      expect.objectContaining({ code: 'EADDRNOTAVAIL', syscall: 'bind', errno: -99 }),
    );
  });

  it('refuses a device name longer than IFNAMSIZ - 1', () => {
    expect(() => openCheckSocket(spec({ device: 'a'.repeat(16) }))).toThrow(/at most 15 bytes/);
  });
});

describe('which checkers take the socket (check/socket-options.ts)', () => {
  it('only with fwmark (not 0) or bind_if; UDP_CHECK passes no device', () => {
    const c = tcpCheck(80);
    expect(checkSocketSpec(c, 'tcp', true)).toBeNull();
    expect(checkSocketSpec({ ...c, fwmark: 0 }, 'tcp', true)).toBeNull();
    expect(checkSocketSpec({ ...c, bindIf: 'eth1' }, 'udp', false)).toBeNull();
    expect(checkSocketSpec({ ...c, fwmark: 7, bindIf: 'eth1', bindTo: '10.0.0.1' }, 'tcp', true)).toEqual(
      spec({ mark: 7, device: 'eth1', bindAddress: '10.0.0.1' }),
    );
    expect(
      checkSocketSpec({ ...c, connectIp: '2001:db8::1', fwmark: 7, bindIf: 'eth1' }, 'udp', false),
    ).toEqual(spec({ protocol: 'udp', family: 'inet6', mark: 7 }));
  });
  it("keepalived's lines for each failed step (core/layer4.c)", () => {
    const err = (syscall: string, message: string, errno: number) =>
      Object.assign(new Error(message), { syscall, errno });
    const s = spec({ mark: 42, device: 'eth9' });
    expect(socketSetupCause(err('SO_MARK', 'Operation not permitted', -1), s)).toEqual({
      level: 'error',
      text: 'Error setting fwmark 42 to socket: Operation not permitted',
    });
    expect(socketSetupCause(err('SO_BINDTODEVICE', 'No such device', -19), s)).toEqual({
      level: 'info',
      text: "Checker can't bind to device eth9: No such device",
    });
    expect(socketSetupCause(err('bind', 'Cannot assign requested address', -99), s)?.text).toBe(
      'Checker bind failed: Cannot assign requested address',
    );
    expect(
      socketSetupCause(err('bind', 'Cannot assign requested address', -99), { ...s, protocol: 'udp' })?.text,
    ).toBe('bind failed. errno: 99, error: Cannot assign requested address');
    expect(socketSetupCause(err('socket', 'Too many open files', -24), s)).toBeNull();
  });
});

describe('attempts over the adopted socket', () => {
  let dir = '';
  let http: Server;
  let https: Server;
  let httpPort = 0;
  let httpsPort = 0;
  let peers: string[] = [];
  let listener: Listening;

  const listen = async (s: Server): Promise<number> => {
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as { port: number }).port;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kts-chk-sockopt-'));
    const pem = selfSignedCert(dir, 'kts-chk.test');
    const handler = (req: { socket: { remoteAddress?: string } }, res: { end(b: string): void }) => {
      peers.push(req.socket.remoteAddress ?? '');
      res.end('ok');
    };
    http = createHttpServer(handler);
    https = createHttpsServer(pem, handler);
    httpPort = await listen(http);
    httpsPort = await listen(https);
    listener = await tcpServer((s) => {
      peers.push(s.remoteAddress ?? '');
      s.end();
    });
    closers.push(
      () => new Promise<void>((r) => http.close(() => r())),
      () => new Promise<void>((r) => https.close(() => r())),
      () => listener.close(),
      () => rmSync(dir, { recursive: true, force: true }),
    );
  });

  itAsRoot('TCP_CHECK: up through a socket marked 42 on lo, bound where bindto says', async () => {
    peers = [];
    const { io, seen } = recordingIo();
    const c = tcpCheck(listener.port, { fwmark: 42, bindIf: 'lo', bindTo: '127.0.0.2' });
    expect(await tcpAttempt(c, attemptContext({ io }))).toMatchObject({ kind: 'up' });
    expect(seen).toEqual([
      { spec: spec({ mark: 42, device: 'lo', bindAddress: '127.0.0.2' }), mark: 42, device: 'lo' },
    ]);
    // The connection the server accepted is the adopted socket's: bound to 127.0.0.2 by the addon.
    await new Promise((r) => setTimeout(r, 50));
    expect(peers).toEqual(['127.0.0.2']);
  });

  itAsRoot('TCP_CHECK: a refused port is down as on a plain socket', async () => {
    const { io, seen } = recordingIo();
    const r = await tcpAttempt(tcpCheck(await refusedPort(), { fwmark: 42 }), attemptContext({ io }));
    expect(r).toEqual({ kind: 'down', reason: 'Error connecting', detail: 'ECONNREFUSED' });
    expect(seen).toHaveLength(1);
  });

  it("TCP_CHECK: a bind_if that does not exist reschedules with keepalived's two lines", async () => {
    const r = await tcpAttempt(tcpCheck(listener.port, { bindIf: 'kbindif-none' }), attemptContext());
    expect(r).toEqual({
      kind: 'skipped',
      line: 'TCP socket bind failed. Rescheduling.',
      cause: { level: 'info', text: "Checker can't bind to device kbindif-none: No such device" },
    });
  });

  it('TCP_CHECK: without fwmark and bind_if the opener is never asked', async () => {
    const { io, seen } = recordingIo();
    expect((await tcpAttempt(tcpCheck(listener.port), attemptContext({ io }))).kind).toBe('up');
    expect(seen).toEqual([]);
  });

  itAsRoot('HTTP_GET and SSL_GET: both over a marked socket bound to 127.0.0.3', async () => {
    peers = [];
    const { io, seen } = recordingIo();
    const over = { fwmark: 42, bindIf: 'lo', bindTo: '127.0.0.3' };
    expect(await httpAttempt(httpCheck(httpPort, over), attemptContext({ io }))).toMatchObject({
      kind: 'up',
    });
    expect(
      await httpAttempt(httpCheck(httpsPort, { ...over, type: 'SSL_GET' }), attemptContext({ io })),
    ).toMatchObject({ kind: 'up' });
    expect(seen.map((s) => [s.mark, s.device])).toEqual([
      [42, 'lo'],
      [42, 'lo'],
    ]);
    expect(peers).toEqual(['127.0.0.3', '127.0.0.3']);
  });

  itAsRoot('HTTP_GET and SSL_GET: a refused port is down as on a plain socket', async () => {
    const port = await refusedPort();
    for (const type of ['HTTP_GET', 'SSL_GET'] as const) {
      const plain = await httpAttempt(httpCheck(port, { type }), attemptContext());
      const marked = await httpAttempt(httpCheck(port, { type, fwmark: 42 }), attemptContext());
      expect(plain.kind).toBe('down');
      expect(marked).toEqual(plain);
    }
  });

  it('HTTP_GET and SSL_GET: a bind_if that does not exist reschedules', async () => {
    for (const type of ['HTTP_GET', 'SSL_GET'] as const)
      expect(
        await httpAttempt(httpCheck(httpPort, { type, bindIf: 'kbindif-none' }), attemptContext()),
      ).toEqual({
        kind: 'skipped',
        line: 'WEB socket bind failed. Rescheduling',
        cause: { level: 'info', text: "Checker can't bind to device kbindif-none: No such device" },
      });
  });

  itAsRoot('SMTP_CHECK: over a marked socket', async () => {
    const smtp = await tcpServer((s) => {
      s.write('220 mail\r\n');
      s.on('data', (d) => {
        if (String(d).startsWith('HELO')) s.write('250 ok\r\n');
      });
    });
    closers.push(() => smtp.close());
    const { io, seen } = recordingIo();
    const c: SmtpCheck = { ...tcpCheck(smtp.port, { fwmark: 42 }), type: 'SMTP_CHECK', heloName: 'x' };
    expect(await smtpAttempt(c, attemptContext({ io }))).toMatchObject({ kind: 'up' });
    expect(seen.map((s) => s.mark)).toEqual([42]);
  });

  const udpServer = async (reply: (m: Buffer) => Buffer): Promise<{ port: number; peers: string[] }> => {
    const s: UdpSocket = createSocket('udp4');
    const from: string[] = [];
    s.on('message', (m, r) => {
      from.push(r.address);
      s.send(reply(m), r.port, r.address);
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    closers.push(() => void s.close());
    return { port: s.address().port, peers: from };
  };

  itAsRoot('UDP_CHECK: over a marked socket; bind_if is not set (keepalived udp_bind_connect)', async () => {
    const echo = await udpServer((m) => m);
    const { io, seen } = recordingIo();
    const c: UdpCheck = {
      ...tcpCheck(echo.port, { fwmark: 42, bindIf: 'lo', bindTo: '127.0.0.4' }),
      type: 'UDP_CHECK',
      payload: 'cafe',
      requireReply: true,
      replyPattern: 'cafe',
      minReplyLength: 0,
      maxReplyLength: 255,
    };
    expect(await udpAttempt(c, attemptContext({ io }))).toMatchObject({ kind: 'up' });
    expect(seen).toEqual([
      { spec: spec({ protocol: 'udp', mark: 42, bindAddress: '127.0.0.4' }), mark: 42, device: '' },
    ]);
    expect(echo.peers).toEqual(['127.0.0.4']);
  });

  itAsRoot('DNS_CHECK: over a marked socket on lo', async () => {
    const dns = await udpServer((m) => {
      const r = Buffer.from(m);
      r.writeUInt16BE(0x8180, 2);
      return r;
    });
    const { io, seen } = recordingIo();
    const c: DnsCheck = {
      ...tcpCheck(dns.port, { fwmark: 42, bindIf: 'lo' }),
      type: 'DNS_CHECK',
      queryType: 'A',
      name: 'www.example',
    };
    expect(await dnsAttempt(c, attemptContext({ io }))).toMatchObject({ kind: 'up' });
    expect(seen.map((s) => [s.spec.protocol, s.mark, s.device])).toEqual([['udp', 42, 'lo']]);
  });

  it("DNS_CHECK: a bind_if that does not exist reschedules with keepalived's line", async () => {
    const c: DnsCheck = {
      ...tcpCheck(53, { bindIf: 'kbindif-none' }),
      type: 'DNS_CHECK',
      queryType: 'A',
      name: 'www.example',
    };
    const ctx = attemptContext({ target: '[127.0.0.1]:udp:53' });
    expect(await dnsAttempt(c, ctx)).toEqual({
      kind: 'skipped',
      line: 'DNS_CHECK ([127.0.0.1]:udp:53) UDP socket bind failed. Rescheduling.',
      cause: { level: 'info', text: "Checker can't bind to device kbindif-none: No such device" },
    });
  });
});

describe("the pool logs what failed, in keepalived's words", () => {
  itAsRoot('a TCP_CHECK is rescheduled, a UDP_CHECK fails; each attempt logs its cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-chk-sockopt-pool-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'keepalived.conf');
    writeFileSync(
      path,
      [
        'virtual_server 10.0.0.1 80 {',
        '  delay_loop 0.2',
        '  lb_algo rr',
        '  lb_kind NAT',
        '  protocol TCP',
        '  real_server 127.0.0.1 9 {',
        '    TCP_CHECK {',
        '      bind_if kbindif-none',
        '    }',
        '    UDP_CHECK {',
        '      fwmark 42',
        '      bindto 192.0.2.77',
        '      retry 0',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const loaded = await loadConfig(path, { configId: null, checkInterfaces: false });
    const logger = new MemoryLogger();
    const pool = createCheckerPool(loaded.config!, {
      clock: realClock,
      logger,
      runScript,
      resolveScriptUser: () => ({ uid: 0, gid: 0 }),
      openCheckSocket,
      random: () => 0,
    });
    pool.start();
    try {
      const want = [
        ['info', "Checker can't bind to device kbindif-none: No such device"],
        ['info', 'TCP socket bind failed. Rescheduling.'],
        ['info', 'bind failed. errno: 99, error: Cannot assign requested address'],
        ['info', 'UDP_CHECK on service [127.0.0.1]:tcp:9 failed.'],
      ];
      const seen = () => want.filter(([l, m]) => logger.lines.some((x) => x.level === l && x.message === m));
      const end = Date.now() + 5000;
      while (seen().length < want.length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(seen()).toEqual(want);
      // Rescheduled, not failed: the TCP_CHECK never reports the server down.
      expect(logger.messages().filter((m) => m.startsWith('TCP_CHECK on service'))).toEqual([]);
    } finally {
      await pool.stop();
    }
  });
});
