/**
 * Shared by test/vm/daemon-lvs.test.ts (host) and test/vm/guest/daemon-scenarios.ts (guest): the
 * guest topology, the real-server listeners, and the expected IPVS table of every step, written by
 * hand from the configurations (never computed by the code under test). Pure data and functions.
 *
 * Topology, one set per scenario (each network namespace has its own IPVS table, so the scenarios
 * run side by side in one boot without sharing anything):
 *
 *   client ns (nat, per only)         director ns                          servers ns
 *   kts-vmd-<s>-c  eth0 <-veth-> eth1 kts-vmd-<s>-d  eth0 <-veth-> eth0  kts-vmd-<s>-r
 *                                    vip0 (dummy): the VIPs /32          every real server address /32,
 *                                    172.31.0.1/24, a /32 route per      172.31.0.2/24, default route
 *                                    real server via 172.31.0.2          via 172.31.0.1 (NAT replies)
 *
 * The sample configurations keep their own addresses (the topology is built around them); the
 * director's outside interface is named eth0 as in the samples.
 */

/** One line per service (`TCP 192.0.2.100:80 rr`) followed by its destinations (`  -> A:P Route 1`). */
export type Table = string[];

export interface Listener {
  address: string;
  port: number;
  /** httpd: busybox httpd serving /health and /index.html; echo: the guest's line echo server. */
  kind: 'httpd' | 'echo';
}

export interface Scenario {
  name: string;
  /** conf/ sample the scenario's config derives from, or a fixture of this test. */
  source: string;
  director: string;
  servers: string;
  /** Client namespace and the /24 shared with the director's eth1 (director .1, client .2). */
  client: { ns: string; subnet: string } | null;
  vips: string[];
  /** Addresses put on the servers namespace (listeners' and any unreachable-on-purpose ones). */
  serverAddresses: string[];
  listeners: Listener[];
}

export const FOREIGN: Table = ['FWM 99 wlc', 'UDP 10.99.0.1:53 rr', '  -> 10.99.1.1:53 Masq 4'];
/** `ipvsadm -R` input adding the foreign services above (before any daemon starts). */
export const FOREIGN_RESTORE = [
  '-A -u 10.99.0.1:53 -s rr',
  '-a -u 10.99.0.1:53 -r 10.99.1.1:53 -m -w 4',
  '-A -f 99 -s wlc',
];

const ns = (s: string, role: 'd' | 'r' | 'c') => `kts-vmd-${s}-${role}`;
const httpd = (address: string, port: number): Listener => ({ address, port, kind: 'httpd' });

function scenario(
  name: string,
  source: string,
  vips: string[],
  listeners: Listener[],
  extra: { clientSubnet?: string; unreachable?: string[] } = {},
): Scenario {
  const addresses = [...new Set([...listeners.map((l) => l.address), ...(extra.unreachable ?? [])])];
  return {
    name,
    source,
    director: ns(name, 'd'),
    servers: ns(name, 'r'),
    client: extra.clientSubnet ? { ns: ns(name, 'c'), subnet: extra.clientSubnet } : null,
    vips,
    serverAddresses: addresses,
    listeners,
  };
}

export const SCENARIOS: Scenario[] = [
  scenario(
    'dr',
    'conf/lvs-dr-rr-tcp.conf',
    ['192.0.2.100'],
    [httpd('192.0.2.11', 80), httpd('192.0.2.12', 80)],
  ),
  scenario(
    'nat',
    'conf/lvs-nat-sync-group.conf',
    ['198.51.100.10'],
    ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => ({ address, port: 8080, kind: 'echo' as const })),
    { clientSubnet: '198.51.100' },
  ),
  scenario(
    'tun',
    'conf/lvs-tun-inhibit.conf',
    ['203.0.113.80'],
    [httpd('192.0.2.21', 443), httpd('192.0.2.22', 443)],
  ),
  scenario(
    'per',
    'conf/persistence.conf',
    ['192.0.2.101'],
    [httpd('198.51.100.51', 443), httpd('198.51.100.52', 443)],
    { clientSubnet: '203.0.113', unreachable: ['198.51.100.99'] },
  ),
  scenario(
    'hash',
    'conf/two-vips-dh-sh.conf',
    ['192.0.2.91', '192.0.2.92'],
    [
      httpd('198.51.100.31', 3128),
      httpd('198.51.100.32', 3128),
      httpd('198.51.100.41', 25),
      httpd('198.51.100.42', 25),
    ],
  ),
  scenario(
    'http',
    'conf/http-get-digest.conf',
    ['192.0.2.111'],
    [httpd('10.0.1.1', 8080), httpd('10.0.1.2', 8080)],
  ),
  scenario(
    'own',
    'test/fixtures/vm/daemon/fwmark-group-sorry.conf',
    ['192.0.2.200', '192.0.2.201', '192.0.2.202', '192.0.2.210', '192.0.2.220'],
    [
      httpd('192.0.2.31', 80),
      httpd('192.0.2.32', 80),
      httpd('10.0.9.1', 8080),
      httpd('10.0.9.2', 8080),
      httpd('10.0.9.1', 443), // for the virtual server the reload adds
    ],
    { unreachable: ['10.0.9.99'] },
  ),
];

export function scenarioByName(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s;
}

/** The listeners stopped in the "down" phase (health failures), per scenario. */
export const DOWN_LISTENERS: Record<string, string[]> = {
  dr: ['192.0.2.12:80'], // removed
  tun: ['192.0.2.21:443'], // inhibit_on_failure: weight 0
  per: ['198.51.100.51:443', '198.51.100.52:443'], // quorum lost: sorry server only
  own: ['192.0.2.31:80', '10.0.9.1:8080', '10.0.9.2:8080'], // fwmark inhibit; group -> sorry server
};
/** HTTP_GET: the /health file removed (404) on these servers in the "down" phase. */
export const DOWN_HEALTH_FILES: Record<string, string[]> = { http: ['10.0.1.2:8080'] };

// -------------------------------------------------------------------------------------------------
// Expected tables, derived by hand from the configurations (docs/behaviour.md §4.4-4.6):
// non-NAT real servers take the virtual server's port, fwmark real servers port 0, a sorry server
// enters at weight 1 with the virtual server's forwarding method once every real server is down.
// -------------------------------------------------------------------------------------------------

const groupService = (vip: string, port: number, dests: string[]): Table => [
  `TCP ${vip}:${port} wrr`,
  ...dests,
];
const OWN_GROUP_VIPS: [string, number][] = [
  ['192.0.2.200', 80],
  ['192.0.2.201', 80],
  ['192.0.2.202', 80],
  ['192.0.2.210', 8080],
];
const ownTable = (fwmarkDests: string[], groupDests: string[]): Table => [
  'FWM 7 sh persistent 120',
  ...fwmarkDests,
  ...OWN_GROUP_VIPS.flatMap(([vip, port]) => groupService(vip, port, groupDests)),
];
const OWN_GROUP_UP = ['  -> 10.0.9.1:8080 Masq 2', '  -> 10.0.9.2:8080 Masq 1'];

/** Our services at start (all real servers healthy), per scenario; FOREIGN comes on top. */
export const START: Record<string, Table> = {
  dr: ['TCP 192.0.2.100:80 rr', '  -> 192.0.2.11:80 Route 1', '  -> 192.0.2.12:80 Route 1'],
  nat: ['TCP 198.51.100.10:80 wlc', '  -> 10.0.0.1:8080 Masq 1', '  -> 10.0.0.2:8080 Masq 1'],
  tun: ['TCP 203.0.113.80:443 wrr', '  -> 192.0.2.21:443 Tunnel 3', '  -> 192.0.2.22:443 Tunnel 1'],
  per: [
    'TCP 192.0.2.101:443 wlc persistent 600 mask 255.255.255.0',
    '  -> 198.51.100.51:443 Route 2',
    '  -> 198.51.100.52:443 Route 2',
  ],
  hash: [
    'TCP 192.0.2.91:3128 dh',
    '  -> 198.51.100.31:3128 Route 1',
    '  -> 198.51.100.32:3128 Route 1',
    'TCP 192.0.2.92:25 sh',
    '  -> 198.51.100.41:25 Masq 1',
    '  -> 198.51.100.42:25 Masq 1',
  ],
  http: ['TCP 192.0.2.111:80 rr', '  -> 10.0.1.1:8080 Masq 1', '  -> 10.0.1.2:8080 Masq 1'],
  own: ownTable(['  -> 192.0.2.31:0 Route 1', '  -> 192.0.2.32:0 Route 2'], OWN_GROUP_UP),
};

/** Our services after the "down" phase. */
export const DOWN: Record<string, Table> = {
  dr: ['TCP 192.0.2.100:80 rr', '  -> 192.0.2.11:80 Route 1'],
  tun: ['TCP 203.0.113.80:443 wrr', '  -> 192.0.2.21:443 Tunnel 0', '  -> 192.0.2.22:443 Tunnel 1'],
  per: ['TCP 192.0.2.101:443 wlc persistent 600 mask 255.255.255.0', '  -> 198.51.100.99:443 Route 1'],
  http: ['TCP 192.0.2.111:80 rr', '  -> 10.0.1.1:8080 Masq 1'],
  own: ownTable(['  -> 192.0.2.31:0 Route 0', '  -> 192.0.2.32:0 Route 2'], ['  -> 10.0.9.99:8080 Masq 1']),
};

/** `own` after SIGHUP with test/fixtures/vm/daemon/fwmark-group-sorry-reload.conf. */
export const OWN_RELOADED: Table = [
  'FWM 7 rr persistent 300',
  '  -> 192.0.2.31:0 Route 1',
  '  -> 192.0.2.32:0 Route 2',
  ...OWN_GROUP_VIPS.filter(([vip]) => vip !== '192.0.2.202').flatMap(([vip, port]) =>
    groupService(vip, port, OWN_GROUP_UP),
  ),
  'TCP 192.0.2.220:443 lc',
  '  -> 10.0.9.1:443 Masq 1',
];

/**
 * ipvsadm changes made while the daemon is dead (after SIGKILL), which its successor must undo: a
 * destination deleted, a weight changed, a scheduler changed.
 */
export const KILL_DRIFT: Record<string, string[][]> = {
  own: [
    ['-d', '-t', '192.0.2.200:80', '-r', '10.0.9.1:8080'],
    ['-e', '-f', '7', '-r', '192.0.2.32:0', '-g', '-w', '9'],
  ],
  hash: [['-E', '-t', '192.0.2.91:3128', '-s', 'rr']],
};
/** The drifted tables (ours), as ipvsadm shows them before the restart. */
export const DRIFTED: Record<string, Table> = {
  own: ownDrifted(),
  hash: [
    'TCP 192.0.2.91:3128 rr',
    '  -> 198.51.100.31:3128 Route 1',
    '  -> 198.51.100.32:3128 Route 1',
    'TCP 192.0.2.92:25 sh',
    '  -> 198.51.100.41:25 Masq 1',
    '  -> 198.51.100.42:25 Masq 1',
  ],
};
function ownDrifted(): Table {
  return [
    'FWM 7 sh persistent 120',
    '  -> 192.0.2.31:0 Route 1',
    '  -> 192.0.2.32:0 Route 9',
    'TCP 192.0.2.200:80 wrr',
    '  -> 10.0.9.2:8080 Masq 1',
    ...OWN_GROUP_VIPS.slice(1).flatMap(([vip, port]) => groupService(vip, port, OWN_GROUP_UP)),
  ];
}

/** NAT after SIGHUP with test/fixtures/vm/daemon/nat-reload.conf.in (KEPT = the client's server). */
export function natReloaded(kept: string): Table {
  return ['TCP 198.51.100.10:80 rr', `  -> ${kept}:8080 Masq 3`, '  -> 10.0.0.3:8080 Masq 1'];
}
export const NAT_SERVERS = ['10.0.0.1', '10.0.0.2'];

/** The NAT virtual server as the control commands name it (`keepalived-ts rs drain VS RS`). */
export const NAT_VS = '198.51.100.10:80';

/** TABLE with the destinations at ADDRESS (any port) at weight 0: what an operator's drain leaves. */
export function drainedIn(table: Table, address: string): Table {
  return table.map((line) => (line.startsWith(`  -> ${address}:`) ? line.replace(/ \d+$/, ' 0') : line));
}

/** The expected kernel table: ours plus the foreign services, in canonical order. */
export function withForeign(ours: Table): Table {
  return canonicalTable([...ours, ...FOREIGN].join('\n'));
}

// -------------------------------------------------------------------------------------------------
// ipvsadm parsing
// -------------------------------------------------------------------------------------------------

/**
 * `ipvsadm -Ln` -> canonical lines: the service line with whitespace collapsed, then its
 * destinations as `  -> ADDR:PORT FORWARD WEIGHT` (connection counters dropped); services and
 * destinations sorted, so two tables compare with equality. Also accepts the canonical form itself.
 */
export function canonicalTable(text: string): Table {
  const services: { line: string; dests: string[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^(IP Virtual Server|Prot |-> RemoteAddress)/.test(line)) continue;
    if (line.startsWith('->')) {
      const [, address, forward, weight] = line.split(/\s+/);
      const current = services[services.length - 1];
      if (current === undefined) continue;
      current.dests.push(`  -> ${address} ${forward} ${weight}`);
    } else services.push({ line: line.split(/\s+/).join(' '), dests: [] });
  }
  services.sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  return services.flatMap((s) => [s.line, ...s.dests.sort()]);
}

export interface PersistentRow {
  service: string;
  dests: { address: string; weight: number; persistConn: number; activeConn: number; inActConn: number }[];
}

/** `ipvsadm -Ln --persistent-conn` -> services with their destinations' weight and counters. */
export function parsePersistentConn(text: string): PersistentRow[] {
  const out: PersistentRow[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^(IP Virtual Server|Prot |-> RemoteAddress)/.test(line)) continue;
    if (line.startsWith('->')) {
      const [, address, weight, persist, active, inact] = line.split(/\s+/);
      out[out.length - 1]?.dests.push({
        address: address ?? '',
        weight: Number(weight),
        persistConn: Number(persist),
        activeConn: Number(active),
        inActConn: Number(inact),
      });
    } else out.push({ service: line.split(/\s+/).join(' '), dests: [] });
  }
  return out;
}

export interface DestinationRow {
  service: string;
  address: string;
  forward: string;
  weight: number;
  activeConn: number;
  inActConn: number;
}

/** `ipvsadm -Ln` -> every destination with its service, weight and connection counters. */
export function parseDestinations(text: string): DestinationRow[] {
  const out: DestinationRow[] = [];
  let service = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^(IP Virtual Server|Prot |-> RemoteAddress)/.test(line)) continue;
    if (line.startsWith('->')) {
      const [, address, forward, weight, active, inact] = line.split(/\s+/);
      out.push({
        service,
        address: address ?? '',
        forward: forward ?? '',
        weight: Number(weight),
        activeConn: Number(active),
        inActConn: Number(inact),
      });
    } else service = line.split(/\s+/).join(' ');
  }
  return out;
}

/** `ipvsadm -Ln --stats --exact` -> `PROTO ADDR:PORT` -> the service's cumulative Conns and InPkts. */
export function serviceStats(text: string): Map<string, { conns: number; inPkts: number }> {
  const out = new Map<string, { conns: number; inPkts: number }>();
  for (const raw of text.split('\n')) {
    const m = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\d+)\s+(\d+)/.exec(raw);
    if (m) out.set(`${m[1]} ${m[2]}`, { conns: Number(m[3]), inPkts: Number(m[4]) });
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// The IPVS chaos matrix (docs/reliability.md): three more director namespaces, used only by the
// phases after `term`, with their configs written here. Each runs its own daemon.
//   big    SIGKILL while the daemon programs BIG_VS x BIG_RS, then a restart converges;
//   adopt  services and destinations made with ipvsadm before the daemon adds them (EEXIST);
//   gone   a destination and a service deleted with ipvsadm under a running daemon (ENOENT, ESRCH).
// -------------------------------------------------------------------------------------------------

/**
 * 200 virtual servers x 20 real servers, no checkers (every real server counts as up): 4,200
 * requests. The kernel handles a datagram of the writer's (32 KiB, a couple of hundred requests)
 * within one sendmsg, so a SIGKILL lands between two datagrams; 4,200 requests take a good part
 * of a second under emulation, enough for a kill to land early and half way (200 x 2, 600
 * requests in three or so datagrams, would leave few places to land).
 */
export const BIG_VS = 200;
export const BIG_RS = 20;
const bigVip = (i: number) => `10.200.${i >> 8}.${(i & 255) + 1}`;
const bigRs = (i: number, j: number) => `10.201.${i}.${j + 1}`;

export function bigConfig(): string {
  const out = ['global_defs {', '    router_id LVS_VMD_BIG', '}'];
  for (let i = 0; i < BIG_VS; i++) {
    out.push(`virtual_server ${bigVip(i)} 80 {`, '    lb_algo rr', '    lb_kind DR', '    protocol TCP');
    // No block: weight 1, no checker (a shorter file parses faster under emulation).
    for (let j = 0; j < BIG_RS; j++) out.push(`    real_server ${bigRs(i, j)} 80`);
    out.push('}');
  }
  return out.join('\n') + '\n';
}
export const BIG: Table = Array.from({ length: BIG_VS }, (_, i) => [
  `TCP ${bigVip(i)}:80 rr`,
  ...Array.from({ length: BIG_RS }, (_, j) => `  -> ${bigRs(i, j)}:80 Route 1`),
]).flat();

/**
 * Entries (services and destinations) of ours in a table, and those that are not in `desired`
 * (a service line unknown, or a destination under a service that should not have it).
 */
export function tableEntries(text: string, desired: Table): { ours: number; unexpected: string[] } {
  const want = new Set<string>();
  let service = '';
  for (const line of desired)
    if (line.startsWith('  -> ')) want.add(`${service}|${line}`);
    else want.add((service = line));
  const foreign = new Set<string>();
  service = '';
  for (const line of FOREIGN)
    if (line.startsWith('  -> ')) foreign.add(`${service}|${line}`);
    else foreign.add((service = line));
  let ours = 0;
  const unexpected: string[] = [];
  service = '';
  for (const line of canonicalTable(text)) {
    const entry = line.startsWith('  -> ') ? `${service}|${line}` : (service = line);
    if (foreign.has(entry)) continue;
    if (want.has(entry)) ours++;
    else unexpected.push(entry);
  }
  return { ours, unexpected };
}

const adoptVs = (
  vip: string,
  port: number,
  algo: string,
  kind: string,
  servers: [string, number, number][],
) => [
  `virtual_server ${vip} ${port} {`,
  `    lb_algo ${algo}`,
  `    lb_kind ${kind}`,
  '    protocol TCP',
  ...servers.flatMap(([a, p, w]) => [`    real_server ${a} ${p} {`, `        weight ${w}`, '    }']),
  '}',
];
const ADOPT_FIRST = adoptVs('10.77.0.1', 80, 'wlc', 'DR', [
  ['10.77.1.1', 80, 3],
  ['10.77.1.2', 80, 1],
]);
const ADOPT_SECOND = adoptVs('10.77.0.2', 443, 'sh', 'DR', [
  ['10.77.1.3', 443, 2],
  ['10.77.1.4', 443, 1],
]);
const adoptHeader = ['global_defs {', '    router_id LVS_VMD_ADOPT', '}'];
/** adopt's config at start, and the one its SIGHUP reads (a second virtual server). */
export const ADOPT_CONF = [...adoptHeader, ...ADOPT_FIRST].join('\n') + '\n';
export const ADOPT_RELOAD_CONF = [...adoptHeader, ...ADOPT_FIRST, ...ADOPT_SECOND].join('\n') + '\n';
/** ipvsadm before the daemon starts: its first service as rr, one destination at weight 9. */
export const ADOPT_BEFORE_START = [
  ['-A', '-t', '10.77.0.1:80', '-s', 'rr'],
  ['-a', '-t', '10.77.0.1:80', '-r', '10.77.1.1:80', '-g', '-w', '9'],
];
export const ADOPT_PRESET: Table = ['TCP 10.77.0.1:80 rr', '  -> 10.77.1.1:80 Route 9'];
export const ADOPT_START: Table = [
  'TCP 10.77.0.1:80 wlc',
  '  -> 10.77.1.1:80 Route 3',
  '  -> 10.77.1.2:80 Route 1',
];
/**
 * ipvsadm while it runs, before the SIGHUP that adds the second virtual server: that service as rr
 * and one destination masqueraded at weight 7, after the daemon's dump, so its adds meet EEXIST.
 */
export const ADOPT_BEFORE_RELOAD = [
  ['-A', '-t', '10.77.0.2:443', '-s', 'rr'],
  ['-a', '-t', '10.77.0.2:443', '-r', '10.77.1.3:443', '-m', '-w', '7'],
];
export const ADOPT_PRERELOAD: Table = [...ADOPT_START, 'TCP 10.77.0.2:443 rr', '  -> 10.77.1.3:443 Masq 7'];
export const ADOPT_RELOADED: Table = [
  ...ADOPT_START,
  'TCP 10.77.0.2:443 sh',
  '  -> 10.77.1.3:443 Route 2',
  '  -> 10.77.1.4:443 Route 1',
];

const goneVs = (vip: string, servers: string[]) => [
  `virtual_server ${vip} 80 {`,
  '    delay_loop 1',
  '    lb_algo rr',
  '    lb_kind DR',
  '    protocol TCP',
  ...servers.flatMap((a) => [
    `    real_server ${a} 80 {`,
    '        weight 1',
    '        TCP_CHECK {',
    '            connect_timeout 2',
    '            retry 1',
    '            delay_before_retry 1',
    '        }',
    '    }',
  ]),
  '}',
];
/** Two virtual servers with TCP_CHECKs on the listeners of `gone`. */
export const GONE_CONF =
  [
    'global_defs {',
    '    router_id LVS_VMD_GONE',
    '}',
    ...goneVs('10.78.0.1', ['10.78.1.1', '10.78.1.2']),
    ...goneVs('10.78.0.2', ['10.78.1.3', '10.78.1.4']),
  ].join('\n') + '\n';
export const GONE_START: Table = [
  'TCP 10.78.0.1:80 rr',
  '  -> 10.78.1.1:80 Route 1',
  '  -> 10.78.1.2:80 Route 1',
  'TCP 10.78.0.2:80 rr',
  '  -> 10.78.1.3:80 Route 1',
  '  -> 10.78.1.4:80 Route 1',
];
/** ipvsadm under the running daemon: a destination of the first, the whole second service. */
export const GONE_DELETE = [
  ['-d', '-t', '10.78.0.1:80', '-r', '10.78.1.1:80'],
  ['-D', '-t', '10.78.0.2:80'],
];
export const GONE_DELETED: Table = ['TCP 10.78.0.1:80 rr', '  -> 10.78.1.2:80 Route 1'];
/** Then the listeners of the deleted destination and of one in the deleted service stop. */
export const GONE_DOWN_LISTENERS = ['10.78.1.1:80', '10.78.1.3:80'];
export const GONE_DOWN: Table = [
  'TCP 10.78.0.1:80 rr',
  '  -> 10.78.1.2:80 Route 1',
  'TCP 10.78.0.2:80 rr',
  '  -> 10.78.1.4:80 Route 1',
];

export const CHAOS: Scenario[] = [
  scenario('big', 'generated: bigConfig()', [], []),
  scenario('adopt', 'generated: ADOPT_CONF', [], []),
  scenario(
    'gone',
    'generated: GONE_CONF',
    [],
    ['10.78.1.1', '10.78.1.2', '10.78.1.3', '10.78.1.4'].map((a) => httpd(a, 80)),
  ),
];
