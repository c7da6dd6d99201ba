/**
 * keepalived's dump files: where they go and what each signal writes (docs/operations.md "Dump
 * files"). The texts come from the subsystems (vrrp/dumps.ts, check/dumps.ts) and from the
 * Global definitions formatter (config/global-dump.ts); net/dump-file.ts writes them safely.
 *
 * | signal       | file (default dir: $TMPDIR if absolute, else /tmp)                    |
 * |--------------|-----------------------------------------------------------------------|
 * | USR1         | keepalived_parent.data; keepalived.data (VRRP); keepalived_check.data |
 * | USR2         | keepalived.stats (VRRP)                                               |
 * | SIGRTMAX-1   | keepalived.stats, then every counter it shows is zeroed                |
 * | SIGRTMIN+2   | keepalived.json (VRRP); keepalived_check.json (LVS, beyond keepalived) |
 *
 * `state_dump_file`, `stats_dump_file`, `json_dump_file` (keepalived 2.3.3; aliases
 * `state_file_location`, ...) move them, with keepalived 2.3.3's rules (core/global_data.c
 * `open_dump_file`): a path ending in `/` is a directory for the usual names, a relative one is
 * taken in the default directory, and the checker's and parent's data files are the state file's
 * name with `_check` or `_parent` before its extension.
 */
import { realpathSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Config } from '../config/model.js';
import type { GlobalDumpContext } from '../config/global-dump.js';
import { globalDefinitionsLines } from '../config/global-dump.js';
import { DUMP_FILE_MODE, writeDumpFile, type DumpFileOptions } from '../net/dump-file.js';
import { resolveScriptUser } from '../net/exec.js';
import type { Logger } from '../util/log.js';

export type DumpKind = 'data' | 'stats' | 'json';

/** Which keepalived process's files a subsystem writes. */
export type DumpProcess = 'parent' | 'vrrp' | 'checker';

const DEFAULT_NAMES: Record<DumpKind, string> = {
  data: 'keepalived.data',
  stats: 'keepalived.stats',
  json: 'keepalived.json',
};

const SUFFIX: Record<DumpProcess, string> = { parent: '_parent', vrrp: '', checker: '_check' };

/** keepalived's tmp_dir (lib/utils.c `set_tmp_dir`): $TMPDIR when absolute, else /tmp. */
export function dumpDirectory(env: NodeJS.ProcessEnv): string {
  const t = env['TMPDIR'];
  return t !== undefined && t.startsWith('/') ? t : '/tmp';
}

/** The file a dump of `kind` for `process` goes to, given the config's setting (or null). */
export function dumpFilePath(
  kind: DumpKind,
  process: DumpProcess,
  setting: string | null,
  tmpDir: string,
): string {
  let dir = tmpDir;
  let name = DEFAULT_NAMES[kind];
  if (setting !== null && setting !== '') {
    if (isAbsolute(setting))
      dir = setting.endsWith('/') ? setting.replace(/\/+$/, '') || '/' : dirname(setting);
    if (!setting.endsWith('/')) name = basename(setting);
  }
  const dot = name.lastIndexOf('.');
  const stem = dot === -1 ? name : name.slice(0, dot);
  const ext = dot === -1 ? '' : name.slice(dot);
  return join(dir, `${stem}${SUFFIX[process]}${ext}`);
}

/** The ids a script runs as: its own user, else script_user, else keepalived_script, else root. */
export function scriptIdsFor(
  config: Config,
): (user: string | null, group: string | null) => { uid: number; gid: number } {
  const global = config.globalDefs.scriptUser;
  return (user, group) => {
    const r =
      user !== null
        ? resolveScriptUser(user, group)
        : resolveScriptUser(global?.user ?? null, global?.group ?? null);
    return r.ok ? { uid: r.value.identity.uid, gid: r.value.identity.gid } : { uid: 0, gid: 0 };
  };
}

/**
 * A script's program as keepalived prints it (notify.c check_script_secure resolves it): found
 * on PATH when it has no slash, symlinks followed; as written when it cannot be resolved.
 */
export function realProgramPath(argv0: string, env: NodeJS.ProcessEnv = process.env): string {
  const candidates = argv0.includes('/')
    ? [argv0]
    : (env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').map((d) => join(d, argv0));
  for (const c of candidates) {
    try {
      return realpathSync(c);
    } catch {
      // not there: the next one
    }
  }
  return argv0;
}

/**
 * The Global definitions' facts of this host: its name, the daemon's user, and script users
 * resolved as the script runner resolves them (a script's own user, else script_user, else
 * keepalived_script, else root). Reads /etc/passwd at each dump, as a reload may change users.
 */
export function hostGlobalContext(
  umask: number | null,
): (config: Config, who: DumpProcess) => GlobalDumpContext {
  return (config, who) => {
    const idsOf = scriptIdsFor(config);
    let userName = 'root';
    try {
      userName = userInfo().username;
    } catch {
      // no passwd entry for our uid: keepalived would print no email_from; root is the daemon's user
    }
    return {
      process: who,
      hostname: hostname(),
      userName,
      defaultScriptIds: idsOf(null, null),
      umask: umask ?? 0o177,
      idsOf,
    };
  };
}

/** What one subsystem contributes to the dump files. */
export interface DumpSource {
  readonly process: Exclude<DumpProcess, 'parent'>;
  /** Its data file after the Global definitions. */
  dataText?(): string | Promise<string>;
  statsText?(): string;
  /** The JSON file's document (an array, or an object with json_version 2); null: no file. */
  jsonEntries?(): unknown | Promise<unknown>;
  clearStats?(): void;
}

export interface DumpFilesDeps {
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** keepalived -u: files get 0666 & ~umask; default 0600 (keepalived's umask 0177). */
  readonly umask: number | null;
  /** The Global definitions' facts of this host and process (hostname, script user ...). */
  readonly globalContext: (config: Config, process: DumpProcess) => GlobalDumpContext;
  /** The writer; default net/dump-file.ts. */
  readonly write?: (path: string, text: string, options: DumpFileOptions) => Promise<void>;
}

interface PathQueue {
  running: Promise<void>;
  /** The text of the write asked for while one runs: only the newest is kept. */
  next: (() => Promise<string | null>) | null;
}

/**
 * Writes the dump files. A signal never waits and never blocks the event loop: texts that need
 * the checker worker or the kernel are awaited, and while one write of a file runs, further
 * requests for it collapse into one (a burst of 100 USR1 writes each file at most twice).
 */
export class DumpFiles {
  private readonly queues = new Map<string, PathQueue>();
  private readonly mode: number;

  constructor(private readonly deps: DumpFilesDeps) {
    this.mode = deps.umask === null ? DUMP_FILE_MODE : 0o666 & ~deps.umask;
  }

  private path(config: Config, kind: DumpKind, who: DumpProcess): string {
    const g = config.globalDefs;
    const setting =
      kind === 'data' ? g.stateFileLocation : kind === 'stats' ? g.statsFileLocation : g.jsonFileLocation;
    return dumpFilePath(kind, who, setting, dumpDirectory(this.deps.env ?? process.env));
  }

  private globalText(config: Config, who: DumpProcess): string {
    return globalDefinitionsLines(config.globalDefs, this.deps.globalContext(config, who)).join('\n') + '\n';
  }

  /** SIGUSR1: the parent's file, then one data file per subsystem. */
  data(config: Config, sources: readonly DumpSource[]): Promise<void> {
    const writes = [
      this.enqueue(this.path(config, 'data', 'parent'), async () => this.globalText(config, 'parent')),
    ];
    for (const s of sources) {
      if (s.dataText === undefined) continue;
      const dataText = s.dataText.bind(s);
      writes.push(
        this.enqueue(
          this.path(config, 'data', s.process),
          async () => this.globalText(config, s.process) + (await dataText()),
        ),
      );
    }
    return Promise.all(writes).then(() => {});
  }

  /** SIGUSR2 (and SIGRTMAX-1 with `clear`: the file shows the counters, which are then zeroed). */
  stats(config: Config, sources: readonly DumpSource[], clear = false): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const s of sources) {
      if (s.statsText === undefined) continue;
      const path = this.path(config, 'stats', s.process);
      if (clear) {
        // keepalived's vrrp_print_stats(clear): the text of the counters before they go.
        const text = s.statsText();
        s.clearStats?.();
        writes.push(this.enqueue(path, async () => text));
      } else {
        const statsText = s.statsText.bind(s);
        writes.push(this.enqueue(path, async () => statsText()));
      }
    }
    if (clear) for (const s of sources) if (s.statsText === undefined) s.clearStats?.();
    return Promise.all(writes).then(() => {});
  }

  /** SIGRTMIN+2: each subsystem's JSON array, compact, one line, as keepalived's json_writer. */
  json(config: Config, sources: readonly DumpSource[]): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const s of sources) {
      if (s.jsonEntries === undefined) continue;
      const jsonEntries = s.jsonEntries.bind(s);
      const path = this.path(config, 'json', s.process);
      writes.push(
        this.enqueue(path, async () => {
          const entries = await jsonEntries();
          return entries === null ? null : `${JSON.stringify(entries)}\n`;
        }),
      );
    }
    return Promise.all(writes).then(() => {});
  }

  /** Runs one write of `path` now, or after the one running (collapsing with any waiting). */
  private enqueue(path: string, produce: () => Promise<string | null>): Promise<void> {
    const queued = this.queues.get(path);
    if (queued !== undefined) {
      queued.next = produce;
      return queued.running;
    }
    const entry: PathQueue = { running: Promise.resolve(), next: null };
    const run = async (first: () => Promise<string | null>): Promise<void> => {
      let job: (() => Promise<string | null>) | null = first;
      while (job !== null) {
        await this.writeOne(path, job);
        job = entry.next;
        entry.next = null;
      }
      this.queues.delete(path);
    };
    entry.running = run(produce);
    this.queues.set(path, entry);
    return entry.running;
  }

  private async writeOne(path: string, produce: () => Promise<string | null>): Promise<void> {
    try {
      const text = await produce();
      if (text === null) return;
      await (this.deps.write ?? writeDumpFile)(path, text, { mode: this.mode });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // keepalived: `Can't open dump file %s (%d: %s)` (core/global_data.c open_dump_file).
      const why = err.code !== undefined ? `${Math.abs(err.errno ?? 0)}: ${err.code}` : err.message;
      this.deps.logger.info(`Can't open dump file ${path} (${why})`);
    }
  }
}
