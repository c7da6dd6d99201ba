/**
 * The top level of keepalived.conf: the blocks each subsystem reads (core/global_parser.c,
 * vrrp/vrrp_parser.c, check/check_parser.c, trackers/track_file.c). Named blocks are kept as
 * statements here; schema.ts reads their bodies through the block tables.
 */
import type { Statement } from '../tree.js';
import type { BlockTable, KeywordSpec } from './types.js';
import { ignored } from './types.js';

const keep = (keyword: string, extra: Partial<KeywordSpec> = {}): KeywordSpec => ({
  keyword,
  value: { kind: 'custom', parse: (s: Statement) => s, acceptsBlock: true },
  repeatable: true,
  ...extra,
});

export const rootTable: BlockTable = {
  name: 'root',
  keywords: [
    keep('global_defs'),
    keep('vrrp_script'),
    keep('track_file', {
      deprecated: ['vrrp_track_file'],
      deprecationMessage: "vrrp_track_file is deprecated - please use 'track_file'",
    }),
    keep('vrrp_instance'),
    keep('vrrp_sync_group'),
    keep('virtual_server_group'),
    keep('virtual_server'),
    // keepalived accepts these global keywords outside global_defs too.
    keep('child_wait_time'),
    ...ignored(
      [
        'vrrp_track_process',
        'track_process',
        'linkbeat_interfaces',
        'track_group',
        'static_ipaddress',
        'static_routes',
        'static_rules',
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
