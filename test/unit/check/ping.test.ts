// PING_CHECK through a fake ICMP socket: echo bytes, reply matching and every way an attempt ends,
// without root. The real raw socket is exercised by others.test.ts (root tier).
import { describe, expect, it } from 'vitest';
import type { IcmpSocket } from '../../../src/check/checker.js';
import { buildEcho, pingAttempt } from '../../../src/check/ping.js';
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
  /** The echo reply the target would send to our last request. */
  replyTo(v6: boolean, change: (b: Buffer) => void = () => {}): Buffer {
    const reply = Buffer.from(this.sent.at(-1)!.message);
    reply[0] = v6 ? 129 : 0;
    change(reply);
    return reply;
  }
}

function withFake(fake: FakeIcmpSocket, families: string[] = [], signal?: AbortSignal) {
  return attemptContext({
    io: {
      ...realIo,
      openIcmpSocket: (family) => {
        families.push(family);
        return fake;
      },
    },
    ...(signal ? { signal } : {}),
  });
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

describe('pingAttempt', () => {
  it('opens a socket of the target family, sends one echo and is up on the matching reply', async () => {
    const fake = new FakeIcmpSocket();
    const families: string[] = [];
    const result = pingAttempt(ping('192.0.2.9'), withFake(fake, families));
    expect(families).toEqual(['inet']);
    expect(fake.sent.map((s) => s.address)).toEqual(['192.0.2.9']);
    fake.deliver(fake.replyTo(false), '192.0.2.9');
    expect((await result).kind).toBe('up');
    expect(fake.closed).toBe(true);
  });

  it('ignores replies from another source, with another id or sequence, short ones and requests', async () => {
    const fake = new FakeIcmpSocket();
    const controller = new AbortController();
    const result = pingAttempt(ping('192.0.2.9'), withFake(fake, [], controller.signal));
    fake.deliver(fake.replyTo(false), '192.0.2.10');
    fake.deliver(
      fake.replyTo(false, (b) => b.writeUInt16BE((b.readUInt16BE(4) + 1) & 0xffff, 4)),
      '192.0.2.9',
    );
    fake.deliver(
      fake.replyTo(false, (b) => b.writeUInt16BE((b.readUInt16BE(6) + 1) & 0xffff, 6)),
      '192.0.2.9',
    );
    fake.deliver(fake.replyTo(false).subarray(0, 7), '192.0.2.9');
    fake.deliver(fake.sent[0]!.message, '192.0.2.9');
    controller.abort();
    expect(await result).toMatchObject({ kind: 'down', reason: 'timeout' });
  });

  it('matches an ICMPv6 echo reply (type 129) on an inet6 socket', async () => {
    const fake = new FakeIcmpSocket();
    const families: string[] = [];
    const result = pingAttempt(ping('2001:db8::9'), withFake(fake, families));
    fake.deliver(fake.replyTo(false), '2001:db8::9'); // type 0 is not a v6 reply
    fake.deliver(fake.replyTo(true), '2001:db8::9');
    expect((await result).kind).toBe('up');
    expect(families).toEqual(['inet6']);
  });

  it('is down when the socket cannot be opened, the send fails or the socket errors', async () => {
    const cannot = attemptContext({
      io: {
        ...realIo,
        openIcmpSocket: () => {
          throw new Error('Operation not permitted');
        },
      },
    });
    expect(await pingAttempt(ping('192.0.2.9'), cannot)).toEqual({
      kind: 'down',
      reason: 'connect fail to create socket',
      detail: 'Operation not permitted',
    });

    const refused = new FakeIcmpSocket();
    refused.sendError = new Error('Network is unreachable');
    expect(await pingAttempt(ping('192.0.2.9'), withFake(refused))).toEqual({
      kind: 'down',
      reason: 'send ICMP packet fail',
      detail: 'Network is unreachable',
    });
    expect(refused.closed).toBe(true);

    const broken = new FakeIcmpSocket();
    const result = pingAttempt(ping('192.0.2.9'), withFake(broken));
    broken.fail(new Error('boom'));
    expect(await result).toEqual({ kind: 'down', reason: 'failed', detail: 'boom' });
  });

  it('is down at once, and sends nothing, when the deadline has already passed', async () => {
    const fake = new FakeIcmpSocket();
    expect(await pingAttempt(ping('192.0.2.9'), withFake(fake, [], AbortSignal.abort()))).toMatchObject({
      kind: 'down',
      reason: 'timeout',
    });
    expect(fake.sent).toEqual([]);
    expect(fake.closed).toBe(true);
  });
});
