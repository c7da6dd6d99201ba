/**
 * The VRRP engine over an in-memory platform and a manual clock: crash-leftover VIP removal,
 * vrrp_script results feeding priority and FAULT, the VRRP interface going down, and a sync group
 * moving its members together.
 */
import { describe, expect, it } from 'vitest';
import type { Config, VrrpInstance, VrrpScript, VrrpSyncGroup } from '../../../src/config/model.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { fakeVrrpPlatform as fakePlatform } from '../../support/fake-vrrp-platform.js';
import {
  noNotify,
  trackFile,
  vrrpConfig,
  vrrpInstance,
  vrrpScript,
  vrrpSyncGroup,
} from '../../support/vrrp-config.js';

const instance = vrrpInstance;

const script = (name: string, weight: number): VrrpScript => vrrpScript(name, { weight });

function configOf(
  instances: VrrpInstance[],
  vrrpScripts: VrrpScript[] = [],
  vrrpSyncGroups: VrrpSyncGroup[] = [],
  trackFiles: Config['trackFiles'] = [],
): Config {
  return vrrpConfig(instances, { vrrpScripts, vrrpSyncGroups, trackFiles });
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('VRRP engine', () => {
  it('removes VIPs a crashed run left behind before starting', async () => {
    const f = fakePlatform();
    f.present.add('10.0.0.51');
    const logger = new MemoryLogger();
    const engine = await VrrpEngine.create(configOf([instance('VI_1', 51)]), {
      clock: new ManualClock(),
      logger,
      platform: f.platform,
    });
    expect(f.present.has('10.0.0.51')).toBe(false);
    expect(logger.messages()).toContain('(VI_1) removing VIPs.');
    engine.start();
    expect(logger.messages()).toContain('(VI_1) Entering BACKUP STATE (init)');
    await engine.stop();
  });

  it('applies a failing weighted vrrp_script to the priority, and a weight-0 one as FAULT', async () => {
    const f = fakePlatform();
    const clock = new ManualClock();
    const logger = new MemoryLogger();
    const config = configOf(
      [
        instance('VI_1', 51, { trackScripts: [{ name: 'chk', weight: -60, reverse: false }] }),
        instance('VI_2', 52, { trackScripts: [{ name: 'must', weight: 0, reverse: false }] }),
      ],
      [script('chk', -60), script('must', 0)],
    );
    const engine = await VrrpEngine.create(config, { clock, logger, platform: f.platform });
    engine.start();
    await flush();
    expect(logger.messages()).toEqual(
      expect.arrayContaining(['VRRP_Script(chk) succeeded', 'VRRP_Script(must) succeeded']),
    );
    f.scriptResults.set('/bin/chk', { kind: 'exited', code: 1 });
    f.scriptResults.set('/bin/must', { kind: 'signaled', signal: 'SIGKILL' });
    clock.advance(1000);
    await flush();
    expect(logger.messages()).toEqual(
      expect.arrayContaining([
        'VRRP_Script(chk) failed (exited with status 1)',
        '(VI_1) Changing effective priority from 100 to 40',
        'VRRP_Script(must) failed (due to signal SIGKILL)',
        '(VI_2): entering FAULT state due to script must',
        '(VI_2) Entering FAULT STATE',
      ]),
    );
    expect(engine.status().map((s) => [s.name, s.state, s.effectivePriority])).toEqual([
      ['VI_1', 'BACKUP', 40],
      ['VI_2', 'FAULT', 100],
    ]);
    await engine.stop();
  });

  it('enters FAULT when the VRRP interface goes down, and BACKUP when it comes back', async () => {
    const f = fakePlatform();
    const logger = new MemoryLogger();
    const engine = await VrrpEngine.create(configOf([instance('VI_1', 51)]), {
      clock: new ManualClock(),
      logger,
      platform: f.platform,
    });
    engine.start();
    f.setLink('eth0', false);
    expect(engine.status()[0]!.state).toBe('FAULT');
    expect(logger.messages()).toContain('(VI_1): entering FAULT state (interface eth0 down)');
    f.setLink('eth0', true);
    expect(engine.status()[0]!.state).toBe('BACKUP');
    await engine.stop();
  });

  it('moves sync-group members together and notifies the group', async () => {
    const f = fakePlatform();
    const clock = new ManualClock();
    const logger = new MemoryLogger();
    const group = vrrpSyncGroup('G1', ['VI_1', 'VI_2'], {
      notify: { ...noNotify, master: { command: '/gm', argv: ['/gm'], user: null, group: null } },
    });
    const config = configOf(
      [instance('VI_1', 51, { syncGroup: 'G1' }), instance('VI_2', 52, { syncGroup: 'G1', priority: 90 })],
      [],
      [group],
    );
    const engine = await VrrpEngine.create(config, { clock, logger, platform: f.platform });
    engine.start();
    clock.advance(4000);
    await flush();
    expect(engine.status().map((s) => s.state)).toEqual(['MASTER', 'MASTER']);
    expect(logger.messages()).toContain('VRRP_Group(G1) Syncing instances to MASTER state');
    expect(f.notifies).toContain('GROUP G1 MASTER');
    f.setLink('eth0', false);
    expect(engine.status().map((s) => s.state)).toEqual(['FAULT', 'FAULT']);
    await engine.stop();
    // Priority-0 adverts were sent by both masters when they went to FAULT.
    expect(
      f.sent
        .filter((s) => s.priority === 0)
        .map((s) => s.vrid)
        .sort(),
    ).toEqual([51, 52]);
  });

  it('track_file: initialises the file, adds value x weight, and a weight-0 file in FAULT', async () => {
    const f = fakePlatform();
    const logger = new MemoryLogger();
    const config = configOf(
      [
        instance('VI_1', 51, { trackFiles: [{ name: 'tf', weight: -10, reverse: false }] }),
        instance('VI_2', 52, { trackFiles: [{ name: 'tf0', weight: 0, reverse: false }] }),
      ],
      [],
      [],
      [
        trackFile('tf', '/run/tf', { weight: -10, initFile: { value: 0, overwrite: false } }),
        trackFile('tf0', '/run/tf0', { weight: 0 }),
      ],
    );
    const engine = await VrrpEngine.create(config, {
      clock: new ManualClock(),
      logger,
      platform: f.platform,
    });
    engine.start();
    expect(f.initialised).toEqual(['/run/tf=0']);
    f.writeFile('/run/tf', '3\n');
    f.writeFile('/run/tf0', '1');
    expect(engine.status().map((s) => [s.state, s.effectivePriority])).toEqual([
      ['BACKUP', 70],
      ['FAULT', 100],
    ]);
    expect(logger.messages()).toContain('(VI_2): entering FAULT state (tracked file tf0 has status -254)');
    f.writeFile('/run/tf0', '0');
    expect(engine.status()[1]!.state).toBe('BACKUP');
    await engine.stop();
  });
});
