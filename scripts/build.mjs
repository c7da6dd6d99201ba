// Bundles src/main.ts into dist/keepalived-ts.js (one file, node20, ESM).
// Native addons and pino stay external: they are resolved from node_modules at run time.
import { build } from 'esbuild';
import { chmodSync, existsSync } from 'node:fs';

const entry = 'src/main.ts';
if (!existsSync(entry)) {
  console.error(`build: ${entry} missing`);
  process.exit(1);
}

await build({
  entryPoints: [entry],
  outfile: 'dist/keepalived-ts.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  legalComments: 'none',
  external: ['raw-socket', 'netlink', 'unix-dgram', '@keepalived-ts/af-packet', 'pino', 'chokidar'],
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __ktsCreateRequire } from 'node:module';",
      'const require = __ktsCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  logLevel: 'warning',
});
chmodSync('dist/keepalived-ts.js', 0o755);
