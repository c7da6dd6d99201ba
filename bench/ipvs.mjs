// IPVS programming benchmark (run with `npm run bench:ipvs`). Needs a kernel with IPVS, so it boots
// the VM tier's guest: 2,000 virtual servers x 20 real servers (40,000 destinations) from an empty
// table with our writer, then a no-change reconcile, then one changed destination; side by side in
// the same VM, `ipvsadm-restore` of the same table. Prints the figures (ms); asserts nothing.
// keepalived 2.2.7 (-n -l -C with absent checkers, polled via /proc/net/ip_vs) is not measured yet.
import { writeFileSync } from 'node:fs';

const VS = Number(process.env.BENCH_VS ?? 2000);
const RS = Number(process.env.BENCH_RS ?? 20);

const guestTs = `
import { realClock } from '../../src/util/clock.js';
import { MemoryLogger } from '../../src/util/log.js';
import { GenlConnection } from '../../src/ipvs/genl-conn.js';
import { IpvsWriter } from '../../src/ipvs/writer.js';
import { openGenericNetlink } from '../../src/net/netlink-socket.js';
const VS = ${VS}, RS = ${RS};
const flags = { onePacket: false, shPort: false, shFallback: false, mhPort: false, mhFallback: false, sched1: false, sched2: false, sched3: false };
function table(w = 1) {
  const services = [];
  for (let i = 0; i < VS; i++) {
    const destinations = [];
    for (let j = 0; j < RS; j++) destinations.push({ key: 'r' + j, address: '10.' + (100 + (j >> 8)) + '.' + (j & 255) + '.' + (1 + (i % 250)), family: 'inet', port: 80, weight: i === 0 && j === 0 ? w : 1, forwardingMethod: 'NAT', tunnel: null, uthreshold: 0, lthreshold: 0 });
    services.push({ key: 'v' + i, family: 'inet', protocol: 'TCP', address: '10.' + (1 + (i >> 16)) + '.' + ((i >> 8) & 255) + '.' + (i & 255), port: 80, fwmark: null, scheduler: 'wlc', persistenceTimeout: 0, persistenceGranularity: null, flags, destinations });
  }
  return { services };
}
const sock = openGenericNetlink();
if (!sock.ok) throw new Error(sock.error.message);
const conn = new GenlConnection(sock.value, { clock: realClock, timeoutMs: 120000 });
const log = new MemoryLogger();
const w = await IpvsWriter.open(conn, log);
if (!w.ok) throw new Error(w.error.message);
const t = table();
let t0 = performance.now();
const cold = await w.value.start({ flush: false, timeouts: null, desired: t });
const coldMs = performance.now() - t0;
t0 = performance.now();
const same = await w.value.apply(table());
const sameMs = performance.now() - t0;
t0 = performance.now();
const one = await w.value.apply(table(5));
const oneMs = performance.now() - t0;
console.log(JSON.stringify({ coldMs, cold, sameMs, same, oneMs, one, errors: log.messages().slice(0, 3) }));
conn.close();
`;

const { bundleForVm, runInVmOk, prepareVm, REPO_ROOT } = await import('../test/vm/harness.ts').catch(
  () => ({}),
);
if (!bundleForVm) {
  console.error(
    'bench:ipvs needs the VM harness (run through a TypeScript loader such as `npx tsx bench/ipvs.mjs`)',
  );
  process.exit(1);
}
await prepareVm();
const entry = `${REPO_ROOT}/.vm-cache/guest/bench-ipvs-guest.ts`;
writeFileSync(entry, guestTs.replaceAll('../../src/', `${REPO_ROOT}/src/`));
const guest = await bundleForVm(entry);
// The same table for ipvsadm-restore.
const lines = [];
for (let i = 0; i < VS; i++) {
  const vip = `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}:80`;
  lines.push(`-A -t ${vip} -s wlc`);
  for (let j = 0; j < RS; j++)
    lines.push(`-a -t ${vip} -r 10.${100 + (j >> 8)}.${j & 255}.${1 + (i % 250)}:80 -m -w 1`);
}
const script = `
set -e
modprobe ip_vs; modprobe ip_vs_wlc
echo '### ours'; node ${guest}
ipvsadm -C
echo '### restore'; s=$(date +%s%N); ipvsadm-restore < $KTS_VM_RESULTS/table.txt; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))
echo '### count'; grep -c -- '->' /proc/net/ip_vs || true
`;
const r = await runInVmOk({ script, timeoutMs: 900_000, files: { 'table.txt': lines.join('\n') + '\n' } });
console.log(r.stdout);
