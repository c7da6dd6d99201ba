/** `--metrics-listen`'s address (http-server.ts listens on it). */
export interface ListenAddress {
  /** An IPv4 or IPv6 address, without brackets. */
  readonly host: string;
  readonly port: number;
}

/**
 * `ADDR:PORT`, `[ADDR6]:PORT` or `:PORT` (every address, as Prometheus exporters take it); null
 * when it is none of these or the port is over 65535 (0: the kernel picks one, logged).
 */
export function parseListenAddress(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]*)):(\d{1,5})$/.exec(text);
  if (m === null) return null;
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port > 65535) return null;
  if (m[1] !== undefined) return { host: m[1], port };
  const host = m[2]!;
  if (host === '') return { host: '::', port };
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.split('.').some((o) => Number(o) > 255)) return null;
  return { host, port };
}
