/**
 * The instance shell with in-memory ports and a manual clock: the order in which it runs the
 * reducer's actions (advert, VIPs, GARP bursts, notify), and the stop path.
 */
import { describe, expect, it } from 'vitest';
import type { IpRule, ScriptSpec, Vip, VirtualRoute, VrrpInstance } from '../../../src/config/model.js';
import { ruleLine } from '../../../src/config/keywords/ip-rule.js';
import { DiagnosticList } from '../../../src/config/keywords/types.js';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { VrrpInstanceShell } from '../../../src/vrrp/instance.js';
import { decodePacket, encodeAdvert, encodeIpv4Packet, passwordAuthData } from '../../../src/vrrp/packet.js';
import type { GarpSender, Notifier, VipManager, VipOutcome, VrrpIo } from '../../../src/vrrp/ports.js';
import { paramsFromConfig } from '../../../src/vrrp/params.js';
import { globalDefs } from '../../support/config-model.js';
import { vip, vrrpInstance } from '../../support/vrrp-config.js';

const spec = (command: string): ScriptSpec => ({ command, argv: [command], user: null, group: null });

function instanceConfig(over: Partial<VrrpInstance> = {}): VrrpInstance {
  const notify = {
    master: spec('/m'),
    backup: null,
    fault: null,
    stop: spec('/s'),
    deleted: null,
    generic: spec('/g'),
    masterRxLowerPri: null,
  };
  return vrrpInstance('VI_1', 51, {
    authentication: { type: 'PASS', password: 'secret' },
    virtualIpaddresses: ['10.0.0.100/32', '10.0.0.101/32'],
    vips: [vip('10.0.0.100'), vip('10.0.0.101')],
    notify,
    ...over,
  });
}

const globals = globalDefs({ vrrpCheckUnicastSrc: false });

/** A `virtual_rules` line as the config reads it. */
function rule(text: string): IpRule {
  const [keyword, ...args] = text.split(' ');
  const stmt = {
    keyword: keyword!,
    args,
    rest: '',
    loc: { file: 'k.conf', line: 1 },
    block: null,
    unmatchedQuote: false,
  };
  const r = ruleLine(stmt, new DiagnosticList(), false);
  if (!r || r.priority === null) throw new Error(`bad test rule ${text}`);
  return { ...r, priority: r.priority };
}
const rulesText = (r: readonly IpRule[]) => r.map((x) => `${x.priority}`).join(',');

function harness(config = instanceConfig()) {
  const clock = new ManualClock();
  const events: string[] = [];
  let receive: (d: Buffer) => void = () => {};
  const io: VrrpIo = {
    sourceAddress: '10.0.0.1',
    send: async (m) => void events.push(`advert prio=${m[2]}`),
    onDatagram: (fn) => void (receive = fn),
    close: () => void events.push('close'),
  };
  const outcome = (vips: readonly { address: string }[]): VipOutcome => ({
    changed: vips.map((v) => v.address),
    errors: [],
  });
  const vips: VipManager = {
    addAddresses: async (v: readonly Vip[]) => (
      events.push(`add ${v.map((x) => x.address).join(',')}`),
      outcome(v)
    ),
    removeAddresses: async (v: readonly Vip[]) => (
      events.push(`del ${v.map((x) => x.address).join(',')}`),
      outcome(v)
    ),
    addRoutes: async (_r: readonly VirtualRoute[]) => ({ changed: [], errors: [] }),
    removeRoutes: async (_r: readonly VirtualRoute[]) => ({ changed: [], errors: [] }),
    addRules: async (r: readonly IpRule[]) => {
      if (r.length > 0) events.push(`rules add ${rulesText(r)}`);
      return { changed: r.map((x) => `${x.priority}`), errors: [] };
    },
    removeRules: async (r: readonly IpRule[]) => {
      if (r.length > 0) events.push(`rules del ${rulesText(r)}`);
      return { changed: r.map((x) => `${x.priority}`), errors: [] };
    },
  };
  const garp: GarpSender = { sendGarp: (ifname, v) => void events.push(`garp ${ifname} ${v}`) };
  const notifier: Notifier = {
    notify: async (kind, name, state, priority, scripts) => {
      events.push(`notify ${kind} ${name} ${state} ${priority} ${scripts.specific?.command ?? '-'}`);
    },
  };
  const logger = new MemoryLogger();
  const params = paramsFromConfig(config, globals, '10.0.0.1');
  const shell = new VrrpInstanceShell(config, params, { clock, io, vips, garp, notifier, logger });
  const flush = () => new Promise((r) => setImmediate(r));
  return { clock, events, shell, logger, flush, receive: (d: Buffer) => receive(d) };
}

function advertFrom(source: string, priority: number): Buffer {
  const message = encodeAdvert({
    version: 2,
    type: 1,
    vrid: 51,
    priority,
    authType: 1,
    advertInt: 1,
    addresses: ['10.0.0.100', '10.0.0.101'],
    authData: passwordAuthData('secret'),
  });
  return encodeIpv4Packet({ source, destination: '224.0.0.18' }, message);
}

describe('VRRP instance shell', () => {
  it('becomes MASTER after Master_Down_Interval: advert, VIPs, 5 GARPs per VIP, notify; second burst 5 s later', async () => {
    const h = harness();
    h.shell.start();
    expect(h.shell.currentState).toBe('BACKUP');
    await h.flush();
    // The generic notify runs for BACKUP too (no notify_backup configured).
    expect(h.events).toEqual(['notify INSTANCE VI_1 BACKUP 100 -']);
    h.events.length = 0;
    h.clock.advance(3609);
    await h.flush();
    expect(h.shell.currentState).toBe('BACKUP');
    h.clock.advance(2);
    await h.flush();
    expect(h.shell.currentState).toBe('MASTER');
    const garps = (e: string[]) => e.filter((x) => x.startsWith('garp')).length;
    expect(h.events.slice(0, 2)).toEqual(['advert prio=100', 'add 10.0.0.100,10.0.0.101']);
    expect(garps(h.events)).toBe(10);
    expect(h.events[12]).toBe('notify INSTANCE VI_1 MASTER 100 /m');
    expect(h.logger.messages()).toContain('(VI_1) setting VIPs.');
    expect(h.logger.messages()).toContain('Sending gratuitous ARP on eth0 for 10.0.0.101');
    h.clock.advance(5000);
    await h.flush();
    expect(garps(h.events)).toBe(20);
    expect(h.events.filter((e) => e.startsWith('advert')).length).toBe(6);
  });

  it('stays BACKUP while a higher-priority master advertises, and counts what it received', async () => {
    const h = harness();
    h.shell.start();
    for (let i = 0; i < 10; i++) {
      h.clock.advance(1000);
      h.receive(advertFrom('10.0.0.2', 150));
    }
    await h.flush();
    expect(h.shell.currentState).toBe('BACKUP');
    expect(h.shell.status().counters.advert_rcvd).toBe(10);
    expect(h.shell.status().masterAddress).toBe('10.0.0.2');
    expect(decodePacket(advertFrom('10.0.0.2', 150)).ok).toBe(true);
  });

  it('stops a MASTER with a priority-0 advert, VIP removal and notify_stop, then closes', async () => {
    const h = harness();
    h.shell.start();
    h.clock.advance(4000);
    await h.flush();
    h.events.length = 0;
    await h.shell.stop();
    expect(h.events).toEqual([
      'advert prio=0',
      'del 10.0.0.100,10.0.0.101',
      'notify INSTANCE VI_1 STOP 100 /s',
      'close',
    ]);
    expect(h.clock.pending()).toBe(0);
  });

  it('virtual_rules: added after the VIPs on MASTER, removed before them at stop; a reload changes only what changed', async () => {
    const config = instanceConfig({
      virtualRules: [
        rule('from 10.1.0.0/16 table 100 priority 100'),
        rule('to 10.2.0.0/16 table 100 priority 101'),
      ],
    });
    const h = harness(config);
    h.shell.start();
    await h.flush();
    expect(h.events.filter((e) => e.startsWith('rules'))).toEqual([]);
    h.clock.advance(4000);
    await h.flush();
    expect(h.shell.currentState).toBe('MASTER');
    const vipAt = h.events.indexOf('add 10.0.0.100,10.0.0.101');
    expect(vipAt).toBeGreaterThanOrEqual(0);
    expect(h.events.indexOf('rules add 100,101')).toBe(vipAt + 1);
    expect(h.logger.messages()).toContain('(VI_1) setting Virtual Rules');
    h.events.length = 0;
    const next = instanceConfig({
      virtualRules: [
        rule('from 10.1.0.0/16 table 100 priority 100'),
        rule('to 10.3.0.0/16 table 100 priority 102'),
      ],
    });
    h.shell.reconfigure(next, paramsFromConfig(next, globals, '10.0.0.1'), null);
    await h.flush();
    expect(h.events.filter((e) => e.startsWith('rules'))).toEqual(['rules del 101', 'rules add 102']);
    h.events.length = 0;
    await h.shell.stop();
    expect(h.events.slice(0, 3)).toEqual(['advert prio=0', 'rules del 100,102', 'del 10.0.0.100,10.0.0.101']);
    expect(h.logger.messages()).toContain('(VI_1) removing Virtual Rules');
  });

  it('with --dont-release-vrrp keeps the VIPs and sends no priority-0 advert', async () => {
    const h = harness();
    h.shell.start();
    h.clock.advance(4000);
    await h.flush();
    h.events.length = 0;
    await h.shell.stop({ keepVips: true });
    expect(h.events).toEqual(['notify INSTANCE VI_1 STOP 100 /s', 'close']);
  });

  it('spaces the packets of a burst by vrrp_garp_interval', async () => {
    const base = instanceConfig();
    const h = harness(
      instanceConfig({ vips: [vip('10.0.0.100')], garp: { ...base.garp, masterRepeat: 3, interval: 0.5 } }),
    );
    h.shell.start();
    h.clock.advance(3611);
    await h.flush();
    const garps = (): number => h.events.filter((e) => e.startsWith('garp')).length;
    expect(garps()).toBe(1);
    h.clock.advance(499);
    expect(garps()).toBe(1);
    h.clock.advance(1);
    expect(garps()).toBe(2);
    h.clock.advance(500);
    expect(garps()).toBe(3);
    h.clock.advance(2000);
    expect(garps()).toBe(3);
  });
});
