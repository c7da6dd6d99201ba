import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkProperty } from '../../support/property.js';
import { applyOps, reconcile, sameDest, sameService, type Op } from '../../../src/ipvs/reconcile.js';
import { destinationKey, serviceKey } from '../../../src/ipvs/messages.js';
import type { DestinationSpec, IpvsTable, ServiceSpec } from '../../../src/ipvs/types.js';

// Small pools so desired and actual share identities often.
const arbId = fc.oneof(
  fc.record({
    kind: fc.constant('addr' as const),
    family: fc.constant('inet' as const),
    protocol: fc.constantFrom(6, 17),
    address: fc.constantFrom('10.0.0.1', '10.0.0.2'),
    port: fc.constantFrom(80, 443),
  }),
  fc.record({
    kind: fc.constant('fwmark' as const),
    family: fc.constantFrom('inet' as const, 'inet6' as const),
    fwmark: fc.constantFrom(1, 2),
  }),
);
const arbService: fc.Arbitrary<ServiceSpec> = fc.record({
  id: arbId,
  scheduler: fc.constantFrom('rr', 'wlc', 'sh'),
  flags: fc.constantFrom(0, 1, 0x19),
  timeout: fc.constantFrom(0, 300),
  netmask: fc.constantFrom(0xffffffff, 0xffffff00),
  peName: fc.constant(null),
});
const arbDest: fc.Arbitrary<DestinationSpec> = fc
  .record({
    family: fc.constant('inet' as const),
    address: fc.constantFrom('192.168.0.1', '192.168.0.2', '192.168.0.3'),
    port: fc.constantFrom(80, 8080),
    forwarding: fc.constantFrom('NAT' as const, 'DR' as const, 'TUN' as const),
    weight: fc.constantFrom(0, 1, 5),
    upperThreshold: fc.constantFrom(0, 100),
    lowerThreshold: fc.constant(0),
    tunnel: fc.constant(null),
  })
  .map((d) => ({
    ...d,
    tunnel: d.forwarding === 'TUN' ? { type: 'ipip' as const, port: 0, flags: 0 } : null,
  }));

const arbTable: fc.Arbitrary<IpvsTable> = fc
  .array(fc.tuple(arbService, fc.array(arbDest, { maxLength: 4 })), { maxLength: 5 })
  .map((list) => {
    const services = new Map<string, { service: ServiceSpec; destinations: Map<string, DestinationSpec> }>();
    for (const [s, ds] of list) {
      const destinations = new Map<string, DestinationSpec>();
      for (const d of ds) destinations.set(destinationKey(d), d);
      services.set(serviceKey(s.id), { service: s, destinations });
    }
    return { services };
  });

const arbCase = fc
  .tuple(arbTable, arbTable, fc.array(fc.nat(10), { maxLength: 4 }))
  .map(([desired, actual, picks]) => {
    const actualKeys = [...actual.services.keys()];
    const owned = new Set(
      picks.map((i) => actualKeys[i % Math.max(1, actualKeys.length)]).filter((k): k is string => !!k),
    );
    return { desired, actual, owned };
  });

/** The goal: desired services match; owned leftovers gone; foreign services untouched. */
function converged(
  desired: IpvsTable,
  actual: IpvsTable,
  after: IpvsTable,
  owned: ReadonlySet<string>,
): boolean {
  for (const [k, d] of desired.services) {
    const a = after.services.get(k);
    if (!a || !sameService(d.service, a.service)) return false;
    if (a.destinations.size !== d.destinations.size) return false;
    for (const [dk, dd] of d.destinations) {
      const ad = a.destinations.get(dk);
      if (!ad || !sameDest(dd, ad)) return false;
    }
  }
  for (const [k, a] of actual.services) {
    if (desired.services.has(k)) continue;
    const now = after.services.get(k);
    if (owned.has(k)) {
      if (now) return false;
    } else if (
      JSON.stringify([now?.service, [...(now?.destinations ?? [])]]) !==
      JSON.stringify([a.service, [...a.destinations]])
    )
      return false;
  }
  return true;
}

describe('reconcile', () => {
  it('applying the ops to the actual table yields the desired one, foreign services untouched', () => {
    checkProperty(
      'reconcile-converges',
      [arbCase],
      ({ desired, actual, owned }) => {
        const ops = reconcile(desired, actual, owned);
        const after = applyOps(actual, ops);
        expect(converged(desired, actual, after, owned)).toBe(true);
        // Foreign services are never the subject of an op.
        for (const op of ops) {
          const key = serviceKey(
            op.kind === 'add-service' || op.kind === 'edit-service' ? op.service.id : op.service,
          );
          expect(desired.services.has(key) || owned.has(key)).toBe(true);
        }
        // Converged means nothing left to do.
        expect(reconcile(desired, after, owned)).toEqual([]);
      },
      { seed: 424242, numRuns: 500 },
    );
  });

  it('is minimal: dropping any single op leaves the table unconverged', () => {
    checkProperty(
      'reconcile-minimal',
      [arbCase],
      ({ desired, actual, owned }) => {
        const ops = reconcile(desired, actual, owned);
        for (let i = 0; i < ops.length; i++) {
          const fewer: Op[] = ops.filter((_, j) => j !== i);
          expect(converged(desired, actual, applyOps(actual, fewer), owned)).toBe(false);
        }
      },
      { seed: 777, numRuns: 300 },
    );
  });

  const base = (): IpvsTable => {
    const s: ServiceSpec = {
      id: { kind: 'addr', family: 'inet', protocol: 6, address: '10.0.0.1', port: 80 },
      scheduler: 'wlc',
      flags: 0,
      timeout: 0,
      netmask: 0xffffffff,
      peName: null,
    };
    const d: DestinationSpec = {
      family: 'inet',
      address: '192.168.0.1',
      port: 80,
      forwarding: 'NAT',
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
      tunnel: null,
    };
    return {
      services: new Map([
        [serviceKey(s.id), { service: s, destinations: new Map([[destinationKey(d), d]]) }],
      ]),
    };
  };

  it('a weight change is one SET_DEST; a scheduler change is one SET_SERVICE', () => {
    const actual = base();
    const [[k, entry]] = [...actual.services] as [
      [string, { service: ServiceSpec; destinations: Map<string, DestinationSpec> }],
    ];
    const d = [...entry.destinations.values()][0]!;
    const desired: IpvsTable = {
      services: new Map([
        [
          k,
          {
            service: { ...entry.service, scheduler: 'rr' },
            destinations: new Map([[destinationKey(d), { ...d, weight: 0 }]]),
          },
        ],
      ]),
    };
    expect(reconcile(desired, actual, new Set()).map((o) => o.kind)).toEqual(['edit-service', 'edit-dest']);
  });

  it('treats a kernel LOCAL destination as matching a desired NAT one', () => {
    const actual = base();
    const entry = [...actual.services.values()][0]!;
    const d = [...entry.destinations.values()][0]!;
    const local = {
      services: new Map([
        [
          serviceKey(entry.service.id),
          {
            service: entry.service,
            destinations: new Map([[destinationKey(d), { ...d, forwarding: 'LOCAL' as const }]]),
          },
        ],
      ]),
    };
    expect(reconcile(actual, local, new Set())).toEqual([]);
  });

  it('leaves a foreign service alone and deletes an owned one', () => {
    const actual = base();
    const empty: IpvsTable = { services: new Map() };
    expect(reconcile(empty, actual, new Set())).toEqual([]);
    expect(reconcile(empty, actual, new Set(actual.services.keys())).map((o) => o.kind)).toEqual([
      'del-service',
    ]);
  });
});
