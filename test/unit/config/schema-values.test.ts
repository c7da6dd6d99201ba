import { describe, expect, it } from 'vitest';
import { DiagnosticList } from '../../../src/config/keywords/types.js';
import {
  parseAddressValue,
  parseIntValue,
  parseTimerValue,
  parseUnsignedValue,
} from '../../../src/config/keywords/values.js';

const loc = { file: 'f', line: 1 };

describe('value parsers', () => {
  it('addresses: dotted quads, prefixes, IPv6, rejects', () => {
    const sink = new DiagnosticList();
    const a = (t: string, prefix = true) => parseAddressValue(t, 'x', sink, loc, prefix);
    expect(a('192.0.2.1')).toEqual({ address: '192.0.2.1', family: 'inet', prefixLength: null });
    expect(a('255.255.255.255/32')).toEqual({ address: '255.255.255.255', family: 'inet', prefixLength: 32 });
    expect(a('0.0.0.0/0')).toEqual({ address: '0.0.0.0', family: 'inet', prefixLength: 0 });
    expect(a('2001:DB8::1/64')).toEqual({ address: '2001:db8::1', family: 'inet6', prefixLength: 64 });
    for (const bad of ['256.0.0.1', '1.2.3.4/33', '1.2.3', '1.2.3.4.5', 'abc', '1.2.3.4/', ''])
      expect(a(bad)).toBeUndefined();
    expect(a('192.0.2.1/24', false)).toBeUndefined();
    expect(sink.items.every((d) => d.severity === 'error' && d.loc === loc)).toBe(true);
  });
  it("unsigned numbers in read_unsigned's words (lib/parser.c)", () => {
    const sink = new DiagnosticList();
    const u = (t: string) => parseUnsignedValue(t, 0, 4294, sink, loc);
    expect(u('4294')).toBe(4294);
    expect(u('+7')).toBe(7);
    expect(u('4295')).toBeUndefined();
    expect(u('-1')).toBeUndefined();
    expect(u('4294967296')).toBeUndefined();
    expect(u('1.5')).toBeUndefined();
    expect(sink.items.map((d) => d.message)).toEqual([
      "number '4295' outside range [0, 4294]",
      "negative number '-1'",
      "number '4294967296' outside unsigned integer range",
      "invalid number '1.5'",
    ]);
  });
  it('integers and timers with keepalived wording', () => {
    const sink = new DiagnosticList();
    expect(parseIntValue('42', 0, 100, sink, loc)).toBe(42);
    expect(parseIntValue('-3', -10, 10, sink, loc)).toBe(-3);
    expect(parseTimerValue('2.5', 0, 10, sink, loc)).toBe(2.5);
    expect(parseTimerValue('.25', 0, 10, sink, loc)).toBe(0.25);
    expect(parseIntValue('1.5', 0, 10, sink, loc)).toBeUndefined();
    expect(parseTimerValue('1.0000001', 0, 10, sink, loc)).toBeUndefined();
    expect(parseTimerValue('-1', 0, 10, sink, loc)).toBeUndefined();
    expect(parseTimerValue('1e3', 0, 10000, sink, loc)).toBeUndefined();
    expect(sink.items.map((d) => d.message)).toEqual([
      "invalid number '1.5'",
      "number '1.0000001' has too many decimal places",
      "negative number '-1'",
      "invalid number '1e3'",
    ]);
  });
});
