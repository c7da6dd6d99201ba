/**
 * Root tier: `use_vmac` with two keepalived-ts directors (dist/keepalived-ts.js) in namespaces on
 * a veth pair. The macvlan exists on both with the virtual router MAC, mode private, up, and
 * keepalived's kernel parameters (vrrp_if_config.c); the VIP is on the master's VMAC; adverts and
 * gratuitous ARPs on the wire come from 00:00:5e:00:01:VRID (from the base MAC for adverts with
 * vmac_xmit_base); SIGTERM hands over, removes the interface and puts the base parameters back.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  netnsPrerequisites,
  nsExec,
  signalDaemon,
  sleep,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';
import { capture, linkDetail, sysctl } from './harness/vmac-tools.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['tcpdump']));

const VIP = '10.231.12.100';
const VMAC = '00:00:5e:00:01:33';

describeTier('use_vmac between keepalived-ts directors', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  const running: Daemon[] = [];
  const start = (host: Host, name: string, priority: number, extra: string[] = []): Daemon => {
    const d = startKeepalivedTs(
      bed,
      host.ns,
      name,
      vrrpConfig({ priority, vips: [`${VIP}/24`], extra: ['use_vmac', ...extra] }),
    );
    running.push(d);
    return d;
  };

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kvmac');
    [a, b] = bed.twoHosts('10.231.12');
    // keepalived saves and restores these; start from values it must change.
    for (const h of [a, b]) {
      nsExec(h.ns, 'sysctl', ['-qw', 'net.ipv4.conf.eth0.arp_ignore=0', 'net.ipv4.conf.eth0.arp_filter=0']);
      nsExec(h.ns, 'sysctl', ['-qw', 'net.ipv4.conf.all.rp_filter=1']);
    }
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => stopDaemon(d)));
  });
  afterAll(() => bed?.destroy());

  it('makes the VMAC on both, the VIP on the master, adverts and GARPs from the VMAC MAC; SIGTERM hands over and removes it', async () => {
    const db = start(b, 'b', 100);
    await db.lines.wait(/\(VI_1\) Entering BACKUP STATE \(init\)/, 10_000);
    let da: Daemon | null = null;
    // a starts and takes over while b's eth0 is watched: a's GARPs and adverts.
    const onB = await capture(bed, b, async () => {
      da = start(a, 'a', 150);
      await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
      await waitFor(() => bed.hasAddress(a.ns, VIP, 'vrrp.51'), 3000, 'VIP on the VMAC of a');
      await sleep(1500);
    });
    for (const h of [a, b]) {
      const l = linkDetail(h.ns, 'vrrp.51');
      expect(l, `vrrp.51 in ${h.ns}`).not.toBeNull();
      expect(l!.address).toBe(VMAC);
      expect(l!.link).toBe('eth0');
      expect(l!.linkinfo?.info_kind).toBe('macvlan');
      expect(l!.linkinfo?.info_data?.mode).toBe('private');
      expect(l!.flags).toContain('UP');
      // vrrp_if_config.c: the VMAC's and the base interface's parameters.
      const conf = (dev: string, k: string) => sysctl(h.ns, `net/ipv4/conf/${dev}/${k}`);
      expect(
        ['arp_ignore', 'accept_local', 'rp_filter', 'promote_secondaries'].map((k) => conf('vrrp.51', k)),
      ).toEqual([1, 1, 0, 1]);
      expect(sysctl(h.ns, 'net/ipv6/conf/vrrp.51/disable_ipv6')).toBe(1);
      expect([conf('eth0', 'arp_ignore'), conf('eth0', 'arp_filter')]).toEqual([1, 1]);
      expect(conf('all', 'rp_filter')).toBe(0);
      expect(conf('eth0', 'rp_filter')).toBe(1);
    }
    // The backup's VMAC is up with no address (vrrp_vmac.c keeps it up in every state).
    expect(bed.addresses(b.ns, 'vrrp.51')).toEqual([]);
    expect(bed.hasAddress(a.ns, VIP, 'eth0')).toBe(false);
    expect(bed.hasAddress(b.ns, VIP, 'vrrp.51')).toBe(false);
    const adverts = onB.filter((t) => /VRRPv2, Advertisement, vrid 51, prio 150/.test(t));
    expect(adverts.length).toBeGreaterThanOrEqual(2);
    for (const t of adverts)
      expect(t).toMatch(new RegExp(`^\\S+ ${VMAC} > 01:00:5e:00:00:12, .* ${a.address} > 224\\.0\\.0\\.18`));
    const garps = onB.filter((t) => new RegExp(`ARP.*Request who-has ${VIP} .*tell ${VIP}`).test(t));
    expect(garps.length).toBeGreaterThanOrEqual(1);
    for (const t of garps) expect(t).toMatch(new RegExp(`^\\S+ ${VMAC} > ff:ff:ff:ff:ff:ff`));

    // SIGTERM: a hands over to b, whose GARPs and adverts come from b's VMAC.
    const onA = await capture(bed, a, async () => {
      signalDaemon(da!, 'SIGTERM');
      expect(await da!.exited).toBe(0);
      await db.lines.wait(/\(VI_1\) Entering MASTER STATE/, 5000);
      await waitFor(() => bed.hasAddress(b.ns, VIP, 'vrrp.51'), 3000, 'VIP on the VMAC of b');
      await sleep(1500);
    });
    running.splice(running.indexOf(da!), 1);
    expect(linkDetail(a.ns, 'vrrp.51')).toBeNull();
    const conf = (k: string) => sysctl(a.ns, `net/ipv4/conf/${k}`);
    expect([conf('eth0/arp_ignore'), conf('eth0/arp_filter'), conf('all/rp_filter')]).toEqual([0, 0, 1]);
    expect(onA.some((t) => new RegExp(`^\\S+ ${VMAC} > .*ARP.*who-has ${VIP} .*tell ${VIP}`).test(t))).toBe(
      true,
    );
    expect(
      onA.some((t) =>
        new RegExp(
          `^\\S+ ${VMAC} > 01:00:5e:00:00:12, .* ${b.address} > 224\\.0\\.0\\.18: VRRPv2, Advertisement, vrid 51, prio 100`,
        ).test(t),
      ),
    ).toBe(true);

    await stopDaemon(db);
    running.splice(running.indexOf(db), 1);
    expect(linkDetail(b.ns, 'vrrp.51')).toBeNull();
    expect(bed.hasAddress(b.ns, VIP, 'eth0')).toBe(false);
  });

  it('use_vmac name vm7 group 7 (keepalived 2.3.0 words): the VMAC named vm7 in interface group 7', async () => {
    const d = startKeepalivedTs(
      bed,
      a.ns,
      'a-grp',
      vrrpConfig({ priority: 150, vips: [`${VIP}/24`], extra: ['use_vmac name vm7 group 7'] }),
    );
    running.push(d);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await waitFor(() => bed.hasAddress(a.ns, VIP, 'vm7'), 3000, 'VIP on vm7');
    expect(nsExec(a.ns, 'ip', ['-o', 'link', 'show', 'vm7'])).toMatch(/ group 7 /);
    await stopDaemon(d);
    expect(linkDetail(a.ns, 'vm7')).toBeNull();
  });

  it('vmac_xmit_base: adverts from the base MAC, the VIP and its GARPs still on the VMAC', async () => {
    const baseMac = linkDetail(a.ns, 'eth0')!.address;
    let da: Daemon | null = null;
    const onB = await capture(bed, b, async () => {
      da = start(a, 'a-xb', 150, ['vmac_xmit_base']);
      await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
      await waitFor(() => bed.hasAddress(a.ns, VIP, 'vrrp.51'), 3000, 'VIP on the VMAC');
      await sleep(1500);
    });
    const adverts = onB.filter((t) => /VRRPv2, Advertisement, vrid 51, prio 150/.test(t));
    expect(adverts.length).toBeGreaterThanOrEqual(2);
    for (const t of adverts) expect(t).toMatch(new RegExp(`^\\S+ ${baseMac} > 01:00:5e:00:00:12`));
    expect(
      onB.some((t) => new RegExp(`^\\S+ ${VMAC} > ff:ff:ff:ff:ff:ff.*who-has ${VIP} .*tell ${VIP}`).test(t)),
    ).toBe(true);
    expect(linkDetail(a.ns, 'vrrp.51')?.address).toBe(VMAC);
  });

  it('a reload that adds use_vmac moves the VIP onto a new VMAC; one that drops it moves it back and removes the VMAC', async () => {
    const plain = vrrpConfig({ priority: 150, vips: [`${VIP}/24`] });
    const d = startKeepalivedTs(bed, a.ns, 'a-reload', plain);
    running.push(d);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await waitFor(() => bed.hasAddress(a.ns, VIP, 'eth0'), 3000, 'VIP on eth0');
    expect(linkDetail(a.ns, 'vrrp.51')).toBeNull();
    writeFileSync(d.configPath, vrrpConfig({ priority: 150, vips: [`${VIP}/24`], extra: ['use_vmac'] }));
    const from = d.lines.lines.length;
    signalDaemon(d, 'SIGHUP');
    await d.lines.wait(/Reload complete/, 5000, from);
    await waitFor(() => bed.hasAddress(a.ns, VIP, 'vrrp.51'), 3000, 'VIP on the VMAC after the reload');
    expect(bed.hasAddress(a.ns, VIP, 'eth0')).toBe(false);
    expect(linkDetail(a.ns, 'vrrp.51')?.address).toBe(VMAC);
    writeFileSync(d.configPath, plain);
    const from2 = d.lines.lines.length;
    signalDaemon(d, 'SIGHUP');
    await d.lines.wait(/Reload complete/, 5000, from2);
    await waitFor(() => bed.hasAddress(a.ns, VIP, 'eth0'), 3000, 'VIP back on eth0');
    expect(linkDetail(a.ns, 'vrrp.51')).toBeNull();
    expect([
      sysctl(a.ns, 'net/ipv4/conf/eth0/arp_ignore'),
      sysctl(a.ns, 'net/ipv4/conf/eth0/arp_filter'),
    ]).toEqual([0, 0]);
  });

  it('use_vmac_addr: a VIP on another interface goes on a VMAC of its own there; SIGTERM removes both', async () => {
    // A second link in a: eth1, with its veth peer eth1p to watch the frames on.
    nsExec(a.ns, 'ip', ['link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p']);
    for (const dev of ['eth1', 'eth1p']) nsExec(a.ns, 'ip', ['link', 'set', dev, 'up']);
    nsExec(a.ns, 'ip', ['addr', 'add', '10.231.16.1/24', 'dev', 'eth1']);
    const VIP2 = '10.231.16.100';
    let d: Daemon | null = null;
    const onEth1p = await capture(
      bed,
      a,
      async () => {
        d = startKeepalivedTs(
          bed,
          a.ns,
          'a-addr',
          vrrpConfig({
            priority: 150,
            vips: [`${VIP}/24`, `${VIP2}/24 dev eth1`],
            extra: ['use_vmac', 'use_vmac_addr'],
          }),
        );
        running.push(d);
        await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
        await waitFor(() => bed.hasAddress(a.ns, VIP2, 'vrrp1.51'), 3000, 'VIP2 on vrrp1.51');
        await sleep(500);
      },
      'eth1p',
    );
    const extra = linkDetail(a.ns, 'vrrp1.51');
    expect(extra?.address).toBe(VMAC);
    expect(extra?.link).toBe('eth1');
    expect(extra?.linkinfo?.info_data?.mode).toBe('private');
    expect(bed.hasAddress(a.ns, VIP, 'vrrp.51')).toBe(true);
    expect([
      sysctl(a.ns, 'net/ipv4/conf/eth1/arp_ignore'),
      sysctl(a.ns, 'net/ipv4/conf/vrrp1.51/rp_filter'),
    ]).toEqual([1, 0]);
    expect(
      onEth1p.some((t) =>
        new RegExp(`^\\S+ ${VMAC} > ff:ff:ff:ff:ff:ff.*who-has ${VIP2} .*tell ${VIP2}`).test(t),
      ),
    ).toBe(true);
    // No adverts on the other interface: only the instance's own VMAC sends them.
    expect(onEth1p.some((t) => /VRRPv2/.test(t))).toBe(false);
    await stopDaemon(d!);
    running.splice(running.indexOf(d!), 1);
    expect(linkDetail(a.ns, 'vrrp.51')).toBeNull();
    expect(linkDetail(a.ns, 'vrrp1.51')).toBeNull();
    expect(sysctl(a.ns, 'net/ipv4/conf/eth1/arp_ignore')).toBe(0);
  });

  it('a VMAC deleted by someone else is made again; the master goes to FAULT and back with its VIP on it', async () => {
    const d = startKeepalivedTs(
      bed,
      a.ns,
      'a-recreate',
      vrrpConfig({ priority: 150, vips: [`${VIP}/24`], extra: ['use_vmac'] }),
    );
    running.push(d);
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await waitFor(() => bed.hasAddress(a.ns, VIP, 'vrrp.51'), 3000, 'VIP on the VMAC');
    const before = Number(nsExec(a.ns, 'cat', ['/sys/class/net/vrrp.51/ifindex']).trim());
    const from = d.lines.lines.length;
    nsExec(a.ns, 'ip', ['link', 'del', 'vrrp.51']);
    await d.lines.wait(/Interface vrrp\.51 deleted/, 3000, from);
    await d.lines.wait(/\(VI_1\).*FAULT/, 3000, from);
    await waitFor(() => linkDetail(a.ns, 'vrrp.51') !== null, 3000, 'vrrp.51 made again');
    expect(Number(nsExec(a.ns, 'cat', ['/sys/class/net/vrrp.51/ifindex']).trim())).not.toBe(before);
    expect(linkDetail(a.ns, 'vrrp.51')?.address).toBe(VMAC);
    expect(sysctl(a.ns, 'net/ipv4/conf/vrrp.51/arp_ignore')).toBe(1);
    // Alone on the link, it is MASTER again after Master_Down_Interval, the VIP on the new VMAC.
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 8000, from);
    await waitFor(() => bed.hasAddress(a.ns, VIP, 'vrrp.51'), 3000, 'VIP on the new VMAC');
    await stopDaemon(d);
    running.splice(running.indexOf(d), 1);
    expect(linkDetail(a.ns, 'vrrp.51')).toBeNull();
    expect([
      sysctl(a.ns, 'net/ipv4/conf/eth0/arp_ignore'),
      sysctl(a.ns, 'net/ipv4/conf/eth0/arp_filter'),
    ]).toEqual([0, 0]);
  });

  it('disable_local_igmp: no IGMP report from the virtual MAC; the kernel parameter is put back at stop', async () => {
    const igmpFromVmac = (lines: string[]) =>
      lines.filter((t) => new RegExp(`^\\S+ ${VMAC} > .*igmp`, 'i').test(t));
    const run = async (name: string, top: string[]): Promise<string[]> =>
      capture(
        bed,
        b,
        async () => {
          const d = startKeepalivedTs(
            bed,
            a.ns,
            name,
            vrrpConfig({ priority: 100, vips: [`${VIP}/24`], extra: ['use_vmac'] }, top),
          );
          running.push(d);
          await d.lines.wait(/\(VI_1\) Entering BACKUP STATE \(init\)/, 10_000);
          await sleep(1500);
          if (top.length > 0) expect(sysctl(a.ns, 'net/ipv4/igmp_link_local_mcast_reports')).toBe(0);
          await stopDaemon(d);
          running.splice(running.indexOf(d), 1);
        },
        'eth0',
        'igmp',
      );
    expect(sysctl(a.ns, 'net/ipv4/igmp_link_local_mcast_reports')).toBe(1);
    // Without it the VMAC joins 224.0.0.18 and reports it from 00:00:5e:00:01:33 (docs/behaviour.md §3.8).
    expect(igmpFromVmac(await run('a-igmp', [])).length).toBeGreaterThanOrEqual(1);
    expect(igmpFromVmac(await run('a-noigmp', ['global_defs {', '  disable_local_igmp', '}']))).toEqual([]);
    expect(sysctl(a.ns, 'net/ipv4/igmp_link_local_mcast_reports')).toBe(1);
  });
});
