/**
 * Runs INSIDE the VM under test/vm/guest/vitest.config.ts (see runVitestInVm in ../harness.ts); the host
 * side is test/vm/smoke.test.ts. Proves guest-side vitest works against the real IPVS kernel, and that a
 * scheduler module that is not preloaded (ip_vs_sh) is loaded on demand by the kernel.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';

afterAll(() => {
  execFileSync('ipvsadm', ['-C']);
});

it('runs in the VM guest with IPVS present', () => {
  expect(process.env.KTS_VM).toBe('1');
  expect(readFileSync('/proc/net/ip_vs', 'utf8')).toMatch(/^IP Virtual Server version /);
});

it('loads a scheduler module on demand and shows the service in /proc/net/ip_vs', () => {
  const loadedBefore = readFileSync('/proc/modules', 'utf8');
  expect(loadedBefore).not.toMatch(/^ip_vs_sh /m);
  execFileSync('ipvsadm', ['-A', '-t', '10.9.0.1:80', '-s', 'sh']);
  // /proc/net/ip_vs prints addresses and ports in hex: 10.9.0.1:80 -> 0A090001:0050.
  expect(readFileSync('/proc/net/ip_vs', 'utf8')).toMatch(/^TCP {2}0A090001:0050 sh\s*$/m);
  expect(readFileSync('/proc/modules', 'utf8')).toMatch(/^ip_vs_sh /m);
});
