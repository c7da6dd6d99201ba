// notify_priority_changes (keepalived vrrp_track.c vrrp_update_priority, vrrp_notify.c
// send_instance_priority_notifies): the setting's resolution and the reducer's notify action.
import { describe, expect, it } from 'vitest';
import { paramsFromConfig } from '../../../src/vrrp/params.js';
import type { Action } from '../../../src/vrrp/state-machine.js';
import { globalDefs } from '../../support/config-model.js';
import { vrrpInstance } from '../../support/vrrp-config.js';
import { ReducerHarness } from './harness.js';
import { instanceParams } from './support.js';
import { build } from '../config/schema-helpers.js';

const MDI_100 = 3609.375;
const notifies = (actions: readonly Action[]): string[] =>
  actions.flatMap((a) => (a.kind === 'run-notify' ? [`${a.state} ${a.priority}`] : []));

describe('notify_priority_changes resolution', () => {
  const resolved = (own: boolean | null, group: boolean | null, global: boolean): boolean =>
    paramsFromConfig(
      vrrpInstance('VI_1', 1, { notifyPriorityChanges: own }),
      globalDefs({ vrrpNotifyPriorityChanges: global }),
      '10.0.0.1',
      { notifyPriorityChanges: group },
    ).notifyPriorityChanges;

  it("the instance's own setting, else its sync group's, else vrrp_notify_priority_changes", () => {
    expect(resolved(null, null, false)).toBe(false);
    expect(resolved(null, null, true)).toBe(true);
    expect(resolved(null, true, false)).toBe(true);
    expect(resolved(null, false, true)).toBe(false);
    expect(resolved(false, true, true)).toBe(false);
    expect(resolved(true, false, false)).toBe(true);
  });

  it('is read from the three keywords, with keepalived words for a bad value', () => {
    const text = [
      'global_defs {',
      '  vrrp_notify_priority_changes',
      '}',
      'vrrp_sync_group G1 {',
      '  group {',
      '    VI_1',
      '  }',
      '  notify_priority_changes off',
      '}',
      'vrrp_instance VI_1 {',
      '  interface eth0',
      '  virtual_router_id 1',
      '  priority 100',
      '  notify_priority_changes maybe',
      '  virtual_ipaddress {',
      '    10.0.0.10',
      '  }',
      '}',
      'vrrp_instance VI_2 {',
      '  interface eth0',
      '  virtual_router_id 2',
      '  priority 100',
      '  notify_priority_changes',
      '  virtual_ipaddress {',
      '    10.0.0.11',
      '  }',
      '}',
      '',
    ].join('\n');
    const { config, diagnostics } = build(text);
    expect(config.globalDefs.vrrpNotifyPriorityChanges).toBe(true);
    expect(config.vrrpSyncGroups[0]?.notifyPriorityChanges).toBe(false);
    expect(config.vrrpInstances.map((i) => i.notifyPriorityChanges)).toEqual([null, true]);
    expect(diagnostics.map((d) => d.message)).toContain(
      "(VI_1) Invalid value 'maybe' for notify_priority_changes specified",
    );
  });
});

describe('the reducer', () => {
  const master = (notifyPriorityChanges: boolean): ReducerHarness => {
    const h = new ReducerHarness(instanceParams({ notifyPriorityChanges }));
    h.dispatch({ kind: 'startup' });
    h.advance(MDI_100 + 1000);
    expect(h.state.state).toBe('MASTER');
    return h;
  };

  it('notifies MASTER_PRIORITY in MASTER and BACKUP_PRIORITY otherwise, with the new priority', () => {
    const h = master(true);
    expect(notifies(h.dispatch({ kind: 'tracking', effectivePriority: 90, fault: null }))).toEqual([
      'MASTER_PRIORITY 90',
    ]);
    const b = new ReducerHarness(instanceParams({ notifyPriorityChanges: true }));
    b.dispatch({ kind: 'startup' });
    expect(notifies(b.dispatch({ kind: 'tracking', effectivePriority: 120, fault: null }))).toEqual([
      'BACKUP_PRIORITY 120',
    ]);
  });

  it('notifies nothing when the priority does not change, or when the setting is off', () => {
    const h = master(true);
    expect(notifies(h.dispatch({ kind: 'tracking', effectivePriority: 100, fault: null }))).toEqual([]);
    const off = master(false);
    expect(notifies(off.dispatch({ kind: 'tracking', effectivePriority: 90, fault: null }))).toEqual([]);
  });
});
