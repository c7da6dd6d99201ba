import { describe, expect, it } from 'vitest';
import { parseTrackFileValue } from '../../../src/util/track-file.js';

const value = (text: string | null) => parseTrackFileValue(text);

describe('parseTrackFileValue (keepalived track_file.c: strtol(buf, NULL, 0))', () => {
  it('reads a leading integer after white space and ignores what follows', () => {
    expect(value('0\n')).toEqual({ ok: true, value: 0 });
    expect(value('  \t42\n')).toEqual({ ok: true, value: 42 });
    expect(value('-7 down')).toEqual({ ok: true, value: -7 });
    expect(value('12abc')).toEqual({ ok: true, value: 12 });
  });

  it('takes a leading plus sign (the VRRP copy read +5 as 5, the FILE_CHECK copy as 0)', () => {
    expect(value('+5\n')).toEqual({ ok: true, value: 5 });
  });

  it('reads 0x as hexadecimal and a leading 0 as octal, as base 0 does', () => {
    expect(value('0x1f')).toEqual({ ok: true, value: 31 });
    expect(value('-0X10')).toEqual({ ok: true, value: -16 });
    expect(value('010')).toEqual({ ok: true, value: 8 });
    expect(value('08')).toEqual({ ok: true, value: 0 }); // 8 is not an octal digit
    expect(value('0x')).toEqual({ ok: true, value: 0 }); // "0", then an ignored "x"
  });

  it('is 0 for no digits, an empty file and an unreadable one (null)', () => {
    expect(value('junk')).toEqual({ ok: true, value: 0 });
    expect(value('-')).toEqual({ ok: true, value: 0 });
    expect(value('')).toEqual({ ok: true, value: 0 });
    expect(value(null)).toEqual({ ok: true, value: 0 });
  });

  it('accepts [INT32_MIN, INT32_MAX + 1] and refuses anything beyond, with the number keepalived logs', () => {
    expect(value('-2147483648')).toEqual({ ok: true, value: -2147483648 });
    expect(value('2147483648')).toEqual({ ok: true, value: 2147483648 });
    expect(value('2147483649')).toEqual({ ok: false, error: '2147483649' });
    expect(value('-2147483649')).toEqual({ ok: false, error: '-2147483649' });
    // Beyond 64 bits strtol saturates (ERANGE): keepalived logs LONG_MAX / LONG_MIN.
    expect(value('99999999999999999999')).toEqual({ ok: false, error: '9223372036854775807' });
    expect(value('-99999999999999999999')).toEqual({ ok: false, error: '-9223372036854775808' });
  });

  it('reads only the first 127 bytes, and stops at a NUL', () => {
    expect(value(' '.repeat(127) + '5')).toEqual({ ok: true, value: 0 });
    expect(value(' '.repeat(126) + '5')).toEqual({ ok: true, value: 5 });
    expect(value('3\u00004')).toEqual({ ok: true, value: 3 });
  });
});
