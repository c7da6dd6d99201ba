// use_ipvlan's rtnetlink request byte for byte against what keepalived 2.2.7 sends (captured in the
// VM tier's guest with `strace -e trace=sendmsg -xx keepalived`, config `use_ipvlan ivka
// 10.99.0.5/24 private` on ivd0 = ifindex 2; sequence number replaced), iproute2's decoding of the
// same attributes, and the VmacManager's ipvlan path over a fake system (vrrp_vmac.c
// netlink_link_add_ipvlan: created up, no interface parameters but disable_ipv6, its address added).
import { describe, expect, it } from 'vitest';
import {
  createIpvlanRequest,
  deleteLinkRequest,
  IPVLAN_FLAGS,
  netlinkMessage,
  parseLinkInfo,
  VmacManager,
  type ExistingLink,
  type LinkRequest,
  type VmacSpec,
  type VmacSystem,
} from '../../../src/net/vmac.js';
import { MemoryLogger } from '../../../src/util/log.js';

const hex = (s: string): string => s.replace(/\s+/g, '');
const SEQ = 0x6b101dce;

describe('ipvlan rtnetlink request', () => {
  it('creates the ipvlan as keepalived does: IFF_UP, IFLA_LINK, IFLA_IFNAME, kind ipvlan, mode l2, flags', () => {
    // strace: nlmsg_len=84 RTM_NEWLINK NLM_F_REQUEST|NLM_F_ACK|NLM_F_EXCL|NLM_F_CREATE, ifi_flags=IFF_UP,
    // ifi_change=0x1, IFLA_LINK 2, IFLA_IFNAME (len 8) "ivka", IFLA_LINKINFO (36) { IFLA_INFO_KIND
    // (10) "ipvlan", IFLA_INFO_DATA (20) "\x06\x00\x01\x00\x00\x00\x00\x00\x06\x00\x02\x00\x01\x00\x00\x00" }.
    const req = createIpvlanRequest('ivka', 2, IPVLAN_FLAGS.private);
    expect(netlinkMessage(req, SEQ).toString('hex')).toBe(
      hex(`54 00 00 00 10 00 05 06  ce 1d 10 6b 00 00 00 00
           00 00 00 00 00 00 00 00  01 00 00 00 01 00 00 00
           08 00 05 00 02 00 00 00  08 00 03 00 69 76 6b 61
           24 00 12 00 0a 00 01 00  69 70 76 6c 61 6e 00 00
           14 00 02 00 06 00 01 00  00 00 00 00 06 00 02 00
           01 00 00 00`),
    );
  });

  it('with `group 9` (keepalived 2.3.0+) the same request ends with IFLA_GROUP 9', () => {
    const plain = netlinkMessage(createIpvlanRequest('ivka', 2, IPVLAN_FLAGS.private), SEQ);
    const grouped = netlinkMessage(createIpvlanRequest('ivka', 2, IPVLAN_FLAGS.private, 9), SEQ);
    expect(grouped.readUInt32LE(0)).toBe(plain.length + 8);
    expect(grouped.subarray(4, plain.length).equals(plain.subarray(4))).toBe(true);
    expect(grouped.subarray(plain.length).toString('hex')).toBe('08001b0009000000');
  });

  it('sends the flags of bridge (0), private (1) and vepa (2) in IFLA_IPVLAN_FLAGS', () => {
    const flagsOf = (f: number): number => {
      const m = createIpvlanRequest('vrrp.51', 3, f).payload;
      // The last attribute: IFLA_IPVLAN_FLAGS, type 2, 16 bits.
      expect(m.readUInt16LE(m.length - 6)).toBe(2);
      return m.readUInt16LE(m.length - 4);
    };
    expect([flagsOf(IPVLAN_FLAGS.bridge), flagsOf(IPVLAN_FLAGS.private), flagsOf(IPVLAN_FLAGS.vepa)]).toEqual(
      [0, 1, 2],
    );
  });

  it("reads an ipvlan's mode and flags from IFLA_LINKINFO", () => {
    const linkinfo = createIpvlanRequest('ivka', 2, IPVLAN_FLAGS.vepa).payload.subarray(36);
    expect(parseLinkInfo(linkinfo)).toEqual({
      kind: 'ipvlan',
      macvlanMode: null,
      ipvlanMode: 0,
      ipvlanFlags: 2,
    });
  });
});

/** A namespace in memory: links by name, /proc/sys values, addresses, requests recorded. */
function fakeSystem() {
  const sysctl = new Map<string, number>([
    ['net/ipv4/conf/all/rp_filter', 1],
    ['net/ipv4/conf/eth0/arp_ignore', 0],
  ]);
  const base: ExistingLink = {
    ifindex: 2,
    name: 'eth0',
    mac: Buffer.from('020000000002', 'hex'),
    kind: 'veth',
    macvlanMode: null,
    link: 9,
    arpType: 1,
    up: true,
  };
  const links = new Map<string, ExistingLink>([['eth0', base]]);
  const addresses: string[] = [];
  const requests: LinkRequest[] = [];
  let next = 10;
  const sys: VmacSystem = {
    request: (req) => {
      requests.push(req);
      if (req.type === 16 && req.flags !== 0) {
        const len = req.payload.readUInt16LE(24);
        const name = req.payload.subarray(28, 24 + len).toString('latin1');
        const flags = req.payload.readUInt16LE(req.payload.length - 4);
        links.set(name, {
          ifindex: next++,
          name,
          mac: base.mac,
          kind: 'ipvlan',
          macvlanMode: null,
          ipvlanMode: 0,
          ipvlanFlags: flags,
          link: 2,
          arpType: 1,
          up: (req.payload.readUInt32LE(8) & 1) === 1,
        });
      }
      if (req.type === 17) {
        const ifindex = req.payload.readInt32LE(4);
        for (const [n, l] of links) if (l.ifindex === ifindex) links.delete(n);
      }
      return Promise.resolve();
    },
    link: (name) => Promise.resolve(links.get(name) ?? null),
    addAddress: (ifindex, address, prefixLength) => {
      addresses.push(`${ifindex} ${address}/${prefixLength}`);
      return Promise.resolve(true);
    },
    readSysctl: (p) => sysctl.get(p) ?? null,
    writeSysctl: (p, v) => void sysctl.set(p, v),
    confNames: () => ['all', 'default', ...links.keys()],
  };
  return { sys, sysctl, links, addresses, requests };
}

const spec: VmacSpec = {
  instance: 'VI_1',
  ifname: 'vrrp.51',
  base: 'eth0',
  mac: '',
  family: 'inet',
  ipv6: false,
  ipvlan: { flags: IPVLAN_FLAGS.bridge, address: '192.0.2.5', prefixLength: 24 },
};

describe('VmacManager with use_ipvlan', () => {
  it('creates the ipvlan up in one request, turns IPv6 off, adds its address and changes nothing else', async () => {
    const f = fakeSystem();
    const log = new MemoryLogger();
    const m = new VmacManager(f.sys, log);
    expect(await m.add(spec)).toBe(10);
    expect(f.requests.map((r) => [r.type, r.flags])).toEqual([[16, 0x600]]);
    expect(f.requests[0]!.payload.readUInt32LE(8)).toBe(1); // IFF_UP
    expect(f.sysctl.get('net/ipv6/conf/vrrp.51/disable_ipv6')).toBe(1);
    expect(f.addresses).toEqual(['10 192.0.2.5/24']);
    // keepalived sets arp_ignore, rp_filter... for macvlans only.
    expect(f.sysctl.get('net/ipv4/conf/all/rp_filter')).toBe(1);
    expect(f.sysctl.get('net/ipv4/conf/eth0/arp_ignore')).toBe(0);
    expect(f.sysctl.has('net/ipv4/conf/vrrp.51/arp_ignore')).toBe(false);
    expect(log.lines.map((l) => l.message)).toEqual(['(VI_1): Success creating ipvlan interface vrrp.51']);
    await m.removeAll();
    expect(f.requests.at(-1)).toEqual(deleteLinkRequest(10));
    expect([...f.links.keys()]).toEqual(['eth0']);
    expect(log.lines.at(-1)!.message).toBe('(VI_1) Success removing VMAC interface vrrp.51');
  });

  it('keeps IPv6 on for an IPv6 instance and makes no address without one', async () => {
    const f = fakeSystem();
    const m = new VmacManager(f.sys, new MemoryLogger());
    await m.add({ ...spec, family: 'inet6', ipv6: true, ipvlan: { ...spec.ipvlan!, address: null } });
    expect(f.sysctl.get('net/ipv6/conf/vrrp.51/disable_ipv6')).toBe(0);
    expect(f.addresses).toEqual([]);
  });

  it('takes over a matching ipvlan (bringing it up), replaces an incompatible one, refuses another kind', async () => {
    const f = fakeSystem();
    const log = new MemoryLogger();
    const m = new VmacManager(f.sys, log);
    const old: ExistingLink = {
      ifindex: 7,
      name: 'vrrp.51',
      mac: null,
      kind: 'ipvlan',
      macvlanMode: null,
      ipvlanMode: 0,
      ipvlanFlags: 0,
      link: 2,
      arpType: 1,
      up: false,
    };
    f.links.set('vrrp.51', old);
    expect(await m.add(spec)).toBe(7);
    expect(f.requests.map((r) => [r.type, r.flags, r.payload.readInt32LE(4)])).toEqual([[16, 0, 7]]);
    await m.remove('vrrp.51');

    f.requests.length = 0;
    f.links.set('vrrp.51', { ...old, ipvlanFlags: 1 });
    expect(await m.add(spec)).toBe(10);
    expect(f.requests.map((r) => [r.type, r.flags])).toEqual([
      [17, 0],
      [16, 0x600],
    ]);
    expect(log.lines.map((l) => l.message)).toContain(
      '(VI_1) IPVLAN vrrp.51 already exists but is incompatible. It will be deleted/updated',
    );
    await m.remove('vrrp.51');

    f.links.set('vrrp.51', { ...old, kind: 'dummy' });
    expect(await m.add(spec)).toBeNull();
    expect(log.lines.at(-1)!.message).toBe(
      '(VI_1) IPVLAN interface name vrrp.51 already exists as a non IPVLAN interface. ignoring configured name',
    );
  });
});
