// keepalived's reload lines for the LVS side (ipwrapper.c clear_diff_services / clear_diff_rs) as
// a pure function of the old and new configuration and the table programmed under the old one.
import { describe, expect, it } from 'vitest';
import { lvsReloadLines } from '../../../src/check/reload-log.js';
import type { VirtualServerGroup } from '../../../src/config/model.js';
import type { DesiredService, DesiredTable } from '../../../src/contracts/ipvs-table.js';
import { config, realServer, tcpCheck, virtualServer } from './support/config.js';

const noFlags = {
  onePacket: false,
  shPort: false,
  shFallback: false,
  mhPort: false,
  mhFallback: false,
  sched1: false,
  sched2: false,
  sched3: false,
};

/** A programmed service holding destinations `address:port`; the key is deliberately not the VS key. */
function svc(over: Partial<DesiredService>, dests: readonly string[]): DesiredService {
  return {
    key: 'programmed',
    family: 'inet',
    protocol: 'TCP',
    address: '10.0.0.1',
    port: 80,
    fwmark: null,
    scheduler: 'wlc',
    persistenceTimeout: 0,
    persistenceGranularity: null,
    flags: noFlags,
    ...over,
    destinations: dests.map((d) => {
      const [address = '', port = '0'] = d.split(':');
      return {
        key: `${address}|${port}`,
        address,
        family: 'inet',
        port: Number(port),
        weight: 1,
        forwardingMethod: 'NAT',
        tunnel: null,
        uthreshold: 0,
        lthreshold: 0,
      };
    }),
  };
}
const table = (...services: DesiredService[]): DesiredTable => ({ services });
const rs = (address: string, port = 80, weight = 1) =>
  realServer(address, port, [tcpCheck(port)], { weight });
const loc = { file: 't', line: 1 };

describe('LVS reload lines', () => {
  it('nothing changed: no lines', () => {
    const cfg = config([virtualServer('10.0.0.1', 80, [rs('192.168.0.1')])]);
    expect(
      lvsReloadLines({ before: cfg, after: cfg, programmed: table(svc({}, ['192.168.0.1:80'])) }),
    ).toEqual([]);
  });

  it('a removed virtual server and a removed virtual server group', () => {
    const kept = virtualServer('10.0.0.1', 80, [rs('192.168.0.1')]);
    const before = config([
      kept,
      virtualServer('10.0.0.1', 443, [rs('192.168.0.3', 443)]),
      virtualServer('0.0.0.0', 80, [rs('192.168.0.4')], { key: 'group:G:80', address: null, group: 'G' }),
      virtualServer('0.0.0.0', 0, [rs('192.168.0.5')], {
        key: 'fwmark:inet:9',
        address: null,
        port: null,
        fwmark: 9,
      }),
    ]);
    const after = config([kept]);
    expect(lvsReloadLines({ before, after, programmed: table() })).toEqual([
      'Removing Virtual Server [10.0.0.1]:tcp:443',
      'Removing Virtual Server Group [G]',
      'Removing Virtual Server FWM 9',
    ]);
  });

  it('a removed real server: "no longer exist" always, "Removing service" only when it was in the table', () => {
    const before = config([
      virtualServer('10.0.0.1', 80, [rs('192.168.0.1'), rs('192.168.0.2'), rs('192.168.0.3')]),
    ]);
    const after = config([virtualServer('10.0.0.1', 80, [rs('192.168.0.1')])]);
    const programmed = table(svc({}, ['192.168.0.1:80', '192.168.0.3:80']));
    expect(lvsReloadLines({ before, after, programmed })).toEqual([
      'service [192.168.0.2]:tcp:80 no longer exist',
      'service [192.168.0.3]:tcp:80 no longer exist',
      'Removing service [192.168.0.3]:tcp:80 from VS [10.0.0.1]:tcp:80',
    ]);
  });

  it('a weight change names the real server active when it was in the table, inactive otherwise', () => {
    const before = config([virtualServer('10.0.0.1', 80, [rs('192.168.0.1'), rs('192.168.0.2')])]);
    const after = config([
      virtualServer('10.0.0.1', 80, [rs('192.168.0.1', 80, 3), rs('192.168.0.2', 80, 5)]),
    ]);
    const programmed = table(svc({}, ['192.168.0.1:80']));
    expect(lvsReloadLines({ before, after, programmed })).toEqual([
      'Changing weight from 1 to 3 for active service [192.168.0.1]:tcp:80 of VS [10.0.0.1]:tcp:80',
      'Changing weight from 1 to 5 for inactive service [192.168.0.2]:tcp:80 of VS [10.0.0.1]:tcp:80',
    ]);
  });

  it('a real server changed in something but its weight gets no line', () => {
    const before = config([virtualServer('10.0.0.1', 80, [rs('192.168.0.1')])]);
    const after = config([virtualServer('10.0.0.1', 80, [realServer('192.168.0.1', 80, [tcpCheck(8080)])])]);
    expect(lvsReloadLines({ before, after, programmed: table(svc({}, ['192.168.0.1:80'])) })).toEqual([]);
  });

  it('order: removed virtual servers, then per virtual server its removals and then its weight changes', () => {
    const before = config([
      virtualServer('10.0.0.1', 80, [rs('192.168.0.1'), rs('192.168.0.2')]),
      virtualServer('10.0.0.2', 80, [rs('192.168.0.3'), rs('192.168.0.4')]),
      virtualServer('10.0.0.3', 80, [rs('192.168.0.5')]),
    ]);
    const after = config([
      virtualServer('10.0.0.1', 80, [rs('192.168.0.1', 80, 2)]),
      virtualServer('10.0.0.2', 80, [rs('192.168.0.3', 80, 4)]),
    ]);
    const programmed = table(
      svc({}, ['192.168.0.1:80', '192.168.0.2:80']),
      svc({ address: '10.0.0.2' }, ['192.168.0.4:80']),
    );
    expect(lvsReloadLines({ before, after, programmed })).toEqual([
      'Removing Virtual Server [10.0.0.3]:tcp:80',
      'service [192.168.0.2]:tcp:80 no longer exist',
      'Removing service [192.168.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80',
      'Changing weight from 1 to 2 for active service [192.168.0.1]:tcp:80 of VS [10.0.0.1]:tcp:80',
      'service [192.168.0.4]:tcp:80 no longer exist',
      'Removing service [192.168.0.4]:tcp:80 from VS [10.0.0.2]:tcp:80',
      'Changing weight from 1 to 4 for inactive service [192.168.0.3]:tcp:80 of VS [10.0.0.2]:tcp:80',
    ]);
  });

  it("a destination counts only under its own virtual server's identity (protocol, family, fwmark)", () => {
    const before = config([
      virtualServer('10.0.0.1', 80, [rs('192.168.0.1'), rs('192.168.0.2')]),
      virtualServer('0.0.0.0', 0, [rs('192.168.0.1'), rs('192.168.0.2')], {
        key: 'fwmark:inet:7',
        address: null,
        port: null,
        fwmark: 7,
      }),
    ]);
    const after = config([
      virtualServer('10.0.0.1', 80, [rs('192.168.0.1', 80, 2)]),
      virtualServer('0.0.0.0', 0, [rs('192.168.0.1', 80, 2)], {
        key: 'fwmark:inet:7',
        address: null,
        port: null,
        fwmark: 7,
      }),
    ]);
    // The same address and port over UDP, and the same fwmark over IPv6, are other services.
    const programmed = table(
      svc({ protocol: 'UDP' }, ['192.168.0.1:80', '192.168.0.2:80']),
      svc({ family: 'inet6', protocol: null, address: null, port: null, fwmark: 7 }, [
        '192.168.0.1:80',
        '192.168.0.2:80',
      ]),
    );
    expect(lvsReloadLines({ before, after, programmed })).toEqual([
      'service [192.168.0.2]:tcp:80 no longer exist',
      'Changing weight from 1 to 2 for inactive service [192.168.0.1]:tcp:80 of VS [10.0.0.1]:tcp:80',
      'service [192.168.0.2]:tcp:80 no longer exist',
      'Changing weight from 1 to 2 for inactive service [192.168.0.1]:tcp:80 of VS FWM 7',
    ]);
    const own = table(
      svc({}, ['192.168.0.2:80']),
      svc({ protocol: null, address: null, port: null, fwmark: 7 }, ['192.168.0.1:80']),
    );
    expect(lvsReloadLines({ before, after, programmed: own })).toEqual([
      'service [192.168.0.2]:tcp:80 no longer exist',
      'Removing service [192.168.0.2]:tcp:80 from VS [10.0.0.1]:tcp:80',
      'Changing weight from 1 to 2 for inactive service [192.168.0.1]:tcp:80 of VS [10.0.0.1]:tcp:80',
      'service [192.168.0.2]:tcp:80 no longer exist',
      'Changing weight from 1 to 2 for active service [192.168.0.1]:tcp:80 of VS FWM 7',
    ]);
  });

  it("a group's real servers are looked up under every service the group expands to (old groups)", () => {
    const group: VirtualServerGroup = {
      name: 'G',
      loc,
      entries: [
        { kind: 'address', family: 'inet', address: '10.0.0.10', lastAddress: '10.0.0.12', port: 8080, loc },
      ],
    };
    const vs = (servers: ReturnType<typeof rs>[]) =>
      virtualServer('0.0.0.0', 80, servers, { key: 'group:G:80', address: null, group: 'G' });
    const before = config([vs([rs('192.168.0.1'), rs('192.168.0.2')])], { virtualServerGroups: [group] });
    const after = config([vs([])], { virtualServerGroups: [] });
    const programmed = table(svc({ address: '10.0.0.12', port: 8080 }, ['192.168.0.2:80']));
    expect(lvsReloadLines({ before, after, programmed })).toEqual([
      'service [192.168.0.1]:tcp:80 no longer exist',
      'service [192.168.0.2]:tcp:80 no longer exist',
      'Removing service [192.168.0.2]:tcp:80 from VS [G]:80',
    ]);
  });
});
