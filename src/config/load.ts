/**
 * EDGE: the whole config front end in one call - read files (parse.ts), build the model
 * (schema.ts), check it against this host (semantic.ts checkHost) - and the `-t` exit code.
 * The host facts (interfaces, script permissions, users) are read here and nowhere else.
 */
import {
  closeSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { decodeKeyValue, type KeyFileResult } from './auth-hmac-key.js';
import { networkInterfaces } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Diagnostic } from './diagnostics.js';
import { exitCodeFor } from './diagnostics-format.js';
import { DiagnosticList } from './keywords/types.js';
import type { Config } from './model.js';
import type { ConfigFs } from './parse.js';
import { capDiagnostics, parseConfigFiles } from './parse.js';
import { buildConfig } from './schema.js';
import type { HostFacts } from './semantic.js';
import { checkHost } from './semantic.js';

export interface LoadOptions {
  readonly configId: string | null;
  /** false = `--no-interface-check`: validate a config meant for another host. */
  readonly checkInterfaces: boolean;
  /** Interface names to check against instead of this host's. */
  readonly interfaceNames?: readonly string[];
  /** The loopback interfaces among them (default: this host's when its names are used, else none). */
  readonly loopbackNames?: readonly string[];
  /** `-e/--all-config`. */
  readonly allConfig?: boolean;
  readonly fs?: ConfigFs;
  /** Replaces the host's script and user facts (tests). */
  readonly host?: Partial<Pick<HostFacts, 'scriptStatus' | 'userExists' | 'groupExists'>>;
}

export interface LoadResult {
  /** null when the daemon could not run this config (a fatal diagnostic). */
  readonly config: Config | null;
  readonly diagnostics: Diagnostic[];
  readonly exitCode: 0 | 4 | 5 | 6;
}

export async function loadConfig(path: string, opts: LoadOptions): Promise<LoadResult> {
  try {
    return loadUnguarded(path, opts);
  } catch (e) {
    // The front end is total by design (property-tested); reaching this is a bug, reported as a
    // diagnostic so that `-t` still prints one line instead of a stack trace.
    const diagnostics: Diagnostic[] = [
      {
        severity: 'fatal',
        code: 'internal-error',
        message: `Internal error while reading the configuration (this is a bug): ${e instanceof Error ? e.message : String(e)}`,
        loc: null,
      },
    ];
    return { config: null, diagnostics, exitCode: 4 };
  }
}

function loadUnguarded(path: string, opts: LoadOptions): LoadResult {
  const parsed = parseConfigFiles(path, { configId: opts.configId, allConfig: opts.allConfig, fs: opts.fs });
  if (parsed.diagnostics.some((d) => d.severity === 'fatal')) {
    const diagnostics = [...parsed.diagnostics];
    return { config: null, diagnostics, exitCode: exitCodeFor(diagnostics) };
  }
  const built = buildConfig(parsed.statements, parsed.files, readAuthHmacKeyFile);
  const hostSink = new DiagnosticList();
  const host: HostFacts = {
    interfaces: opts.checkInterfaces ? new Set(opts.interfaceNames ?? hostInterfaceNames()) : null,
    loopbacks: new Set(opts.loopbackNames ?? (opts.interfaceNames === undefined ? hostLoopbackNames() : [])),
    scriptStatus: opts.host?.scriptStatus ?? scriptStatus,
    userExists: opts.host?.userExists ?? userExists,
    groupExists: opts.host?.groupExists ?? groupExists,
  };
  const config = checkHost(built.config, host, hostSink, built.lines);
  const diagnostics = sortByPlace(
    capDiagnostics([...parsed.diagnostics, ...built.diagnostics, ...hostSink.items]),
    parsed.files,
  );
  const exitCode = exitCodeFor(diagnostics);
  return { config: exitCode === 4 ? null : config, diagnostics, exitCode };
}

/** Line order within each file, files in the order read; problems without a line last. */
function sortByPlace(list: Diagnostic[], files: readonly string[]): Diagnostic[] {
  const fileIndex = new Map(files.map((f, i) => [f, i]));
  const rank = (d: Diagnostic): [number, number] =>
    d.loc === null ? [Number.MAX_SAFE_INTEGER, 0] : [fileIndex.get(d.loc.file) ?? files.length, d.loc.line];
  return list
    .map((d, i) => ({ d, i, r: rank(d) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.i - b.i)
    .map((x) => x.d);
}

/** Every interface of this host, with or without addresses. */
export function hostInterfaceNames(): string[] {
  try {
    return readdirSync('/sys/class/net');
  } catch {
    return Object.keys(networkInterfaces());
  }
}

/** ARPHRD_LOOPBACK in /sys/class/net/NAME/type. */
const ARPHRD_LOOPBACK = 772;

/** This host's loopback interfaces (`lo`, and any other of that type). */
export function hostLoopbackNames(): string[] {
  return hostInterfaceNames().filter((name) => {
    try {
      return Number(readFileSync(`/sys/class/net/${name}/type`, 'utf8').trim()) === ARPHRD_LOOPBACK;
    } catch {
      return name === 'lo';
    }
  });
}

function resolveOnPath(program: string): string | null {
  if (program.includes('/')) return isAbsolute(program) ? program : null;
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    const p = join(dir, program);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/**
 * keepalived's check_script_secure / check_security (core/notify.c): the script (after path search
 * and realpath) must exist, and along its path from `/` no component may be owned by a non-root
 * user, and no file or non-sticky directory may be writable by others or by a non-root group.
 */
export function scriptStatus(program: string): 'ok' | 'missing' | 'insecure' {
  const found = resolveOnPath(program);
  if (found === null) return 'missing';
  let real: string;
  try {
    real = realpathSync(found);
    if (!statSync(real).isFile()) return 'missing';
  } catch {
    return 'missing';
  }
  const parts = real.split('/').filter((x) => x !== '');
  let p = '';
  for (let i = -1; i < parts.length; i++) {
    p = i < 0 ? '/' : `${p === '/' ? '' : p}/${parts[i]}`;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return 'missing';
    }
    const last = i === parts.length - 1;
    if ((!last && !st.isDirectory()) || (last && !st.isFile())) return 'missing';
    const checked = (st.isDirectory() && (st.mode & 0o1000) === 0) || st.isFile();
    const writable = (st.gid !== 0 && (st.mode & 0o020) !== 0) || (st.mode & 0o002) !== 0;
    if (st.uid !== 0 || (checked && writable)) return 'insecure';
  }
  return 'ok';
}

let passwdUsers: Set<string> | null = null;
let groupNames: Set<string> | null = null;
export function groupExists(name: string): boolean {
  if (groupNames === null) {
    try {
      groupNames = new Set(
        readFileSync('/etc/group', 'utf8')
          .split('\n')
          .map((l) => l.split(':')[0] ?? '')
          .filter((n) => n !== ''),
      );
    } catch {
      groupNames = new Set(['root']);
    }
  }
  return groupNames.has(name) || /^\d+$/.test(name);
}

export function userExists(name: string): boolean {
  if (passwdUsers === null) {
    try {
      passwdUsers = new Set(
        readFileSync('/etc/passwd', 'utf8')
          .split('\n')
          .map((l) => l.split(':')[0] ?? '')
          .filter((n) => n !== ''),
      );
    } catch {
      passwdUsers = new Set(['root']);
    }
  }
  return passwdUsers.has(name) || /^\d+$/.test(name);
}

/** keepalived's buffer: `hex:`, 64 bytes as digits, slack; a longer file is refused. */
const KEY_FILE_MAX = 4 + 64 * 2 + 8 - 1;

/** vrrp_parser.c vrrp_auth_hmac_read_key_file: an auth_hmac `file:` key. */
export function readAuthHmacKeyFile(path: string): KeyFileResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { ok: false, problem: 'cannot be opened' };
  }
  try {
    const groupOrOther = (fstatSync(fd).mode & 0o077) !== 0;
    const buf = Buffer.alloc(KEY_FILE_MAX + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > KEY_FILE_MAX) return { ok: false, problem: 'is too large' };
    let end = n;
    while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d)) end--;
    return { ok: true, bytes: decodeKeyValue(buf.subarray(0, end).toString('latin1')), groupOrOther };
  } catch {
    return { ok: false, problem: 'cannot be opened' };
  } finally {
    closeSync(fd);
  }
}
