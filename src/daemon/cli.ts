/**
 * Command line, keepalived's flags (keepalived(8)) plus keepalived-ts extras.
 * Pure: argv in, a typed command out (or a usage error); main.ts acts on it.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_LOG_FILE, parseLogFacility } from './log-format.js';
import { CONTROL_USAGE, parseControlCommand, type ControlCli } from './control-cli.js';
import { parseRealServerCommand, REALSERVER_USAGE, type RealServerCli } from './realserver-cli.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';

export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';

/** Set in the environment of the detached daemon that a command without `-n` starts (daemon/detach.ts). */
export const DETACHED_CHILD_ENV = 'KEEPALIVED_TS_DETACHED';

export interface DaemonOptions {
  readonly configFile: string;
  readonly configId: string | null;
  /** -P / -C: which subsystems run; neither given = both, as keepalived. */
  readonly runVrrp: boolean;
  readonly runChecker: boolean;
  readonly logConsole: boolean;
  readonly logDetail: boolean;
  /** -S: the syslog facility code (<syslog.h>, already shifted), or null for LOG_DAEMON. */
  readonly logFacility: number | null;
  /** -g[FILE]: the log file name as given (a relative one is in $TMPDIR or /tmp, log-format.ts). */
  readonly logFile: string | null;
  /** --flush-log-file: each log file line is written before the daemon goes on. */
  readonly flushLogFile: boolean;
  /** --log-format: keepalived's text lines, or pino's JSON records. */
  readonly logFormat: 'text' | 'json';
  readonly noSyslog: boolean;
  readonly dontFork: boolean;
  readonly pidFile: string;
  readonly vrrpPidFile: string | null;
  readonly checkersPidFile: string | null;
  readonly runtimeDir: string;
  readonly dontReleaseVrrp: boolean;
  readonly dontReleaseIpvs: boolean;
  readonly releaseVips: boolean;
  readonly dontRespawn: boolean;
  readonly allConfig: boolean;
  readonly dumpConf: boolean;
  readonly noInterfaceCheck: boolean;
  readonly noIpvs: boolean;
  /** -u/--umask: the file creation mask, or null to keep the inherited one. */
  readonly umask: number | null;
  /** --watch-config: reload when the config or an included file changes. */
  readonly watchConfig: boolean;
  /** --metrics-listen: where /metrics and the status page are served (http-server.ts); null: not served. */
  readonly metricsListen: ListenAddress | null;
  /** --web-control: the status page may drain and enable real servers. */
  readonly webControl: boolean;
}

export type Command =
  | { readonly kind: 'run'; readonly options: DaemonOptions }
  | { readonly kind: 'config-test'; readonly options: DaemonOptions; readonly outputFile: string | null }
  | { readonly kind: 'dump-config'; readonly options: DaemonOptions }
  | {
      readonly kind: 'ipvs';
      readonly layout: IpvsListLayout;
      readonly options: DaemonOptions;
    }
  | { readonly kind: 'version'; readonly long: boolean }
  | { readonly kind: 'signum'; readonly name: string }
  | { readonly kind: 'help' }
  /** status, rs drain/enable, reload, vrrp standby/resume: talk to a running daemon (control-cli.ts). */
  | ControlCli
  | RealServerCli
  | { readonly kind: 'usage-error'; readonly message: string };

/** ipvsadm -Ln layouts: plain, --stats, --rate, --thresholds, --persistent-conn, --tun-info. */
export type IpvsListLayout = 'plain' | 'stats' | 'rate' | 'thresholds' | 'persistent-conn' | 'tun-info';
const IPVS_LAYOUTS = ['stats', 'rate', 'thresholds', 'persistent-conn', 'tun-info'] as const;

const SUBCOMMANDS = new Set(['dump-config', 'ipvs']);

export const USAGE = `Usage: keepalived-ts [OPTION...]
       keepalived-ts dump-config [-f FILE]
       keepalived-ts ipvs [--stats | --rate | --thresholds | --persistent-conn | --tun-info]
${CONTROL_USAGE}${REALSERVER_USAGE}
  -f, --use-file=FILE          Use the specified configuration file (default ${DEFAULT_CONFIG_FILE})
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -B, --no_bfd                 Don't run BFD subsystem (keepalived-ts has none)
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
  -g, --log-file[=FILE]        Also log to FILE (default /tmp/keepalived.log)
      --flush-log-file         Flush log file on write
  -G, --no-syslog              Don't log via syslog
      --log-format=text|json   keepalived's text lines (default) or JSON records
  -u, --umask=MASK             umask for file creation (in numeric form)
  -n, --dont-fork              Don't fork the daemon process
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to stderr by default
  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop
  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
  -X, --release-vips           Drop VIP on transition from signal
  -R, --dont-respawn           Don't respawn child processes
  -e, --all-config             Don't load if any configuration file is missing
  -d, --dump-conf              Dump the configuration data
      --runtime-dir=DIR        Directory for sockets (default /run/keepalived-ts)
      --no-interface-check     Don't warn about interfaces missing on this host (config test)
      --no-ipvs                Run health checkers without programming the kernel's IPVS table
      --watch-config           Reload when the configuration or an included file changes
      --metrics-listen=ADDR:PORT
                               Serve Prometheus /metrics and the status page on ADDR:PORT
      --web-control            Let the status page drain and enable real servers
      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
  -v, --version                Display the version number
  -h, --help                   Display this help message
`;

/**
 * keepalived 2.2.7 flags (its `-h`) that keepalived-ts does not implement: each is refused with a
 * one-line error naming it rather than accepted and ignored.
 */
const UNSUPPORTED_OPTIONS = {
  namespace: {
    type: 'string',
    short: 's',
    why: 'run keepalived-ts inside the namespace instead (ip netns exec NAME keepalived-ts ...)',
  },
  'address-monitoring': {
    type: 'boolean',
    short: 'a',
    why: 'keepalived-ts does not log netlink address events',
  },
  snmp: { type: 'boolean', short: 'x', why: 'keepalived-ts has no SNMP subsystem' },
  'snmp-agent-socket': { type: 'string', short: 'A', why: 'keepalived-ts has no SNMP subsystem' },
  'core-dump': {
    type: 'boolean',
    short: 'm',
    why: 'set the core limit with ulimit -c or LimitCORE= instead',
  },
  'core-dump-pattern': { type: 'string', short: 'M', why: 'set kernel.core_pattern with sysctl instead' },
  genhash: { type: 'boolean', short: 'T', why: 'genhash mode is not part of keepalived-ts' },
  bfd_pid: { type: 'string', short: 'b', why: 'keepalived-ts has no BFD subsystem' },
  all: {
    type: 'boolean',
    why: 'each subsystem starts when the config first needs it, at start-up or on a reload',
  },
} as const;

/** keepalived's set_umask (core/main.c): strtoll base 0 (0NNN octal, 0xNN hex, decimal), within 0777. */
export function parseUmask(text: string): number | null {
  const t = text.trim();
  let n: number;
  if (/^0[0-7]*$/.test(t)) n = Number.parseInt(t, 8);
  else if (/^0x[0-9a-f]+$/i.test(t)) n = Number.parseInt(t.slice(2), 16);
  else if (/^[1-9][0-9]*$/.test(t)) n = Number(t);
  else return null;
  return n <= 0o777 ? n : null;
}

export function parseCommandLine(argv: readonly string[]): Command {
  const control = parseControlCommand(argv) ?? parseRealServerCommand(argv);
  if (control !== null) return control;
  const args = [...argv];
  let sub: string | null = null;
  if (args.length > 0 && SUBCOMMANDS.has(args[0]!)) sub = args.shift()!;

  // keepalived's `--config-test[=FILE]` has an optional value, which parseArgs cannot express.
  let configTest = false;
  let configTestFile: string | null = null;
  // `-g[FILE]`/`--log-file[=FILE]` has one too (getopt optional_argument: only attached).
  let logFile: string | null = null;
  const rest: string[] = [];
  for (const [i, a] of args.entries()) {
    const g = i > 0 && takesSeparateValue(args[i - 1]!) ? null : logFileArgument(a);
    if (g !== null) {
      logFile = g.file ?? DEFAULT_LOG_FILE;
      if (g.others !== null) rest.push(g.others);
      continue;
    }
    if (a === '-t' || a === '--config-test') configTest = true;
    else if (a.startsWith('--config-test=')) {
      configTest = true;
      configTestFile = a.slice('--config-test='.length) || null;
    } else rest.push(a);
  }

  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: false,
      strict: true,
      options: {
        'use-file': { type: 'string', short: 'f' },
        vrrp: { type: 'boolean', short: 'P' },
        check: { type: 'boolean', short: 'C' },
        'log-console': { type: 'boolean', short: 'l' },
        'log-detail': { type: 'boolean', short: 'D' },
        'log-facility': { type: 'string', short: 'S' },
        'flush-log-file': { type: 'boolean' },
        'log-format': { type: 'string' },
        'no-syslog': { type: 'boolean', short: 'G' },
        'dont-fork': { type: 'boolean', short: 'n' },
        pid: { type: 'string', short: 'p' },
        vrrp_pid: { type: 'string', short: 'r' },
        checkers_pid: { type: 'string', short: 'c' },
        'config-id': { type: 'string', short: 'i' },
        'dont-release-vrrp': { type: 'boolean', short: 'V' },
        'dont-release-ipvs': { type: 'boolean', short: 'I' },
        'release-vips': { type: 'boolean', short: 'X' },
        'dont-respawn': { type: 'boolean', short: 'R' },
        'all-config': { type: 'boolean', short: 'e' },
        'dump-conf': { type: 'boolean', short: 'd' },
        no_bfd: { type: 'boolean', short: 'B' },
        umask: { type: 'string', short: 'u' },
        'watch-config': { type: 'boolean' },
        'metrics-listen': { type: 'string' },
        'web-control': { type: 'boolean' },
        ...UNSUPPORTED_OPTIONS,
        'runtime-dir': { type: 'string' },
        'no-interface-check': { type: 'boolean' },
        'no-ipvs': { type: 'boolean' },
        stats: { type: 'boolean' },
        rate: { type: 'boolean' },
        thresholds: { type: 'boolean' },
        'persistent-conn': { type: 'boolean' },
        'tun-info': { type: 'boolean' },
        signum: { type: 'string' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    // parseArgs adds a hint about positionals after the first sentence; keep the error to one line.
    return { kind: 'usage-error', message: (e as Error).message.split('. To specify')[0]! };
  }
  const v = parsed.values;
  for (const [name, spec] of Object.entries(UNSUPPORTED_OPTIONS)) {
    if ((v as Record<string, unknown>)[name] !== undefined) {
      const flag = 'short' in spec ? `-${spec.short}/--${name}` : `--${name}`;
      return { kind: 'usage-error', message: `${flag} is not supported: ${spec.why}` };
    }
  }
  let umask: number | null = null;
  if (v.umask !== undefined) {
    umask = parseUmask(v.umask);
    if (umask === null) return { kind: 'usage-error', message: `Invalid --umask option ${v.umask}` };
  }
  let logFacility: number | null = null;
  if (v['log-facility'] !== undefined) {
    logFacility = parseLogFacility(v['log-facility']);
    // keepalived 2.2.7 prints this line and carries on with LOG_DAEMON; a daemon logging where
    // nobody looks is worse than one that does not start (docs/operations.md "Logs").
    if (logFacility === null)
      return { kind: 'usage-error', message: `Invalid log facility '${v['log-facility']}'` };
  }
  const logFormat = v['log-format'] ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') {
    return { kind: 'usage-error', message: `Invalid --log-format '${logFormat}' (text or json)` };
  }
  let metricsListen: ListenAddress | null = null;
  if (v['metrics-listen'] !== undefined) {
    metricsListen = parseListenAddress(v['metrics-listen']);
    if (metricsListen === null)
      return {
        kind: 'usage-error',
        message: `Invalid --metrics-listen '${v['metrics-listen']}' (ADDR:PORT, [ADDR]:PORT or :PORT)`,
      };
  }
  if (v['web-control'] === true && metricsListen === null)
    return { kind: 'usage-error', message: '--web-control needs --metrics-listen' };
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version', long: rest.includes('--version') };
  if (v.signum !== undefined) return { kind: 'signum', name: v.signum };
  const layouts = IPVS_LAYOUTS.filter((l) => v[l] === true);
  if (layouts.length > 0 && sub !== 'ipvs') {
    return { kind: 'usage-error', message: `--${layouts[0]} goes with the ipvs command` };
  }
  if (layouts.length > 1) {
    return { kind: 'usage-error', message: `choose one of --${layouts.join(', --')}` };
  }

  const onlyVrrp = v.vrrp === true;
  const onlyCheck = v.check === true;
  const options: DaemonOptions = {
    configFile: v['use-file'] ?? DEFAULT_CONFIG_FILE,
    configId: v['config-id'] ?? null,
    runVrrp: onlyVrrp || !onlyCheck,
    runChecker: onlyCheck || !onlyVrrp,
    logConsole: v['log-console'] === true,
    logDetail: v['log-detail'] === true,
    logFacility,
    logFile,
    flushLogFile: v['flush-log-file'] === true,
    logFormat,
    noSyslog: v['no-syslog'] === true,
    dontFork: v['dont-fork'] === true,
    pidFile: v.pid ?? '/run/keepalived-ts.pid',
    vrrpPidFile: v.vrrp_pid ?? null,
    checkersPidFile: v.checkers_pid ?? null,
    runtimeDir: v['runtime-dir'] ?? '/run/keepalived-ts',
    dontReleaseVrrp: v['dont-release-vrrp'] === true,
    dontReleaseIpvs: v['dont-release-ipvs'] === true,
    releaseVips: v['release-vips'] === true,
    dontRespawn: v['dont-respawn'] === true,
    allConfig: v['all-config'] === true,
    dumpConf: v['dump-conf'] === true,
    noInterfaceCheck: v['no-interface-check'] === true,
    noIpvs: v['no-ipvs'] === true,
    umask,
    watchConfig: v['watch-config'] === true,
    metricsListen,
    webControl: v['web-control'] === true,
  };
  if (sub === 'dump-config') return { kind: 'dump-config', options };
  if (sub === 'ipvs') return { kind: 'ipvs', layout: layouts[0] ?? 'plain', options };
  if (configTest) return { kind: 'config-test', options, outputFile: configTestFile };
  return { kind: 'run', options };
}

/** Short options that take a value: the rest of a cluster after one of them is that value. */
const SHORT_WITH_VALUE = new Set(['f', 'S', 'p', 'r', 'c', 'i', 'u', 's', 'A', 'M', 'b']);

const LONG_WITH_VALUE = new Set([
  '--use-file',
  '--log-facility',
  '--pid',
  '--vrrp_pid',
  '--checkers_pid',
  '--config-id',
  '--umask',
  '--namespace',
  '--snmp-agent-socket',
  '--core-dump-pattern',
  '--bfd_pid',
  '--runtime-dir',
  '--signum',
  '--log-format',
  '--metrics-listen',
]);

/** An option whose value is the next argument (`-p FILE`, `--pid FILE`, `-nlp FILE`). */
function takesSeparateValue(a: string): boolean {
  if (a.startsWith('--')) return LONG_WITH_VALUE.has(a);
  return (
    a.length > 1 &&
    a.startsWith('-') &&
    SHORT_WITH_VALUE.has(a[a.length - 1]!) &&
    !a
      .slice(1, -1)
      .split('')
      .some((c) => SHORT_WITH_VALUE.has(c))
  );
}

/**
 * `-g`, `-gFILE`, `--log-file`, `--log-file=FILE`, or a cluster such as `-nlg` / `-lgFILE`
 * (getopt: the rest of the cluster after `g` is its value): the file (null: the default) and
 * the cluster's other flags (null: none). null when the argument is not -g.
 */
function logFileArgument(a: string): { file: string | null; others: string | null } | null {
  if (a === '--log-file') return { file: null, others: null };
  if (a.startsWith('--log-file=')) return { file: a.slice('--log-file='.length) || null, others: null };
  if (!a.startsWith('-') || a.startsWith('--')) return null;
  for (let i = 1; i < a.length; i++) {
    const c = a[i]!;
    if (c === 'g') {
      return { file: a.slice(i + 1) || null, others: i > 1 ? a.slice(0, i) : null };
    }
    if (SHORT_WITH_VALUE.has(c)) return null;
  }
  return null;
}
