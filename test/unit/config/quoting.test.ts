import { describe, expect, it } from 'vitest';
import { parseScriptLine, splitQuoted } from '../../../src/config/quoting.js';

const words = (t: string, esc = true) => {
  const r = splitQuoted(t, esc);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('splitQuoted', () => {
  it('splits on unquoted whitespace, both quote kinds group', () => {
    expect(words(`a  "b c" 'd e'f`)).toEqual(['a', 'b c', 'd ef']);
    expect(words(`"abcd" efg`)).toEqual(['abcd', 'efg']);
    expect(words('')).toEqual([]);
    expect(words('   \t ')).toEqual([]);
  });
  it('decodes escapes', () => {
    expect(words('a\\tb')).toEqual(['a\tb']);
    expect(words('\\x41\\x4a')).toEqual(['AJ']);
    expect(words('\\101\\7')).toEqual(['A\x07']);
    expect(words('\\cA\\E')).toEqual(['\x01\x1b']);
    expect(words('"\\"q\\""')).toEqual(['"q"']);
    expect(words('a\\ b')).toEqual(['a b']);
  });
  it('keeps escapes as written without decoding', () => {
    expect(words('"a\\tb" c', false)).toEqual(['a\\tb', 'c']);
  });
  it('reports an unterminated quote instead of failing', () => {
    expect(splitQuoted('"/bin/true', true)).toEqual({
      ok: false,
      error: `String '"/bin/true': missing terminating "`,
    });
    expect(splitQuoted("x 'y", false).ok).toBe(false);
    expect(splitQuoted('abc\\', true)).toEqual({ ok: false, error: "Missing escape char at end: 'abc\\'" });
  });
});

describe('parseScriptLine', () => {
  it('takes COMMAND [USER [GROUP]]', () => {
    expect(parseScriptLine(`"/usr/local/bin/notify.sh MASTER 'VI 1'" nobody nogroup`)).toEqual({
      ok: true,
      value: {
        command: '/usr/local/bin/notify.sh MASTER VI 1',
        argv: ['/usr/local/bin/notify.sh', 'MASTER', 'VI 1'],
        user: 'nobody',
        group: 'nogroup',
      },
    });
    expect(parseScriptLine('/bin/true root:wheel')).toMatchObject({
      ok: true,
      value: { user: 'root', group: 'wheel' },
    });
  });
  it('ignores user words when the keyword takes none', () => {
    expect(parseScriptLine('"/bin/check x" root', false)).toMatchObject({
      ok: true,
      value: { argv: ['/bin/check', 'x'], user: null },
    });
  });
  it('rejects an empty command', () => {
    expect(parseScriptLine('').ok).toBe(false);
    expect(parseScriptLine('""').ok).toBe(false);
  });
});
