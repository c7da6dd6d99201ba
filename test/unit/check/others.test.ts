import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miscAttempt } from '../../../src/check/misc.js';
import { smtpAttempt } from '../../../src/check/smtp.js';
import { buildDnsQuery, dnsAttempt, dnsReplyVerdict } from '../../../src/check/dns.js';
import { replyMatches, udpAttempt } from '../../../src/check/udp.js';
import { pingAttempt } from '../../../src/check/ping.js';
import { fileAttempt } from '../../../src/check/file.js';
import { parseTrackFileValue } from '../../../src/util/track-file.js';
import type { DnsCheck, FileCheck, PingCheck, SmtpCheck, UdpCheck } from '../../../src/config/model.js';
import { miscCheck, tcpCheck } from './support/config.js';
import { attemptContext, realIo } from './support/context.js';
import { tcpServer, type Listening } from './support/servers.js';
import { rootMissing, tierIt } from '../../support/tier.js';

// Changing uid/gid and opening a raw ICMP socket need root; the unit tier runs as root in CI.
const itAsRoot = tierIt('unit (root)', rootMissing());

let dir = '';
const closers: (() => Promise<void> | void)[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-chk-others-'));
});
afterAll(async () => {
  for (const c of closers) await c();
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function udpServer(
  onMessage: (s: UdpSocket, msg: Buffer, rinfo: { address: string; port: number }) => void,
): Promise<number> {
  const s = createSocket('udp4');
  s.on('message', (m, r) => onMessage(s, m, r));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  closers.push(() => void s.close());
  return s.address().port;
}

describe('MISC_CHECK', () => {
  it('exit 0 is up, exit 1 is down with the status', async () => {
    expect(await miscAttempt(miscCheck([script('ok.sh', 'exit 0')]), attemptContext())).toMatchObject({
      kind: 'up',
      weight: null,
    });
    expect(await miscAttempt(miscCheck([script('ko.sh', 'exit 1')]), attemptContext())).toEqual({
      kind: 'down',
      reason: 'failed',
      detail: '(exited with status 1)',
    });
  });
  it('passes arguments from misc_path', async () => {
    const s = script('args.sh', '[ "$1" = "a b" ] && [ "$2" = c ]');
    expect((await miscAttempt(miscCheck([s, 'a b', 'c']), attemptContext())).kind).toBe('up');
  });
  it('with misc_dynamic, exit 2..255 is up with weight exit - 2; without it such exits are failures', async () => {
    const s = script('dyn.sh', 'exit 12');
    expect(await miscAttempt(miscCheck([s], { miscDynamic: true }), attemptContext())).toMatchObject({
      kind: 'up',
      weight: 10,
    });
    expect((await miscAttempt(miscCheck([s]), attemptContext())).kind).toBe('down');
  });
  it('a script running past misc_timeout is killed and counts as timed out', async () => {
    const s = script('slow.sh', 'sleep 20');
    const r = await miscAttempt(miscCheck([s], { miscTimeout: 0.2 }), attemptContext({}, 10_000));
    expect(r).toMatchObject({ kind: 'down', reason: 'timed out' });
  });
  itAsRoot('runs as the uid/gid the resolver gives', async () => {
    const s = script('who.sh', '[ "$(id -u)" = 65534 ]');
    chmodSync(dir, 0o755);
    const io = { ...realIo, resolveScriptUser: () => ({ uid: 65534, gid: 65534 }) };
    expect((await miscAttempt(miscCheck([s]), attemptContext({ io }))).kind).toBe('up');
    const rootIo = { ...realIo, resolveScriptUser: () => ({ uid: 0, gid: 0 }) };
    expect((await miscAttempt(miscCheck([s]), attemptContext({ io: rootIo }))).kind).toBe('down');
  });
});

function smtpServer(
  reply: (line: string) => string | null,
  banner = '220 mail ESMTP\r\n',
): Promise<Listening> {
  return tcpServer((s) => {
    s.write(banner);
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      for (const line of d.split('\r\n').filter(Boolean)) {
        const out = reply(line);
        if (out !== null) s.write(out);
      }
    });
  });
}

describe('SMTP_CHECK', () => {
  const smtp = (port: number, over: Partial<SmtpCheck> = {}): SmtpCheck => ({
    ...tcpCheck(port),
    type: 'SMTP_CHECK',
    heloName: 'smtpchecker.keepalived.org',
    ...over,
  });
  it('greets, sends HELO helo_name and accepts 250 (multi-line too)', async () => {
    const helos: string[] = [];
    const l = await smtpServer((line) => {
      if (line.startsWith('HELO')) {
        helos.push(line);
        return '250-mail\r\n250 ok\r\n';
      }
      return line === 'QUIT' ? '221 bye\r\n' : null;
    }, '220-first\r\n220 mail\r\n');
    closers.push(() => l.close());
    expect((await smtpAttempt(smtp(l.port, { heloName: 'chk.example' }), attemptContext())).kind).toBe('up');
    expect(helos).toEqual(['HELO chk.example']);
  });
  it('fails on a bad banner or HELO reply', async () => {
    const badBanner = await smtpServer(() => null, '554 go away\r\n');
    const badHelo = await smtpServer((l) => (l.startsWith('HELO') ? '501 no\r\n' : null));
    closers.push(
      () => badBanner.close(),
      () => badHelo.close(),
    );
    expect(await smtpAttempt(smtp(badBanner.port), attemptContext())).toMatchObject({
      kind: 'down',
      reason: 'Bad greeting banner from',
    });
    expect(await smtpAttempt(smtp(badHelo.port), attemptContext())).toMatchObject({
      kind: 'down',
      reason: 'Bad HELO response from',
    });
  });
});

describe('DNS_CHECK', () => {
  const dns = (port: number): DnsCheck => ({
    ...tcpCheck(port),
    type: 'DNS_CHECK',
    retry: 3,
    queryType: 'A',
    name: 'www.example',
  });
  it('encodes the query per RFC 1035', () => {
    const q = buildDnsQuery(0x1234, 'SOA', 'a.bc');
    expect(q.toString('hex')).toBe(
      '1234' + '0100' + '0001' + '0000' + '0000' + '0000' + '0161' + '026263' + '00' + '0006' + '0001',
    );
    expect(buildDnsQuery(1, 'A', '.').subarray(12).toString('hex')).toBe('00' + '0001' + '0001');
  });
  it('judges replies without throwing on junk', () => {
    expect(dnsReplyVerdict(Buffer.from([1, 2]), 1)).toBe('ignore');
    expect(dnsReplyVerdict(Buffer.from('0001818000010000000000000000', 'hex'), 1)).toBe('ok');
    expect(dnsReplyVerdict(Buffer.from('0001818300010000000000000000', 'hex'), 1)).toBe(
      'read error occurred. (rcode = 3)',
    );
    expect(dnsReplyVerdict(Buffer.from('0002818000010000000000000000', 'hex'), 1)).toBe('ignore');
  });
  it('succeeds against a responder that answers NOERROR and fails on NXDOMAIN', async () => {
    const answer = (rcode: number) => (s: UdpSocket, m: Buffer, r: { address: string; port: number }) => {
      const reply = Buffer.from(m);
      reply.writeUInt16BE(0x8180 | rcode, 2);
      s.send(reply, r.port, r.address);
    };
    const good = await udpServer(answer(0));
    const bad = await udpServer(answer(3));
    expect((await dnsAttempt(dns(good), attemptContext())).kind).toBe('up');
    expect(await dnsAttempt(dns(bad), attemptContext())).toMatchObject({
      kind: 'down',
      reason: 'read error occurred. (rcode = 3)',
    });
  });
});

describe('UDP_CHECK', () => {
  const udp = (port: number, over: Partial<UdpCheck> = {}): UdpCheck => ({
    ...tcpCheck(port),
    type: 'UDP_CHECK',
    payload: 'cafe',
    requireReply: false,
    replyPattern: null,
    minReplyLength: 0,
    maxReplyLength: 255,
    ...over,
  });
  it('matches reply patterns with x wildcards', () => {
    expect(replyMatches(Buffer.from('cafe01', 'hex'), 'caxe')).toBe(true);
    expect(replyMatches(Buffer.from('cafe01', 'hex'), 'beef')).toBe(false);
    expect(replyMatches(Buffer.from('ca', 'hex'), 'cafe')).toBe(false);
  });
  it('with require_reply, an echo is up and a wrong reply is down', async () => {
    const echo = await udpServer((s, m, r) => s.send(m, r.port, r.address));
    expect(
      (await udpAttempt(udp(echo, { requireReply: true, replyPattern: 'caxe' }), attemptContext())).kind,
    ).toBe('up');
    expect(
      (await udpAttempt(udp(echo, { requireReply: true, replyPattern: 'beef' }), attemptContext())).kind,
    ).toBe('down');
  });
  it('without require_reply, silence is up and a port unreachable is down', async () => {
    const silent = await udpServer(() => {});
    const closed = createSocket('udp4');
    await new Promise<void>((r) => closed.bind(0, '127.0.0.1', r));
    const closedPort = closed.address().port;
    closed.close();
    const fast = { wait: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 300))) };
    expect((await udpAttempt(udp(silent), attemptContext(fast))).kind).toBe('up');
    expect((await udpAttempt(udp(closedPort), attemptContext(fast))).kind).toBe('down');
  });
});

describe('PING_CHECK', () => {
  const ping = (ip: string): PingCheck => ({ ...tcpCheck(0), type: 'PING_CHECK', connectIp: ip });
  itAsRoot('gets an echo reply from 127.0.0.1 (needs root for the raw socket)', async () => {
    expect((await pingAttempt(ping('127.0.0.1'), attemptContext())).kind).toBe('up');
  });
  itAsRoot('fails when no reply comes before the deadline', async () => {
    // 127.0.0.1 replies, but the deadline has already passed.
    expect((await pingAttempt(ping('127.0.0.1'), attemptContext({ signal: AbortSignal.abort() }))).kind).toBe(
      'down',
    );
  });
});

describe('FILE_CHECK', () => {
  const fc = (over: Partial<FileCheck> = {}): FileCheck => ({
    type: 'FILE_CHECK',
    trackFile: 'tf',
    weight: 0,
    weightReverse: false,
    dynamic: false,
    loc: { file: 't', line: 1 },
    ...over,
  });
  it('reads the integer: 0 is up, non-zero down with weight 0; with a weight it moves the weight', async () => {
    const path = join(dir, 'track');
    const io = { ...realIo, trackFilePath: (n: string) => (n === 'tf' ? path : null) };
    writeFileSync(path, '0\n');
    expect((await fileAttempt(fc(), attemptContext({ io }))).kind).toBe('up');
    writeFileSync(path, '3\n');
    expect((await fileAttempt(fc(), attemptContext({ io }))).kind).toBe('down');
    expect(await fileAttempt(fc({ weight: 2 }), attemptContext({ io, configuredWeight: 5 }))).toMatchObject({
      kind: 'up',
      weight: 11,
    });
    expect(
      await fileAttempt(fc({ weight: 2, weightReverse: true }), attemptContext({ io, configuredWeight: 10 })),
    ).toMatchObject({ kind: 'up', weight: 4 });
    expect(parseTrackFileValue('junk')).toEqual({ ok: true, value: 0 });
    expect((await fileAttempt(fc({ trackFile: 'nope' }), attemptContext({ io }))).kind).toBe('down');
  });
});
