import { beforeAll, describe, expect, it } from 'vitest';
import { ctime24, ctimeUs, microsField, secondsDotMicros } from '../../../src/util/ctime.js';

describe('C time formats of the dump files', () => {
  beforeAll(() => {
    process.env['TZ'] = 'UTC';
  });
  // keepalived 2.2.7 wrote `Last transition = 1796166295.199417 (Tue Dec  1 23:04:55.199417 2026)`.
  const at = 1796166295199.417;

  it('ctime_us_r: the microseconds after the seconds, a space-padded day', () => {
    expect(ctimeUs(at)).toBe('Tue Dec  1 23:04:55.199417 2026');
    expect(secondsDotMicros(at)).toBe('1796166295.199417');
  });

  it('ctime_r without its newline, and the microseconds alone', () => {
    expect(ctime24(at)).toBe('Tue Dec  1 23:04:55 2026');
    expect(microsField(at)).toBe('199417');
    expect(ctime24(0)).toBe('Thu Jan  1 00:00:00 1970');
    expect(secondsDotMicros(0)).toBe('0.000000');
    expect(ctimeUs(Date.UTC(2026, 9, 17, 8, 5, 9, 7))).toBe('Sat Oct 17 08:05:09.007000 2026');
  });
});
