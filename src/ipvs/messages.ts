/**
 * IPVS requests and replies, PURE: ServiceSpec / DestinationSpec <-> IPVS attributes
 * (<linux/ip_vs.h>). The byte-order traps, each pinned by a golden test:
 *   - ports (service, destination, tunnel) are __be16 inside otherwise native-endian attributes;
 *   - IPVS_SVC_ATTR_FLAGS is struct ip_vs_flags { u32 flags; u32 mask; }, sent with mask ~0;
 *   - IPVS_SVC_ATTR_NETMASK holds the IPv4 mask bytes in network order but an IPv6 prefix
 *     length as a host-order integer (the kernel checks 1..128);
 *   - addresses are a 16-byte union nf_inet_addr, IPv4 in the first 4 bytes;
 *   - IPVS_DAEMON_ATTR_MCAST_PORT is read by the kernel with nla_get_u16, so host order.
 */
import { addressToBytes, bytesToAddress } from '../util/ip.js';
import { err, ok, type Result } from '../util/result.js';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPVS_CMD,
  IPVS_CMD_ATTR,
  IPVS_DAEMON_ATTR,
  IPVS_DEST_ATTR,
  IPVS_INFO_ATTR,
  IPVS_STATS_ATTR,
  IPVS_SVC_ATTR,
  IP_VS_CONN_F_BYPASS,
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_CONN_F_LOCALNODE,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_CONN_F_TUNNEL_TYPE_GRE,
  IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  IP_VS_STATE_BACKUP,
  IP_VS_STATE_MASTER,
  IP_VS_SVC_F_USER_MASK,
  IPVS_GENL_VERSION,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
} from './constants.js';
import {
  attrGet,
  decodeAttrTable,
  HOST_LITTLE_ENDIAN,
  type AttrTable,
  type NetlinkWriter,
} from './netlink-codec.js';
import type {
  DestinationEntry,
  DestinationSpec,
  ForwardingMethod,
  IpvsFamily,
  IpvsInfo,
  IpvsStats,
  IpvsTimeouts,
  ServiceEntry,
  ServiceIdentity,
  ServiceSpec,
  SyncDaemonSpec,
  SyncDaemonState,
  TunnelType,
} from './types.js';

// ---------------------------------------------------------------------------------------------
// Names and keys
// ---------------------------------------------------------------------------------------------

export const familyToAf = (f: IpvsFamily): number => (f === 'inet' ? AF_INET : AF_INET6);
export const afToFamily = (af: number): IpvsFamily | null =>
  af === AF_INET ? 'inet' : af === AF_INET6 ? 'inet6' : null;

export const PROTOCOL_NUMBERS = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP } as const;

/** Lower-case protocol name as keepalived and ipvsadm print it, or the number. */
export function protocolName(p: number): string {
  return p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : p === IPPROTO_SCTP ? 'sctp' : String(p);
}

const FWD_CODES: Record<ForwardingMethod, number> = {
  NAT: IP_VS_CONN_F_MASQ,
  LOCAL: IP_VS_CONN_F_LOCALNODE,
  TUN: IP_VS_CONN_F_TUNNEL,
  DR: IP_VS_CONN_F_DROUTE,
  BYPASS: IP_VS_CONN_F_BYPASS,
};
const FWD_BY_CODE: readonly ForwardingMethod[] = ['NAT', 'LOCAL', 'TUN', 'DR', 'BYPASS'];
const TUN_CODES: Record<TunnelType, number> = {
  ipip: IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  gue: IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  gre: IP_VS_CONN_F_TUNNEL_TYPE_GRE,
};
const TUN_BY_CODE: readonly TunnelType[] = ['ipip', 'gue', 'gre'];

/** Identity key of a service: `tcp|10.0.0.1|80` or `fwm|inet|10`. */
export function serviceKey(id: ServiceIdentity): string {
  return id.kind === 'fwmark'
    ? `fwm|${id.family}|${id.fwmark}`
    : `${protocolName(id.protocol)}|${id.address}|${id.port}`;
}

/** Identity key of a destination within its service: `10.1.1.1|80` (as keepalived's rs_iseq). */
export function destinationKey(d: { readonly address: string; readonly port: number }): string {
  return `${d.address}|${d.port}`;
}

/** keepalived's service text in log lines: `10.0.0.1:tcp:80` or `Fwm 10` (`Fwm 10 inet6`). */
export function formatServiceForLog(id: ServiceIdentity): string {
  if (id.kind === 'fwmark') return `Fwm ${id.fwmark}${id.family === 'inet6' ? ' inet6' : ''}`;
  return `${id.address}:${protocolName(id.protocol)}:${id.port}`;
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/**
 * The value of an IPv4 address in canonical dotted-decimal form (`10.0.0.1`: four decimal octets,
 * no leading zeros), or -1 for any other text. A fast path: tens of thousands of addresses go
 * through here on a big reload, and the general parser is far slower; other forms fall back to it.
 */
export function canonicalIpv4Value(text: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** 16-byte union nf_inet_addr; null for an address that is not of the family. */
export function inetAddrBytes(address: string, family: IpvsFamily): Buffer | null {
  if (family === 'inet') {
    const v = canonicalIpv4Value(address);
    if (v >= 0) {
      const out = Buffer.alloc(16);
      out.writeUInt32BE(v, 0);
      return out;
    }
  }
  const raw = addressToBytes(address);
  if (!raw || raw.length !== (family === 'inet' ? 4 : 16)) return null;
  const out = Buffer.alloc(16);
  raw.copy(out);
  return out;
}

function netmaskBytes(netmask: number, family: IpvsFamily): Buffer {
  const b = Buffer.alloc(4);
  if (family === 'inet') b.writeUInt32BE(netmask >>> 0, 0);
  else if (HOST_LITTLE_ENDIAN) b.writeUInt32LE(netmask >>> 0, 0);
  else b.writeUInt32BE(netmask >>> 0, 0);
  return b;
}

/** Writes the IPVS_SVC_ATTR_* of a service; `full` adds the attributes NEW/SET_SERVICE require. */
export function writeServiceAttrs(
  w: NetlinkWriter,
  spec: ServiceSpec | { readonly id: ServiceIdentity },
  full: boolean,
): Result<void> {
  const id = spec.id;
  w.u16(IPVS_SVC_ATTR.AF, familyToAf(id.family));
  if (id.kind === 'fwmark') {
    w.u32(IPVS_SVC_ATTR.FWMARK, id.fwmark);
  } else {
    const addr = inetAddrBytes(id.address, id.family);
    if (!addr) return err(`service address ${id.address} is not ${id.family}`);
    w.u16(IPVS_SVC_ATTR.PROTOCOL, id.protocol);
    w.bytes(IPVS_SVC_ATTR.ADDR, addr);
    w.be16(IPVS_SVC_ATTR.PORT, id.port);
  }
  if (full && 'scheduler' in spec) {
    w.string(IPVS_SVC_ATTR.SCHED_NAME, spec.scheduler);
    if (spec.peName) w.string(IPVS_SVC_ATTR.PE_NAME, spec.peName);
    const flags = Buffer.alloc(8);
    const put = HOST_LITTLE_ENDIAN ? flags.writeUInt32LE.bind(flags) : flags.writeUInt32BE.bind(flags);
    put(spec.flags >>> 0, 0);
    put(0xffffffff, 4);
    w.bytes(IPVS_SVC_ATTR.FLAGS, flags);
    w.u32(IPVS_SVC_ATTR.TIMEOUT, spec.timeout);
    w.bytes(IPVS_SVC_ATTR.NETMASK, netmaskBytes(spec.netmask, id.family));
  }
  return ok(undefined);
}

/** Writes the IPVS_DEST_ATTR_* of a destination; `full` adds what NEW/SET_DEST require. */
export function writeDestAttrs(w: NetlinkWriter, d: DestinationSpec, full: boolean): Result<void> {
  const addr = inetAddrBytes(d.address, d.family);
  if (!addr) return err(`destination address ${d.address} is not ${d.family}`);
  w.bytes(IPVS_DEST_ATTR.ADDR, addr);
  w.be16(IPVS_DEST_ATTR.PORT, d.port);
  w.u16(IPVS_DEST_ATTR.ADDR_FAMILY, familyToAf(d.family));
  if (full) {
    w.u32(IPVS_DEST_ATTR.FWD_METHOD, FWD_CODES[d.forwarding]);
    w.u32(IPVS_DEST_ATTR.WEIGHT, d.weight);
    w.u32(IPVS_DEST_ATTR.U_THRESH, d.upperThreshold);
    w.u32(IPVS_DEST_ATTR.L_THRESH, d.lowerThreshold);
    if (d.forwarding === 'TUN' && d.tunnel) {
      w.u8(IPVS_DEST_ATTR.TUN_TYPE, TUN_CODES[d.tunnel.type]);
      w.be16(IPVS_DEST_ATTR.TUN_PORT, d.tunnel.port);
      w.u16(IPVS_DEST_ATTR.TUN_FLAGS, d.tunnel.flags);
    }
  }
  return ok(undefined);
}

/** One IPVS request: its command, whether it is a dump, and how to write its attributes. */
export interface IpvsRequest {
  readonly cmd: number;
  readonly dump: boolean;
  readonly write: (w: NetlinkWriter) => Result<void>;
}

/**
 * Frames one request: nlmsghdr (REQUEST plus ACK, or DUMP) + genlmsghdr + attributes. On an
 * encoding error nothing is left in the writer.
 */
export function writeIpvsRequest(
  w: NetlinkWriter,
  req: IpvsRequest,
  familyId: number,
  seq: number,
): Result<void> {
  const start = w.length;
  const flags = NLM_F_REQUEST | (req.dump ? NLM_F_DUMP : NLM_F_ACK);
  w.beginMessage({ type: familyId, flags, seq, pid: 0 }, { cmd: req.cmd, version: IPVS_GENL_VERSION });
  const r = req.write(w);
  w.endMessage();
  if (!r.ok) w.truncate(start);
  return r;
}

const noAttrs = (): Result<void> => ok(undefined);

function withService(spec: ServiceSpec | { readonly id: ServiceIdentity }, full: boolean) {
  return (w: NetlinkWriter): Result<void> => {
    w.beginNested(IPVS_CMD_ATTR.SERVICE);
    const r = writeServiceAttrs(w, spec, full);
    w.endNested();
    return r;
  };
}

function withServiceAndDest(svc: ServiceIdentity, dest: DestinationSpec, full: boolean) {
  return (w: NetlinkWriter): Result<void> => {
    w.beginNested(IPVS_CMD_ATTR.SERVICE);
    const r1 = writeServiceAttrs(w, { id: svc }, false);
    w.endNested();
    if (!r1.ok) return r1;
    w.beginNested(IPVS_CMD_ATTR.DEST);
    const r2 = writeDestAttrs(w, dest, full);
    w.endNested();
    return r2;
  };
}

export const requests = {
  getInfo: (): IpvsRequest => ({ cmd: IPVS_CMD.GET_INFO, dump: false, write: noAttrs }),
  getConfig: (): IpvsRequest => ({ cmd: IPVS_CMD.GET_CONFIG, dump: false, write: noAttrs }),
  flush: (): IpvsRequest => ({ cmd: IPVS_CMD.FLUSH, dump: false, write: noAttrs }),
  newService: (s: ServiceSpec): IpvsRequest => ({
    cmd: IPVS_CMD.NEW_SERVICE,
    dump: false,
    write: withService(s, true),
  }),
  setService: (s: ServiceSpec): IpvsRequest => ({
    cmd: IPVS_CMD.SET_SERVICE,
    dump: false,
    write: withService(s, true),
  }),
  delService: (id: ServiceIdentity): IpvsRequest => ({
    cmd: IPVS_CMD.DEL_SERVICE,
    dump: false,
    write: withService({ id }, false),
  }),
  newDest: (svc: ServiceIdentity, d: DestinationSpec): IpvsRequest => ({
    cmd: IPVS_CMD.NEW_DEST,
    dump: false,
    write: withServiceAndDest(svc, d, true),
  }),
  setDest: (svc: ServiceIdentity, d: DestinationSpec): IpvsRequest => ({
    cmd: IPVS_CMD.SET_DEST,
    dump: false,
    write: withServiceAndDest(svc, d, true),
  }),
  delDest: (svc: ServiceIdentity, d: DestinationSpec): IpvsRequest => ({
    cmd: IPVS_CMD.DEL_DEST,
    dump: false,
    write: withServiceAndDest(svc, d, false),
  }),
  getServices: (): IpvsRequest => ({ cmd: IPVS_CMD.GET_SERVICE, dump: true, write: noAttrs }),
  getDests: (svc: ServiceIdentity): IpvsRequest => ({
    cmd: IPVS_CMD.GET_DEST,
    dump: true,
    write: withService({ id: svc }, false),
  }),
  /** IPVS_CMD_SET_CONFIG: a zero timeout leaves that value unchanged (kernel rule). */
  setTimeouts: (t: IpvsTimeouts): IpvsRequest => ({
    cmd: IPVS_CMD.SET_CONFIG,
    dump: false,
    write: (w) => {
      w.u32(IPVS_CMD_ATTR.TIMEOUT_TCP, t.tcp);
      w.u32(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN, t.tcpFin);
      w.u32(IPVS_CMD_ATTR.TIMEOUT_UDP, t.udp);
      return ok(undefined);
    },
  }),
  newDaemon: (d: SyncDaemonSpec): IpvsRequest => ({
    cmd: IPVS_CMD.NEW_DAEMON,
    dump: false,
    write: (w) => {
      w.beginNested(IPVS_CMD_ATTR.DAEMON);
      w.u32(IPVS_DAEMON_ATTR.STATE, d.state === 'master' ? IP_VS_STATE_MASTER : IP_VS_STATE_BACKUP);
      w.string(IPVS_DAEMON_ATTR.MCAST_IFN, d.interface);
      w.u32(IPVS_DAEMON_ATTR.SYNC_ID, d.syncId);
      if (d.maxlen !== null) w.u16(IPVS_DAEMON_ATTR.SYNC_MAXLEN, d.maxlen);
      let bad: string | null = null;
      if (d.group !== null) {
        const g = addressToBytes(d.group);
        if (!g) bad = `sync daemon group ${d.group} is not an address`;
        else w.bytes(g.length === 4 ? IPVS_DAEMON_ATTR.MCAST_GROUP : IPVS_DAEMON_ATTR.MCAST_GROUP6, g);
      }
      if (d.port !== null) w.u16(IPVS_DAEMON_ATTR.MCAST_PORT, d.port);
      if (d.ttl !== null) w.u8(IPVS_DAEMON_ATTR.MCAST_TTL, d.ttl);
      w.endNested();
      return bad === null ? ok(undefined) : err(bad);
    },
  }),
  delDaemon: (state: SyncDaemonState): IpvsRequest => ({
    cmd: IPVS_CMD.DEL_DAEMON,
    dump: false,
    write: (w) => {
      w.beginNested(IPVS_CMD_ATTR.DAEMON);
      w.u32(IPVS_DAEMON_ATTR.STATE, state === 'master' ? IP_VS_STATE_MASTER : IP_VS_STATE_BACKUP);
      w.endNested();
      return ok(undefined);
    },
  }),
};

// ---------------------------------------------------------------------------------------------
// Decoding (kernel replies)
// ---------------------------------------------------------------------------------------------

function need<T>(r: Result<T | null>, what: string): Result<T> {
  if (!r.ok) return r;
  return r.value === null ? err(`${what} missing`) : ok(r.value);
}

function nested(top: AttrTable, type: number, what: string): Result<AttrTable> {
  const b = top.get(type);
  if (!b) return err(`${what} missing`);
  return decodeAttrTable(b);
}

/** struct ip_vs_kstats from IPVS_*_ATTR_STATS64 (all u64) or IPVS_*_ATTR_STATS (u32 + u64 bytes). */
export function decodeStats(data: Buffer, is64: boolean): Result<IpvsStats> {
  const t = decodeAttrTable(data);
  if (!t.ok) return t;
  const get = (type: number, wide: boolean): Result<number> => {
    if (wide) {
      const v = attrGet.u64(t.value, type);
      return v.ok ? ok(v.value === null ? 0 : Number(v.value)) : v;
    }
    const v = attrGet.u32(t.value, type);
    return v.ok ? ok(v.value ?? 0) : v;
  };
  const S = IPVS_STATS_ATTR;
  const fields = [
    ['conns', S.CONNS, is64],
    ['inpkts', S.INPKTS, is64],
    ['outpkts', S.OUTPKTS, is64],
    ['inbytes', S.INBYTES, true],
    ['outbytes', S.OUTBYTES, true],
    ['cps', S.CPS, is64],
    ['inpps', S.INPPS, is64],
    ['outpps', S.OUTPPS, is64],
    ['inbps', S.INBPS, is64],
    ['outbps', S.OUTBPS, is64],
  ] as const;
  const out: Record<string, number> = {};
  for (const [name, type, wide] of fields) {
    const v = get(type, wide);
    if (!v.ok) return v;
    out[name] = v.value;
  }
  return ok(out as unknown as IpvsStats);
}

function decodeNestedStats(t: AttrTable, attr64: number, attr32: number): Result<IpvsStats | null> {
  const b64 = t.get(attr64);
  if (b64) return decodeStats(b64, true);
  const b32 = t.get(attr32);
  if (b32) return decodeStats(b32, false);
  return ok(null);
}

/** The nested IPVS_SVC_ATTR_* of a service (from a GET_SERVICE dump, or a request in tests). */
export function decodeServiceAttrs(data: Buffer): Result<ServiceEntry> {
  const tr = decodeAttrTable(data);
  if (!tr.ok) return tr;
  const t = tr.value;
  const af = need(attrGet.u16(t, IPVS_SVC_ATTR.AF), 'IPVS_SVC_ATTR_AF');
  if (!af.ok) return af;
  const family = afToFamily(af.value);
  if (!family) return err(`IPVS_SVC_ATTR_AF ${af.value} unknown`);
  const fwmark = attrGet.u32(t, IPVS_SVC_ATTR.FWMARK);
  if (!fwmark.ok) return fwmark;
  let id: ServiceIdentity;
  if (fwmark.value !== null && fwmark.value !== 0) {
    id = { kind: 'fwmark', family, fwmark: fwmark.value };
  } else {
    const protocol = need(attrGet.u16(t, IPVS_SVC_ATTR.PROTOCOL), 'IPVS_SVC_ATTR_PROTOCOL');
    if (!protocol.ok) return protocol;
    const addrBytes = t.get(IPVS_SVC_ATTR.ADDR);
    const size = family === 'inet' ? 4 : 16;
    if (!addrBytes || addrBytes.length < size) return err('IPVS_SVC_ATTR_ADDR missing or short');
    const address = bytesToAddress(addrBytes.subarray(0, size));
    if (address === null) return err('IPVS_SVC_ATTR_ADDR unreadable');
    const port = need(attrGet.be16(t, IPVS_SVC_ATTR.PORT), 'IPVS_SVC_ATTR_PORT');
    if (!port.ok) return port;
    id = { kind: 'addr', family, protocol: protocol.value, address, port: port.value };
  }
  const sched = attrGet.string(t, IPVS_SVC_ATTR.SCHED_NAME);
  if (!sched.ok) return sched;
  const pe = attrGet.string(t, IPVS_SVC_ATTR.PE_NAME);
  if (!pe.ok) return pe;
  const flagsBytes = t.get(IPVS_SVC_ATTR.FLAGS);
  let flags = 0;
  if (flagsBytes) {
    if (flagsBytes.length < 4) return err('IPVS_SVC_ATTR_FLAGS short');
    flags =
      (HOST_LITTLE_ENDIAN ? flagsBytes.readUInt32LE(0) : flagsBytes.readUInt32BE(0)) & IP_VS_SVC_F_USER_MASK;
  }
  const timeout = attrGet.u32(t, IPVS_SVC_ATTR.TIMEOUT);
  if (!timeout.ok) return timeout;
  const maskBytes = t.get(IPVS_SVC_ATTR.NETMASK);
  let netmask = family === 'inet' ? 0xffffffff : 128;
  if (maskBytes) {
    if (maskBytes.length < 4) return err('IPVS_SVC_ATTR_NETMASK short');
    netmask =
      family === 'inet' || !HOST_LITTLE_ENDIAN ? maskBytes.readUInt32BE(0) : maskBytes.readUInt32LE(0);
  }
  const stats = decodeNestedStats(t, IPVS_SVC_ATTR.STATS64, IPVS_SVC_ATTR.STATS);
  if (!stats.ok) return stats;
  return ok({
    id,
    scheduler: sched.value ?? '',
    flags,
    timeout: timeout.value ?? 0,
    netmask,
    peName: pe.value ? pe.value : null,
    stats: stats.value,
  });
}

/**
 * The nested IPVS_DEST_ATTR_* of a destination. `serviceFamily` is used when the kernel sends
 * no IPVS_DEST_ATTR_ADDR_FAMILY (kernels before 4.x).
 */
export function decodeDestAttrs(data: Buffer, serviceFamily: IpvsFamily): Result<DestinationEntry> {
  const tr = decodeAttrTable(data);
  if (!tr.ok) return tr;
  const t = tr.value;
  const afAttr = attrGet.u16(t, IPVS_DEST_ATTR.ADDR_FAMILY);
  if (!afAttr.ok) return afAttr;
  const family = afAttr.value === null ? serviceFamily : afToFamily(afAttr.value);
  if (!family) return err(`IPVS_DEST_ATTR_ADDR_FAMILY ${afAttr.value} unknown`);
  const addrBytes = t.get(IPVS_DEST_ATTR.ADDR);
  const size = family === 'inet' ? 4 : 16;
  if (!addrBytes || addrBytes.length < size) return err('IPVS_DEST_ATTR_ADDR missing or short');
  const address = bytesToAddress(addrBytes.subarray(0, size));
  if (address === null) return err('IPVS_DEST_ATTR_ADDR unreadable');
  const port = need(attrGet.be16(t, IPVS_DEST_ATTR.PORT), 'IPVS_DEST_ATTR_PORT');
  if (!port.ok) return port;
  const nums: Record<string, number> = {};
  for (const [name, type] of [
    ['fwd', IPVS_DEST_ATTR.FWD_METHOD],
    ['weight', IPVS_DEST_ATTR.WEIGHT],
    ['u', IPVS_DEST_ATTR.U_THRESH],
    ['l', IPVS_DEST_ATTR.L_THRESH],
    ['active', IPVS_DEST_ATTR.ACTIVE_CONNS],
    ['inact', IPVS_DEST_ATTR.INACT_CONNS],
    ['persist', IPVS_DEST_ATTR.PERSIST_CONNS],
  ] as const) {
    const v = attrGet.u32(t, type);
    if (!v.ok) return v;
    nums[name] = v.value ?? 0;
  }
  const forwarding = FWD_BY_CODE[nums.fwd! & IP_VS_CONN_F_FWD_MASK];
  if (!forwarding) return err(`IPVS_DEST_ATTR_FWD_METHOD ${nums.fwd} unknown`);
  let tunnel = null;
  if (forwarding === 'TUN') {
    const tt = attrGet.u8(t, IPVS_DEST_ATTR.TUN_TYPE);
    const tp = attrGet.be16(t, IPVS_DEST_ATTR.TUN_PORT);
    const tf = attrGet.u16(t, IPVS_DEST_ATTR.TUN_FLAGS);
    if (!tt.ok) return tt;
    if (!tp.ok) return tp;
    if (!tf.ok) return tf;
    const type = TUN_BY_CODE[tt.value ?? 0];
    if (!type) return err(`IPVS_DEST_ATTR_TUN_TYPE ${tt.value} unknown`);
    tunnel = { type, port: tp.value ?? 0, flags: tf.value ?? 0 };
  }
  const stats = decodeNestedStats(t, IPVS_DEST_ATTR.STATS64, IPVS_DEST_ATTR.STATS);
  if (!stats.ok) return stats;
  return ok({
    family,
    address,
    port: port.value,
    forwarding,
    // The kernel keeps weight as an int; a negative weight cannot be set through netlink.
    weight: nums.weight! | 0,
    upperThreshold: nums.u!,
    lowerThreshold: nums.l!,
    tunnel,
    activeConns: nums.active!,
    inactiveConns: nums.inact!,
    persistConns: nums.persist!,
    stats: stats.value,
  });
}

/** A GET_SERVICE dump message body (genl attributes) -> its service. */
export function decodeServiceMessage(attrs: Buffer): Result<ServiceEntry> {
  const top = decodeAttrTable(attrs);
  if (!top.ok) return top;
  const b = top.value.get(IPVS_CMD_ATTR.SERVICE);
  if (!b) return err('IPVS_CMD_ATTR_SERVICE missing');
  return decodeServiceAttrs(b);
}

/** A GET_DEST dump message body -> its destination. */
export function decodeDestMessage(attrs: Buffer, serviceFamily: IpvsFamily): Result<DestinationEntry> {
  const top = decodeAttrTable(attrs);
  if (!top.ok) return top;
  const b = top.value.get(IPVS_CMD_ATTR.DEST);
  if (!b) return err('IPVS_CMD_ATTR_DEST missing');
  return decodeDestAttrs(b, serviceFamily);
}

export function decodeInfoMessage(attrs: Buffer): Result<IpvsInfo> {
  const t = decodeAttrTable(attrs);
  if (!t.ok) return t;
  const version = need(attrGet.u32(t.value, IPVS_INFO_ATTR.VERSION), 'IPVS_INFO_ATTR_VERSION');
  if (!version.ok) return version;
  const size = need(attrGet.u32(t.value, IPVS_INFO_ATTR.CONN_TAB_SIZE), 'IPVS_INFO_ATTR_CONN_TAB_SIZE');
  if (!size.ok) return size;
  return ok({ version: version.value, connTabSize: size.value });
}

export function decodeConfigMessage(attrs: Buffer): Result<IpvsTimeouts> {
  const t = decodeAttrTable(attrs);
  if (!t.ok) return t;
  const tcp = attrGet.u32(t.value, IPVS_CMD_ATTR.TIMEOUT_TCP);
  const fin = attrGet.u32(t.value, IPVS_CMD_ATTR.TIMEOUT_TCP_FIN);
  const udp = attrGet.u32(t.value, IPVS_CMD_ATTR.TIMEOUT_UDP);
  if (!tcp.ok) return tcp;
  if (!fin.ok) return fin;
  if (!udp.ok) return udp;
  return ok({ tcp: tcp.value ?? 0, tcpFin: fin.value ?? 0, udp: udp.value ?? 0 });
}

/** The nested daemon attributes, used by tests to read back what newDaemon wrote. */
export function decodeDaemonMessage(attrs: Buffer): Result<SyncDaemonSpec> {
  const d = nested(decodeAttrTableOrEmpty(attrs), IPVS_CMD_ATTR.DAEMON, 'IPVS_CMD_ATTR_DAEMON');
  if (!d.ok) return d;
  const t = d.value;
  const state = need(attrGet.u32(t, IPVS_DAEMON_ATTR.STATE), 'IPVS_DAEMON_ATTR_STATE');
  if (!state.ok) return state;
  const ifn = attrGet.string(t, IPVS_DAEMON_ATTR.MCAST_IFN);
  const syncId = attrGet.u32(t, IPVS_DAEMON_ATTR.SYNC_ID);
  const maxlen = attrGet.u16(t, IPVS_DAEMON_ATTR.SYNC_MAXLEN);
  const port = attrGet.u16(t, IPVS_DAEMON_ATTR.MCAST_PORT);
  const ttl = attrGet.u8(t, IPVS_DAEMON_ATTR.MCAST_TTL);
  for (const r of [ifn, syncId, maxlen, port, ttl]) if (!r.ok) return r;
  const g4 = t.get(IPVS_DAEMON_ATTR.MCAST_GROUP);
  const g6 = t.get(IPVS_DAEMON_ATTR.MCAST_GROUP6);
  const group = g4 ? bytesToAddress(g4.subarray(0, 4)) : g6 ? bytesToAddress(g6.subarray(0, 16)) : null;
  return ok({
    state: state.value === IP_VS_STATE_MASTER ? 'master' : 'backup',
    interface: (ifn.ok && ifn.value) || '',
    syncId: (syncId.ok && syncId.value) || 0,
    maxlen: maxlen.ok ? maxlen.value : null,
    port: port.ok ? port.value : null,
    ttl: ttl.ok ? ttl.value : null,
    group,
  });
}

function decodeAttrTableOrEmpty(b: Buffer): AttrTable {
  const t = decodeAttrTable(b);
  return t.ok ? t.value : new Map();
}
