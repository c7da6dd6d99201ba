/**
 * PURE: the command line of the control commands (docs/control.md), which talk to a running
 * daemon over its control socket:
 *
 *   keepalived-ts status [--json]
 *   keepalived-ts rs drain VS RS [--protocol P] [--wait [SECONDS]]
 *   keepalived-ts rs enable VS RS [--protocol P]
 *   keepalived-ts reload
 *   keepalived-ts vrrp standby [INSTANCE] | vrrp resume [INSTANCE]
 *
 * each with `--runtime-dir DIR` naming the daemon (its socket is DIR/control.sock).
 */
import { parseArgs } from 'node:util';
import type { ControlCommand, Protocol } from './control-protocol.js';

/** The daemon's default --runtime-dir (cli.ts). */
const DEFAULT_RUNTIME_DIR = '/run/keepalived-ts';

export const CONTROL_USAGE = `       keepalived-ts status [--json] [--runtime-dir DIR]
       keepalived-ts rs drain VS RS [--protocol TCP|UDP|SCTP] [--wait [SECONDS]] [--runtime-dir DIR]
       keepalived-ts rs enable VS RS [--protocol TCP|UDP|SCTP] [--runtime-dir DIR]
       keepalived-ts reload [--runtime-dir DIR]
       keepalived-ts vrrp standby|resume [INSTANCE] [--runtime-dir DIR]
`;

export interface ControlCli {
  readonly kind: 'control';
  readonly command: ControlCommand;
  readonly runtimeDir: string;
  /** status: print the JSON status model instead of the table. */
  readonly json: boolean;
  /**
   * rs drain --wait: wait until the kernel shows no active connection for the server; the
   * number of seconds at most, Infinity without a limit; null: do not wait.
   */
  readonly waitSeconds: number | null;
}

export type ControlCliResult = ControlCli | { readonly kind: 'usage-error'; readonly message: string };

const CONTROL_SUBCOMMANDS = new Set(['status', 'rs', 'reload', 'vrrp']);

/** The control command in `argv`, a usage error, or null when argv is not a control command. */
export function parseControlCommand(argv: readonly string[]): ControlCliResult | null {
  const sub = argv[0];
  if (sub === undefined || !CONTROL_SUBCOMMANDS.has(sub)) return null;
  const usage = (message: string): ControlCliResult => ({ kind: 'usage-error', message });
  // `--wait [SECONDS]`: an optional value, which parseArgs cannot express.
  let waitSeconds: number | null = null;
  const rest: string[] = [];
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--wait') {
      const next = args[i + 1];
      if (next !== undefined && /^\d+(\.\d+)?$/.test(next)) {
        waitSeconds = Number(next);
        i++;
      } else waitSeconds = Infinity;
    } else if (a.startsWith('--wait=')) {
      const v = a.slice('--wait='.length);
      if (!/^\d+(\.\d+)?$/.test(v))
        return usage(`--wait takes a number of seconds, not ${JSON.stringify(v)}`);
      waitSeconds = Number(v);
    } else rest.push(a);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        'runtime-dir': { type: 'string' },
        json: { type: 'boolean' },
        protocol: { type: 'string' },
      },
    });
  } catch (e) {
    return usage((e as Error).message.split('. To specify')[0]!);
  }
  const v = parsed.values;
  const pos = parsed.positionals;
  const runtimeDir = v['runtime-dir'] ?? DEFAULT_RUNTIME_DIR;
  const json = v.json === true;
  if (json && sub !== 'status') return usage('--json goes with the status command');
  if (v.protocol !== undefined && sub !== 'rs') return usage('--protocol goes with the rs command');
  if (waitSeconds !== null && !(sub === 'rs' && pos[0] === 'drain'))
    return usage('--wait goes with rs drain');
  const done = (command: ControlCommand): ControlCli => ({
    kind: 'control',
    command,
    runtimeDir,
    json,
    waitSeconds,
  });
  switch (sub) {
    case 'status':
    case 'reload':
      if (pos.length > 0) return usage(`${sub} takes no argument`);
      return done({ cmd: sub });
    case 'rs': {
      const [action, vs, rs, ...extra] = pos;
      if (action !== 'drain' && action !== 'enable') return usage('rs drain VS RS | rs enable VS RS');
      if (vs === undefined || rs === undefined || extra.length > 0)
        return usage(
          `rs ${action} takes a virtual server and a real server (ADDR:PORT, [ADDR]:PORT, fwmark:N)`,
        );
      let protocol: Protocol | null = null;
      if (v.protocol !== undefined) {
        const p = v.protocol.toUpperCase();
        if (p !== 'TCP' && p !== 'UDP' && p !== 'SCTP') return usage('--protocol is TCP, UDP or SCTP');
        protocol = p;
      }
      return done({ cmd: action === 'drain' ? 'rs.drain' : 'rs.enable', vs, rs, protocol });
    }
    case 'vrrp': {
      const [action, instance, ...extra] = pos;
      if (action !== 'standby' && action !== 'resume')
        return usage('vrrp standby [INSTANCE] | vrrp resume [INSTANCE]');
      if (extra.length > 0) return usage(`vrrp ${action} takes at most one instance name`);
      return done({ cmd: action === 'standby' ? 'vrrp.standby' : 'vrrp.resume', instance: instance ?? null });
    }
  }
  return null;
}
