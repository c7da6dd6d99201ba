// The control socket's protocol codec (docs/control.md): request decoding with its error replies,
// reply round trips, and the line framer's bound on request size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  errorReply,
  LineFramer,
  MAX_REQUEST_BYTES,
  okReply,
  type ControlRequest,
} from '../../../src/daemon/control-protocol.js';
import { checkProperty } from '../../support/property.js';

const decoded = (line: string) => {
  const d = decodeRequest(line);
  return d.ok ? d.request : d.reply;
};

describe('decodeRequest', () => {
  it('decodes each command with its arguments', () => {
    expect(decoded('{"v":1,"id":1,"cmd":"status"}')).toEqual({ id: 1, cmd: 'status' });
    expect(decoded('{"v":1,"cmd":"reload"}')).toEqual({ id: null, cmd: 'reload' });
    expect(
      decoded(
        '{"v":1,"id":"a","cmd":"rs.drain","args":{"vs":"10.0.0.1:80","rs":"[::1]:80","protocol":"udp"}}',
      ),
    ).toEqual({
      id: 'a',
      cmd: 'rs.drain',
      vs: '10.0.0.1:80',
      rs: '[::1]:80',
      protocol: 'UDP',
    });
    expect(decoded('{"v":1,"id":2,"cmd":"vrrp.standby","args":{"instance":"VI_1"}}')).toEqual({
      id: 2,
      cmd: 'vrrp.standby',
      instance: 'VI_1',
    });
    expect(decoded('{"v":1,"id":3,"cmd":"vrrp.resume"}')).toEqual({
      id: 3,
      cmd: 'vrrp.resume',
      instance: null,
    });
  });

  it.each([
    ['not json', 'bad-request', null],
    ['[1,2]', 'bad-request', null],
    ['{"v":1,"id":{"x":1},"cmd":"status"}', 'bad-request', null],
    ['{"v":1,"id":1.5,"cmd":"status"}', 'bad-request', null],
    [`{"v":1,"id":"${'x'.repeat(200)}","cmd":"status"}`, 'bad-request', null],
    ['{"id":4,"cmd":"status"}', 'unsupported-version', 4],
    ['{"v":2,"id":4,"cmd":"status"}', 'unsupported-version', 4],
    ['{"v":1,"id":5,"cmd":"rm -rf"}', 'unknown-command', 5],
    ['{"v":1,"id":5,"cmd":7}', 'bad-request', 5],
    ['{"v":1,"id":6,"cmd":"rs.drain","args":{"vs":"10.0.0.1:80"}}', 'bad-request', 6],
    ['{"v":1,"id":6,"cmd":"rs.drain","args":{"vs":"a","rs":"b","protocol":"icmp"}}', 'bad-request', 6],
    ['{"v":1,"id":7,"cmd":"vrrp.standby","args":{"instance":3}}', 'bad-request', 7],
    ['{"v":1,"id":7,"cmd":"status","args":[]}', 'bad-request', 7],
  ])('%s -> %s', (line, code, id) => {
    expect(decoded(line)).toMatchObject({ v: 1, id, ok: false, error: { code } });
  });
});

describe('replies', () => {
  it('round-trip through their line', () => {
    const r = okReply(9, { applied: true });
    expect(encodeReply(r).endsWith('\n')).toBe(true);
    expect(decodeReply(encodeReply(r).trimEnd())).toEqual({ ok: true, value: r });
    const e = errorReply('x', 'not-found', 'no such real server');
    expect(decodeReply(encodeReply(e).trimEnd())).toEqual({ ok: true, value: e });
    expect(decodeReply('{"v":1,"ok":false}').ok).toBe(false);
    expect(decodeReply('garbage').ok).toBe(false);
  });
});

describe('LineFramer', () => {
  it('cuts lines across chunks and strips a CR', () => {
    const f = new LineFramer();
    expect(f.push(Buffer.from('{"a":1}\r\n{"b"'))).toEqual({ lines: ['{"a":1}'], overflow: false });
    expect(f.push(Buffer.from(':2}\n\n'))).toEqual({ lines: ['{"b":2}', ''], overflow: false });
  });

  it('reports overflow as soon as a line exceeds the bound, without buffering the rest', () => {
    const f = new LineFramer(MAX_REQUEST_BYTES);
    expect(f.push(Buffer.alloc(MAX_REQUEST_BYTES, 0x61)).overflow).toBe(false);
    expect(f.push(Buffer.from('a')).overflow).toBe(true);
    expect(f.push(Buffer.from('\n{"v":1}\n'))).toEqual({ lines: [], overflow: true });
    const g = new LineFramer(8);
    expect(g.push(Buffer.from('12345678\n123456789\n'))).toEqual({ lines: ['12345678'], overflow: true });
  });
});

const request: fc.Arbitrary<ControlRequest> = fc.oneof(
  fc.record({
    id: fc.oneof(fc.constant(null), fc.string({ maxLength: 20 }), fc.integer()),
    cmd: fc.constantFrom('ping' as const, 'status' as const, 'reload' as const),
  }),
  fc.record({
    id: fc.oneof(fc.constant(null), fc.string({ maxLength: 20 }), fc.integer()),
    cmd: fc.constantFrom('rs.drain' as const, 'rs.enable' as const),
    vs: fc.string({ minLength: 1, maxLength: 40 }),
    rs: fc.string({ minLength: 1, maxLength: 40 }),
    protocol: fc.constantFrom(null, 'TCP' as const, 'UDP' as const, 'SCTP' as const),
  }),
  fc.record({
    id: fc.oneof(fc.constant(null), fc.string({ maxLength: 20 }), fc.integer()),
    cmd: fc.constantFrom('vrrp.standby' as const, 'vrrp.resume' as const),
    instance: fc.oneof(fc.constant(null), fc.string({ minLength: 1, maxLength: 20 })),
  }),
);

describe('properties', () => {
  it('requests survive encoding, any chunking of the stream and decoding', () => {
    checkProperty(
      'control-protocol-request-stream',
      [fc.array(request, { maxLength: 10 }), fc.array(fc.nat(200), { maxLength: 20 })],
      (requests, cuts) => {
        const stream = Buffer.from(requests.map(encodeRequest).join(''));
        const f = new LineFramer();
        const lines: string[] = [];
        let at = 0;
        for (const c of [...cuts, stream.length]) {
          const end = Math.min(stream.length, at + c);
          lines.push(...f.push(stream.subarray(at, end)).lines);
          at = end;
        }
        lines.push(...f.push(stream.subarray(at)).lines);
        expect(lines.map((l) => decodeRequest(l))).toEqual(requests.map((r) => ({ ok: true, request: r })));
      },
      { seed: 1001, numRuns: 300 },
    );
  });

  it('any line decodes to a request or to a version 1 error reply, never a throw', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc.record({ v: fc.anything(), id: fc.anything(), cmd: fc.anything(), args: fc.anything() }).map((o) => {
        try {
          return JSON.stringify(o) ?? '';
        } catch {
          return '';
        }
      }),
    );
    checkProperty(
      'control-protocol-any-line',
      [line],
      (text) => {
        const d = decodeRequest(text);
        if (!d.ok) {
          expect(d.reply).toMatchObject({ v: 1, ok: false });
          expect(JSON.parse(encodeReply(d.reply))).toEqual(d.reply);
        }
      },
      { seed: 1002, numRuns: 500 },
    );
  });
});
