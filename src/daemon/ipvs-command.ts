/**
 * `keepalived-ts ipvs [--stats | --rate | --thresholds | --persistent-conn | --tun-info]`: the kernel's IPVS table in ipvsadm's `-Ln` layout,
 * read with our own generic netlink dump (no ipvsadm needed).
 */
import { realClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { GenlConnection } from '../ipvs/genl-conn.js';
import { formatTable } from '../ipvs/format.js';
import { IpvsWriter } from '../ipvs/writer.js';
import { openGenericNetlink } from '../net/netlink-socket.js';
import type { Command } from './cli.js';

const stderrLogger: Logger = {
  error: (m) => void process.stderr.write(`${m}\n`),
  warn: (m) => void process.stderr.write(`${m}\n`),
  info: (m) => void process.stderr.write(`${m}\n`),
  detail: () => {},
  debug: () => {},
};

export async function runIpvsCommand(cmd: Extract<Command, { kind: 'ipvs' }>): Promise<number> {
  const socket = openGenericNetlink();
  if (!socket.ok) {
    process.stderr.write(
      `keepalived-ts ipvs: cannot open a generic netlink socket: ${socket.error.message}\n`,
    );
    return 1;
  }
  const conn = new GenlConnection(socket.value, { clock: realClock });
  try {
    const writer = await IpvsWriter.open(conn, stderrLogger);
    if (!writer.ok) {
      process.stderr.write(`keepalived-ts ipvs: ${writer.error.message} (is the ip_vs module loaded?)\n`);
      return 1;
    }
    const info = await writer.value.info();
    const table = await writer.value.dump();
    if (!info.ok || !table.ok) {
      const e = !info.ok ? info.error : !table.ok ? table.error : null;
      process.stderr.write(`keepalived-ts ipvs: ${e?.message ?? 'dump failed'}\n`);
      return 1;
    }
    process.stdout.write(formatTable(info.value, table.value, cmd.layout));
    return 0;
  } finally {
    conn.close();
  }
}
