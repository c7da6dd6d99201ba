/**
 * PURE vrrp_sync_group rules (keepalived vrrp_sync.c, docs/behaviour.md §3.10):
 * members move together.
 *
 * API
 * - `canGoToMaster(group, member)`: a member whose master-down timer expired may become MASTER
 *   only when the group is already MASTER or every other member wants MASTER (prefer BACKUP to
 *   avoid thrashing). The shell passes the answer in the reducer's `timer` event
 *   (`syncAllowsMaster`); when false the reducer records wantState MASTER and waits.
 * - `onMemberTransition(group, member, to) -> { groupState, commands, log }`: after a member's
 *   `state-changed` action, the commands (`{ member, to }`) to feed to the other members'
 *   reducers as `sync` events, the new group state, and the group log line
 *   (`VRRP_Group(G) Syncing instances to BACKUP state`).
 *
 * Transition table (member -> group), `-` = nothing to do:
 *
 *   member to \ group |  MASTER          BACKUP           FAULT
 *   ------------------+-----------------------------------------------------------
 *   MASTER            |  -               sync MASTER*     sync MASTER* (no member faulty)
 *   BACKUP            |  sync BACKUP     -                sync BACKUP (no member faulty)
 *   FAULT             |  sync FAULT      sync FAULT       -
 *   (* only when canGoToMaster; otherwise the member waits)
 */
import type { VrrpState } from './state-machine.js';

export type GroupState = 'INIT' | 'MASTER' | 'BACKUP' | 'FAULT';

export interface SyncMember {
  readonly name: string;
  readonly state: VrrpState;
  readonly wantState: VrrpState;
  /** The member's own trackers / interface hold it in FAULT. */
  readonly faulty: boolean;
}

export interface SyncGroupView {
  readonly name: string;
  readonly state: GroupState;
  readonly members: readonly SyncMember[];
}

export interface SyncCommand {
  readonly member: string;
  readonly to: 'MASTER' | 'BACKUP' | 'FAULT';
}

export interface SyncDecision {
  readonly groupState: GroupState;
  readonly commands: readonly SyncCommand[];
  readonly log: string | null;
}

export function canGoToMaster(group: SyncGroupView, member: string): boolean {
  if (group.state === 'MASTER') return true;
  return group.members.every((m) => m.name === member || m.wantState === 'MASTER');
}

function syncTo(group: SyncGroupView, member: string, to: 'MASTER' | 'BACKUP' | 'FAULT'): SyncDecision {
  const commands = group.members
    .filter((m) => m.name !== member && m.state !== to)
    .map((m) => ({ member: m.name, to }));
  return { groupState: to, commands, log: `VRRP_Group(${group.name}) Syncing instances to ${to} state` };
}

const nothing = (group: SyncGroupView): SyncDecision => ({
  groupState: group.state,
  commands: [],
  log: null,
});

export function onMemberTransition(group: SyncGroupView, member: string, to: VrrpState): SyncDecision {
  const othersFaulty = group.members.some((m) => m.name !== member && m.faulty);
  switch (to) {
    case 'FAULT':
      return group.state === 'FAULT' ? nothing(group) : syncTo(group, member, 'FAULT');
    case 'BACKUP':
      if (group.state === 'BACKUP') return nothing(group);
      // A member leaving FAULT while another is still faulty goes back to FAULT with the group.
      if (group.state === 'FAULT' && othersFaulty) {
        return { groupState: 'FAULT', commands: [{ member, to: 'FAULT' }], log: null };
      }
      return syncTo(group, member, 'BACKUP');
    case 'MASTER':
      if (group.state === 'MASTER') return nothing(group);
      if (othersFaulty) return { groupState: group.state, commands: [{ member, to: 'BACKUP' }], log: null };
      if (!canGoToMaster(group, member)) return nothing(group);
      return syncTo(group, member, 'MASTER');
    case 'INIT':
    case 'STOP':
      return nothing(group);
  }
}
