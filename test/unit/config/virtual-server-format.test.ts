// keepalived's names for virtual and real servers (check_data.c format_vs / format_rs over
// inet_sockaddrtotrio), the one formatter behind config diagnostics, checker lines and reload lines.
import { describe, expect, it } from 'vitest';
import {
  formatRs,
  formatTrio,
  formatVs,
  type VirtualServerName,
} from '../../../src/config/virtual-server-format.js';

const plain: VirtualServerName = {
  address: '10.1.1.166',
  port: 80,
  fwmark: null,
  group: null,
  protocol: 'TCP',
};

describe('virtual and real server names', () => {
  it('an address service is [IP]:proto:port, the protocol in lower case', () => {
    expect(formatVs(plain)).toBe('[10.1.1.166]:tcp:80');
    expect(formatVs({ ...plain, protocol: 'SCTP' })).toBe('[10.1.1.166]:sctp:80');
    expect(formatVs({ ...plain, address: '2001:db8::1', port: 443, protocol: 'UDP' })).toBe(
      '[2001:db8::1]:udp:443',
    );
  });

  it('a protocol not known yet prints none', () => {
    expect(formatVs({ ...plain, protocol: 'UDP' }, false)).toBe('[10.1.1.166]:none:80');
    expect(formatTrio('192.0.2.1', null, 80)).toBe('[192.0.2.1]:none:80');
  });

  it('a fwmark service is FWM N; a group is [NAME]:port, tested first as format_vs does', () => {
    expect(formatVs({ ...plain, address: null, port: null, fwmark: 10 })).toBe('FWM 10');
    expect(formatVs({ ...plain, address: null, group: 'G1' })).toBe('[G1]:80');
    expect(formatVs({ ...plain, address: null, port: null, group: 'G1' })).toBe('[G1]:0');
    expect(formatVs({ ...plain, address: null, fwmark: 10, group: 'G1' })).toBe('[G1]:80');
  });

  it("a real server takes its virtual server's protocol", () => {
    expect(formatRs({ address: '10.1.1.163', port: 8080 }, { protocol: 'TCP' })).toBe(
      '[10.1.1.163]:tcp:8080',
    );
    expect(formatRs({ address: 'fd00::2', port: 53 }, { protocol: 'UDP' })).toBe('[fd00::2]:udp:53');
  });
});
