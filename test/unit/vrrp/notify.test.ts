// Notify scripts: notify_<state>, then the generic notify with keepalived's four arguments.
import { describe, expect, it } from 'vitest';
import type { ScriptSpec } from '../../../src/config/model.js';
import type { ScriptOutcome } from '../../../src/contracts/script.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { NOTIFY_STOP_TIMEOUT_MS, NOTIFY_TIMEOUT_MS, ScriptNotifier } from '../../../src/vrrp/notify.js';

const spec = (command: string): ScriptSpec => ({ command, argv: [command], user: null, group: null });

function setup(results: Record<string, ScriptOutcome> = {}) {
  const runs: string[] = [];
  const logger = new MemoryLogger();
  const notifier = new ScriptNotifier(
    {
      run: async (s, extra, timeoutMs) => {
        runs.push([s.command, ...extra, timeoutMs].join(' '));
        return results[s.command] ?? { kind: 'exited', code: 0 };
      },
    },
    logger,
  );
  return { runs, logger, notifier };
}

describe('ScriptNotifier', () => {
  it('runs the specific script, then the generic one with KIND name STATE priority', async () => {
    const t = setup();
    await t.notifier.notify('INSTANCE', 'VI_1', 'MASTER', 150, {
      specific: spec('/bin/master'),
      generic: spec('/bin/notify'),
    });
    expect(t.runs).toEqual([
      `/bin/master ${NOTIFY_TIMEOUT_MS}`,
      `/bin/notify INSTANCE VI_1 MASTER 150 ${NOTIFY_TIMEOUT_MS}`,
    ]);
  });

  it('gives STOP scripts 1 s, and runs only the scripts configured', async () => {
    const t = setup();
    await t.notifier.notify('GROUP', 'G', 'STOP', 0, { specific: null, generic: spec('/bin/notify') });
    await t.notifier.notify('GROUP', 'G', 'BACKUP', 0, { specific: null, generic: null });
    expect(t.runs).toEqual([`/bin/notify GROUP G STOP 0 ${NOTIFY_STOP_TIMEOUT_MS}`]);
  });

  it('logs a script that cannot start or times out', async () => {
    const t = setup({
      '/bin/missing': { kind: 'spawn-error', message: 'ENOENT' },
      '/bin/slow': { kind: 'timeout' },
      '/bin/fails': { kind: 'exited', code: 1 },
    });
    await t.notifier.notify('INSTANCE', 'VI_1', 'FAULT', 100, {
      specific: spec('/bin/missing'),
      generic: spec('/bin/slow'),
    });
    await t.notifier.notify('INSTANCE', 'VI_1', 'FAULT', 100, {
      specific: spec('/bin/fails'),
      generic: null,
    });
    expect(t.logger.messages()).toEqual([
      'Failed to exec notify script /bin/missing: ENOENT',
      'Notify script /bin/slow timed out',
    ]);
  });
});
