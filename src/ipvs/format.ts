/**
 * PURE: the kernel's table in ipvsadm's `-Ln` layout (and `--stats`, `--rate`, `--thresholds`,
 * `--persistent-conn`, `--tun-info`), so operators can read the table without ipvsadm. Column
 * widths, sort order and names follow ipvsadm 1.31's output, checked against it in the VM tier:
 * services sorted by fwmark, family, protocol, address, port; destinations by address, port. Like
 * ipvsadm, each comparison is a 32-bit difference read as a signed int, so 200.1.1.1 sorts before
 * 10.1.1.1 (the difference overflows); we keep that order because operators diff the two outputs.
 */
import { addressToBytes } from '../util/ip.js';
import {
  IP_VS_SVC_F_ONEPACKET,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED1,
  IP_VS_SVC_F_SCHED2,
  IP_VS_SVC_F_SCHED3,
} from './constants.js';
import type {
  DestinationEntry,
  ForwardingMethod,
  IpvsInfo,
  IpvsStats,
  IpvsTable,
  ServiceEntry,
} from './types.js';

export type ListFormat = 'plain' | 'stats' | 'rate' | 'thresholds' | 'persistent-conn' | 'tun-info';

const FWD_NAMES: Record<ForwardingMethod, string> = {
  NAT: 'Masq',
  LOCAL: 'Local',
  TUN: 'Tunnel',
  DR: 'Route',
  BYPASS: 'Bypass',
};

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** ipvsadm's print_largenum: 9 columns, K/M/G/T above 100 million. */
export function largeNum(n: number): string {
  if (n < 100_000_000) return lpad(String(n), 9);
  if (n < 1_000_000_000) return lpad(String(Math.floor(n / 1000)), 8) + 'K';
  if (n < 100_000_000_000) return lpad(String(Math.floor(n / 1_000_000)), 8) + 'M';
  if (n < 100_000_000_000_000) return lpad(String(Math.floor(n / 1_000_000_000)), 8) + 'G';
  return lpad(String(Math.floor(n / 1_000_000_000_000)), 8) + 'T';
}

function addrPort(family: 'inet' | 'inet6', address: string, port: number): string {
  return family === 'inet6' ? `[${address}]:${port}` : `${address}:${port}`;
}

function serviceName(s: ServiceEntry): string {
  const id = s.id;
  if (id.kind === 'fwmark') return `FWM  ${id.fwmark}${id.family === 'inet6' ? ' IPv6' : ''}`;
  const proto =
    id.protocol === 6
      ? 'TCP'
      : id.protocol === 17
        ? 'UDP'
        : id.protocol === 132
          ? 'SCTP'
          : String(id.protocol);
  // ipvsadm: "%-4s %s" (so "TCP  " but "SCTP ").
  return `${pad(proto, 4)} ${addrPort(id.family, id.address, id.port)}`;
}

function schedFlags(s: ServiceEntry): string {
  const names =
    s.scheduler === 'sh'
      ? ['sh-fallback', 'sh-port', 'flag-3']
      : s.scheduler === 'mh'
        ? ['mh-fallback', 'mh-port', 'flag-3']
        : ['flag-1', 'flag-2', 'flag-3'];
  const out: string[] = [];
  if (s.flags & IP_VS_SVC_F_SCHED1) out.push(names[0]!);
  if (s.flags & IP_VS_SVC_F_SCHED2) out.push(names[1]!);
  if (s.flags & IP_VS_SVC_F_SCHED3) out.push(names[2]!);
  return out.join(',');
}

function maskText(netmask: number): string {
  return [24, 16, 8, 0].map((sh) => (netmask >>> sh) & 0xff).join('.');
}

/** ipvsadm's `r = a - b` on 32-bit unsigned values, read as a signed int. */
const signedDiff = (a: number, b: number): number => (a - b) | 0;

/** Address compare as ipvsadm does it: per 32-bit word (network order), signed differences. */
function cmpAddress(a: string, b: string): number {
  const x = addressToBytes(a);
  const y = addressToBytes(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  const words = Math.min(x.length, y.length) / 4;
  for (let i = 0; i < words; i++) {
    const r = signedDiff(x.readUInt32BE(i * 4), y.readUInt32BE(i * 4));
    if (r !== 0) return r;
  }
  return 0;
}

const AF_NUMBER = { inet: 2, inet6: 10 } as const;

function compareServices(a: ServiceEntry, b: ServiceEntry): number {
  const fa = a.id.kind === 'fwmark' ? a.id.fwmark : 0;
  const fb = b.id.kind === 'fwmark' ? b.id.fwmark : 0;
  const byMark = signedDiff(fa, fb);
  if (byMark !== 0) return byMark;
  const byAf = AF_NUMBER[a.id.family] - AF_NUMBER[b.id.family];
  if (byAf !== 0) return byAf;
  const pa = a.id.kind === 'addr' ? a.id.protocol : 0;
  const pb = b.id.kind === 'addr' ? b.id.protocol : 0;
  if (pa !== pb) return pa - pb;
  if (a.id.kind === 'addr' && b.id.kind === 'addr') {
    return cmpAddress(a.id.address, b.id.address) || a.id.port - b.id.port;
  }
  return 0;
}

function compareDests(a: DestinationEntry, b: DestinationEntry): number {
  return cmpAddress(a.address, b.address) || a.port - b.port;
}

/** ipvsadm --tun-info column: ipip, gue:PORT:FLAGS, gre:FLAGS; n/a when not tunnelling. */
const TUN_FLAG_NAMES = ['-c', '+c', 'r+c'];
function tunnelInfo(d: DestinationEntry): string {
  if (d.forwarding !== 'TUN') return 'n/a';
  const t = d.tunnel ?? { type: 'ipip', port: 0, flags: 0 };
  const flags = TUN_FLAG_NAMES[t.flags] ?? String(t.flags);
  if (t.type === 'gue') return `gue:${t.port}:${flags}`;
  if (t.type === 'gre') return `gre:${flags}`;
  return 'ipip';
}

const zero: IpvsStats = {
  conns: 0,
  inpkts: 0,
  outpkts: 0,
  inbytes: 0,
  outbytes: 0,
  cps: 0,
  inpps: 0,
  outpps: 0,
  inbps: 0,
  outbps: 0,
};

export function formatTable(
  info: IpvsInfo,
  table: IpvsTable<ServiceEntry, DestinationEntry>,
  format: ListFormat,
): string {
  const v = info.version;
  const lines: string[] = [
    `IP Virtual Server version ${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff} (size=${info.connTabSize})`,
  ];
  if (format === 'stats') {
    lines.push(
      `${pad('Prot LocalAddress:Port', 33)} ${lpad('Conns', 8)} ${lpad('InPkts', 8)} ${lpad('OutPkts', 8)} ${lpad('InBytes', 8)} ${lpad('OutBytes', 8)}`,
    );
    lines.push('  -> RemoteAddress:Port');
  } else if (format === 'rate') {
    lines.push(
      `${pad('Prot LocalAddress:Port', 33)} ${lpad('CPS', 8)} ${lpad('InPPS', 8)} ${lpad('OutPPS', 8)} ${lpad('InBPS', 8)} ${lpad('OutBPS', 8)}`,
    );
    lines.push('  -> RemoteAddress:Port');
  } else if (format === 'thresholds') {
    lines.push(
      `${pad('Prot LocalAddress:Port', 33)} ${pad('Uthreshold', 10)} ${pad('Lthreshold', 10)} ${pad('ActiveConn', 10)} ${pad('InActConn', 10)}`,
    );
    lines.push('  -> RemoteAddress:Port');
  } else if (format === 'persistent-conn') {
    lines.push(
      `${pad('Prot LocalAddress:Port', 33)} ${pad('Weight', 9)} ${pad('PersistConn', 11)} ${pad('ActiveConn', 10)} ${pad('InActConn', 10)}`,
    );
    lines.push('  -> RemoteAddress:Port');
  } else if (format === 'tun-info') {
    lines.push('Prot LocalAddress:Port Scheduler Flags');
    lines.push('  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn');
  } else {
    lines.push('Prot LocalAddress:Port Scheduler Flags');
    lines.push('  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn');
  }
  const entries = [...table.services.values()].sort((a, b) => compareServices(a.service, b.service));
  for (const { service: s, destinations } of entries) {
    let name = serviceName(s);
    if (s.id.family !== 'inet6') name = name.slice(0, 33);
    const st = s.stats ?? zero;
    if (format === 'stats') {
      lines.push(
        pad(name, 33) + [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes].map(largeNum).join(''),
      );
    } else if (format === 'rate') {
      lines.push(
        `${pad(name, 33)} ${lpad(String(st.cps), 8)} ${lpad(String(st.inpps), 8)} ${lpad(String(st.outpps), 8)}` +
          largeNum(st.inbps) +
          largeNum(st.outbps),
      );
    } else {
      let line = `${name} ${s.scheduler}`;
      const flags = schedFlags(s);
      if (flags) line += ` (${flags})`;
      if (s.flags & IP_VS_SVC_F_PERSISTENT) {
        line += ` persistent ${s.timeout}`;
        if (s.id.family === 'inet' && s.netmask >>> 0 !== 0xffffffff) line += ` mask ${maskText(s.netmask)}`;
        if (s.id.family === 'inet6' && s.netmask !== 128) line += ` mask ${s.netmask}`;
        if (s.peName) line += ` pe ${s.peName}`;
      }
      if (s.flags & IP_VS_SVC_F_ONEPACKET) line += ' ops';
      lines.push(line);
    }
    for (const d of [...destinations.values()].sort(compareDests)) {
      let dname = addrPort(d.family, d.address, d.port);
      if (s.id.family !== 'inet6') dname = dname.slice(0, 28);
      const ds = d.stats ?? zero;
      if (format === 'stats') {
        lines.push(
          `  -> ${pad(dname, 28)}` +
            [ds.conns, ds.inpkts, ds.outpkts, ds.inbytes, ds.outbytes].map(largeNum).join(''),
        );
      } else if (format === 'rate') {
        lines.push(
          `  -> ${pad(dname, 28)} ${lpad(String(ds.cps), 8)} ${lpad(String(ds.inpps), 8)} ${lpad(String(ds.outpps), 8)}` +
            largeNum(ds.inbps) +
            largeNum(ds.outbps),
        );
      } else if (format === 'thresholds') {
        lines.push(
          `  -> ${pad(dname, 28)} ${pad(String(d.upperThreshold), 10)} ${pad(String(d.lowerThreshold), 10)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactiveConns), 10)}`,
        );
      } else if (format === 'persistent-conn') {
        lines.push(
          `  -> ${pad(dname, 28)} ${pad(String(d.weight), 9)} ${pad(String(d.persistConns), 11)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactiveConns), 10)}`,
        );
      } else if (format === 'tun-info') {
        lines.push(
          `  -> ${pad(dname, 28)} ${pad(FWD_NAMES[d.forwarding], 7)} ${pad(tunnelInfo(d), 13)} ${pad(String(d.weight), 6)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactiveConns), 10)}`,
        );
      } else {
        lines.push(
          `  -> ${pad(dname, 28)} ${pad(FWD_NAMES[d.forwarding], 7)} ${pad(String(d.weight), 6)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactiveConns), 10)}`,
        );
      }
    }
  }
  return lines.join('\n') + '\n';
}
