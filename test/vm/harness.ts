/**
 * VM test tier harness: runs bash inside a throwaway qemu VM booted on the stock Debian kernel (IPVS as
 * modules), whose root is this host's root shared read-only under a tmpfs overlay. The guest sees the
 * repo, node, node_modules, ipvsadm and keepalived at the host's paths; writes land in guest tmpfs.
 * How it works and how to debug a guest: docs/testing-vm.md. Shell side: scripts/vm/run-vm.sh.
 *
 * API
 *   vmPrerequisites(): string[]
 *     What this host lacks for the tier (for tierDescribe('vm', vmPrerequisites())).
 *   prepareVm(): Promise<VmKernel>
 *     Downloads/unpacks the kernel (apt) and builds the initramfs on first use; cached in .vm-cache/
 *     per kernel version. runInVm calls it; call it in beforeAll to keep the first-time cost out of a test.
 *   runInVm({ script, timeoutMs?, cwd?, env?, files?, collect?, keepResults?, onStdout? }): Promise<VmRunResult>
 *     Boots, runs `script` with bash (cwd = repo root unless `cwd`), powers off. Resolves with
 *     { exitCode, stdout, stderr, log, resultsDir, files } whatever the script's exit code; rejects with a
 *     VmError (message carries the console log tail) when the guest hangs past timeoutMs or dies before
 *     the script finishes. qemu is always killed: on timeout, and on host process exit.
 *   runInVmOk(options): Promise<VmRunResult>
 *     Same, but a non-zero exit code is a VmError whose message shows stdout, stderr and the log tail.
 *   runVitestInVm(testFiles, { timeoutMs?, env? }): Promise<{ run, report }>
 *     Runs guest-side vitest files (test/vm/guest/*.guest.ts, config test/vm/guest/vitest.config.ts)
 *     in one boot and returns vitest's JSON report (report.success, numPassedTests, testResults...).
 *     Costs ~30-60 s more than a bundled program (vitest's startup reads many files over 9p).
 *   bundleForVm(entryTs): Promise<string>
 *     Bundles a TypeScript program (e.g. one that imports src/ipvs/...) with esbuild into .vm-cache/guest/
 *     so the guest runs it with plain `node FILE` (npm packages stay external, resolved from the repo's
 *     node_modules). Guest programs report by printing (JSON on stdout, or files in $KTS_VM_RESULTS) and
 *     exiting non-zero with a readable message on failure; the host test asserts with expect().
 *
 * Inside the guest: root, hostname kts-vm, only `lo` (no network to the outside), every module of the
 * kernel loadable (`modprobe`, and the kernel's own on-demand loading for IPVS schedulers, veth, ...),
 * env KTS_VM=1 and KTS_VM_RESULTS=<results dir> (writable, same path on host and guest; files the guest
 * leaves there come back in `files` when listed in `collect`). Boot takes ~4 s and Node runs several
 * times slower than on the host (TCG emulation): run many checks per boot, keep timing out of assertions.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPTS = join(REPO_ROOT, 'scripts', 'vm');
const CACHE_DIR = process.env.KTS_VM_CACHE ?? join(REPO_ROOT, '.vm-cache');

export interface VmKernel {
  version: string;
  kernelDir: string;
  initrd: string;
}

export interface VmRunOptions {
  /** bash source run inside the guest (as a file, with `bash FILE`). */
  script: string;
  /** Host-side limit for the whole run including boot; default 180 s. */
  timeoutMs?: number;
  /** Guest working directory; default the repo root. */
  cwd?: string;
  /** Extra environment for the script. */
  env?: Record<string, string>;
  /** Files written into the results dir before boot (name -> content); the guest reads $KTS_VM_RESULTS/name. */
  files?: Record<string, string | Uint8Array>;
  /** Names of files the guest leaves in $KTS_VM_RESULTS to return in `files`. */
  collect?: string[];
  /** Keep the results dir even on success (it is always kept on failure). */
  keepResults?: boolean;
  /** Called with the guest's stdout as it grows (polled every 250 ms), e.g. to show progress live. */
  onStdout?: (chunk: string) => void;
}

export interface VmRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The serial console (kernel messages, init's complaints). */
  log: string;
  /** Host path of the run's results dir (removed after a successful run unless keepResults). */
  resultsDir: string;
  /** Contents of the `collect` files the guest wrote (absent ones are missing from the record). */
  files: Record<string, string>;
  durationMs: number;
}

export class VmError extends Error {
  constructor(
    message: string,
    readonly result: Partial<VmRunResult> & { resultsDir: string },
  ) {
    super(message);
    this.name = 'VmError';
  }
}

export function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this dir
    }
  }
  return false;
}

/** What the host lacks for the VM tier; empty when runInVm can work. */
export function vmPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.platform !== 'linux' || process.arch !== 'x64') missing.push('a linux x64 host');
  if (process.getuid?.() !== 0) missing.push('root');
  if (!onPath('qemu-system-x86_64')) missing.push('qemu-system-x86_64 (apt qemu-system-x86)');
  const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
  if (busybox === '') missing.push('busybox (apt busybox-static)');
  // ldd succeeds only on dynamic executables; the initramfs needs a static one.
  else if (spawnSync('ldd', [busybox]).status === 0) missing.push('a static busybox (apt busybox-static)');
  for (const [tool, pkg] of [
    ['cpio', 'cpio'],
    ['modprobe', 'kmod'],
    ['depmod', 'kmod'],
    ['gzip', 'gzip'],
  ] as const) {
    if (!onPath(tool)) missing.push(`${tool} (apt ${pkg})`);
  }
  if (!existsSync(join(CACHE_DIR, 'kernel')) && !(onPath('apt-get') && onPath('dpkg')))
    missing.push('apt-get and dpkg (to download linux-image-amd64)');
  return missing;
}

function runScript(file: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(out.trim().split('\n').pop() ?? '');
      else reject(new Error(`${basename(file)} ${args.join(' ')} failed (exit ${code}):\n${err}${out}`));
    });
  });
}

let prepared: Promise<VmKernel> | undefined;

/** Kernel unpack + initramfs, built once per kernel version and reused from .vm-cache/. */
export function prepareVm(): Promise<VmKernel> {
  prepared ??= (async () => {
    const kernelDir = await runScript(join(SCRIPTS, 'prepare-kernel.sh'), [CACHE_DIR]);
    const initrd = await runScript(join(SCRIPTS, 'build-initramfs.sh'), [kernelDir]);
    const version = readFileSync(join(kernelDir, 'version'), 'utf8').trim();
    return { version, kernelDir, initrd };
  })();
  prepared.catch(() => (prepared = undefined));
  return prepared;
}

// Process groups of running VMs, killed if the host process exits first.
const live = new Set<number>();
process.once('exit', () => {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killGroupAndWait(pgid: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    return;
  }
  for (let waited = 0; waited < 15_000 && groupAlive(pgid); waited += 100) {
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Boots the VM, runs `script` in it and returns what it printed and its exit code. */
export async function runInVm(options: VmRunOptions): Promise<VmRunResult> {
  const kernel = await prepareVm();
  const timeoutMs = options.timeoutMs ?? 180_000;
  const resultsDir = mkdtempSync(join(tmpdir(), 'kts-vm-'));
  const scriptFile = join(resultsDir, 'input.sh');
  writeFileSync(scriptFile, options.script);
  const env = options.env ?? {};
  writeFileSync(
    join(resultsDir, 'env.sh'),
    Object.entries(env)
      .map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`runInVm: bad env name ${k}`);
        return `export ${k}=${shellQuote(v)}\n`;
      })
      .join(''),
  );
  for (const [name, content] of Object.entries(options.files ?? {})) {
    writeFileSync(join(resultsDir, name), content);
  }

  const started = Date.now();
  // run-vm.sh's own watchdog is the backstop if this process dies without its exit hook (SIGKILL): it
  // kills qemu when this pid is gone, or after the timeout.
  const backstopS = Math.ceil(timeoutMs / 1000) + 10;
  const args = [join(SCRIPTS, 'run-vm.sh'), '--results', resultsDir, '--timeout', String(backstopS)];
  args.push('--kernel', kernel.kernelDir, '--initrd', kernel.initrd, '--watch-pid', String(process.pid));
  if (options.cwd) args.push('--cwd', options.cwd);
  args.push(scriptFile);
  const child = spawn('bash', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const pgid = child.pid;
  if (pgid !== undefined) live.add(pgid);
  let hostStderr = '';
  child.stderr.on('data', (d: Buffer) => (hostStderr += d.toString()));

  // The guest writes its stdout to the shared results dir as it runs.
  let shown = 0;
  const showStdout = (): void => {
    if (!options.onStdout) return;
    const text = readIfExists(join(resultsDir, 'stdout'));
    if (text !== undefined && text.length > shown) {
      options.onStdout(text.slice(shown));
      shown = text.length;
    }
  };
  const follower = options.onStdout ? setInterval(showStdout, 250) : undefined;

  let timedOut = false;
  const runnerStatus = await new Promise<number | null>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      timedOut = true;
      if (pgid !== undefined) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise(code);
    });
  });
  if (follower) clearInterval(follower);
  showStdout();
  if (pgid !== undefined) {
    // Kill anything left in the group (after a normal power-off nothing is), then wait until the group
    // is really gone: a killed qemu takes a moment to release its threads and memory.
    await killGroupAndWait(pgid);
    live.delete(pgid);
  }

  const log = readIfExists(join(resultsDir, 'console.log')) ?? '';
  const stdout = readIfExists(join(resultsDir, 'stdout')) ?? '';
  const stderr = readIfExists(join(resultsDir, 'stderr')) ?? '';
  const exitText = readIfExists(join(resultsDir, 'exit'));
  const durationMs = Date.now() - started;
  const files: Record<string, string> = {};
  for (const name of options.collect ?? []) {
    const content = readIfExists(join(resultsDir, name));
    if (content !== undefined) files[name] = content;
  }

  if (timedOut || runnerStatus === 124) {
    throw new VmError(
      `VM run timed out after ${timeoutMs} ms (results kept in ${resultsDir})\n` +
        `--- guest stdout\n${tail(stdout, 30)}\n--- guest stderr\n${tail(stderr, 30)}\n` +
        `--- console log (tail)\n${tail(log, 60)}`,
      { resultsDir, stdout, stderr, log, files, durationMs },
    );
  }
  if (exitText === undefined) {
    throw new VmError(
      `VM guest finished without an exit code (runner status ${runnerStatus}; results kept in ${resultsDir})\n` +
        `--- host runner stderr\n${tail(hostStderr, 30)}\n--- console log (tail)\n${tail(log, 60)}`,
      { resultsDir, stdout, stderr, log, files, durationMs },
    );
  }
  const exitCode = Number.parseInt(exitText.trim(), 10);
  if (exitCode === 0 && !options.keepResults) rmSync(resultsDir, { recursive: true, force: true });
  return { exitCode, stdout, stderr, log, resultsDir, files, durationMs };
}

/** runInVm, failing with a readable VmError when the guest script exits non-zero. */
export async function runInVmOk(options: VmRunOptions): Promise<VmRunResult> {
  const result = await runInVm(options);
  if (result.exitCode !== 0) {
    throw new VmError(
      `VM guest script exited ${result.exitCode} (results kept in ${result.resultsDir})\n` +
        `--- guest stdout\n${tail(result.stdout, 60)}\n--- guest stderr\n${tail(result.stderr, 60)}\n` +
        `--- console log (tail)\n${tail(result.log, 30)}`,
      result,
    );
  }
  return result;
}

/** The parts of vitest's JSON report the host side reads. */
export interface VitestJsonReport {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
  }[];
}

/**
 * Runs guest-side vitest files (paths relative to the repo) in one boot. Resolves whatever the tests'
 * outcome (assert on report.success and the counts); rejects with a VmError when no report was written.
 */
export async function runVitestInVm(
  testFiles: string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ run: VmRunResult; report: VitestJsonReport }> {
  const quoted = testFiles.map(shellQuote).join(' ');
  const run = await runInVm({
    script:
      'exec node node_modules/vitest/vitest.mjs run --config test/vm/guest/vitest.config.ts ' +
      `--reporter=verbose --reporter=json --outputFile.json="$KTS_VM_RESULTS/vitest.json" ${quoted}`,
    timeoutMs: options.timeoutMs ?? 300_000,
    env: options.env,
    collect: ['vitest.json'],
  });
  const json = run.files['vitest.json'];
  if (json === undefined) {
    throw new VmError(
      `guest vitest wrote no report (exit ${run.exitCode}; results kept in ${run.resultsDir})\n` +
        `--- guest stdout\n${tail(run.stdout, 60)}\n--- guest stderr\n${tail(run.stderr, 60)}`,
      run,
    );
  }
  return { run, report: JSON.parse(json) as VitestJsonReport };
}

/**
 * Bundles a TypeScript entry for `node FILE` in the guest: into .vm-cache/guest/ (inside the repo, so
 * node resolves the external npm packages from the repo's node_modules; the guest sees the same path).
 */
export async function bundleForVm(entry: string): Promise<string> {
  const { build } = await import('esbuild');
  const absolute = resolve(REPO_ROOT, entry);
  const outDir = join(REPO_ROOT, '.vm-cache', 'guest');
  mkdirSync(outDir, { recursive: true });
  // Bundles of earlier runs (named by pid) pile up; drop those older than a day.
  for (const name of readdirSync(outDir)) {
    const path = join(outDir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { force: true });
    } catch {
      // removed concurrently
    }
  }
  const tag = createHash('sha256').update(absolute).digest('hex').slice(0, 8);
  const outfile = join(outDir, `${basename(absolute).replace(/\.[cm]?ts$/, '')}-${tag}-${process.pid}.mjs`);
  await build({
    entryPoints: [absolute],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: 'inline',
    banner: {
      js: "import { createRequire as __ktsCreateRequire } from 'node:module';\nconst require = __ktsCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
}

/** Splits a guest script's stdout into its `### name` sections (the text after each header). */
export function guestSections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  for (const line of stdout.split('\n')) {
    const header = /^### (\S+)$/.exec(line);
    if (header) {
      name = header[1]!;
      out.set(name, '');
    } else if (name) out.set(name, out.get(name)! + line + '\n');
  }
  return out;
}
