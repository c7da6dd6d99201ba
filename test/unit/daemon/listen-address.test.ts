import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../../src/daemon/listen-address.js';
import { listenUrl } from '../../../src/daemon/observe-listener.js';

describe('parseListenAddress (--metrics-listen)', () => {
  it.each([
    ['127.0.0.1:9650', { host: '127.0.0.1', port: 9650 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    [':9650', { host: '::', port: 9650 }],
    ['[::1]:9650', { host: '::1', port: 9650 }],
    ['[fe80::1]:1', { host: 'fe80::1', port: 1 }],
    ['[::ffff:10.0.0.1]:8080', { host: '::ffff:10.0.0.1', port: 8080 }],
    ['10.0.0.1:0', { host: '10.0.0.1', port: 0 }],
    ['255.255.255.255:65535', { host: '255.255.255.255', port: 65535 }],
  ])('%s', (text, want) => {
    expect(parseListenAddress(text)).toEqual(want);
  });

  it.each([
    '',
    '9650',
    '127.0.0.1',
    '127.0.0.1:',
    '127.0.0.1:65536',
    '127.0.0.1:123456',
    '256.0.0.1:80',
    '10.0.0:80',
    'localhost:80',
    '::1:9650',
    '[::1]',
    '[::1]:',
    '[zz::1]:80',
    '127.0.0.1:80 ',
    '127.0.0.1:-1',
  ])('rejects %j', (text) => {
    expect(parseListenAddress(text)).toBeNull();
  });

  it('listenUrl brackets IPv6 addresses', () => {
    expect(listenUrl({ host: '127.0.0.1', port: 9650 })).toBe('http://127.0.0.1:9650/');
    expect(listenUrl({ host: '::', port: 9650 })).toBe('http://[::]:9650/');
  });
});
