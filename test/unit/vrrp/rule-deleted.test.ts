// A virtual rule deleted by someone else (`ip rule del`) while MASTER: keepalived 2.2.7
// (core/keepalived_netlink.c netlink_rule_filter -> rule_is_ours -> set_vrrp_backup) leaves
// MASTER for BACKUP and takes over again after Skew_Time, as for a removed VIP. A no_track rule
// and an instance that is not MASTER are left alone.
import { describe, expect, it } from 'vitest';
import type { IpRule } from '../../../src/config/model.js';
import { ruleLine } from '../../../src/config/keywords/ip-rule.js';
import { DiagnosticList } from '../../../src/config/keywords/types.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { fakeVrrpPlatform } from '../../support/fake-vrrp-platform.js';
import { vrrpConfig, vrrpInstance } from '../../support/vrrp-config.js';

const MDI_100 = 3000 + (156 * 1000) / 256;
const SKEW_100 = (156 * 1000) / 256;

function rule(text: string): IpRule {
  const [keyword, ...args] = text.split(' ');
  const r = ruleLine(
    {
      keyword: keyword!,
      args,
      rest: '',
      loc: { file: 'k.conf', line: 1 },
      block: null,
      unmatchedQuote: false,
    },
    new DiagnosticList(),
    false,
  );
  if (!r || r.priority === null) throw new Error(`bad test rule ${text}`);
  return { ...r, priority: r.priority };
}

async function setUp(advance = MDI_100 + 1) {
  const f = fakeVrrpPlatform();
  const clock = new ManualClock();
  const logger = new MemoryLogger();
  const instance = vrrpInstance('VI_1', 51, {
    virtualRules: [
      rule('from 10.1.0.0/16 table 100 priority 100'),
      rule('to 10.2.0.0/16 table 100 priority 101 no_track'),
    ],
  });
  const engine = await VrrpEngine.create(vrrpConfig([instance]), { clock, logger, platform: f.platform });
  engine.start();
  clock.advance(advance);
  await new Promise((r) => setImmediate(r));
  return { clock, logger, engine };
}

const state = (engine: VrrpEngine) => engine.status()[0]!.state;

describe('engine: a virtual rule deleted by someone else', () => {
  it('a tracked rule of a MASTER: BACKUP, then MASTER again after Skew_Time', async () => {
    const { clock, logger, engine } = await setUp();
    expect(state(engine)).toBe('MASTER');
    engine.ruleDeleted((r) => r.priority === 100);
    expect(state(engine)).toBe('BACKUP');
    expect(logger.messages()).toContain('(VI_1) Entering BACKUP STATE');
    clock.advance(SKEW_100);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(state(engine)).toBe('MASTER');
    await engine.stop();
  });

  it('a no_track rule, a rule not ours, or a BACKUP: nothing happens', async () => {
    const { engine } = await setUp();
    engine.ruleDeleted((r) => r.priority === 101);
    engine.ruleDeleted(() => false);
    expect(state(engine)).toBe('MASTER');
    const b = await setUp(1000);
    expect(state(b.engine)).toBe('BACKUP');
    b.engine.ruleDeleted(() => true);
    expect(state(b.engine)).toBe('BACKUP');
    await engine.stop();
    await b.engine.stop();
  });
});
