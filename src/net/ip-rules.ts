/**
 * EDGE: policy routing rules over rtnetlink (RTM_NEWRULE / RTM_DELRULE, linux/fib_rules.h), for
 * `static_rules` and `virtual_rules`. The message codec is pure and builds the bytes keepalived
 * 2.2.7's netlink_rule (vrrp/vrrp_iprule.c) sends: the same header fields, the same attributes
 * in the same order (test/fixtures/ip-rules holds what it sent, captured with strace). The
 * adapter sends them on an rtnetlink socket of its own (`netlink` package).
 */
import { constants as osConstants } from 'node:os';
import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import { addressToBytes, bytesToAddress } from '../util/ip.js';
import { hardenSubscription } from './netlink-fd.js';

const AF_INET = 2;
const AF_INET6 = 10;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const FIB_RULE_INVERT = 0x2;
const RT_TABLE_MAIN = 254;

/** enum FRA_* (linux/fib_rules.h). */
export const FRA = {
  DST: 1,
  SRC: 2,
  IIFNAME: 3,
  GOTO: 4,
  PRIORITY: 6,
  FWMARK: 10,
  FLOW: 11,
  TUN_ID: 12,
  SUPPRESS_IFGROUP: 13,
  SUPPRESS_PREFIXLEN: 14,
  TABLE: 15,
  FWMASK: 16,
  OIFNAME: 17,
  L3MDEV: 19,
  UID_RANGE: 20,
  PROTOCOL: 21,
  IP_PROTO: 22,
  SPORT_RANGE: 23,
  DPORT_RANGE: 24,
} as const;

export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';
/** enum FR_ACT_* (linux/fib_rules.h). */
const FR_ACT: Record<RuleAction, number> = {
  table: 1,
  goto: 2,
  nop: 3,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
};

type Range = { readonly start: number; readonly end: number };

/** One rule in kernel terms (the config model's `IpRule` satisfies it structurally). */
export interface RuleSpec {
  readonly family: 'inet' | 'inet6';
  readonly invert: boolean;
  readonly from: { readonly address: string; readonly prefixLength: number } | null;
  readonly to: { readonly address: string; readonly prefixLength: number } | null;
  readonly priority: number;
  readonly tos: number;
  readonly fwmark: number | null;
  readonly fwmask: number | null;
  readonly realms: number;
  readonly suppressPrefixLength: number | null;
  readonly suppressIfgroup: number | null;
  readonly iif: string | null;
  readonly oif: string | null;
  /** Decimal text of the 64-bit tunnel id. */
  readonly tunnelId: string | null;
  readonly uidRange: Range | null;
  readonly l3mdev: boolean;
  readonly protocol: number | null;
  readonly ipProto: number | null;
  readonly sport: Range | null;
  readonly dport: Range | null;
  readonly action: RuleAction;
  readonly table: number;
  readonly gotoTarget: number;
}

class Attrs {
  readonly parts: Buffer[] = [];
  add(type: number, value: Buffer): void {
    const len = 4 + value.length;
    const b = Buffer.alloc((len + 3) & ~3);
    b.writeUInt16LE(len, 0);
    b.writeUInt16LE(type, 2);
    value.copy(b, 4);
    this.parts.push(b);
  }
  u32(type: number, v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0, 0);
    this.add(type, b);
  }
  u8(type: number, v: number): void {
    this.add(type, Buffer.from([v & 0xff]));
  }
  str(type: number, s: string): void {
    this.add(type, Buffer.concat([Buffer.from(s), Buffer.from([0])]));
  }
  range16(type: number, r: Range): void {
    const b = Buffer.alloc(4);
    b.writeUInt16LE(r.start, 0);
    b.writeUInt16LE(r.end, 2);
    this.add(type, b);
  }
}

function addressBytes(address: string, family: 'inet' | 'inet6'): Buffer {
  const b = addressToBytes(address);
  if (!b || b.length !== (family === 'inet' ? 4 : 16))
    throw new Error(`bad rule address ${address} for ${family}`);
  return b;
}

/** The message body after the netlink header: struct fib_rule_hdr, then the FRA_* attributes. */
export function encodeRuleBody(spec: RuleSpec): Buffer {
  const hdr = Buffer.alloc(12);
  hdr[0] = spec.family === 'inet' ? AF_INET : AF_INET6;
  hdr[1] = spec.to?.prefixLength ?? 0;
  hdr[2] = spec.from?.prefixLength ?? 0;
  hdr[3] = spec.tos & 0xff;
  const a = new Attrs();
  if (spec.action === 'table' && !spec.l3mdev) {
    if (spec.table < 256) hdr[4] = spec.table === 0 ? RT_TABLE_MAIN : spec.table;
    else a.u32(FRA.TABLE, spec.table);
  }
  hdr[7] = FR_ACT[spec.action];
  hdr.writeUInt32LE(spec.invert ? FIB_RULE_INVERT : 0, 8);
  if (spec.from) a.add(FRA.SRC, addressBytes(spec.from.address, spec.family));
  if (spec.to) a.add(FRA.DST, addressBytes(spec.to.address, spec.family));
  a.u32(FRA.PRIORITY, spec.priority);
  if (spec.fwmark !== null) a.u32(FRA.FWMARK, spec.fwmark);
  if (spec.fwmask !== null) a.u32(FRA.FWMASK, spec.fwmask);
  if (spec.realms) a.u32(FRA.FLOW, spec.realms);
  if (spec.suppressPrefixLength !== null) a.u32(FRA.SUPPRESS_PREFIXLEN, spec.suppressPrefixLength);
  if (spec.suppressIfgroup !== null) a.u32(FRA.SUPPRESS_IFGROUP, spec.suppressIfgroup);
  if (spec.iif !== null) a.str(FRA.IIFNAME, spec.iif);
  if (spec.oif !== null) a.str(FRA.OIFNAME, spec.oif);
  if (spec.tunnelId !== null) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(spec.tunnelId), 0); // htobe64
    a.add(FRA.TUN_ID, b);
  }
  if (spec.uidRange) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(spec.uidRange.start, 0);
    b.writeUInt32LE(spec.uidRange.end, 4);
    a.add(FRA.UID_RANGE, b);
  }
  if (spec.l3mdev) a.u8(FRA.L3MDEV, 1);
  if (spec.protocol !== null) a.u8(FRA.PROTOCOL, spec.protocol);
  if (spec.ipProto !== null) a.u8(FRA.IP_PROTO, spec.ipProto);
  if (spec.sport) a.range16(FRA.SPORT_RANGE, spec.sport);
  if (spec.dport) a.range16(FRA.DPORT_RANGE, spec.dport);
  if (spec.action === 'goto') a.u32(FRA.GOTO, spec.gotoTarget);
  return Buffer.concat([hdr, ...a.parts]);
}

/** The netlink flags keepalived sends with each command (netlink_rule, netlink_talk). */
export function ruleFlags(cmd: 'add' | 'delete'): number {
  return cmd === 'add' ? NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL : NLM_F_REQUEST | NLM_F_ACK;
}

/** A whole message, netlink header first (what goes on the wire; the socket adds seq and port). */
export function encodeRuleMessage(spec: RuleSpec, cmd: 'add' | 'delete', seq: number, port = 0): Buffer {
  const body = encodeRuleBody(spec);
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + body.length, 0);
  h.writeUInt16LE(cmd === 'add' ? RTM_NEWRULE : RTM_DELRULE, 4);
  h.writeUInt16LE(ruleFlags(cmd), 6);
  h.writeUInt32LE(seq >>> 0, 8);
  h.writeUInt32LE(port >>> 0, 12);
  return Buffer.concat([h, body]);
}

/** A rule the kernel reports (RTM_NEWRULE dump or notification body), in the same terms. */
export interface DecodedRule extends RuleSpec {
  /** FRA_PRIORITY absent means 0. */
  readonly attrs: ReadonlySet<number>;
}

const ACTION_BY_NUMBER = new Map(Object.entries(FR_ACT).map(([k, v]) => [v, k as RuleAction]));

/** Parses a fib_rule_hdr and its attributes (the body after the netlink header). */
export function decodeRuleBody(body: Buffer): DecodedRule {
  if (body.length < 12) throw new Error('short fib_rule_hdr');
  const family = body[0] === AF_INET6 ? 'inet6' : 'inet';
  const dstLen = body[1]!;
  const srcLen = body[2]!;
  const action = ACTION_BY_NUMBER.get(body[7]!);
  if (action === undefined) throw new Error(`unknown rule action ${body[7]}`);
  const attrs = new Map<number, Buffer>();
  for (let off = 12; off + 4 <= body.length;) {
    const len = body.readUInt16LE(off);
    const type = body.readUInt16LE(off + 2) & 0x3fff;
    if (len < 4 || off + len > body.length) break;
    attrs.set(type, body.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  const u32 = (t: number): number | null => (attrs.has(t) ? attrs.get(t)!.readUInt32LE(0) : null);
  const u8 = (t: number): number | null => (attrs.has(t) ? attrs.get(t)![0]! : null);
  const str = (t: number): string | null =>
    attrs.has(t) ? attrs.get(t)!.toString('utf8').replace(/\0.*$/s, '') : null;
  const range16 = (t: number): Range | null => {
    const b = attrs.get(t);
    return b ? { start: b.readUInt16LE(0), end: b.readUInt16LE(2) } : null;
  };
  const addr = (t: number, len: number): RuleSpec['from'] => {
    const b = attrs.get(t);
    if (!b) return null;
    const address = bytesToAddress(b);
    return address === null ? null : { address, prefixLength: len };
  };
  const uid = attrs.get(FRA.UID_RANGE);
  const tun = attrs.get(FRA.TUN_ID);
  const hdrTable = body[4]!;
  return {
    family,
    invert: (body.readUInt32LE(8) & FIB_RULE_INVERT) !== 0,
    from: addr(FRA.SRC, srcLen),
    to: addr(FRA.DST, dstLen),
    priority: u32(FRA.PRIORITY) ?? 0,
    tos: body[3]!,
    fwmark: u32(FRA.FWMARK),
    fwmask: u32(FRA.FWMASK),
    realms: u32(FRA.FLOW) ?? 0,
    suppressPrefixLength: u32(FRA.SUPPRESS_PREFIXLEN),
    suppressIfgroup: u32(FRA.SUPPRESS_IFGROUP),
    iif: str(FRA.IIFNAME),
    oif: str(FRA.OIFNAME),
    tunnelId: tun ? tun.readBigUInt64BE(0).toString() : null,
    uidRange: uid ? { start: uid.readUInt32LE(0), end: uid.readUInt32LE(4) } : null,
    l3mdev: (u8(FRA.L3MDEV) ?? 0) !== 0,
    protocol: u8(FRA.PROTOCOL),
    ipProto: u8(FRA.IP_PROTO),
    sport: range16(FRA.SPORT_RANGE),
    dport: range16(FRA.DPORT_RANGE),
    action,
    table: u32(FRA.TABLE) ?? hdrTable,
    gotoTarget: u32(FRA.GOTO) ?? 0,
    attrs: new Set(attrs.keys()),
  };
}

/** `ip rule`-like text of a rule, for log lines about it. */
export function describeRule(spec: RuleSpec): string {
  const from = spec.from ? `${spec.from.address}/${spec.from.prefixLength}` : 'all';
  const to = spec.to ? ` to ${spec.to.address}/${spec.to.prefixLength}` : '';
  return `${spec.priority}: from ${from}${to}`;
}

const { EEXIST, ENOENT } = osConstants.errno;

function errnoOf(e: unknown): number | null {
  const fromField = (e as { errno?: unknown } | null)?.errno;
  if (typeof fromField === 'number') return Math.abs(fromField);
  const m = /Request rejected: (-?\d+|E[A-Z0-9]+)/.exec((e as Error | null)?.message ?? '');
  if (!m) return null;
  const code = m[1]!;
  if (/^-?\d+$/.test(code)) return Math.abs(Number(code));
  return (osConstants.errno as Record<string, number>)[code] ?? null;
}

/** What sends the requests: an rtnetlink socket (a fake in tests). */
export type RuleRequester = Pick<RtNetlinkSocket, 'request'>;

export class RuleNetlink {
  constructor(
    private readonly socket: RuleRequester,
    private readonly onClose: () => void = () => {},
  ) {}

  static open(): RuleNetlink {
    const s = createRtNetlink();
    return new RuleNetlink(s, () => s.socket.close());
  }

  close(): void {
    this.onClose();
  }

  /** Adds a rule; `false` when the kernel has it already (EEXIST). */
  async add(spec: RuleSpec): Promise<boolean> {
    try {
      await this.socket.request(RTM_NEWRULE, encodeRuleBody(spec), { flags: NLM_F_CREATE | NLM_F_EXCL });
      return true;
    } catch (e) {
      if (errnoOf(e) === EEXIST) return false;
      throw new Error(`add rule ${describeRule(spec)}: ${(e as Error).message}`);
    }
  }

  /** Removes a rule; `false` when there was none (ENOENT). */
  async delete(spec: RuleSpec): Promise<boolean> {
    try {
      await this.socket.request(RTM_DELRULE, encodeRuleBody(spec), { flags: 0 });
      return true;
    } catch (e) {
      if (errnoOf(e) === ENOENT) return false;
      throw new Error(`delete rule ${describeRule(spec)}: ${(e as Error).message}`);
    }
  }
}

const RTNLGRP_IPV4_RULE = 8;
const RTNLGRP_IPV6_RULE = 19;
const INT32_MINUS_ONE = 0xffffffff;

/**
 * keepalived_netlink.c compare_rule: whether a rule the kernel reports is this configured one.
 * A `no_track` rule never is; a rule of another protocol is not ours. As in keepalived, a
 * `from all` rule is not recognised (the kernel reports no FRA_SRC for a zero-length source).
 */
export function matchesRule(d: DecodedRule, r: RuleSpec & { readonly noTrack: boolean }): boolean {
  if (r.noTrack) return false;
  if (d.protocol !== null && d.protocol !== 18) return false;
  const sameAddr = (x: RuleSpec['from'], y: RuleSpec['from']): boolean =>
    x === null || y === null ? x === y : x.prefixLength === y.prefixLength && x.address === y.address;
  const sameRange = (x: Range | null, y: Range | null): boolean =>
    x === null || y === null ? x === y : x.start === y.start && x.end === y.end;
  if (d.family !== r.family || !d.attrs.has(FRA.PRIORITY) || d.priority !== r.priority) return false;
  if (d.action !== r.action) return false;
  if (d.action === 'goto' && (!d.attrs.has(FRA.GOTO) || d.gotoTarget !== r.gotoTarget)) return false;
  if (d.table !== r.table || d.invert !== r.invert) return false;
  if (!sameAddr(d.from, r.from) || !sameAddr(d.to, r.to) || d.tos !== r.tos) return false;
  if ((d.fwmark === null) !== (r.fwmark === null) || (r.fwmark !== null && d.fwmark !== r.fwmark))
    return false;
  if (r.fwmask !== null ? d.fwmask !== r.fwmask : d.fwmask !== null && d.fwmask !== 0xffffffff) return false;
  if (d.realms !== r.realms) return false;
  const spl = d.suppressPrefixLength === INT32_MINUS_ONE ? null : d.suppressPrefixLength;
  if (spl !== r.suppressPrefixLength || d.suppressIfgroup !== r.suppressIfgroup) return false;
  if (d.iif !== r.iif || d.oif !== r.oif || d.tunnelId !== r.tunnelId) return false;
  if (!sameRange(d.uidRange, r.uidRange) || d.l3mdev !== r.l3mdev || d.ipProto !== r.ipProto) return false;
  return sameRange(d.sport, r.sport) && sameRange(d.dport, r.dport);
}

/** The kernel's rule notifications (RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE) on a socket of their own. */
export class RuleMonitor {
  private constructor(private readonly socket: RtNetlinkSocket) {}

  static open(onEvent: (kind: 'new' | 'delete', rule: DecodedRule) => void): RuleMonitor {
    const s = createRtNetlink();
    hardenSubscription(s.socket, 0 /* NETLINK_ROUTE */);
    s.socket.on('message', (msgs: { type: number; data: Buffer }[]) => {
      for (const m of msgs) {
        if (m.type !== RTM_NEWRULE && m.type !== RTM_DELRULE) continue;
        const family = m.data[0];
        if (family !== AF_INET && family !== AF_INET6) continue;
        let rule: DecodedRule;
        try {
          rule = decodeRuleBody(m.data);
        } catch {
          continue; // an action we do not configure
        }
        onEvent(m.type === RTM_NEWRULE ? 'new' : 'delete', rule);
      }
    });
    s.addMembership(RTNLGRP_IPV4_RULE);
    s.addMembership(RTNLGRP_IPV6_RULE);
    return new RuleMonitor(s);
  }

  close(): void {
    this.socket.socket.close();
  }
}
