/**
 * Fuzz: the control-socket protocol (src/daemon/control-protocol.ts), the bytes any local
 * client may send. Inputs: byte streams cut into random chunks (newlines, CRLF, UTF-8 split
 * across chunks, overlong lines), JSON requests built from the command set with wrong types and
 * extra fields, and raw text. Properties: LineFramer never throws, never holds more than its
 * limit, and yields exactly the lines of the stream (or an overflow); decodeRequest never throws
 * and answers every line with a request or an error reply that encodes to one JSON line;
 * decodeRequest(encodeRequest(r)) = r for every valid request.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CONTROL_COMMANDS,
  LineFramer,
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  type ControlRequest,
} from '../../src/daemon/control-protocol.js';
import { fuzz } from './support.js';

const LIMIT = 256;

const anyJson = fc.jsonValue({ maxDepth: 3 });
const requestObject = fc.record(
  {
    v: fc.oneof(fc.constant(1), anyJson),
    id: fc.oneof(fc.nat(), fc.string({ maxLength: 80 }), fc.constant(null), anyJson, fc.double()),
    cmd: fc.oneof(fc.constantFrom(...CONTROL_COMMANDS), fc.string({ maxLength: 10 }), anyJson),
    args: fc.oneof(
      fc.record(
        {
          vs: fc.oneof(fc.constantFrom('VS_1', '192.0.2.1:80', ''), anyJson),
          rs: fc.oneof(fc.constantFrom('10.0.0.1:80', ''), anyJson),
          protocol: fc.oneof(fc.constantFrom('TCP', 'udp', 'Sctp', 'ICMP', null), anyJson),
          instance: fc.oneof(fc.constantFrom('VI_1', ''), anyJson),
        },
        { requiredKeys: [] },
      ),
      anyJson,
    ),
    extra: anyJson,
  },
  { requiredKeys: [] },
);
const line = fc.oneof(
  requestObject.map((o) => JSON.stringify(o)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '',
    '{',
    '{"v":1',
    'null',
    '[]',
    '"x"',
    '{"__proto__":{"v":1}}',
    '{"v":1,"cmd":"constructor"}',
  ),
);

const validRequest: fc.Arbitrary<ControlRequest> = fc.oneof(
  fc.record({
    id: fc.oneof(fc.constant(null), fc.nat(), fc.string({ maxLength: 64 })),
    cmd: fc.constantFrom('ping' as const, 'status' as const, 'reload' as const),
  }),
  fc.record({
    id: fc.oneof(fc.constant(null), fc.integer()),
    cmd: fc.constantFrom('rs.drain' as const, 'rs.enable' as const),
    vs: fc.string({ minLength: 1, maxLength: 40 }),
    rs: fc.string({ minLength: 1, maxLength: 40 }),
    protocol: fc.constantFrom(null, 'TCP' as const, 'UDP' as const, 'SCTP' as const),
  }),
  fc.record({
    id: fc.oneof(fc.constant(null), fc.nat()),
    cmd: fc.constantFrom('vrrp.standby' as const, 'vrrp.resume' as const),
    instance: fc.oneof(fc.constant(null), fc.string({ minLength: 1, maxLength: 40 })),
  }),
);

/** A byte stream of lines (some overlong, CRLF or bare) and where to cut it into chunks. */
const stream = fc
  .tuple(
    fc.array(fc.oneof(line, fc.string({ unit: 'grapheme', minLength: LIMIT - 2, maxLength: LIMIT + 4 })), {
      maxLength: 8,
    }),
    fc.array(fc.constantFrom('\n', '\r\n'), { minLength: 8, maxLength: 8 }),
    fc.boolean(),
    fc.array(fc.nat(), { maxLength: 12 }),
  )
  .map(([lines, ends, trailing, cuts]) => {
    const text = lines
      .map((l, i) => l.replace(/\n/g, ' ') + (i < lines.length - 1 || trailing ? ends[i] : ''))
      .join('');
    const bytes = Buffer.from(text, 'utf8');
    const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort(
      (a, b) => a - b,
    );
    const chunks: Buffer[] = [];
    let prev = 0;
    for (const c of [...at, bytes.length]) {
      chunks.push(bytes.subarray(prev, c));
      prev = c;
    }
    return { bytes, chunks };
  });

describe('fuzz: control-socket protocol', () => {
  it('LineFramer over chunked streams', () => {
    fuzz(
      'fuzz-control-line-framer',
      [stream],
      ({ bytes, chunks }) => {
        const framer = new LineFramer(LIMIT);
        const got: string[] = [];
        let overflow = false;
        for (const c of chunks) {
          const r = framer.push(c);
          got.push(...r.lines);
          for (const l of r.lines)
            expect(Buffer.byteLength(l.replace(/\uFFFD/g, '?'))).toBeLessThanOrEqual(LIMIT);
          if (r.overflow) overflow = true;
        }
        // Without an overflow the framer's lines are the stream's complete lines, in order.
        const parts = bytes.toString('utf8').split('\n');
        parts.pop();
        const expected = parts.map((p) => (p.endsWith('\r') ? p.slice(0, -1) : p));
        if (!overflow) expect(got).toEqual(expected);
        else expect(expected.slice(0, got.length)).toEqual(got);
        for (const l of got) {
          const d = decodeRequest(l);
          if (!d.ok) expect(decodeReply(encodeReply(d.reply).trimEnd()).ok).toBe(true);
        }
      },
      { runs: 15_000, seed: 0x50c1 },
    );
  });

  it('decodeRequest on request-shaped and random lines', () => {
    fuzz(
      'fuzz-control-decode-request',
      [line],
      (l) => {
        const d = decodeRequest(l);
        if (d.ok) {
          expect(CONTROL_COMMANDS).toContain(d.request.cmd);
          expect(decodeRequest(encodeRequest(d.request).trimEnd())).toEqual(d);
        } else {
          const text = encodeReply(d.reply);
          expect(text.indexOf('\n')).toBe(text.length - 1);
          expect(text.length).toBeLessThan(1024);
          expect(decodeReply(text.trimEnd())).toEqual({ ok: true, value: d.reply });
        }
      },
      { runs: 40_000, seed: 0x50c2 },
    );
  });

  it('decodeRequest(encodeRequest(r)) = r', () => {
    fuzz(
      'fuzz-control-round-trip',
      [validRequest],
      (r) => {
        expect(decodeRequest(encodeRequest(r).trimEnd())).toEqual({ ok: true, request: r });
      },
      { runs: 50_000, seed: 0x50c3 },
    );
  });
});
