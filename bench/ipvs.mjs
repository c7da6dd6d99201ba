// IPVS programming benchmark: `npm run bench:ipvs`. Needs a kernel with IPVS, so it boots the VM tier's
// guest (test/vm/harness.ts, TCG emulation) and, in that one VM, times for BENCH_VS virtual servers x
// BENCH_RS real servers (default 2,000 x 20 = 40,000 destinations):
//   - on the host CPU (bench/ipvs-host.ts): our no-change reconcile and one-change apply, which send
//     nothing / one request, against the unit tier's in-memory kernel;
//   - our writer (bench/ipvs-guest.ts): cold start on an empty table (in-process, and the whole `node`
//     process from exec to exit), a no-change reconcile, one changed destination, a full dump;
//   - `ipvsadm-restore` of the same table (process from exec to exit);
//   - keepalived 2.2.7 (`-n -l -C`, a generated config without checkers): from exec until the
//     last virtual server has all its real servers, then killed.
// Each tool runs BENCH_RUNS times (default 3) on a flushed table, alternating tools; medians are printed
// with every sample. Prints figures; asserts only that each run built the complete table.
// The TypeScript harness and guest are bundled with esbuild's JS API (no TypeScript loader needed).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VS = Number(process.env.BENCH_VS ?? 2000);
const RS = Number(process.env.BENCH_RS ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

// The harness finds the repo two levels above its own file: bundle it to .vm-cache/bench/.
const outDir = join(REPO, '.vm-cache', 'bench');
mkdirSync(outDir, { recursive: true });
const bundle = (entry, outfile) =>
  build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // npm packages resolve from the repo's node_modules, which the guest sees at the same path.
    packages: 'external',
    banner: {
      js: "import { createRequire as __ktsRequire } from 'node:module'; const require = __ktsRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
const harnessFile = join(outDir, `harness-${process.pid}.mjs`);
const guest = join(outDir, `ipvs-guest-${process.pid}.mjs`);
const hostBench = join(outDir, `ipvs-host-${process.pid}.mjs`);
await bundle(join(REPO, 'test', 'vm', 'harness.ts'), harnessFile);
await bundle(join(REPO, 'bench', 'ipvs-guest.ts'), guest);
await bundle(join(REPO, 'bench', 'ipvs-host.ts'), hostBench);

// On the host CPU first (no emulation): a no-change reconcile sends nothing to the kernel.
const host = JSON.parse(
  execFileSync(process.execPath, [hostBench, String(VS), String(RS), '7'], { encoding: 'utf8' }).trim(),
);
rmSync(hostBench, { force: true });
const { prepareVm, runInVm } = await import(pathToFileURL(harnessFile).href);
const kernel = await prepareVm();
const total = VS * RS;

// Every measurement starts in a fresh network namespace (IPVS state is per namespace): an empty
// table and an empty destination trash. Reusing one namespace after a flush is unfair to whoever
// comes next: the kernel keeps deleted destinations in a trash list for a few minutes and scans it
// on every add (ip_vs_trash_get_dest), which made later runs several times slower. Each namespace
// is flushed after its measurement so its estimators stop; all are deleted at the end.
// ipvsadm counts each table afterwards: /proc/net/ip_vs is not used, since reading a big table
// from it under-reported destinations on this kernel (checked against ipvsadm -Ln).
const script = `
set -eu
modprobe ip_vs_wlc
ms() { echo $(( ($2 - $1) / 1000000 )); }
fresh() { ip netns add "kts-ipvs2-b$1"; ip -n "kts-ipvs2-b$1" link set lo up; }
in_ns() { ns=$1; shift; ip netns exec "kts-ipvs2-b$ns" "$@"; }
dests() { in_ns "$1" ipvsadm -Ln | grep -c -- '^  -> [0-9]' || true; }
done_ns() { in_ns "$1" ipvsadm -C; }
node ${guest} files ${VS} ${RS} /tmp
echo "### lines"; wc -l < /tmp/restore.txt; wc -l < /tmp/keepalived.conf
n=0
for run in $(seq 1 ${RUNS}); do
  n=$((n+1)); fresh $n
  echo "### ours-$run"; in_ns $n node ${guest} ours ${VS} ${RS}
  echo "### ours-count-$run"; dests $n; done_ns $n
  n=$((n+1)); fresh $n
  s=$(date +%s%N); in_ns $n node ${guest} cold ${VS} ${RS} > /tmp/cold.out; e=$(date +%s%N)
  echo "### ours-process-$run"; echo "$(ms $s $e) $(dests $n)"; cat /tmp/cold.out; done_ns $n
  n=$((n+1)); fresh $n
  s=$(date +%s%N); in_ns $n ipvsadm-restore < /tmp/restore.txt; e=$(date +%s%N)
  echo "### restore-$run"; echo "$(ms $s $e) $(dests $n)"; done_ns $n
  n=$((n+1)); fresh $n
  echo "### keepalived-$run"; in_ns $n node ${guest} keepalived ${VS} ${RS} /tmp/keepalived.conf
  echo "### keepalived-count-$run"; dests $n; done_ns $n
done
for i in $(seq 1 $n); do ip netns del "kts-ipvs2-b$i"; done
`;

console.error(
  `bench:ipvs: ${VS} x ${RS} = ${total} destinations, ${RUNS} runs per tool, kernel ${kernel.version} under qemu TCG`,
);
const started = Date.now();
let r;
try {
  r = await runInVm({ script, timeoutMs: 3_600_000 });
} finally {
  rmSync(harnessFile, { force: true });
  rmSync(guest, { force: true });
}
if (r.exitCode !== 0) {
  console.error(`guest exited ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
  process.exit(1);
}

const sections = new Map();
let name = '';
for (const line of r.stdout.split('\n')) {
  const h = /^### (\S+)$/.exec(line);
  if (h) sections.set((name = h[1]), []);
  else if (name && line.trim()) sections.get(name).push(line);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const samples = { cold: [], coldProcess: [], same: [], one: [], dump: [], restore: [], keepalived: [] };
const problems = [];
for (let run = 1; run <= RUNS; run++) {
  const ours = JSON.parse(sections.get(`ours-${run}`)[0]);
  const oursCount = Number(sections.get(`ours-count-${run}`)[0]);
  if (oursCount !== total || ours.cold.failed !== 0 || ours.dumpedDestinations !== total)
    problems.push(`ours run ${run}: ${oursCount} destinations, ${JSON.stringify(ours)}`);
  samples.cold.push(ours.coldMs);
  samples.same.push(ours.sameMs);
  samples.one.push(ours.oneMs);
  samples.dump.push(ours.dumpMs);
  const [procMs, procDests] = sections.get(`ours-process-${run}`)[0].split(' ').map(Number);
  if (procDests !== total) problems.push(`ours process run ${run}: ${procDests} destinations`);
  samples.coldProcess.push(procMs);
  const [restoreMs, restoreDests] = sections.get(`restore-${run}`)[0].split(' ').map(Number);
  if (restoreDests !== total) problems.push(`ipvsadm-restore run ${run}: ${restoreDests} destinations`);
  samples.restore.push(restoreMs);
  const ka = JSON.parse(sections.get(`keepalived-${run}`)[0]);
  const kaCount = Number(sections.get(`keepalived-count-${run}`)[0]);
  if (kaCount !== total || ka.lastServiceDestinations !== RS)
    problems.push(`keepalived run ${run}: ${kaCount} destinations, ${JSON.stringify(ka)}`);
  samples.keepalived.push(ka.completeMs);
}

const fmt = (xs, digits = 0) =>
  `${median(xs).toFixed(digits)} ms  [${xs.map((x) => x.toFixed(digits)).join(', ')}]`;
const fastestOther = Math.min(median(samples.restore), median(samples.keepalived));
console.log(`IPVS bench: ${VS} virtual servers x ${RS} real servers = ${total} destinations`);
console.log(`VM: kernel ${kernel.version}, qemu TCG (no KVM), 2 vCPUs; medians of ${RUNS} runs [samples]`);
console.log(`  ours, cold start (writer.start, in process)   ${fmt(samples.cold)}`);
console.log(`  ours, cold start (whole node process)         ${fmt(samples.coldProcess)}`);
console.log(`  ipvsadm-restore (whole process)               ${fmt(samples.restore)}`);
console.log(`  keepalived 2.2.7 -C (exec to table complete)  ${fmt(samples.keepalived)}`);
console.log(`  ours, no-change reconcile                     ${fmt(samples.same)}`);
console.log(`  ours, one changed destination                 ${fmt(samples.one)}`);
console.log(`  ours, full dump (services + destinations)     ${fmt(samples.dump)}`);
console.log(`Host CPU, no emulation (bench/ipvs-host.ts; in-memory kernel, medians of 7):`);
console.log(`  ours, no-change reconcile                     ${fmt(host.same, 1)}`);
console.log(`  ours, one changed destination                 ${fmt(host.one, 1)}`);
console.log(
  `  ratios: ours process / fastest other = ${(median(samples.coldProcess) / fastestOther).toFixed(2)}, ` +
    `ours in-process / fastest other = ${(median(samples.cold) / fastestOther).toFixed(2)}`,
);
console.log(`  wall time of the VM run: ${Math.round((Date.now() - started) / 1000)} s`);
if (problems.length > 0) {
  console.error(`incomplete runs:\n${problems.join('\n')}`);
  process.exit(1);
}
