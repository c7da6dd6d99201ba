/**
 * The top level of keepalived.conf: the blocks each subsystem reads (core/global_parser.c,
 * vrrp/vrrp_parser.c, check/check_parser.c, trackers/track_file.c). Named blocks are kept as
 * statements here; schema.ts reads their bodies through the block tables.
 */
import type { Statement } from '../tree.js';
import type { BlockTable, Repeated, SpecOptions } from './types.js';
import { ignored, lines } from './types.js';
import { ruleLine } from './ip-rule.js';
import { routeLine, vipLine } from './vrrp-instance.js';

/** A block kept as its statement, every one of them in file order (RawReader.items). */
const keep = (keyword: string, extra: SpecOptions<Statement> = {}): Repeated<Statement> => ({
  keyword,
  value: { kind: 'custom', parse: (s: Statement) => s, acceptsBlock: true },
  ...extra,
  repeatable: true,
});

/** The top-level keywords, read by schema.ts and static-entries.ts through these specs. */
export const rootKeywords = {
  global_defs: keep('global_defs', {
    doc: { text: 'Daemon-wide settings (section below); several blocks are merged.', value: '`{ }` block' },
  }),
  vrrp_script: keep('vrrp_script', {
    doc: { text: 'A tracking script (section below).', value: 'NAME `{ }`' },
  }),
  track_file: keep('track_file', {
    deprecated: ['vrrp_track_file'],
    deprecationMessage: "vrrp_track_file is deprecated - please use 'track_file'",
    doc: { text: 'A tracked file (section below).', value: 'NAME `{ }`' },
  }),
  vrrp_track_process: keep('vrrp_track_process', {
    doc: { text: 'A tracked process name (section below).', value: 'NAME `{ }`' },
  }),
  vrrp_instance: keep('vrrp_instance', {
    doc: { text: 'A VRRP instance (section below).', value: 'NAME `{ }`' },
  }),
  vrrp_sync_group: keep('vrrp_sync_group', {
    doc: { text: 'Instances that change state together (section below).', value: 'NAME `{ }`' },
  }),
  virtual_server_group: keep('virtual_server_group', {
    doc: {
      text: 'Addresses that share one virtual_server definition (`virtual_server group NAME`). One entry a line: `IP [PORT]`, a range `a.b.c.d-e [PORT]` (IPv6: the last group, hex), `a.b.c.d/nn [PORT]`, or `fwmark N [inet|inet6]`. A group with no valid entry is removed.',
      value: 'NAME `{ }`, one entry a line',
    },
  }),
  virtual_server: keep('virtual_server', {
    doc: {
      text: 'An IPVS virtual service (section below).',
      value: '`IP PORT`, `fwmark N` or `group NAME`, then `{ }`',
    },
  }),
  // keepalived accepts these global keywords outside global_defs too.
  child_wait_time: keep('child_wait_time', {
    doc: { text: 'As in global_defs; keepalived accepts it at the top level too.', value: 'seconds' },
  }),
  // vrrp_parser.c: each makes the VRRP process run (have_vrrp_config), instances or not.
  static_ipaddress: lines('static_ipaddress', vipLine, {
    doc: {
      text: 'Addresses added at start whatever the VRRP state and removed at stop, one a line as in `virtual_ipaddress`; without `dev` they go to `default_interface` (docs/behaviour.md §3.11).',
    },
  }),
  static_routes: lines('static_routes', routeLine, {
    doc: {
      text: 'Routes added at start and removed at stop, one a line as in `virtual_routes` (docs/behaviour.md §3.11).',
    },
  }),
  static_rules: lines('static_rules', (line, sink) => ruleLine(line, sink, true), {
    doc: {
      text: 'Policy routing rules added at start and removed at stop, one a line as in `virtual_rules` (docs/behaviour.md §3.11). `track_group NAME` is read and not acted on.',
    },
  }),
};

export const rootTable: BlockTable = {
  name: 'root',
  doc: {
    title: 'Top level',
    source:
      '`keepalived/core/global_parser.c`, `vrrp/vrrp_parser.c`, `check/check_parser.c`, `trackers/track_file.c`',
    text:
      'The blocks keepalived.conf is made of. Every block may appear more than once; two named blocks ' +
      'with one name keep the first. `include` lines are read before any block (docs/behaviour.md §1.0).',
  },
  keywords: [
    ...Object.values(rootKeywords),
    ...ignored(
      [
        'track_process',
        'linkbeat_interfaces',
        'track_group',
        'garp_group',
        'interface_up_down_delays',
        'bfd_instance',
        'SSL',
        'net_namespace',
        'net_namespace_ipvs',
        'namespace_with_ipsets',
        'instance',
      ],
      'warning',
    ),
    ...ignored(['linkbeat_use_polling', 'use_pid_dir']),
  ],
};
