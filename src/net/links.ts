/**
 * EDGE: link up/down events from rtnetlink notifications (RTNLGRP_LINK), for `track_interface`
 * and for the VRRP interface itself. A link counts as up with IFF_UP and IFF_RUNNING, as
 * keepalived's IF_ISUP. Also addresses removed from an interface (RTNLGRP_IPV4_IFADDR and
 * RTNLGRP_IPV6_IFADDR, RTM_DELADDR): a VIP deleted by someone else.
 */
import { createRtNetlink, rt, type RtNetlinkSocket } from 'netlink';
import { bytesToAddress } from '../util/ip.js';
import { toLinkInfo, type LinkInfo } from './addresses.js';
import { hardenSubscription, type HardenResult } from './netlink-fd.js';

const NETLINK_ROUTE = 0;

export type LinkEvent =
  | { readonly kind: 'link-change'; readonly link: LinkInfo }
  | { readonly kind: 'link-removed'; readonly ifindex: number; readonly name: string }
  | {
      readonly kind: 'address-removed';
      readonly ifindex: number;
      /** The link's name, or null when the link is not known (already gone). */
      readonly name: string | null;
      readonly address: string;
      readonly prefixLength: number;
    };

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_DELADDR = 21;

/** Watches link changes; `current()` gives the last known state of every link by name. */
export class LinkWatcher {
  private readonly byName = new Map<string, LinkInfo>();
  private readonly listeners: ((e: LinkEvent) => void)[] = [];
  /** What netlink-fd.ts could set on the socket (a burst of events must not abort the process). */
  readonly hardening: HardenResult;

  private constructor(private readonly socket: RtNetlinkSocket) {
    this.hardening = hardenSubscription(socket.socket, NETLINK_ROUTE);
    // The lower socket keeps the message type, which tells RTM_NEWLINK from RTM_DELLINK.
    socket.socket.on('message', (msgs) => {
      for (const m of msgs) {
        if (m.type === RTM_DELADDR) {
          this.onAddressRemoved(m.data);
          continue;
        }
        if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) continue;
        let link: rt.LinkMessage;
        try {
          link = rt.parseLinkMessage(m.data);
        } catch {
          continue; // A malformed kernel message: nothing to act on.
        }
        this.onLink(link, m.type === RTM_DELLINK);
      }
    });
  }

  /** Subscribes to link notifications, then reads the current table (so no change is missed). */
  static async open(): Promise<LinkWatcher> {
    const socket = createRtNetlink();
    socket.addMembership(rt.MulticastGroups.LINK);
    socket.addMembership(rt.MulticastGroups.IPV4_IFADDR);
    socket.addMembership(rt.MulticastGroups.IPV6_IFADDR);
    const watcher = new LinkWatcher(socket);
    for (const m of await socket.getLinks()) {
      const info = toLinkInfo(m);
      watcher.byName.set(info.name, info);
    }
    return watcher;
  }

  current(name: string): LinkInfo | null {
    return this.byName.get(name) ?? null;
  }

  onEvent(fn: (e: LinkEvent) => void): void {
    this.listeners.push(fn);
  }

  close(): void {
    this.socket.socket.close();
  }

  private onLink(m: rt.LinkMessage, isDelete: boolean): void {
    const info = toLinkInfo(m);
    if (isDelete) {
      this.byName.delete(info.name);
      this.emit({ kind: 'link-removed', ifindex: info.ifindex, name: info.name });
      return;
    }
    const before = this.byName.get(info.name);
    this.byName.set(info.name, info);
    if (!before || before.up !== info.up) this.emit({ kind: 'link-change', link: info });
  }

  private onAddressRemoved(data: Buffer): void {
    let m: rt.AddressMessage;
    try {
      m = rt.parseAddressMessage(data);
    } catch {
      return; // A malformed kernel message: nothing to act on.
    }
    const bytes = m.attrs.local ?? m.attrs.address;
    const address = bytes ? bytesToAddress(bytes) : null;
    if (address === null) return;
    const ifindex = m.data.index ?? 0;
    let name: string | null = null;
    for (const link of this.byName.values()) if (link.ifindex === ifindex) name = link.name;
    this.emit({ kind: 'address-removed', ifindex, name, address, prefixLength: m.data.prefixlen ?? 0 });
  }

  private emit(e: LinkEvent): void {
    for (const fn of this.listeners) fn(e);
  }
}
