// VRRP reload (docs/behaviour.md §2.7) through the engine over an in-memory platform and a
// manual clock: instances matched by keepalived's identity keep their state (a MASTER stays
// MASTER, adverts at once, applies VIP differences); a removed MASTER sends priority 0 and drops
// its VIPs; a new instance starts INIT -> BACKUP; vrrp_script results carry over when name,
// command and user are equal.
import { describe, expect, it } from 'vitest';
import type { Config, VrrpInstance, VrrpScript } from '../../../src/config/model.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { vrrpInstanceIdentity as instanceIdentity } from '../../../src/config/identity.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { fakeVrrpPlatform as fakePlatform } from '../../support/fake-vrrp-platform.js';
import { vip, vrrpConfig, vrrpInstance, vrrpScript } from '../../support/vrrp-config.js';

const instance = vrrpInstance;

const script = (name: string, command = `/bin/${name}`, over: Partial<VrrpScript> = {}): VrrpScript =>
  vrrpScript(name, { script: command, weight: 10, ...over });

function configOf(instances: VrrpInstance[], vrrpScripts: VrrpScript[] = []): Config {
  return vrrpConfig(instances, { vrrpScripts });
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

async function masterEngine(instances: VrrpInstance[], scripts: VrrpScript[] = []) {
  const f = fakePlatform();
  const clock = new ManualClock();
  const logger = new MemoryLogger();
  const engine = await VrrpEngine.create(configOf(instances, scripts), {
    clock,
    logger,
    platform: f.platform,
  });
  const changes: string[] = [];
  engine.onStateChange((c) => changes.push(`${c.instance} ${c.from}->${c.to}`));
  engine.start();
  await flush();
  // No peer: every instance becomes MASTER after Master_Down_Interval.
  clock.advance(4000);
  await flush();
  return { f, clock, logger, engine, changes };
}

describe('VRRP reload', () => {
  it('identity: VRID, interface, unicast and its source, multicast group - not the name', () => {
    const a = instance('A', 51);
    expect(instanceIdentity(instance('B', 51, { priority: 200 }), '224.0.0.18')).toBe(
      instanceIdentity(a, '224.0.0.18'),
    );
    expect(instanceIdentity(instance('A', 52), '224.0.0.18')).not.toBe(instanceIdentity(a, '224.0.0.18'));
    expect(instanceIdentity(instance('A', 51, { interface: 'eth1' }), '224.0.0.18')).not.toBe(
      instanceIdentity(a, '224.0.0.18'),
    );
    const peer = [{ address: '10.0.0.9', minTtl: 0, maxTtl: 255 }];
    expect(instanceIdentity(instance('A', 51, { unicastPeers: peer }), '224.0.0.18')).not.toBe(
      instanceIdentity(a, '224.0.0.18'),
    );
  });

  it('a matched MASTER stays MASTER, adverts at once with the new priority, and applies VIP differences', async () => {
    const { f, engine, changes, logger } = await masterEngine([instance('VI_1', 51)]);
    expect(engine.status()[0]!.state).toBe('MASTER');
    expect(f.present.has('10.0.0.51')).toBe(true);
    const changesBefore = changes.length;
    const sentBefore = f.sent.length;
    const logsBefore = logger.messages().length;
    // Renamed, new priority, one VIP replaced by another: same identity (VRID 51 on eth0).
    await engine.reload(configOf([instance('VI_one', 51, { priority: 120, vips: [vip('10.0.0.52')] })]));
    await flush();
    expect(changes.length).toBe(changesBefore);
    const s = engine.status()[0]!;
    expect(s.name).toBe('VI_one');
    expect(s.state).toBe('MASTER');
    expect(s.basePriority).toBe(120);
    // An advert right away, and one carrying the new priority without waiting for the timer.
    expect(f.sent.length).toBeGreaterThan(sentBefore);
    expect(f.sent.slice(sentBefore).some((p) => p.vrid === 51 && p.priority === 120)).toBe(true);
    expect(f.present.has('10.0.0.51')).toBe(false);
    expect(f.present.has('10.0.0.52')).toBe(true);
    expect(
      logger
        .messages()
        .slice(logsBefore)
        .filter((m) => m.includes('Entering')),
    ).toEqual([]);
  });

  it('removed MASTER sends priority 0 and drops its VIPs; a new instance starts INIT -> BACKUP', async () => {
    const { f, clock, engine, changes } = await masterEngine([instance('VI_1', 51), instance('VI_2', 52)]);
    expect(f.present.has('10.0.0.52')).toBe(true);
    const sentBefore = f.sent.length;
    changes.length = 0;
    await engine.reload(configOf([instance('VI_1', 51), instance('VI_3', 53)]));
    await flush();
    expect(f.sent.slice(sentBefore)).toContainEqual({ vrid: 52, priority: 0 });
    expect(f.present.has('10.0.0.52')).toBe(false);
    expect(f.present.has('10.0.0.51')).toBe(true);
    expect(changes).toContain('VI_3 INIT->BACKUP');
    expect(changes.some((c) => c.startsWith('VI_1'))).toBe(false);
    clock.advance(4000);
    await flush();
    expect(changes).toContain('VI_3 BACKUP->MASTER');
    expect(engine.status().map((s) => `${s.name}:${s.state}`)).toEqual(['VI_1:MASTER', 'VI_3:MASTER']);
  });

  it('advertNow: only a MASTER sends', async () => {
    const { f, engine } = await masterEngine([instance('VI_1', 51)]);
    const before = f.sent.length;
    engine.advertNow();
    await flush();
    expect(f.sent.slice(before)).toEqual([{ vrid: 51, priority: 100 }]);
  });

  it('vrrp_script results carry over when name, command and user are equal, else start afresh', async () => {
    const tracked = instance('VI_1', 51, {
      trackScripts: [{ name: 'chk', weight: 10, reverse: false }],
    });
    const { f, clock, engine, logger } = await masterEngine([tracked], [script('chk')]);
    expect(logger.messages()).toContain('VRRP_Script(chk) succeeded');
    expect(engine.status()[0]!.effectivePriority).toBe(110);

    await engine.reload(configOf([tracked], [script('chk', '/bin/chk', { interval: 2 })]));
    await flush();
    expect(logger.messages()).toContain('VRRP_Script(chk) considered successful on reload');
    expect(engine.status()[0]!.effectivePriority).toBe(110);

    // Another command: a new tracker (rise 1 -> init until its first run), the old one stops.
    f.scriptResults.set('/bin/other', { kind: 'exited', code: 1 });
    const runsBefore = f.scriptRuns.length;
    await engine.reload(configOf([tracked], [script('chk', '/bin/other')]));
    await flush();
    clock.advance(5000);
    await flush();
    const runs = f.scriptRuns.slice(runsBefore);
    expect(runs).toContain('/bin/other');
    expect(runs).not.toContain('/bin/chk');
    expect(
      logger.messages().filter((m) => m === 'VRRP_Script(chk) considered successful on reload'),
    ).toHaveLength(1);
    expect(logger.messages()).toContain('VRRP_Script(chk) failed (exited with status 1)');
    expect(engine.status()[0]!.effectivePriority).toBe(100);
  });
});
