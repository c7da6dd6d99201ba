// keepalived-ts's command line as tests start it: in the foreground, logging to the console, with
// its own config, pid file and runtime dir so several daemons can run side by side. One builder for
// the argv of a spawned daemon and, parsed by the real parser, the DaemonOptions of an in-process one.
import { parseCommandLine, type DaemonOptions } from '../../src/daemon/cli.js';

export interface DaemonFlags {
  /** -f */
  readonly config: string;
  /** -p; the parser's default when omitted. */
  readonly pidFile?: string;
  /** --runtime-dir; the parser's default when omitted. */
  readonly runtimeDir?: string;
  /** -P (VRRP only), -C (checkers only) or neither (both). */
  readonly only?: 'vrrp' | 'check';
  /** -D */
  readonly logDetail?: boolean;
  /** Further flags, e.g. `--no-interface-check`, `--no-ipvs`. */
  readonly extra?: readonly string[];
}

/** `-n -l [-D] [-P|-C] [extra...] -f CONFIG [-p PID] [--runtime-dir DIR]`. */
export function daemonArgs(flags: DaemonFlags): string[] {
  return [
    '-n',
    '-l',
    ...(flags.logDetail ? ['-D'] : []),
    ...(flags.only === 'vrrp' ? ['-P'] : flags.only === 'check' ? ['-C'] : []),
    ...(flags.extra ?? []),
    '-f',
    flags.config,
    ...(flags.pidFile === undefined ? [] : ['-p', flags.pidFile]),
    ...(flags.runtimeDir === undefined ? [] : ['--runtime-dir', flags.runtimeDir]),
  ];
}

/** The DaemonOptions `keepalived-ts <daemonArgs(flags)>` runs with. */
export function daemonOptions(flags: DaemonFlags): DaemonOptions {
  const cmd = parseCommandLine(daemonArgs(flags));
  if (cmd.kind !== 'run') throw new Error(`daemonOptions: not a run command line (${cmd.kind})`);
  return cmd.options;
}
