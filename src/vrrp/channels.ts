/**
 * SHELL: the advert channels of the instances. `channelOptionsFor` picks an instance's advert
 * source and destinations; `VrrpChannelHub` shares one raw socket among the instances with the
 * same interface, multicast group (or unicast), source and TTL, hands each instance the adverts
 * of its VRID (demux.ts), and closes a socket with its last instance. The sockets themselves come
 * through the VrrpSocketOpener port (net/raw-ip-socket.ts in the daemon, fakes in tests).
 */
import type { VrrpInstance } from '../config/model.js';
import type { Logger } from '../util/log.js';
import { VridDemux } from './demux.js';
import type { ChannelOptions, LinkMonitor, VrrpIo, VrrpSocket, VrrpSocketOpener } from './ports.js';
import { VRRP_FIXED_HEADER_LENGTH } from './packet.js';
import { unknownVridLogLine } from './validate.js';

/**
 * Channel options of an instance. The source is mcast_src_ip or unicast_src_ip (the one of the
 * instance's mode first), else the interface's primary address ignoring the instance's own VIPs
 * (`primaryAddress` is asked only then). Null when there is no usable source.
 */
export async function channelOptionsFor(
  instance: VrrpInstance,
  mcastGroup4: string,
  primaryAddress: (ifname: string, exclude: ReadonlySet<string>) => Promise<string | null>,
): Promise<ChannelOptions | null> {
  const all = [...instance.vips, ...instance.excludedVips];
  const own = new Set(all.map((v) => v.address));
  const unicast = instance.unicastPeers.length > 0;
  const source =
    (unicast ? instance.unicastSrcIp : instance.mcastSrcIp) ??
    instance.mcastSrcIp ??
    instance.unicastSrcIp ??
    (instance.interface !== null ? await primaryAddress(instance.interface, own) : null);
  if (source === null) return null;
  return {
    // use_vmac: adverts go out from (and come in on) the VMAC, unless vmac_xmit_base (vrrp_scheduler.c).
    interfaceName:
      instance.vmac !== null && !instance.vmac.xmitBase ? instance.vmac.ifname : instance.interface,
    sourceAddress: source,
    multicastGroup: unicast ? null : mcastGroup4,
    unicastPeers: instance.unicastPeers.map((p) => p.address),
    // RFC 3768 section 5.2.3: multicast adverts go with TTL 255; unicast_ttl for unicast.
    ttl: unicast ? instance.unicastTtl : 255,
    vrid: instance.virtualRouterId,
  };
}

/** Equal keys: the instance's channel need not be reopened on reload. */
export function channelKey(options: ChannelOptions): string {
  return JSON.stringify(options);
}

/** Instances whose options have the same key share one raw socket. */
export function socketKeyOf(o: ChannelOptions): string {
  return `${o.interfaceName ?? '*'}|${o.multicastGroup ?? 'unicast'}|${o.sourceAddress}|${o.ttl}`;
}

export interface ChannelHubDeps {
  readonly openSocket: VrrpSocketOpener;
  /** For the ifindex of the interface a multicast socket joins the group on. */
  readonly links: Pick<LinkMonitor, 'current'>;
  readonly logger: Logger;
  /** log_unknown_vrids: log adverts whose VRID no instance on the socket has. */
  readonly logUnknownVrids: boolean;
}

interface SharedSocket {
  readonly socket: VrrpSocket;
  readonly demux: VridDemux;
  /** The interface index the socket was opened on (null: none). */
  readonly ifindex: number | null;
}

export class VrrpChannelHub {
  private readonly sockets = new Map<string, SharedSocket>();

  constructor(private readonly deps: ChannelHubDeps) {}

  /** The channel of one instance, on a shared socket. Throws when a new socket cannot be opened. */
  open(o: ChannelOptions): VrrpIo {
    const key = socketKeyOf(o);
    const existing = this.sockets.get(key);
    // A socket opened on an interface since deleted and re-created (a new index) is bound to the
    // old one: sends fail with ENODEV and nothing arrives. A new socket then (keepalived's
    // cleanup_lost_interface closes it, setup_interface opens another).
    const shared =
      existing !== undefined && existing.ifindex === this.ifindexOf(o) ? existing : this.openShared(key, o);
    const destinations = o.multicastGroup !== null ? [o.multicastGroup] : [...o.unicastPeers];
    return {
      sourceAddress: o.sourceAddress,
      send: async (message) => {
        await Promise.all(destinations.map((d) => shared.socket.send(message, d)));
      },
      onDatagram: (fn) => shared.demux.listen(o.vrid, fn),
      close: () => {
        shared.demux.unlisten(o.vrid);
        if (shared.demux.listeners === 0) {
          shared.socket.close();
          if (this.sockets.get(key) === shared) this.sockets.delete(key);
        }
      },
    };
  }

  closeAll(): void {
    for (const s of this.sockets.values()) s.socket.close();
    this.sockets.clear();
  }

  private ifindexOf(o: ChannelOptions): number | null {
    return o.interfaceName !== null ? (this.deps.links.current(o.interfaceName)?.ifindex ?? null) : null;
  }

  private openShared(key: string, o: ChannelOptions): SharedSocket {
    const { logger, logUnknownVrids } = this.deps;
    const ifindex = this.ifindexOf(o);
    const socket = this.deps.openSocket({
      interfaceName: o.interfaceName,
      ifindex,
      sourceAddress: o.sourceAddress,
      multicastGroup: o.multicastGroup,
      ttl: o.ttl,
    });
    const ifname = o.interfaceName ?? '';
    const demux = new VridDemux((vrid, d) => {
      // Repeating lines, one rate-limit key per interface and kind (util/rate-limited-log.ts).
      if (d.payload.length < VRRP_FIXED_HEADER_LENGTH) {
        // No instance can be told: keepalived's line (vrrp.c vrrp_get_header), nothing counted.
        logger.info(`IPv4 VRRP packet too short - ${d.datagram.length} bytes`, {
          error: 'short-packet',
          limit: `${ifname}:short-packet`,
        });
      } else if (logUnknownVrids) {
        logger.info(unknownVridLogLine(vrid, ifname), { vrid, limit: `${ifname}:unknown-vrid` });
      }
    });
    socket.onDatagram((d) => demux.dispatch(d));
    socket.onError((e) => logger.error(`VRRP socket error: ${e.message}`, { limit: `${key}:socket-error` }));
    const shared = { socket, demux, ifindex };
    this.sockets.set(key, shared);
    return shared;
  }
}
