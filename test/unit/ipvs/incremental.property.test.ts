// Destination changes applied incrementally (ipvs/desired.ts DesiredKernelTable.applyChanges,
// reconcile.ts reconcileTouched) give the kernel the same table as the full path (toKernelTable
// of the whole desired table, then reconcile), change batch after change batch, starting from a
// kernel that matched the first table (with foreign services beside ours).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkProperty } from '../../support/property.js';
import { applyDestinationChanges, keyedTable, tableOfKeyed } from '../../../src/check/table.js';
import type {
  DesiredDestination,
  DesiredDestinationChange,
  DesiredService,
  DesiredTable,
} from '../../../src/contracts/ipvs-table.js';
import { DesiredKernelTable, toKernelTable } from '../../../src/ipvs/desired.js';
import { applyOps, reconcile, reconcileTouched } from '../../../src/ipvs/reconcile.js';
import type { IpvsTable } from '../../../src/ipvs/types.js';

const noFlags = {
  onePacket: false,
  shPort: false,
  shFallback: false,
  mhPort: false,
  mhFallback: false,
  sched1: false,
  sched2: false,
  sched3: false,
};

// Small pools: DR destinations on two ports are one kernel destination, 'bad' is no address,
// two services may share an IPVS identity.
const arbDest = (key: string): fc.Arbitrary<DesiredDestination> =>
  fc.record({
    key: fc.constant(key),
    address: fc.constantFrom('192.168.0.1', '192.168.0.2', 'bad'),
    family: fc.constant('inet' as const),
    port: fc.constantFrom(80, 8080),
    weight: fc.constantFrom(0, 1, 3),
    forwardingMethod: fc.constantFrom('NAT' as const, 'DR' as const),
    tunnel: fc.constant(null),
    uthreshold: fc.constantFrom(0, 10),
    lthreshold: fc.constant(0),
  });
const DEST_KEYS = ['a', 'b', 'c', 'd'];
const SERVICE_KEYS = ['s0', 's1', 's2', 's3'];

const arbService = (key: string): fc.Arbitrary<DesiredService> =>
  fc
    .record({
      address: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
      scheduler: fc.constantFrom('rr', 'wlc'),
      keys: fc.subarray(DEST_KEYS),
    })
    .chain(({ address, scheduler, keys }) =>
      fc.tuple(...keys.map(arbDest)).map((destinations) => ({
        key,
        family: 'inet' as const,
        protocol: 'TCP' as const,
        address,
        port: 80,
        fwmark: null,
        scheduler,
        persistenceTimeout: 0,
        persistenceGranularity: null,
        flags: noFlags,
        destinations,
      })),
    );

const arbTable: fc.Arbitrary<DesiredTable> = fc
  .subarray(SERVICE_KEYS, { minLength: 1 })
  .chain((keys) => fc.tuple(...keys.map(arbService)))
  .map((services) => ({ services }));

const arbChange: fc.Arbitrary<DesiredDestinationChange> = fc
  .record({
    service: fc.constantFrom(...SERVICE_KEYS, 'unknown'),
    key: fc.constantFrom(...DEST_KEYS),
    out: fc.boolean(),
  })
  .chain(({ service, key, out }) =>
    (out ? fc.constant(null) : arbDest(key)).map((destination) => ({ service, key, destination })),
  );

/** A foreign service the kernel holds beside ours (never touched). */
const foreign: IpvsTable['services'] = new Map([
  [
    'tcp|10.9.9.9|80',
    {
      service: {
        id: { kind: 'addr', family: 'inet', protocol: 6, address: '10.9.9.9', port: 80 },
        scheduler: 'rr',
        flags: 0,
        timeout: 0,
        netmask: 0xffffffff,
        peName: null,
      },
      destinations: new Map(),
    },
  ],
]);

/** A table as sorted plain data (destination order in a map carries no meaning). */
function canonical(t: IpvsTable): unknown {
  return [...t.services]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, s]) => [k, s.service, [...s.destinations].sort(([a], [b]) => a.localeCompare(b))]);
}

describe('incremental destination changes', () => {
  it('equal the full reconcile, batch after batch', () => {
    checkProperty(
      'ipvs-incremental-equals-full',
      [arbTable, fc.array(fc.array(arbChange, { maxLength: 6 }), { minLength: 1, maxLength: 5 })],
      (first, batches) => {
        const { kernel } = DesiredKernelTable.build(first);
        const owned = new Set(kernel.table.services.keys());
        const empty: IpvsTable = { services: foreign };
        let actual = applyOps(empty, reconcile(kernel.table, empty, owned));
        const host = keyedTable(first);
        for (const changes of batches) {
          applyDestinationChanges(host, changes);
          const whole = toKernelTable(tableOfKeyed(host)).table;
          const { touched } = kernel.applyChanges(changes);
          expect(canonical(kernel.table)).toEqual(canonical(whole));
          const incremental = applyOps(actual, reconcileTouched(kernel.table, actual, touched));
          const full = applyOps(actual, reconcile(whole, actual, owned));
          expect(canonical(incremental)).toEqual(canonical(full));
          actual = incremental;
        }
      },
      { numRuns: 300 },
    );
  });

  it('touch only the kernel destinations that changed', () => {
    const dest = (key: string, address: string, weight: number): DesiredDestination => ({
      key,
      address,
      family: 'inet',
      port: 80,
      weight,
      forwardingMethod: 'NAT',
      tunnel: null,
      uthreshold: 0,
      lthreshold: 0,
    });
    const table: DesiredTable = {
      services: [
        {
          key: 's',
          family: 'inet',
          protocol: 'TCP',
          address: '10.0.0.1',
          port: 80,
          fwmark: null,
          scheduler: 'rr',
          persistenceTimeout: 0,
          persistenceGranularity: null,
          flags: noFlags,
          destinations: [dest('a', '192.168.0.1', 1), dest('b', '192.168.0.2', 1)],
        },
      ],
    };
    const { kernel } = DesiredKernelTable.build(table);
    const actual = applyOps(
      { services: new Map() },
      reconcile(kernel.table, { services: new Map() }, new Set()),
    );
    const { touched, problems } = kernel.applyChanges([
      { service: 's', key: 'b', destination: dest('b', '192.168.0.2', 0) },
      { service: 's', key: 'c', destination: dest('c', 'not-an-address', 1) },
      { service: 'gone', key: 'a', destination: null },
    ]);
    expect(touched).toEqual([{ service: 'tcp|10.0.0.1|80', dest: '192.168.0.2|80' }]);
    expect(problems).toEqual(['real server c: address not-an-address is not inet']);
    expect(reconcileTouched(kernel.table, actual, touched)).toMatchObject([
      { kind: 'edit-dest', dest: { address: '192.168.0.2', weight: 0 } },
    ]);
  });
});
