/**
 * `use_vmac [NAME] [MAC]` and `vmac_xmit_base` in a vrrp_instance: the statement as
 * vrrp/vrrp_parser.c `vrrp_vmac_handler` reads it, and the instance's VMAC settings as
 * vrrp/vrrp.c `vrrp_complete_instance` completes them (default name `vrrp.VRID`, MAC
 * 00:00:5e:00:01:VRID, or 00:00:5e:00:02:VRID for IPv6). `use_ipvlan [NAME] [ADDRESS[/PREFIX]]
 * [bridge|private|vepa]` (vrrp_ipvlan_handler) gives the same settings for an ipvlan. Pure: the
 * interface itself is created at run time (net/vmac.ts).
 */
import type { AddressFamily, IpvlanSettings, SourceLoc, VipVmac, VmacSettings } from './model.js';
import type { Statement } from './tree.js';
import type { DiagnosticSink } from './keywords/types.js';
import { parseAddress } from '../util/ip.js';

/** The `use_vmac` line as read: a name and a MAC, each optional. */
export interface UseVmacLine {
  readonly name: string | null;
  /** Six octets; with `macUsesVrid` the last is the VRID (five octets were written). */
  readonly mac: readonly number[] | null;
  readonly macUsesVrid: boolean;
  /** `group G` (keepalived 2.3.0+): the VMAC's interface group (IFLA_GROUP); null: none set. */
  readonly group?: number | null;
  readonly loc: SourceLoc;
}

/** 00:00:5e:00:01:00, RFC 5798 section 7.3 (the fifth octet is 02 for IPv6). */
const VRRP_MAC_PREFIX = [0x00, 0x00, 0x5e, 0x00];
/** IFNAMSIZ, with its terminating NUL. */
const IFNAMSIZ = 16;

/** The kernel's dev_valid_name (net/core/dev.c), as vrrp_parser.c copies it. */
export function validInterfaceName(name: string): boolean {
  if (name === '' || Buffer.byteLength(name) >= IFNAMSIZ) return false;
  if (name === '.' || name === '..') return false;
  return !/[/:\s]/.test(name);
}

/**
 * Octets of `text` as vrrp_vmac_handler reads them: 1- or 2-digit hex octets separated by `:`;
 * five octets (optionally with a trailing `:`) leave the last to the VRID. Null when invalid.
 */
export function parseVmacMac(text: string): { octets: number[]; usesVrid: boolean } | null {
  const parts = text.split(':');
  if (parts.length === 6 && parts[5] === '') parts.pop();
  else if (parts.length === 7 && parts[6] === '') parts.pop();
  if (parts.length !== 5 && parts.length !== 6) return null;
  if (!parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return null;
  const octets = parts.map((p) => parseInt(p, 16));
  const usesVrid = octets.length === 5;
  if (usesVrid) octets.push(0);
  return { octets, usesVrid };
}

/**
 * `use_vmac [[name] NAME] [MAC] [netlink_notify_msg] [group GROUP]`: keepalived 2.2.7 reads two
 * words, a word with `:` the MAC; keepalived 2.3.0 added `name` before the name, `group` and
 * `netlink_notify_msg` (vrrp_parser.c vrrp_vmac_handler), which are taken out first.
 */
export function useVmacLine(stmt: Statement, sink: DiagnosticSink): UseVmacLine {
  let name: string | null = null;
  let mac: number[] | null = null;
  let macUsesVrid = false;
  let group: number | null = null;
  const words: string[] = [];
  for (let i = 0; i < stmt.args.length; i++) {
    const word = stmt.args[i]!;
    if (word === 'group') {
      const g = interfaceGroup(stmt.args[++i]);
      if (g === null) sink.report('error', 'vmac', `VMAC group ${stmt.args[i] ?? ''} not found`, stmt.loc);
      else group = g;
    } else if (word === 'netlink_notify_msg') {
      // The base's IFLA_GROUP set again to make the kernel announce its promiscuity change.
      sink.report(
        'warning',
        'not-acted-on',
        "'use_vmac netlink_notify_msg' is read but not acted on by keepalived-ts: no netlink message is forced for the base interface.",
        stmt.loc,
      );
    } else if (word !== 'name' || i + 1 >= stmt.args.length) words.push(word);
  }
  for (const word of words.slice(0, 2)) {
    if (word.includes(':')) {
      if (mac !== null) {
        sink.report('error', 'duplicate', 'VMAC interface address already specified', stmt.loc);
        continue;
      }
      if (!/^[0-9A-Fa-f:]*$/.test(word)) {
        sink.report('error', 'invalid-value', `VMAC invalid MAC address ${word}`, stmt.loc);
        continue;
      }
      const parsed = parseVmacMac(word);
      if (parsed === null) {
        sink.report('error', 'invalid-value', `VMAC invalid MAC address ${word} - ignored`, stmt.loc);
      } else if ((parsed.octets[0]! & 0x01) !== 0) {
        sink.report('error', 'invalid-value', `VMAC MAC address is multicast ${word} - ignoring`, stmt.loc);
      } else if (
        VRRP_MAC_PREFIX.every((o, i) => parsed.octets[i] === o) &&
        (parsed.octets[4] === 0x01 || parsed.octets[4] === 0x02)
      ) {
        sink.report(
          'error',
          'invalid-value',
          `VMAC MAC address not allowed to be RFC5798 address (${word}) - ignoring`,
          stmt.loc,
        );
      } else {
        mac = parsed.octets;
        macUsesVrid = parsed.usesVrid;
      }
    } else {
      if (name !== null) {
        sink.report('error', 'duplicate', 'VMAC interface name already specified', stmt.loc);
        continue;
      }
      if (!validInterfaceName(word)) {
        sink.report(
          'error',
          'invalid-value',
          `VMAC interface name '${word}' too long or invalid characters - ignoring`,
          stmt.loc,
        );
        continue;
      }
      name = word;
    }
  }
  return { name, mac, macUsesVrid, group, loc: stmt.loc };
}

/**
 * An interface group as iproute2 names it: a number, or `default` (0); keepalived also reads
 * /etc/iproute2/group names (lib/rttables.c find_rttables_group), keepalived-ts the built-in only.
 */
function interfaceGroup(word: string | undefined): number | null {
  if (word === undefined) return null;
  if (word === 'default') return 0;
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(word)) {
    const n = Number(word);
    return n <= 0xffffffff ? n : null;
  }
  return null;
}

/** `aa:bb:cc:dd:ee:ff`, lower case, two digits an octet. */
export function formatMac(octets: readonly number[]): string {
  return octets.map((o) => o.toString(16).padStart(2, '0')).join(':');
}

/** The RFC 5798 virtual router MAC of `vrid` for the family. */
export function vrrpMac(vrid: number, family: AddressFamily): string {
  return formatMac([...VRRP_MAC_PREFIX, family === 'inet6' ? 0x02 : 0x01, vrid]);
}

export interface VmacCompletion {
  readonly instance: string;
  readonly vrid: number;
  readonly family: AddressFamily;
  readonly interface: string | null;
  readonly unicast: boolean;
  readonly strict: boolean;
  readonly line: UseVmacLine | undefined;
  /** `vmac_xmit_base` was written (its location). */
  readonly xmitBase: SourceLoc | null;
  /** Names earlier instances took, configured or defaulted (name -> instance). */
  readonly taken: Map<string, string>;
  /** global `vmac_prefix`. */
  readonly prefix?: string | null;
}

/**
 * The instance's VMAC, or null without `use_vmac` (or when it is cleared), with vrrp.c's and
 * vrrp_parser.c's lines for what it changes. Records the name it takes in `taken`.
 */
export function completeVmac(c: VmacCompletion, sink: DiagnosticSink): VmacSettings | null {
  const { instance: name, line } = c;
  let xmitBase = c.xmitBase !== null;
  if (line === undefined) {
    if (xmitBase)
      sink.report('error', 'vmac', `(${name}) vmac_xmit_base is only valid with a vmac`, c.xmitBase!);
    return null;
  }
  // vrrp_parser.c vrrp_end_handler.
  if (c.unicast && c.interface === null) {
    sink.report(
      'error',
      'vmac',
      `(${name}): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac`,
      line.loc,
    );
    return null;
  }
  if (c.unicast && !xmitBase) {
    sink.report(
      'error',
      'vmac',
      `(${name}) unicast with use_vmac requires vmac_xmit_base - setting`,
      line.loc,
    );
    xmitBase = true;
  }
  if (c.interface === null) return null; // "Unknown interface!" was reported; no instance runs.
  let ifname = line.name;
  if (ifname !== null) {
    const other = c.taken.get(ifname);
    if (other !== undefined) {
      sink.report(
        'error',
        'vmac',
        `(${name}) VRRP instance ${other} is already using ${ifname} - ignoring name`,
        line.loc,
      );
      ifname = null;
    }
  }
  let mac = line.mac;
  if (c.strict && mac !== null) {
    sink.report(
      'error',
      'strict-mode',
      `(${name}): cannot specify MAC address with strict mode - clearing`,
      line.loc,
    );
    mac = null;
  }
  // vrrp.c create_vmac_name: vrrp.VRID, then vrrp1.VRID, vrrp2.VRID ... (IPv6: vrrp6 first).
  ifname ??= freeName(c.vrid, c.family, c.taken, c.prefix ?? 'vrrp');
  if (c.strict && xmitBase) {
    sink.report(
      'error',
      'strict-mode',
      `(${name}) xmit_base is incompatible with strict mode - resetting`,
      line.loc,
    );
    xmitBase = false;
  }
  c.taken.set(ifname, name);
  const octets = mac === null ? null : [...mac];
  if (octets !== null && line.macUsesVrid) octets[5] = c.vrid;
  return {
    ifname,
    mac: octets === null ? vrrpMac(c.vrid, c.family) : formatMac(octets),
    xmitBase,
    ...(line.group !== undefined && line.group !== null ? { group: line.group } : {}),
  };
}

/**
 * create_vmac_name: the first of PREFIX.VRID, PREFIX1.VRID, ... (IPv6: PREFIX6.VRID second) that
 * `taken` does not have, the prefix cut so that the name fits IFNAMSIZ.
 */
export function freeName(
  vrid: number,
  family: AddressFamily,
  taken: ReadonlyMap<string, string>,
  prefix = 'vrrp',
): string {
  const numbers = family === 'inet6' ? [0, 6, 1, 2, 3, 4, 5] : [0];
  for (let n = numbers.length === 1 ? 1 : 7; numbers.length < 300; n++) numbers.push(n);
  const name = (n: number): string => {
    const tail = `${n === 0 ? '' : n}.${vrid}`;
    return (
      Buffer.from(prefix)
        .subarray(0, Math.max(0, IFNAMSIZ - 1 - tail.length))
        .toString('latin1') + tail
    );
  };
  return numbers.map(name).find((candidate) => !taken.has(candidate))!;
}

/** A `use_ipvlan` line as written: its words, read when the instance is completed (the messages name it). */
export interface UseIpvlanLine {
  readonly words: readonly string[];
  readonly loc: SourceLoc;
}

export const useIpvlanLine = (stmt: Statement): UseIpvlanLine => ({ words: stmt.args, loc: stmt.loc });

const IPVLAN_TYPES = new Set(['bridge', 'private', 'vepa']);

export interface IpvlanCompletion {
  readonly instance: string;
  readonly vrid: number;
  /** The instance's family, and whether a line before `use_ipvlan` had set it. */
  readonly family: AddressFamily;
  readonly familySetBefore: boolean;
  readonly interface: string | null;
  readonly unicast: boolean;
  /** Every `use_ipvlan` line; keepalived reads the first only. */
  readonly lines: readonly UseIpvlanLine[];
  readonly xmitBase: SourceLoc | null;
  readonly taken: Map<string, string>;
  readonly prefix?: string | null;
  /** Where the instance's messages without a line go. */
  readonly loc: SourceLoc;
}

/** The words of the first `use_ipvlan` line as vrrp_parser.c vrrp_ipvlan_handler reads them, in order. */
export function readIpvlanWords(
  c: Pick<IpvlanCompletion, 'instance' | 'family' | 'familySetBefore' | 'taken'>,
  line: UseIpvlanLine,
  sink: DiagnosticSink,
): {
  name: string | null;
  type: IpvlanSettings['type'];
  address: IpvlanSettings | null;
  group: number | null;
} {
  const name = c.instance;
  let ifname: string | null = null;
  let type: IpvlanSettings['type'] | null = null;
  let address: IpvlanSettings | null = null;
  let group: number | null = null;
  const err = (text: string): void => sink.report('error', 'vmac', `(${name}) ${text}`, line.loc);
  for (let i = 0; i < line.words.length; i++) {
    let word = line.words[i]!;
    // keepalived 2.3.0: `group G` (the interface group) and `name NAME` (the next word is the name).
    const named = word === 'name' && i + 1 < line.words.length;
    if (word === 'group') {
      const g = interfaceGroup(line.words[++i]);
      if (g === null) sink.report('error', 'vmac', `ipvlan group ${line.words[i] ?? ''} not found`, line.loc);
      else group = g;
      continue;
    }
    if (named) word = line.words[++i]!;
    if (!named && IPVLAN_TYPES.has(word)) {
      if (type !== null) err(`ipvlan type already specified - ignoring '${word}'`);
      else type = word as IpvlanSettings['type'];
      continue;
    }
    const a = named ? null : parseAddress(word);
    if (a !== null) {
      if (address !== null) {
        err(`ipvlan address already specified - ignoring '${word}'`);
        continue;
      }
      // The first address line sets the instance's family; the ipvlan's may be that line.
      if (c.familySetBefore && a.family !== c.family) {
        err(`ipvlan address[${word}] MUST match vrrp instance family !!! Skipping...`);
        continue;
      }
      address = { type: 'bridge', address: a.address, prefixLength: a.prefixLength, family: a.family };
      continue;
    }
    if (ifname !== null) {
      err(`IPVLAN interface already specified - ignoring '${word}'`);
      continue;
    }
    if (Buffer.byteLength(word) >= IFNAMSIZ) {
      err(`IPVLAN interface name '${word}' too long - ignoring`);
      continue;
    }
    const other = c.taken.get(word);
    if (other !== undefined) {
      err(`VRRP instance ${other} is already using ${word} - ignoring name`);
      continue;
    }
    ifname = word;
  }
  return { name: ifname, type: type ?? 'bridge', address, group };
}

/**
 * The instance's ipvlan as vrrp_parser.c and vrrp.c vrrp_complete_instance settle it, or null
 * without `use_ipvlan`. Its name is taken as a VMAC's is (`vrrp.VRID` by default); adverts go out
 * from it (xmit_base is for VMACs only), from its address.
 */
export function completeIpvlan(c: IpvlanCompletion, sink: DiagnosticSink): VmacSettings | null {
  const { instance: name } = c;
  const line = c.lines[0];
  if (line === undefined) return null;
  const words = readIpvlanWords(c, line, sink);
  for (const again of c.lines.slice(1))
    sink.report('error', 'vmac', `(${name}) use_ipvlan already specified`, again.loc);
  // vrrp_parser.c vrrp_end_handler, as for use_vmac.
  if (c.unicast && c.interface === null) {
    sink.report(
      'error',
      'vmac',
      `(${name}): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac`,
      line.loc,
    );
    return null;
  }
  let xmitBase = c.xmitBase !== null;
  if (c.unicast && !xmitBase) {
    sink.report(
      'error',
      'vmac',
      `(${name}) unicast with use_vmac requires vmac_xmit_base - setting`,
      line.loc,
    );
    xmitBase = true;
  }
  if (c.interface === null) return null;
  const ifname = words.name ?? freeName(c.vrid, c.family, c.taken, c.prefix ?? 'vrrp');
  c.taken.set(ifname, name);
  if (c.family === 'inet' && words.address === null)
    sink.report(
      'error',
      'vmac',
      `(${name}) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state`,
      c.loc,
    );
  else if (words.address !== null && words.address.family !== c.family)
    sink.report(
      'error',
      'vmac',
      `(${name}) IPv4 ipvlan address family does not match instance. setting instance to fault state`,
      c.loc,
    );
  // vrrp.c: vmac_xmit_base is cleared for an ipvlan.
  if (xmitBase)
    sink.report('error', 'vmac', `(${name}) vmac_xmit_base is only valid with a vmac`, c.xmitBase ?? c.loc);
  return {
    ifname,
    mac: '',
    xmitBase: false,
    ...(words.group === null ? {} : { group: words.group }),
    ipvlan: {
      type: words.type,
      address: words.address?.address ?? null,
      prefixLength: words.address?.prefixLength ?? null,
      family: words.address?.family ?? c.family,
    },
  };
}

/** What placeVips reads of a `virtual_ipaddress` line (keywords/vrrp-instance.ts VipLine). */
export interface VipLine {
  readonly text: string;
  readonly address: string;
  readonly family: AddressFamily;
  readonly prefixLength: number;
  readonly dev: string | null;
  readonly useVmac: boolean;
  readonly loc: SourceLoc;
}

export interface VipPlacementInput {
  readonly instance: string;
  readonly vrid: number;
  readonly family: AddressFamily;
  readonly interface: string | null;
  /** Where a VIP without `dev` goes when no VMAC takes it (`interface`, else default_interface). */
  readonly defaultDev: string;
  readonly vmac: VmacSettings | null;
  readonly useVmacAddr: boolean;
  readonly taken: Map<string, string>;
  /** `vmac_addr_prefix`, else `vmac_prefix`. */
  readonly prefix?: string | null;
}

/**
 * Where each VIP/eVIP line goes, and the VMACs of VIPs on other interfaces, as vrrp.c
 * vrrp_complete_instance places them: a VIP of the instance's family on the instance's interface
 * goes on its VMAC; with a VIP's `use_vmac` word, or `use_vmac_addr` for VIPs on another interface
 * or of the other family, the VIP goes on a VMAC on its own interface, one a (VRID, family,
 * interface), named as create_vmac_name names them and with the instance's MAC when one was given.
 */
export function placeVips(
  c: VipPlacementInput,
  lines: readonly VipLine[],
  sink: DiagnosticSink,
): { devs: string[]; vipVmacs: VipVmac[] } {
  const vipVmacs: VipVmac[] = [];
  const configuredMac = c.vmac !== null && c.vmac.mac !== vrrpMac(c.vrid, c.family) ? c.vmac.mac : null;
  // vrrp_ipaddress.c ipaddresstos: the prefix unless a host address.
  const text = (v: VipLine): string =>
    v.prefixLength === (v.family === 'inet' ? 32 : 128) ? v.address : v.text;
  const devs = lines.map((v) => {
    const onBase = v.dev === null || v.dev === c.interface;
    const sameFamily = v.family === c.family;
    let own = v.useVmac;
    if (own) {
      if (onBase && c.vmac !== null && sameFamily) {
        sink.report(
          'error',
          'vmac',
          `(${c.instance}) use_vmac specified for VIP/eVIP ${text(v)} and vrrp instance`,
          v.loc,
        );
        own = false;
      } else if ((!onBase || !sameFamily) && c.useVmacAddr) {
        sink.report(
          'error',
          'vmac',
          `(${c.instance}) use_vmac_addr specified and use_vmac specified for VIP/eVIP ${text(v)}`,
          v.loc,
        );
        own = false;
      }
    }
    if (onBase && c.vmac !== null && sameFamily) return c.vmac.ifname;
    const dev = v.dev ?? c.defaultDev;
    const needsVmac = onBase ? own || (c.useVmacAddr && !sameFamily) : own || c.useVmacAddr;
    if (!needsVmac || c.interface === null) return dev;
    const mac = configuredMac ?? vrrpMac(c.vrid, v.family);
    const have = vipVmacs.find((x) => x.base === dev && x.family === v.family);
    if (have) return have.ifname;
    const ifname = freeName(c.vrid, v.family, c.taken, c.prefix ?? 'vrrp');
    c.taken.set(ifname, c.instance);
    vipVmacs.push({ ifname, base: dev, mac, family: v.family });
    return ifname;
  });
  return { devs, vipVmacs };
}
