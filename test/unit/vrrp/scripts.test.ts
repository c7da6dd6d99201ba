// vrrp_script trackers: runs on the interval, rise/fall, keepalived's log lines, reload carry-over.
import { describe, expect, it } from 'vitest';
import type { ScriptOutcome } from '../../../src/contracts/script.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { sameScriptIdentity, VrrpScriptTrackers } from '../../../src/vrrp/scripts.js';
import { vrrpConfig, vrrpInstance, vrrpScript } from '../../support/vrrp-config.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function setup() {
  const clock = new ManualClock();
  const logger = new MemoryLogger();
  const runs: string[] = [];
  const results = new Map<string, ScriptOutcome>();
  let transitions = 0;
  const trackers = new VrrpScriptTrackers({
    clock,
    logger,
    runner: {
      run: async (spec, extra, timeoutMs) => {
        runs.push(`${spec.command} ${extra.length} ${timeoutMs}`);
        return results.get(spec.command) ?? { kind: 'exited', code: 0 };
      },
    },
    onTransition: () => void transitions++,
  });
  return { clock, logger, runs, results, trackers, transitions: () => transitions };
}

const tracking = (...names: string[]) =>
  vrrpInstance('VI_1', 51, { trackScripts: names.map((name) => ({ name, weight: 0, reverse: false })) });

describe('VrrpScriptTrackers', () => {
  it('runs the used scripts on their interval and warns about unused ones', async () => {
    const t = setup();
    t.trackers.update(
      vrrpConfig([tracking('chk')], {
        vrrpScripts: [vrrpScript('chk', { interval: 2, timeout: 3 }), vrrpScript('idle')],
      }),
    );
    expect(t.logger.messages()).toEqual(['Warning - script idle is not used']);
    expect(t.trackers.status('chk')).toBe('init');
    expect(t.trackers.status('idle')).toBeUndefined();
    t.trackers.startAll();
    await flush();
    expect(t.runs).toEqual(['/bin/chk 0 3000']);
    expect(t.trackers.status('chk')).toBe('up');
    t.clock.advance(1999);
    await flush();
    expect(t.runs).toHaveLength(1);
    t.clock.advance(1);
    await flush();
    expect(t.runs).toHaveLength(2);
  });

  it('logs keepalived lines for success, failure, signals and time-outs, reporting each transition', async () => {
    const t = setup();
    t.trackers.update(vrrpConfig([tracking('chk')], { vrrpScripts: [vrrpScript('chk')] }));
    t.trackers.startAll();
    await flush();
    for (const r of [
      { kind: 'exited', code: 2 },
      { kind: 'exited', code: 0 },
      { kind: 'signaled', signal: 'SIGKILL' },
      { kind: 'exited', code: 0 },
      { kind: 'timeout' },
      { kind: 'spawn-error', message: 'ENOENT' },
    ] as const) {
      t.results.set('/bin/chk', r);
      t.clock.advance(1000);
      await flush();
    }
    expect(t.logger.messages()).toEqual([
      'VRRP_Script(chk) succeeded',
      'VRRP_Script(chk) failed (exited with status 2)',
      'VRRP_Script(chk) succeeded',
      'VRRP_Script(chk) failed (due to signal SIGKILL)',
      'VRRP_Script(chk) succeeded',
      'VRRP_Script(chk) timed_out',
      'VRRP_Script(chk) failed',
      'VRRP_Script(chk) cannot run: ENOENT',
    ]);
    expect(t.transitions()).toBe(6);
  });

  it('keeps a tracker across an update when name, command and user are equal', async () => {
    const t = setup();
    t.trackers.update(vrrpConfig([tracking('chk')], { vrrpScripts: [vrrpScript('chk')] }));
    t.trackers.startAll();
    await flush();
    t.trackers.update(vrrpConfig([tracking('chk')], { vrrpScripts: [vrrpScript('chk', { interval: 5 })] }));
    expect(t.logger.messages()).toContain('VRRP_Script(chk) considered successful on reload');
    expect(t.trackers.status('chk')).toBe('up');
    t.trackers.startIdle(); // its timer is armed: no extra run
    await flush();
    expect(t.runs).toHaveLength(1);

    t.trackers.update(
      vrrpConfig([tracking('chk')], { vrrpScripts: [vrrpScript('chk', { script: '/bin/other' })] }),
    );
    expect(t.trackers.status('chk')).toBe('init');
    t.trackers.startIdle();
    await flush();
    t.clock.advance(5000); // the new tracker runs again after 1 s; the dropped one's timer is gone
    await flush();
    expect(t.runs.map((r) => r.split(' ')[0])).toEqual(['/bin/chk', '/bin/other', '/bin/other']);
  });

  it('stop cancels the timers and drops results of runs in flight', async () => {
    const t = setup();
    t.trackers.update(vrrpConfig([tracking('chk')], { vrrpScripts: [vrrpScript('chk')] }));
    t.trackers.startAll();
    t.trackers.stop();
    await flush();
    t.clock.advance(5000);
    await flush();
    expect(t.runs).toHaveLength(1);
    expect(t.trackers.status('chk')).toBe('init');
  });

  it('sameScriptIdentity compares name, command, argv, user and group only', () => {
    const a = vrrpScript('chk');
    expect(sameScriptIdentity(a, vrrpScript('chk', { interval: 9, weight: 5 }))).toBe(true);
    expect(sameScriptIdentity(a, vrrpScript('chk', { argv: ['/bin/chk', '-v'] }))).toBe(false);
    expect(sameScriptIdentity(a, vrrpScript('chk', { user: 'nobody' }))).toBe(false);
    expect(sameScriptIdentity(a, vrrpScript('other', { script: '/bin/chk' }))).toBe(false);
  });
});
