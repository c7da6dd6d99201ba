// `npm run demo`: bundles lab/demo.ts (which drives the lab, on this host or in the project's VM)
// into .vm-cache/demo/ and runs it. Two levels below the repository root, as the VM harness
// expects of its bundles. Everything else is in lab/demo.ts.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (process.getuid?.() !== 0) {
  console.error(
    'demo: needs root (network namespaces, IPVS, and qemu where this kernel has no IPVS): run it as root, e.g. `sudo npm run demo`',
  );
  process.exit(1);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, '.vm-cache', 'demo', 'demo.mjs');
await build({
  entryPoints: [join(root, 'lab', 'demo.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
await import(pathToFileURL(outfile).href);
