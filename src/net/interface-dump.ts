/**
 * EDGE: the host's interfaces as the data file's `------< Interfaces >------` section shows them
 * (keepalived's vrrp_if.c `dump_if`, docs/operations.md "Dump files"): read from rtnetlink at
 * each SIGUSR1, since keepalived lists every interface of its namespace with its state then.
 */
import { createRtNetlink, rt } from 'netlink';
import { readSysctl } from './sysctl.js';
import { parseLinkInfo } from './vmac.js';

export interface HostInterface {
  readonly name: string;
  readonly index: number;
  /** IPv4 addresses, primary first. */
  readonly ipv4: readonly string[];
  /** IPv6 addresses, link-local first (keepalived's interface address is the link-local one). */
  readonly ipv6: readonly string[];
  readonly mac: string | null;
  readonly macBroadcast: string | null;
  readonly flags: {
    readonly up: boolean;
    readonly running: boolean;
    readonly broadcast: boolean;
    readonly loopback: boolean;
    readonly pointToPoint: boolean;
    readonly noArp: boolean;
    readonly multicast: boolean;
  };
  readonly mtu: number;
  /** ARPHRD_* number. */
  readonly hwType: number;
  /** A macvlan: its mode (MACVLAN_MODE_*) and the name of the link it is on. */
  readonly macvlan?: { readonly mode: number | null; readonly base: string | null };
  /** An ipvlan: its mode (IPVLAN_MODE_*), its IPVLAN_F_* flags and the name of its lower link. */
  readonly ipvlan?: {
    readonly mode: number | null;
    readonly flags: number | null;
    readonly base: string | null;
  };
  /** net.ipv4.conf.NAME.arp_ignore, arp_filter, promote_secondaries now (null: unreadable). */
  readonly arpIgnore?: number | null;
  readonly arpFilter?: number | null;
  readonly promoteSecondaries?: number | null;
}

const AF_INET = 2;
const AF_INET6 = 10;

/** A link-layer address; none for an all-zero one (loopback), as keepalived shows it. */
function mac(bytes: Buffer | undefined): string | null {
  if (bytes === undefined || bytes.length === 0 || bytes.every((b) => b === 0)) return null;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function address(bytes: Buffer, family: number): string | null {
  if (family === AF_INET && bytes.length === 4) return [...bytes].join('.');
  if (family === AF_INET6 && bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    // RFC 5952: the longest run of two or more zero groups becomes `::`.
    let best = { at: -1, len: 0 };
    for (let i = 0; i < 8;) {
      if (groups[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
      i = j;
    }
    if (best.at === -1) return groups.join(':');
    const head = groups.slice(0, best.at).join(':');
    const tail = groups.slice(best.at + best.len).join(':');
    return `${head}::${tail}`;
  }
  return null;
}

function hwTypeOf(type: unknown): number {
  if (typeof type === 'number') return type;
  const table = (rt as unknown as { LinkType?: Record<string, number> }).LinkType;
  return typeof type === 'string' && table !== undefined ? (table[type] ?? 0) : 0;
}

/** Every interface of this namespace, by index, with its addresses. */
export async function readHostInterfaces(): Promise<HostInterface[]> {
  const socket = createRtNetlink();
  try {
    // One dump at a time: two multipart replies interleaved on one socket confuse the reader.
    const links = await socket.getLinks();
    const addrs = await socket.getAddresses();
    const v4 = new Map<number, { address: string; secondary: boolean }[]>();
    const v6 = new Map<number, { address: string; link: boolean }[]>();
    for (const m of addrs) {
      const bytes = m.attrs.local ?? m.attrs.address;
      const family = m.data.family ?? 0;
      const index = m.data.index ?? 0;
      if (bytes === undefined) continue;
      const text = address(Buffer.from(bytes), family);
      if (text === null) continue;
      if (family === AF_INET) {
        const secondary = (m.attrs.flags ?? m.data.flags)?.secondary === true;
        v4.set(index, [...(v4.get(index) ?? []), { address: text, secondary }]);
      } else {
        v6.set(index, [...(v6.get(index) ?? []), { address: text, link: text.startsWith('fe80') }]);
      }
    }
    const nameOf = new Map(links.map((l) => [l.data.index ?? 0, l.attrs.ifname ?? '']));
    const conf = (name: string, key: string): number | null => {
      try {
        return readSysctl(`net/ipv4/conf/${name}/${key}`);
      } catch {
        return null;
      }
    };
    return links
      .map((l): HostInterface => {
        const f = l.data.flags ?? {};
        const index = l.data.index ?? 0;
        const info = parseLinkInfo(l.attrs.linkinfo);
        const lower = l.attrs.link && l.attrs.link.length >= 4 ? l.attrs.link.readUInt32LE(0) : null;
        const name = l.attrs.ifname ?? '';
        const four = v4.get(index) ?? [];
        const six = v6.get(index) ?? [];
        return {
          name,
          index,
          ipv4: [...four.filter((a) => !a.secondary), ...four.filter((a) => a.secondary)].map(
            (a) => a.address,
          ),
          ipv6: [...six.filter((a) => a.link), ...six.filter((a) => !a.link)].map((a) => a.address),
          mac: mac(l.attrs.address === undefined ? undefined : Buffer.from(l.attrs.address)),
          macBroadcast: mac(l.attrs.broadcast === undefined ? undefined : Buffer.from(l.attrs.broadcast)),
          flags: {
            up: f.up === true,
            running: f.running === true,
            broadcast: f.broadcast === true,
            loopback: f.loopback === true,
            pointToPoint: f.pointopoint === true,
            noArp: f.noarp === true,
            multicast: f.multicast === true,
          },
          mtu: l.attrs.mtu ?? 0,
          hwType: hwTypeOf(l.data.type),
          ...(info.kind === 'macvlan'
            ? {
                macvlan: {
                  mode: info.macvlanMode,
                  base: lower === null ? null : (nameOf.get(lower) ?? null),
                },
              }
            : {}),
          ...(info.kind === 'ipvlan'
            ? {
                ipvlan: {
                  mode: info.ipvlanMode ?? null,
                  flags: info.ipvlanFlags ?? null,
                  base: lower === null ? null : (nameOf.get(lower) ?? null),
                },
              }
            : {}),
          arpIgnore: conf(name, 'arp_ignore'),
          arpFilter: conf(name, 'arp_filter'),
          promoteSecondaries: conf(name, 'promote_secondaries'),
        };
      })
      .sort((a, b) => a.index - b.index);
  } finally {
    socket.socket.close();
  }
}
