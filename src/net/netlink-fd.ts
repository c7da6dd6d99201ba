/**
 * EDGE: the receive side of the rtnetlink and proc-connector subscriptions made safe against a
 * burst of kernel events (docs/reliability.md, netlink overrun).
 *
 * When events come faster than the daemon reads them (thousands of addresses or links changed at
 * once, or the event loop held by a big reload), the kernel drops them and recvmsg(2) reports
 * ENOBUFS. The `netlink` module's native reader aborts the whole process on that error (a C++
 * exception out of its poll callback, whatever the JS listeners do), so each subscription socket
 * gets NETLINK_NO_ENOBUFS (netlink(7): the overrun is not reported, the events are still lost, as
 * keepalived logs them lost and carries on) and, as root, a larger receive buffer
 * (SO_RCVBUFFORCE; keepalived's netlink_rcv_bufs with force). The module keeps the descriptor
 * to itself: it is found in /proc/self/fd by the socket's inode, which /proc/self/net/netlink
 * lists beside the socket's port id.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';

/** <linux/netlink.h>, <asm-generic/socket.h>. */
const SOL_NETLINK = 270;
const NETLINK_NO_ENOBUFS = 5;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;

/** The receive buffer asked for: a burst of about 10,000 address events fits. */
export const SUBSCRIBER_RECEIVE_BUFFER = 8 * 1024 * 1024;

interface SocketOptionModule {
  setSocketOptionInt(fd: number, level: number, name: number, value: number): void;
}
const require = createRequire(import.meta.url);
let options: SocketOptionModule | null = null;
function loadOptions(): SocketOptionModule {
  options ??= require('@keepalived-ts/af-packet') as SocketOptionModule;
  return options;
}

/** The part of the `netlink` module's RawNetlinkSocket this file uses. */
export interface NetlinkAddressable {
  address(): { port: number };
}

/** The inode of the netlink socket of `protocol` bound to `port`, from /proc/self/net/netlink. */
export function netlinkInode(table: string, protocol: number, port: number): number | null {
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
    if (f.length >= 10 && Number(f[1]) === protocol && Number(f[2]) >>> 0 === port >>> 0) return Number(f[9]);
  }
  return null;
}

/** The descriptor of this process whose link is `socket:[inode]`. */
function fdOfInode(inode: number): number | null {
  const want = `socket:[${inode}]`;
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`) === want) return Number(name);
    } catch {
      // closed meanwhile
    }
  }
  return null;
}

export interface HardenResult {
  readonly noEnobufs: boolean;
  /** The receive buffer set, or null when neither option took. */
  readonly receiveBuffer: number | null;
  /** Why something did not take, for the caller's log line. */
  readonly problems: readonly string[];
}

/**
 * Sets NETLINK_NO_ENOBUFS and a large receive buffer on a subscription socket. Never throws:
 * what did not take is in `problems` (the socket still works, as before).
 */
export function hardenSubscription(socket: NetlinkAddressable, protocol: number): HardenResult {
  const problems: string[] = [];
  let fd: number | null = null;
  try {
    const inode = netlinkInode(
      readFileSync('/proc/self/net/netlink', 'utf8'),
      protocol,
      socket.address().port,
    );
    fd = inode === null ? null : fdOfInode(inode);
  } catch (e) {
    problems.push(`finding the socket: ${(e as Error).message}`);
  }
  if (fd === null) {
    if (problems.length === 0) problems.push('socket not found in /proc/self/fd');
    return { noEnobufs: false, receiveBuffer: null, problems };
  }
  const set = (level: number, name: number, value: number, what: string): boolean => {
    try {
      loadOptions().setSocketOptionInt(fd, level, name, value);
      return true;
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
      return false;
    }
  };
  const noEnobufs = set(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1, 'NETLINK_NO_ENOBUFS');
  // SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped at net.core.rmem_max.
  const receiveBuffer =
    set(SOL_SOCKET, SO_RCVBUFFORCE, SUBSCRIBER_RECEIVE_BUFFER, 'SO_RCVBUFFORCE') ||
    set(SOL_SOCKET, SO_RCVBUF, SUBSCRIBER_RECEIVE_BUFFER, 'SO_RCVBUF')
      ? SUBSCRIBER_RECEIVE_BUFFER
      : null;
  return { noEnobufs, receiveBuffer, problems };
}
