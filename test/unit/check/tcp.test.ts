import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeTcp, tcpAttempt } from '../../../src/check/tcp.js';
import { cancellationFromSignal, type AttemptContext } from '../../../src/check/checker.js';
import { tcpCheck } from './support/config.js';
import { attemptContext } from './support/context.js';
import { refusedPort, tcpServer, type Listening } from './support/servers.js';

function ctx(timeoutMs = 1000): AttemptContext {
  return attemptContext({}, timeoutMs);
}

let listener: Listening;
beforeAll(async () => {
  listener = await tcpServer((s) => s.end());
});
afterAll(() => listener.close());

describe('TCP_CHECK attempt', () => {
  it('succeeds against a listening port', async () => {
    expect(await tcpAttempt(tcpCheck(listener.port), ctx())).toMatchObject({ kind: 'up' });
  });
  it('fails against a refusing port', async () => {
    expect(await tcpAttempt(tcpCheck(await refusedPort()), ctx())).toMatchObject({
      kind: 'down',
      reason: 'Error connecting',
      detail: 'ECONNREFUSED',
    });
  });
  it('honours bindto', async () => {
    const r = await tcpAttempt(tcpCheck(listener.port, { bindTo: '127.0.0.2' }), ctx());
    expect(r.kind).toBe('up');
  });
  it('ends with a timeout when the signal fires before the handshake completes', async () => {
    const r = await tcpAttempt(tcpCheck(listener.port), attemptContext({ signal: AbortSignal.abort() }));
    expect(r).toMatchObject({ kind: 'down', reason: 'Timeout connecting' });
  });
});

describe('TCP_CHECK probe (net.Socket)', () => {
  it('ends an established probe with RST (no TIME_WAIT), reports refusals and honours bindto', async () => {
    let sawReset = false;
    const l = await tcpServer((s) => {
      s.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ECONNRESET') sawReset = true;
      });
      s.resume();
    });
    const cancel = (): ReturnType<typeof cancellationFromSignal> =>
      cancellationFromSignal(AbortSignal.timeout(1000));
    expect(await probeTcp({ host: '127.0.0.1', port: l.port }, cancel())).toEqual({ ok: true });
    const refused = await probeTcp({ host: '127.0.0.1', port: await refusedPort() }, cancel());
    expect(refused).toEqual({ ok: false, reason: 'Error connecting', detail: 'ECONNREFUSED' });
    const bound = await probeTcp({ host: '127.0.0.1', port: l.port, localAddress: '127.0.0.3' }, cancel());
    expect(bound).toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(sawReset).toBe(true);
    await l.close();
  });
  it('ends with a timeout when cancelled before the handshake completes', async () => {
    // The connect's outcome arrives on a later loop turn; the cancellation comes first.
    const controller = new AbortController();
    const p = probeTcp(
      { host: '127.0.0.1', port: await refusedPort() },
      cancellationFromSignal(controller.signal),
    );
    controller.abort();
    expect(await p).toEqual({ ok: false, reason: 'Timeout connecting', detail: '' });
  });
});
