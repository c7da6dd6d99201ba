/**
 * EDGE: addresses, routes and link facts over rtnetlink (`netlink` package).
 *
 * Used for VIPs (`virtual_ipaddress`, `virtual_ipaddress_excluded`) with prefix, dev, label, scope
 * and brd, for `virtual_routes`, and to learn an interface's index, MAC and primary address.
 * Every call is a request on one rtnetlink socket; errors carry the kernel errno.
 */
import { constants as osConstants } from 'node:os';
import { createRtNetlink, type rt, type RtNetlinkSocket } from 'netlink';
import { addressToBytes, bytesToAddress, parseAddress } from '../util/ip.js';

const AF_INET = 2;
const AF_INET6 = 10;
/** The protocol keepalived gives its routes (linux/rtnetlink.h RTPROT_KEEPALIVED). */
const RTPROT_KEEPALIVED = 18;
// Errno values the kernel returns for "already there" and "not there".
const { EEXIST, EADDRNOTAVAIL, ENOENT, ESRCH } = osConstants.errno;

export interface LinkInfo {
  readonly ifindex: number;
  readonly name: string;
  /** Hardware address, or null for links without one (lo has 00:00:00:00:00:00). */
  readonly mac: Buffer | null;
  readonly mtu: number;
  /** IFF_UP and IFF_RUNNING, keepalived's IF_ISUP. */
  readonly up: boolean;
  /** IFF_UP alone: set up by an administrator (`ip link set DEV up`), carrier or not. */
  readonly adminUp: boolean;
}

export interface InterfaceAddress {
  readonly ifindex: number;
  readonly address: string;
  readonly family: 'inet' | 'inet6';
  readonly prefixLength: number;
  readonly label: string | null;
  readonly secondary: boolean;
  readonly scope: number;
}

/** What to add or remove: one VIP line of the config, in kernel terms. */
export interface AddressSpec {
  readonly address: string;
  readonly prefixLength: number;
  readonly ifindex: number;
  readonly label: string | null;
  /** `scope` keyword: host, link, site, global/universe, nowhere, or a number. */
  readonly scope: string | null;
  readonly broadcast: string | null;
  readonly peer: string | null;
}

export interface RouteSpec {
  /** `10.0.0.0/8`, `1.2.3.4` or `default`. */
  readonly to: string;
  readonly via: string | null;
  readonly src: string | null;
  readonly ifindex: number | null;
  readonly table: number | null;
  readonly metric: number | null;
  readonly scope: string | null;
  readonly blackhole: boolean;
}

export class NetlinkError extends Error {
  readonly code = 'EKA_NETLINK';
  constructor(
    message: string,
    readonly errno: number | null,
  ) {
    super(message);
  }
}

const SCOPES: Record<string, number> = {
  global: 0,
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
};

/** Kernel scope number for a `scope` keyword value; null for an unknown name. */
export function scopeNumber(scope: string | null): number | null {
  if (scope === null) return 0;
  if (/^\d+$/.test(scope)) {
    const n = Number(scope);
    return n <= 255 ? n : null;
  }
  return SCOPES[scope] ?? null;
}

function errnoOf(e: unknown): number | null {
  const fromField = (e as { errno?: unknown } | null)?.errno;
  if (typeof fromField === 'number') return Math.abs(fromField);
  // The netlink package rejects with "Request rejected: EEXIST" (or the bare number).
  const m = /Request rejected: (-?\d+|E[A-Z0-9]+)/.exec((e as Error | null)?.message ?? '');
  if (!m) return null;
  const code = m[1]!;
  if (/^-?\d+$/.test(code)) return Math.abs(Number(code));
  return (osConstants.errno as Record<string, number>)[code] ?? null;
}

function familyNumber(family: 'inet' | 'inet6'): number {
  return family === 'inet' ? AF_INET : AF_INET6;
}

export class RtNetlink {
  private constructor(private readonly socket: RtNetlinkSocket) {}

  static open(): RtNetlink {
    return new RtNetlink(createRtNetlink());
  }

  close(): void {
    this.socket.socket.close();
  }

  async links(): Promise<LinkInfo[]> {
    const msgs = await this.socket.getLinks();
    return msgs.map(toLinkInfo);
  }

  async linkByName(name: string): Promise<LinkInfo | null> {
    return (await this.links()).find((l) => l.name === name) ?? null;
  }

  /** Sets IFF_UP on or off (`ip link set DEV up|down`). */
  async setLinkUp(ifindex: number, up: boolean): Promise<void> {
    try {
      await this.socket.setLink({ index: ifindex, flags: up ? { up: true } : {}, change: { up: true } });
    } catch (e) {
      throw new NetlinkError(
        `set link ${ifindex} ${up ? 'up' : 'down'}: ${(e as Error).message}`,
        errnoOf(e),
      );
    }
  }

  async addresses(ifindex?: number): Promise<InterfaceAddress[]> {
    const msgs = await this.socket.getAddresses();
    const out: InterfaceAddress[] = [];
    for (const m of msgs) {
      const bytes = m.attrs.local ?? m.attrs.address;
      if (!bytes) continue;
      const address = bytesToAddress(bytes);
      if (address === null) continue;
      const index = m.data.index ?? 0;
      if (ifindex !== undefined && index !== ifindex) continue;
      out.push({
        ifindex: index,
        address,
        family: m.data.family === AF_INET6 ? 'inet6' : 'inet',
        prefixLength: m.data.prefixlen ?? 0,
        label: m.attrs.label ?? null,
        secondary: (m.attrs.flags ?? m.data.flags)?.secondary === true,
        scope: m.data.scope ?? 0,
      });
    }
    return out;
  }

  /**
   * The interface's primary IPv4 address: the first non-secondary one, as keepalived picks the
   * advert source when no `mcast_src_ip` is set. `exclude` skips addresses we own (VIPs).
   */
  async primaryAddress4(ifindex: number, exclude: ReadonlySet<string> = new Set()): Promise<string | null> {
    const all = await this.addresses(ifindex);
    const candidates = all.filter((a) => a.family === 'inet' && !exclude.has(a.address));
    return (candidates.find((a) => !a.secondary && a.scope === 0) ?? candidates[0])?.address ?? null;
  }

  /** Adds an address; `false` when it was already there (EEXIST). */
  async addAddress(spec: AddressSpec): Promise<boolean> {
    const { data, attrs } = addressMessage(spec);
    try {
      await this.socket.newAddress(data, attrs, { flags: 0x400 | 0x200 }); // NLM_F_CREATE | NLM_F_EXCL
      return true;
    } catch (e) {
      if (errnoOf(e) === EEXIST) return false;
      throw new NetlinkError(`add ${spec.address}/${spec.prefixLength}: ${(e as Error).message}`, errnoOf(e));
    }
  }

  /** Removes an address; `false` when it was not there. */
  async deleteAddress(spec: AddressSpec): Promise<boolean> {
    const { data, attrs } = addressMessage(spec);
    try {
      await this.socket.delAddress(data, attrs);
      return true;
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === EADDRNOTAVAIL || errno === ENOENT || errno === ESRCH) return false;
      throw new NetlinkError(`delete ${spec.address}/${spec.prefixLength}: ${(e as Error).message}`, errno);
    }
  }

  async addRoute(spec: RouteSpec): Promise<boolean> {
    const { data, attrs } = routeMessage(spec);
    try {
      await this.socket.newRoute(data, attrs, { flags: 0x400 | 0x200 });
      return true;
    } catch (e) {
      if (errnoOf(e) === EEXIST) return false;
      throw new NetlinkError(`add route ${spec.to}: ${(e as Error).message}`, errnoOf(e));
    }
  }

  async deleteRoute(spec: RouteSpec): Promise<boolean> {
    const { data, attrs } = routeMessage(spec);
    try {
      await this.socket.delRoute(data, attrs);
      return true;
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === ESRCH || errno === ENOENT) return false;
      throw new NetlinkError(`delete route ${spec.to}: ${(e as Error).message}`, errno);
    }
  }
}

export function toLinkInfo(m: rt.LinkMessage): LinkInfo {
  const flags = m.data.flags ?? {};
  return {
    ifindex: m.data.index ?? 0,
    name: m.attrs.ifname ?? '',
    mac: m.attrs.address ? Buffer.from(m.attrs.address) : null,
    mtu: m.attrs.mtu ?? 1500,
    up: flags.up === true && flags.running === true,
    adminUp: flags.up === true,
  };
}

function addressMessage(spec: AddressSpec): { data: rt.Address; attrs: rt.AddressAttrs } {
  const parsed = parseAddress(spec.address);
  const local = addressToBytes(spec.address);
  const scope = scopeNumber(spec.scope);
  if (!parsed || !local || scope === null) {
    throw new NetlinkError(`bad address spec ${spec.address} scope ${spec.scope ?? ''}`, null);
  }
  const attrs: rt.AddressAttrs = { local };
  attrs.address = spec.peer ? (addressToBytes(spec.peer) ?? local) : local;
  if (spec.broadcast) {
    const brd = addressToBytes(spec.broadcast);
    if (brd) attrs.broadcast = brd;
  }
  if (spec.label) attrs.label = spec.label;
  return {
    data: {
      family: familyNumber(parsed.family),
      prefixlen: spec.prefixLength,
      scope,
      index: spec.ifindex,
    },
    attrs,
  };
}

function routeMessage(spec: RouteSpec): { data: rt.Route; attrs: rt.RouteAttrs } {
  const isDefault = spec.to === 'default';
  const parsed = isDefault ? null : parseAddress(spec.to);
  if (!isDefault && !parsed) throw new NetlinkError(`bad route destination ${spec.to}`, null);
  const family = parsed?.family ?? (spec.via && spec.via.includes(':') ? 'inet6' : 'inet');
  const dstLen = isDefault ? 0 : (parsed!.prefixLength ?? (family === 'inet' ? 32 : 128));
  const attrs: rt.RouteAttrs = {};
  if (!isDefault) attrs.dst = addressToBytes(parsed!.address)!;
  if (spec.via) attrs.gateway = addressToBytes(spec.via) ?? undefined;
  if (spec.src) attrs.prefsrc = addressToBytes(spec.src) ?? undefined;
  if (spec.ifindex !== null) attrs.oif = spec.ifindex;
  if (spec.metric !== null) attrs.priority = spec.metric;
  const table = spec.table ?? 254; // RT_TABLE_MAIN
  if (table > 255) attrs.table = table;
  // vrrp_iproute.c netlink_route: scope universe unless `scope` is given, protocol
  // RTPROT_KEEPALIVED (18), as `ip route` shows keepalived's routes (`proto keepalived`).
  const scope = spec.scope !== null ? (scopeNumber(spec.scope) ?? 0) : 0;
  return {
    data: {
      family: familyNumber(family),
      dstLen,
      table: table > 255 ? 252 : table,
      protocol: RTPROT_KEEPALIVED as rt.Route['protocol'],
      scope,
      type: spec.blackhole ? 'BLACKHOLE' : 'UNICAST',
    },
    attrs,
  };
}
