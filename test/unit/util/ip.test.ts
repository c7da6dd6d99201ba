import { describe, expect, it } from 'vitest';
import { addressToBytes, bytesToAddress, compareAddresses, parseAddress } from '../../../src/util/ip.js';

describe('parseAddress', () => {
  it('parses IPv4 with and without prefix', () => {
    expect(parseAddress('10.1.1.166')).toEqual({ address: '10.1.1.166', family: 'inet', prefixLength: null });
    expect(parseAddress('10.1.1.166/24')).toEqual({
      address: '10.1.1.166',
      family: 'inet',
      prefixLength: 24,
    });
  });
  it('canonicalises IPv6', () => {
    expect(parseAddress('2001:0db8:0::1/64')).toEqual({
      address: '2001:db8::1',
      family: 'inet6',
      prefixLength: 64,
    });
  });
  it('rejects bad text', () => {
    for (const bad of [
      '1.2.3',
      '10.0.0.256',
      '10.0.0.1/33',
      'abc',
      '',
      '10.0.0.1/',
      '::1/129',
      'fe80::1%eth0',
    ]) {
      expect(parseAddress(bad), bad).toBeNull();
    }
  });
});

describe('address bytes', () => {
  it('round-trips both families', () => {
    expect(addressToBytes('10.0.0.1')).toEqual(Buffer.from([10, 0, 0, 1]));
    const v6 = addressToBytes('::1')!;
    expect(v6.length).toBe(16);
    expect(v6[15]).toBe(1);
    expect(bytesToAddress(addressToBytes('2001:db8::1')!)).toBe('2001:db8::1');
  });
  it('compares numerically, not as text', () => {
    expect(compareAddresses('10.0.0.9', '10.0.0.10')).toBeLessThan(0);
    expect(compareAddresses('10.0.0.2', '10.0.0.2')).toBe(0);
  });
});
