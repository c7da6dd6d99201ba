// An instance a reload removes (keepalived 2.2.7 vrrp.c clear_diff_vrrp, vrrp_notify.c
// send_instance_notifies): DELETED with notify_deleted, else FAULT (nothing when in FAULT already),
// never STOP; a MASTER sends priority 0 and removes its VIPs first.
import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/vrrp/state-machine.js';
import { build, summary } from '../config/schema-helpers.js';
import { logs, ReducerHarness } from './harness.js';
import { instanceParams } from './support.js';

const notifies = (actions: readonly Action[]) => actions.filter((a) => a.kind === 'run-notify');
const changes = (actions: readonly Action[]) => actions.filter((a) => a.kind === 'state-changed');
const master = (): ReducerHarness => {
  const h = new ReducerHarness(instanceParams({ basePriority: 255, initialState: 'MASTER' }));
  h.dispatch({ kind: 'startup' });
  return h;
};

describe('an instance removed by a reload', () => {
  it('a MASTER with notify_deleted: priority 0, VIPs removed, DELETED, no state line, no STOP', () => {
    const h = master();
    const actions = h.dispatch({ kind: 'delete', notifyDeleted: true });
    expect(actions.filter((a) => a.kind === 'send-advert')).toEqual([{ kind: 'send-advert', priority: 0 }]);
    const kinds = actions.map((a) => a.kind);
    expect(kinds.indexOf('remove-vips')).toBeLessThan(kinds.indexOf('run-notify'));
    expect(notifies(actions)).toEqual([
      { kind: 'run-notify', state: 'DELETED', priority: 255, deleted: true },
    ]);
    expect(changes(actions)).toEqual([]);
    expect(logs(actions)).toEqual(['(VI_1) sent 0 priority']);
    expect(h.state.state).toBe('STOP');
    expect(h.timers.size).toBe(0);
    // A later stop changes nothing.
    expect(h.dispatch({ kind: 'stop' })).toEqual([]);
  });

  it('a BACKUP without notify_deleted: FAULT (its FIFO line through the state change), no advert', () => {
    const h = new ReducerHarness(instanceParams());
    h.dispatch({ kind: 'startup' });
    const actions = h.dispatch({ kind: 'delete', notifyDeleted: false });
    expect(actions.some((a) => a.kind === 'send-advert' || a.kind === 'remove-vips')).toBe(false);
    expect(notifies(actions)).toEqual([{ kind: 'run-notify', state: 'FAULT', priority: 100, deleted: true }]);
    expect(changes(actions)).toEqual([
      { kind: 'state-changed', from: 'BACKUP', to: 'FAULT', reason: 'deleted' },
    ]);
    expect(logs(actions)).toEqual([]);
    expect(h.state.state).toBe('STOP');
  });

  it('an instance already in FAULT: nothing without notify_deleted, DELETED with it', () => {
    for (const notifyDeleted of [false, true]) {
      const h = new ReducerHarness(instanceParams());
      h.dispatch({ kind: 'tracking', effectivePriority: 100, fault: 'interface eth0 down' });
      h.dispatch({ kind: 'startup' });
      expect(h.state.state).toBe('FAULT');
      const actions = h.dispatch({ kind: 'delete', notifyDeleted });
      expect(notifies(actions)).toEqual(
        notifyDeleted ? [{ kind: 'run-notify', state: 'DELETED', priority: 100, deleted: true }] : [],
      );
      expect(changes(actions)).toEqual([]);
    }
  });
});

describe('notify_deleted', () => {
  const config = (line: string) =>
    build(
      `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n ${line}\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`,
    );
  it('alone sets DELETED with no script, as keepalived accepts it', () => {
    const { config: c, diagnostics } = config('notify_deleted');
    expect(summary(diagnostics)).toEqual([]);
    expect(c?.vrrpInstances[0]?.notifyDeleted).toBe(true);
    expect(c?.vrrpInstances[0]?.notify.deleted).toBeNull();
  });
  it('with a script sets both', () => {
    const { config: c } = config('notify_deleted "/bin/true x"');
    expect(c?.vrrpInstances[0]?.notifyDeleted).toBe(true);
    expect(c?.vrrpInstances[0]?.notify.deleted?.argv).toEqual(['/bin/true', 'x']);
  });
  it('absent: FAULT', () => {
    const { config: c } = config('');
    expect(c?.vrrpInstances[0]?.notifyDeleted).toBe(false);
  });
});
