// The VMAC requests byte for byte against what iproute2 sends (captured with
// `strace -e trace=sendmsg -e write=3` in a network namespace, sequence number replaced), and the
// VmacManager's kernel parameters over a fake system (vrrp_vmac.c, vrrp_if_config.c).
import { describe, expect, it } from 'vitest';
import {
  addrGenModeNoneRequest,
  createMacvlanRequest,
  deleteLinkRequest,
  linkUpRequest,
  macBytes,
  netlinkMessage,
  parseLinkInfo,
  VmacManager,
  type ExistingLink,
  type LinkRequest,
  type VmacSystem,
} from '../../../src/net/vmac.js';
import { MemoryLogger } from '../../../src/util/log.js';

/** Lines other than -D detail. */
const said = (l: MemoryLogger): string[] => l.lines.filter((x) => x.level !== 'detail').map((x) => x.message);

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const SEQ = 0x6b101dce;

describe('VMAC rtnetlink requests', () => {
  it('creates the macvlan as `ip link add link eth1 name vrrp.51 address 00:00:5e:00:01:33 type macvlan mode private`', () => {
    const req = createMacvlanRequest('vrrp.51', 3, macBytes('00:00:5e:00:01:33')!);
    expect(netlinkMessage(req, SEQ).toString('hex')).toBe(
      hex(`5c 00 00 00 10 00 05 06  ce 1d 10 6b 00 00 00 00
           00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
           0a 00 01 00 00 00 5e 00  01 33 00 00 08 00 05 00
           03 00 00 00 0c 00 03 00  76 72 72 70 2e 35 31 00
           1c 00 12 00 0b 00 01 00  6d 61 63 76 6c 61 6e 00
           0c 00 02 00 08 00 01 00  01 00 00 00`).toString('hex'),
    );
  });

  it('with `use_vmac ... group 7` (keepalived 2.3.0+) the same request carries IFLA_GROUP 7', () => {
    const plain = netlinkMessage(createMacvlanRequest('vrrp.51', 3, macBytes('00:00:5e:00:01:33')!), SEQ);
    const grouped = netlinkMessage(
      createMacvlanRequest('vrrp.51', 3, macBytes('00:00:5e:00:01:33')!, 7),
      SEQ,
    );
    expect(grouped.readUInt32LE(0)).toBe(plain.length + 8);
    expect(grouped.subarray(4, plain.length).equals(plain.subarray(4))).toBe(true);
    expect(grouped.subarray(plain.length).toString('hex')).toBe('08001b0007000000');
  });

  it('sets it up as `ip link set vrrp.51 up`', () => {
    expect(netlinkMessage(linkUpRequest(6), SEQ).toString('hex')).toBe(
      hex(`20 00 00 00 10 00 05 00  ce 1d 10 6b 00 00 00 00
           00 00 00 00 06 00 00 00  01 00 00 00 01 00 00 00`).toString('hex'),
    );
  });

  it('turns address generation off as `ip link set vrrp.51 addrgenmode none`', () => {
    expect(netlinkMessage(addrGenModeNoneRequest(6), SEQ).toString('hex')).toBe(
      hex(`30 00 00 00 10 00 05 00  ce 1d 10 6b 00 00 00 00
           00 00 00 00 06 00 00 00  00 00 00 00 00 00 00 00
           10 00 1a 00 0c 00 0a 00  05 00 08 00 01 00 00 00`).toString('hex'),
    );
  });

  it('deletes it as `ip link del vrrp.51`', () => {
    expect(netlinkMessage(deleteLinkRequest(6), SEQ).toString('hex')).toBe(
      hex(`20 00 00 00 11 00 05 00  ce 1d 10 6b 00 00 00 00
           00 00 00 00 06 00 00 00  00 00 00 00 00 00 00 00`).toString('hex'),
    );
  });

  it("reads a link's kind and macvlan mode from IFLA_LINKINFO", () => {
    // The IFLA_LINKINFO value of the create request above.
    const info = hex('0b 00 01 00 6d 61 63 76 6c 61 6e 00 0c 00 02 00 08 00 01 00 01 00 00 00');
    expect(parseLinkInfo(info)).toEqual({ kind: 'macvlan', macvlanMode: 1 });
    expect(parseLinkInfo(hex('08 00 01 00 76 65 74 68'))).toEqual({ kind: 'veth', macvlanMode: null });
    expect(parseLinkInfo(undefined)).toEqual({ kind: null, macvlanMode: null });
    expect(macBytes('00:00:5e:00:01')).toBeNull();
  });
});

/** A namespace in memory: links by name, /proc/sys values by path, requests recorded. */
function fakeSystem(init: Record<string, number>) {
  const sysctl = new Map(Object.entries(init));
  const links = new Map<string, ExistingLink>([
    [
      'eth0',
      {
        ifindex: 2,
        name: 'eth0',
        mac: macBytes('02:00:00:00:00:02'),
        kind: 'veth',
        macvlanMode: null,
        link: 9,
        arpType: 1,
      },
    ],
  ]);
  const requests: LinkRequest[] = [];
  let next = 10;
  const sys: VmacSystem = {
    request: (req) => {
      requests.push(req);
      if (req.type === 16 && req.flags !== 0) {
        const name = req.payload.subarray(40, 48).toString('latin1').replace(/\0.*$/, '');
        const mac = req.payload.subarray(20, 26);
        links.set(name, { ifindex: next++, name, mac, kind: 'macvlan', macvlanMode: 1, link: 2, arpType: 1 });
        for (const k of ['arp_ignore', 'accept_local', 'rp_filter', 'promote_secondaries'])
          sysctl.set(
            `net/ipv4/conf/${name}/${k}`,
            k === 'rp_filter' ? (sysctl.get('net/ipv4/conf/default/rp_filter') ?? 0) : 0,
          );
      }
      if (req.type === 17) {
        const ifindex = req.payload.readInt32LE(4);
        for (const [n, l] of links) if (l.ifindex === ifindex) links.delete(n);
      }
      return Promise.resolve();
    },
    link: (name) => Promise.resolve(links.get(name) ?? null),
    addAddress: () => Promise.resolve(true),
    readSysctl: (p) => sysctl.get(p) ?? null,
    writeSysctl: (p, v) => void sysctl.set(p, v),
    confNames: () => ['all', 'default', 'lo', ...links.keys()],
  };
  return { sys, sysctl, links, requests };
}

const spec = {
  instance: 'VI_1',
  ifname: 'vrrp.51',
  base: 'eth0',
  mac: '00:00:5e:00:01:33',
  family: 'inet' as const,
  ipv6: false,
};

describe('VmacManager', () => {
  it('creates, configures and removes the VMAC, putting the base parameters back', async () => {
    const f = fakeSystem({
      'net/ipv4/conf/eth0/arp_ignore': 0,
      'net/ipv4/conf/eth0/arp_filter': 0,
      'net/ipv4/conf/all/rp_filter': 0,
    });
    const log = new MemoryLogger();
    const m = new VmacManager(f.sys, log);
    const ifindex = await m.add(spec);
    expect(ifindex).toBe(10);
    expect(f.requests.map((r) => [r.type, r.flags])).toEqual([
      [16, 0x600],
      [16, 0],
      [16, 0],
    ]);
    const v = (k: string) => f.sysctl.get(k);
    expect([v('net/ipv4/conf/vrrp.51/arp_ignore'), v('net/ipv4/conf/vrrp.51/accept_local')]).toEqual([1, 1]);
    expect([v('net/ipv4/conf/vrrp.51/rp_filter'), v('net/ipv4/conf/vrrp.51/promote_secondaries')]).toEqual([
      0, 1,
    ]);
    expect(v('net/ipv6/conf/vrrp.51/disable_ipv6')).toBe(1);
    expect([v('net/ipv4/conf/eth0/arp_ignore'), v('net/ipv4/conf/eth0/arp_filter')]).toEqual([1, 1]);
    // A second VMAC on the same base keeps the saved values until the last one goes.
    await m.add({ ...spec, instance: 'VI_2', ifname: 'vrrp.52', mac: '00:00:5e:00:01:34' });
    await m.remove('vrrp.51');
    expect(v('net/ipv4/conf/eth0/arp_ignore')).toBe(1);
    await m.removeAll();
    expect([v('net/ipv4/conf/eth0/arp_ignore'), v('net/ipv4/conf/eth0/arp_filter')]).toEqual([0, 0]);
    expect([...f.links.keys()]).toEqual(['eth0']);
    expect(m.names()).toEqual([]);
  });

  it("clears all/rp_filter with keepalived's lines, raising the others first, and restores it", async () => {
    const f = fakeSystem({
      'net/ipv4/conf/all/rp_filter': 1,
      'net/ipv4/conf/default/rp_filter': 0,
      'net/ipv4/conf/lo/rp_filter': 0,
      'net/ipv4/conf/eth0/rp_filter': 2,
      'net/ipv4/conf/eth0/arp_ignore': 1,
      'net/ipv4/conf/eth0/arp_filter': 1,
    });
    const log = new MemoryLogger();
    const m = new VmacManager(f.sys, log);
    await m.add(spec);
    const v = (k: string) => f.sysctl.get(k);
    expect(v('net/ipv4/conf/all/rp_filter')).toBe(0);
    expect([v('net/ipv4/conf/default/rp_filter'), v('net/ipv4/conf/lo/rp_filter')]).toEqual([1, 1]);
    expect(v('net/ipv4/conf/eth0/rp_filter')).toBe(2);
    expect(v('net/ipv4/conf/vrrp.51/rp_filter')).toBe(0);
    expect(said(log)).toEqual([
      'NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from 0 to 1',
      'NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from 1 to 0',
    ]);
    await m.removeAll();
    expect(v('net/ipv4/conf/all/rp_filter')).toBe(1);
    expect([v('net/ipv4/conf/default/rp_filter'), v('net/ipv4/conf/lo/rp_filter')]).toEqual([0, 0]);
    expect(said(log).slice(2)).toEqual([
      'NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to 1',
      'NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to 0',
    ]);
  });

  it('refuses a name taken by another kind of interface, and corrects a macvlan of the wrong MAC', async () => {
    const f = fakeSystem({ 'net/ipv4/conf/all/rp_filter': 0 });
    f.links.set('vrrp.51', {
      ifindex: 5,
      name: 'vrrp.51',
      mac: null,
      kind: 'dummy',
      macvlanMode: null,
      link: null,
      arpType: 1,
    });
    const log = new MemoryLogger();
    const m = new VmacManager(f.sys, log);
    expect(await m.add(spec)).toBeNull();
    expect(said(log)).toEqual(['VMAC vrrp.51 conflicts with existing interface']);
    f.links.set('vrrp.51', {
      ifindex: 5,
      name: 'vrrp.51',
      mac: macBytes('02:00:00:00:00:09'),
      kind: 'macvlan',
      macvlanMode: 1,
      link: 2,
      arpType: 1,
    });
    expect(await m.add(spec)).toBe(5);
    expect(said(log)[1]).toBe('(VI_1) Update old VMAC interface vrrp.51 due to wrong MAC/mode ');
    expect(f.requests[0]).toMatchObject({ type: 16, flags: 0 });
    expect(f.requests[0]!.payload.readInt32LE(4)).toBe(5);
  });
});
