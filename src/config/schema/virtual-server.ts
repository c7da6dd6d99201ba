/** `virtual_server_group`, `virtual_server`, `real_server` and checker blocks -> the LVS model (keywords/virtual-server.ts, keywords/checkers.ts). */
import type {
  Checker,
  CheckerType,
  PingCheck,
  TcpCheck,
  ForwardingMethod,
  HttpUrl,
  RealServer,
  VirtualServer,
  VirtualServerGroup,
  Protocol,
  TunnelSettings,
  AddressFamily,
} from '../model.js';
import type { Statement } from '../tree.js';
import { formatTrio, formatVs } from '../virtual-server-format.js';
import { RawReader, readBlock } from '../keywords/read.js';
import type { DiagnosticSink, RawBlock } from '../keywords/types.js';
import {
  groupLine,
  realServerKeywords as RS,
  realServerTable,
  serverAddress,
  virtualServerKeywords as VS,
  virtualServerTable,
} from '../keywords/virtual-server.js';
import type { GroupLine } from '../keywords/virtual-server.js';
import {
  checkerKeywords as C,
  dnsCheckKeywords as DNS,
  fileCheckKeywords as FILE,
  httpGetKeywords as HTTP,
  isIpv6LinkLocal,
  miscCheckKeywords as MISC,
  smtpCheckKeywords as SMTP,
  sslGetKeywords as SSL,
  sslUrlKeywords as SSL_URL,
  udpCheckKeywords as UDP,
  urlKeywords as URL,
  type RawChecker,
} from '../keywords/checkers.js';
import { parseAddressValue, parseIntValue, parsePortValue } from '../keywords/values.js';
import { capTimer } from './common.js';

/** keepalived's checker defaults (check_*.c): retry and delay_before_retry per checker type. */
export const CHECKER_RETRY: Record<CheckerType, number> = {
  TCP_CHECK: 1,
  HTTP_GET: 1,
  SSL_GET: 1,
  MISC_CHECK: 0,
  SMTP_CHECK: 1,
  DNS_CHECK: 3,
  UDP_CHECK: 1,
  PING_CHECK: 1,
  FILE_CHECK: 0,
};
/** null = the checker's delay_loop. */
export const CHECKER_DELAY_BEFORE_RETRY: Record<CheckerType, number | null> = {
  TCP_CHECK: 1,
  HTTP_GET: 3,
  SSL_GET: 3,
  MISC_CHECK: 1,
  SMTP_CHECK: 1,
  DNS_CHECK: null,
  UDP_CHECK: 1,
  PING_CHECK: 1,
  FILE_CHECK: 0,
};

/** The virtual server's delay_loop default, in its table (keywords/virtual-server.ts). */
export { DEFAULT_DELAY_LOOP } from '../keywords/virtual-server.js';
/** A connecting checker's connect_timeout when neither it nor its servers set one. */
export const DEFAULT_CONNECT_TIMEOUT = 5;

export function buildVsGroups(stmts: readonly Statement[], sink: DiagnosticSink): VirtualServerGroup[] {
  const out: VirtualServerGroup[] = [];
  const seen = new Set<string>();
  for (const s of stmts) {
    const name = s.args[0];
    if (name === undefined) {
      sink.report('error', 'missing-parameter', 'virtual_server_group requires a name', s.loc);
      continue;
    }
    if (s.block === null) {
      sink.report('error', 'missing-block', `Missing '{' at beginning of configuration block`, s.loc);
      continue;
    }
    if (seen.has(name)) {
      sink.report(
        'error',
        'duplicate',
        `virtual_server_group ${name} already defined - ignoring the second`,
        s.loc,
      );
      continue;
    }
    seen.add(name);
    const entries: GroupLine[] = [];
    for (const line of s.block) {
      if (line.block !== null) {
        sink.report('error', 'unexpected-block', `Unexpected '{' - ignoring`, line.loc);
        continue;
      }
      const e = groupLine(line, sink);
      if (e) entries.push(e);
    }
    if (entries.length === 0) {
      sink.report('error', 'empty-group', `virtual server group ${name} has no entries - removing`, s.loc);
      continue;
    }
    out.push({ name, entries, loc: s.loc });
  }
  return out;
}

interface VsHeader {
  readonly address: string | null;
  readonly family: AddressFamily | null;
  readonly port: number | null;
  readonly fwmark: number | null;
  readonly group: string | null;
}

function vsHeader(stmt: Statement, sink: DiagnosticSink): VsHeader | undefined {
  const a = stmt.args;
  if (a[0] === undefined) {
    sink.report(
      'error',
      'missing-parameter',
      'virtual_server requires an address, fwmark or group',
      stmt.loc,
    );
    return undefined;
  }
  if (a[0] === 'fwmark') {
    const m = parseIntValue(a[1], 1, 4294967295, sink, stmt.loc);
    return m === undefined ? undefined : { address: null, family: null, port: null, fwmark: m, group: null };
  }
  if (a[0] === 'group') {
    if (a[1] === undefined) {
      sink.report('error', 'missing-parameter', 'virtual_server group requires a name', stmt.loc);
      return undefined;
    }
    return { address: null, family: null, port: 0, fwmark: null, group: a[1] };
  }
  const addr = parseAddressValue(a[0], 'virtual_server', sink, stmt.loc);
  if (!addr) return undefined;
  let port = 0;
  if (a[1] !== undefined) {
    const p = parsePortValue(a[1], sink, stmt.loc);
    if (p === undefined) return undefined;
    port = p;
  }
  return { address: addr.address, family: addr.family, port, fwmark: null, group: null };
}

export function buildVirtualServer(stmt: Statement, sink: DiagnosticSink): VirtualServer | null {
  if (stmt.block === null) {
    sink.report('error', 'missing-block', `Missing '{' at beginning of configuration block`, stmt.loc);
    return null;
  }
  const h = vsHeader(stmt, sink);
  if (!h) return null;
  const r = new RawReader(readBlock(stmt.block, virtualServerTable, sink, stmt.loc));
  const ipFamily = r.value(VS.ip_family);
  const family: AddressFamily = h.family ?? ipFamily;
  if (h.family !== null && r.written(VS.ip_family) && ipFamily !== h.family) {
    sink.report(
      'error',
      'family-mismatch',
      `Virtual server specified family ${ipFamily} conflicts with server family`,
      r.loc(VS.ip_family),
    );
  }
  let protocol: Protocol = r.value(VS.protocol);
  const protocolSet = r.written(VS.protocol);
  const shown = { address: h.address, port: h.port, fwmark: h.fwmark, group: h.group, protocol };
  if (!protocolSet && h.fwmark === null) {
    sink.report(
      'warning',
      'default-protocol',
      `Virtual server ${formatVs(shown, false)}: no protocol set - defaulting to UDP`,
      stmt.loc,
    );
  }
  if (h.fwmark !== null && protocolSet) {
    sink.report(
      'error',
      'fwmark-protocol',
      `Warning: Virtual server FWM ${h.fwmark}: protocol specified for fwmark - protocol will be ignored`,
      r.loc(VS.protocol),
    );
  }
  // A fwmark service is TCP whatever the table default or the config says.
  if (h.fwmark !== null) protocol = 'TCP';
  shown.protocol = protocol;
  const label = formatVs(shown);
  const scheduler = r.value(VS.lvs_sched);
  if (!r.written(VS.lvs_sched))
    sink.report(
      'warning',
      'default-scheduler',
      `Virtual server ${label}: no scheduler set, setting default 'wlc'`,
      stmt.loc,
    );
  const method = r.value(VS.lvs_method);
  if (!r.written(VS.lvs_method))
    sink.report(
      'warning',
      'default-method',
      `Virtual server ${label}: no forwarding method set, setting default NAT`,
      stmt.loc,
    );
  const vsMethod: ForwardingMethod = method.method;

  let persistenceTimeout = r.value(VS.persistence_timeout);
  if (h.port === 0 && h.address !== null && persistenceTimeout === 0) {
    sink.report(
      'error',
      'zero-port',
      `Virtual server ${label}: zero port only valid for persistent services - setting`,
      stmt.loc,
    );
    persistenceTimeout = 360;
  }
  let onePacket = r.value(VS.ops);
  if (onePacket && protocol !== 'UDP') {
    sink.report(
      'error',
      'ops-not-udp',
      `Virtual server ${label}: one packet scheduling requires UDP - resetting`,
      r.loc(VS.ops),
    );
    onePacket = false;
  }
  // check_parser.c lbflags_handler: under sh or mh a flag of the other scheduler (and `hashed`)
  // is dropped silently; under any other scheduler each says it needs sh, mh-port too.
  if (scheduler !== 'sh' && scheduler !== 'mh') {
    for (const f of [VS.hashed, VS['sh-port'], VS['sh-fallback'], VS['mh-port'], VS['mh-fallback']]) {
      if (r.value(f))
        sink.report('error', 'sched-flag', `${f.keyword} only applies to sh scheduler - ignoring`, r.loc(f));
    }
  }

  const delayLoop = capTimer(r.value(VS.delay_loop));
  const inherit: Inherit = {
    // The table default (DEFAULT_DELAY_LOOP) is the checkers' too.
    delayLoop,
    connectTimeout: r.value(VS.connect_timeout) ?? null,
    retry: r.value(VS.retry) ?? null,
    delayBeforeRetry: capTimer(r.value(VS.delay_before_retry) ?? null),
    warmup: capTimer(r.value(VS.warmup) ?? null),
    alpha: r.value(VS.alpha),
    virtualhost: r.value(VS.virtualhost) ?? null,
  };

  let sorryServer: VirtualServer['sorryServer'] = null;
  const sorry = r.value(VS.sorry_server);
  if (sorry) {
    if (sorry.family !== family) {
      sink.report(
        'error',
        'family-mismatch',
        `Address family of virtual server and sorry server ${sorry.address} don't match - skipping sorry server.`,
        sorry.loc,
      );
    } else {
      const sm = r.value(VS.sorry_server_lvs_method);
      sorryServer = {
        address: sorry.address,
        family: sorry.family,
        port: h.fwmark !== null ? 0 : (sorry.port ?? h.port ?? 0),
        forwardingMethod: sm?.method ?? vsMethod,
        tunnel: sm ? sm.tunnel : method.tunnel,
        inhibit: r.value(VS.sorry_server_inhibit),
      };
    }
  } else {
    if (r.value(VS.sorry_server_inhibit))
      sink.report(
        'error',
        'sorry',
        'Ignoring sorry_server inhibit used before or without sorry_server',
        r.loc(VS.sorry_server_inhibit),
      );
    if (r.value(VS.sorry_server_lvs_method) !== undefined)
      sink.report(
        'error',
        'sorry',
        'sorry_server forwarding used without sorry_server',
        r.loc(VS.sorry_server_lvs_method),
      );
  }

  const vsCtx: VsContext = {
    label,
    family,
    port: h.port,
    fwmark: h.fwmark,
    protocol,
    method: vsMethod,
    tunnel: method.tunnel,
    weight: r.value(VS.weight),
    inhibitOnFailure: r.value(VS.inhibit_on_failure),
    // A real server takes the virtual server's smtp_alert only when it is set (else on).
    smtpAlert: r.written(VS.smtp_alert) ? r.value(VS.smtp_alert) : null,
    inherit,
  };
  const realServers: RealServer[] = [];
  const rsKeys = new Set<string>();
  for (const rsStmt of r.items(VS.real_server)) {
    const rs = buildRealServer(rsStmt, vsCtx, sink);
    if (!rs) continue;
    if (rsKeys.has(rs.key)) {
      sink.report(
        'error',
        'duplicate-rs',
        `VS ${label}: real server ${formatTrio(rs.address, protocol, rs.port)} is duplicated - removing second rs`,
        rs.loc,
      );
      continue;
    }
    rsKeys.add(rs.key);
    realServers.push(rs);
  }
  if (realServers.length === 0) {
    // check_parser.c vs_end_handler drops the whole virtual server.
    sink.report(
      'error',
      'no-real-servers',
      `Virtual server ${label} has no real servers - ignoring`,
      stmt.loc,
    );
    return null;
  }

  // check_data.c validate_check_config: a quorum above the total weight could never be reached,
  // and the hysteresis must stay below the quorum.
  const weightSum = realServers.reduce((sum, rs) => sum + rs.weight, 0);
  let quorum = r.value(VS.quorum);
  if (quorum > weightSum) {
    sink.report(
      'error',
      'quorum',
      `Warning - quorum ${quorum} for ${label} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`,
      r.loc(VS.quorum),
    );
    quorum = weightSum;
  }
  let hysteresis = r.value(VS.hysteresis);
  if (hysteresis > 0 && hysteresis >= quorum) {
    const reduced = Math.max(0, quorum - 1);
    sink.report(
      'error',
      'quorum',
      `Virtual server ${label}: hysteresis ${hysteresis} >= quorum ${quorum}; setting hysteresis to ${reduced}`,
      r.loc(VS.hysteresis),
    );
    hysteresis = reduced;
  }
  let haSuspend = r.value(VS.ha_suspend);
  if (haSuspend && h.fwmark !== null) {
    sink.report(
      'error',
      'ha-suspend',
      `Virtual server ${label}: cannot use ha_suspend with fwmarks - clearing ha_suspend`,
      r.loc(VS.ha_suspend),
    );
    haSuspend = false;
  }

  const key =
    h.fwmark !== null
      ? `fwmark:${family}:${h.fwmark}`
      : h.group !== null
        ? `group:${h.group}:${h.port ?? 0}`
        : `${protocol}:${h.address}:${h.port ?? 0}`;
  return {
    key,
    family,
    address: h.address,
    port: h.port,
    fwmark: h.fwmark,
    group: h.group,
    protocol,
    scheduler,
    forwardingMethod: vsMethod,
    tunnel: method.tunnel,
    persistenceTimeout,
    persistenceGranularity: r.value(VS.persistence_granularity) ?? null,
    persistenceEngine: r.value(VS.persistence_engine) ?? null,
    flags: {
      onePacket,
      shPort: scheduler === 'sh' && r.value(VS['sh-port']),
      shFallback: scheduler === 'sh' && r.value(VS['sh-fallback']),
      mhPort: scheduler === 'mh' && r.value(VS['mh-port']),
      mhFallback: scheduler === 'mh' && r.value(VS['mh-fallback']),
      sched1: r.value(VS['flag-1']),
      sched2: r.value(VS['flag-2']),
      sched3: r.value(VS['flag-3']),
    },
    delayLoop,
    quorum,
    hysteresis,
    quorumUp: r.value(VS.quorum_up) ?? null,
    quorumDown: r.value(VS.quorum_down) ?? null,
    sorryServer,
    alpha: inherit.alpha,
    omega: r.value(VS.omega),
    inhibitOnFailure: vsCtx.inhibitOnFailure,
    haSuspend,
    virtualhost: inherit.virtualhost,
    smtpAlert: r.value(VS.smtp_alert),
    realServers,
    loc: stmt.loc,
  };
}

/** Checker settings that flow down virtual_server -> real_server -> checker; null = unset. */
interface Inherit {
  /** Always set: the virtual server's has a table default. */
  readonly delayLoop: number;
  readonly connectTimeout: number | null;
  readonly retry: number | null;
  readonly delayBeforeRetry: number | null;
  readonly warmup: number | null;
  readonly alpha: boolean;
  readonly virtualhost: string | null;
}

interface VsContext {
  readonly label: string;
  readonly family: AddressFamily;
  readonly port: number | null;
  readonly fwmark: number | null;
  readonly protocol: Protocol;
  readonly method: ForwardingMethod;
  readonly tunnel: TunnelSettings | null;
  readonly weight: number;
  readonly inhibitOnFailure: boolean;
  readonly smtpAlert: boolean | null;
  readonly inherit: Inherit;
}

function buildRealServer(stmt: Statement, vs: VsContext, sink: DiagnosticSink): RealServer | null {
  const addr = serverAddress(stmt, 'real_server', sink);
  if (!addr) return null;
  if (addr.family !== vs.family) {
    sink.report(
      'error',
      'family-mismatch',
      `Address family of virtual server and real server ${addr.address} don't match - skipping real server.`,
      stmt.loc,
    );
    return null;
  }
  const r = new RawReader(readBlock(stmt.block ?? [], realServerTable, sink, stmt.loc));
  const method = r.value(RS.lvs_method);
  const forwardingMethod = method?.method ?? vs.method;
  let port: number;
  if (vs.fwmark !== null) {
    if (addr.port !== null && addr.port !== 0) {
      sink.report(
        'error',
        'rs-port',
        `WARNING - fwmark virtual server ${vs.label}, real server ${formatTrio(addr.address, null, addr.port)} has port specified - clearing`,
        stmt.loc,
      );
    }
    port = 0;
  } else if (addr.port === null) port = vs.port ?? 0;
  else if (forwardingMethod !== 'NAT' && addr.port !== vs.port && vs.port !== 0) {
    sink.report(
      'error',
      'rs-port',
      `WARNING - virtual server ${vs.label} and real server ${formatTrio(addr.address, vs.protocol, addr.port)} ports don't match - resetting`,
      stmt.loc,
    );
    port = vs.port ?? 0;
  } else port = addr.port;

  const inherit: Inherit = {
    delayLoop: capTimer(r.value(RS.delay_loop) ?? null) ?? vs.inherit.delayLoop,
    connectTimeout: r.value(RS.connect_timeout) ?? vs.inherit.connectTimeout,
    retry: r.value(RS.retry) ?? vs.inherit.retry,
    delayBeforeRetry: capTimer(r.value(RS.delay_before_retry) ?? null) ?? vs.inherit.delayBeforeRetry,
    warmup: capTimer(r.value(RS.warmup) ?? null) ?? vs.inherit.warmup,
    alpha: r.value(RS.alpha) ?? vs.inherit.alpha,
    virtualhost: r.value(RS.virtualhost) ?? vs.inherit.virtualhost,
  };
  const checkers: Checker[] = [];
  // The checker blocks share one field: the items of any of their specs are all of them, in order.
  for (const c of r.items(RS.TCP_CHECK)) {
    const built = buildChecker(c, addr.address, port, inherit, sink);
    if (built) checkers.push(built);
  }
  return {
    key: `${addr.address}|${port}`,
    address: addr.address,
    family: addr.family,
    port,
    weight: r.value(RS.weight) ?? vs.weight,
    inhibitOnFailure: r.value(RS.inhibit_on_failure) ?? vs.inhibitOnFailure,
    forwardingMethod,
    tunnel: method ? method.tunnel : vs.tunnel,
    uthreshold: r.value(RS.uthreshold) ?? null,
    lthreshold: r.value(RS.lthreshold) ?? null,
    alpha: inherit.alpha,
    notifyUp: r.value(RS.notify_up) ?? null,
    notifyDown: r.value(RS.notify_down) ?? null,
    virtualhost: inherit.virtualhost,
    smtpAlert: r.value(RS.smtp_alert) ?? vs.smtpAlert ?? true,
    checkers,
    loc: stmt.loc,
  };
}

function buildUrl(raw: RawBlock, ssl: boolean, sink: DiagnosticSink): HttpUrl | null {
  const u = new RawReader(raw);
  const path = u.value(URL.path);
  if (path === undefined) {
    sink.report('error', 'missing-parameter', 'url has no path - ignoring', raw.loc);
    return null;
  }
  return {
    path,
    digest: u.value(URL.digest) ?? null,
    statusCodes: u.value(URL.status_code),
    virtualhost: u.value(URL.virtualhost) ?? null,
    regex: u.value(URL.regex) ?? null,
    regexNoMatch: u.value(URL.regex_no_match),
    // SSL_GET's urls only (keepalived 2.2.8+).
    tlsCompliant: ssl && u.value(SSL_URL.tls_compliant),
  };
}

function buildChecker(
  c: RawChecker,
  rsAddress: string,
  rsPort: number,
  inh: Inherit,
  sink: DiagnosticSink,
): Checker | null {
  const r = new RawReader(c.raw);
  const loc = c.raw.loc;
  if (c.type === 'FILE_CHECK') {
    const trackFile = r.value(FILE.track_file);
    if (trackFile === undefined) {
      sink.report('error', 'missing-parameter', 'FILE_CHECK has no track_file - ignoring', loc);
      return null;
    }
    const w = r.value(FILE.weight);
    return {
      type: 'FILE_CHECK',
      trackFile,
      weight: w.weight,
      weightReverse: w.reverse,
      dynamic: r.value(FILE.dynamic),
      loc,
    };
  }
  const delayLoop = capTimer(r.value(C.delay_loop) ?? null) ?? inh.delayLoop;
  // Plain values then object literals (no spreads): this runs once per checker, 40,000 times on
  // the 2,000 x 20 benchmark config.
  const warmup = capTimer(r.value(C.warmup) ?? null) ?? inh.warmup ?? delayLoop;
  const retry = r.value(C.retry) ?? inh.retry ?? CHECKER_RETRY[c.type];
  const delayBeforeRetry =
    capTimer(r.value(C.delay_before_retry) ?? null) ??
    inh.delayBeforeRetry ??
    CHECKER_DELAY_BEFORE_RETRY[c.type] ??
    delayLoop;
  const alpha = r.value(C.alpha) ?? inh.alpha;
  const logAllFailures = r.value(C.log_all_failures);
  if (c.type === 'MISC_CHECK') {
    const misc = r.value(MISC.misc_path);
    if (!misc) {
      sink.report(
        'error',
        'missing-script',
        'No script path has been specified for MISC_CHECKER - skipping',
        loc,
      );
      return null;
    }
    const user = r.value(MISC.user);
    return {
      type: 'MISC_CHECK',
      delayLoop,
      warmup,
      retry,
      delayBeforeRetry,
      alpha,
      logAllFailures,
      loc,
      miscPath: user ? { ...misc, user: user.user, group: user.group } : misc,
      miscTimeout: r.value(MISC.misc_timeout) ?? delayLoop,
      miscDynamic: r.value(MISC.misc_dynamic),
      ...(c.endLoc ? { endLoc: c.endLoc } : {}),
    };
  }
  const connecting = {
    type: c.type,
    delayLoop,
    warmup,
    retry,
    delayBeforeRetry,
    alpha,
    logAllFailures,
    loc,
    connectTimeout: r.value(C.connect_timeout) ?? inh.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    connectIp: r.value(C.connect_ip) ?? rsAddress,
    connectPort: r.value(C.connect_port) ?? rsPort,
    bindTo: r.value(C.bindto) ?? null,
    bindPort: r.value(C.bind_port) ?? null,
    bindIf: r.value(C.bind_if) ?? null,
    fwmark: r.value(C.fwmark) ?? null,
  };
  // check_api.c check_conn_opts, from each connecting checker's end handler: a link-local
  // destination is on no interface without bind_if, and the checker is dropped.
  if (connecting.bindIf === null && isIpv6LinkLocal(connecting.connectIp)) {
    sink.report(
      'error',
      'missing-interface',
      `Checker link local address ${connecting.connectIp} requires a bind_if`,
      loc,
    );
    return null;
  }
  if (c.type === 'TCP_CHECK' || c.type === 'PING_CHECK') return connecting as TcpCheck | PingCheck;
  switch (c.type) {
    case 'HTTP_GET':
    case 'SSL_GET': {
      const ssl = c.type === 'SSL_GET';
      const urls: HttpUrl[] = [];
      for (const u of r.items(ssl ? SSL.url : HTTP.url)) {
        const url = buildUrl(u, ssl, sink);
        if (url) urls.push(url);
      }
      if (urls.length === 0) {
        sink.report('error', 'missing-url', 'HTTP/SSL_GET checker has no urls specified - ignoring', loc);
        return null;
      }
      return {
        ...connecting,
        type: c.type,
        urls,
        httpProtocol: r.value(HTTP.http_protocol),
        virtualhost: r.value(HTTP.virtualhost) ?? inh.virtualhost,
        enableSni: r.value(HTTP.enable_sni),
        sniName: r.value(HTTP.sni_name) ?? null,
        fastRecovery: r.value(HTTP.fast_recovery),
        tlsCompliant: ssl && r.value(SSL.tls_compliant),
      };
    }
    case 'SMTP_CHECK':
      return {
        ...connecting,
        type: 'SMTP_CHECK',
        heloName: r.value(SMTP.helo_name),
      };
    case 'DNS_CHECK':
      return {
        ...connecting,
        type: 'DNS_CHECK',
        queryType: r.value(DNS.type),
        name: r.value(DNS.name),
      };
    case 'UDP_CHECK': {
      const reply = r.value(UDP.require_reply);
      return {
        ...connecting,
        type: 'UDP_CHECK',
        payload: r.value(UDP.payload) ?? null,
        requireReply: reply !== undefined,
        replyPattern: reply ? reply : null,
        minReplyLength: r.value(UDP.min_reply_length),
        maxReplyLength: r.value(UDP.max_reply_length),
      };
    }
  }
}
