/**
 * Root tier: static_ipaddress, static_routes, static_rules and virtual_rules in the kernel
 * (docs/behaviour.md §3.11), read back with `ip -d rule show`, `ip route show table N`, `ip addr`.
 *  - the static entries are there from start-up whatever the VRRP state; the virtual rule only
 *    while the instance is MASTER (gone when a higher-priority peer takes over);
 *  - a reload that changes one static rule and the virtual rule deletes and adds only those two
 *    (watched with `ip monitor rule`);
 *  - SIGTERM removes every static entry, as keepalived 2.2.7 does (vrrp_daemon.c);
 *  - a static rule or address deleted by someone else is added again, and a MASTER whose virtual rule is
 *    deleted goes BACKUP and takes over again, as keepalived does;
 *  - keepalived 2.2.7 with the same config in another namespace leaves the same rules, routes
 *    and addresses in its kernel;
 *  - a config with only static entries runs the VRRP side all the same.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  nsExec,
  signalDaemon,
  sleep,
  startKeepalived,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

const STATIC_ADDR = '10.231.78.1';

interface Spec {
  readonly priority: number;
  readonly staticRule2: string;
  readonly virtualRule: string;
}

const BASE: Spec = {
  priority: 150,
  staticRule2: 'to 10.231.81.0/24 table 100 priority 1001',
  virtualRule: 'from 10.231.82.0/24 table 101 priority 2000',
};

function config(spec: Spec): string {
  return [
    'static_ipaddress {',
    `  ${STATIC_ADDR}/32 dev eth0`,
    '}',
    'static_routes {',
    '  10.231.79.0/24 dev eth0 table 100',
    '}',
    'static_rules {',
    '  from 10.231.80.0/24 table 100 priority 1000',
    `  ${spec.staticRule2}`,
    '  to 2001:db8:77::/48 table 100 priority 1002',
    '  from 10.231.83.0/24 fwmark 0x10/0xff iif eth0 priority 1003 blackhole no_track',
    '}',
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    '  interface eth0',
    '  virtual_router_id 77',
    `  priority ${spec.priority}`,
    '  advert_int 1',
    '  virtual_ipaddress {',
    '    10.231.77.100/32',
    '  }',
    '  virtual_rules {',
    `    ${spec.virtualRule}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The rules other than the kernel's own (local, main, default), IPv4 then IPv6. */
function rules(ns: string): string[] {
  const kernel = /^(0|32766|32767):\s+from all lookup (local|main|default)( proto kernel)?$/;
  return [
    ...nsExec(ns, 'ip', ['-d', 'rule', 'show']).split('\n'),
    ...nsExec(ns, 'ip', ['-6', '-d', 'rule', 'show']).split('\n'),
  ]
    .map((l) => l.trim())
    .filter((l) => l !== '' && !kernel.test(l));
}

function table(ns: string, n: number): string[] {
  return nsExec(ns, 'ip', ['route', 'show', 'table', String(n)])
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

describeTier('static addresses, routes and rules; virtual_rules', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  let ref: Testbed;
  let k: Host;
  const running: Daemon[] = [];

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kstat-sr');
    [a, b] = bed.twoHosts('10.231.77');
    ref = new Testbed('kstat-ka');
    [k] = ref.twoHosts('10.231.76');
  });
  afterAll(async () => {
    await Promise.all(running.map((d) => stopDaemon(d)));
    bed?.destroy();
    ref?.destroy();
  });

  it('installs the static entries at start, the virtual rule only while MASTER, diffs a reload, removes all at SIGTERM', async () => {
    const da = startKeepalivedTs(bed, a.ns, 'a', config(BASE));
    running.push(da);
    // BACKUP first: the static entries are in, the virtual rule is not.
    await da.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 10_000);
    await waitFor(() => rules(a.ns).some((l) => l.startsWith('1003:')), 3000, 'static rules on a');
    expect(rules(a.ns)).toEqual([
      '1000:\tfrom 10.231.80.0/24 lookup 100 proto keepalived',
      '1001:\tfrom all to 10.231.81.0/24 lookup 100 proto keepalived',
      '1003:\tfrom 10.231.83.0/24 fwmark 0x10/0xff iif eth0 blackhole proto unspec',
      '1002:\tfrom all to 2001:db8:77::/48 lookup 100 proto keepalived',
    ]);
    expect(table(a.ns, 100)).toEqual(['10.231.79.0/24 dev eth0 proto keepalived']);
    expect(bed.hasAddress(a.ns, STATIC_ADDR)).toBe(true);

    // MASTER: the virtual rule comes.
    await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await waitFor(() => rules(a.ns).some((l) => l.startsWith('2000:')), 3000, 'virtual rule on a');
    expect(rules(a.ns)).toContain('2000:\tfrom 10.231.82.0/24 lookup 101 proto keepalived');

    // A reload changing one static rule and the virtual rule: two deletes, two adds, nothing else.
    const monitor = bed.spawnIn(a.ns, 'ip', ['monitor', 'rule']);
    const events = new LineCollector(monitor);
    await sleep(300);
    const next: Spec = {
      ...BASE,
      staticRule2: 'to 10.231.85.0/24 table 100 priority 1001',
      virtualRule: 'from 10.231.86.0/24 table 101 priority 2001',
    };
    writeFileSync(da.configPath, config(next));
    const from = da.lines.lines.length;
    signalDaemon(da, 'SIGHUP');
    await da.lines.wait(/Reload complete/, 10_000, from);
    await waitFor(() => rules(a.ns).some((l) => l.startsWith('2001:')), 5000, 'new virtual rule');
    await waitFor(() => rules(a.ns).some((l) => l.includes('10.231.85.0/24')), 5000, 'new static rule');
    await sleep(500);
    const seen = events.lines.map((l) => l.text.trim()).filter((l) => /^(Deleted )?\d+:/.test(l));
    expect(seen.sort()).toEqual(
      [
        'Deleted 1001:\tfrom all to 10.231.81.0/24 lookup 100 proto keepalived',
        'Deleted 2000:\tfrom 10.231.82.0/24 lookup 101 proto keepalived',
        '1001:\tfrom all to 10.231.85.0/24 lookup 100 proto keepalived',
        '2001:\tfrom 10.231.86.0/24 lookup 101 proto keepalived',
      ].sort(),
    );
    monitor.kill('SIGTERM');
    expect(rules(a.ns)).toEqual([
      '1000:\tfrom 10.231.80.0/24 lookup 100 proto keepalived',
      '1001:\tfrom all to 10.231.85.0/24 lookup 100 proto keepalived',
      '1003:\tfrom 10.231.83.0/24 fwmark 0x10/0xff iif eth0 blackhole proto unspec',
      '2001:\tfrom 10.231.86.0/24 lookup 101 proto keepalived',
      '1002:\tfrom all to 2001:db8:77::/48 lookup 100 proto keepalived',
    ]);

    // A higher-priority peer takes over: the virtual rule goes, the static ones stay.
    const db = startKeepalivedTs(bed, b.ns, 'b', config({ ...next, priority: 200 }));
    running.push(db);
    await da.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 10_000, from);
    await waitFor(() => !rules(a.ns).some((l) => l.startsWith('2001:')), 3000, 'virtual rule gone from a');
    expect(rules(a.ns).filter((l) => /^100[0-3]:/.test(l))).toHaveLength(4);
    expect(table(a.ns, 100)).toHaveLength(1);
    expect(bed.hasAddress(a.ns, STATIC_ADDR)).toBe(true);

    // SIGTERM: every static entry goes (keepalived's vrrp_terminate_phase1 clears them).
    expect(await stopDaemon(da)).toBe(0);
    expect(rules(a.ns)).toEqual([]);
    expect(table(a.ns, 100)).toEqual([]);
    expect(bed.hasAddress(a.ns, STATIC_ADDR)).toBe(false);
  });

  it('leaves the same rules, routes and addresses as keepalived 2.2.7 with the same config', async () => {
    const ours = startKeepalivedTs(bed, a.ns, 'a2', config(BASE));
    const theirs = startKeepalived(ref, k.ns, 'k', config(BASE));
    running.push(ours, theirs);
    // b (priority 200) is still MASTER for VRID 77 in our testbed; stop it so a becomes MASTER.
    for (const d of running.filter((x) => x.name === 'b')) await stopDaemon(d);
    await ours.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
    await theirs.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
    await waitFor(() => rules(a.ns).some((l) => l.startsWith('2000:')), 3000, 'virtual rule on a');
    await waitFor(() => rules(k.ns).some((l) => l.startsWith('2000:')), 3000, 'virtual rule on k');
    expect(rules(a.ns)).toEqual(rules(k.ns));
    expect(rules(a.ns)).toHaveLength(5);
    expect(table(a.ns, 100)).toEqual(table(k.ns, 100));
    expect(bed.hasAddress(a.ns, STATIC_ADDR)).toBe(true);
    expect(ref.hasAddress(k.ns, STATIC_ADDR)).toBe(true);

    // A static rule deleted by someone else comes back in both (reinstate_static_rule).
    for (const ns of [a.ns, k.ns]) nsExec(ns, 'ip', ['rule', 'del', 'pref', '1000']);
    for (const d of [ours, theirs])
      await d.lines.wait(
        /Restoring deleted static rule from 10\.231\.80\.0\/24 priority 1000 tos 0x0 protocol 18 lookup 100$/,
        5000,
      );
    await waitFor(() => rules(a.ns).some((l) => l.startsWith('1000:')), 3000, 'rule 1000 back on a');
    await waitFor(() => rules(k.ns).some((l) => l.startsWith('1000:')), 3000, 'rule 1000 back on k');
    expect(rules(a.ns)).toEqual(rules(k.ns));

    // A static address deleted by someone else comes back in both (reinstate_static_address).
    for (const ns of [a.ns, k.ns]) nsExec(ns, 'ip', ['addr', 'del', `${STATIC_ADDR}/32`, 'dev', 'eth0']);
    for (const d of [ours, theirs])
      await d.lines.wait(/Restoring deleted static address 10\.231\.78\.1 dev eth0 scope global set$/, 5000);
    expect(bed.hasAddress(a.ns, STATIC_ADDR)).toBe(true);
    expect(ref.hasAddress(k.ns, STATIC_ADDR)).toBe(true);

    // The MASTER's virtual rule deleted by someone else: BACKUP, then MASTER again with the rule
    // (set_vrrp_backup), in both.
    const marks = [ours.lines.lines.length, theirs.lines.lines.length];
    for (const ns of [a.ns, k.ns]) nsExec(ns, 'ip', ['rule', 'del', 'pref', '2000']);
    for (const [i, d] of [ours, theirs].entries()) {
      const at = await d.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 5000, marks[i]);
      await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 5000, at);
    }
    await waitFor(() => rules(a.ns).some((l) => l.startsWith('2000:')), 3000, 'virtual rule back on a');
    await waitFor(() => rules(k.ns).some((l) => l.startsWith('2000:')), 3000, 'virtual rule back on k');
    expect(rules(a.ns)).toEqual(rules(k.ns));

    expect(await stopDaemon(ours)).toBe(0);
    expect(await stopDaemon(theirs)).toBe(0);
    expect(rules(a.ns)).toEqual(rules(k.ns));
    expect(rules(k.ns)).toEqual([]);
    expect(table(k.ns, 100)).toEqual(table(a.ns, 100));
    expect(ref.hasAddress(k.ns, STATIC_ADDR)).toBe(bed.hasAddress(a.ns, STATIC_ADDR));
  });

  it('runs for a config with static entries and no vrrp_instance, as keepalived does (have_vrrp_config)', async () => {
    const staticOnly = config(BASE).split('vrrp_instance')[0]!;
    const d = startKeepalivedTs(bed, a.ns, 'a3', staticOnly);
    running.push(d);
    await d.lines.wait(/Startup complete/, 10_000);
    await waitFor(() => rules(a.ns).some((l) => l.startsWith('1003:')), 3000, 'static rules on a');
    expect(rules(a.ns)).toHaveLength(4);
    expect(table(a.ns, 100)).toEqual(['10.231.79.0/24 dev eth0 proto keepalived']);
    expect(bed.hasAddress(a.ns, STATIC_ADDR)).toBe(true);
    expect(await stopDaemon(d)).toBe(0);
    expect(rules(a.ns)).toEqual([]);
    expect(table(a.ns, 100)).toEqual([]);
    expect(bed.hasAddress(a.ns, STATIC_ADDR)).toBe(false);
  });
});
