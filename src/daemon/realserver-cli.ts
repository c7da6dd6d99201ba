/**
 * PURE: the command line of the real-server helper (docs/realserver.md):
 *
 *   keepalived-ts realserver setup --vip ADDR [--vip ADDR ...] --mode dr|tun [--interface IF]
 *   keepalived-ts realserver teardown [--vip ADDR ...]
 *
 * each with `--dry-run` (print the commands, change nothing) and `--runtime-dir DIR` (where the
 * state between setup and teardown is kept, DIR/realserver.json).
 */
import { parseArgs } from 'node:util';
import { parseVip, type RealServerMode, type RealServerVip } from '../realserver/plan.js';

const DEFAULT_RUNTIME_DIR = '/run/keepalived-ts';

export const REALSERVER_USAGE = `       keepalived-ts realserver setup --vip ADDR [--vip ADDR ...] --mode dr|tun [--interface IF] [--dry-run]
       keepalived-ts realserver teardown [--vip ADDR ...] [--dry-run]
`;

export type RealServerCli =
  | {
      readonly kind: 'realserver';
      readonly action: 'setup';
      readonly mode: RealServerMode;
      readonly vips: readonly RealServerVip[];
      readonly interface: string | null;
      readonly dryRun: boolean;
      readonly runtimeDir: string;
    }
  | {
      readonly kind: 'realserver';
      readonly action: 'teardown';
      /** null: every VIP set up. */
      readonly vips: readonly RealServerVip[] | null;
      readonly dryRun: boolean;
      readonly runtimeDir: string;
    };

export type RealServerCliResult = RealServerCli | { readonly kind: 'usage-error'; readonly message: string };

/** The realserver command in `argv`, a usage error, or null when argv is not one. */
export function parseRealServerCommand(argv: readonly string[]): RealServerCliResult | null {
  if (argv[0] !== 'realserver') return null;
  const usage = (message: string): RealServerCliResult => ({ kind: 'usage-error', message });
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      strict: true,
      options: {
        vip: { type: 'string', multiple: true },
        mode: { type: 'string' },
        interface: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'runtime-dir': { type: 'string' },
      },
    });
  } catch (e) {
    return usage((e as Error).message.split('. To specify')[0]!);
  }
  const v = parsed.values;
  const [action, ...extra] = parsed.positionals;
  if (action !== 'setup' && action !== 'teardown')
    return usage('realserver setup ... | realserver teardown ...');
  if (extra.length > 0) return usage(`realserver ${action} takes no argument but its options`);
  const vips: RealServerVip[] = [];
  for (const text of v.vip ?? []) {
    const vip = parseVip(text);
    if (!vip.ok) return usage(vip.error);
    if (!vips.some((x) => x.address === vip.value.address)) vips.push(vip.value);
  }
  const common = {
    kind: 'realserver' as const,
    dryRun: v['dry-run'] === true,
    runtimeDir: v['runtime-dir'] ?? DEFAULT_RUNTIME_DIR,
  };
  if (action === 'teardown') {
    if (v.mode !== undefined || v.interface !== undefined)
      return usage('realserver teardown takes no --mode or --interface: it undoes what setup recorded');
    return { ...common, action, vips: vips.length > 0 ? vips : null };
  }
  if (vips.length === 0) return usage('realserver setup needs at least one --vip');
  if (v.mode !== 'dr' && v.mode !== 'tun') return usage('realserver setup needs --mode dr or --mode tun');
  return { ...common, action, mode: v.mode, vips, interface: v.interface ?? null };
}
