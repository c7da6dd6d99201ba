/**
 * VM tier, end to end: the director-pair lab (lab/lab.ts, topology and configs in lab/plan.ts) in
 * one boot, for LVS-DR, LVS-NAT and LVS-TUN. In namespaces of the guest: a client, directors a
 * (priority 150) and b (100) running keepalived-ts, real servers rs1 and rs2 answering with their
 * name; for NAT the real servers behind the directors on an inside network with their default route
 * on an inside VIP (one sync group). For each method the guest checks, with the real kernel's IPVS:
 *   rr alternates; wrr at 2:1 gives 2:1 over 300 requests; sh keeps a client address on one server;
 *   persistence keeps a client on one server and lets it move once the template expires;
 *   rs1's web server stops: it leaves the table and the client sees only rs2; it starts: back;
 *   a request every 100 ms through director a's death (SIGKILL, links cut): service resumes through
 *   b within Master_Down_Interval + 1 s; a reboots and takes the VIP back, the loop goes on;
 *   SIGTERM of a: resumes within 1 s, a leaves no VIP and no IPVS rule;
 *   lvs_sync_daemon (DR, NAT): 5 long-lived connections survive a's death, none lost; without sync
 *   some are lost (the figure is reported);
 *   the same death with a keepalived 2.2.7 pair in the same run, its figures beside ours;
 *   a mixed pair (DR), keepalived-ts + keepalived 2.2.7 both ways: same table, failover, takeback.
 * The guest records each step (ok, detail, figures) in lab.json; this file asserts every step.
 */
import { existsSync, rmSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt } from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';
import { bundleForVm, prepareVm, REPO_ROOT, runInVm, vmPrerequisites, type VmRunResult } from './harness.js';
import { LAB_MODES } from '../../lab/plan.js';
import type { StepResult } from '../../lab/lab.js';

function onHost(command: string): boolean {
  return existsSync(`/usr/sbin/${command}`) || existsSync(`/usr/bin/${command}`);
}
const describeVm = tierDescribe('vm', [
  ...vmPrerequisites(),
  ...(onHost('ipvsadm') ? [] : ['ipvsadm (apt ipvsadm)']),
  ...(onHost('keepalived') ? [] : ['keepalived (apt keepalived)']),
]);

interface LabResults {
  steps: Record<string, StepResult>;
  firstFailure?: string;
  elapsedMs: number;
}

const MODE_STEPS = [
  'topology',
  'start',
  'rr',
  'wrr',
  'sh',
  'persistence',
  'rs-down',
  'rs-up',
  'kill',
  'sync-on',
  'takeback',
  'term',
  'keepalived-start',
  'keepalived-kill',
  'keepalived-term',
];
const SYNC_STEPS = ['sync-on', 'sync-off-start', 'sync-off'];
const MIXED_STEPS = ['ts-ka', 'ka-ts'].flatMap((p) =>
  ['start', 'tables', 'kill', 'takeback'].map((s) => `mixed-${p}-${s}`),
);

describeVm('the director pair end to end in the VM (DR, NAT, TUN)', () => {
  let run: VmRunResult;
  let results: LabResults;
  let distCopy: string;

  beforeAll(async () => {
    await prepareVm();
    ensureBuilt();
    // A private copy of dist/: a rebuild on the host while the guest runs must not change the daemon.
    distCopy = join(REPO_ROOT, '.vm-cache', `kts-e2e-dist-${process.pid}`);
    rmSync(distCopy, { recursive: true, force: true });
    cpSync(join(REPO_ROOT, 'dist'), distCopy, { recursive: true });
    const lab = await bundleForVm(`${REPO_ROOT}/lab/lab.ts`);
    run = await runInVm({
      script:
        `node ${lab} run --modes ${LAB_MODES.join(',')} --daemon ${join(distCopy, 'keepalived-ts.js')} ` +
        '--results "$KTS_VM_RESULTS/lab.json" --logs "$KTS_VM_RESULTS/logs"',
      collect: ['lab.json'],
      timeoutMs: 1_500_000,
    });
    results = JSON.parse(run.files['lab.json'] ?? '{"steps":{},"elapsedMs":0}') as LabResults;
    console.log(`e2e VM run: ${(run.durationMs / 1000).toFixed(1)} s, exit ${run.exitCode}\n${run.stdout}`);
  }, 1_560_000);

  afterAll(() => {
    if (distCopy) rmSync(distCopy, { recursive: true, force: true });
  });

  const step = (name: string): StepResult => {
    const s = results.steps[name];
    if (s === undefined)
      throw new Error(
        `the guest recorded no step ${name} (first failure: ${results.firstFailure}; results kept in ${run.resultsDir})\n${run.stdout}\n${run.stderr.slice(-3000)}`,
      );
    return s;
  };
  const holds = (name: string): void => {
    const s = step(name);
    expect(s.ok, `${name}: ${s.detail}\n(guest logs kept in ${run.resultsDir}/logs)`).toBe(true);
  };

  for (const m of LAB_MODES) {
    it(`LVS-${m.toUpperCase()}: schedulers, a web server down and up, death, takeback and clean stop of the master; keepalived 2.2.7 beside it`, () => {
      for (const s of MODE_STEPS) holds(`${m}/${s}`);
    });
  }

  for (const m of ['dr', 'nat'] as const) {
    it(`LVS-${m.toUpperCase()}: with lvs_sync_daemon no long-lived connection is lost when the master dies`, () => {
      for (const s of SYNC_STEPS) holds(`${m}/${s}`);
      const on = step(`${m}/sync-on`).figures as { lost: number; synced: number };
      expect(on.lost).toBe(0);
      const off = step(`${m}/sync-off`).figures as { lost: number };
      console.log(`${m}: connections lost with sync on ${on.lost}, with sync off ${off.lost} of 5`);
    });
  }

  it('a mixed pair (keepalived-ts and keepalived 2.2.7, both ways) programs one table and fails over', () => {
    for (const s of MIXED_STEPS) holds(`dr/${s}`);
  });

  it('the guest exits 0, every step held and nothing is left behind', () => {
    holds('cleanup');
    expect(results.firstFailure, `first failure: ${results.firstFailure}`).toBeUndefined();
    expect(run.exitCode).toBe(0);
  });
});
