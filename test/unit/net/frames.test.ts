import { describe, expect, it } from 'vitest';
import { buildGratuitousArp, GARP_FRAME_LENGTH } from '../../../src/net/arp.js';
import { buildIpv4Header, parseIpv4Header } from '../../../src/net/raw-ip-socket.js';
import { scopeNumber } from '../../../src/net/addresses.js';

describe('gratuitous ARP frame (docs/behaviour.md §3.7)', () => {
  it('is a broadcast ARP request with spa = tpa = VIP and tha = broadcast', () => {
    const mac = Buffer.from('020000aabbcc', 'hex');
    const f = buildGratuitousArp(mac, '10.0.0.100')!;
    expect(f).toHaveLength(GARP_FRAME_LENGTH);
    expect(f.toString('hex')).toBe(
      [
        'ffffffffffff', // eth dst
        '020000aabbcc', // eth src = interface MAC
        '0806', // ethertype ARP
        '0001', // htype Ethernet
        '0800', // ptype IPv4
        '06', // hlen
        '04', // plen
        '0001', // op REQUEST
        '020000aabbcc', // sha
        '0a000064', // spa = VIP
        'ffffffffffff', // tha
        '0a000064', // tpa = VIP
      ].join(''),
    );
  });
  it('rejects an IPv6 address or a short MAC', () => {
    expect(buildGratuitousArp(Buffer.alloc(6), '2001:db8::1')).toBeNull();
    expect(buildGratuitousArp(Buffer.alloc(5), '10.0.0.1')).toBeNull();
  });
});

describe('IPv4 header for adverts (RFC 3768 section 5.2)', () => {
  it('has TOS 0xc0, TTL 255, protocol 112 and a valid checksum', () => {
    const h = buildIpv4Header(Buffer.from([10, 0, 0, 1]), Buffer.from([224, 0, 0, 18]), 20, 255, 7);
    expect(h.toString('hex')).toBe(
      [
        '45', // version 4, IHL 5
        'c0', // TOS
        '0028', // total length 40
        '0007', // id
        '0000', // flags, fragment offset
        'ff', // TTL 255
        '70', // protocol 112
        h.subarray(10, 12).toString('hex'), // checksum, verified below
        '0a000001', // source
        'e0000012', // destination
      ].join(''),
    );
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
    const view = parseIpv4Header(Buffer.concat([h, Buffer.alloc(20)]))!;
    expect(view).toMatchObject({ source: '10.0.0.1', destination: '224.0.0.18', ttl: 255, totalLength: 40 });
    expect(view.payload).toHaveLength(20);
  });
  it('parses nothing from a short or non-IPv4 buffer', () => {
    expect(parseIpv4Header(Buffer.alloc(10))).toBeNull();
    expect(parseIpv4Header(Buffer.from('65' + '00'.repeat(19), 'hex'))).toBeNull();
  });
});

describe('address scope names', () => {
  it('maps iproute2 names and numbers', () => {
    expect(scopeNumber(null)).toBe(0);
    expect(scopeNumber('host')).toBe(254);
    expect(scopeNumber('link')).toBe(253);
    expect(scopeNumber('site')).toBe(200);
    expect(scopeNumber('global')).toBe(0);
    expect(scopeNumber('17')).toBe(17);
    expect(scopeNumber('bogus')).toBeNull();
  });
});
