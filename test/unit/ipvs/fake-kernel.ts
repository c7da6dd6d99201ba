// An in-memory IPVS "kernel" behind the NetlinkTransport port, for the unit tier. It follows the
// kernel's rules that matter to the writer (ip_vs_ctl.c): ESRCH for a missing service, EEXIST on a
// duplicate add, ENOENT for a missing destination, an ACK only for a message with NLM_F_ACK and an
// error reply whatever the flags (netlink_rcv_skb), dumps as NLM_F_MULTI + DONE.
import { ok, type Result } from '../../../src/util/result.js';
import type { NetlinkTransport, TransportError } from '../../../src/ipvs/genl-conn.js';
import {
  NetlinkWriter,
  decodeMessages,
  decodeGenl,
  decodeAttrTable,
  attrGet,
  type NlMessage,
} from '../../../src/ipvs/netlink-codec.js';
import * as C from '../../../src/ipvs/constants.js';
import {
  decodeServiceAttrs,
  decodeDestAttrs,
  destinationKey,
  serviceKey,
  writeDestAttrs,
  writeServiceAttrs,
} from '../../../src/ipvs/messages.js';
import type { DestinationEntry, ServiceEntry } from '../../../src/ipvs/types.js';

export const FAKE_IPVS_FAMILY = 0x24;

export interface FakeService {
  service: ServiceEntry;
  dests: Map<string, DestinationEntry>;
}

/** An NLMSG_ERROR with error 0: what the kernel sends only when NLM_F_ACK asked for it. */
function isSuccessAck(d: Buffer): boolean {
  return d.length >= 20 && d.readUInt16LE(4) === C.NLMSG_ERROR && d.readInt32LE(16) === 0;
}

export class FakeKernel implements NetlinkTransport {
  readonly services = new Map<string, FakeService>();
  readonly sent: Buffer[] = [];
  /** Every datagram sent back (ACKs, errors, replies). */
  readonly replied: Buffer[] = [];
  readonly commands: { cmd: number; seq: number }[] = [];
  timeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  daemons: { state: number; ifn: string | null }[] = [];
  /** Requests whose command is listed here are answered with this errno instead. */
  failCommands = new Map<number, number>();
  /** When true, requests are swallowed (no reply): for timeout tests. */
  silent = false;
  /** Services per dump datagram, to exercise multipart across datagrams. */
  dumpChunk = 2;
  familyRegistered = true;
  private messageHandler: (d: Buffer) => void = () => {};
  private errorHandler: (e: TransportError) => void = () => {};

  onMessage(h: (d: Buffer) => void): void {
    this.messageHandler = h;
  }
  onError(h: (e: TransportError) => void): void {
    this.errorHandler = h;
  }
  close(): void {}
  raiseError(e: TransportError): void {
    this.errorHandler(e);
  }
  deliver(d: Buffer): void {
    this.messageHandler(d);
  }

  async send(datagram: Buffer): Promise<Result<void, TransportError>> {
    this.sent.push(datagram);
    const msgs = decodeMessages(datagram);
    if (!msgs.ok) throw new Error(`fake kernel got a malformed datagram: ${msgs.error}`);
    const out: Buffer[] = [];
    for (const m of msgs.value) {
      if (this.silent) continue;
      const wantsAck = (m.flags & C.NLM_F_ACK) !== 0;
      out.push(...this.handle(m).filter((d) => wantsAck || !isSuccessAck(d)));
    }
    this.replied.push(...out);
    queueMicrotask(() => {
      for (const d of out) this.messageHandler(d);
    });
    return ok(undefined);
  }

  private ack(m: NlMessage, errno: number): Buffer {
    const b = Buffer.alloc(36);
    b.writeUInt32LE(36, 0);
    b.writeUInt16LE(C.NLMSG_ERROR, 4);
    b.writeUInt16LE(C.NLM_F_CAPPED, 6);
    b.writeUInt32LE(m.seq, 8);
    b.writeInt32LE(-errno, 16);
    b.writeUInt32LE(m.payload.length + 16, 20);
    b.writeUInt16LE(m.type, 24);
    b.writeUInt16LE(m.flags, 26);
    b.writeUInt32LE(m.seq, 28);
    return b;
  }

  private reply(m: NlMessage, cmd: number, body: (w: NetlinkWriter) => void, multi: boolean): Buffer {
    const w = new NetlinkWriter();
    w.beginMessage(
      { type: m.type, flags: multi ? C.NLM_F_MULTI : 0, seq: m.seq, pid: 1234 },
      { cmd, version: 1 },
    );
    body(w);
    w.endMessage();
    return w.finish();
  }

  private done(m: NlMessage): Buffer {
    const b = Buffer.alloc(20);
    b.writeUInt32LE(20, 0);
    b.writeUInt16LE(C.NLMSG_DONE, 4);
    b.writeUInt16LE(C.NLM_F_MULTI, 6);
    b.writeUInt32LE(m.seq, 8);
    return b;
  }

  private handle(m: NlMessage): Buffer[] {
    const g = decodeGenl(m.payload);
    if (!g.ok) return [this.ack(m, C.ERRNO.EINVAL)];
    const top = decodeAttrTable(g.value.attrs);
    if (!top.ok) return [this.ack(m, C.ERRNO.EINVAL)];
    const cmd = g.value.cmd;
    this.commands.push({ cmd, seq: m.seq });
    if (m.type === C.GENL_ID_CTRL) {
      const name = attrGet.string(top.value, C.CTRL_ATTR_FAMILY_NAME);
      if (!this.familyRegistered || !name.ok || name.value !== 'IPVS') return [this.ack(m, C.ERRNO.ENOENT)];
      return [
        this.reply(
          m,
          1,
          (w) => {
            w.string(C.CTRL_ATTR_FAMILY_NAME, 'IPVS').u16(C.CTRL_ATTR_FAMILY_ID, FAKE_IPVS_FAMILY);
            w.u32(C.CTRL_ATTR_VERSION, 1).u32(C.CTRL_ATTR_HDRSIZE, 0).u32(C.CTRL_ATTR_MAXATTR, 6);
          },
          false,
        ),
        this.ack(m, 0),
      ];
    }
    if (m.type !== FAKE_IPVS_FAMILY) return [this.ack(m, C.ERRNO.ENOENT)];
    const forced = this.failCommands.get(cmd);
    if (forced !== undefined) return [this.ack(m, forced)];
    const svcAttr = top.value.get(C.IPVS_CMD_ATTR.SERVICE);
    const svc = svcAttr ? decodeServiceAttrs(svcAttr) : null;
    const key = svc && svc.ok ? serviceKey(svc.value.id) : null;
    const existing = key ? this.services.get(key) : undefined;
    const destAttr = top.value.get(C.IPVS_CMD_ATTR.DEST);
    const dest = destAttr && svc?.ok ? decodeDestAttrs(destAttr, svc.value.id.family) : null;
    const K = C.IPVS_CMD;
    switch (cmd) {
      case K.GET_INFO:
        return [
          this.reply(
            m,
            cmd,
            (w) => void w.u32(C.IPVS_INFO_ATTR.VERSION, 0x010201).u32(C.IPVS_INFO_ATTR.CONN_TAB_SIZE, 4096),
            false,
          ),
          this.ack(m, 0),
        ];
      case K.FLUSH:
        this.services.clear();
        return [this.ack(m, 0)];
      case K.SET_CONFIG: {
        const t = (a: number) => attrGet.u32(top.value, a);
        const tcp = t(C.IPVS_CMD_ATTR.TIMEOUT_TCP),
          fin = t(C.IPVS_CMD_ATTR.TIMEOUT_TCP_FIN),
          udp = t(C.IPVS_CMD_ATTR.TIMEOUT_UDP);
        if (tcp.ok && tcp.value) this.timeouts.tcp = tcp.value;
        if (fin.ok && fin.value) this.timeouts.tcpFin = fin.value;
        if (udp.ok && udp.value) this.timeouts.udp = udp.value;
        return [this.ack(m, 0)];
      }
      case K.GET_CONFIG:
        return [
          this.reply(
            m,
            cmd,
            (w) =>
              void w
                .u32(C.IPVS_CMD_ATTR.TIMEOUT_TCP, this.timeouts.tcp)
                .u32(C.IPVS_CMD_ATTR.TIMEOUT_TCP_FIN, this.timeouts.tcpFin)
                .u32(C.IPVS_CMD_ATTR.TIMEOUT_UDP, this.timeouts.udp),
            false,
          ),
          this.ack(m, 0),
        ];
      case K.NEW_DAEMON:
      case K.DEL_DAEMON: {
        const d = decodeAttrTable(top.value.get(C.IPVS_CMD_ATTR.DAEMON) ?? Buffer.alloc(0));
        if (!d.ok) return [this.ack(m, C.ERRNO.EINVAL)];
        const state = attrGet.u32(d.value, C.IPVS_DAEMON_ATTR.STATE);
        const s = state.ok ? (state.value ?? 0) : 0;
        if (cmd === K.NEW_DAEMON) {
          if (this.daemons.some((x) => x.state === s)) return [this.ack(m, C.ERRNO.EEXIST)];
          const ifn = attrGet.string(d.value, C.IPVS_DAEMON_ATTR.MCAST_IFN);
          this.daemons.push({ state: s, ifn: ifn.ok ? ifn.value : null });
        } else {
          if (!this.daemons.some((x) => x.state === s)) return [this.ack(m, C.ERRNO.ESRCH)];
          this.daemons = this.daemons.filter((x) => x.state !== s);
        }
        return [this.ack(m, 0)];
      }
      case K.GET_SERVICE: {
        const all = [...this.services.values()];
        const out: Buffer[] = [];
        for (let i = 0; i < all.length; i += this.dumpChunk) {
          const parts = all.slice(i, i + this.dumpChunk).map((s) =>
            this.reply(
              m,
              cmd,
              (w) => {
                w.beginNested(C.IPVS_CMD_ATTR.SERVICE);
                writeServiceAttrs(w, { ...s.service, flags: s.service.flags | C.IP_VS_SVC_F_HASHED }, true);
                w.endNested();
              },
              true,
            ),
          );
          out.push(Buffer.concat(parts));
        }
        out.push(this.done(m));
        return out;
      }
      case K.GET_DEST: {
        if (!existing) return [this.ack(m, C.ERRNO.ESRCH)];
        const parts = [...existing.dests.values()].map((d) =>
          this.reply(
            m,
            cmd,
            (w) => {
              w.beginNested(C.IPVS_CMD_ATTR.DEST);
              writeDestAttrs(w, d, true);
              w.u32(C.IPVS_DEST_ATTR.ACTIVE_CONNS, d.activeConns);
              w.endNested();
            },
            true,
          ),
        );
        return [Buffer.concat([...parts, this.done(m)])];
      }
    }
    if (!svc || !svc.ok || !key) return [this.ack(m, C.ERRNO.EINVAL)];
    switch (cmd) {
      case K.NEW_SERVICE:
        if (existing) return [this.ack(m, C.ERRNO.EEXIST)];
        if (!svc.value.scheduler) return [this.ack(m, C.ERRNO.EINVAL)];
        if (svc.value.scheduler === 'nosuch') return [this.ack(m, C.ERRNO.ENOENT)];
        this.services.set(key, { service: { ...svc.value, stats: null }, dests: new Map() });
        return [this.ack(m, 0)];
      case K.SET_SERVICE:
        if (!existing) return [this.ack(m, C.ERRNO.ESRCH)];
        existing.service = { ...svc.value, stats: null };
        return [this.ack(m, 0)];
      case K.DEL_SERVICE:
        if (!existing) return [this.ack(m, C.ERRNO.ESRCH)];
        this.services.delete(key);
        return [this.ack(m, 0)];
    }
    if (!existing) return [this.ack(m, C.ERRNO.ESRCH)];
    if (!dest || !dest.ok) return [this.ack(m, C.ERRNO.EINVAL)];
    const dkey = destinationKey(dest.value);
    const had = existing.dests.get(dkey);
    switch (cmd) {
      case K.NEW_DEST:
        if (had) return [this.ack(m, C.ERRNO.EEXIST)];
        existing.dests.set(dkey, dest.value);
        return [this.ack(m, 0)];
      case K.SET_DEST:
        if (!had) return [this.ack(m, C.ERRNO.ENOENT)];
        existing.dests.set(dkey, { ...dest.value, activeConns: had.activeConns });
        return [this.ack(m, 0)];
      case K.DEL_DEST:
        if (!had) return [this.ack(m, C.ERRNO.ENOENT)];
        existing.dests.delete(dkey);
        return [this.ack(m, 0)];
    }
    return [this.ack(m, C.ERRNO.EINVAL)];
  }
}
