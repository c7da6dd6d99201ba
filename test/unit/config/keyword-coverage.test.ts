/**
 * One source of truth for the grammar: a keyword the tables parse is either read by the schema
 * builders or marked `unsupported` (reported at `-t` and at start), and every field of the model
 * is set by some keyword.
 *
 * The configs are written from the tables themselves: a skeleton with one block of each kind,
 * and for each keyword of each table the skeleton plus that keyword, with a value of its syntax
 * (SAMPLES below for the `custom` and `lines` ones). While the model is built the test records
 * which fields each RawReader gives out, by the table the block was read through: a keyword
 * whose value no builder asks for fails, and so does a builder asking for a field no keyword of
 * its table sets. The models built are then compared field by field: a field that has the same
 * value whatever the config says is set by nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedTables } from '../../../scripts/config-doc.js';
import { exitCodeFor, formatDiagnostic } from '../../../src/config/diagnostics-format.js';
import { RawReader } from '../../../src/config/keywords/read.js';
import type { BlockTable, KeywordSpec } from '../../../src/config/keywords/types.js';
import { fieldOf } from '../../../src/config/keywords/types.js';
import type { Diagnostic } from '../../../src/config/diagnostics.js';
import type { Config } from '../../../src/config/model.js';
import { build, MAIN } from './schema-helpers.js';

/** Where each table's keywords go in the skeleton (`@name` marks the place). */
const SKELETON = `global_defs {
@global_defs
}
vrrp_script chk {
  script "/bin/true"
@vrrp_script
}
track_file tf {
  file /tmp/tf
@track_file
}
track_file tf9 {
  file /tmp/tf9
}
vrrp_track_process tp {
  process foo
@vrrp_track_process
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.0.0.1
  }
  authentication {
    auth_type PASS
    auth_pass secret
@authentication
  }
@vrrp_instance
}
vrrp_instance VI_9 {
  interface eth0
  virtual_router_id 59
  virtual_ipaddress {
    10.0.0.9
  }
  auth_hmac {
    key 1 hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
    active_key 1
@auth_hmac
  }
}
vrrp_sync_group G1 {
  group {
    VI_1
  }
@vrrp_sync_group
}
virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
@virtual_server
  real_server 10.0.1.1 80 {
@real_server
    TCP_CHECK {
@TCP_CHECK
    }
    HTTP_GET {
      url {
        path /
@url
      }
@HTTP_GET
    }
    SSL_GET {
      url {
        path /
@url
      }
@SSL_GET
    }
    MISC_CHECK {
      misc_path /bin/true
@MISC_CHECK
    }
    SMTP_CHECK {
@SMTP_CHECK
    }
    DNS_CHECK {
@DNS_CHECK
    }
    UDP_CHECK {
@UDP_CHECK
    }
    PING_CHECK {
@PING_CHECK
    }
    FILE_CHECK {
      track_file tf
@FILE_CHECK
    }
  }
}
virtual_server_group VSG {
  10.0.5.1-3 80
}
virtual_server group VSG {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.0.1.1 80 {
  }
}
@root
`;

/**
 * Lines for keywords whose value the spec cannot write (`custom`, `lines`, `block`), by
 * `table.keyword` or by keyword for every table. A new such keyword needs its line here.
 */
const SAMPLES: Record<string, string> = {
  // root
  'root.global_defs': 'global_defs {\n  router_id second\n}',
  'root.vrrp_script': 'vrrp_script chk2 {\n  script "/bin/false"\n}',
  'root.track_file': 'track_file tf2 {\n  file /tmp/tf2\n}',
  'root.vrrp_track_process': 'vrrp_track_process tp2 {\n  process bar\n}',
  'root.vrrp_instance':
    'vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 52\n  virtual_ipaddress {\n    10.0.0.2\n  }\n}',
  'root.vrrp_sync_group':
    'vrrp_instance VI_3 {\n  interface eth0\n  virtual_router_id 53\n  virtual_ipaddress {\n    10.0.0.3\n  }\n}\n' +
    'vrrp_sync_group G2 {\n  group {\n    VI_3\n  }\n}',
  'root.virtual_server_group':
    'virtual_server_group VSG2 {\n  10.0.6.1 81\n  fwmark 7\n}\nvirtual_server_group VSG3 {\n  2001:db8::9 80\n}\n' +
    'virtual_server group VSG2 {\n  lb_algo rr\n  real_server 10.0.1.1 81 {\n  }\n}',
  'root.virtual_server':
    'virtual_server fwmark 5 {\n  lb_algo rr\n  real_server 10.0.1.9 {\n  }\n}\n' +
    'virtual_server 10.0.0.9 8080 {\n  lb_algo rr\n  real_server 10.0.1.9 8081 {\n  }\n}',
  'root.child_wait_time': 'child_wait_time 7',
  'root.static_ipaddress': 'static_ipaddress {\n  10.0.9.1/32 dev eth0\n}',
  'root.static_routes': 'static_routes {\n  10.9.0.0/16 via 10.0.0.254 dev eth0\n}',
  'root.static_rules': 'static_rules {\n  from 10.0.0.0/8 table 100\n}',
  // global_defs
  'global_defs.notification_email': 'notification_email {\n  root@example.com\n}',
  'global_defs.smtp_server': 'smtp_server 10.0.0.9 2525',
  'global_defs.enable_script_security': 'enable_script_security',
  'global_defs.script_user': 'script_user root root',
  'global_defs.vrrp_mcast_group4': 'vrrp_mcast_group4 224.0.0.19',
  'global_defs.vrrp_mcast_group6': 'vrrp_mcast_group6 ff02::13',
  'global_defs.lvs_sync_daemon':
    'lvs_sync_daemon eth0 inst VI_1 id 5 maxlen 1000 port 8848 ttl 2 group 224.0.0.81',
  'global_defs.lvs_timeouts': 'lvs_timeouts tcp 900 tcpfin 120 udp 300',
  'global_defs.lvs_flush_on_stop': 'lvs_flush_on_stop VS',
  'global_defs.dynamic_interfaces': 'dynamic_interfaces',
  'global_defs.notify_fifo': 'notify_fifo /tmp/fifo root root',
  'global_defs.vrrp_notify_fifo': 'vrrp_notify_fifo /tmp/vfifo root root',
  'global_defs.lvs_notify_fifo': 'lvs_notify_fifo /tmp/lfifo root root',
  // trackers
  'vrrp_script.weight': 'weight -10 reverse',
  'vrrp_script.user': 'user root root',
  'track_file.weight': 'weight 5 reverse',
  'track_file.init_file': 'init_file 3 overwrite',
  'vrrp_track_process.process': 'root:vrrp_track_process tp2 {\n  process bar baz\n}',
  'vrrp_track_process.param_match': 'param_match initial',
  'vrrp_track_process.weight': 'weight 10 reverse',
  'vrrp_track_process.quorum': 'quorum 2',
  'vrrp_track_process.quorum_max': 'quorum_max 3',
  'vrrp_track_process.delay': 'delay 2',
  'vrrp_track_process.fork_delay': 'fork_delay 2',
  'vrrp_track_process.terminate_delay': 'terminate_delay 2',
  // vrrp_instance
  'vrrp_instance.lvs_sync_daemon_interface': 'lvs_sync_daemon_interface eth0',
  'vrrp_instance.virtual_router_id': 'virtual_router_id 77',
  'vrrp_instance.priority': 'priority 120',
  'vrrp_instance.version': 'version 3',
  'vrrp_instance.native_ipv6':
    'root:vrrp_instance VI_6 {\n  interface eth0\n  virtual_router_id 56\n  native_ipv6\n' +
    '  virtual_ipaddress {\n    2001:db8::6\n  }\n}',
  'vrrp_instance.authentication': 'authentication {\n  auth_type AH\n  auth_pass other\n}',
  'vrrp_instance.virtual_ipaddress':
    'virtual_ipaddress {\n  10.0.0.7/24 brd 10.0.0.255 dev eth0 scope link label eth0:1 no_track\n' +
    '  10.0.0.9 peer 10.0.0.10 use_vmac\n}',
  'vrrp_instance.virtual_ipaddress_excluded': 'virtual_ipaddress_excluded {\n  10.0.0.8\n}',
  'vrrp_instance.virtual_routes': 'virtual_routes {\n  10.8.0.0/16 via 10.0.0.254 dev eth0\n}',
  'vrrp_instance.virtual_rules': 'virtual_rules {\n  from 10.0.0.0/8 table 100\n}',
  'vrrp_instance.track_interface': 'track_interface {\n  eth1 weight 10\n}',
  'vrrp_instance.track_script': 'track_script {\n  chk weight 10\n}',
  'vrrp_instance.track_file': 'track_file {\n  tf weight 10\n}',
  'vrrp_instance.track_process': 'track_process {\n  tp weight 10\n}',
  'vrrp_instance.mcast_src_ip': 'mcast_src_ip 10.0.0.100',
  'vrrp_instance.unicast_src_ip': 'unicast_src_ip 10.0.0.100',
  'vrrp_instance.unicast_peer': 'unicast_peer {\n  10.0.0.101\n}',
  'vrrp_instance.use_vmac': 'use_vmac vrrp.51',
  'vrrp_instance.vmac_xmit_base': 'use_vmac\nvmac_xmit_base',
  'vrrp_instance.preempt': 'preempt',
  'vrrp_instance.notify_deleted': 'notify_deleted "/bin/echo deleted"',
  'vrrp_instance.timer_expired_backup': 'nopreempt\ntimer_expired_backup 200',
  'vrrp_instance.thread_timer_expired': 'nopreempt\nthread_timer_expired 200',
  'vrrp_instance.use_ipvlan': 'use_ipvlan ipvl0 10.0.0.50/24',
  'authentication.auth_pass': 'auth_pass other',
  'vrrp_instance.auth_hmac': 'auth_hmac {\n  key 3 hex:' + '33'.repeat(32) + '\n  active_key 3\n}',
  'auth_hmac.key': 'key 2 0123456789abcdef0123456789abcdef',
  'auth_hmac.active_key': 'key 4 hex:' + '44'.repeat(40) + '\nactive_key 4',
  'auth_hmac.anti_replay': 'anti_replay monotonic',
  'auth_hmac.time_window': 'time_window 9',
  'auth_hmac.mode': 'mode permissive',
  // vrrp_sync_group
  'vrrp_sync_group.group':
    'root:vrrp_instance VI_4 {\n  interface eth0\n  virtual_router_id 54\n  virtual_ipaddress {\n    10.0.0.4\n  }\n}\n' +
    'vrrp_sync_group G4 {\n  group {\n    VI_4\n  }\n}',
  'vrrp_sync_group.track_interface': 'track_interface {\n  eth0 weight 10\n}',
  'vrrp_sync_group.track_script': 'track_script {\n  chk weight 10\n}',
  'vrrp_sync_group.track_file': 'track_file {\n  tf weight 10\n}',
  'vrrp_sync_group.track_process': 'track_process {\n  tp weight 10\n}',
  // virtual_server
  'virtual_server.lvs_sched': 'lvs_sched wlc',
  'virtual_server.lvs_method': 'lvs_method TUN type gue port 6080 nocsum',
  'virtual_server.protocol': 'protocol UDP',
  'virtual_server.persistence_timeout': 'persistence_timeout 300',
  'virtual_server.persistence_granularity': 'persistence_granularity 255.255.255.0',
  'virtual_server.delay_loop': 'delay_loop 11',
  'virtual_server.quorum': 'weight 3\nquorum 2',
  'virtual_server.hysteresis': 'weight 3\nquorum 2\nhysteresis 1',
  'virtual_server.sorry_server': 'sorry_server 10.0.2.1 80',
  'virtual_server.sorry_server_lvs_method': 'sorry_server 10.0.2.1 80\nsorry_server_lvs_method DR',
  'virtual_server.sorry_server_inhibit': 'sorry_server 10.0.2.1 80\nsorry_server_inhibit',
  'virtual_server.weight': 'weight 4',
  'virtual_server.ip_family':
    'root:virtual_server fwmark 6 {\n  ip_family inet6\n  lb_algo rr\n  real_server 2001:db8::2 {\n  }\n}',
  'virtual_server.smtp_alert': 'smtp_alert',
  'virtual_server.real_server': 'real_server 10.0.1.2 80 {\n  weight 2\n}',
  'virtual_server.sh-port': 'lvs_sched sh\nsh-port',
  'virtual_server.sh-fallback': 'lvs_sched sh\nsh-fallback',
  'virtual_server.mh-port': 'lvs_sched mh\nmh-port',
  'virtual_server.mh-fallback': 'lvs_sched mh\nmh-fallback',
  'virtual_server.ops': 'protocol UDP\nops',
  // real_server
  'real_server.weight': 'weight 3',
  'real_server.lvs_method': 'lvs_method DR',
  'real_server.inhibit_on_failure': 'inhibit_on_failure',
  'real_server.alpha': 'alpha',
  'real_server.delay_loop': 'delay_loop 7',
  'real_server.smtp_alert': 'smtp_alert off',
  'real_server.TCP_CHECK': 'TCP_CHECK {\n  connect_port 82\n}',
  'real_server.HTTP_GET': 'HTTP_GET {\n  url {\n    path /x\n  }\n}',
  'real_server.SSL_GET': 'SSL_GET {\n  url {\n    path /x\n  }\n}',
  'real_server.MISC_CHECK': 'MISC_CHECK {\n  misc_path /bin/false\n}',
  'real_server.SMTP_CHECK': 'SMTP_CHECK {\n  helo_name x\n}',
  'real_server.DNS_CHECK': 'DNS_CHECK {\n  name x\n}',
  'real_server.UDP_CHECK': 'UDP_CHECK {\n  connect_port 53\n}',
  'real_server.PING_CHECK': 'PING_CHECK {\n  connect_ip 10.0.1.8\n}',
  'real_server.FILE_CHECK': 'FILE_CHECK {\n  track_file tf9\n}',
  // checkers (every checker table)
  delay_loop: 'delay_loop 8',
  alpha: 'alpha',
  connect_ip: 'connect_ip 10.0.1.9',
  connect_port: 'connect_port 81',
  bindto: 'bindto 10.0.0.5',
  bind_port: 'bind_port 1234',
  bind_if: 'bind_if eth0',
  connect_timeout: 'connect_timeout 4',
  'MISC_CHECK.user': 'user root root',
  'FILE_CHECK.track_file': 'track_file tf9',
  'FILE_CHECK.weight': 'weight 7 reverse',
  'UDP_CHECK.payload': 'payload 0a0b0c',
  'UDP_CHECK.require_reply': 'require_reply 0a0b',
  'HTTP_GET.url': 'url {\n  path /other\n}',
  'SSL_GET.url': 'url {\n  path /other\n}',
  // url
  'url.digest': 'digest 9b3a0c85a887a256d6939da88aabd8cd',
  'url.status_code': 'status_code 200-204 301',
  'url.regex': 'regex "ok"',
};

/** A line in the keyword's own syntax, or its SAMPLES entry. */
function sampleFor(table: BlockTable, spec: KeywordSpec): string | null {
  const given = SAMPLES[`${table.name}.${spec.keyword}`] ?? SAMPLES[spec.keyword];
  if (given !== undefined) return given;
  const v = spec.value;
  const k = spec.keyword;
  const def = spec.default;
  switch (v.kind) {
    case 'flag':
      return k;
    case 'int': {
      // A value that is not the default, so the model shows whether it was read.
      const n = [v.min + 1, v.min + 2, v.max].find((x) => x <= v.max && x !== def) ?? v.min;
      return `${k} ${n}`;
    }
    case 'timer': {
      const n = [2, 3, v.max].find((x) => x >= v.min && x <= v.max && x !== def) ?? v.min;
      return `${k} ${n}`;
    }
    case 'string':
      return `${k} word-${k}`;
    case 'enum':
      return `${k} ${v.values.find((x, i) => x !== def && i > 0) ?? v.values[0]}`;
    case 'script':
      return `${k} "/bin/echo ${k}"`;
    case 'block':
      return `${k} {\n}`;
    default:
      return null;
  }
}

/**
 * Where a table's lines go: its `@name` in the skeleton, else inside its block keyword at the
 * place of the table that holds it (`key` inside `auth_hmac { }` in the instance).
 */
function placeFor(table: BlockTable, line: string): { marker: string; line: string; depth: number } | null {
  if (SKELETON.includes(`\n@${table.name}\n`)) return { marker: `@${table.name}`, line, depth: 0 };
  for (const parent of TABLES)
    for (const spec of parent.keywords)
      if (spec.value.kind === 'block' && spec.value.table() === table && parent !== table) {
        const outer = placeFor(parent, `${spec.keyword} {\n${line}\n}`);
        if (outer) return { ...outer, depth: outer.depth + 1 };
      }
  return null;
}

/**
 * The skeleton with `line` in the table's block (every such block: both checkers' `url`), or at
 * the top level when it starts with `root:` (a whole block of that kind, for keywords that need
 * a block unlike the skeleton's). `line` is the number of the keyword's own line.
 */
function configWith(table: BlockTable, line: string): { text: string; line: number } | null {
  const place = line.startsWith('root:')
    ? { marker: '@root', line: line.slice(5), depth: 0 }
    : placeFor(table, line);
  if (place === null) return null;
  const at = SKELETON.indexOf(`\n${place.marker}\n`);
  const before = SKELETON.slice(0, at + 1).replace(/^@.*\n/gm, '');
  const text = SKELETON.replaceAll(`\n${place.marker}\n`, `\n${place.line}\n`).replace(/^@.*\n/gm, '');
  return { text, line: before.split('\n').length + place.depth };
}

/** Fields given out by the readers, by table: `present` only where the config set the field. */
const readsPresent = new Map<BlockTable, Set<string>>();
const readsAll = new Map<BlockTable, Set<string>>();
/** `written` too: presence flags are acted on by it (`native_ipv6`). `loc` alone is not. */
const VALUE_READERS = ['value', 'items', 'written'] as const;
const originals = new Map<string, unknown>();

function record(map: Map<BlockTable, Set<string>>, table: BlockTable, field: string): void {
  let set = map.get(table);
  if (!set) map.set(table, (set = new Set()));
  set.add(field);
}

beforeAll(() => {
  const proto = RawReader.prototype as unknown as Record<
    string,
    (this: RawReader, spec: KeywordSpec, ...rest: unknown[]) => unknown
  >;
  for (const name of VALUE_READERS) {
    const orig = proto[name]!;
    originals.set(name, orig);
    // `child` reads through `value`, so nested blocks are counted too.
    proto[name] = function (this: RawReader, spec: KeywordSpec, ...rest: unknown[]) {
      const field = fieldOf(spec);
      record(readsAll, this.raw.table, field);
      if (this.raw.locs.has(field)) record(readsPresent, this.raw.table, field);
      return (orig as (...a: unknown[]) => unknown).call(this, spec, ...rest);
    };
  }
});
afterAll(() => {
  const proto = RawReader.prototype as unknown as Record<string, unknown>;
  for (const [name, orig] of originals) proto[name] = orig;
});

const TABLES = documentedTables();

interface Case {
  readonly table: BlockTable;
  readonly spec: KeywordSpec;
  readonly text: string;
  /** The keyword's first line. */
  readonly line: number;
}

function cases(): { cases: Case[]; noSample: string[] } {
  const out: Case[] = [];
  const noSample: string[] = [];
  for (const table of TABLES)
    for (const spec of table.keywords) {
      if (spec.unsupported) continue;
      const line = sampleFor(table, spec);
      if (line === null) noSample.push(`${table.name}.${spec.keyword}: no line in SAMPLES`);
      else {
        const placed = configWith(table, line);
        if (placed === null) noSample.push(`${table.name}.${spec.keyword}: no place in SKELETON`);
        else out.push({ table, spec, ...placed });
      }
    }
  return { cases: out, noSample };
}

interface Built extends Case {
  readonly diagnostics: Diagnostic[];
  readonly config: Config;
  /** Fields of the keyword's table a builder read, where the config set them. */
  readonly read: ReadonlySet<string>;
}

/** Each case built once, while the readers are watched. */
let builtCache: Built[] | null = null;
function built(): Built[] {
  if (builtCache === null) {
    builtCache = cases().cases.map((c) => {
      readsPresent.clear();
      const { diagnostics, config } = build(c.text);
      return { ...c, diagnostics, config, read: new Set(readsPresent.get(c.table)) };
    });
  }
  return builtCache;
}

describe('every keyword is read or reported as not acted on', () => {
  it('every keyword keepalived-ts reads is read by a builder when a config sets it', () => {
    const unread: string[] = [...cases().noSample];
    for (const c of built()) {
      const { diagnostics } = c;
      if (c.read.has(fieldOf(c.spec))) continue;
      // Read and not acted on, on purpose (`inert`): the line keepalived has for it must be said.
      const atLine = diagnostics.filter((d) => d.loc?.line === c.line && d.severity !== 'info');
      if (c.spec.doc?.inert !== undefined && atLine.length > 0) continue;
      const said = diagnostics.map((d) => formatDiagnostic(d, MAIN));
      unread.push(
        `${c.table.name}.${c.spec.keyword} (line ${c.line}${said.length ? `: ${said.join('; ')}` : ''})`,
      );
    }
    expect(unread).toEqual([]);
  });

  it('no builder asks for a field no keyword of its table sets', () => {
    built();
    const stray: string[] = [];
    for (const [table, fields] of readsAll) {
      const known = new Set(table.keywords.map(fieldOf));
      for (const f of fields) if (!known.has(f)) stray.push(`${table.name}.${f}`);
    }
    expect(stray).toEqual([]);
  });

  it('every keyword read but not acted on (`inert`) is said at its line as a warning, exit code kept', () => {
    const silent: string[] = [];
    let inert = 0;
    for (const c of built()) {
      if (c.spec.doc?.inert === undefined) continue;
      inert++;
      // A deprecated form says so in keepalived's words instead (lvs_sync_daemon_interface).
      const notice = c.diagnostics.find(
        (d) => (d.code === 'not-acted-on' || d.code === 'deprecated') && d.loc?.line === c.line,
      );
      if (notice === undefined || notice.severity !== 'warning')
        silent.push(`${c.table.name}.${c.spec.keyword}`);
    }
    expect(inert).toBeGreaterThan(5);
    expect(silent).toEqual([]);
    expect(exitCodeFor([{ severity: 'warning', code: 'not-acted-on', message: 'x', loc: null }])).toBe(0);
  });

  it('every keyword marked unsupported is reported where it is written, as `-t` prints it', () => {
    const silent: string[] = [];
    for (const table of TABLES)
      for (const spec of table.keywords) {
        if (!spec.unsupported) continue;
        for (const k of [spec.keyword, ...(spec.aliases ?? []), ...(spec.deprecated ?? [])]) {
          const placed = configWith(table, `${k} 1`);
          if (placed === null) {
            silent.push(`${table.name}.${k}: no place in SKELETON`);
            continue;
          }
          const { text, line } = placed;
          const said = build(text).diagnostics.map((d) => formatDiagnostic(d, MAIN));
          if (!said.includes(`(Line ${line}) '${k}' is not supported by keepalived-ts, ignored`))
            silent.push(`${table.name}.${k}`);
        }
      }
    expect(silent).toEqual([]);
  });
});

/** `path` -> the distinct values it took; arrays are one path (`[]`), checkers by type. */
function leaves(value: unknown, path: string, out: Map<string, Set<string>>): void {
  const add = (p: string, v: unknown) => {
    let s = out.get(p);
    if (!s) out.set(p, (s = new Set()));
    s.add(JSON.stringify(v));
  };
  if (Array.isArray(value)) {
    add(path, value.length === 0 ? '(empty)' : '(items)');
    for (const v of value) leaves(v, `${path}[]`, out);
    return;
  }
  if (value !== null && typeof value === 'object') {
    add(path, '(object)');
    const o = value as Record<string, unknown>;
    const kind = typeof o['type'] === 'string' && path.endsWith('checkers[]') ? `<${String(o['type'])}>` : '';
    for (const [k, v] of Object.entries(o)) if (!LEXER_FIELDS.test(k)) leaves(v, `${path}${kind}.${k}`, out);
    return;
  }
  add(path, value);
}

/** Where a value was written comes from the lexer, not from a keyword. */
const LEXER_FIELDS = /^(loc|[a-z]+Loc)$/;

/**
 * Fields no keyword changes, on purpose: the file list (the configs are all one file); a sync
 * group's notify scripts an instance has and a group has not (vrrp_parser.c); HTTP_GET's
 * tls_compliant; and the checker type (a path per type already).
 */
const CONSTANT_BY_DESIGN = new Set([
  '.files',
  '.files[]',
  '.vrrpSyncGroups[].notify.deleted',
  '.vrrpSyncGroups[].notify.masterRxLowerPri',
  // tls_compliant is SSL_GET's alone (check_http.c); HTTP_GET's checkers share the model type.
  '.virtualServers[].realServers[].checkers[]<HTTP_GET>.tlsCompliant',
  '.virtualServers[].realServers[].checkers[]<HTTP_GET>.urls[].tlsCompliant',
]);
const CONTAINER = new Set(['"(object)"', '"(items)"']);

describe('every model field is set by something', () => {
  it('no field keeps one value over the configs written from the tables', () => {
    const inSkeleton = new Map<string, Set<string>>();
    leaves(build(SKELETON.replace(/^@.*\n/gm, '')).config, '', inSkeleton);
    const seen = new Map<string, Set<string>>();
    for (const c of built()) leaves(c.config, '', seen);
    for (const [p, vals] of inSkeleton)
      for (const v of vals) (seen.get(p) ?? seen.set(p, new Set()).get(p)!).add(v);
    // The fields of the skeleton's blocks. The items of value lines (a rule's options, a
    // script's user) are the line parsers' business, each of their words read there.
    const constant = [...seen]
      .filter(
        ([p, vals]) =>
          vals.size < 2 &&
          !CONSTANT_BY_DESIGN.has(p) &&
          !/\.type$/.test(p) &&
          inSkeleton.has(p) &&
          !CONTAINER.has([...vals][0]!),
      )
      .map(([p, vals]) => `${p} = ${[...vals].join('|')}`);
    expect(constant).toEqual([]);
  });
});

describe('keywords the check found dropped', () => {
  const instance = (lines: string) =>
    build(
      `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n${lines}\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n`,
    ).config.vrrpInstances[0]!;

  it('preempt clears an earlier nopreempt, and a later nopreempt stands (vrrp_parser.c)', () => {
    expect(instance('  nopreempt\n  preempt').nopreempt).toBe(false);
    expect(instance('  preempt\n  nopreempt').nopreempt).toBe(true);
    expect(instance('  preempt').nopreempt).toBe(false);
  });

  it('a sync group reads no notify_deleted or notify_master_rx_lower_pri: keepalived has neither there', () => {
    const { config, diagnostics } = build(
      'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n' +
        'vrrp_sync_group G1 {\n  group {\n    VI_1\n  }\n  notify_deleted /bin/true\n}\n',
    );
    expect(config.vrrpSyncGroups[0]!.notify.deleted).toBeNull();
    expect(diagnostics.map((d) => `${d.loc?.line} ${d.message}`)).toContain(
      "12 Unknown keyword 'notify_deleted'",
    );
  });
});
