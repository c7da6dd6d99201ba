import { defineConfig } from 'vitest/config';

// Test tiers. `unit` needs nothing; `netns` and `interop` need root and network namespaces
// (interop also the keepalived Debian package); `vm` boots a Debian kernel with IPVS under qemu.
// `differential` runs keepalived -t and keepalived-ts -t on the same configs (root, netns, keepalived).
// Under CI=true a tier whose prerequisites are missing fails instead of skipping (test/support/tier.ts).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      // fast-check harnesses over every decoder of outside bytes (test/fuzz/support.ts: FUZZ_RUNS, FUZZ_SECONDS).
      { test: { name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], testTimeout: 0 } },
      {
        test: {
          name: 'netns',
          include: ['test/netns/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'interop',
          include: ['test/interop/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'differential',
          include: ['test/differential/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'vm',
          include: ['test/vm/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
