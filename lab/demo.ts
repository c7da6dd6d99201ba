/**
 * `npm run demo` (scripts/demo.mjs bundles and runs this file): the main job in one command. Builds
 * the lab of lab/plan.ts, starts two keepalived-ts directors and two web servers, shows the live
 * view (who holds the VIP, the IPVS table's connection counters, the responses per real server),
 * kills the master, shows the takeover with the traffic going on, brings it back, and removes
 * everything it made.
 *
 * Where this host's kernel has IPVS the lab runs in namespaces here; where it does not (the
 * project's CI machines) it runs in the project's VM (test/vm/harness.ts, docs/testing-vm.md),
 * prepared and booted for it.
 *
 *   npm run demo [-- --yes] [-- --story full --modes dr,nat,tun]
 *
 * --yes (or CI=true) runs without asking; exit 0 only if every step held, otherwise 1 with the step
 * named. Not root: says so, exit 1. A missing tool is named with the command that installs it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundleForVm, onPath, prepareVm, REPO_ROOT, runInVm, vmPrerequisites } from '../test/vm/harness.js';
import { LAB_MODES, type LabMode } from './plan.js';

const args = process.argv.slice(2);
const yes = args.includes('--yes') || args.includes('-y') || process.env.CI === 'true';
const passThrough = args.filter((a) => a !== '--yes' && a !== '-y');
const story = passThrough.includes('--story') ? [] : ['--story', 'demo'];
const DAEMON = join(REPO_ROOT, 'dist', 'keepalived-ts.js');

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

/** The lab's own options, checked here so that a typo does not cost a VM boot. */
function checkOptions(): void {
  const value = (name: string): string | undefined => {
    const i = passThrough.indexOf(name);
    return i === -1 ? undefined : passThrough[i + 1];
  };
  const modes = value('--modes');
  const bad = modes?.split(',').filter((m) => !LAB_MODES.includes(m as LabMode));
  if (bad !== undefined && bad.length > 0)
    usage(`unknown mode ${bad.join(', ')} (--modes takes ${LAB_MODES.join(',')})`);
  const storyName = value('--story');
  if (storyName !== undefined && storyName !== 'demo' && storyName !== 'full')
    usage(`unknown story ${storyName} (--story takes demo or full)`);
}

function usage(message: string): never {
  process.stderr.write(
    `demo: ${message}\nusage: npm run demo [-- --yes] [-- --story full --modes dr,nat,tun]\n`,
  );
  process.exit(2);
}

/** IPVS in this kernel: loaded, or loadable now. */
function hostHasIpvs(): boolean {
  if (existsSync('/proc/net/ip_vs')) return true;
  spawnSync('modprobe', ['ip_vs'], { stdio: 'ignore' });
  return existsSync('/proc/net/ip_vs');
}

async function confirm(): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) fail('not a terminal: run `npm run demo -- --yes` to run without asking');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await new Promise<string>((resolve) =>
    rl.question(
      'The demo creates network namespaces kts-lab-* (a client, two directors, two web servers)\n' +
        'and removes them afterwards. Go on? [Y/n] ',
      resolve,
    ),
  );
  rl.close();
  if (/^n/i.test(answer.trim())) process.exit(1);
}

async function main(): Promise<void> {
  checkOptions();
  // Ctrl-C: exit through the exit hooks, which stop the VM and remove the dist/ copy.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      console.log(`\ndemo: ${signal}: stopping the VM and removing what the demo made`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  if (process.getuid?.() !== 0)
    fail(
      'needs root (network namespaces, IPVS, and qemu where this kernel has no IPVS): run `sudo npm run demo`',
    );
  if (!existsSync(DAEMON))
    fail('dist/keepalived-ts.js is missing: run `npm install` (it builds) or `npm run build`');
  const needed = [
    ...(onPath('ip') ? [] : ['ip (apt-get install -y iproute2)']),
    ...(onPath('ipvsadm') ? [] : ['ipvsadm (apt-get install -y ipvsadm)']),
  ];
  const local = hostHasIpvs();
  const missing = local ? needed : [...needed, ...vmPrerequisites().filter((m) => m !== 'root')];
  if (missing.length > 0) {
    const packages = [
      ...new Set(missing.map((m) => /\(apt(?:-get install -y)? ([^)]+)\)/.exec(m)?.[1]).filter(Boolean)),
    ];
    fail(
      `missing: ${missing.join('; ')}` +
        (packages.length > 0 ? `\n  install with: apt-get install -y ${packages.join(' ')}` : ''),
    );
  }
  await confirm();

  const lab = await bundleForVm(join(REPO_ROOT, 'lab', 'lab.ts'));
  // The lab runs a private copy of dist/: a rebuild meanwhile must not change files under the daemons.
  const dist = join(REPO_ROOT, '.vm-cache', 'demo', `dist-${process.pid}`);
  cpSync(join(REPO_ROOT, 'dist'), dist, { recursive: true });
  process.once('exit', () => rmSync(dist, { recursive: true, force: true }));
  const labArgs = ['run', ...story, ...passThrough, '--daemon', join(dist, 'keepalived-ts.js')];
  if (local) {
    console.log('demo: this kernel has IPVS; the lab runs in network namespaces on this host');
    const child = spawn(process.execPath, [lab, ...labArgs, '--logs', '/tmp/kts-lab-logs'], {
      stdio: 'inherit',
    });
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
    process.exit(code);
  }

  console.log("demo: this kernel has no IPVS; the lab runs in the project's VM (a Debian kernel under qemu)");
  console.log('demo: preparing the VM kernel (the first time: downloads linux-image-amd64, about 70 MB)...');
  const started = Date.now();
  const kernel = await prepareVm();
  console.log(
    `demo: kernel ${kernel.version} ready after ${((Date.now() - started) / 1000).toFixed(1)} s; booting the VM...`,
  );
  let first = true;
  const quoted = labArgs.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const run = await runInVm({
    script: `node ${lab} ${quoted} --logs "$KTS_VM_RESULTS/logs"`,
    timeoutMs: 1_800_000,
    onStdout: (chunk) => {
      if (first) console.log(`demo: the VM is up (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      first = false;
      process.stdout.write(chunk);
    },
  });
  if (run.stderr.trim() !== '' && run.exitCode !== 0) process.stderr.write(run.stderr);
  console.log(
    run.exitCode === 0
      ? 'demo: done; the VM is gone and nothing is left behind'
      : `demo: the lab exited ${run.exitCode} (guest logs kept in ${run.resultsDir}/logs)`,
  );
  process.exit(run.exitCode);
}

void main().catch((e: unknown) => fail(e instanceof Error ? (e.stack ?? e.message) : String(e)));
