/**
 * Host side of `npm run bench:ipvs`: the writer's no-change reconcile and one-change apply on this
 * machine's CPU, without emulation. A no-change reconcile sends nothing to the kernel, so the
 * in-memory IPVS of the unit tier (test/unit/ipvs/fake-kernel.ts) stands in for it; the cold start
 * figure it prints is the fake kernel's, not a kernel's, and is not reported as one.
 * Prints one JSON line: medians and samples in ms.
 */
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../src/util/clock.js';
import { MemoryLogger } from '../src/util/log.js';
import { GenlConnection } from '../src/ipvs/genl-conn.js';
import { IpvsWriter } from '../src/ipvs/writer.js';
import type { DesiredService, DesiredTable } from '../src/contracts/ipvs-table.js';
import { FakeKernel } from '../test/unit/ipvs/fake-kernel.js';

const VS = Number(process.argv[2] ?? 2000);
const RS = Number(process.argv[3] ?? 20);
const ROUNDS = Number(process.argv[4] ?? 7);

const flags = {
  onePacket: false,
  shPort: false,
  shFallback: false,
  mhPort: false,
  mhFallback: false,
  sched1: false,
  sched2: false,
  sched3: false,
};

/** The same table as bench/ipvs-guest.ts, rebuilt as new objects each time (as the checker pool does). */
function desired(firstWeight = 1): DesiredTable {
  const services: DesiredService[] = [];
  for (let i = 0; i < VS; i++) {
    const destinations = [];
    for (let j = 0; j < RS; j++)
      destinations.push({
        key: `r${j}`,
        address: `10.${100 + (j >> 8)}.${j & 255}.${1 + (i % 250)}`,
        family: 'inet' as const,
        port: 80,
        weight: i === 0 && j === 0 ? firstWeight : 1,
        forwardingMethod: 'NAT' as const,
        tunnel: null,
        uthreshold: 0,
        lthreshold: 0,
      });
    services.push({
      key: `v${i}`,
      family: 'inet',
      protocol: 'TCP',
      address: `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
      port: 80,
      fwmark: null,
      scheduler: 'wlc',
      persistenceTimeout: 0,
      persistenceGranularity: null,
      flags,
      destinations,
    });
  }
  return { services };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const kernel = new FakeKernel();
const conn = new GenlConnection(kernel, { clock: new ManualClock() });
const log = new MemoryLogger();
const opened = await IpvsWriter.open(conn, log);
if (!opened.ok) throw new Error(opened.error.message);
const writer = opened.value;
const start = await writer.start({ flush: false, timeouts: null, desired: desired() });
const same: number[] = [];
const one: number[] = [];
let weight = 1;
for (let r = 0; r < ROUNDS; r++) {
  let t0 = performance.now();
  const s = await writer.apply(desired(weight));
  same.push(performance.now() - t0);
  if (s.ops !== 0) throw new Error(`no-change apply sent ${s.ops} ops`);
  weight = weight === 1 ? 5 : 1;
  t0 = performance.now();
  const o = await writer.apply(desired(weight));
  one.push(performance.now() - t0);
  if (o.ops !== 1 || o.failed !== 0) throw new Error(`one-change apply: ${JSON.stringify(o)}`);
}
console.log(
  JSON.stringify({
    start,
    sameMs: median(same),
    same,
    oneMs: median(one),
    one,
    errors: log.messages().slice(0, 3),
  }),
);
