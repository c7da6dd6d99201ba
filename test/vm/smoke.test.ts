/**
 * VM tier smoke test: proves the harness boots a real IPVS kernel and that everything the IPVS tests
 * rely on works inside it. One boot runs every check (sections on stdout), so the host asserts each.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { DIST_ENTRY, ensureBuilt } from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';
import {
  bundleForVm,
  prepareVm,
  REPO_ROOT,
  runInVm,
  runInVmOk,
  runVitestInVm,
  VmError,
  vmPrerequisites,
  type VmKernel,
  guestSections,
} from './harness.js';

const describeVm = tierDescribe('vm', [
  ...vmPrerequisites(),
  ...(existsOnHost('ipvsadm') ? [] : ['ipvsadm (apt ipvsadm)']),
]);

function existsOnHost(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** 300 TCP_CHECKs: more descriptors than a limit of 256 allows. */
function rlimitConfig(): string {
  const out: string[] = [];
  for (let v = 0; v < 15; v++) {
    out.push(`virtual_server 10.9.0.${v} 80 {`, '  lb_algo rr', '  lb_kind NAT', '  protocol TCP');
    for (let r = 0; r < 20; r++)
      out.push(`  real_server 10.9.1.${v * 20 + r} 80 {`, '    TCP_CHECK {', '    }', '  }');
    out.push('}');
  }
  return out.join('\n') + '\n';
}

describeVm('vm tier smoke', () => {
  let kernel: VmKernel;
  let genlProgram: string;

  beforeAll(async () => {
    ensureBuilt();
    kernel = await prepareVm();
    genlProgram = await bundleForVm('test/vm/guest/genl-family.ts');
  });

  it('runs IPVS, Node, namespaces and generic netlink in one boot of the Debian kernel', async () => {
    const script = `
set -u
echo "### kernel"; uname -r
echo "### proc"; if [ -e /proc/net/ip_vs ]; then echo present; else echo absent; fi
echo "### ipvsadm"
ipvsadm -A -t 10.0.0.1:80 -s rr && ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -m && ipvsadm -Ln
echo "### node"
node -e 'console.log(JSON.stringify({ version: process.version, netlink: require.resolve("netlink"), cwd: process.cwd() }))'
echo "### netns"
ip netns add kts-vm-a && ip netns add kts-vm-b
ip link add kts-vm-va type veth peer name kts-vm-vb
ip link set kts-vm-va netns kts-vm-a && ip link set kts-vm-vb netns kts-vm-b
ip -n kts-vm-a addr add 10.77.0.1/24 dev kts-vm-va && ip -n kts-vm-b addr add 10.77.0.2/24 dev kts-vm-vb
ip -n kts-vm-a link set kts-vm-va up && ip -n kts-vm-b link set kts-vm-vb up
ip netns exec kts-vm-a busybox ping -c 1 -W 5 10.77.0.2 >/dev/null && echo "ping ok"
ip netns exec kts-vm-a ipvsadm -A -u 10.0.0.2:53 -s wlc
echo "### table-a"; ip netns exec kts-vm-a ipvsadm -Ln
echo "### table-b"; ip netns exec kts-vm-b ipvsadm -Ln
echo "### table-root"; ipvsadm -Ln
echo "### genl-iproute"; genl ctrl get name IPVS | sed -n 's/.*ID: *\\(0x[0-9a-f]*\\).*/\\1/p'
echo "### genl-node"; node ${genlProgram} IPVS
echo "### genl-node-netns"; ip netns exec kts-vm-a node ${genlProgram} IPVS
echo "### genl-node-unknown"; node ${genlProgram} KTS_NO_SUCH_FAMILY 2>&1; echo "exit=$?"
echo "### rlimit"
prlimit --nofile=256:256 -- node ${DIST_ENTRY} -n -l -D -C --no-ipvs -f "$KTS_VM_RESULTS/rlimit.conf" --runtime-dir /tmp/rl-run -p /tmp/rl.pid -c /tmp/rl-c.pid > /tmp/rl.log 2>&1 &
pid=$!
for i in $(seq 1 150); do grep -q "Starting Healthcheck child process" /tmp/rl.log && break; sleep 0.2; done
grep "Max open files" /proc/$pid/limits
grep -o "Set open file limit to .*" /tmp/rl.log || cat /tmp/rl.log
kill -TERM $pid; wait $pid; echo "exit=$?"
echo "### end"
`;
    const run = await runInVmOk({ script, timeoutMs: 240_000, files: { 'rlimit.conf': rlimitConfig() } });
    const s = guestSections(run.stdout);
    const at = (name: string): string => s.get(name) ?? `<section ${name} missing>`;

    expect(at('kernel').trim()).toBe(kernel.version);
    expect(at('proc').trim()).toBe('present');
    expect(at('ipvsadm')).toMatch(/^TCP {2}10\.0\.0\.1:80 rr\s*$/m);
    expect(at('ipvsadm')).toMatch(/^ {2}-> 10\.0\.1\.1:80\s+Masq\s+1\s+0\s+0\s*$/m);

    const node = JSON.parse(at('node')) as { version: string; netlink: string; cwd: string };
    expect(node.version).toBe(process.version);
    expect(node.cwd).toBe(REPO_ROOT);
    expect(node.netlink.startsWith(`${REPO_ROOT}/node_modules/netlink/`)).toBe(true);

    // Each namespace has its own IPVS table.
    expect(at('netns')).toContain('ping ok');
    expect(at('table-a')).toMatch(/^UDP {2}10\.0\.0\.2:53 wlc\s*$/m);
    expect(at('table-a')).not.toContain('10.0.0.1:80');
    expect(at('table-b')).not.toMatch(/10\.0\.0\.[12]:/);
    expect(at('table-root')).toContain('10.0.0.1:80');
    expect(at('table-root')).not.toContain('10.0.0.2:53');

    // The netlink package resolves the same IPVS family id as iproute2's genl, in any namespace.
    const expectedId = Number.parseInt(at('genl-iproute').trim(), 16);
    expect(expectedId).toBeGreaterThanOrEqual(16);
    const family = JSON.parse(at('genl-node')) as { family: string; familyId: number; version: number };
    expect(family).toMatchObject({ family: 'IPVS', familyId: expectedId });
    expect(family.version).toBeGreaterThanOrEqual(1);
    expect((JSON.parse(at('genl-node-netns')) as { familyId: number }).familyId).toBe(expectedId);
    expect(at('genl-node-unknown')).toMatch(/genl-family: .*\nexit=1\n$/);
    // As root with CAP_SYS_RESOURCE (the guest; not the containers the netns tier runs in) the
    // daemon raises a hard limit of 256 to what its 300 checkers need, as keepalived's
    // set_max_file_limit does (test/netns/open-files.test.ts covers the refused case).
    const limits = /Max open files\s+(\d+)\s+(\d+)/.exec(at('rlimit'));
    expect(limits, at('rlimit')).not.toBeNull();
    const [soft, hard] = [Number(limits![1]), Number(limits![2])];
    expect(soft, at('rlimit')).toBeGreaterThan(300);
    expect(hard).toBe(soft);
    expect(at('rlimit')).toContain(`Set open file limit to ${soft}:${hard}.`);
    expect(at('rlimit')).toMatch(/exit=0\s*$/);
    expect(s.has('end')).toBe(true);
  });

  it('returns the guest exit code, stdout, stderr and result files', async () => {
    const run = await runInVm({
      script:
        'cat "$KTS_VM_RESULTS/in.txt" > "$KTS_VM_RESULTS/out.txt"; echo "out $KTS_VM $GREETING"; echo err >&2; exit 7',
      env: { GREETING: "it's here" },
      files: { 'in.txt': 'payload\n' },
      collect: ['out.txt', 'never-written.txt'],
      timeoutMs: 120_000,
    });
    expect(run.exitCode).toBe(7);
    expect(run.stdout).toBe("out 1 it's here\n");
    expect(run.stderr).toBe('err\n');
    expect(run.files).toEqual({ 'out.txt': 'payload\n' });
    expect(run.log).toContain('reboot: Power down');
    rmSync(run.resultsDir, { recursive: true, force: true });
    const rejected = await runInVmOk({ script: 'echo why >&2; exit 3', timeoutMs: 120_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rejected).toBeInstanceOf(VmError);
    expect((rejected as VmError).message).toMatch(/exited 3[\s\S]*guest stderr\nwhy/);
    rmSync((rejected as VmError).result.resultsDir, { recursive: true, force: true });
  });

  it('kills a hung guest at the host-side timeout and leaves no qemu behind', async () => {
    const error = await runInVm({ script: 'sleep 600', timeoutMs: 15_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VmError);
    const vmError = error as VmError;
    expect(vmError.message).toMatch(/timed out after 15000 ms/);
    const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(processes).not.toContain(vmError.result.resultsDir);
    rmSync(vmError.result.resultsDir, { recursive: true, force: true });
  });

  it('runs guest-side vitest files and returns their JSON report', async () => {
    const { run, report } = await runVitestInVm(['test/vm/guest/ipvs-proc.guest.ts']);
    const failures = report.testResults.flatMap((file) => [
      ...(file.message ? [file.message] : []),
      ...file.assertionResults.flatMap((a) => a.failureMessages),
    ]);
    expect(failures).toEqual([]);
    expect(report.success).toBe(true);
    expect(report.numPassedTests).toBe(2);
    expect(run.exitCode).toBe(0);
  });
});
