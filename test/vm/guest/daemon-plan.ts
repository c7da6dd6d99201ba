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
