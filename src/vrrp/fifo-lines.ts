/**
 * PURE: the lines keepalived writes to `notify_fifo` and `vrrp_notify_fifo` (vrrp/vrrp_notify.c
 * `notify_fifo`): `INSTANCE "VI_1" MASTER 150` and `GROUP "G1" BACKUP 0`, each ended by a newline
 * and written with one write. A group's priority is always 0; a state keepalived has no word for
 * prints `{UNKNOWN}`.
 */

/** The words keepalived writes for a state or an event (vrrp_notify.c `notify_fifo`). */
export const FIFO_STATE_WORDS = [
  'MASTER',
  'BACKUP',
  'FAULT',
  'STOP',
  'DELETED',
  'MASTER_RX_LOWER_PRI',
  'MASTER_PRIORITY',
  'BACKUP_PRIORITY',
] as const;

export type FifoStateWord = (typeof FIFO_STATE_WORDS)[number];

function word(state: string): string {
  return (FIFO_STATE_WORDS as readonly string[]).includes(state) ? state : '{UNKNOWN}';
}

/** `INSTANCE "name" STATE priority\n` or `GROUP "name" STATE 0\n`. */
export function vrrpFifoLine(
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  state: string,
  priority: number,
): string {
  return `${kind} "${name}" ${word(state)} ${kind === 'GROUP' ? 0 : priority}\n`;
}

/**
 * `vrrp_notify_priority_changes` (vrrp_notify.c `send_instance_priority_notifies`): a MASTER's
 * new effective priority is `MASTER_PRIORITY`, any other state's `BACKUP_PRIORITY`.
 */
export function priorityFifoLine(name: string, state: string, priority: number): string {
  return vrrpFifoLine('INSTANCE', name, state === 'MASTER' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY', priority);
}

/** What `reloadStateLines` reads of the engine's dump snapshot (vrrp/dumps.ts). */
export interface FifoStates {
  readonly instances: readonly {
    readonly config: { readonly name: string };
    readonly state: string;
    readonly effectivePriority: number;
  }[];
  readonly syncGroups: readonly { readonly config: { readonly name: string }; readonly state: string }[];
}

/**
 * `fifo_write_vrrp_states_on_reload` (vrrp_scheduler.c `vrrp_init_state`): the sync groups, then
 * the instances, whose state a reload kept (a change writes its own line). An instance kept as
 * MASTER writes nothing: keepalived's reload_master path sends no notify and no FIFO line.
 */
export function reloadStateLines(before: FifoStates, after: FifoStates): string[] {
  const lines: string[] = [];
  const groupsBefore = new Map(before.syncGroups.map((g) => [g.config.name, g.state]));
  for (const g of after.syncGroups) {
    if (g.state === 'INIT' || groupsBefore.get(g.config.name) !== g.state) continue;
    lines.push(vrrpFifoLine('GROUP', g.config.name, g.state, 0));
  }
  const instancesBefore = new Map(before.instances.map((i) => [i.config.name, i.state]));
  for (const i of after.instances) {
    if (i.state === 'INIT' || i.state === 'MASTER' || instancesBefore.get(i.config.name) !== i.state)
      continue;
    lines.push(vrrpFifoLine('INSTANCE', i.config.name, i.state, i.effectivePriority));
  }
  return lines;
}
