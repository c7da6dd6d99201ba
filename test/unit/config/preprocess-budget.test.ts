// The expansion budget covers the whole configuration, not each line alone (found by the fuzz
// tier: a few short ~SEQ lines, or a ~SEQ over a long $NAME, made the parser run out of memory).
import { describe, expect, it } from 'vitest';
import { Preprocessor } from '../../../src/config/preprocess.js';

function run(lines: readonly string[]): { out: number; chars: number; limits: number[] } {
  const pre = new Preprocessor({ configId: 'test', env: {} });
  let out = 0;
  let chars = 0;
  lines.forEach((l, i) =>
    pre.process(l, '/k.conf', i + 1, (text) => {
      out++;
      chars += text.length;
    }),
  );
  const limits = pre.diagnostics.filter((d) => d.code === 'expansion-limit').map((d) => d.loc!.line);
  return { out, chars, limits };
}

describe('preprocessor expansion budget', () => {
  it('several ~SEQ lines share 2,000,000 lines between them', () => {
    const r = run(['~SEQ(i,1,1000000) x', '~SEQ(i,1,1000000) y', '~SEQ(i,1,1000000) z', 'plain']);
    expect(r.out).toBe(2_000_000 + 1);
    expect(r.limits).toEqual([3]);
  });

  it('a ~SEQ over a long definition stops at 64 MiB of expanded text', () => {
    const r = run([`$BIG=${'a'.repeat(1 << 19)}`, '~SEQ(i,1,1000) $BIG', '$BIG']);
    expect(r.chars).toBeLessThanOrEqual(64 * 1024 * 1024);
    // Each line is the 512 KiB value and the space before it: 127 of them fit in 64 MiB.
    expect(r.out).toBe(127);
    expect(r.limits).toEqual([2, 3]);
  });

  it('one line alone still expands to 2,000,000 lines', () => {
    const r = run(['~SEQ(i,1,2000000) x']);
    expect(r.out).toBe(2_000_000);
    expect(r.limits).toEqual([]);
  });
});
