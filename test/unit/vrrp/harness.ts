// A manual-clock stand-in for the instance shell: keeps the reducer's state, owns the named
// timers the actions arm, and fires them in deadline order as time advances.
import {
  initialState,
  reduce,
  type Action,
  type Event,
  type InstanceState,
  type TimerName,
} from '../../../src/vrrp/state-machine.js';
import type { InstanceParams } from '../../../src/vrrp/params.js';
import type { ReceivedPacket } from '../../../src/vrrp/packet.js';

type EventWithoutTime = Event extends infer E ? (E extends { now: number } ? Omit<E, 'now'> : never) : never;

export class ReducerHarness {
  state: InstanceState;
  now = 0;
  readonly timers = new Map<TimerName, number>();
  /** Every action emitted so far, in order. */
  readonly history: Action[] = [];
  /** Answer given for sync-group members when master-down fires. */
  syncAllowsMaster: boolean | undefined = undefined;

  constructor(readonly params: InstanceParams) {
    this.state = initialState(params);
  }

  dispatch(event: EventWithoutTime): Action[] {
    const step = reduce(this.params, this.state, { ...event, now: this.now } as Event);
    this.state = step.state;
    for (const a of step.actions) {
      if (a.kind === 'arm-timer') this.timers.set(a.timer, this.now + a.ms);
      if (a.kind === 'cancel-timer') this.timers.delete(a.timer);
    }
    this.history.push(...step.actions);
    return [...step.actions];
  }

  receive(packet: ReceivedPacket): Action[] {
    return this.dispatch({ kind: 'packet', packet });
  }

  /** Moves time by `ms`, firing due timers earliest first; returns the actions they produced. */
  advance(ms: number): Action[] {
    const target = this.now + ms;
    const out: Action[] = [];
    for (;;) {
      let next: TimerName | null = null;
      let at = Infinity;
      for (const [name, deadline] of this.timers) {
        if (deadline <= target && deadline < at) {
          next = name;
          at = deadline;
        }
      }
      if (next === null) break;
      this.timers.delete(next);
      this.now = at;
      const timerEvent: EventWithoutTime =
        this.syncAllowsMaster === undefined
          ? { kind: 'timer', timer: next }
          : { kind: 'timer', timer: next, syncAllowsMaster: this.syncAllowsMaster };
      out.push(...this.dispatch(timerEvent));
    }
    this.now = target;
    return out;
  }
}

export const logs = (actions: readonly Action[]): string[] =>
  actions.flatMap((a) => (a.kind === 'log' ? [a.message] : []));
export const counters = (actions: readonly Action[]): string[] =>
  actions.flatMap((a) => (a.kind === 'count' ? [a.counter] : []));
export const kinds = (actions: readonly Action[]): string[] =>
  actions.filter((a) => a.kind !== 'count' && a.kind !== 'cancel-timer').map((a) => a.kind);
