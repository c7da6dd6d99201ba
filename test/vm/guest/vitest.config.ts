import { defineConfig } from 'vitest/config';

// Run INSIDE the VM only (runInVm with `npx vitest run --config test/vm/guest/vitest.config.ts ...`):
// guest-side test files are named *.guest.ts so the host's `vm` project (test/vm/**/*.test.ts) never
// collects them. One fork, no file parallelism: the guest has 2 emulated CPUs.
export default defineConfig({
  test: {
    include: ['test/vm/guest/**/*.guest.ts'],
    root: new URL('../../..', import.meta.url).pathname,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['verbose'],
  },
});
