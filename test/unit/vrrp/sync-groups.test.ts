// The running sync groups: state kept across updates, group notifies, commands to members.
import { describe, expect, it } from 'vitest';
import type { ScriptSpec } from '../../../src/config/model.js';
import { MemoryLogger } from '../../../src/util/log.js';
import type { StateChange } from '../../../src/vrrp/instance.js';
import type { SyncMember } from '../../../src/vrrp/sync-group.js';
import { SyncGroups } from '../../../src/vrrp/sync-groups.js';
import { noNotify, vrrpSyncGroup } from '../../support/vrrp-config.js';

const script = (command: string): ScriptSpec => ({ command, argv: [command], user: null, group: null });

function setup(members: Record<string, Partial<SyncMember>>) {
  const logger = new MemoryLogger();
  const notifies: string[] = [];
  const commands: string[] = [];
  const groups = new SyncGroups({
    logger,
    notifier: {
      notify: async (kind, name, state, priority, scripts) =>
        void notifies.push(
          `${kind} ${name} ${state} ${priority} ${scripts.specific?.command ?? '-'} ${scripts.generic?.command ?? '-'}`,
        ),
    },
    member: (name) =>
      name in members
        ? { name, state: 'BACKUP', wantState: 'BACKUP', faulty: false, ...members[name] }
        : undefined,
    command: (group, cmd) => void commands.push(`${group}: ${cmd.member} -> ${cmd.to}`),
  });
  return { logger, notifies, commands, groups };
}

const change = (instance: string, from: StateChange['from'], to: StateChange['to']): StateChange => ({
  instance,
  from,
  to,
  reason: 'test',
  priority: 100,
});

describe('SyncGroups', () => {
  it('a member becoming MASTER moves the group and the other members, with the group notify', () => {
    const t = setup({ A: { wantState: 'MASTER' }, B: { wantState: 'MASTER' } });
    t.groups.update([
      vrrpSyncGroup('G', ['A', 'B', 'absent'], {
        notify: { ...noNotify, master: script('/bin/gm'), generic: script('/bin/g') },
      }),
    ]);
    const g = t.groups.get('G')!;
    expect(g.state).toBe('INIT');
    expect(t.groups.canGoToMaster(g, 'A')).toBe(true);
    t.groups.onMemberStateChange(g, change('A', 'BACKUP', 'MASTER'));
    expect(g.state).toBe('MASTER');
    expect(t.logger.messages()).toEqual(['VRRP_Group(G) Syncing instances to MASTER state']);
    expect(t.commands).toEqual(['G: B -> MASTER']);
    expect(t.notifies).toEqual(['GROUP G MASTER 0 /bin/gm /bin/g']);
  });

  it("commands the other members before the group's notify (their lines come first, as vrrp_sync.c)", () => {
    const t = setup({ A: { wantState: 'MASTER' }, B: { wantState: 'MASTER' } });
    t.groups.update([vrrpSyncGroup('G', ['A', 'B'])]);
    const order: string[] = [];
    const g = t.groups.get('G')!;
    const commanded = t.commands.push.bind(t.commands);
    t.commands.push = (...items: string[]) => (order.push(...items), commanded(...items));
    const notified = t.notifies.push.bind(t.notifies);
    t.notifies.push = (...items: string[]) => (order.push(...items), notified(...items));
    t.groups.onMemberStateChange(g, change('A', 'BACKUP', 'MASTER'));
    expect(order).toEqual(['G: B -> MASTER', 'GROUP G MASTER 0 - -']);
  });

  it('a member may not become MASTER while another wants BACKUP', () => {
    const t = setup({ A: { wantState: 'MASTER' }, B: {} });
    t.groups.update([vrrpSyncGroup('G', ['A', 'B'])]);
    expect(t.groups.canGoToMaster(t.groups.get('G')!, 'A')).toBe(false);
  });

  it('keeps the state of a group of the same name across an update, and drops others', () => {
    const t = setup({ A: {}, B: {} });
    t.groups.update([vrrpSyncGroup('G', ['A', 'B']), vrrpSyncGroup('H', ['A'])]);
    const g = t.groups.get('G')!;
    t.groups.onMemberStateChange(g, change('A', 'INIT', 'FAULT'));
    expect(g.state).toBe('FAULT');
    const renamed = vrrpSyncGroup('G', ['A']);
    t.groups.update([renamed]);
    expect(t.groups.get('G')).toBe(g);
    expect(g.config).toBe(renamed);
    expect(g.state).toBe('FAULT');
    expect(t.groups.get('H')).toBeNull();
    expect(t.groups.get(null)).toBeNull();
    // No notify script configured: the notifier is still told (it writes the notify FIFOs).
    expect(t.notifies).toEqual(['GROUP G FAULT 0 - -']);
  });

  it('notifyStop tells the notifier of every group, with the STOP scripts of those that have some', async () => {
    const t = setup({});
    t.groups.update([
      vrrpSyncGroup('G', [], { notify: { ...noNotify, stop: script('/bin/stop') } }),
      vrrpSyncGroup('H', []),
      vrrpSyncGroup('I', [], { notify: { ...noNotify, generic: script('/bin/g') } }),
    ]);
    await t.groups.notifyStop();
    expect(t.notifies).toEqual([
      'GROUP G STOP 0 /bin/stop -',
      'GROUP H STOP 0 - -',
      'GROUP I STOP 0 - /bin/g',
    ]);
  });
});
