/**
 * VM tier: `use_ipvlan` where the kernel has ipvlan (the CI host's kernel has no ipvlan module). In
 * one boot, two namespaces of the guest on a veth pair: keepalived-ts (priority 150) on iv-a and
 * keepalived 2.2.7 (100) on iv-b, each instance on an ipvlan of its own with its own address. The
 * guest records, and this file asserts:
 *   the ipvlan module loads on demand; each side's ipvlan is mode l2 bridge, up, with the parent's
 *   MAC and its configured address, IPv6 off, the ARP sysctls untouched: ours the same as keepalived's;
 *   keepalived-ts is MASTER with the VIP on its ipvlan; its adverts on the wire come from the
 *   ipvlan's address with the parent's MAC (no virtual MAC), and keepalived takes them as a BACKUP;
 *   SIGKILL of keepalived-ts: keepalived takes over, its adverts from its ipvlan's address;
 *   keepalived-ts restarted takes the ipvlan it left over and the VIP back;
 *   the ipvlan deleted under keepalived-ts is made again, with its address, and it is MASTER again;
 *   SIGTERM: keepalived-ts removes its ipvlan; keepalived then removes its own at its SIGTERM.
 */
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt } from '../support/netns.js';
import { tierDescribe } from '../support/tier.js';
import {
  guestSections,
  prepareVm,
  REPO_ROOT,
  runInVm,
  vmPrerequisites,
  type VmRunResult,
} from './harness.js';
import { existsSync } from 'node:fs';

const onHost = (command: string): boolean =>
  existsSync(`/usr/sbin/${command}`) || existsSync(`/usr/bin/${command}`);
const describeVm = tierDescribe('vm', [
  ...vmPrerequisites(),
  ...(onHost('keepalived') ? [] : ['keepalived (apt keepalived)']),
  ...(onHost('tcpdump') ? [] : ['tcpdump (apt tcpdump)']),
]);

const config = (id: string, iface: string, ipvlan: string, priority: number): string => `global_defs {
  router_id ${id}
}
vrrp_instance VI_IV {
  interface ${iface}
  state BACKUP
  priority ${priority}
  virtual_router_id 77
  advert_int 1
  use_ipvlan ${ipvlan}
  virtual_ipaddress {
    10.77.0.100/24
  }
}
`;

/** The guest script: every check prints a `### name` section; the host asserts on them. */
const script = (daemon: string): string => `
set -u
D=/tmp/iv; mkdir -p $D/a $D/b
A="ip netns exec iv-a"; B="ip netns exec iv-b"
waitfor() { local n=$1; shift; for _ in $(seq 1 $n); do if eval "$*"; then return 0; fi; sleep 0.5; done; return 1; }
vip_on() { ip -n $1 -o -4 addr show dev $2 2>/dev/null | grep -q ' 10.77.0.100/24 '; }
L=$KTS_VM_RESULTS
start_ts() { $A node ${daemon} -n -l -D -f $D/a.conf -p $D/a/kts.pid --runtime-dir $D/a >> $L/a.log 2>&1 & TS=$!; }
cat > $D/a.conf <<'EOF'
${config('iv-a', 'iva0', 'iva 10.77.0.11/24', 150)}EOF
cat > $D/b.conf <<'EOF'
${config('iv-b', 'ivb0', 'ivb 10.77.0.12/24', 100)}EOF

echo "### module"
grep -c '^ipvlan ' /proc/modules
modprobe ipvlan; echo "modprobe=$?"
grep -c '^ipvlan ' /proc/modules

ip netns add iv-a; ip netns add iv-b
ip link add iva0 netns iv-a type veth peer name ivb0 netns iv-b
ip -n iv-a link set lo up; ip -n iv-b link set lo up
ip -n iv-a link set iva0 up; ip -n iv-b link set ivb0 up
ip -n iv-a addr add 10.77.0.1/24 dev iva0; ip -n iv-b addr add 10.77.0.2/24 dev ivb0

$B keepalived -n -l -D -f $D/b.conf -p $D/b/ka.pid -r $D/b/ka-vrrp.pid -c $D/b/ka-check.pid > $L/b.log 2>&1 & KA=$!
start_ts

echo "### master"
waitfor 120 vip_on iv-a iva0 && echo "a-master=yes" || echo "a-master=no"
vip_on iv-b ivb0 && echo "b-vip=yes" || echo "b-vip=no"

echo "### links"
for s in a b; do
  echo "parent-$s $(ip -n iv-$s -o link show iv\${s}0 | grep -o 'link/ether [0-9a-f:]*')"
  echo "ipvlan-$s $(ip -n iv-$s -o -d link show iv$s | grep -o '<[^>]*>\\|link/ether [0-9a-f:]*\\|ipvlan  *mode [a-z0-9]* [a-z]*' | tr '\\n' ' ')"
  echo "addr-$s $(ip -n iv-$s -o -4 addr show dev iv$s | awk '{print $4}' | tr '\\n' ' ')"
  echo "parent-addr-$s $(ip -n iv-$s -o -4 addr show dev iv\${s}0 | awk '{print $4}' | tr '\\n' ' ')"
  echo "disable_ipv6-$s $(ip netns exec iv-$s cat /proc/sys/net/ipv6/conf/iv$s/disable_ipv6)"
  for k in arp_ignore arp_filter accept_local rp_filter promote_secondaries; do
    echo "sysctl-$s $k $(ip netns exec iv-$s cat /proc/sys/net/ipv4/conf/iv\${s}0/$k) $(ip netns exec iv-$s cat /proc/sys/net/ipv4/conf/iv$s/$k) $(ip netns exec iv-$s cat /proc/sys/net/ipv4/conf/all/$k)"
  done
done

echo "### dumps"
# SIGUSR1: keepalived.data in /tmp from each, one after the other; the ipvlan's block of each.
dump_of() { rm -f /tmp/keepalived.data; kill -USR1 $1; waitfor 40 '[ -s /tmp/keepalived.data ]'; sleep 1
  grep -A14 "^ Name = $2$" /tmp/keepalived.data | grep -E 'IPVLAN type|VMAC type|I/f created' | tr '\n' '|'; echo; }
echo "ka $(dump_of $KA ivb)"
echo "kts $(dump_of $TS iva)"
rm -f /tmp/keepalived.data

echo "### wire-a"
$B timeout 20 tcpdump -e -n -l -i ivb0 -c 3 'ip proto 112' 2>/dev/null

echo "### kill"
kill -KILL $TS; wait $TS 2>/dev/null
t0=$(date +%s%N)
waitfor 60 vip_on iv-b ivb0 && echo "b-master=yes after $(( ($(date +%s%N) - t0) / 1000000 )) ms" || echo "b-master=no"

echo "### wire-b"
$A timeout 20 tcpdump -e -n -l -i iva0 -c 3 'ip proto 112' 2>/dev/null

echo "### restart"
ip -n iv-a -o link show iva >/dev/null 2>&1 && echo "left-over=yes" || echo "left-over=no"
start_ts
waitfor 120 'vip_on iv-a iva0 && ! vip_on iv-b ivb0' && echo "a-master=yes" || echo "a-master=no"
echo "addr-a $(ip -n iv-a -o -4 addr show dev iva | awk '{print $4}' | tr '\\n' ' ')"
echo "parent-addr-a $(ip -n iv-a -o -4 addr show dev iva0 | awk '{print $4}' | tr '\\n' ' ')"

echo "### recreate"
ip -n iv-a link del iva; echo "deleted=$?"
waitfor 120 'ip -n iv-a -o -4 addr show dev iva 2>/dev/null | grep -q " 10.77.0.11/24 "' && echo "remade=yes" || echo "remade=no"
# Past a Master_Down_Interval: keepalived has taken over by now if it was to.
sleep 5
echo "ipvlan-a $(ip -n iv-a -o -d link show iva | grep -o '<[^>]*>\\|ipvlan  *mode [a-z0-9]* [a-z]*' | tr '\\n' ' ')"
waitfor 120 'vip_on iv-a iva0 && ! vip_on iv-b ivb0' && echo "a-master=yes" || echo "a-master=no"

echo "### wire-a2"
$B timeout 20 tcpdump -e -n -l -i ivb0 -c 3 'ip proto 112' 2>/dev/null

echo "### term"
kill -TERM $TS; waitfor 60 '! kill -0 $TS 2>/dev/null' && echo "exited=yes" || echo "exited=no"
ip -n iv-a -o link show iva >/dev/null 2>&1 && echo "iva=present" || echo "iva=gone"
waitfor 60 vip_on iv-b ivb0 && echo "b-master=yes" || echo "b-master=no"

echo "### ka-term"
kill -TERM $KA; waitfor 60 '! kill -0 $KA 2>/dev/null' && echo "exited=yes" || echo "exited=no"
ip -n iv-b -o link show ivb >/dev/null 2>&1 && echo "ivb=present" || echo "ivb=gone"

echo "### end"
ip netns del iv-a; ip netns del iv-b
`;

describeVm('use_ipvlan in the VM: keepalived-ts and keepalived 2.2.7 each on an ipvlan', () => {
  let run: VmRunResult;
  let s: Map<string, string>;
  let distCopy: string;
  const at = (name: string): string => {
    if (name.startsWith('log-')) return run.files[`${name.slice(4)}.log`] ?? `<${name} not collected>`;
    return s.get(name) ?? `<section ${name} missing>\n${run.stdout.slice(-3000)}`;
  };
  const lines = (name: string): string[] => at(name).trim().split('\n');
  const value = (name: string, key: string): string =>
    lines(name)
      .find((l) => l.startsWith(`${key} `) || l.startsWith(`${key}=`))
      ?.slice(key.length + 1)
      .trim() ?? `<${key} missing in ${name}: ${at(name)}>`;

  beforeAll(async () => {
    await prepareVm();
    ensureBuilt();
    // A private copy of dist/: a rebuild on the host while the guest runs must not change the daemon.
    distCopy = join(REPO_ROOT, '.vm-cache', `kts-ipvlan-dist-${process.pid}`);
    rmSync(distCopy, { recursive: true, force: true });
    cpSync(join(REPO_ROOT, 'dist'), distCopy, { recursive: true });
    run = await runInVm({
      script: script(join(distCopy, 'keepalived-ts.js')),
      timeoutMs: 540_000,
      collect: ['a.log', 'b.log'],
    });
    s = guestSections(run.stdout);
    console.log(`ipvlan VM run: ${(run.durationMs / 1000).toFixed(1)} s, exit ${run.exitCode}`);
  }, 600_000);

  afterAll(() => {
    if (distCopy) rmSync(distCopy, { recursive: true, force: true });
  });

  it('loads ipvlan on demand', () => {
    expect(lines('module')).toEqual(['0', 'modprobe=0', '1']);
  });

  it("makes the ipvlan as keepalived does: l2 bridge, up, the parent's MAC, its address, IPv6 off, no ARP sysctls", () => {
    const ctx = `${at('links')}\n--- keepalived-ts log\n${at('log-a')}`;
    for (const side of ['a', 'b']) {
      const parentMac = value('links', `parent-${side}`);
      expect(parentMac, ctx).toMatch(/^link\/ether [0-9a-f:]{17}$/);
      const link = value('links', `ipvlan-${side}`);
      expect(link, ctx).toContain(parentMac);
      expect(link, ctx).toMatch(/ipvlan +mode l2 bridge/);
      expect(link, ctx).toMatch(/<[^>]*\bUP\b[^>]*>/);
      expect(value('links', `disable_ipv6-${side}`), ctx).toBe('1');
    }
    expect(value('links', 'addr-a'), ctx).toBe('10.77.0.11/24');
    expect(value('links', 'addr-b'), ctx).toBe('10.77.0.12/24');
    // keepalived 2.2.7 moves VIPs without dev onto a VMAC, not an ipvlan: the MASTER's VIP is on its parent.
    expect(value('links', 'parent-addr-a'), ctx).toBe('10.77.0.1/24 10.77.0.100/24');
    expect(value('links', 'parent-addr-b'), ctx).toBe('10.77.0.2/24');
    // keepalived sets no interface parameter for an ipvlan: the same values on both sides.
    const sysctls = (side: string): string[] =>
      lines('links')
        .filter((l) => l.startsWith(`sysctl-${side} `))
        .map((l) => l.slice(9));
    expect(sysctls('a'), ctx).toHaveLength(5);
    expect(sysctls('a'), ctx).toEqual(sysctls('b'));
    expect(sysctls('a'), ctx).toContain('rp_filter 0 0 0');
  });

  it("lists its ipvlan in keepalived.data's interfaces as keepalived 2.2.7 lists its own (SIGUSR1)", () => {
    const ka = value('dumps', 'ka');
    expect(ka, at('dumps')).toBe(
      // value() trims the line's leading spaces.
      'IPVLAN type L2 bridge, underlying interface = ivb0, state = UP, RUNNING|   I/f created by keepalived|',
    );
    expect(value('dumps', 'kts'), at('dumps')).toBe(ka.replaceAll('ivb', 'iva'));
  });

  it('is MASTER with the VIP on its ipvlan; keepalived stays BACKUP', () => {
    expect(value('master', 'a-master'), at('log-a')).toBe('yes');
    expect(value('master', 'b-vip'), at('log-b')).toBe('no');
  });

  it("sends its adverts from the ipvlan's address with the parent's MAC", () => {
    const mac = value('links', 'parent-a').replace('link/ether ', '');
    const adverts = lines('wire-a');
    expect(adverts, at('wire-a')).toHaveLength(3);
    for (const l of adverts) {
      expect(l).toMatch(new RegExp(`^\\S+ ${mac} > 01:00:5e:00:00:12, ethertype IPv4`));
      expect(l).toContain('10.77.0.11 > 224.0.0.18: VRRPv2, Advertisement, vrid 77, prio 150');
    }
  });

  it('fails over to keepalived on SIGKILL, whose adverts come from its own ipvlan', () => {
    expect(value('kill', 'b-master'), at('log-b')).toMatch(/^yes after \d+ ms$/);
    const mac = value('links', 'parent-b').replace('link/ether ', '');
    const adverts = lines('wire-b');
    expect(adverts, at('wire-b')).toHaveLength(3);
    for (const l of adverts) {
      expect(l).toMatch(new RegExp(`^\\S+ ${mac} > 01:00:5e:00:00:12, ethertype IPv4`));
      expect(l).toContain('10.77.0.12 > 224.0.0.18: VRRPv2, Advertisement, vrid 77, prio 100');
    }
  });

  it('restarted, takes over the ipvlan it left and the VIP back', () => {
    expect(value('restart', 'left-over')).toBe('yes');
    expect(value('restart', 'a-master'), at('log-a')).toBe('yes');
    expect(value('restart', 'addr-a')).toBe('10.77.0.11/24');
    expect(value('restart', 'parent-addr-a')).toBe('10.77.0.1/24 10.77.0.100/24');
  });

  it('makes the ipvlan again when it is deleted, with its address, and is MASTER again', () => {
    const ctx = `${at('recreate')}\n${at('log-a')}`;
    expect(value('recreate', 'deleted'), ctx).toBe('0');
    expect(value('recreate', 'remade'), ctx).toBe('yes');
    expect(value('recreate', 'ipvlan-a'), ctx).toMatch(/ipvlan +mode l2 bridge/);
    expect(value('recreate', 'a-master'), ctx).toBe('yes');
    // keepalived hears it again: BACKUP, its VIP gone.
    const adverts = lines('wire-a2');
    expect(adverts, at('wire-a2')).toHaveLength(3);
    for (const l of adverts)
      expect(l).toContain('10.77.0.11 > 224.0.0.18: VRRPv2, Advertisement, vrid 77, prio 150');
    expect(at('log-a')).toContain('Interface iva deleted');
  });

  it('removes its ipvlan at SIGTERM, as keepalived removes its own', () => {
    expect(value('term', 'exited'), at('log-a')).toBe('yes');
    expect(value('term', 'iva')).toBe('gone');
    expect(value('term', 'b-master'), at('log-b')).toBe('yes');
    expect(value('ka-term', 'exited'), at('log-b')).toBe('yes');
    expect(value('ka-term', 'ivb')).toBe('gone');
    expect(at('log-b')).toContain('(VI_IV) Success removing VMAC interface ivb');
    expect(at('log-a')).toContain('(VI_IV) Success removing VMAC interface iva');
  });

  it('the guest script ran to its end', () => {
    expect(s.has('end'), run.stdout.slice(-2000)).toBe(true);
    expect(run.exitCode).toBe(0);
  });
});
