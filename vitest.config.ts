import { defineConfig } from 'vitest/config';

// Test tiers. `unit` needs nothing; `netns` and `interop` need root and network namespaces
// (interop also the keepalived Debian package); `vm` boots a Debian kernel with IPVS under qemu.
// `differential` runs keepalived -t and keepalived-ts -t on the same configs (root, netns, keepalived).
// Under CI=true a tier whose prerequisites are missing fails instead of skipping (test/support/tier.ts).
const NETNS_UNDER_LOAD = [
  'test/netns/log-flood.test.ts',
  'test/netns/hostile-clients.test.ts',
  'test/netns/open-files.test.ts',
  'test/netns/netlink-burst.test.ts',
  'test/netns/status-page.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      // fast-check harnesses over every decoder of outside bytes (test/fuzz/support.ts: FUZZ_RUNS, FUZZ_SECONDS).
      { test: { name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], testTimeout: 0 } },
      // netns files wait on VRRP timers far more than they compute, and every name they create
      // carries their own tag (test/support/netns.ts), so three run at once; the files that load
      // the CPU on purpose, or assert adverts on time under that load, run alone afterwards.
      {
        test: {
          name: 'netns',
          include: ['test/netns/**/*.test.ts'],
          exclude: NETNS_UNDER_LOAD,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          maxWorkers: 3,
        },
      },
      {
        test: {
          name: 'netns-load',
          include: NETNS_UNDER_LOAD,
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
