/**
 * netlink-fd.ts: the subscription socket is found by its port in /proc/self/net/netlink and gets
 * NETLINK_NO_ENOBUFS and a larger receive buffer. The parser against a real table's layout, and
 * the options on a real NETLINK_ROUTE socket of this process.
 */
import { RawNetlinkSocket } from 'netlink';
import { describe, expect, it } from 'vitest';
import { hardenSubscription, netlinkInode, SUBSCRIBER_RECEIVE_BUFFER } from '../../../src/net/netlink-fd.js';

const TABLE = `sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode
00000000ce63f6d3 0   0          00000000 0        0        0     2        0        4
000000006f14608d 0   3221225473 00000011 0        0        0     2        0        91234
00000000aa14608d 16  77         00000000 0        0        0     2        0        555
`;

describe('netlinkInode', () => {
  it('finds the inode by protocol and port, ports above 2^31 included', () => {
    expect(netlinkInode(TABLE, 0, 3221225473)).toBe(91234);
    expect(netlinkInode(TABLE, 16, 77)).toBe(555);
    expect(netlinkInode(TABLE, 0, 77)).toBeNull();
    expect(netlinkInode('', 0, 1)).toBeNull();
  });
});

describe('hardenSubscription on a real socket', () => {
  it('sets NETLINK_NO_ENOBUFS and a receive buffer of at least what is asked (root: forced)', () => {
    const s = new RawNetlinkSocket(0, { recvBufferSize: 65536, sendBufferSize: 65536 });
    try {
      const before = s.getRecvBufferSize();
      const r = hardenSubscription(s, 0);
      expect(r.problems.filter((p) => !p.startsWith('SO_RCVBUFFORCE'))).toEqual([]);
      expect(r.noEnobufs).toBe(true);
      expect(r.receiveBuffer).toBe(SUBSCRIBER_RECEIVE_BUFFER);
      const after = s.getRecvBufferSize();
      // The kernel doubles what it is given (socket(7)); without CAP_NET_ADMIN it caps at rmem_max.
      if (process.getuid?.() === 0) expect(after).toBe(2 * SUBSCRIBER_RECEIVE_BUFFER);
      else expect(after).toBeGreaterThanOrEqual(before);
    } finally {
      s.close();
    }
  });
});
