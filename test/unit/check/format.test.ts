import { describe, expect, it } from 'vitest';
import { down, up } from '../../../src/check/checker.js';
import { checkerLogLines, formatChecker, type CheckerLogInput } from '../../../src/check/format.js';
import { formatRs, formatVs } from '../../../src/config/virtual-server-format.js';
import type { Checker } from '../../../src/config/model.js';
import { httpCheck, miscCheck, realServer, tcpCheck, virtualServer } from './support/config.js';

const vs = virtualServer('10.1.1.166', 80, []);
const rs = realServer('10.1.1.163', 80, []);

function lines(checker: Checker, over: Partial<CheckerLogInput>): string[] {
  return checkerLogLines({
    checker,
    target: formatChecker(checker, rs, vs),
    vsName: formatVs(vs),
    result: up(),
    log: null,
    cameUp: false,
    retryIt: 0,
    logAllFailures: false,
    ...over,
  });
}

describe('keepalived service names', () => {
  it('formats address, fwmark, group and IPv6 services', () => {
    expect(formatVs(vs)).toBe('[10.1.1.166]:tcp:80');
    expect(formatRs(rs, vs)).toBe('[10.1.1.163]:tcp:80');
    expect(formatVs({ ...vs, fwmark: 10, address: null, port: null })).toBe('FWM 10');
    expect(formatVs({ ...vs, group: 'G1', address: null })).toBe('[G1]:80');
    expect(formatVs(virtualServer('2001:db8::1', 443, [], { protocol: 'UDP' }))).toBe(
      '[2001:db8::1]:udp:443',
    );
  });
  it('names a checker by connect_ip/connect_port, MISC_CHECK by its real server', () => {
    expect(formatChecker(tcpCheck(8080, { connectIp: '10.1.1.200' }), rs, vs)).toBe('[10.1.1.200]:tcp:8080');
    expect(formatChecker(miscCheck(['/bin/true']), rs, vs)).toBe('[10.1.1.163]:tcp:80');
  });
});

describe('checker log lines (keepalived wording)', () => {
  const tcp = tcpCheck(80, { connectIp: '10.1.1.163', retry: 3 });
  it('TCP_CHECK', () => {
    expect(lines(tcp, { log: { kind: 'success' } })).toEqual([
      'TCP connection to [10.1.1.163]:tcp:80 success.',
    ]);
    expect(
      lines(tcp, { result: down('Error connecting'), log: { kind: 'failed', afterRetries: 3 } }),
    ).toEqual(['TCP_CHECK on service [10.1.1.163]:tcp:80 failed after 3 retries.']);
    expect(
      lines(tcp, { result: down('Error connecting'), log: { kind: 'failed', afterRetries: null } }),
    ).toEqual(['TCP_CHECK on service [10.1.1.163]:tcp:80 failed.']);
    // Per-attempt failures only with log_all_failures.
    expect(lines(tcp, { result: down('Timeout connecting'), log: { kind: 'attempt-failed' } })).toEqual([]);
    expect(
      lines(tcp, {
        result: down('Timeout connecting'),
        log: { kind: 'attempt-failed' },
        logAllFailures: true,
      }),
    ).toEqual(['TCP connection to [10.1.1.163]:tcp:80 timeout.']);
  });
  it('HTTP_GET and SSL_GET', () => {
    const http = httpCheck(80, { connectIp: '10.1.1.163' });
    expect(
      lines(http, {
        result: up(['HTTP status code success to [10.1.1.163]:tcp:80 url(/)']),
        log: { kind: 'success' },
        cameUp: true,
      }),
    ).toEqual([
      'HTTP status code success to [10.1.1.163]:tcp:80 url(/)',
      'Remote Web server [10.1.1.163]:tcp:80 succeed on service.',
    ]);
    expect(
      lines(
        { ...http, type: 'SSL_GET' },
        { result: down('Timeout connecting'), log: { kind: 'failed', afterRetries: 1 } },
      ),
    ).toEqual(['SSL_CHECK on service [10.1.1.163]:tcp:80 failed after 1 retries.']);
    expect(
      lines(http, {
        result: down('HTTP status code error to', 'url(/)'),
        log: { kind: 'attempt-failed' },
        logAllFailures: true,
      }),
    ).toEqual(['HTTP status code error to server [10.1.1.163]:tcp:80.']);
  });
  it('MISC_CHECK', () => {
    const misc = miscCheck(['/usr/local/bin/check', 'x'], { retry: 2 });
    const head = 'Misc check for [[10.1.1.163]:tcp:80 VS [10.1.1.166]:tcp:80] by [/usr/local/bin/check]';
    expect(lines(misc, { log: { kind: 'success' } })).toEqual([`${head} succeeded.`]);
    expect(
      lines(misc, {
        result: down('failed', '(exited with status 1)'),
        log: { kind: 'failed', afterRetries: 2 },
      }),
    ).toEqual([`${head} failed after 2 retries (exited with status 1).`]);
    expect(
      lines(miscCheck(['/usr/local/bin/check']), {
        result: down('timed out'),
        log: { kind: 'failed', afterRetries: null },
      }),
    ).toEqual([`${head} timed out with retry disabled.`]);
  });
});
