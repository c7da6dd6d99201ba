import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyDestinationChanges,
  desiredTable,
  destinationChanges,
  drainKey,
  expandRange,
  keyedTable,
  tableOfKeyed,
  vsApply,
  vsInit,
  vsShutdown,
  type PoolEvent,
  type RsState,
  type VsState,
} from '../../../src/check/table.js';
import type { VirtualServer } from '../../../src/config/model.js';
import type { DesiredDestination, DesiredService } from '../../../src/contracts/ipvs-table.js';
import { checkProperty } from '../../support/property.js';
import { config, realServer, script, virtualServer } from './support/config.js';

const alive = (w = 1): RsState => ({ alive: true, effectiveWeight: w });
const dead = (w = 1): RsState => ({ alive: false, effectiveWeight: w });

function vsWith(n: number, over: Partial<VirtualServer> = {}, weights: number[] = []): VirtualServer {
  const rss = Array.from({ length: n }, (_, i) =>
    realServer(`10.1.1.${i + 1}`, 80, [], { weight: weights[i] ?? 1 }),
  );
  return virtualServer('10.0.0.1', 80, rss, over);
}

function states(vs: VirtualServer, s: RsState[]): Map<string, RsState> {
  return new Map(vs.realServers.map((rs, i) => [rs.key, s[i]!]));
}

const kinds = (events: PoolEvent[]) => events.map((e) => e.kind);

describe('quorum and hysteresis', () => {
  const vs = vsWith(4, { quorum: 3, hysteresis: 1 });

  it('starts with quorum up only at quorum + hysteresis', () => {
    expect(vsInit(vs, states(vs, [alive(), alive(), alive(), alive()])).state.quorumUp).toBe(true);
    expect(vsInit(vs, states(vs, [alive(), alive(), alive(), dead()])).state.quorumUp).toBe(false);
  });

  it('loses quorum below quorum - hysteresis and regains it at quorum + hysteresis', () => {
    let st: VsState = vsInit(vs, states(vs, [alive(), alive(), alive(), alive()])).state;
    const step = (i: number, s: RsState) => {
      const r = vsApply(vs, st, vs.realServers[i]!, s);
      st = r.state;
      return r.events;
    };
    expect(kinds(step(0, dead()))).toEqual(['rs-down']); // 3 >= 2
    expect(kinds(step(1, dead()))).toEqual(['rs-down']); // 2 >= 2: still up (hysteresis)
    const lost = step(2, dead()); // 1 < 2
    expect(kinds(lost)).toEqual(['rs-down', 'quorum-down']);
    expect(lost[1]).toMatchObject({ quorum: 3, hysteresis: 1, threshold: 2, weightSum: 1, phase: 'run' });
    expect(kinds(step(0, alive()))).toEqual(['rs-up']); // 2 < 4
    expect(kinds(step(1, alive()))).toEqual(['rs-up']); // 3 < 4
    const gained = step(2, alive()); // 4 >= 4
    expect(kinds(gained)).toEqual(['rs-up', 'quorum-up']);
    expect(gained[1]).toMatchObject({ threshold: 4, weightSum: 4 });
  });

  it('counts effective weights, and a weight change can move quorum', () => {
    const v = vsWith(1, { quorum: 5 }, [10]);
    let st = vsInit(v, states(v, [alive(10)])).state;
    const r = vsApply(v, st, v.realServers[0]!, alive(2));
    st = r.state;
    expect(r.events).toMatchObject([
      { kind: 'rs-weight', from: 10, to: 2, alive: true },
      { kind: 'quorum-down' },
    ]);
  });

  it('with quorum 0 a weight sum of 0 still loses quorum (keepalived !weight_sum)', () => {
    const v = vsWith(1, { quorum: 0 });
    const st = vsInit(v, states(v, [alive()])).state;
    expect(kinds(vsApply(v, st, v.realServers[0]!, dead()).events)).toEqual(['rs-down', 'quorum-down']);
  });
});

describe('desired table', () => {
  it('holds alive servers at their effective weight, removes dead ones', () => {
    const vs = vsWith(3);
    const st = vsInit(vs, states(vs, [alive(5), dead(), alive(1)])).state;
    const t = desiredTable(config([vs]), { virtualServers: new Map([[vs.key, st]]) });
    expect(t.services).toHaveLength(1);
    expect(t.services[0]).toMatchObject({
      key: vs.key,
      family: 'inet',
      protocol: 'TCP',
      address: '10.0.0.1',
      port: 80,
      fwmark: null,
      scheduler: 'wlc',
    });
    expect(t.services[0]!.destinations.map((d) => [d.key, d.weight])).toEqual([
      ['10.1.1.1|80', 5],
      ['10.1.1.3|80', 1],
    ]);
    expect(t.services[0]!.destinations[0]).toEqual({
      key: '10.1.1.1|80',
      address: '10.1.1.1',
      family: 'inet',
      port: 80,
      weight: 5,
      forwardingMethod: 'NAT',
      tunnel: null,
      uthreshold: 0,
      lthreshold: 0,
    });
  });

  it('keeps a dead inhibit_on_failure server at weight 0', () => {
    const rs = realServer('10.1.1.1', 80, [], { inhibitOnFailure: true, weight: 3 });
    const vs = virtualServer('10.0.0.1', 80, [rs]);
    const health = (s: RsState) => ({
      virtualServers: new Map([[vs.key, { quorumUp: true, realServers: new Map([[rs.key, s]]) }]]),
    });
    expect(
      desiredTable(config([vs]), health(dead(3))).services[0]!.destinations.map((d) => d.weight),
    ).toEqual([0]);
    expect(
      desiredTable(config([vs]), health(alive(3))).services[0]!.destinations.map((d) => d.weight),
    ).toEqual([3]);
  });

  it('swaps live servers for the sorry server when quorum is lost, and back', () => {
    const sorry = {
      address: '10.9.9.9',
      family: 'inet' as const,
      port: 80,
      forwardingMethod: 'NAT' as const,
      tunnel: null,
      inhibit: false,
    };
    const vs = vsWith(2, { quorum: 2, sorryServer: sorry });
    let st = vsInit(vs, states(vs, [alive(), alive()])).state;
    const table = () =>
      desiredTable(config([vs]), { virtualServers: new Map([[vs.key, st]]) }).services[0]!.destinations.map(
        (d) => `${d.key}=${d.weight}`,
      );
    expect(table()).toEqual(['10.1.1.1|80=1', '10.1.1.2|80=1']);
    let r = vsApply(vs, st, vs.realServers[0]!, dead());
    st = r.state;
    expect(kinds(r.events)).toEqual(['rs-down', 'quorum-down', 'sorry-in', 'alive-pool']);
    expect(table()).toEqual(['10.9.9.9|80=1']);
    r = vsApply(vs, st, vs.realServers[0]!, alive());
    st = r.state;
    expect(kinds(r.events)).toEqual(['rs-up', 'quorum-up', 'sorry-out', 'alive-pool']);
    expect(table()).toEqual(['10.1.1.1|80=1', '10.1.1.2|80=1']);
  });

  it('starts with quorum down and the sorry server in; sorry_server_inhibit keeps it at 0 otherwise', () => {
    const sorry = {
      address: '10.9.9.9',
      family: 'inet' as const,
      port: 80,
      forwardingMethod: 'NAT' as const,
      tunnel: null,
      inhibit: true,
    };
    const vs = vsWith(1, { sorryServer: sorry });
    const init = vsInit(vs, states(vs, [dead()]));
    expect(kinds(init.events)).toEqual(['quorum-down', 'sorry-in', 'alive-pool']);
    expect(init.events[0]).toMatchObject({ phase: 'init' });
    const t = (st: VsState) =>
      desiredTable(config([vs]), { virtualServers: new Map([[vs.key, st]]) }).services[0]!.destinations.map(
        (d) => `${d.key}=${d.weight}`,
      );
    expect(t(init.state)).toEqual(['10.9.9.9|80=1']);
    const up = vsApply(vs, init.state, vs.realServers[0]!, alive());
    expect(t(up.state)).toEqual(['10.1.1.1|80=1', '10.9.9.9|80=0']);
  });

  it('expands a virtual_server_group: one service per entry and per range address', () => {
    const vs = virtualServer('0.0.0.0', 80, [realServer('10.1.1.1', 80, [])], {
      key: 'group:G:80',
      address: null,
      group: 'G',
    });
    const loc = { file: 't', line: 1 };
    const cfg = config([vs], {
      virtualServerGroups: [
        {
          name: 'G',
          loc,
          entries: [
            { kind: 'address', family: 'inet', address: '10.0.0.1', lastAddress: null, port: 80, loc },
            {
              kind: 'address',
              family: 'inet',
              address: '10.0.0.10',
              lastAddress: '10.0.0.12',
              port: 8080,
              loc,
            },
            { kind: 'fwmark', fwmark: 7, family: 'inet', loc },
          ],
        },
      ],
    });
    const st = vsInit(vs, states(vs, [alive()])).state;
    const t = desiredTable(cfg, { virtualServers: new Map([[vs.key, st]]) });
    expect(t.services.map((s) => [s.key, s.protocol, s.address, s.port, s.fwmark])).toEqual([
      ['group:G:80#0', 'TCP', '10.0.0.1', 80, null],
      ['group:G:80#1.0', 'TCP', '10.0.0.10', 8080, null],
      ['group:G:80#1.1', 'TCP', '10.0.0.11', 8080, null],
      ['group:G:80#1.2', 'TCP', '10.0.0.12', 8080, null],
      ['group:G:80#2', null, null, null, 7],
    ]);
    expect(t.services.every((s) => s.destinations.length === 1)).toBe(true);
  });

  it('expands IPv6 ranges', () => {
    expect(expandRange('2001:db8::fe', '2001:db8::101')).toEqual([
      '2001:db8::fe',
      '2001:db8::ff',
      '2001:db8::100',
      '2001:db8::101',
    ]);
  });
});

describe('drained real servers (docs/control.md)', () => {
  const sorry = {
    address: '10.9.9.9',
    family: 'inet' as const,
    port: 80,
    forwardingMethod: 'NAT' as const,
    tunnel: null,
    inhibit: false,
  };
  const weights = (vs: VirtualServer, st: VsState, drained: Set<string>) =>
    desiredTable(
      config([vs]),
      { virtualServers: new Map([[vs.key, st]]) },
      drained,
    ).services[0]!.destinations.map((d) => `${d.key}=${d.weight}`);

  it('a drained live server stays in the table at weight 0; the others keep theirs', () => {
    const vs = vsWith(2, {}, [5, 3]);
    const st = vsInit(vs, states(vs, [alive(5), alive(3)])).state;
    expect(weights(vs, st, new Set([drainKey(vs.key, '10.1.1.1|80')]))).toEqual([
      '10.1.1.1|80=0',
      '10.1.1.2|80=3',
    ]);
    expect(weights(vs, st, new Set())).toEqual(['10.1.1.1|80=5', '10.1.1.2|80=3']);
  });

  it('a drained server that is down is not added back, and an inhibited one stays at 0', () => {
    const rs = [
      realServer('10.1.1.1', 80, [], { weight: 2 }),
      realServer('10.1.1.2', 80, [], { weight: 2, inhibitOnFailure: true }),
    ];
    const vs = virtualServer('10.0.0.1', 80, rs);
    const st = vsInit(vs, states(vs, [dead(2), dead(2)])).state;
    const all = new Set(rs.map((r) => drainKey(vs.key, r.key)));
    expect(weights(vs, st, all)).toEqual(['10.1.1.2|80=0']);
  });

  it('drain keys name one virtual server: the same real server elsewhere is not drained', () => {
    const a = vsWith(1);
    const b = virtualServer('10.0.0.2', 80, [realServer('10.1.1.1', 80, [], { weight: 1 })]);
    const health = {
      virtualServers: new Map([
        [a.key, vsInit(a, states(a, [alive()])).state],
        [b.key, vsInit(b, states(b, [alive()])).state],
      ]),
    };
    const t = desiredTable(config([a, b]), health, new Set([drainKey(a.key, '10.1.1.1|80')]));
    expect(t.services.map((s) => s.destinations.map((d) => d.weight))).toEqual([[0], [1]]);
  });

  it('drain does not change health or quorum: with quorum lost the sorry server still takes over', () => {
    const vs = vsWith(2, { quorum: 2, sorryServer: sorry });
    const drained = new Set([drainKey(vs.key, '10.1.1.2|80')]);
    let st = vsInit(vs, states(vs, [alive(), alive()])).state;
    expect(st.quorumUp).toBe(true);
    expect(weights(vs, st, drained)).toEqual(['10.1.1.1|80=1', '10.1.1.2|80=0']);
    st = vsApply(vs, st, vs.realServers[0]!, dead()).state;
    expect(weights(vs, st, drained)).toEqual(['10.9.9.9|80=1']);
  });
});

describe('shutdown (omega)', () => {
  it('shuts down live servers; with omega runs notify_down and quorum_down', () => {
    const base = vsWith(2);
    const st = vsInit(base, states(base, [alive(), dead()])).state;
    expect(vsShutdown(base, st)).toMatchObject([{ kind: 'rs-shutdown', rs: '10.1.1.1|80', notify: false }]);
    const omega = { ...base, omega: true, quorumDown: script(['/bin/true']) };
    expect(kinds(vsShutdown(omega, st))).toEqual(['rs-shutdown', 'quorum-down']);
    expect(vsShutdown(omega, st)[0]).toMatchObject({ notify: true });
  });
});

describe('destination changes', () => {
  const d = (key: string, weight: number): DesiredDestination => ({
    key,
    address: `192.168.0.${key.charCodeAt(0) - 96}`,
    family: 'inet',
    port: 80,
    weight,
    forwardingMethod: 'NAT',
    tunnel: null,
    uthreshold: 0,
    lthreshold: 0,
  });

  it('lists what was taken out, then what was set, for each service of the virtual server', () => {
    expect(destinationChanges(['vs', 'vs#1'], [d('a', 1), d('b', 1)], [d('b', 0), d('c', 1)])).toEqual([
      { service: 'vs', key: 'a', destination: null },
      { service: 'vs#1', key: 'a', destination: null },
      { service: 'vs', key: 'b', destination: d('b', 0) },
      { service: 'vs#1', key: 'b', destination: d('b', 0) },
      { service: 'vs', key: 'c', destination: d('c', 1) },
      { service: 'vs#1', key: 'c', destination: d('c', 1) },
    ]);
    expect(destinationChanges(['vs'], [d('a', 1)], [d('a', 1)])).toEqual([]);
  });

  it('applied to a keyed table give the destinations after, and keep untouched services', () => {
    const arbList = fc
      .subarray(['a', 'b', 'c', 'd', 'e'])
      .chain((keys) => fc.tuple(...keys.map((k) => fc.nat(3).map((w) => d(k, w)))));
    checkProperty(
      'table-destination-changes',
      [arbList, arbList],
      (before, after) => {
        const other = { ...desiredService('other'), destinations: [d('z', 1)] };
        const keyed = keyedTable({ services: [{ ...desiredService('vs'), destinations: before }, other] });
        applyDestinationChanges(keyed, destinationChanges(['vs'], before, after));
        const [vs, untouched] = tableOfKeyed(keyed).services;
        const byKey = (list: readonly DesiredDestination[]) =>
          [...list].sort((x, y) => x.key.localeCompare(y.key));
        expect(byKey(vs!.destinations)).toEqual(byKey(after));
        expect(untouched).toBe(other);
      },
      { numRuns: 200 },
    );
  });
});

function desiredService(key: string): DesiredService {
  const [service] = desiredTable(config([virtualServer('10.0.0.1', 80, [])]), {
    virtualServers: new Map(),
  }).services;
  return { ...service!, key };
}
