/**
 * The differential tier's configs: the conf/ samples, each mutated the ways real configs go
 * wrong (a line dropped or repeated, a number out of range or not a number, a word in the wrong
 * case, a brace glued to a word, an unknown keyword, a value missing, a block left open or closed
 * twice), and configs written from the man page's keyword list with valid and invalid values.
 * Deterministic for a seed (fast-check's generator), so a disagreement found in CI replays.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

export interface CorpusEntry {
  /** What it is: `sample:lvs-dr-rr-tcp`, `mutation:lvs-dr-rr-tcp:drop-line:12`, `keyword:...`. */
  readonly id: string;
  readonly text: string;
}

const REPO = join(import.meta.dirname, '..', '..');

export function samples(): CorpusEntry[] {
  const dir = join(REPO, 'conf');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.conf'))
    .sort()
    .map((f) => ({ id: `sample:${f.replace(/\.conf$/, '')}`, text: readFileSync(join(dir, f), 'utf8') }));
}

type Mutation = (lines: string[], pick: (n: number) => number) => { lines: string[]; what: string } | null;

/** Indexes of lines that hold a statement (not blank, not a comment, not a lone brace). */
const statementLines = (lines: readonly string[]): number[] =>
  lines.flatMap((l, i) => (/^\s*[a-zA-Z_@$~]/.test(l) ? [i] : []));

const withWords = (lines: string[], i: number, words: string[]): string[] => {
  const indent = /^\s*/.exec(lines[i]!)![0];
  return [...lines.slice(0, i), indent + words.join(' '), ...lines.slice(i + 1)];
};

const words = (line: string): string[] => line.trim().split(/\s+/);

const MUTATIONS: Record<string, Mutation> = {
  'drop-line': (lines, pick) => {
    const s = statementLines(lines);
    if (s.length === 0) return null;
    const i = s[pick(s.length)]!;
    return { lines: [...lines.slice(0, i), ...lines.slice(i + 1)], what: `${i + 1}` };
  },
  'repeat-line': (lines, pick) => {
    const s = statementLines(lines).filter((i) => !lines[i]!.includes('{'));
    if (s.length === 0) return null;
    const i = s[pick(s.length)]!;
    return { lines: [...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)], what: `${i + 1}` };
  },
  'number-out-of-range': (lines, pick) => {
    const s = statementLines(lines).filter((i) => /^\d+$/.test(words(lines[i]!)[1] ?? ''));
    if (s.length === 0) return null;
    const i = s[pick(s.length)]!;
    const w = words(lines[i]!);
    const value = ['0', '-1', '256', '65536', '4294967296', '99999999999999999999'][pick(6)]!;
    return { lines: withWords(lines, i, [w[0]!, value, ...w.slice(2)]), what: `${i + 1}:${value}` };
  },
  'number-garbage': (lines, pick) => {
    const s = statementLines(lines).filter((i) => /^\d+$/.test(words(lines[i]!)[1] ?? ''));
    if (s.length === 0) return null;
    const i = s[pick(s.length)]!;
    const w = words(lines[i]!);
    const value = ['abc', '1.5', '1e3', '0x10', '12abc', ''][pick(6)]!;
    return {
      lines: withWords(lines, i, [w[0]!, value, ...w.slice(2)].filter(Boolean)),
      what: `${i + 1}:${value}`,
    };
  },
  'value-case': (lines, pick) => {
    const s = statementLines(lines).filter((i) => /^[A-Za-z]+$/.test(words(lines[i]!)[1] ?? ''));
    if (s.length === 0) return null;
    const i = s[pick(s.length)]!;
    const w = words(lines[i]!);
    const v = w[1]!;
    const changed = v === v.toUpperCase() ? v.toLowerCase() : v.toUpperCase();
    return { lines: withWords(lines, i, [w[0]!, changed, ...w.slice(2)]), what: `${i + 1}:${changed}` };
  },
  'glued-brace': (lines, pick) => {
    const s = lines.flatMap((l, i) => (/\s\{\s*$/.test(l) ? [i] : []));
    if (s.length === 0) return null;
    const i = s[pick(s.length)]!;
    return {
      lines: [...lines.slice(0, i), lines[i]!.replace(/\s+\{\s*$/, '{'), ...lines.slice(i + 1)],
      what: `${i + 1}`,
    };
  },
  'unknown-keyword': (lines, pick) => {
    const s = statementLines(lines);
    if (s.length === 0) return null;
    const i = s[pick(s.length)]!;
    const indent = /^\s*/.exec(lines[i]!)![0];
    return {
      lines: [...lines.slice(0, i), `${indent}no_such_keyword 1`, ...lines.slice(i)],
      what: `${i + 1}`,
    };
  },
  'missing-value': (lines, pick) => {
    const s = statementLines(lines).filter((i) => words(lines[i]!).length === 2 && !lines[i]!.includes('{'));
    if (s.length === 0) return null;
    const i = s[pick(s.length)]!;
    return { lines: withWords(lines, i, [words(lines[i]!)[0]!]), what: `${i + 1}` };
  },
  'extra-close': (lines, pick) => {
    const s = lines.flatMap((l, i) => (/^\s*\}\s*$/.test(l) ? [i] : []));
    if (s.length === 0) return null;
    const i = s[pick(s.length)]!;
    return { lines: [...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)], what: `${i + 1}` };
  },
  'missing-close': (lines, pick) => {
    const s = lines.flatMap((l, i) => (/^\s*\}\s*$/.test(l) ? [i] : []));
    if (s.length === 0) return null;
    const i = s[pick(s.length)]!;
    return { lines: [...lines.slice(0, i), ...lines.slice(i + 1)], what: `${i + 1}` };
  },
};

export const MUTATION_KINDS = Object.keys(MUTATIONS);

/** `count` mutated samples, the same for the same seed. */
export function mutations(seed: number, count: number): CorpusEntry[] {
  const base = samples();
  const out: CorpusEntry[] = [];
  const rng = fc.sample(fc.array(fc.nat({ max: 1_000_000 }), { minLength: 4, maxLength: 4 }), {
    seed,
    numRuns: count * 3,
  });
  for (const [a, b, c, d] of rng) {
    if (out.length >= count) break;
    const sample = base[a! % base.length]!;
    const kind = MUTATION_KINDS[b! % MUTATION_KINDS.length]!;
    let state = c! ^ (d! << 7);
    const pick = (n: number) => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    const m = MUTATIONS[kind]!(sample.text.split('\n'), pick);
    if (m === null) continue;
    out.push({ id: `mutation:${sample.id.slice(7)}:${kind}:${m.what}`, text: m.lines.join('\n') });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Configs written from the keyword tables: each keyword of a block, alone in a config that is
// otherwise valid, with the values its syntax allows at the edges and just beyond them.
// ---------------------------------------------------------------------------------------------

/** A valid config with one slot per block where a keyword line goes. */
const HOST_CONFIG = (slot: Record<string, string>) => `global_defs {
  router_id diff
${slot['global_defs'] ?? ''}
}
vrrp_script chk {
  script "/bin/true"
${slot['vrrp_script'] ?? ''}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.1/24
  }
${slot['vrrp_instance'] ?? ''}
}
virtual_server 192.0.2.1 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
${slot['virtual_server'] ?? ''}
  real_server 192.0.2.2 80 {
    weight 1
${slot['real_server'] ?? ''}
    TCP_CHECK {
      connect_timeout 3
${slot['TCP_CHECK'] ?? ''}
    }
  }
}
`;

export interface TableKeyword {
  readonly block: string;
  readonly keyword: string;
  readonly value:
    | { readonly kind: 'int' | 'timer'; readonly min: number; readonly max: number }
    | { readonly kind: 'enum'; readonly values: readonly string[] }
    | { readonly kind: 'flag' | 'string' };
}

/** The lines to try for one keyword: edges, beyond the edges, other case, no value. */
function keywordLines(k: TableKeyword): { what: string; line: string }[] {
  const v = k.value;
  const at = (what: string, value: string) => ({ what, line: `  ${k.keyword} ${value}`.trimEnd() });
  switch (v.kind) {
    case 'int':
    case 'timer': {
      const out = [at('min', String(v.min)), at('max', String(v.max)), at('above-max', String(v.max + 1))];
      if (v.min > 0) out.push(at('below-min', String(v.min - 1)));
      out.push(at('negative', '-1'), at('garbage', 'x1'));
      return out;
    }
    case 'enum':
      return [
        ...v.values.map((w) => at(`value-${w}`, w)),
        at(
          'other-case',
          v.values[0]!.toLowerCase() === v.values[0]
            ? v.values[0]!.toUpperCase()
            : v.values[0]!.toLowerCase(),
        ),
        at('unknown', 'nosuchvalue'),
      ];
    case 'flag':
      return [at('bare', ''), at('on', 'on'), at('off', 'off'), at('garbage', 'maybe')];
    case 'string':
      return [at('word', 'word1')];
  }
}

/** Configs for the given keywords, `count` of them chosen by the seed (all when count is larger). */
export function keywordConfigs(
  keywords: readonly TableKeyword[],
  seed: number,
  count: number,
): CorpusEntry[] {
  const all = keywords.flatMap((k) =>
    keywordLines(k).map((l) => ({
      id: `keyword:${k.block}:${k.keyword}:${l.what}`,
      text: HOST_CONFIG({ [k.block]: l.line }),
    })),
  );
  if (count >= all.length) return all;
  const picks = fc.sample(fc.shuffledSubarray(all, { minLength: count, maxLength: count }), {
    seed,
    numRuns: 1,
  })[0]!;
  return picks;
}
