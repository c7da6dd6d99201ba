import { describe, expect, it } from 'vitest';
import {
  CONTROL_HEADER,
  checkControlRequest,
  hostOfHostHeader,
  httpStatusOf,
  parseRsBody,
  webReply,
  type RequestHeaders,
} from '../../../src/daemon/web-guard.js';

/** What the page sends from http://10.0.0.1:9100/. */
const PAGE: RequestHeaders = {
  host: '10.0.0.1:9100',
  origin: 'http://10.0.0.1:9100',
  'sec-fetch-site': 'same-origin',
  'content-type': 'application/json',
  [CONTROL_HEADER]: '1',
};

const without = (name: string): RequestHeaders =>
  Object.fromEntries(Object.entries(PAGE).filter(([k]) => k !== name));

describe('checkControlRequest', () => {
  it("serves the page's own request", () => {
    expect(checkControlRequest(PAGE)).toEqual({ ok: true });
    expect(checkControlRequest({ ...PAGE, 'content-type': 'application/json; charset=utf-8' })).toEqual({
      ok: true,
    });
    // A browser too old for Sec-Fetch-* still sends Origin.
    expect(checkControlRequest(without('sec-fetch-site'))).toEqual({ ok: true });
    expect(checkControlRequest({ ...PAGE, host: '[::1]:9100', origin: 'http://[::1]:9100' })).toEqual({
      ok: true,
    });
    expect(checkControlRequest({ ...PAGE, host: 'localhost:9100', origin: 'http://localhost:9100' })).toEqual(
      { ok: true },
    );
    expect(checkControlRequest({ ...PAGE, host: '10.0.0.1', origin: 'http://10.0.0.1' })).toEqual({
      ok: true,
    });
  });

  it('refuses what a cross-site form or fetch can send', () => {
    const refused: [string, RequestHeaders, number][] = [
      ['form content type', { ...PAGE, 'content-type': 'text/plain' }, 415],
      ['urlencoded', { ...PAGE, 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['json-ish', { ...PAGE, 'content-type': 'application/jsonp' }, 415],
      ['no content type', without('content-type'), 415],
      ['no custom header', without(CONTROL_HEADER), 403],
      ['custom header with another value', { ...PAGE, [CONTROL_HEADER]: 'yes' }, 403],
      ['wrong origin', { ...PAGE, origin: 'http://evil.example' }, 403],
      ['same host, other port', { ...PAGE, origin: 'http://10.0.0.1:8080' }, 403],
      ['https origin', { ...PAGE, origin: 'https://10.0.0.1:9100' }, 403],
      ['opaque origin', { ...PAGE, origin: 'null' }, 403],
      ['no origin', without('origin'), 403],
      ['cross-site', { ...PAGE, 'sec-fetch-site': 'cross-site' }, 403],
      ['same-site', { ...PAGE, 'sec-fetch-site': 'same-site' }, 403],
      ['user-initiated', { ...PAGE, 'sec-fetch-site': 'none' }, 403],
      ['no host', without('host'), 403],
      ['malformed host', { ...PAGE, host: 'a b' }, 403],
      // DNS rebinding: the attacker's name resolves to the director, origin and host agree.
      ['host by name', { ...PAGE, host: 'evil.example:9100', origin: 'http://evil.example:9100' }, 403],
      ['repeated origin', { ...PAGE, origin: ['http://10.0.0.1:9100', 'http://evil.example'] }, 403],
    ];
    for (const [what, headers, status] of refused) {
      const v = checkControlRequest(headers);
      expect({ what, ok: v.ok, status: v.ok ? 200 : v.status }).toEqual({ what, ok: false, status });
    }
  });
});

describe('hostOfHostHeader', () => {
  it('takes the host part', () => {
    expect(hostOfHostHeader('10.0.0.1:9100')).toBe('10.0.0.1');
    expect(hostOfHostHeader('[2001:DB8::1]:9100')).toBe('2001:db8::1');
    expect(hostOfHostHeader('LocalHost')).toBe('localhost');
    expect(hostOfHostHeader('a:b:c')).toBeNull();
    expect(hostOfHostHeader('user@host')).toBeNull();
    expect(hostOfHostHeader('')).toBeNull();
  });
});

describe('parseRsBody', () => {
  it('takes vs, rs and an optional protocol', () => {
    expect(parseRsBody('{"vs":"10.0.0.1:80","rs":"10.0.1.2:80"}')).toEqual({
      ok: true,
      target: { vs: '10.0.0.1:80', rs: '10.0.1.2:80', protocol: null },
    });
    expect(parseRsBody(Buffer.from('{"vs":"fwmark:5","rs":"10.0.1.2:80","protocol":"UDP"}'))).toEqual({
      ok: true,
      target: { vs: 'fwmark:5', rs: '10.0.1.2:80', protocol: 'UDP' },
    });
    expect(parseRsBody('{"vs":"a","rs":"b","protocol":null}')).toMatchObject({ ok: true });
  });

  it('refuses anything else with a reason', () => {
    for (const body of [
      '',
      'not json',
      '[]',
      'null',
      '"x"',
      '{}',
      '{"vs":"a"}',
      '{"vs":"","rs":"b"}',
      '{"vs":1,"rs":"b"}',
      `{"vs":"${'a'.repeat(257)}","rs":"b"}`,
      '{"vs":"a","rs":"b","protocol":"tcp"}',
      '{"vs":"a","rs":"b","cmd":"reload"}',
    ]) {
      const v = parseRsBody(body);
      expect({ body, ok: v.ok }).toEqual({ body, ok: false });
      if (!v.ok) expect(v.message).not.toBe('');
    }
  });
});

describe('webReply', () => {
  it('drops the protocol envelope and maps error codes to HTTP statuses', () => {
    expect(webReply({ v: 1, id: 'x', ok: true, result: { drained: true } })).toEqual({
      status: 200,
      body: { ok: true, result: { drained: true } },
    });
    expect(webReply({ v: 1, id: null, ok: false, error: { code: 'not-found', message: 'no rs' } })).toEqual({
      status: 404,
      body: { ok: false, error: { code: 'not-found', message: 'no rs' } },
    });
    expect(httpStatusOf('ambiguous')).toBe(409);
    expect(httpStatusOf('bad-request')).toBe(400);
    expect(httpStatusOf('unavailable')).toBe(503);
    expect(httpStatusOf('internal')).toBe(500);
  });
});
