// vrrp_sync_group rules (docs/behaviour.md §3.10, vrrp_sync.c).
import { describe, expect, it } from 'vitest';
import {
  canGoToMaster,
  onMemberTransition,
  type SyncGroupView,
  type SyncMember,
} from '../../../src/vrrp/sync-group.js';

const member = (name: string, state: SyncMember['state'], wantState = state, faulty = false): SyncMember => ({
  name,
  state,
  wantState,
  faulty,
});

const group = (state: SyncGroupView['state'], members: SyncMember[]): SyncGroupView => ({
  name: 'G1',
  state,
  members,
});

describe('sync group', () => {
  it('one member leaving MASTER pulls every member to BACKUP', () => {
    const g = group('MASTER', [member('VI_1', 'BACKUP'), member('VI_2', 'MASTER'), member('VI_3', 'MASTER')]);
    const d = onMemberTransition(g, 'VI_1', 'BACKUP');
    expect(d.log).toBe('VRRP_Group(G1) Syncing instances to BACKUP state');
    expect(d.groupState).toBe('BACKUP');
    expect(d.commands).toEqual([
      { member: 'VI_2', to: 'BACKUP' },
      { member: 'VI_3', to: 'BACKUP' },
    ]);
  });

  it('MASTER only when all can: a member waits while another does not want MASTER', () => {
    const g = group('BACKUP', [member('VI_1', 'BACKUP', 'MASTER'), member('VI_2', 'BACKUP', 'BACKUP')]);
    expect(canGoToMaster(g, 'VI_1')).toBe(false);
    const ready = group('BACKUP', [member('VI_1', 'BACKUP', 'MASTER'), member('VI_2', 'BACKUP', 'MASTER')]);
    expect(canGoToMaster(ready, 'VI_1')).toBe(true);
  });

  it('a member becoming MASTER pulls the others to MASTER', () => {
    const g = group('BACKUP', [member('VI_1', 'MASTER'), member('VI_2', 'BACKUP', 'MASTER')]);
    const d = onMemberTransition(g, 'VI_1', 'MASTER');
    expect(d).toEqual({
      groupState: 'MASTER',
      commands: [{ member: 'VI_2', to: 'MASTER' }],
      log: 'VRRP_Group(G1) Syncing instances to MASTER state',
    });
  });

  it('FAULT spreads to every member', () => {
    const g = group('MASTER', [
      member('VI_1', 'FAULT', 'FAULT', true),
      member('VI_2', 'MASTER'),
      member('VI_3', 'BACKUP'),
    ]);
    const d = onMemberTransition(g, 'VI_1', 'FAULT');
    expect(d.log).toBe('VRRP_Group(G1) Syncing instances to FAULT state');
    expect(d.commands).toEqual([
      { member: 'VI_2', to: 'FAULT' },
      { member: 'VI_3', to: 'FAULT' },
    ]);
  });

  it('a member recovering while another is still faulty stays in FAULT with the group', () => {
    const g = group('FAULT', [member('VI_1', 'BACKUP'), member('VI_2', 'FAULT', 'FAULT', true)]);
    expect(onMemberTransition(g, 'VI_1', 'BACKUP')).toEqual({
      groupState: 'FAULT',
      commands: [{ member: 'VI_1', to: 'FAULT' }],
      log: null,
    });
  });

  it('the last member recovering brings the group to BACKUP', () => {
    const g = group('FAULT', [member('VI_1', 'BACKUP'), member('VI_2', 'FAULT')]);
    const d = onMemberTransition(g, 'VI_1', 'BACKUP');
    expect(d.groupState).toBe('BACKUP');
    expect(d.commands).toEqual([{ member: 'VI_2', to: 'BACKUP' }]);
  });

  it('a transition the group already has is a no-op (no loops)', () => {
    const g = group('BACKUP', [member('VI_1', 'BACKUP'), member('VI_2', 'BACKUP')]);
    expect(onMemberTransition(g, 'VI_2', 'BACKUP')).toEqual({
      groupState: 'BACKUP',
      commands: [],
      log: null,
    });
  });
});
