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
import { AttrReader, HOST_LITTLE_ENDIAN, type NetlinkWriter } from './netlink-codec.js';
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

/** struct ip_vs_kstats from IPVS_*_ATTR_STATS64 (all u64) or IPVS_*_ATTR_STATS (u32 + u64 bytes). */
export function decodeStats(data: Buffer, is64: boolean): Result<IpvsStats> {
  const r = AttrReader.of(data);
  const get = (type: number, wide: boolean): number => {
    if (!wide) return r.u32(type) ?? 0;
    const v = r.u64(type);
    return v === null ? 0 : Number(v);
  };
  const S = IPVS_STATS_ATTR;
  return r.result<IpvsStats>({
    conns: get(S.CONNS, is64),
    inpkts: get(S.INPKTS, is64),
    outpkts: get(S.OUTPKTS, is64),
    inbytes: get(S.INBYTES, true),
    outbytes: get(S.OUTBYTES, true),
    cps: get(S.CPS, is64),
    inpps: get(S.INPPS, is64),
    outpps: get(S.OUTPPS, is64),
    inbps: get(S.INBPS, is64),
    outbps: get(S.OUTBPS, is64),
  });
}

/** STATS64 when the kernel sends it, else STATS; null when neither came. */
function readNestedStats(r: AttrReader, attr64: number, attr32: number): IpvsStats | null {
  const b64 = r.bytes(attr64);
  if (b64) return r.take(decodeStats(b64, true));
  const b32 = r.bytes(attr32);
  if (b32) return r.take(decodeStats(b32, false));
  return null;
}

/**
 * The address of a service or destination: the first 4 (IPv4) or 16 bytes of nf_inet_addr; null
 * with the failure recorded.
 */
function readAddress(r: AttrReader, type: number, family: IpvsFamily, what: string): string | null {
  const bytes = r.bytes(type);
  const size = family === 'inet' ? 4 : 16;
  if (!bytes || bytes.length < size) {
    r.fail(`${what} missing or short`);
    return null;
  }
  const address = bytesToAddress(bytes.subarray(0, size));
  if (address === null) r.fail(`${what} unreadable`);
  return address;
}

/** The nested IPVS_SVC_ATTR_* of a service (from a GET_SERVICE dump, or a request in tests). */
export function decodeServiceAttrs(data: Buffer): Result<ServiceEntry> {
  const r = AttrReader.of(data);
  const af = r.need(r.u16(IPVS_SVC_ATTR.AF), 'IPVS_SVC_ATTR_AF');
  const family = afToFamily(af);
  if (!family) return r.fail(`IPVS_SVC_ATTR_AF ${af} unknown`);
  const fwmark = r.u32(IPVS_SVC_ATTR.FWMARK);
  let id: ServiceIdentity;
  if (fwmark !== null && fwmark !== 0) {
    id = { kind: 'fwmark', family, fwmark };
  } else {
    const protocol = r.need(r.u16(IPVS_SVC_ATTR.PROTOCOL), 'IPVS_SVC_ATTR_PROTOCOL');
    const address = readAddress(r, IPVS_SVC_ATTR.ADDR, family, 'IPVS_SVC_ATTR_ADDR');
    if (address === null) return r.stop();
    const port = r.need(r.be16(IPVS_SVC_ATTR.PORT), 'IPVS_SVC_ATTR_PORT');
    id = { kind: 'addr', family, protocol, address, port };
  }
  const sched = r.string(IPVS_SVC_ATTR.SCHED_NAME);
  const pe = r.string(IPVS_SVC_ATTR.PE_NAME);
  const flagsBytes = r.bytes(IPVS_SVC_ATTR.FLAGS);
  let flags = 0;
  if (flagsBytes) {
    if (flagsBytes.length < 4) r.fail('IPVS_SVC_ATTR_FLAGS short');
    else
      flags =
        (HOST_LITTLE_ENDIAN ? flagsBytes.readUInt32LE(0) : flagsBytes.readUInt32BE(0)) &
        IP_VS_SVC_F_USER_MASK;
  }
  const timeout = r.u32(IPVS_SVC_ATTR.TIMEOUT);
  const maskBytes = r.bytes(IPVS_SVC_ATTR.NETMASK);
  let netmask = family === 'inet' ? 0xffffffff : 128;
  if (maskBytes) {
    if (maskBytes.length < 4) r.fail('IPVS_SVC_ATTR_NETMASK short');
    else
      netmask =
        family === 'inet' || !HOST_LITTLE_ENDIAN ? maskBytes.readUInt32BE(0) : maskBytes.readUInt32LE(0);
  }
  const stats = readNestedStats(r, IPVS_SVC_ATTR.STATS64, IPVS_SVC_ATTR.STATS);
  return r.result({
    id,
    scheduler: sched ?? '',
    flags,
    timeout: timeout ?? 0,
    netmask,
    peName: pe ? pe : null,
    stats,
  });
}

/**
 * The nested IPVS_DEST_ATTR_* of a destination. `serviceFamily` is used when the kernel sends
 * no IPVS_DEST_ATTR_ADDR_FAMILY (kernels before 4.x).
 */
export function decodeDestAttrs(data: Buffer, serviceFamily: IpvsFamily): Result<DestinationEntry> {
  const r = AttrReader.of(data);
  const af = r.u16(IPVS_DEST_ATTR.ADDR_FAMILY);
  const family = af === null ? serviceFamily : afToFamily(af);
  if (!family) return r.fail(`IPVS_DEST_ATTR_ADDR_FAMILY ${af} unknown`);
  const address = readAddress(r, IPVS_DEST_ATTR.ADDR, family, 'IPVS_DEST_ATTR_ADDR');
  if (address === null) return r.stop();
  const port = r.need(r.be16(IPVS_DEST_ATTR.PORT), 'IPVS_DEST_ATTR_PORT');
  const fwd = r.u32(IPVS_DEST_ATTR.FWD_METHOD) ?? 0;
  const weight = r.u32(IPVS_DEST_ATTR.WEIGHT) ?? 0;
  const upperThreshold = r.u32(IPVS_DEST_ATTR.U_THRESH) ?? 0;
  const lowerThreshold = r.u32(IPVS_DEST_ATTR.L_THRESH) ?? 0;
  const activeConns = r.u32(IPVS_DEST_ATTR.ACTIVE_CONNS) ?? 0;
  const inactiveConns = r.u32(IPVS_DEST_ATTR.INACT_CONNS) ?? 0;
  const persistConns = r.u32(IPVS_DEST_ATTR.PERSIST_CONNS) ?? 0;
  const forwarding = FWD_BY_CODE[fwd & IP_VS_CONN_F_FWD_MASK];
  if (!forwarding) return r.fail(`IPVS_DEST_ATTR_FWD_METHOD ${fwd} unknown`);
  let tunnel = null;
  if (forwarding === 'TUN') {
    const tunType = r.u8(IPVS_DEST_ATTR.TUN_TYPE);
    const tunPort = r.be16(IPVS_DEST_ATTR.TUN_PORT);
    const tunFlags = r.u16(IPVS_DEST_ATTR.TUN_FLAGS);
    const type = TUN_BY_CODE[tunType ?? 0];
    if (!type) return r.fail(`IPVS_DEST_ATTR_TUN_TYPE ${tunType} unknown`);
    tunnel = { type, port: tunPort ?? 0, flags: tunFlags ?? 0 };
  }
  const stats = readNestedStats(r, IPVS_DEST_ATTR.STATS64, IPVS_DEST_ATTR.STATS);
  return r.result({
    family,
    address,
    port,
    forwarding,
    // The kernel keeps weight as an int; a negative weight cannot be set through netlink.
    weight: weight | 0,
    upperThreshold,
    lowerThreshold,
    tunnel,
    activeConns,
    inactiveConns,
    persistConns,
    stats,
  });
}

/** A GET_SERVICE dump message body (genl attributes) -> its service. */
export function decodeServiceMessage(attrs: Buffer): Result<ServiceEntry> {
  const top = AttrReader.of(attrs);
  const b = top.bytes(IPVS_CMD_ATTR.SERVICE);
  return b ? decodeServiceAttrs(b) : top.fail('IPVS_CMD_ATTR_SERVICE missing');
}

/** A GET_DEST dump message body -> its destination. */
export function decodeDestMessage(attrs: Buffer, serviceFamily: IpvsFamily): Result<DestinationEntry> {
  const top = AttrReader.of(attrs);
  const b = top.bytes(IPVS_CMD_ATTR.DEST);
  return b ? decodeDestAttrs(b, serviceFamily) : top.fail('IPVS_CMD_ATTR_DEST missing');
}

export function decodeInfoMessage(attrs: Buffer): Result<IpvsInfo> {
  const r = AttrReader.of(attrs);
  const version = r.need(r.u32(IPVS_INFO_ATTR.VERSION), 'IPVS_INFO_ATTR_VERSION');
  const connTabSize = r.need(r.u32(IPVS_INFO_ATTR.CONN_TAB_SIZE), 'IPVS_INFO_ATTR_CONN_TAB_SIZE');
  return r.result({ version, connTabSize });
}

export function decodeConfigMessage(attrs: Buffer): Result<IpvsTimeouts> {
  const r = AttrReader.of(attrs);
  const tcp = r.u32(IPVS_CMD_ATTR.TIMEOUT_TCP) ?? 0;
  const tcpFin = r.u32(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN) ?? 0;
  const udp = r.u32(IPVS_CMD_ATTR.TIMEOUT_UDP) ?? 0;
  return r.result({ tcp, tcpFin, udp });
}

/** The nested daemon attributes, used by tests to read back what newDaemon wrote. */
export function decodeDaemonMessage(attrs: Buffer): Result<SyncDaemonSpec> {
  // A top level that does not parse reads as empty: the daemon attribute is then missing.
  const nested = AttrReader.of(attrs).bytes(IPVS_CMD_ATTR.DAEMON);
  if (!nested) return err('IPVS_CMD_ATTR_DAEMON missing');
  const r = AttrReader.of(nested);
  const state = r.need(r.u32(IPVS_DAEMON_ATTR.STATE), 'IPVS_DAEMON_ATTR_STATE');
  const ifn = r.string(IPVS_DAEMON_ATTR.MCAST_IFN);
  const syncId = r.u32(IPVS_DAEMON_ATTR.SYNC_ID);
  const maxlen = r.u16(IPVS_DAEMON_ATTR.SYNC_MAXLEN);
  const port = r.u16(IPVS_DAEMON_ATTR.MCAST_PORT);
  const ttl = r.u8(IPVS_DAEMON_ATTR.MCAST_TTL);
  const g4 = r.bytes(IPVS_DAEMON_ATTR.MCAST_GROUP);
  const g6 = r.bytes(IPVS_DAEMON_ATTR.MCAST_GROUP6);
  const group = g4 ? bytesToAddress(g4.subarray(0, 4)) : g6 ? bytesToAddress(g6.subarray(0, 16)) : null;
  return r.result({
    state: state === IP_VS_STATE_MASTER ? 'master' : 'backup',
    interface: ifn || '',
    syncId: syncId || 0,
    maxlen,
    port,
    ttl,
    group,
  });
}
