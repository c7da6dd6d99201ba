/**
 * The keywords of keepalived-ts's own keyword tables (src/config/keywords) that the keyword
 * configs of corpus.ts can write a value for, with the block they go in.
 */
import { checkerTable } from '../../src/config/keywords/checkers.js';
import { globalDefsTable } from '../../src/config/keywords/global-defs.js';
import { vrrpScriptTable } from '../../src/config/keywords/trackers.js';
import type { BlockTable, KeywordSpec } from '../../src/config/keywords/types.js';
import { realServerTable, virtualServerTable } from '../../src/config/keywords/virtual-server.js';
import { vrrpInstanceTable } from '../../src/config/keywords/vrrp-instance.js';
import type { TableKeyword } from './corpus.js';

/** Keywords the host config already holds or whose line would change what the test is about. */
const SKIP = new Set([
  'interface',
  'virtual_router_id',
  'state',
  'priority',
  'protocol',
  'lb_algo',
  'lvs_sched',
  'lb_kind',
  'lvs_method',
  'weight',
  'script',
  'router_id',
  'connect_timeout',
]);

function fromSpecs(block: string, specs: readonly KeywordSpec[]): TableKeyword[] {
  return specs.flatMap((s): TableKeyword[] => {
    if (SKIP.has(s.keyword) || s.unsupported !== undefined) return [];
    const v = s.value;
    if (v.kind === 'int' || v.kind === 'timer')
      return [{ block, keyword: s.keyword, value: { kind: v.kind, min: v.min, max: v.max } }];
    if (v.kind === 'enum') return [{ block, keyword: s.keyword, value: { kind: 'enum', values: v.values } }];
    if (v.kind === 'flag') return [{ block, keyword: s.keyword, value: { kind: 'flag' } }];
    return [];
  });
}

const table = (block: string, t: BlockTable) => fromSpecs(block, t.keywords);

export function tableKeywords(): TableKeyword[] {
  return [
    ...table('global_defs', globalDefsTable),
    ...table('vrrp_script', vrrpScriptTable),
    ...table('vrrp_instance', vrrpInstanceTable),
    ...table('virtual_server', virtualServerTable),
    ...table('real_server', realServerTable),
    ...table('TCP_CHECK', checkerTable('TCP_CHECK')),
  ];
}
