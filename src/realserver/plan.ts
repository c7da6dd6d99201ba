/**
 * PURE: what `keepalived-ts realserver setup|teardown` changes on a real server behind an LVS
 * director, as the classic LVS guides' scripts do by hand (docs/realserver.md):
 *
 *   dr   each VIP on `lo` as a host address (/32, /128), so the real server accepts the packets
 *        the director forwards with the VIP as destination and answers from it directly;
 *   tun  each VIP on the IP-in-IP tunnel device (`tunl0`, `ip6tnl0`), which decapsulates what
 *        the director tunnels to the real server; the device is brought up, its module loaded.
 *
 * For IPv4 the real server must not answer ARP for the VIP (the director owns it on the shared
 * segment) and must not announce it as an ARP source: `arp_ignore` at least 1 and `arp_announce`
 * at least 2 on `all` (the kernel uses the larger of `all` and the interface's value, so `all`
 * alone is enough; `--interface` sets that interface too, as the guides do). TUN also needs
 * reverse-path filtering that is not strict on the tunnel (the decapsulated packet's source, the
 * client, is routed through another interface): strict (1) becomes loose (2) on `all` and on the
 * device, and 0 or 2 is left alone. IPv6 has no ARP: Linux answers neighbour solicitations only
 * for addresses on the receiving interface, so an address on `lo` is never announced.
 *
 * Idempotent and undone exactly: the plan looks at what is there and changes only what is not
 * yet as needed; the saved state records what was changed and the values it replaced, so
 * teardown removes only the addresses setup added, restores each sysctl setup raised (unless it
 * was changed again since: then it is left and reported) and takes down only the devices setup
 * brought up. Kernel modules are never unloaded (others may use them). A setup that fails half
 * way is rolled back step by step (undoStep), so the host is either set up or as it was.
 */
import { parseAddress, type AddressFamily } from '../util/ip.js';
import { err, ok, type Result } from '../util/result.js';

export type RealServerMode = 'dr' | 'tun';

export interface RealServerVip {
  readonly address: string;
  readonly family: AddressFamily;
  /** Always the host length: 32 or 128. */
  readonly prefixLength: number;
}

export interface RealServerRequest {
  readonly mode: RealServerMode;
  readonly vips: readonly RealServerVip[];
  /** The interface facing the director (`--interface`), or null. */
  readonly interface: string | null;
}

/** A sysctl as its path under /proc/sys, segments joined with `/` (`net/ipv4/conf/all/arp_ignore`). */
export type SysctlPath = string;

export type RealServerStep =
  | { readonly kind: 'load-module'; readonly module: string }
  | { readonly kind: 'link'; readonly device: string; readonly up: boolean }
  | { readonly kind: 'sysctl'; readonly path: SysctlPath; readonly value: number; readonly previous: number }
  | {
      readonly kind: 'address';
      readonly add: boolean;
      readonly address: string;
      readonly prefixLength: number;
      readonly device: string;
    };

/** What is on the host now. */
export interface ObservedHost {
  /** A sysctl's value, or null when it does not exist (no such interface). */
  sysctl(path: SysctlPath): number | null;
  /** The device's state, or null when there is no such device. */
  link(device: string): { readonly up: boolean } | null;
  hasAddress(address: string, device: string): boolean;
}

/** What setup changed, kept in a state file between setup and teardown. */
export interface SavedRealServerState {
  readonly version: 1;
  readonly vips: readonly SavedVip[];
  readonly sysctls: readonly SavedSysctl[];
  /** Devices setup brought up (taken down again by teardown). */
  readonly linksUp: readonly string[];
}

export interface SavedVip {
  readonly address: string;
  readonly prefixLength: number;
  readonly device: string;
  readonly mode: RealServerMode;
  /** Setup added it (false: it was there before; teardown leaves it). */
  readonly added: boolean;
}

export interface SavedSysctl {
  readonly path: SysctlPath;
  /** The value before setup changed it. */
  readonly previous: number;
  /** The value setup wrote. */
  readonly value: number;
}

export interface RealServerPlan {
  readonly steps: readonly RealServerStep[];
  /** The state once the steps have run; null when nothing is left to undo. */
  readonly next: SavedRealServerState | null;
  /** What the plan leaves alone and why (a sysctl changed by someone else since setup). */
  readonly notes: readonly string[];
}

export const EMPTY_STATE: SavedRealServerState = { version: 1, vips: [], sysctls: [], linksUp: [] };

/** `10.0.0.100`, `10.0.0.100/32`, `2001:db8::100`, `2001:db8::100/128`. */
export function parseVip(text: string): Result<RealServerVip, string> {
  const [addr, len, extra] = text.split('/');
  const parsed = addr === undefined ? null : parseAddress(addr);
  if (parsed === null || extra !== undefined) return err(`invalid VIP '${text}'`);
  const host = parsed.family === 'inet' ? 32 : 128;
  if (len !== undefined && Number(len) !== host) {
    // Anything shorter on lo makes the whole prefix local and blackholes it.
    return err(`a VIP is a host address: '${text}' must be /${host} or have no length`);
  }
  return ok({ address: parsed.address, family: parsed.family, prefixLength: host });
}

/** The device a VIP goes on and the module that provides it. */
function deviceFor(mode: RealServerMode, family: AddressFamily): { device: string; module: string | null } {
  if (mode === 'dr') return { device: 'lo', module: null };
  return family === 'inet'
    ? { device: 'tunl0', module: 'ipip' }
    : { device: 'ip6tnl0', module: 'ip6_tunnel' };
}

const conf = (iface: string, key: string): SysctlPath => `net/ipv4/conf/${iface}/${key}`;

/** The sysctl rules of a request: the value each must end up with, from its current one. */
function sysctlTargets(request: RealServerRequest): Map<SysctlPath, (current: number) => number> {
  const targets = new Map<SysctlPath, (current: number) => number>();
  if (!request.vips.some((v) => v.family === 'inet')) return targets;
  const atLeast = (n: number) => (current: number) => Math.max(current, n);
  const notStrict = (current: number) => (current === 1 ? 2 : current);
  const ifaces = ['all', ...(request.interface !== null ? [request.interface] : [])];
  for (const i of ifaces) {
    targets.set(conf(i, 'arp_ignore'), atLeast(1));
    targets.set(conf(i, 'arp_announce'), atLeast(2));
  }
  if (request.mode === 'tun') {
    targets.set(conf('all', 'rp_filter'), notStrict);
    targets.set(conf('tunl0', 'rp_filter'), notStrict);
  }
  return targets;
}

export function planSetup(
  request: RealServerRequest,
  host: ObservedHost,
  saved: SavedRealServerState | null,
): Result<RealServerPlan, string> {
  const state = saved ?? EMPTY_STATE;
  const steps: RealServerStep[] = [];
  const vips = [...state.vips];
  const sysctls = [...state.sysctls];
  const linksUp = [...state.linksUp];

  // Devices first: the tunnel device must exist before its sysctls and addresses.
  const devices = new Map<string, string | null>();
  for (const v of request.vips) {
    const d = deviceFor(request.mode, v.family);
    devices.set(d.device, d.module);
  }
  for (const [device, module] of devices) {
    const link = host.link(device);
    if (link === null) {
      if (module === null) return err(`no device ${device}`);
      steps.push({ kind: 'load-module', module });
    }
    if (link === null || !link.up) {
      steps.push({ kind: 'link', device, up: true });
      if (!linksUp.includes(device)) linksUp.push(device);
    }
  }

  if (request.interface !== null && host.link(request.interface) === null) {
    return err(`no interface ${request.interface}`);
  }
  for (const [path, target] of sysctlTargets(request)) {
    // A tunnel device not created yet starts from the kernel's default for new devices.
    const current = host.sysctl(path) ?? host.sysctl(path.replace(/conf\/[^/]+\//, 'conf/default/'));
    if (current === null) return err(`no sysctl ${path.replaceAll('/', '.')}`);
    const value = target(current);
    if (value === current) continue;
    steps.push({ kind: 'sysctl', path, value, previous: current });
    const known = sysctls.findIndex((s) => s.path === path);
    // The first setup's previous value is the one to restore.
    if (known === -1) sysctls.push({ path, previous: current, value });
    else sysctls[known] = { ...sysctls[known]!, value };
  }

  for (const v of request.vips) {
    const { device } = deviceFor(request.mode, v.family);
    if (vips.some((s) => s.address === v.address && s.device === device)) {
      // Ours already (a repeated setup); put it back if it went away.
      if (!host.hasAddress(v.address, device)) {
        steps.push({ kind: 'address', add: true, address: v.address, prefixLength: v.prefixLength, device });
      }
      continue;
    }
    const present = host.hasAddress(v.address, device);
    if (!present)
      steps.push({ kind: 'address', add: true, address: v.address, prefixLength: v.prefixLength, device });
    vips.push({
      address: v.address,
      prefixLength: v.prefixLength,
      device,
      mode: request.mode,
      added: !present,
    });
  }
  return ok({ steps, next: { version: 1, vips, sysctls, linksUp }, notes: [] });
}

/**
 * Undoes setup for `only` (the VIPs given on the command line) or for every VIP set up. The
 * sysctls and devices are restored once no VIP of the saved state is left.
 */
export function planTeardown(
  only: readonly RealServerVip[] | null,
  host: ObservedHost,
  saved: SavedRealServerState | null,
): Result<RealServerPlan, string> {
  const state = saved ?? EMPTY_STATE;
  const steps: RealServerStep[] = [];
  const notes: string[] = [];
  const chosen =
    only === null ? state.vips : state.vips.filter((s) => only.some((v) => v.address === s.address));
  if (only !== null) {
    const unknown = only.filter((v) => !state.vips.some((s) => s.address === v.address));
    if (unknown.length > 0) return err(`not set up here: ${unknown.map((v) => v.address).join(', ')}`);
  }
  for (const v of chosen) {
    if (v.added && host.hasAddress(v.address, v.device)) {
      steps.push({
        kind: 'address',
        add: false,
        address: v.address,
        prefixLength: v.prefixLength,
        device: v.device,
      });
    }
  }
  const left = state.vips.filter((s) => !chosen.includes(s));
  if (left.length > 0) return ok({ steps, next: { ...state, vips: left }, notes });

  // Last VIP gone: every sysctl back (in reverse order of setup), then the devices.
  for (const s of [...state.sysctls].reverse()) {
    const current = host.sysctl(s.path);
    if (current === null) continue;
    if (current !== s.value) {
      notes.push(
        `${sysctlName(s.path)} is ${current}, not the ${s.value} setup wrote: left as it is (it was ${s.previous})`,
      );
      continue;
    }
    if (current !== s.previous)
      steps.push({ kind: 'sysctl', path: s.path, value: s.previous, previous: current });
  }
  for (const device of [...state.linksUp].reverse()) {
    if (host.link(device)?.up === true) steps.push({ kind: 'link', device, up: false });
  }
  return ok({ steps, next: null, notes });
}

/** The step that reverses `step` (a failed setup rolls back what it did); null: nothing to undo. */
export function undoStep(step: RealServerStep): RealServerStep | null {
  switch (step.kind) {
    case 'load-module':
      return null;
    case 'link':
      return { ...step, up: !step.up };
    case 'sysctl':
      return { ...step, value: step.previous, previous: step.value };
    case 'address':
      return { ...step, add: !step.add };
  }
}

/** A sysctl path in sysctl(8)'s dotted form (a dot inside a name is written `/`). */
export function sysctlName(path: SysctlPath): string {
  return path
    .split('/')
    .map((s) => s.replaceAll('.', '/'))
    .join('.');
}

/** The step as the shell command an operator would type for it (`--dry-run` prints these). */
export function formatStep(step: RealServerStep): string {
  switch (step.kind) {
    case 'load-module':
      return `modprobe ${step.module}`;
    case 'link':
      return `ip link set ${step.device} ${step.up ? 'up' : 'down'}`;
    case 'sysctl':
      return `sysctl -w ${sysctlName(step.path)}=${step.value}`;
    case 'address':
      return `ip address ${step.add ? 'add' : 'del'} ${step.address}/${step.prefixLength} dev ${step.device}`;
  }
}
