/**
 * EDGE: link up/down events from rtnetlink notifications (RTNLGRP_LINK), for `track_interface`
 * and for the VRRP interface itself. A link counts as up with IFF_UP and IFF_RUNNING, as
 * keepalived's IF_ISUP.
 */
import { createRtNetlink, rt, type RtNetlinkSocket } from 'netlink';
import { toLinkInfo, type LinkInfo } from './addresses.js';

export type LinkEvent =
  | { readonly kind: 'link-change'; readonly link: LinkInfo }
  | { readonly kind: 'link-removed'; readonly ifindex: number; readonly name: string };

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;

/** Watches link changes; `current()` gives the last known state of every link by name. */
export class LinkWatcher {
  private readonly byName = new Map<string, LinkInfo>();
  private readonly listeners: ((e: LinkEvent) => void)[] = [];

  private constructor(private readonly socket: RtNetlinkSocket) {
    // The lower socket keeps the message type, which tells RTM_NEWLINK from RTM_DELLINK.
    socket.socket.on('message', (msgs) => {
      for (const m of msgs) {
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

  private emit(e: LinkEvent): void {
    for (const fn of this.listeners) fn(e);
  }
}
