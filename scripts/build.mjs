// Bundles src/main.ts into dist/keepalived-ts.js (node20, ESM) with on-demand chunks in dist/chunks.
// Native addons and pino stay external: they are resolved from node_modules at run time.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, rmSync } from 'node:fs';

const entry = 'src/main.ts';
if (!existsSync(entry)) {
  console.error(`build: ${entry} missing`);
  process.exit(1);
}

// Stale chunks from earlier builds would otherwise pile up.
rmSync('dist', { recursive: true, force: true });

await build({
  // The health checkers run in a worker thread (src/daemon/checker-host.ts finds
  // dist/checker-worker.js beside the main bundle).
  entryPoints: { 'keepalived-ts': entry, 'checker-worker': 'src/daemon/checker-worker.ts' },
  // Code splitting keeps the config-test path small: the daemon and ipvs command are chunks
  // loaded on demand by src/main.ts.
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  legalComments: 'none',
  external: [
    'raw-socket',
    'netlink',
    'unix-dgram',
    '@keepalived-ts/af-packet',
    '@keepalived-ts/signals',
    'pino',
    'chokidar',
    'fs-ext',
  ],
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

// The status page (web/, docs/status-page.md): bundled for the browser into dist/web (app.js and
// app.css with uPlot's styles), served from memory by the daemon (src/daemon/web-assets.ts).
await build({
  entryPoints: { app: 'web/main.ts' },
  outdir: 'dist/web',
  bundle: true,
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  format: 'esm',
  minify: true,
  legalComments: 'none',
  banner: { js: '/*! includes uPlot (MIT licence): see uPlot.LICENSE */' },
  logLevel: 'warning',
});
for (const f of ['index.html', 'favicon.svg']) copyFileSync(`web/${f}`, `dist/web/${f}`);
copyFileSync('node_modules/uplot/LICENSE', 'dist/web/uPlot.LICENSE');
