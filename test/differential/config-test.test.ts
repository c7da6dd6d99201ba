/**
 * Differential tier: every config of the corpus (corpus.ts: the conf/ samples and their
 * mutations, fixed seed) through `keepalived -t` (keepalived 2.2.7) and `keepalived-ts -t` in one
 * network namespace that holds the interfaces the samples name, compared by exit code, lines
 * reported and keepalived's line-less messages (compare.ts). A disagreement is a failure unless it
 * is one of the documented classes of known.ts (docs/compatibility.md); each class has a witness
 * config that must still show it, so a fixed one is taken off the list. DIFF_SEED and DIFF_COUNT
 * run a longer corpus; DIFF_KEYWORD_COUNT (60) of the configs written from the keyword tables are
 * picked by the seed, DIFF_KEYWORDS=1 takes them all.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, hasCommand, ip, netnsPrerequisites, Testbed } from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';
import { compareConfig, type Comparison } from './compare.js';
import { keywordConfigs, mutations, samples, type CorpusEntry } from './corpus.js';
import { tableKeywords } from './tables.js';
import { KNOWN_DIFFERENCES, knownDifference } from './known.js';

const prerequisites = [...netnsPrerequisites(), ...(hasCommand('keepalived') ? [] : ['keepalived'])];
const describeTier = tierDescribe('differential', prerequisites);

const SEED = Number(process.env['DIFF_SEED'] ?? 20261202);
const COUNT = Number(process.env['DIFF_COUNT'] ?? 160);
/** Configs written from the keyword tables: a seeded share in CI, all of them with DIFF_KEYWORDS=1. */
const KEYWORD_COUNT =
  process.env['DIFF_KEYWORDS'] === '1' ? Infinity : Number(process.env['DIFF_KEYWORD_COUNT'] ?? 60);

describeTier('keepalived -t and keepalived-ts -t agree', () => {
  let bed: Testbed;
  let ns: string;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-diff');
    ns = bed.addNamespace('h');
    // The interfaces the samples name: keepalived exits 4 on any missing one, whatever the config.
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    for (const dev of ['eth0', 'eth1']) ip('-n', ns, 'link', 'set', dev, 'up');
    expect(spawnSync('keepalived', ['-v']).stderr.toString()).toMatch(/^Keepalived v2\.2\.7/);
  });
  afterAll(() => bed?.destroy());

  it('on the samples and their mutations, outside the documented classes', async () => {
    const corpus: CorpusEntry[] = [
      ...samples(),
      ...mutations(SEED, COUNT),
      ...keywordConfigs(tableKeywords(), SEED, KEYWORD_COUNT),
    ];
    const unexplained: string[] = [];
    const seen = new Map<string, number>();
    let agreed = 0;
    const samplesDiffering: string[] = [];
    // Two at a time: the machine has two cores.
    for (let i = 0; i < corpus.length; i += 2) {
      const batch = corpus.slice(i, i + 2);
      const results = await Promise.all(batch.map((e) => compareConfig(ns, bed.tempDir, e.id, e.text)));
      batch.forEach((entry, k) => {
        const c: Comparison = results[k]!;
        if (c.differences.length === 0) return void agreed++;
        if (entry.id.startsWith('sample:')) samplesDiffering.push(`${entry.id}: ${c.differences.join('; ')}`);
        const known = knownDifference(entry, c);
        if (known !== null) return void seen.set(known.id, (seen.get(known.id) ?? 0) + 1);
        unexplained.push(
          [
            `${entry.id}: ${c.differences.join('; ')}`,
            `  keepalived (exit ${c.keepalived.code}): ${c.keepalived.output.trim().replaceAll('\n', '\n    ')}`,
            `  keepalived-ts (exit ${c.ours.code}): ${c.ours.output.trim().replaceAll('\n', '\n    ')}`,
          ].join('\n'),
        );
      });
    }
    console.log(
      `differential: ${corpus.length} configs (seed ${SEED}): ${agreed} agree, ` +
        `${[...seen].map(([id, n]) => `${n} ${id}`).join(', ') || 'no known difference'}, ${unexplained.length} unexplained`,
    );
    expect(unexplained.join('\n\n')).toBe('');
    expect(agreed).toBeGreaterThan(corpus.length / 2);
    // Every sample agrees outright, known class or not.
    expect(corpus.filter((e) => e.id.startsWith('sample:')).length).toBeGreaterThan(5);
    expect(samplesDiffering).toEqual([]);
  });

  it.each(KNOWN_DIFFERENCES.map((k) => [k.id, k] as const))(
    'the %s witness still shows its difference, and only that one',
    async (_id, k) => {
      const c = await compareConfig(ns, bed.tempDir, `witness-${k.id}`, k.witness);
      expect(c.differences.length, c.keepalived.output + c.ours.output).toBeGreaterThan(0);
      expect(knownDifference({ id: `witness:${k.id}`, text: k.witness }, c)?.id).toBe(k.id);
    },
  );

  it('documents every known class in docs/compatibility.md', () => {
    const doc = join(import.meta.dirname, '..', '..', 'docs', 'compatibility.md');
    expect(existsSync(doc)).toBe(true);
    const text = readFileSync(doc, 'utf8');
    for (const k of KNOWN_DIFFERENCES) expect(text, k.id).toContain(`### \`${k.id}\` (${k.status})`);
  });
});
