/**
 * EDGE: VRRP virtual MAC interfaces (`use_vmac`) as keepalived 2.2.7 makes them
 * (vrrp/vrrp_vmac.c `netlink_link_add_vmac`, `netlink_link_del_vmac`; vrrp/vrrp_if_config.c for
 * the kernel parameters): a macvlan in private mode on the instance's interface with the virtual
 * router MAC, IPv6 address generation off (IFLA_INET6_ADDR_GEN_MODE none), then set up.
 *
 * Kernel parameters, through /proc/sys (sysctl.ts) where keepalived uses IFLA_INET_CONF:
 * - on the VMAC: arp_ignore=1, accept_local=1, rp_filter=0, promote_secondaries=1, and
 *   disable_ipv6=1 for an IPv4 instance without IPv6 eVIPs;
 * - on the base interface: arp_ignore=1 and arp_filter=1 while a VMAC of ours is on it, the old
 *   values put back when its last VMAC goes;
 * - net.ipv4.conf.all.rp_filter: set to 0 with the first VMAC (every interface, and default,
 *   raised to the old value first so that their effective filtering does not change), put back
 *   at shutdown.
 *
 * `use_ipvlan` (netlink_link_add_ipvlan): an ipvlan in mode l2 with the configured flags (bridge,
 * private, vepa) on the instance's interface, created up in the one request, sharing the parent's
 * MAC; IPv6 off on it for an IPv4 instance (link_set_ipv6), the configured address put on it. No
 * other parameter changes: keepalived sets arp_ignore and the rest for macvlans only.
 *
 * The message builders are pure (the unit tier compares them with what iproute2 and keepalived
 * send); the requests go on their own rtnetlink socket (the `netlink` package).
 */
import { constants as osConstants } from 'node:os';
import { readdirSync } from 'node:fs';
import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import type { Logger } from '../util/log.js';
import { RtNetlink } from './addresses.js';
import { readSysctl, writeSysctl } from './sysctl.js';

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const AF_UNSPEC = 0;
const AF_INET6 = 10;
const IFF_UP = 0x1;
// <linux/if_link.h>
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_LINK = 5;
const IFLA_LINKINFO = 18;
const IFLA_GROUP = 27;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
const IFLA_AF_SPEC = 26;
const IFLA_INET6_ADDR_GEN_MODE = 8;
const IN6_ADDR_GEN_MODE_NONE = 1;
export const MACVLAN_MODE_PRIVATE = 1;
const IFLA_IPVLAN_MODE = 1;
const IFLA_IPVLAN_FLAGS = 2;
export const IPVLAN_MODE_L2 = 0;
/** <linux/if_link.h> IPVLAN_F_*, by the word `use_ipvlan` takes. */
export const IPVLAN_FLAGS = { bridge: 0, private: 0x01, vepa: 0x02 } as const;
const IFINFOMSG_LENGTH = 16;
const { EEXIST } = osConstants.errno;

/** One rtattr: length, type, the value, padded to 4 bytes. */
function attr(type: number, value: Buffer): Buffer {
  const len = 4 + value.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  value.copy(b, 4);
  return b;
}
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
};
const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n & 0xffff, 0);
  return b;
};
/** A nested attribute: its length covers the (padded) attributes inside. */
const nest = (type: number, ...inner: Buffer[]): Buffer => attr(type, Buffer.concat(inner));

/** `struct ifinfomsg`. */
function ifinfomsg(ifindex: number, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LENGTH);
  b[0] = AF_UNSPEC;
  b.writeInt32LE(ifindex, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

/** `00:00:5e:00:01:33` -> 6 bytes; null when it is not a MAC. */
export function macBytes(mac: string): Buffer | null {
  const parts = mac.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) return null;
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** An rtnetlink request: its type, flags beyond NLM_F_REQUEST|NLM_F_ACK, and payload. */
export interface LinkRequest {
  readonly type: number;
  readonly flags: number;
  readonly payload: Buffer;
}

const macvlanInfo = (): Buffer =>
  nest(
    IFLA_LINKINFO,
    attr(IFLA_INFO_KIND, Buffer.from('macvlan')),
    nest(IFLA_INFO_DATA, attr(IFLA_MACVLAN_MODE, u32(MACVLAN_MODE_PRIVATE))),
  );

/**
 * RTM_NEWLINK creating the macvlan: the attributes of keepalived's request (IFLA_LINKINFO with
 * kind macvlan and mode private, IFLA_LINK, IFLA_IFNAME, IFLA_ADDRESS), in the order and form
 * `ip link add link BASE name NAME address MAC type macvlan mode private` sends them.
 */
export function createMacvlanRequest(
  ifname: string,
  baseIfindex: number,
  mac: Buffer,
  group?: number,
): LinkRequest {
  return {
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    payload: Buffer.concat([
      ifinfomsg(0),
      attr(IFLA_ADDRESS, mac),
      attr(IFLA_LINK, u32(baseIfindex)),
      attr(IFLA_IFNAME, Buffer.from(ifname + '\0')),
      macvlanInfo(),
      // `use_vmac ... group G` (keepalived 2.3.0+ netlink_link_add_vmac).
      ...(group === undefined ? [] : [attr(IFLA_GROUP, u32(group))]),
    ]),
  };
}

/**
 * RTM_NEWLINK creating the ipvlan as netlink_link_add_ipvlan does: IFF_UP in the same request,
 * IFLA_LINK, IFLA_IFNAME (its length without a NUL, as keepalived's addattr_l sends it), then
 * IFLA_LINKINFO with kind ipvlan, IFLA_IPVLAN_MODE l2 and IFLA_IPVLAN_FLAGS, each 16 bits.
 */
export function createIpvlanRequest(
  ifname: string,
  baseIfindex: number,
  flags: number,
  group?: number,
): LinkRequest {
  return {
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    payload: Buffer.concat([
      ifinfomsg(0, IFF_UP, IFF_UP),
      attr(IFLA_LINK, u32(baseIfindex)),
      attr(IFLA_IFNAME, Buffer.from(ifname)),
      nest(
        IFLA_LINKINFO,
        attr(IFLA_INFO_KIND, Buffer.from('ipvlan')),
        nest(
          IFLA_INFO_DATA,
          attr(IFLA_IPVLAN_MODE, u16(IPVLAN_MODE_L2)),
          attr(IFLA_IPVLAN_FLAGS, u16(flags)),
        ),
      ),
      // `use_ipvlan ... group G` (keepalived 2.3.0+).
      ...(group === undefined ? [] : [attr(IFLA_GROUP, u32(group))]),
    ]),
  };
}

/** RTM_NEWLINK on an existing macvlan of the wrong MAC or mode (keepalived's update). */
export function updateMacvlanRequest(ifindex: number, mac: Buffer): LinkRequest {
  return {
    type: RTM_NEWLINK,
    flags: 0,
    payload: Buffer.concat([ifinfomsg(ifindex), macvlanInfo(), attr(IFLA_ADDRESS, mac)]),
  };
}

/** `ip link set DEV addrgenmode none`: no EUI-64 link-local address (RFC 5798 section 7.4). */
export function addrGenModeNoneRequest(ifindex: number): LinkRequest {
  const mode = Buffer.from([IN6_ADDR_GEN_MODE_NONE]);
  return {
    type: RTM_NEWLINK,
    flags: 0,
    payload: Buffer.concat([
      ifinfomsg(ifindex),
      nest(IFLA_AF_SPEC, nest(AF_INET6, attr(IFLA_INET6_ADDR_GEN_MODE, mode))),
    ]),
  };
}

/** `ip link set DEV up`. */
export function linkUpRequest(ifindex: number): LinkRequest {
  return { type: RTM_NEWLINK, flags: 0, payload: ifinfomsg(ifindex, IFF_UP, IFF_UP) };
}

/** `ip link del DEV`. */
export function deleteLinkRequest(ifindex: number): LinkRequest {
  return { type: RTM_DELLINK, flags: 0, payload: ifinfomsg(ifindex) };
}

/** The whole netlink message (header first), as it goes on the socket. */
export function netlinkMessage(req: LinkRequest, seq: number, pid = 0): Buffer {
  const NLM_F_REQUEST = 1;
  const NLM_F_ACK = 4;
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + req.payload.length, 0);
  h.writeUInt16LE(req.type, 4);
  h.writeUInt16LE(req.flags | NLM_F_REQUEST | NLM_F_ACK, 6);
  h.writeUInt32LE(seq >>> 0, 8);
  h.writeUInt32LE(pid >>> 0, 12);
  return Buffer.concat([h, req.payload]);
}

/** The attributes of a flat attribute stream by type (the last of a type wins). */
function attrs(b: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = 0; off + 4 <= b.length;) {
    const len = b.readUInt16LE(off);
    if (len < 4 || off + len > b.length) break;
    out.set(b.readUInt16LE(off + 2) & 0x3fff, b.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

/** A 16- or 32-bit attribute's value (the kernel sends the ipvlan ones as 16 bits). */
const uint = (b: Buffer | undefined): number | null =>
  b === undefined ? null : b.length >= 4 ? b.readUInt32LE(0) : b.length >= 2 ? b.readUInt16LE(0) : null;

/** What a link's IFLA_LINKINFO says: its kind and, for a macvlan, its mode; for an ipvlan, mode and flags. */
export function parseLinkInfo(linkinfo: Buffer | undefined): {
  kind: string | null;
  macvlanMode: number | null;
  ipvlanMode?: number | null;
  ipvlanFlags?: number | null;
} {
  if (!linkinfo) return { kind: null, macvlanMode: null };
  const a = attrs(linkinfo);
  const kindBytes = a.get(IFLA_INFO_KIND);
  const kind = kindBytes ? kindBytes.toString('latin1').replace(/\0+$/, '') : null;
  const data = a.get(IFLA_INFO_DATA);
  if (kind === 'ipvlan') {
    const d = data ? attrs(data) : new Map<number, Buffer>();
    return {
      kind,
      macvlanMode: null,
      ipvlanMode: uint(d.get(IFLA_IPVLAN_MODE)),
      ipvlanFlags: uint(d.get(IFLA_IPVLAN_FLAGS)),
    };
  }
  const mode = kind === 'macvlan' && data ? attrs(data).get(IFLA_MACVLAN_MODE) : undefined;
  return { kind, macvlanMode: mode && mode.length >= 4 ? mode.readUInt32LE(0) : null };
}

/** One existing link, as far as the VMAC code needs it. */
export interface ExistingLink {
  readonly ifindex: number;
  readonly name: string;
  readonly mac: Buffer | null;
  readonly kind: string | null;
  readonly macvlanMode: number | null;
  /** IFLA_LINK: the lower device's index. */
  readonly link: number | null;
  readonly arpType: number;
  /** IFF_UP. */
  readonly up?: boolean;
  readonly ipvlanMode?: number | null;
  readonly ipvlanFlags?: number | null;
}

/** What to make for one instance. */
export interface VmacSpec {
  readonly instance: string;
  readonly ifname: string;
  readonly base: string;
  readonly mac: string;
  /** The family of the instance (or of the VIPs it is made for): IPv4 ones get the parameters. */
  readonly family: 'inet' | 'inet6';
  /** The interface group (IFLA_GROUP) it is made in, when configured. */
  readonly group?: number;
  /** Keep IPv6 on the VMAC (an IPv6 instance, or IPv6 eVIPs). */
  readonly ipv6: boolean;
  /** `use_ipvlan`: an ipvlan with these IFLA_IPVLAN_FLAGS and this address (`mac` is unused). */
  readonly ipvlan?: {
    readonly flags: number;
    readonly address: string | null;
    readonly prefixLength: number;
  };
}

const ARPHRD_ETHER = 1;
const conf = (ifname: string, key: string): string => `net/ipv4/conf/${ifname}/${key}`;

/** The rtnetlink requests and sysctls (a fake in the unit tier). */
export interface VmacSystem {
  request(req: LinkRequest): Promise<void>;
  link(name: string): Promise<ExistingLink | null>;
  /** Adds an address (`ip addr add ADDRESS/PREFIX dev IFINDEX`); false when it was there. */
  addAddress(ifindex: number, address: string, prefixLength: number): Promise<boolean>;
  readSysctl(path: string): number | null;
  writeSysctl(path: string, value: number): void;
  /** Names under /proc/sys/net/ipv4/conf (all, default and every interface). */
  confNames(): string[];
}

/** The VMACs of the VRRP instances and the kernel parameters they changed. */
export class VmacManager {
  /** Base interface -> how many of our VMACs are on it, and its arp_ignore/arp_filter before. */
  private readonly bases = new Map<
    string,
    { count: number; arpIgnore: number | null; arpFilter: number | null }
  >();
  /** ifname -> the spec it was made for (the ones this process made or took over). */
  private readonly ours = new Map<string, VmacSpec>();
  /** all/rp_filter before we cleared it, and the interfaces (and default) we raised. */
  private rpFilter: { all: number; raised: Map<string, number> } | null = null;

  constructor(
    private readonly sys: VmacSystem,
    private readonly logger: Logger,
  ) {}

  /** Names of the VMACs in place. */
  names(): string[] {
    return [...this.ours.keys()];
  }

  /**
   * Creates (or takes over, or corrects) the VMAC, sets its parameters and brings it up. Resolves
   * to its ifindex, or null when it could not be made (the reason is logged).
   */
  async add(spec: VmacSpec): Promise<number | null> {
    if (spec.ipvlan !== undefined) return this.addIpvlan(spec, spec.ipvlan);
    const { instance: name, ifname } = spec;
    // Made again after a deletion: the base interface already counts it.
    const again = this.ours.has(ifname);
    const mac = macBytes(spec.mac);
    const base = await this.sys.link(spec.base);
    if (mac === null || base === null) {
      this.logger.info(`(${name}): Unable to create VMAC interface ${ifname}`);
      return null;
    }
    if (base.arpType !== ARPHRD_ETHER) {
      this.logger.error(`(${name}): vmacs are only supported on Ethernet type interfaces`);
      return null;
    }
    let existing = await this.sys.link(ifname);
    let create = true;
    let update = false;
    if (existing !== null) {
      if (existing.kind !== 'macvlan') {
        this.logger.info(`VMAC ${ifname} conflicts with existing interface`);
        return null;
      }
      if (existing.link !== base.ifindex) {
        this.logger.info(`(${name}) Removing old VMAC interface ${ifname} due to conflicting interface`);
        try {
          await this.sys.request(deleteLinkRequest(existing.ifindex));
        } catch {
          this.logger.info(`(${name}) Error removing VMAC interface ${ifname}`);
          return null;
        }
        existing = null;
      } else if (!existing.mac?.equals(mac) || existing.macvlanMode !== MACVLAN_MODE_PRIVATE) {
        this.logger.info(`(${name}) Update old VMAC interface ${ifname} due to wrong MAC/mode `);
        update = true;
      } else create = false;
    }
    if (create) {
      try {
        await this.sys.request(
          update
            ? updateMacvlanRequest(existing!.ifindex, mac)
            : createMacvlanRequest(ifname, base.ifindex, mac, spec.group),
        );
      } catch (e) {
        if (!(update === false && (e as { errno?: number }).errno === EEXIST)) {
          this.logger.info(`(${name}): Unable to create VMAC interface ${ifname}`);
          return null;
        }
      }
      this.logger.detail(`(${name}): Success ${update ? 'upd' : 'cre'}ating VMAC interface ${ifname}`);
    }
    const made = await this.sys.link(ifname);
    if (made === null) return null;
    this.ours.set(ifname, spec);
    // vrrp_vmac.c: only an IPv4 VMAC it creates gets them.
    if (create && spec.family === 'inet') this.setParameters(spec, !again);
    // There is no rtnetlink attribute for it (vrrp_if_config.c link_set_ipv6).
    this.trySysctl(`net/ipv6/conf/${ifname}/disable_ipv6`, spec.ipv6 ? 0 : 1);
    try {
      await this.sys.request(addrGenModeNoneRequest(made.ifindex));
    } catch {
      this.logger.info(`(${name}) Error setting ADDR_GEN_MODE to NONE on ${ifname}`);
    }
    try {
      await this.sys.request(linkUpRequest(made.ifindex));
    } catch (e) {
      this.logger.info(`(${name}) cannot set ${ifname} up: ${(e as Error).message}`);
    }
    return made.ifindex;
  }

  /** vrrp_vmac.c netlink_link_add_ipvlan: created up, IPv6 off for IPv4, its address added. */
  private async addIpvlan(spec: VmacSpec, ipvlan: NonNullable<VmacSpec['ipvlan']>): Promise<number | null> {
    const { instance: name, ifname } = spec;
    const base = await this.sys.link(spec.base);
    if (base === null) {
      this.logger.info(`(${name}): Unable to create ipvlan interface ${ifname}`);
      return null;
    }
    if (base.arpType !== ARPHRD_ETHER) {
      this.logger.error(`(${name}): vmacs are only supported on Ethernet type interfaces`);
      return null;
    }
    let existing = await this.sys.link(ifname);
    if (existing !== null) {
      if (existing.kind !== 'ipvlan') {
        this.logger.info(
          `(${name}) IPVLAN interface name ${ifname} already exists as a non IPVLAN interface. ignoring configured name`,
        );
        return null;
      }
      if (
        existing.link !== base.ifindex ||
        existing.ipvlanMode !== IPVLAN_MODE_L2 ||
        existing.ipvlanFlags !== ipvlan.flags
      ) {
        // vrrp.c vrrp_complete_instance: one of that name but another parent, mode or flags.
        this.logger.info(
          `(${name}) IPVLAN ${ifname} already exists but is incompatible. It will be deleted/updated`,
        );
        try {
          await this.sys.request(deleteLinkRequest(existing.ifindex));
        } catch {
          this.logger.info(`(${name}) Error removing VMAC interface ${ifname}`);
          return null;
        }
        existing = null;
      }
    }
    if (existing === null) {
      try {
        await this.sys.request(createIpvlanRequest(ifname, base.ifindex, ipvlan.flags, spec.group));
      } catch (e) {
        if ((e as { errno?: number }).errno !== EEXIST) {
          this.logger.info(`(${name}): Unable to create ipvlan interface ${ifname}`);
          return null;
        }
      }
      this.logger.detail(`(${name}): Success creating ipvlan interface ${ifname}`);
    }
    const made = await this.sys.link(ifname);
    if (made === null) return null;
    this.ours.set(ifname, spec);
    if (existing !== null && existing.up !== true) {
      try {
        await this.sys.request(linkUpRequest(made.ifindex));
      } catch (e) {
        this.logger.info(`(${name}) cannot set ${ifname} up: ${(e as Error).message}`);
      }
    }
    this.trySysctl(`net/ipv6/conf/${ifname}/disable_ipv6`, spec.ipv6 ? 0 : 1);
    if (ipvlan.address !== null) {
      try {
        await this.sys.addAddress(made.ifindex, ipvlan.address, ipvlan.prefixLength);
      } catch {
        this.logger.info(`${name}: Failed to add interface address to ${ifname}`);
      }
    }
    return made.ifindex;
  }

  /** Puts the base interface's ARP parameters back (with its last VMAC) and deletes the VMAC. */
  async remove(ifname: string): Promise<void> {
    const spec = this.ours.get(ifname);
    if (spec === undefined) return;
    this.ours.delete(ifname);
    if (spec.family === 'inet') this.resetBase(spec.base);
    const link = await this.sys.link(ifname).catch(() => null);
    if (link === null) return;
    try {
      await this.sys.request(deleteLinkRequest(link.ifindex));
      this.logger.detail(`(${spec.instance}) Success removing VMAC interface ${ifname}`);
    } catch {
      this.logger.info(`(${spec.instance}) Error removing VMAC interface ${ifname}`);
    }
  }

  /** Shutdown (vrrp.c shutdown_vrrp_instances): rp_filter back, then every VMAC removed. */
  async removeAll(): Promise<void> {
    this.restoreRpFilter();
    for (const name of this.names()) await this.remove(name);
  }

  private trySysctl(path: string, value: number): boolean {
    try {
      this.sys.writeSysctl(path, value);
      return true;
    } catch {
      return false;
    }
  }

  /** vrrp_if_config.c set_interface_parameters. */
  private setParameters(spec: VmacSpec, countBase: boolean): void {
    if (this.rpFilter === null) this.clearRpFilter();
    const ok = [
      this.trySysctl(conf(spec.ifname, 'arp_ignore'), 1),
      this.trySysctl(conf(spec.ifname, 'accept_local'), 1),
      this.trySysctl(conf(spec.ifname, 'rp_filter'), 0),
      this.trySysctl(conf(spec.ifname, 'promote_secondaries'), 1),
    ].every(Boolean);
    if (!ok) this.logger.info(`Unable to set parameters for ${spec.ifname}`);
    if (!countBase) return;
    const known = this.bases.get(spec.base);
    if (known) {
      known.count++;
      return;
    }
    const arpIgnore = this.sys.readSysctl(conf(spec.base, 'arp_ignore'));
    const arpFilter = this.sys.readSysctl(conf(spec.base, 'arp_filter'));
    this.bases.set(spec.base, { count: 1, arpIgnore, arpFilter });
    if (arpIgnore !== 1 || arpFilter !== 1) {
      const set =
        this.trySysctl(conf(spec.base, 'arp_ignore'), 1) && this.trySysctl(conf(spec.base, 'arp_filter'), 1);
      if (!set) this.logger.info(`Set base flags on ${spec.base} failed for VMAC ${spec.ifname}`);
    }
  }

  private resetBase(base: string): void {
    const b = this.bases.get(base);
    if (!b || --b.count > 0) return;
    this.bases.delete(base);
    if (b.arpIgnore === null || b.arpFilter === null) return;
    const ok =
      this.trySysctl(conf(base, 'arp_ignore'), b.arpIgnore) &&
      this.trySysctl(conf(base, 'arp_filter'), b.arpFilter);
    if (!ok) this.logger.info(`reset interface flags on ${base} failed`);
  }

  /** vrrp_if_config.c clear_rp_filter. */
  private clearRpFilter(): void {
    const all = this.sys.readSysctl(conf('all', 'rp_filter'));
    if (all === null) {
      this.logger.info('Unable to read sysctl net.ipv4.conf.all.rp_filter');
      return;
    }
    if (all === 0) return;
    const raised = new Map<string, number>();
    const def = this.sys.readSysctl(conf('default', 'rp_filter'));
    if (def !== null && def < all) {
      this.logger.info(`NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from ${def} to ${all}`);
      this.trySysctl(conf('default', 'rp_filter'), all);
      raised.set('default', def);
    }
    for (const name of this.sys.confNames()) {
      if (name === 'all' || name === 'default') continue;
      const v = this.sys.readSysctl(conf(name, 'rp_filter'));
      if (v === null) this.logger.info(`Unable to read rp_filter for ${name}`);
      else if (v < all && this.trySysctl(conf(name, 'rp_filter'), all)) raised.set(name, v);
    }
    this.logger.info(`NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from ${all} to 0`);
    this.trySysctl(conf('all', 'rp_filter'), 0);
    this.rpFilter = { all, raised };
  }

  /** vrrp_if_config.c restore_rp_filter: only what still has the value we left. */
  private restoreRpFilter(): void {
    const saved = this.rpFilter;
    if (saved === null) return;
    this.rpFilter = null;
    if (this.sys.readSysctl(conf('all', 'rp_filter')) === 0) {
      this.logger.info(`NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to ${saved.all}`);
      this.trySysctl(conf('all', 'rp_filter'), saved.all);
    }
    for (const [name, before] of saved.raised) {
      if (this.sys.readSysctl(conf(name, 'rp_filter')) !== saved.all) continue;
      if (name === 'default')
        this.logger.info(`NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to ${before}`);
      this.trySysctl(conf(name, 'rp_filter'), before);
    }
  }
}

function toExisting(m: {
  data: { index?: number; type?: unknown };
  attrs: Record<string, unknown>;
}): ExistingLink {
  const a = m.attrs as { ifname?: string; address?: Buffer; link?: Buffer; linkinfo?: Buffer };
  const info = parseLinkInfo(a.linkinfo);
  return {
    ifindex: m.data.index ?? 0,
    name: a.ifname ?? '',
    mac: a.address ? Buffer.from(a.address) : null,
    kind: info.kind,
    macvlanMode: info.macvlanMode,
    ipvlanMode: info.ipvlanMode ?? null,
    ipvlanFlags: info.ipvlanFlags ?? null,
    up: (m.data as { flags?: { up?: boolean } }).flags?.up === true,
    link: a.link && a.link.length >= 4 ? a.link.readUInt32LE(0) : null,
    // The package gives the ARPHRD_* type by its name when it knows it.
    arpType: typeof m.data.type === 'number' ? m.data.type : m.data.type === 'ETHER' ? ARPHRD_ETHER : -1,
  };
}

/** The real system: its own rtnetlink socket and /proc/sys. */
export function openVmacSystem(): VmacSystem & { close(): void } {
  const socket: RtNetlinkSocket = createRtNetlink();
  let addresses: RtNetlink | null = null;
  return {
    addAddress: (ifindex, address, prefixLength) => {
      addresses ??= RtNetlink.open();
      return addresses.addAddress({
        address,
        prefixLength,
        ifindex,
        label: null,
        scope: null,
        broadcast: null,
        peer: null,
      });
    },
    request: async (req) => {
      await socket.request(req.type, req.payload, { flags: req.flags });
    },
    link: async (name) => {
      const ifname = attr(IFLA_IFNAME, Buffer.from(name + '\0'));
      try {
        const msgs = await socket.request(RTM_GETLINK, Buffer.concat([ifinfomsg(0), ifname]));
        const m = msgs.find((x) => x.kind === 'link');
        return m ? toExisting(m as never) : null;
      } catch {
        return null; // ENODEV: no such link.
      }
    },
    readSysctl,
    writeSysctl,
    confNames: () => {
      try {
        return readdirSync('/proc/sys/net/ipv4/conf');
      } catch {
        return [];
      }
    },
    close: () => {
      socket.socket.close();
      addresses?.close();
    },
  };
}
