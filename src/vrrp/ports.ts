/**
 * The ports the VRRP shell talks through. vrrp/ owns these interfaces; the daemon builds
 * implementations from net/ adapters (which satisfy them structurally, without importing vrrp/),
 * and unit tests use in-memory fakes.
 */
import type { IpRule, ScriptSpec, VirtualRoute, Vip } from '../config/model.js';
import type { ScriptOutcome } from '../contracts/script.js';
import type { ProcessEvent, ProcessInfo } from './process-quorum.js';
import type { HmacSha256 } from './auth-hmac.js';

/** One instance's advert channel: the group or its unicast peers, on its interface. */
export interface VrrpIo {
  /** The IPv4 source written into our adverts (mcast_src_ip, unicast_src_ip or primary). */
  readonly sourceAddress: string;
  /** Sends one VRRP message (no IPv4 header) to the group, or to every unicast peer. */
  send(vrrpMessage: Buffer): Promise<void>;
  /** Receives whole IPv4 datagrams (header first) addressed to this instance's VRID. */
  onDatagram(fn: (datagram: Buffer) => void): void;
  close(): void;
}

export interface VipOutcome {
  /** Addresses actually changed (added, or removed); others were already in that state. */
  readonly changed: readonly string[];
  /** Failures, one readable line each (the shell logs them). */
  readonly errors: readonly string[];
}

/** Adds and removes an instance's VIPs, eVIPs, virtual routes and rules (rtnetlink). */
export interface VipManager {
  addAddresses(vips: readonly Vip[]): Promise<VipOutcome>;
  removeAddresses(vips: readonly Vip[]): Promise<VipOutcome>;
  addRoutes(routes: readonly VirtualRoute[], defaultDev: string | null): Promise<VipOutcome>;
  removeRoutes(routes: readonly VirtualRoute[], defaultDev: string | null): Promise<VipOutcome>;
  /** `virtual_rules` / `static_rules`, in order; a rule the kernel has already is no change. */
  addRules(rules: readonly IpRule[]): Promise<VipOutcome>;
  removeRules(rules: readonly IpRule[]): Promise<VipOutcome>;
}

/** Sends one gratuitous ARP for an IPv4 VIP on an interface. Never blocks. */
export interface GarpSender {
  sendGarp(ifname: string, vip: string): void;
}

/** How a script ended; the name the VRRP ports (and their test fakes) use for ScriptOutcome. */
export type ScriptResult = ScriptOutcome;

/** Runs a configured script as script_user (or its own user) with a timeout; never blocks. */
export interface ScriptRunner {
  run(spec: ScriptSpec, extraArgs: readonly string[], timeoutMs: number): Promise<ScriptResult>;
}

/** The notify side of a state change (scripts now; a FIFO writer can sit behind it later). */
export interface Notifier {
  /**
   * `notify_<state>` then the generic `notify` with `INSTANCE|GROUP name STATE priority`.
   * Resolves when the scripts have ended (callers usually do not wait, except at stop).
   */
  notify(
    kind: 'INSTANCE' | 'GROUP',
    name: string,
    state: string,
    priority: number,
    scripts: {
      readonly specific: ScriptSpec | null;
      readonly generic: ScriptSpec | null;
    },
  ): Promise<void>;
}

/** What the engine needs to know about a link. */
export interface LinkState {
  readonly name: string;
  readonly ifindex: number;
  readonly up: boolean;
}

/** An address the kernel reports removed from an interface (RTM_DELADDR). */
export interface AddressRemoval {
  /** The interface's name. */
  readonly ifname: string;
  readonly address: string;
  readonly prefixLength: number;
}

export interface LinkMonitor {
  current(name: string): LinkState | null;
  onChange(fn: (link: LinkState) => void): void;
  /** Addresses removed from any interface (by us or by someone else). */
  onAddressRemoved?(fn: (removal: AddressRemoval) => void): void;
}

export interface ChannelOptions {
  /** null for unicast instances configured without an interface. */
  readonly interfaceName: string | null;
  readonly sourceAddress: string;
  /** 224.0.0.18 (or mcast_dst_ip) for multicast; null in unicast mode. */
  readonly multicastGroup: string | null;
  readonly unicastPeers: readonly string[];
  readonly ttl: number;
  readonly vrid: number;
}

/** What a raw protocol-112 socket is opened with (net/raw-ip-socket.ts `VrrpSocketOptions`). */
export interface VrrpSocketOptions {
  /** Interface to bind to and join the group on; null for unbound unicast. */
  readonly interfaceName: string | null;
  readonly ifindex: number | null;
  /** Source written into every IPv4 header. */
  readonly sourceAddress: string;
  /** Multicast group to join, or null in unicast mode. */
  readonly multicastGroup: string | null;
  readonly ttl: number;
}

/** A raw protocol-112 socket, shared by the instances of one channel key (channels.ts). */
export interface VrrpSocket {
  /** Sends one VRRP message (the socket writes the IPv4 header) to one destination. */
  send(vrrpMessage: Buffer, destination: string): Promise<void>;
  /** Every received protocol-112 datagram, whole and as the bytes after its IPv4 header. */
  onDatagram(fn: (d: { readonly datagram: Buffer; readonly payload: Buffer }) => void): void;
  onError(fn: (error: Error) => void): void;
  close(): void;
}

/** Opens a raw socket (net/raw-ip-socket.ts `VrrpRawSocket.open`). Throws when it cannot. */
export type VrrpSocketOpener = (options: VrrpSocketOptions) => VrrpSocket;

/** Everything the VRRP engine needs from the host, built by the daemon from net/ adapters. */
export interface VrrpPlatform {
  readonly links: LinkMonitor;
  readonly vips: VipManager & {
    /** Which of `vips` are configured on their devices now (crash leftovers at start). */
    present(vips: readonly Vip[]): Promise<readonly Vip[]>;
  };
  readonly garp: GarpSender;
  readonly notifier: Notifier;
  readonly scripts: ScriptRunner;
  /** The interface's primary IPv4 address, ignoring `exclude` (our own VIPs). */
  primaryAddress(ifname: string, exclude: ReadonlySet<string>): Promise<string | null>;
  /** Opens (or shares) the advert channel for one instance. Throws when it cannot. */
  openChannel(options: ChannelOptions): VrrpIo;
  /**
   * `init_file VALUE [overwrite]`: writes VALUE to the file when it does not exist (or always
   * with overwrite). Failures are the platform's to log.
   */
  initFile(path: string, value: number, overwrite: boolean): void;
  /** Calls `fn` with the file's text now and on every change (null when unreadable). */
  watchFile(path: string, fn: (text: string | null) => void): { close(): void };
  /**
   * Watches the host's processes for vrrp_track_process (net/process-watch.ts): `scan` once the
   * watch is in place, then `event`s, or `poll` snapshots where events are unavailable.
   */
  watchProcesses?(handlers: ProcessWatchHandlers, options: { readonly cmdline: boolean }): { close(): void };
  /** HMAC-SHA256 for auth_hmac (net/hmac.ts); without it an auth_hmac instance cannot sign or check. */
  readonly hmacSha256?: HmacSha256;
}

/** What a process watch reports (vrrp/process-quorum.ts counts it). */
export interface ProcessWatchHandlers {
  scan(processes: readonly ProcessInfo[]): void;
  event(e: ProcessEvent): void;
  poll(processes: readonly ProcessInfo[]): void;
}
