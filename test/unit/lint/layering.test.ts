// The layering rules of .dependency-cruiser.cjs (run by `npm run lint`) catch what they are
// meant to catch: each rule is run on a small tree that breaks it, and on one that keeps it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cruise, type ICruiseResult } from 'dependency-cruiser';

const require = createRequire(import.meta.url);
const rules = require('../../../.dependency-cruiser.cjs') as { forbidden: unknown[] };

let dir: string | null = null;
afterEach(() => {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** Writes `files` (path -> source) into a fresh directory and cruises its src/ with the rules. */
async function violations(files: Record<string, string>): Promise<string[]> {
  dir = mkdtempSync(join(tmpdir(), 'kts-layering-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const result = await cruise(['src'], {
      ruleSet: { forbidden: rules.forbidden } as never,
      tsPreCompilationDeps: true,
      exoticRequireStrings: ['require'],
      moduleSystems: ['es6', 'cjs'],
      validate: true,
    });
    const output = result.output as ICruiseResult;
    return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
  } finally {
    process.chdir(cwd);
  }
}

describe('layering rules', () => {
  it('accept a tree that keeps the layering', async () => {
    expect(
      await violations({
        'src/util/a.ts': 'export const a = 1;\n',
        'src/config/model.ts': "import { a } from '../util/a.js';\nexport const m = a;\n",
        'src/vrrp/x.ts': "import { m } from '../config/model.js';\nexport const x = m;\n",
        'src/daemon/d.ts':
          "import { x } from '../vrrp/x.js';\nimport { n } from '../net/n.js';\nexport const d = x + n;\n",
        'src/net/n.ts': "import { a } from '../util/a.js';\nexport const n = a;\n",
      }),
    ).toEqual([]);
  });

  it('reject an import cycle, type-only imports included', async () => {
    const found = await violations({
      'src/vrrp/a.ts': "import type { B } from './b.js';\nexport type A = { b?: B };\n",
      'src/vrrp/b.ts': "import type { A } from './a.js';\nexport type B = { a?: A };\n",
    });
    expect(found.some((v) => v.startsWith('no-circular:'))).toBe(true);
  });

  it('reject a subsystem importing another subsystem, daemon/ or net/', async () => {
    const found = await violations({
      'src/check/c.ts': 'export const c = 1;\n',
      'src/daemon/d.ts': 'export const d = 1;\n',
      'src/net/n.ts': 'export const n = 1;\n',
      'src/ipvs/i.ts':
        "import { c } from '../check/c.js';\nimport { d } from '../daemon/d.js';\nimport { n } from '../net/n.js';\nexport const i = c + d + n;\n",
    });
    expect(found).toEqual([
      'ipvs-imports-no-other-subsystem: src/ipvs/i.ts -> src/check/c.ts',
      'ipvs-imports-no-other-subsystem: src/ipvs/i.ts -> src/daemon/d.ts',
      'ipvs-imports-no-other-subsystem: src/ipvs/i.ts -> src/net/n.ts',
    ]);
  });

  it('reject util/ importing anything in src', async () => {
    const found = await violations({
      'src/config/model.ts': 'export type F = 1;\n',
      'src/util/ip.ts': "import type { F } from '../config/model.js';\nexport type G = F;\n",
    });
    expect(found).toEqual(['util-is-a-leaf: src/util/ip.ts -> src/config/model.ts']);
  });

  it('reject a pure core doing I/O', async () => {
    const found = await violations({
      'src/vrrp/packet.ts': "import { readFileSync } from 'node:fs';\nexport const p = readFileSync;\n",
      'src/ipvs/messages.ts': "import { Buffer } from 'node:buffer';\nexport const b = Buffer;\n",
    });
    expect(found).toEqual(['pure-core-does-no-io: src/vrrp/packet.ts -> fs']);
  });
});
