import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpAttempt } from '../../../src/check/tcp.js';
import type { AttemptContext } from '../../../src/check/checker.js';
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
    const r = await tcpAttempt(tcpCheck(listener.port), { ...ctx(), signal: AbortSignal.abort() });
    expect(r).toMatchObject({ kind: 'down', reason: 'Timeout connecting' });
  });
});
