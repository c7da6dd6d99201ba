import fc from 'fast-check';
import { checkProperty } from '../../support/property.js';
import { describe, expect, it } from 'vitest';
import { internetChecksum } from '../../../src/util/checksum.js';

describe('internetChecksum (RFC 1071)', () => {
  it('matches the worked example of RFC 1071 section 3 (sum ddf2, checksum 220d)', () => {
    expect(internetChecksum(Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]))).toBe(0x220d);
  });

  it('pads an odd length with a zero byte', () => {
    expect(internetChecksum(Uint8Array.of(0x01))).toBe(0xfeff);
    expect(internetChecksum(Uint8Array.of(0x12, 0x34, 0x56))).toBe(
      internetChecksum(Uint8Array.of(0x12, 0x34, 0x56, 0)),
    );
  });

  it('of nothing (or of zeros) is 0xffff', () => {
    expect(internetChecksum(new Uint8Array(0))).toBe(0xffff);
    expect(internetChecksum(new Uint8Array(6))).toBe(0xffff);
  });

  it('is 0 over any even-length message that carries its own checksum', () => {
    checkProperty(
      'checksum-self-check-is-zero',
      [fc.uint8Array({ minLength: 2, maxLength: 64 })],
      (bytes) => {
        const b = Buffer.from(bytes.length % 2 === 0 ? bytes : [...bytes, 0]);
        b.writeUInt16BE(0, 0);
        b.writeUInt16BE(internetChecksum(b), 0);
        expect(internetChecksum(b)).toBe(0);
      },
    );
  });
});
