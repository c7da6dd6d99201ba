/**
 * PURE: what `keepalived-ts rs drain VS RS` names, found in the running config (docs/control.md).
 * A virtual server is `ADDR:PORT`, `[ADDR]:PORT` (IPv6), `fwmark:N` or `group:NAME`; a real
 * server `ADDR:PORT`, `[ADDR]:PORT`, or a bare address when only one real server of the virtual
 * server has it. Addresses compare in canonical form, so `[2001:db8:0::1]:80` finds
 * `2001:db8::1`.
 */
import type { Config, RealServer, VirtualServer } from '../config/model.js';
import { parseAddress } from '../util/ip.js';
import { err, ok, type Result } from '../util/result.js';
import type { ControlError, Protocol } from './control-protocol.js';

export type Endpoint =
  | { readonly kind: 'addr'; readonly address: string; readonly port: number | null }
  | { readonly kind: 'fwmark'; readonly fwmark: number }
  | { readonly kind: 'group'; readonly group: string };

const PORT = /^\d{1,5}$/;

/** Parses an endpoint; null when the text is none of the forms above. */
export function parseEndpoint(text: string): Endpoint | null {
  const t = text.trim();
  const fwm = /^fwmark:(\d{1,10})$/i.exec(t);
  if (fwm) {
    const n = Number(fwm[1]);
    return n > 0 && n <= 0xffffffff ? { kind: 'fwmark', fwmark: n } : null;
  }
  const group = /^group:(\S+)$/i.exec(t);
  if (group) return { kind: 'group', group: group[1]! };
  let addressText: string;
  let portText: string | null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracketed) {
    addressText = bracketed[1]!;
    portText = bracketed[2] ?? null;
  } else if (t.split(':').length === 2) {
    [addressText, portText] = t.split(':') as [string, string];
  } else {
    // A bare address (IPv4, or IPv6 without brackets and hence without a port).
    addressText = t;
    portText = null;
  }
  const parsed = parseAddress(addressText);
  if (parsed === null || parsed.prefixLength !== null) return null;
  if (portText !== null && (!PORT.test(portText) || Number(portText) > 65535)) return null;
  return { kind: 'addr', address: parsed.address, port: portText === null ? null : Number(portText) };
}

function canonical(address: string): string {
  return parseAddress(address)?.address ?? address;
}

const notFound = (message: string): ControlError => ({ code: 'not-found', message });

/** The virtual server an endpoint names (with `protocol` when several differ only by it). */
export function findVirtualServer(
  config: Config,
  text: string,
  protocol: Protocol | null,
): Result<VirtualServer, ControlError> {
  const e = parseEndpoint(text);
  if (e === null)
    return err({
      code: 'bad-request',
      message: `${JSON.stringify(text)} is not ADDR:PORT, [ADDR]:PORT, fwmark:N or group:NAME`,
    });
  const matches = config.virtualServers.filter((vs) => {
    if (protocol !== null && vs.protocol !== protocol && vs.fwmark === null) return false;
    switch (e.kind) {
      case 'fwmark':
        return vs.fwmark === e.fwmark;
      case 'group':
        return vs.group === e.group;
      case 'addr':
        return (
          vs.address !== null &&
          canonical(vs.address) === e.address &&
          (e.port === null || vs.port === e.port)
        );
    }
  });
  if (matches.length === 0)
    return err(notFound(`no virtual server ${text}${protocol ? ` (${protocol})` : ''}`));
  if (matches.length > 1) {
    return err({
      code: 'ambiguous',
      message: `${text} names ${matches.length} virtual servers (${matches.map((m) => m.key).join(', ')}): give --protocol`,
    });
  }
  return ok(matches[0]!);
}

/** The real server of `vs` an endpoint names. */
export function findRealServer(vs: VirtualServer, text: string): Result<RealServer, ControlError> {
  const e = parseEndpoint(text);
  if (e === null || e.kind !== 'addr')
    return err({ code: 'bad-request', message: `${JSON.stringify(text)} is not ADDR:PORT or [ADDR]:PORT` });
  const matches = vs.realServers.filter(
    (rs) => canonical(rs.address) === e.address && (e.port === null || rs.port === e.port),
  );
  if (matches.length === 0) return err(notFound(`no real server ${text} in virtual server ${vs.key}`));
  if (matches.length > 1)
    return err({
      code: 'ambiguous',
      message: `${text} names several real servers of ${vs.key}: give the port`,
    });
  return ok(matches[0]!);
}
