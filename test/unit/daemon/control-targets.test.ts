// What `rs drain VS RS` names: endpoint forms, canonical addresses, protocol disambiguation.
import { describe, expect, it } from 'vitest';
import { findRealServer, findVirtualServer, parseEndpoint } from '../../../src/daemon/control-targets.js';
import { config, realServer, virtualServer } from '../check/support/config.js';

describe('parseEndpoint', () => {
  it.each([
    ['10.0.0.1:80', { kind: 'addr', address: '10.0.0.1', port: 80 }],
    ['10.0.0.1', { kind: 'addr', address: '10.0.0.1', port: null }],
    ['[2001:db8:0::1]:443', { kind: 'addr', address: '2001:db8::1', port: 443 }],
    ['2001:db8::1', { kind: 'addr', address: '2001:db8::1', port: null }],
    ['fwmark:5', { kind: 'fwmark', fwmark: 5 }],
    ['group:web', { kind: 'group', group: 'web' }],
  ])('%s', (text, want) => expect(parseEndpoint(text)).toEqual(want));

  it.each(['10.0.0.1:99999', '10.0.0.300:80', 'fwmark:0', 'host:80', '[10.0.0.1/24]:80', ''])(
    '%s is refused',
    (t) => expect(parseEndpoint(t)).toBeNull(),
  );
});

describe('finding servers', () => {
  const tcp = virtualServer('10.0.0.1', 80, [
    realServer('10.0.1.1', 80, []),
    realServer('2001:db8::5', 80, []),
  ]);
  const udp = virtualServer('10.0.0.1', 80, [realServer('10.0.1.1', 80, [])], {
    key: 'UDP:10.0.0.1:80',
    protocol: 'UDP',
  });
  const fwm = virtualServer('10.0.0.9', 0, [realServer('10.0.1.1', 0, [])], {
    key: 'fwmark:inet:7',
    address: null,
    port: null,
    fwmark: 7,
  });
  const cfg = config([tcp, udp, fwm]);

  it('needs --protocol when address and port name two virtual servers', () => {
    expect(findVirtualServer(cfg, '10.0.0.1:80', null)).toMatchObject({
      ok: false,
      error: { code: 'ambiguous' },
    });
    expect(findVirtualServer(cfg, '10.0.0.1:80', 'UDP')).toEqual({ ok: true, value: udp });
    expect(findVirtualServer(cfg, 'fwmark:7', null)).toEqual({ ok: true, value: fwm });
    expect(findVirtualServer(cfg, '10.0.0.2:80', 'TCP')).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
  });

  it('finds real servers by canonical address, with or without the port', () => {
    expect(findRealServer(tcp, '[2001:db8:0:0::5]:80')).toMatchObject({
      ok: true,
      value: { key: '2001:db8::5|80' },
    });
    expect(findRealServer(tcp, '10.0.1.1')).toMatchObject({ ok: true, value: { key: '10.0.1.1|80' } });
    expect(findRealServer(tcp, '10.0.1.1:81')).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(findRealServer(tcp, 'fwmark:3')).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});
