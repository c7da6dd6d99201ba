/**
 * SHELL: the running vrrp_sync_groups. Keeps each group's state, asks the rules of sync-group.ts
 * whether a member may become MASTER and what a member's transition means for the others, runs
 * the group notify scripts, and hands the resulting commands to the members through the engine.
 */
import type { VrrpSyncGroup } from '../config/model.js';
import type { Logger } from '../util/log.js';
import { notifyScriptFor, type StateChange } from './instance.js';
import type { Notifier } from './ports.js';
import {
  canGoToMaster,
  onMemberTransition,
  type GroupState,
  type SyncCommand,
  type SyncGroupView,
  type SyncMember,
} from './sync-group.js';

/** One group: its config and its state. Members hold a reference (a reload keeps it by name). */
export interface SyncGroupEntry {
  config: VrrpSyncGroup;
  state: GroupState;
}

export interface SyncGroupsDeps {
  readonly logger: Logger;
  readonly notifier: Notifier;
  /** The running member called `name`, or undefined (not configured, or not running). */
  readonly member: (name: string) => SyncMember | undefined;
  /** Feeds a group command to a member. */
  readonly command: (group: string, command: SyncCommand) => void;
}

export class SyncGroups {
  private groups = new Map<string, SyncGroupEntry>();

  constructor(private readonly deps: SyncGroupsDeps) {}

  /** The groups of a (new) config; a group of the same name keeps its entry and state. */
  update(groups: readonly VrrpSyncGroup[]): void {
    const old = this.groups;
    this.groups = new Map();
    for (const g of groups) {
      const kept = old.get(g.name);
      if (kept !== undefined) {
        kept.config = g;
        this.groups.set(g.name, kept);
      } else this.groups.set(g.name, { config: g, state: 'INIT' });
    }
  }

  get(name: string | null): SyncGroupEntry | null {
    return name !== null ? (this.groups.get(name) ?? null) : null;
  }

  /** The gate of a member's master-down timer (sync-group.ts canGoToMaster). */
  canGoToMaster(group: SyncGroupEntry, member: string): boolean {
    return canGoToMaster(this.view(group), member);
  }

  /**
   * A member changed state: moves the group, commands the other members, then runs the group's
   * notify (vrrp_sync.c: the members are synced first, so their notifies come before the group's).
   */
  onMemberStateChange(group: SyncGroupEntry, change: StateChange): void {
    const decision = onMemberTransition(this.view(group), change.instance, change.to);
    if (decision.log !== null) this.deps.logger.info(decision.log);
    const before = group.state;
    const state = decision.groupState;
    group.state = state;
    for (const cmd of decision.commands) this.deps.command(group.config.name, cmd);
    if (before !== state && state !== 'INIT') {
      // Called with no script too: the notifier also writes the notify FIFOs (vrrp_notify.c).
      void this.deps.notifier.notify('GROUP', group.config.name, state, 0, {
        specific: notifyScriptFor(group.config.notify, state),
        generic: group.config.notify.generic,
      });
    }
  }

  /** notify_stop of every group, at shutdown; resolves when the scripts have ended. */
  async notifyStop(): Promise<void> {
    await Promise.all(
      [...this.groups.values()].map((g) => {
        return this.deps.notifier.notify('GROUP', g.config.name, 'STOP', 0, {
          specific: notifyScriptFor(g.config.notify, 'STOP'),
          generic: g.config.notify.generic,
        });
      }),
    );
  }

  private view(group: SyncGroupEntry): SyncGroupView {
    const members = group.config.group
      .map((n) => this.deps.member(n))
      .filter((m): m is SyncMember => m !== undefined);
    return { name: group.config.name, state: group.state, members };
  }
}
