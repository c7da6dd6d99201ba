/**
 * A master answers adverts at once (lower priority: "forcing new election"; priority 0: RFC 3768
 * section 6.4.3) at a bounded rate (state-machine.ts ANSWER_BUCKET), so a flood cannot make it an
 * amplifier; the answers not given are counted. Also the log fields and rate-limit keys the
 * reducer puts on its repeating lines, and datagrams too short for a VRRP header.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { VrrpInstanceShell } from '../../../src/vrrp/instance.js';
import { encodeAdvert, encodeIpv4Packet } from '../../../src/vrrp/packet.js';
import { paramsFromConfig } from '../../../src/vrrp/params.js';
import type { VrrpIo } from '../../../src/vrrp/ports.js';
import { ANSWER_BUCKET, type Action } from '../../../src/vrrp/state-machine.js';
import { globalDefs } from '../../support/config-model.js';
import { vip, vrrpInstance } from '../../support/vrrp-config.js';
import { counters, ReducerHarness } from './harness.js';
import { instanceParams, packet } from './support.js';

const MDI_100 = 3609.375;
const from = (priority: number, source = '10.77.0.2') => packet({ advert: { priority }, ip: { source } });
const sent = (actions: readonly Action[]): number[] =>
  actions.flatMap((a) => (a.kind === 'send-advert' ? [a.priority] : []));
const logActions = (actions: readonly Action[]) => actions.filter((a) => a.kind === 'log');

function master(overrides: Parameters<typeof instanceParams>[0] = {}): ReducerHarness {
  const h = new ReducerHarness(instanceParams(overrides));
  h.dispatch({ kind: 'startup' });
  h.advance(MDI_100 + 1000);
  expect(h.state.state).toBe('MASTER');
  return h;
}

describe('bounded answers (ANSWER_BUCKET)', () => {
  it('answers a burst of lower-priority adverts, then one a second; the rest is counted, not sent', () => {
    const h = master();
    h.advance(100);
    const answers: number[] = [];
    let suppressed = 0;
    let garps = 0;
    let notifies = 0;
    // 1,001 lower-priority adverts over 2 s (one every 2 ms; the harness's timers do not fire).
    for (let i = 0; i <= 1000; i++) {
      const actions = h.receive(from(90));
      answers.push(...sent(actions));
      suppressed += counters(actions).filter((c) => c === 'advert_answer_suppressed').length;
      garps += actions.filter((a) => a.kind === 'send-garp').length;
      notifies += actions.filter((a) => a.kind === 'run-notify').length;
      h.now += 2;
    }
    // 3 at once, then one at 1 s and one at 2 s: 5 answers, each with its GARPs and notify.
    const expected = ANSWER_BUCKET.burst + 2;
    expect(answers).toEqual(Array.from({ length: expected }, () => 100));
    expect(garps).toBe(expected);
    expect(notifies).toBe(expected);
    expect(suppressed).toBe(1001 - expected);
    // Every advert was still received and counted.
    expect(counters(h.history).filter((c) => c === 'advert_rcvd')).toHaveLength(1001);
  });

  it('keeps the Adver_Timer schedule while answers are suppressed', () => {
    const h = master();
    for (let i = 0; i < ANSWER_BUCKET.burst; i++) h.receive(from(90));
    const armedAfterLastAnswer = h.timers.get('advert');
    const actions = h.receive(from(90));
    expect(sent(actions)).toEqual([]);
    expect(h.timers.get('advert')).toBe(armedAfterLastAnswer);
    // The scheduled advert still goes out on time.
    expect(sent(h.advance(1000))).toEqual([100]);
  });

  it('bounds answers to priority-0 adverts too', () => {
    const h = master();
    const answers = Array.from({ length: 20 }, () => sent(h.receive(from(0)))).flat();
    expect(answers).toHaveLength(ANSWER_BUCKET.burst);
    expect(counters(h.history).filter((c) => c === 'advert_answer_suppressed')).toHaveLength(17);
  });

  it('refills to the burst after a quiet spell, not beyond', () => {
    const h = master();
    for (let i = 0; i < 10; i++) h.receive(from(90));
    h.now += 60_000;
    const answers = Array.from({ length: 10 }, () => sent(h.receive(from(90)))).flat();
    expect(answers).toHaveLength(ANSWER_BUCKET.burst);
  });

  it('never holds back the higher-priority advert that makes the master a backup', () => {
    const h = master();
    for (let i = 0; i < 50; i++) h.receive(from(90));
    h.receive(from(150));
    expect(h.state.state).toBe('BACKUP');
  });
});

describe('log fields and rate-limit keys', () => {
  it('state changes carry state, from, reason and priority', () => {
    const h = new ReducerHarness(instanceParams());
    const [entering] = logActions(h.dispatch({ kind: 'startup' }));
    expect(entering).toEqual({
      kind: 'log',
      level: 'info',
      message: '(VI_1) Entering BACKUP STATE (init)',
      fields: { state: 'BACKUP', from: 'INIT', reason: 'init', priority: 100 },
    });
  });

  it('repeating lines carry a key per instance and kind', () => {
    const h = master();
    const [lower] = logActions(h.receive(from(90)));
    expect(lower?.fields).toEqual({
      source: '10.77.0.2',
      advertPriority: 90,
      priority: 100,
      limit: 'VI_1:lower-priority',
    });
    const [ttl] = logActions(h.receive(packet({ ip: { ttl: 64 } })));
    expect(ttl?.fields).toEqual({ error: 'invalid-ttl', limit: 'VI_1:invalid-ttl' });
  });
});

describe('malformed datagrams of our VRID', () => {
  it('count as length errors and log keepalived’s line, in BACKUP and MASTER only', () => {
    const h = new ReducerHarness(instanceParams());
    expect(h.dispatch({ kind: 'malformed', length: 25, reason: 'short' })).toEqual([]);
    h.dispatch({ kind: 'startup' });
    const actions = h.dispatch({ kind: 'malformed', length: 25, reason: 'short' });
    expect(counters(actions)).toEqual(['packet_len_err']);
    expect(logActions(actions)).toEqual([
      {
        kind: 'log',
        level: 'info',
        message: 'IPv4 VRRP packet too short - 25 bytes',
        fields: { error: 'short-packet', limit: 'VI_1:short-packet' },
      },
    ]);
  });

  it('reach the reducer from the shell, which adds the instance to every line', () => {
    const clock = new ManualClock();
    let receive: (d: Buffer) => void = () => {};
    const io: VrrpIo = {
      sourceAddress: '10.0.0.1',
      send: async () => {},
      onDatagram: (fn) => void (receive = fn),
      close: () => {},
    };
    const config = vrrpInstance('VI_1', 51, {
      vips: [vip('10.0.0.100')],
      virtualIpaddresses: ['10.0.0.100/32'],
    });
    const logger = new MemoryLogger();
    const shell = new VrrpInstanceShell(config, paramsFromConfig(config, globalDefs(), '10.0.0.1'), {
      clock,
      io,
      vips: {
        addAddresses: async () => ({ changed: [], errors: [] }),
        removeAddresses: async () => ({ changed: [], errors: [] }),
        addRoutes: async () => ({ changed: [], errors: [] }),
        removeRoutes: async () => ({ changed: [], errors: [] }),
        addRules: async () => ({ changed: [], errors: [] }),
        removeRules: async () => ({ changed: [], errors: [] }),
      },
      garp: { sendGarp: () => {} },
      notifier: { notify: async () => {} },
      logger,
    });
    shell.start();
    const advert = encodeAdvert({
      version: 2,
      type: 1,
      vrid: 51,
      priority: 100,
      authType: 0,
      advertInt: 1,
      addresses: ['10.0.0.100'],
      authData: new Uint8Array(8),
    });
    // IPv4 header and the first 5 bytes of the VRRP header.
    const truncated = encodeIpv4Packet({ source: '10.0.0.2', destination: '224.0.0.18' }, advert).subarray(
      0,
      25,
    );
    for (let i = 0; i < 7; i++) receive(Buffer.from(truncated));
    expect(shell.status().counters.packet_len_err).toBe(7);
    expect(logger.lines.filter((l) => l.message.includes('too short'))).toHaveLength(7);
    expect(logger.lines.every((l) => l.fields?.instance === 'VI_1')).toBe(true);
  });
});
