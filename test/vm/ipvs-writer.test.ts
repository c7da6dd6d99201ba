/**
 * VM tier: the writer against a real IPVS kernel. One boot: program services of every kind
 * (each scheduler, TCP/UDP/SCTP, fwmark, persistence with granularity, NAT/DR/TUN, thresholds,
 * IPv6), compare our dump's `-Ln` rendering with ipvsadm's, check a no-change apply sends
 * nothing, then a second process converges on the table with changes while a foreign service
 * survives, and a clean stop leaves only the foreign service.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, expect, it } from 'vitest';
import { tierDescribe } from '../support/tier.js';
import { bundleForVm, prepareVm, REPO_ROOT, runInVmOk, vmPrerequisites } from './harness.js';

function existsOnHost(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const describeVm = tierDescribe('vm', [
  ...vmPrerequisites(),
  ...(existsOnHost('ipvsadm') ? [] : ['ipvsadm (apt ipvsadm)']),
]);

function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  for (const line of stdout.split('\n')) {
    const h = /^### (\S+)$/.exec(line);
    if (h) {
      name = h[1]!;
      out.set(name, '');
    } else if (name) out.set(name, out.get(name)! + line + '\n');
  }
  return out;
}

/** Our section minus its JSON first line. */
const body = (s: string | undefined) => (s ?? '').split('\n').slice(1).join('\n');
const json = (s: string | undefined) => JSON.parse((s ?? '').split('\n')[0] ?? 'null');

describeVm('IPVS writer in the VM', () => {
  let out: Map<string, string>;
  beforeAll(async () => {
    await prepareVm();
    const guest = await bundleForVm(`${REPO_ROOT}/test/vm/guest/ipvs-scenarios.ts`);
    const cli = await bundleForVm(`${REPO_ROOT}/src/main.ts`);
    const script = `
set -e
modprobe ip_vs
for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos; do modprobe ip_vs_$s || true; done
modprobe ip_vs_sh; modprobe ipip || true; modprobe ip_gre || true
node ${guest} start > /tmp/start.out
cat /tmp/start.out
echo '### ipvsadm-start'; ipvsadm -Ln
echo '### ours-cmd'; node ${cli} ipvs
ipvsadm -A -u 10.99.0.1:53 -s rr
node ${guest} change
echo '### ipvsadm-stop'; ipvsadm -Ln
`;
    const r = await runInVmOk({ script, timeoutMs: 600_000 });
    out = sections(r.stdout);
  }, 900_000);

  it('programs every kind of service and our -Ln rendering equals ipvsadm -Ln', () => {
    // 19 services; destinations: 14 schedulers x 2 + udp 1 + sctp 1 + persist 1 + fwmark 2 + v6 1 = 34
    expect(json(out.get('start'))).toEqual({ ops: 53, failed: 0 });
    expect(out.get('ours-cmd')).toBe(out.get('ipvsadm-start'));
    expect(body(out.get('start')).trim()).toBe((out.get('ipvsadm-start') ?? '').trim());
    expect(out.get('ipvsadm-start')).toContain('FWM  7 sh (sh-fallback,sh-port)');
    expect(out.get('ipvsadm-start')).toContain('TCP  10.10.0.1:443 wlc persistent 300 mask 255.255.255.0');
    expect(out.get('ipvsadm-start')).toContain('UDP  10.10.0.1:53 rr ops');
    expect(out.get('ipvsadm-start')).toMatch(/SCTP {2}10\.10\.0\.1:5060 wlc/);
    expect(out.get('ipvsadm-start')).toContain('TCP  [2001:db8::1]:80 wlc persistent 60 mask 64');
    expect(out.get('ipvsadm-start')).toMatch(/-> 192\.168\.50\.6:0 +Tunnel/);
  });

  it('a no-change apply sends no operation', () => {
    expect(json(out.get('again'))).toEqual({ ops: 0, failed: 0 });
  });

  it('a restarted writer converges with the minimal ops and keeps the foreign service; stop removes only ours', () => {
    // scheduler change (1) + weight 0 on .1 (1) + drop .2 (1) + add .9 (1)
    expect(json(out.get('change'))).toEqual({ ops: 4, failed: 0 });
    expect(body(out.get('change'))).toMatch(
      /TCP {2}10\.10\.0\.1:1000 wrr\n {2}-> 192\.168\.50\.1:8080 +Masq +0 /,
    );
    expect(body(out.get('change'))).toContain('UDP  10.99.0.1:53 rr');
    expect(json(out.get('stop')).failed).toBe(0);
    const after = out.get('ipvsadm-stop') ?? '';
    expect(after).toContain('UDP  10.99.0.1:53 rr');
    expect(after).not.toContain('10.10.0.1');
    expect((out.get('log') ?? '').trim()).toBe('');
  });
});
