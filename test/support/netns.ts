/**
 * Network-namespace helpers for the root tiers (netns, interop, bench). Every name a caller
 * creates must carry its helper tag (e.g. `kts-vio-`) so parallel runs never collide; `Testbed`
 * remembers what it made and `destroy()` removes it even when a test failed half way.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { daemonArgs } from './daemon-options.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_ENTRY = join(REPO_ROOT, 'dist', 'keepalived-ts.js');

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Prerequisites every namespace tier needs; returns what is missing. */
export function netnsPrerequisites(extra: readonly string[] = []): string[] {
  const missing: string[] = [];
  if (!isRoot()) missing.push('root');
  for (const c of ['ip', ...extra]) if (!hasCommand(c)) missing.push(c);
  return missing;
}

export function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `ip ...`; throws with stderr on failure. */
export function ip(...args: string[]): string {
  return sh('ip', args);
}

/** Runs a command inside a namespace. */
export function nsExec(ns: string, cmd: string, args: readonly string[]): string {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
}

export interface Host {
  readonly ns: string;
  readonly ifname: string;
  readonly address: string;
  /** For bridged hosts: the bridge port and the bridge's namespace. */
  readonly bridgePort?: string;
  readonly bridgeNs?: string;
}

/**
 * A set of namespaces joined by veth pairs (two hosts) or by a bridge namespace (more). Names are
 * `${tag}-${suffix}`; the temp dir is under the OS temp dir with the same prefix.
 */
export class Testbed {
  readonly namespaces: string[] = [];
  readonly children = new Set<ChildProcess>();
  readonly tempDir: string;

  constructor(readonly tag: string) {
    this.tempDir = mkdtempSync(join(tmpdir(), `${tag}-`));
  }

  addNamespace(suffix: string): string {
    const ns = `${this.tag}-${suffix}`;
    // A namespace left by an aborted run would make `add` fail: remove it first.
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    ip('netns', 'add', ns);
    this.namespaces.push(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /**
   * Two hosts on one veth pair, each interface renamed to `eth0`, addressed `${prefix}.N/24`.
   * `macs` sets fixed MAC addresses so frames are easy to recognise.
   */
  twoHosts(prefix: string, hostSuffixes: [string, string] = ['a', 'b']): [Host, Host] {
    const hosts = hostSuffixes.map((s) => this.addNamespace(s));
    const left = `${this.tag.slice(0, 6)}${process.pid % 1000}x`;
    const right = `${this.tag.slice(0, 6)}${process.pid % 1000}y`;
    spawnSync('ip', ['link', 'del', left], { stdio: 'ignore' });
    ip('link', 'add', left, 'type', 'veth', 'peer', 'name', right);
    ip('link', 'set', left, 'netns', hosts[0]!);
    ip('link', 'set', right, 'netns', hosts[1]!);
    const out: Host[] = [];
    [left, right].forEach((dev, i) => {
      const ns = hosts[i]!;
      ip('-n', ns, 'link', 'set', dev, 'name', 'eth0');
      const address = `${prefix}.${i + 1}`;
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      out.push({ ns, ifname: 'eth0', address });
    });
    return [out[0]!, out[1]!];
  }

  /**
   * Hosts on a bridge that lives in its own namespace, so one host can be cut off (`partition`)
   * while every link stays up (no FAULT), then joined again (`heal`).
   */
  bridgedHosts(prefix: string, hostSuffixes: readonly string[]): Host[] {
    const brNs = this.addNamespace('br');
    ip('-n', brNs, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', brNs, 'link', 'set', 'br0', 'up');
    return hostSuffixes.map((suffix, i) => {
      const ns = this.addNamespace(suffix);
      const hostSide = `${this.tag.slice(0, 6)}${process.pid % 1000}h${i}`;
      const bridgeSide = `p${i}`;
      spawnSync('ip', ['link', 'del', hostSide], { stdio: 'ignore' });
      ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', `${hostSide}b`);
      ip('link', 'set', hostSide, 'netns', ns);
      ip('link', 'set', `${hostSide}b`, 'netns', brNs);
      ip('-n', brNs, 'link', 'set', `${hostSide}b`, 'name', bridgeSide);
      ip('-n', brNs, 'link', 'set', bridgeSide, 'master', 'br0');
      ip('-n', brNs, 'link', 'set', bridgeSide, 'up');
      ip('-n', ns, 'link', 'set', hostSide, 'name', 'eth0');
      const address = `${prefix}.${i + 1}`;
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      return { ns, ifname: 'eth0', address, bridgePort: bridgeSide, bridgeNs: brNs };
    });
  }

  /** Detaches a bridged host's port from the bridge: its link stays up, its frames go nowhere. */
  partition(host: Host): void {
    if (host.bridgePort === undefined || host.bridgeNs === undefined) throw new Error('not a bridged host');
    ip('-n', host.bridgeNs, 'link', 'set', host.bridgePort, 'nomaster');
  }

  heal(host: Host): void {
    if (host.bridgePort === undefined || host.bridgeNs === undefined) throw new Error('not a bridged host');
    ip('-n', host.bridgeNs, 'link', 'set', host.bridgePort, 'master', 'br0');
  }

  /** Addresses on `dev` inside `ns`, as `a.b.c.d/len` strings. */
  addresses(ns: string, dev = 'eth0'): string[] {
    const json = JSON.parse(nsExec(ns, 'ip', ['-j', 'addr', 'show', 'dev', dev])) as {
      addr_info?: { local: string; prefixlen: number; family: string; label?: string }[];
    }[];
    return (json[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  }

  hasAddress(ns: string, address: string, dev = 'eth0'): boolean {
    return this.addresses(ns, dev).some((a) => a.split('/')[0] === address);
  }

  /** Starts a long-running command in a namespace; it is killed by `destroy()`. */
  spawnIn(ns: string, cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ?? process.env,
    });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  destroy(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.pid !== undefined) {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const ns of this.namespaces) {
      // Processes still inside (e.g. a daemon's script children) die with SIGKILL by pid.
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
    this.namespaces.length = 0;
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/** Collects a child's output lines and lets a test wait for one. */
export class LineCollector {
  readonly lines: { at: number; text: string }[] = [];
  private waiters: { re: RegExp; from: number; resolve: (i: number) => void }[] = [];

  constructor(child: ChildProcess) {
    let partial = '';
    const onData = (chunk: Buffer): void => {
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) this.push(text);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  }

  private push(text: string): void {
    const index = this.lines.length;
    this.lines.push({ at: performance.now(), text });
    this.waiters = this.waiters.filter((w) => {
      if (index >= w.from && w.re.test(text)) {
        w.resolve(index);
        return false;
      }
      return true;
    });
  }

  /** Index of the first line at or after `from` matching `re`, or -1. */
  find(re: RegExp, from = 0): number {
    for (let i = from; i < this.lines.length; i++) if (re.test(this.lines[i]!.text)) return i;
    return -1;
  }

  count(re: RegExp): number {
    return this.lines.filter((l) => re.test(l.text)).length;
  }

  /** Resolves with the line index; rejects after `timeoutMs` naming the pattern and the output. */
  wait(re: RegExp, timeoutMs: number, from = 0): Promise<number> {
    const found = this.find(re, from);
    if (found >= 0) return Promise.resolve(found);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}; output:\n${this.text()}`));
      }, timeoutMs);
      const done = (i: number): void => {
        clearTimeout(timer);
        resolvePromise(i);
      };
      this.waiters.push({ re, from, resolve: done });
    });
  }

  text(): string {
    return this.lines.map((l) => l.text).join('\n');
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `predicate` every `stepMs` until true; returns the time it took, or throws after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs: number,
  what: string,
  stepMs = 20,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (predicate()) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(stepMs);
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` when dist/keepalived-ts.js is missing or older than any file in src/ or web/. */
export function ensureBuilt(): void {
  const newest = Math.max(newestMtime(join(REPO_ROOT, 'src')), newestMtime(join(REPO_ROOT, 'web')));
  const stale = !existsSync(DIST_ENTRY) || statSync(DIST_ENTRY).mtimeMs < newest;
  if (stale) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
}

/**
 * Bundles a TypeScript harness (run as a child inside a namespace) next to node_modules so the
 * native externals resolve. Returns the path of the .mjs file.
 */
export async function bundleHarness(entry: string, name: string): Promise<string> {
  const { build } = await import('esbuild');
  const outDir = join(REPO_ROOT, 'node_modules', '.cache', 'kts-harness');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
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
      js: "import { createRequire as __ktsCreateRequire } from 'node:module';\nconst require = __ktsCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
}

/** A daemon (keepalived-ts or keepalived) running in a namespace, with its output collected. */
export interface Daemon {
  readonly name: string;
  readonly ns: string;
  readonly child: ChildProcess;
  readonly lines: LineCollector;
  readonly pidFile: string;
  /** --runtime-dir, and the daemon's $TMPDIR: where its dump files go unless the config moves them. */
  readonly runtimeDir: string;
  readonly configPath: string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
}

function startDaemon(
  bed: Testbed,
  ns: string,
  name: string,
  configText: string,
  argv: (paths: { config: string; pid: string; runtime: string }) => [string, string[]],
  env: (runtimeDir: string) => NodeJS.ProcessEnv = (runtimeDir) => ({ ...process.env, TMPDIR: runtimeDir }),
): Daemon {
  const dir = join(bed.tempDir, name);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'keepalived.conf');
  writeFileSync(configPath, configText);
  const pidFile = join(dir, 'daemon.pid');
  const runtimeDir = join(dir, 'run');
  const [cmd, args] = argv({ config: configPath, pid: pidFile, runtime: runtimeDir });
  // Each daemon's dump files (keepalived.data, .stats, .json: $TMPDIR, else /tmp) in its own
  // runtime dir, so daemons side by side never share /tmp/keepalived.*.
  mkdirSync(runtimeDir, { recursive: true });
  const child = bed.spawnIn(ns, cmd, args, env(runtimeDir));
  const lines = new LineCollector(child);
  const exited = new Promise<number | string>((r) =>
    child.on('exit', (code, signal) => r(code ?? signal ?? -1)),
  );
  return { name, ns, child, lines, pidFile, runtimeDir, configPath, exited };
}

/** `node dist/keepalived-ts.js -n -l -D -P [extra...] -f CONF -p PID --runtime-dir DIR` in `ns`. */
export function startKeepalivedTs(
  bed: Testbed,
  ns: string,
  name: string,
  configText: string,
  extra: readonly string[] = [],
  /** The daemon's environment (default: ours with TMPDIR set to its runtime dir). */
  env?: (runtimeDir: string) => NodeJS.ProcessEnv,
): Daemon {
  return startDaemon(
    bed,
    ns,
    name,
    configText,
    (p) => [
      process.execPath,
      [
        DIST_ENTRY,
        ...daemonArgs({
          config: p.config,
          pidFile: p.pid,
          runtimeDir: p.runtime,
          only: 'vrrp',
          logDetail: true,
          extra,
        }),
      ],
    ],
    env,
  );
}

/** The real keepalived (VRRP only) with its own pid files under the test's temp dir. */
export function startKeepalived(bed: Testbed, ns: string, name: string, configText: string): Daemon {
  return startDaemon(bed, ns, name, configText, (p) => [
    'keepalived',
    ['-n', '-l', '-D', '-P', '-f', p.config, '-p', p.pid, '-r', `${p.pid}.vrrp`],
  ]);
}

/** Sends a signal to the daemon process itself (not the `ip netns exec` wrapper, which execs it). */
export function signalDaemon(d: Daemon, signal: NodeJS.Signals): void {
  if (d.child.pid !== undefined) process.kill(d.child.pid, signal);
}

export interface InstanceSpec {
  readonly name?: string;
  readonly state?: 'MASTER' | 'BACKUP';
  readonly priority: number;
  readonly vrid?: number;
  readonly advertInt?: number;
  readonly password?: string | null;
  readonly vips: readonly string[];
  /** Extra lines inside the vrrp_instance block. */
  readonly extra?: readonly string[];
}

/** A keepalived.conf with one vrrp_instance on eth0 and optional extra top-level blocks. */
export function vrrpConfig(spec: InstanceSpec, topLevel: readonly string[] = []): string {
  const auth =
    spec.password === null
      ? []
      : ['  authentication {', '    auth_type PASS', `    auth_pass ${spec.password ?? 'kts-vio'}`, '  }'];
  return [
    ...topLevel,
    `vrrp_instance ${spec.name ?? 'VI_1'} {`,
    `  state ${spec.state ?? 'BACKUP'}`,
    '  interface eth0',
    `  virtual_router_id ${spec.vrid ?? 51}`,
    `  priority ${spec.priority}`,
    `  advert_int ${spec.advertInt ?? 1}`,
    ...auth,
    '  virtual_ipaddress {',
    ...spec.vips.map((v) => `    ${v}`),
    '  }',
    ...(spec.extra ?? []).map((l) => `  ${l}`),
    '}',
    '',
  ].join('\n');
}

/** Stops a daemon with SIGTERM and waits for it (SIGKILL after `timeoutMs`). */
export async function stopDaemon(d: Daemon, timeoutMs = 10_000): Promise<number | string> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return d.exited;
  signalDaemon(d, 'SIGTERM');
  const timer = setTimeout(() => signalDaemon(d, 'SIGKILL'), timeoutMs);
  const code = await d.exited;
  clearTimeout(timer);
  return code;
}
