// PING_CHECK through a fake ICMP socket: echo bytes, the shared socket's demultiplexing of replies
// and every way an echo ends, without root. The real raw socket is exercised by others.test.ts (root tier).
import { describe, expect, it } from 'vitest';
import type { IcmpSocket } from '../../../src/check/checker.js';
import { CancelToken } from '../../../src/check/checker.js';
import { buildEcho, IcmpEchoDemux, pingAttempt } from '../../../src/check/ping.js';
import type { PingCheck } from '../../../src/config/model.js';
import { internetChecksum } from '../../../src/util/checksum.js';
import { tcpCheck } from './support/config.js';
import { attemptContext, realIo } from './support/context.js';

const ping = (ip: string): PingCheck => ({ ...tcpCheck(0), type: 'PING_CHECK', connectIp: ip });

/** An ICMP socket that records what is sent; the test plays the network. */
class FakeIcmpSocket implements IcmpSocket {
  readonly sent: { message: Buffer; address: string }[] = [];
  closed = false;
  sendError: Error | null = null;
  private messageListener: ((m: Buffer, source: string) => void) | null = null;
  private errorListener: ((e: Error) => void) | null = null;

  send(message: Buffer, address: string): Promise<void> {
    this.sent.push({ message: Buffer.from(message), address });
    return this.sendError === null ? Promise.resolve() : Promise.reject(this.sendError);
  }
  onMessage(fn: (m: Buffer, source: string) => void): void {
    this.messageListener = fn;
  }
  onError(fn: (e: Error) => void): void {
    this.errorListener = fn;
  }
  close(): void {
    this.closed = true;
  }
  deliver(message: Buffer, source: string): void {
    this.messageListener?.(message, source);
  }
  fail(e: Error): void {
    this.errorListener?.(e);
  }
  /** The echo reply the target would send to our request `i` (default the last). */
  replyTo(v6: boolean, change: (b: Buffer) => void = () => {}, i = this.sent.length - 1): Buffer {
    const reply = Buffer.from(this.sent[i]!.message);
    reply[0] = v6 ? 129 : 0;
    change(reply);
    return reply;
  }
}

describe('buildEcho', () => {
  it('is an RFC 792 echo request with its checksum', () => {
    const b = buildEcho(false, 0x1234, 7);
    expect(b.toString('hex')).toBe(
      [
        '08', // type 8 echo request
        '00', // code
        b.subarray(2, 4).toString('hex'), // checksum, verified below
        '1234', // identifier
        '0007', // sequence
        Buffer.from('keepalived-ts\0\0\0', 'latin1').subarray(0, 8).toString('hex'), // data
      ].join(''),
    );
    expect(internetChecksum(b)).toBe(0);
  });
  it('leaves the checksum to the kernel for ICMPv6 (type 128)', () => {
    const b = buildEcho(true, 1, 2);
    expect(b[0]).toBe(128);
    expect(b.readUInt16BE(2)).toBe(0);
  });
});

/** A demux over fakes, one per family, recording which families were opened. */
function demux(id = 0x4242) {
  const fakes = new Map<string, FakeIcmpSocket>();
  const opened: string[] = [];
  const d = new IcmpEchoDemux((family) => {
    opened.push(family);
    const f = new FakeIcmpSocket();
    fakes.set(family, f);
    return f;
  }, id);
  return { d, opened, fake: (family: string) => fakes.get(family)! };
}

describe('IcmpEchoDemux', () => {
  it('sends every echo of a family on one socket, with one identifier and distinct sequences', async () => {
    const { d, opened, fake } = demux();
    const cancels = [new CancelToken(), new CancelToken(), new CancelToken(), new CancelToken()];
    const echoes = [
      d.echo('192.0.2.1', cancels[0]!),
      d.echo('192.0.2.2', cancels[1]!),
      d.echo('192.0.2.3', cancels[2]!),
      d.echo('2001:db8::1', cancels[3]!),
    ];
    expect(opened).toEqual(['inet', 'inet6']);
    expect(d.openSockets).toBe(2);
    const v4 = fake('inet');
    expect(v4.sent.map((s) => s.address)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(new Set(v4.sent.map((s) => s.message.readUInt16BE(4)))).toEqual(new Set([0x4242]));
    expect(new Set(v4.sent.map((s) => s.message.readUInt16BE(6))).size).toBe(3);
    // Replies out of order each reach their own echo.
    v4.deliver(v4.replyTo(false, undefined, 2), '192.0.2.3');
    v4.deliver(v4.replyTo(false, undefined, 0), '192.0.2.1');
    fake('inet6').deliver(fake('inet6').replyTo(true), '2001:db8::1');
    expect((await echoes[0]!).kind).toBe('up');
    expect((await echoes[2]!).kind).toBe('up');
    expect((await echoes[3]!).kind).toBe('up');
    expect(d.inFlight).toBe(1);
    cancels[1]!.cancel();
    expect(await echoes[1]!).toMatchObject({ kind: 'down', reason: 'timeout' });
    // Later echoes reuse the sockets.
    const again = d.echo('192.0.2.1', new CancelToken());
    v4.deliver(v4.replyTo(false), '192.0.2.1');
    expect((await again).kind).toBe('up');
    expect(opened).toEqual(['inet', 'inet6']);
  });

  it("credits no echo with another's reply: wrong source, identifier or sequence, late, short, requests", async () => {
    const { d, fake } = demux();
    const first = new CancelToken();
    const late = d.echo('192.0.2.9', first);
    first.cancel();
    expect(await late).toMatchObject({ kind: 'down', reason: 'timeout' });
    const v4 = fake('inet');
    const lateReply = v4.replyTo(false, undefined, 0);
    const other = new CancelToken();
    const pending = d.echo('192.0.2.9', other);
    const sibling = d.echo('192.0.2.10', new CancelToken());
    // The reply to the timed-out echo, then one for the pending echo's sequence from the other
    // server, another identifier, another sequence, a short message and an echo request.
    v4.deliver(lateReply, '192.0.2.9');
    v4.deliver(v4.replyTo(false, undefined, 1), '192.0.2.10');
    v4.deliver(
      v4.replyTo(false, (b) => b.writeUInt16BE(0x4243, 4), 1),
      '192.0.2.9',
    );
    v4.deliver(
      v4.replyTo(false, (b) => b.writeUInt16BE((b.readUInt16BE(6) + 7) & 0xffff, 6), 1),
      '192.0.2.9',
    );
    v4.deliver(v4.replyTo(false, undefined, 1).subarray(0, 7), '192.0.2.9');
    v4.deliver(v4.sent[1]!.message, '192.0.2.9');
    expect(d.inFlight).toBe(2);
    other.cancel();
    expect(await pending).toMatchObject({ kind: 'down', reason: 'timeout' });
    v4.deliver(v4.replyTo(false, undefined, 2), '192.0.2.10');
    expect((await sibling).kind).toBe('up');
  });

  it('skips a sequence still in flight when the counter wraps', async () => {
    const { d, fake } = demux();
    const held = d.echo('192.0.2.1', new CancelToken()); // sequence 1, never answered
    for (let i = 0; i < 0xffff; i++) {
      const t = new CancelToken();
      const e = d.echo('192.0.2.2', t);
      t.cancel();
      await e;
    }
    const next = d.echo('192.0.2.2', new CancelToken());
    const v4 = fake('inet');
    expect(v4.sent.at(-1)!.message.readUInt16BE(6)).toBe(2);
    v4.deliver(v4.replyTo(false, undefined, 0), '192.0.2.1');
    expect((await held).kind).toBe('up');
    v4.deliver(v4.replyTo(false), '192.0.2.2');
    expect((await next).kind).toBe('up');
  });

  it('a socket that cannot be opened fails the echo and is tried again next time', async () => {
    let refuse = true;
    const opened: string[] = [];
    const fake = new FakeIcmpSocket();
    const d = new IcmpEchoDemux((family) => {
      opened.push(family);
      if (refuse) throw new Error('Operation not permitted');
      return fake;
    });
    expect(await d.echo('192.0.2.9', new CancelToken())).toEqual({
      kind: 'down',
      reason: 'connect fail to create socket',
      detail: 'Operation not permitted',
    });
    refuse = false;
    const e = d.echo('192.0.2.9', new CancelToken());
    fake.deliver(fake.replyTo(false), '192.0.2.9');
    expect((await e).kind).toBe('up');
    expect(opened).toEqual(['inet', 'inet']);
  });

  it('a send error fails that echo; a socket error fails those in flight and the socket is made again', async () => {
    const { d, opened, fake } = demux();
    const first = d.echo('192.0.2.1', new CancelToken());
    fake('inet').sendError = new Error('Network is unreachable');
    expect(await d.echo('192.0.2.2', new CancelToken())).toEqual({
      kind: 'down',
      reason: 'send ICMP packet fail',
      detail: 'Network is unreachable',
    });
    const broken = fake('inet');
    broken.sendError = null;
    const second = d.echo('192.0.2.3', new CancelToken());
    broken.fail(new Error('boom'));
    expect(await first).toEqual({ kind: 'down', reason: 'failed', detail: 'boom' });
    expect(await second).toEqual({ kind: 'down', reason: 'failed', detail: 'boom' });
    expect(broken.closed).toBe(true);
    const third = d.echo('192.0.2.1', new CancelToken());
    expect(opened).toEqual(['inet', 'inet']);
    fake('inet').deliver(fake('inet').replyTo(false), '192.0.2.1');
    expect((await third).kind).toBe('up');
    d.close();
    expect(fake('inet').closed).toBe(true);
    expect(d.openSockets).toBe(0);
  });

  it('an echo already past its deadline sends nothing', async () => {
    const { d, opened } = demux();
    const t = new CancelToken();
    t.cancel();
    expect(await d.echo('192.0.2.9', t)).toMatchObject({ kind: 'down', reason: 'timeout' });
    expect(opened).toEqual([]);
  });
});

describe('pingAttempt', () => {
  it("echoes the checker's connect_ip through the pool's demux", async () => {
    const { d, fake } = demux();
    const ctx = attemptContext({ io: { ...realIo, icmpEcho: d } });
    const r = pingAttempt(ping('192.0.2.9'), ctx);
    expect(fake('inet').sent.map((s) => s.address)).toEqual(['192.0.2.9']);
    fake('inet').deliver(fake('inet').replyTo(false), '192.0.2.9');
    expect((await r).kind).toBe('up');
  });
});
