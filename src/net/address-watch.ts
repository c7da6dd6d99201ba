/**
 * EDGE: the host's addresses over rtnetlink (RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR): a dump at
 * open, then RTM_NEWADDR / RTM_DELADDR as they come. Counts how many interfaces hold each address,
 * as keepalived's ha_suspend_addr_count does (an address on two interfaces is gone when both lose it).
 */
import { createRtNetlink, rt, type RtNetlinkSocket } from 'netlink';
import { bytesToAddress } from '../util/ip.js';
import { hardenSubscription, type HardenResult } from './netlink-fd.js';

const NETLINK_ROUTE = 0;

const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;

export class AddressWatcher {
  /** `ifindex address` of every address held. */
  private readonly held = new Set<string>();
  private readonly listeners: ((address: string, added: boolean) => void)[] = [];
  /** What netlink-fd.ts could set on the socket (a burst of events must not abort the process). */
  readonly hardening: HardenResult;

  private constructor(private readonly socket: RtNetlinkSocket) {
    this.hardening = hardenSubscription(socket.socket, NETLINK_ROUTE);
    socket.socket.on('message', (msgs) => {
      for (const m of msgs) {
        if (m.type === RTM_NEWADDR || m.type === RTM_DELADDR) this.onAddress(m.data, m.type === RTM_NEWADDR);
      }
    });
  }

  /** Subscribes first, then reads the current addresses, so no change is missed. */
  static async open(): Promise<AddressWatcher> {
    const socket = createRtNetlink();
    socket.addMembership(rt.MulticastGroups.IPV4_IFADDR);
    socket.addMembership(rt.MulticastGroups.IPV6_IFADDR);
    const watcher = new AddressWatcher(socket);
    for (const m of await socket.getAddresses()) watcher.apply(m, true, false);
    return watcher;
  }

  /** Each address held and on how many interfaces. */
  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const k of this.held) {
      const address = k.slice(k.indexOf(' ') + 1);
      out.set(address, (out.get(address) ?? 0) + 1);
    }
    return out;
  }

  /** An address added to or removed from an interface (a repeated RTM_NEWADDR is no change). */
  onChange(fn: (address: string, added: boolean) => void): void {
    this.listeners.push(fn);
  }

  close(): void {
    this.socket.socket.close();
  }

  private onAddress(data: Buffer, added: boolean): void {
    let m: rt.AddressMessage;
    try {
      m = rt.parseAddressMessage(data);
    } catch {
      return; // A malformed kernel message: nothing to act on.
    }
    this.apply(m, added, true);
  }

  private apply(m: rt.AddressMessage, added: boolean, notify: boolean): void {
    const bytes = m.attrs.local ?? m.attrs.address;
    const address = bytes ? bytesToAddress(bytes) : null;
    if (address === null) return;
    const key = `${m.data.index ?? 0} ${address}`;
    if (added === this.held.has(key)) return;
    if (added) this.held.add(key);
    else this.held.delete(key);
    if (notify) for (const fn of this.listeners) fn(address, added);
  }
}
