// Loads a golden vector from test/fixtures/ipvs: hex byte pairs, `#` starts a comment.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../../fixtures/ipvs/', import.meta.url));

export function loadGolden(name: string): Buffer {
  const text = readFileSync(DIR + name, 'utf8');
  const hex = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join(' ')
    .split(/\s+/)
    .filter((t) => t.length > 0);
  for (const h of hex) if (!/^[0-9a-f]{2}$/i.test(h)) throw new Error(`${name}: bad byte "${h}"`);
  return Buffer.from(hex.join(''), 'hex');
}
