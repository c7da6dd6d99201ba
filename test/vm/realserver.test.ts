/**
 * VM tier: `keepalived-ts realserver setup --mode tun` where the kernel has the tunnel modules
 * (the CI host's kernel has none, so the netns tier covers DR only). In a namespace of the guest:
 * the dry run, then setup loads ipip and ip6_tunnel, brings tunl0 and ip6tnl0 up with the VIPs on
 * them, raises the ARP sysctls and makes a strict rp_filter loose; teardown puts every sysctl and
 * both devices back as they were (the modules stay loaded).
 */
import { beforeAll, expect, it } from 'vitest';
import { ensureBuilt } from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';
import { prepareVm, runInVmOk, vmPrerequisites, guestSections } from './harness.js';

const describeVm = tierDescribe('vm', vmPrerequisites());

const STATE = `for k in all.arp_ignore all.arp_announce eth0.arp_ignore eth0.arp_announce all.rp_filter tunl0.rp_filter; do
  printf '%s=%s\\n' "$k" "$(ip netns exec kts-vm-rs sysctl -n net.ipv4.conf.$k 2>/dev/null || echo none)"
done
ip -n kts-vm-rs -o link show tunl0 | grep -o '<[^>]*>'
ip -n kts-vm-rs -o link show ip6tnl0 | grep -o '<[^>]*>'
ip -n kts-vm-rs -o addr show dev tunl0 | awk '{print "tunl0", $4}'
ip -n kts-vm-rs -o addr show dev ip6tnl0 scope global | awk '{print "ip6tnl0", $4}'`;

describeVm('realserver in TUN mode, on a kernel with ipip', () => {
  beforeAll(async () => {
    ensureBuilt();
    await prepareVm();
  });

  it('sets up tunl0 and ip6tnl0 with the VIPs, loose rp_filter, and teardown restores it all', async () => {
    const rs = 'ip netns exec kts-vm-rs node dist/keepalived-ts.js realserver';
    const opts = '--runtime-dir /tmp/kts-rs';
    const script = `
set -u
ip netns add kts-vm-rs
ip -n kts-vm-rs link set lo up
ip -n kts-vm-rs link add eth0 type veth peer name eth1
ip -n kts-vm-rs link set eth0 up
# A strict reverse-path filter, as some distributions set it.
ip netns exec kts-vm-rs sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
echo "### dry-run"; ${rs} setup --vip 10.88.0.100 --vip 2001:db8:88::100 --mode tun --interface eth0 --dry-run ${opts}; echo "exit=$?"
echo "### setup"; ${rs} setup --vip 10.88.0.100 --vip 2001:db8:88::100 --mode tun --interface eth0 ${opts}; echo "exit=$?"
echo "### after-setup"
${STATE}
echo "### teardown"; ${rs} teardown ${opts}; echo "exit=$?"
echo "### after-teardown"
${STATE}
echo "### end"
`;
    const run = await runInVmOk({ script, timeoutMs: 300_000 });
    const s = guestSections(run.stdout);
    const at = (name: string): string => s.get(name) ?? `<section ${name} missing>`;

    // ipip is not loaded before: the plan loads it (a new namespace has tunl0 once it is).
    expect(at('dry-run').trim().split('\n')).toEqual([
      'modprobe ipip',
      'ip link set tunl0 up',
      'modprobe ip6_tunnel',
      'ip link set ip6tnl0 up',
      'sysctl -w net.ipv4.conf.all.arp_ignore=1',
      'sysctl -w net.ipv4.conf.all.arp_announce=2',
      'sysctl -w net.ipv4.conf.eth0.arp_ignore=1',
      'sysctl -w net.ipv4.conf.eth0.arp_announce=2',
      'sysctl -w net.ipv4.conf.all.rp_filter=2',
      'sysctl -w net.ipv4.conf.tunl0.rp_filter=2',
      'ip address add 10.88.0.100/32 dev tunl0',
      'ip address add 2001:db8:88::100/128 dev ip6tnl0',
      'exit=0',
    ]);
    expect(at('setup')).toContain('ip address add 10.88.0.100/32 dev tunl0\n');
    expect(at('setup')).toMatch(/exit=0\n$/);
    const after = at('after-setup');
    for (const line of [
      'all.arp_ignore=1',
      'all.arp_announce=2',
      'eth0.arp_announce=2',
      'all.rp_filter=2',
      'tunl0.rp_filter=2',
      'tunl0 10.88.0.100/32',
      'ip6tnl0 2001:db8:88::100/128',
    ])
      expect(after).toContain(`${line}\n`);
    expect(after).toMatch(/<[^>]*\bUP\b[^>]*>\n<[^>]*\bUP\b[^>]*>\n/);

    expect(at('teardown')).toMatch(/exit=0\n$/);
    const back = at('after-teardown');
    for (const line of [
      'all.arp_ignore=0',
      'all.arp_announce=0',
      'eth0.arp_announce=0',
      'all.rp_filter=1',
      'tunl0.rp_filter=1',
    ])
      expect(back).toContain(`${line}\n`);
    expect(back).not.toContain('10.88.0.100');
    expect(back).not.toContain('2001:db8:88::100');
    expect(back).not.toMatch(/<[^>]*\bUP\b/);
    expect(s.has('end')).toBe(true);
  });
});
