/**
 * The director-pair lab (`npm run demo`, test/vm/e2e-pair.test.ts): the classic LVS guides'
 * topology and the keepalived.conf of each director, as pure functions of the forwarding method.
 * lab/lab.ts builds and drives it; this file only describes it.
 *
 *                         client 10.77.0.100
 *                               |
 *   ------------------------ lan (10.77.0.0/24, VIP 10.77.0.50) ------------------------
 *        |                      |                   |                      |
 *   director a .2          director b .3      rs1 .11 (dr, tun)      rs2 .12 (dr, tun)
 *   priority 150           priority 100
 *        |                      |                   |                      |
 *   ------------- inside (10.78.0.0/24, gateway VIP 10.78.0.1): nat only -------------
 *                                            rs1 10.78.0.11 (nat)   rs2 10.78.0.12 (nat)
 *
 * In DR and TUN the real servers sit on the client's LAN and answer the client directly from the
 * VIP (on `lo` for DR, on `tunl0` for TUN, both set up by `keepalived-ts realserver setup`). In NAT
 * they sit on the inside network only, with their default route on the inside VIP, which the
 * directors hold in a second VRRP instance of one sync group (the classic LVS-NAT pair).
 */

export type LabMode = 'dr' | 'nat' | 'tun';
export const LAB_MODES: readonly LabMode[] = ['dr', 'nat', 'tun'];

/** Which daemon runs on a director: keepalived-ts, or keepalived 2.2.7 (the reference). */
export type Implementation = 'keepalived-ts' | 'keepalived';

export type DirectorName = 'a' | 'b';
export type ServerName = 'rs1' | 'rs2';

export const NS_PREFIX = 'kts-lab-';
export const ns = {
  switch: `${NS_PREFIX}sw`,
  client: `${NS_PREFIX}client`,
  a: `${NS_PREFIX}a`,
  b: `${NS_PREFIX}b`,
  rs1: `${NS_PREFIX}rs1`,
  rs2: `${NS_PREFIX}rs2`,
} as const;
export const ALL_NAMESPACES: readonly string[] = Object.values(ns);

export const VIP = '10.77.0.50';
export const INSIDE_VIP = '10.78.0.1';
export const CLIENT_ADDRESS = '10.77.0.100';
/** A second client address, to show sh hashing a source to one server. */
export const CLIENT_ADDRESS_2 = '10.77.0.101';
export const DIRECTOR_ADDRESS: Record<DirectorName, { lan: string; inside: string }> = {
  a: { lan: '10.77.0.2', inside: '10.78.0.2' },
  b: { lan: '10.77.0.3', inside: '10.78.0.3' },
};
export const PRIORITY: Record<DirectorName, number> = { a: 150, b: 100 };
export const SERVERS: readonly ServerName[] = ['rs1', 'rs2'];

/** Where a real server is addressed: the client's LAN for DR and TUN, the inside network for NAT. */
export function serverAddress(mode: LabMode, server: ServerName): string {
  const host = server === 'rs1' ? 11 : 12;
  return mode === 'nat' ? `10.78.0.${host}` : `10.77.0.${host}`;
}

/** The services, one port per scheduling story; every real server answers on all of them. */
export const PORTS = {
  /** rr: requests alternate. */
  rr: 80,
  /** wrr with rs1 at weight 2 and rs2 at 1: 2:1. */
  wrr: 81,
  /** sh: a client address always reaches one server. */
  sh: 82,
  /** rr with persistence_timeout: one server per client until the template expires. */
  persistent: 83,
  /** rr, a line echo server: the long-lived connections of the sync story. */
  echo: 9000,
} as const;
export const HTTP_PORTS: readonly number[] = [PORTS.rr, PORTS.wrr, PORTS.sh, PORTS.persistent];
export const PERSISTENCE_TIMEOUT_S = 3;

/** Master_Down_Interval of director b (RFC 3768 6.1: 3 x Advertisement_Interval + Skew_Time). */
export const ADVERT_INT_S = 1;
export function masterDownIntervalMs(priority: number, advertIntS = ADVERT_INT_S): number {
  return 3 * advertIntS * 1000 + ((256 - priority) * advertIntS * 1000) / 256;
}

/**
 * The topology as `ip -batch` input: one batch run in the root namespace (namespaces, bridges,
 * veth pairs), then one per namespace (each process start is costly under emulation).
 */
export function topology(mode: LabMode): { root: string[]; perNamespace: Map<string, string[]> } {
  const root: string[] = [];
  const perNamespace = new Map<string, string[]>();
  const add = (name: string, ...lines: string[]): void => {
    perNamespace.set(name, [...(perNamespace.get(name) ?? []), ...lines]);
  };
  for (const name of ALL_NAMESPACES) {
    root.push(`netns add ${name}`);
    add(name, 'link set lo up');
  }
  add(ns.switch, 'link add lan type bridge', 'link set lan up');
  if (mode === 'nat') add(ns.switch, 'link add inside type bridge', 'link set inside up');

  // One veth per host and network: the host's end named eth0/eth1, the switch's end enslaved.
  let port = 0;
  const plug = (host: string, hostIf: string, bridge: 'lan' | 'inside', address: string): void => {
    const swEnd = `p${port++}`;
    const tmp = `klab${port}h`;
    root.push(
      `link add ${tmp} type veth peer name ${swEnd}`,
      `link set ${tmp} netns ${host}`,
      `link set ${swEnd} netns ${ns.switch}`,
    );
    add(ns.switch, `link set ${swEnd} master ${bridge}`, `link set ${swEnd} up`);
    add(
      host,
      `link set ${tmp} name ${hostIf}`,
      `addr add ${address}/24 dev ${hostIf}`,
      `link set ${hostIf} up`,
    );
  };
  plug(ns.client, 'eth0', 'lan', CLIENT_ADDRESS);
  add(ns.client, `addr add ${CLIENT_ADDRESS_2}/24 dev eth0`);
  for (const d of ['a', 'b'] as const) {
    plug(ns[d], 'eth0', 'lan', DIRECTOR_ADDRESS[d].lan);
    if (mode === 'nat') plug(ns[d], 'eth1', 'inside', DIRECTOR_ADDRESS[d].inside);
  }
  for (const s of SERVERS) {
    if (mode === 'nat') {
      plug(ns[s], 'eth0', 'inside', serverAddress(mode, s));
      add(ns[s], `route add default via ${INSIDE_VIP}`);
    } else {
      plug(ns[s], 'eth0', 'lan', serverAddress(mode, s));
    }
  }
  return { root, perNamespace };
}

/** Sysctls of the lab's hosts (`sysctl -w` arguments per namespace). */
export function sysctls(mode: LabMode): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // A NAT director routes between the networks; the others only ever forward through IPVS.
  if (mode === 'nat') for (const d of ['a', 'b'] as const) out.set(ns[d], ['net.ipv4.ip_forward=1']);
  return out;
}

export interface DirectorConfigOptions {
  mode: LabMode;
  director: DirectorName;
  /** lvs_sync_daemon on eth0 following VI_1 (DR and NAT stories). */
  sync: boolean;
}

const LB_KIND: Record<LabMode, string> = { dr: 'DR', nat: 'NAT', tun: 'TUN' };

/**
 * A director's keepalived.conf, written the way an operator writes one for keepalived: the same
 * text runs under keepalived-ts and keepalived 2.2.7. Checker timing is short so that a stopped web
 * server leaves the table in about two seconds.
 */
export function directorConfig(o: DirectorConfigOptions): string {
  const d = o.director;
  const lines: string[] = [
    `# director ${d}: LVS-${LB_KIND[o.mode]} lab (lab/plan.ts)`,
    'global_defs {',
    `    router_id LAB_${d.toUpperCase()}`,
    ...(o.sync ? ['    lvs_sync_daemon eth0 VI_1'] : []),
    '}',
    '',
  ];
  if (o.mode === 'nat') {
    lines.push(
      'vrrp_sync_group VG_1 {',
      '    group {',
      '        VI_1',
      '        VI_INSIDE',
      '    }',
      '}',
      '',
    );
  }
  const instance = (name: string, iface: string, vrid: number, vip: string): string[] => [
    `vrrp_instance ${name} {`,
    `    state ${d === 'a' ? 'MASTER' : 'BACKUP'}`,
    `    interface ${iface}`,
    `    virtual_router_id ${vrid}`,
    `    priority ${PRIORITY[d]}`,
    `    advert_int ${ADVERT_INT_S}`,
    '    authentication {',
    '        auth_type PASS',
    '        auth_pass lab',
    '    }',
    '    virtual_ipaddress {',
    `        ${vip}/24 dev ${iface}`,
    '    }',
    '}',
    '',
  ];
  lines.push(...instance('VI_1', 'eth0', 51, VIP));
  if (o.mode === 'nat') lines.push(...instance('VI_INSIDE', 'eth1', 52, INSIDE_VIP));

  const service = (
    port: number,
    sched: string,
    weights: Record<ServerName, number>,
    extra: string[] = [],
  ) => [
    `virtual_server ${VIP} ${port} {`,
    '    delay_loop 1',
    `    lb_algo ${sched}`,
    `    lb_kind ${LB_KIND[o.mode]}`,
    '    protocol TCP',
    ...extra.map((e) => `    ${e}`),
    ...SERVERS.flatMap((s) => [
      `    real_server ${serverAddress(o.mode, s)} ${port} {`,
      `        weight ${weights[s]}`,
      '        TCP_CHECK {',
      '            connect_timeout 1',
      '            retry 1',
      '            delay_before_retry 1',
      '        }',
      '    }',
    ]),
    '}',
    '',
  ];
  lines.push(...service(PORTS.rr, 'rr', { rs1: 1, rs2: 1 }));
  lines.push(...service(PORTS.wrr, 'wrr', { rs1: 2, rs2: 1 }));
  lines.push(...service(PORTS.sh, 'sh', { rs1: 1, rs2: 1 }));
  lines.push(
    ...service(PORTS.persistent, 'rr', { rs1: 1, rs2: 1 }, [`persistence_timeout ${PERSISTENCE_TIMEOUT_S}`]),
  );
  lines.push(...service(PORTS.echo, 'rr', { rs1: 1, rs2: 1 }));
  return lines.join('\n');
}

/**
 * The IPVS table a director's config programs, as `ipvsadm -Ln` prints its services and
 * destinations (canonical form of lab/lab.ts: "TCP VIP:PORT sched [persistent N]" and
 * "-> RS:PORT Method weight" lines, sorted). `down` lists servers whose web servers are stopped
 * (their HTTP services lose them; the echo service keeps them: it is a separate listener).
 */
export function expectedTable(mode: LabMode, down: readonly ServerName[] = []): string[] {
  const method = { dr: 'Route', nat: 'Masq', tun: 'Tunnel' }[mode];
  const out: string[] = [];
  const svc = (port: number, sched: string, weights: Record<ServerName, number>, persistent?: number) => {
    out.push(`TCP ${VIP}:${port} ${sched}${persistent === undefined ? '' : ` persistent ${persistent}`}`);
    for (const s of SERVERS) {
      if (port !== PORTS.echo && down.includes(s)) continue;
      out.push(`TCP ${VIP}:${port} -> ${serverAddress(mode, s)}:${port} ${method} ${weights[s]}`);
    }
  };
  svc(PORTS.rr, 'rr', { rs1: 1, rs2: 1 });
  svc(PORTS.wrr, 'wrr', { rs1: 2, rs2: 1 });
  svc(PORTS.sh, 'sh', { rs1: 1, rs2: 1 });
  svc(PORTS.persistent, 'rr', { rs1: 1, rs2: 1 }, PERSISTENCE_TIMEOUT_S);
  svc(PORTS.echo, 'rr', { rs1: 1, rs2: 1 });
  return out.sort();
}

/**
 * `ipvsadm -Ln` output in the canonical form of expectedTable: services and destinations, without
 * the counters (ActiveConn, InActConn) or the header.
 */
export function canonicalTable(ipvsadmLn: string): string[] {
  const out: string[] = [];
  let service = '';
  for (const line of ipvsadmLn.split('\n')) {
    const svc = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\S+)(?:\s+persistent\s+(\d+))?/.exec(line);
    if (svc) {
      service = `${svc[1]} ${svc[2]}`;
      out.push(`${service} ${svc[3]}${svc[4] === undefined ? '' : ` persistent ${svc[4]}`}`);
      continue;
    }
    const dest = /^\s+->\s+(\d\S*)\s+(\S+)\s+(\d+)/.exec(line);
    if (dest && service) out.push(`${service} -> ${dest[1]} ${dest[2]} ${dest[3]}`);
  }
  return out.sort();
}

/** `ipvsadm -Ln` destination counters: "VIP:PORT RS:PORT" -> active and inactive connections. */
export function connectionCounts(ipvsadmLn: string): Map<string, { active: number; inactive: number }> {
  const out = new Map<string, { active: number; inactive: number }>();
  let service = '';
  for (const line of ipvsadmLn.split('\n')) {
    const svc = /^(?:TCP|UDP|SCTP)\s+(\S+)/.exec(line);
    if (svc) service = svc[1]!;
    const dest = /^\s+->\s+(\d\S*)\s+\S+\s+\d+\s+(\d+)\s+(\d+)/.exec(line);
    if (dest && service)
      out.set(`${service} ${dest[1]}`, { active: Number(dest[2]), inactive: Number(dest[3]) });
  }
  return out;
}

/** One request of the client's loop (lab/hosts.ts LoopRecord). */
export interface LoopSample {
  t: number;
  ok: boolean;
  server: string;
}

export interface Outage {
  /** Requests started at or after the event (less one request timeout) that failed. */
  failed: number;
  /** Requests started in that window. */
  total: number;
  /** From the event to the start of the first successful request after the last failure. */
  resumedAfterMs: number;
  /** Successful requests after the last failure (the loop goes on). */
  okAfter: number;
}

/**
 * The outage a loop of requests saw around an event at time `at` (epoch ms): a request that was
 * still in flight when it happened counts too (it started at most `timeoutMs` before).
 */
export function outage(samples: readonly LoopSample[], at: number, timeoutMs: number): Outage {
  const window = samples.filter((s) => s.t >= at - timeoutMs);
  const failures = window.filter((s) => !s.ok);
  const lastFailure = failures.length === 0 ? undefined : failures[failures.length - 1]!.t;
  const after = window.filter((s) => s.ok && (lastFailure === undefined || s.t > lastFailure));
  const firstOk = after[0];
  return {
    failed: failures.length,
    total: window.length,
    resumedAfterMs:
      lastFailure === undefined ? 0 : firstOk === undefined ? Infinity : Math.max(0, firstOk.t - at),
    okAfter: after.length,
  };
}
