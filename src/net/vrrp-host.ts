/**
 * EDGE: the host side of the VRRP subsystem, from the net/ adapters: link state (links.ts), VIPs
 * and routes (vip-manager.ts over addresses.ts), gratuitous ARP (arp.ts), raw protocol-112
 * sockets (raw-ip-socket.ts), scripts (script-runner.ts), track files (file-watch.ts) and
 * tracked processes (process-watch.ts). The
 * daemon joins these with vrrp/ into the VrrpPlatform port, which they satisfy structurally.
 */
import type { Logger } from '../util/log.js';
import { RtNetlink } from './addresses.js';
import { ArpSender } from './arp.js';
import { RuleNetlink } from './ip-rules.js';
import { initTrackFile, watchFileText } from './file-watch.js';
import { LinkWatcher } from './links.js';
import { watchProcesses, type ProcessWatchHandlers, type ProcessWatchOptions } from './process-watch.js';
import { VrrpRawSocket, type VrrpSocketOptions } from './raw-ip-socket.js';
import { UserScriptRunner, type ScriptUserSetting } from './script-runner.js';
import { VipManagerAdapter } from './vip-manager.js';

/** What VRRP needs to know about a link. */
export interface LinkUpState {
  readonly name: string;
  readonly ifindex: number;
  readonly up: boolean;
}

/** An address removed from an interface. */
export interface RemovedAddress {
  readonly ifname: string;
  readonly address: string;
  readonly prefixLength: number;
}

export interface VrrpHost {
  readonly links: {
    current(name: string): LinkUpState | null;
    /** Link up/down changes; a removed link is reported down. */
    onChange(fn: (link: LinkUpState) => void): void;
    /** Addresses removed from a known interface (RTM_DELADDR). */
    onAddressRemoved(fn: (removal: RemovedAddress) => void): void;
  };
  readonly vips: VipManagerAdapter;
  readonly garp: { sendGarp(ifname: string, vip: string): void };
  readonly scripts: UserScriptRunner;
  /** The interface's primary IPv4 address, ignoring `exclude` (our own VIPs). */
  primaryAddress(ifname: string, exclude: ReadonlySet<string>): Promise<string | null>;
  /** A raw protocol-112 socket; throws when it cannot be opened or configured. */
  openSocket(options: VrrpSocketOptions): VrrpRawSocket;
  initFile(path: string, value: number, overwrite: boolean): void;
  watchFile(path: string, fn: (text: string | null) => void): { close(): void };
  watchProcesses(handlers: ProcessWatchHandlers, options: ProcessWatchOptions): { close(): void };
  /** Closes the ARP, link and rtnetlink sockets (the raw sockets are their owners' to close). */
  close(): void;
}

/** `scriptUser` is read at every script run (a reload may change script_user). */
export async function openVrrpHost(
  logger: Logger,
  scriptUser: () => ScriptUserSetting | null,
): Promise<VrrpHost> {
  const nl = RtNetlink.open();
  const ruleNl = RuleNetlink.open();
  const links = await LinkWatcher.open();
  for (const p of links.hardening.problems) logger.detail(`link monitor socket: ${p}`);
  const arp = new ArpSender();
  const ifindexOf = (dev: string): number | null => links.current(dev)?.ifindex ?? null;

  const linkListeners: ((l: LinkUpState) => void)[] = [];
  const addressListeners: ((r: RemovedAddress) => void)[] = [];
  links.onEvent((e) => {
    if (e.kind === 'address-removed') {
      if (e.name === null) return;
      const removal = { ifname: e.name, address: e.address, prefixLength: e.prefixLength };
      for (const fn of addressListeners) fn(removal);
      return;
    }
    if (e.kind === 'link-removed') {
      // A deleted link is down to its trackers (keepalived's cleanup_lost_interface: FAULT).
      for (const fn of linkListeners) fn({ name: e.name, ifindex: e.ifindex, up: false });
      return;
    }
    for (const fn of linkListeners) fn({ name: e.link.name, ifindex: e.link.ifindex, up: e.link.up });
  });

  return {
    links: {
      current: (name) => {
        const l = links.current(name);
        return l ? { name: l.name, ifindex: l.ifindex, up: l.up } : null;
      },
      onChange: (fn) => void linkListeners.push(fn),
      onAddressRemoved: (fn) => void addressListeners.push(fn),
    },
    vips: new VipManagerAdapter(nl, ifindexOf, ruleNl),
    garp: {
      sendGarp: (ifname, vip) => {
        const link = links.current(ifname);
        if (!link || !link.mac) throw new Error(`no link-layer address for ${ifname}`);
        arp.send(link.ifindex, link.mac, vip);
      },
    },
    scripts: new UserScriptRunner(scriptUser),
    primaryAddress: async (ifname, exclude) => {
      const ifindex = ifindexOf(ifname);
      return ifindex === null ? null : nl.primaryAddress4(ifindex, exclude);
    },
    openSocket: (options) => VrrpRawSocket.open(options),
    initFile: (path, value, overwrite) => initTrackFile(path, value, overwrite, logger),
    watchFile: (path, fn) => watchFileText(path, fn, logger),
    watchProcesses: (handlers, options) => watchProcesses(handlers, options, logger),
    close: () => {
      arp.close();
      links.close();
      nl.close();
      ruleNl.close();
    },
  };
}
