// The project cites only what is in the repository: no source, test, bench, script or doc names a
// reference file that lives outside it (facts about keepalived belong in docs/behaviour.md).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const tracked = execFileSync('git', ['ls-files', 'src', 'test', 'bench', 'scripts', 'docs', 'README.md'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => f !== '' && f !== 'test/unit/lint/citations.test.ts');

describe('citations', () => {
  it('reads the tracked files (guards the listing above)', () => {
    expect(tracked).toContain('src/main.ts');
    expect(tracked).toContain('docs/behaviour.md');
  });
  it('no file cites a reference outside the repository', () => {
    const outside = /keepalived-behaviour\.md|shared\/reference|testbeds\.md|anchors\.md/;
    const offenders = tracked.filter((f) => outside.test(readFileSync(`${root}${f}`, 'latin1')));
    expect(offenders).toEqual([]);
  });
});
