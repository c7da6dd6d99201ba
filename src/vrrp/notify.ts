/**
 * SHELL: the Notifier port over the ScriptRunner port: an instance's or a sync group's
 * notify_<state> script, then the generic `notify` script with `INSTANCE|GROUP name STATE
 * priority` (keepalived's order). Both run as fire-and-forget children, so they may overlap.
 */
import type { ScriptSpec } from '../config/model.js';
import type { ScriptOutcome } from '../contracts/script.js';
import type { Logger } from '../util/log.js';
import type { Notifier, ScriptRunner } from './ports.js';

/** keepalived gives notify_stop 1 s (system_call_script with TIMER_HZ); others get longer. */
export const NOTIFY_STOP_TIMEOUT_MS = 1000;
export const NOTIFY_TIMEOUT_MS = 30_000;

export class ScriptNotifier implements Notifier {
  constructor(
    private readonly runner: ScriptRunner,
    private readonly logger: Logger,
  ) {}

  async notify(
    kind: 'INSTANCE' | 'GROUP',
    name: string,
    state: string,
    priority: number,
    scripts: { readonly specific: ScriptSpec | null; readonly generic: ScriptSpec | null },
  ): Promise<void> {
    const timeout = state === 'STOP' ? NOTIFY_STOP_TIMEOUT_MS : NOTIFY_TIMEOUT_MS;
    const runs: Promise<void>[] = [];
    const report = (spec: ScriptSpec, r: ScriptOutcome): void => {
      // One key per script: a script that fails on every transition is summarised.
      const fields = { instance: name, state, limit: `notify ${spec.command}` };
      if (r.kind === 'spawn-error')
        this.logger.error(`Failed to exec notify script ${spec.command}: ${r.message}`, fields);
      else if (r.kind === 'timeout') this.logger.info(`Notify script ${spec.command} timed out`, fields);
    };
    if (scripts.specific !== null) {
      const spec = scripts.specific;
      runs.push(this.runner.run(spec, [], timeout).then((r) => report(spec, r)));
    }
    if (scripts.generic !== null) {
      const spec = scripts.generic;
      runs.push(
        this.runner.run(spec, [kind, name, state, String(priority)], timeout).then((r) => report(spec, r)),
      );
    }
    await Promise.all(runs);
  }
}
