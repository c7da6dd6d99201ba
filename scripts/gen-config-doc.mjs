// Writes docs/configuration.md from the keyword tables (scripts/config-doc.ts): `npm run docs:config`.
// `--check` exits 1 when the committed page is out of date (the unit tier checks the same).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const out = 'node_modules/.cache/keepalived-ts/config-doc.mjs';
mkdirSync('node_modules/.cache/keepalived-ts', { recursive: true });
await build({
  entryPoints: ['scripts/config-doc.ts'],
  outfile: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
const { configurationDoc, undocumented } = await import(pathToFileURL(out).href);
const missing = undocumented();
if (missing.length > 0) {
  console.error(`docs:config: no doc for ${missing.length} keyword(s): ${missing.join(', ')}`);
  process.exit(1);
}
const page = await configurationDoc();
const path = 'docs/configuration.md';
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // missing: out of date
  }
  if (current !== page) {
    console.error(`${path} is out of date: run npm run docs:config`);
    process.exit(1);
  }
  console.log(`${path} is up to date`);
} else {
  writeFileSync(path, page);
  console.log(`wrote ${path}`);
}
