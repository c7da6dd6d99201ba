/** `virtual_server_group`, `virtual_server`, `real_server` and checker blocks -> the LVS model (keywords/virtual-server.ts, keywords/checkers.ts). */
import type {
  Checker,
  CheckerType,
  PingCheck,
  TcpCheck,
  ForwardingMethod,
  HttpUrl,
  RealServer,
  ScriptSpec,
  VirtualServer,
  VirtualServerGroup,
  Protocol,
  Scheduler,
  TunnelSettings,
  AddressFamily,
} from '../model.js';
import type { Statement } from '../tree.js';
import { formatTrio, formatVs } from '../virtual-server-format.js';
import { RawReader, readBlock } from '../keywords/read.js';
import type { DiagnosticSink, RawBlock } from '../keywords/types.js';
import { groupLine, realServerTable, serverAddress, virtualServerTable } from '../keywords/virtual-server.js';
import type { GroupLine, MethodValue, ServerAddress } from '../keywords/virtual-server.js';
import { isIpv6LinkLocal, type RawChecker } from '../keywords/checkers.js';
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

export const DEFAULT_DELAY_LOOP = 60;
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
  const family: AddressFamily = h.family ?? r.get<AddressFamily>('ip_family') ?? 'inet';
  if (h.family !== null && r.has('ip_family') && r.get('ip_family') !== h.family) {
    sink.report(
      'error',
      'family-mismatch',
      `Virtual server specified family ${r.get<string>('ip_family')} conflicts with server family`,
      r.loc('ip_family'),
    );
  }
  let protocol: Protocol = r.get<Protocol>('protocol') ?? 'UDP';
  const shown = { address: h.address, port: h.port, fwmark: h.fwmark, group: h.group, protocol };
  if (!r.has('protocol') && h.fwmark === null) {
    sink.report(
      'warning',
      'default-protocol',
      `Virtual server ${formatVs(shown, false)}: no protocol set - defaulting to UDP`,
      stmt.loc,
    );
  }
  if (h.fwmark !== null && r.has('protocol')) {
    sink.report(
      'error',
      'fwmark-protocol',
      `Warning: Virtual server FWM ${h.fwmark}: protocol specified for fwmark - protocol will be ignored`,
      r.loc('protocol'),
    );
    protocol = 'TCP';
  }
  if (h.fwmark !== null && !r.has('protocol')) protocol = 'TCP';
  shown.protocol = protocol;
  const label = formatVs(shown);
  const scheduler: Scheduler = r.get<Scheduler>('lvs_sched') ?? 'wlc';
  if (!r.has('lvs_sched'))
    sink.report(
      'warning',
      'default-scheduler',
      `Virtual server ${label}: no scheduler set, setting default 'wlc'`,
      stmt.loc,
    );
  const method = r.get<MethodValue>('lvs_method');
  if (!method)
    sink.report(
      'warning',
      'default-method',
      `Virtual server ${label}: no forwarding method set, setting default NAT`,
      stmt.loc,
    );
  const vsMethod: ForwardingMethod = method?.method ?? 'NAT';

  let persistenceTimeout = r.num('persistence_timeout', 0);
  if (h.port === 0 && h.address !== null && persistenceTimeout === 0) {
    sink.report(
      'error',
      'zero-port',
      `Virtual server ${label}: zero port only valid for persistent services - setting`,
      stmt.loc,
    );
    persistenceTimeout = 360;
  }
  let onePacket = r.bool('ops');
  if (onePacket && protocol !== 'UDP') {
    sink.report(
      'error',
      'ops-not-udp',
      `Virtual server ${label}: one packet scheduling requires UDP - resetting`,
      r.loc('ops'),
    );
    onePacket = false;
  }
  // check_parser.c lbflags_handler: under sh or mh a flag of the other scheduler (and `hashed`)
  // is dropped silently; under any other scheduler each says it needs sh, mh-port too.
  if (scheduler !== 'sh' && scheduler !== 'mh') {
    for (const f of ['hashed', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'] as const) {
      if (r.bool(f))
        sink.report('error', 'sched-flag', `${f} only applies to sh scheduler - ignoring`, r.loc(f));
    }
  }

  const delayLoop = capTimer(r.num('delay_loop', DEFAULT_DELAY_LOOP));
  const inherit: Inherit = {
    delayLoop: capTimer(r.optNum('delay_loop')),
    connectTimeout: r.optNum('connect_timeout'),
    retry: r.optNum('retry'),
    delayBeforeRetry: capTimer(r.optNum('delay_before_retry')),
    warmup: capTimer(r.optNum('warmup')),
    alpha: r.bool('alpha'),
    virtualhost: r.str('virtualhost'),
  };

  let sorryServer: VirtualServer['sorryServer'] = null;
  const sorry = r.get<ServerAddress>('sorry_server');
  if (sorry) {
    if (sorry.family !== family) {
      sink.report(
        'error',
        'family-mismatch',
        `Address family of virtual server and sorry server ${sorry.address} don't match - skipping sorry server.`,
        sorry.loc,
      );
    } else {
      const sm = r.get<MethodValue>('sorry_server_lvs_method');
      sorryServer = {
        address: sorry.address,
        family: sorry.family,
        port: h.fwmark !== null ? 0 : (sorry.port ?? h.port ?? 0),
        forwardingMethod: sm?.method ?? vsMethod,
        tunnel: sm ? sm.tunnel : (method?.tunnel ?? null),
        inhibit: r.bool('sorry_server_inhibit'),
      };
    }
  } else {
    if (r.bool('sorry_server_inhibit'))
      sink.report(
        'error',
        'sorry',
        'Ignoring sorry_server inhibit used before or without sorry_server',
        r.loc('sorry_server_inhibit'),
      );
    if (r.has('sorry_server_lvs_method'))
      sink.report(
        'error',
        'sorry',
        'sorry_server forwarding used without sorry_server',
        r.loc('sorry_server_lvs_method'),
      );
  }

  const vsCtx: VsContext = {
    label,
    family,
    port: h.port,
    fwmark: h.fwmark,
    protocol,
    method: vsMethod,
    tunnel: method?.tunnel ?? null,
    weight: r.num('weight', 1),
    inhibitOnFailure: r.get<boolean>('inhibit_on_failure') ?? false,
    smtpAlert: r.get<boolean>('smtp_alert') ?? null,
    inherit,
  };
  const realServers: RealServer[] = [];
  const rsKeys = new Set<string>();
  for (const rsStmt of r.list<Statement>('real_server')) {
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
  let quorum = r.num('quorum', 1);
  if (quorum > weightSum) {
    sink.report(
      'error',
      'quorum',
      `Warning - quorum ${quorum} for ${label} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`,
      r.loc('quorum'),
    );
    quorum = weightSum;
  }
  let hysteresis = r.num('hysteresis', 0);
  if (hysteresis > 0 && hysteresis >= quorum) {
    const reduced = Math.max(0, quorum - 1);
    sink.report(
      'error',
      'quorum',
      `Virtual server ${label}: hysteresis ${hysteresis} >= quorum ${quorum}; setting hysteresis to ${reduced}`,
      r.loc('hysteresis'),
    );
    hysteresis = reduced;
  }
  let haSuspend = r.bool('ha_suspend');
  if (haSuspend && h.fwmark !== null) {
    sink.report(
      'error',
      'ha-suspend',
      `Virtual server ${label}: cannot use ha_suspend with fwmarks - clearing ha_suspend`,
      r.loc('ha_suspend'),
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
    tunnel: method?.tunnel ?? null,
    persistenceTimeout,
    persistenceGranularity: r.str('persistence_granularity'),
    persistenceEngine: r.str('persistence_engine'),
    flags: {
      onePacket,
      shPort: scheduler === 'sh' && r.bool('sh-port'),
      shFallback: scheduler === 'sh' && r.bool('sh-fallback'),
      mhPort: scheduler === 'mh' && r.bool('mh-port'),
      mhFallback: scheduler === 'mh' && r.bool('mh-fallback'),
      sched1: r.bool('flag-1'),
      sched2: r.bool('flag-2'),
      sched3: r.bool('flag-3'),
    },
    delayLoop,
    quorum,
    hysteresis,
    quorumUp: r.get<ScriptSpec>('quorum_up') ?? null,
    quorumDown: r.get<ScriptSpec>('quorum_down') ?? null,
    sorryServer,
    alpha: r.bool('alpha'),
    omega: r.get<boolean>('omega') ?? false,
    inhibitOnFailure: vsCtx.inhibitOnFailure,
    haSuspend,
    virtualhost: r.str('virtualhost'),
    smtpAlert: r.get<boolean>('smtp_alert') ?? false,
    realServers,
    loc: stmt.loc,
  };
}

/** Checker settings that flow down virtual_server -> real_server -> checker; null = unset. */
interface Inherit {
  readonly delayLoop: number | null;
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
  const method = r.get<MethodValue>('lvs_method');
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
    delayLoop: capTimer(r.optNum('delay_loop')) ?? vs.inherit.delayLoop,
    connectTimeout: r.optNum('connect_timeout') ?? vs.inherit.connectTimeout,
    retry: r.optNum('retry') ?? vs.inherit.retry,
    delayBeforeRetry: capTimer(r.optNum('delay_before_retry')) ?? vs.inherit.delayBeforeRetry,
    warmup: capTimer(r.optNum('warmup')) ?? vs.inherit.warmup,
    alpha: r.get<boolean>('alpha') ?? vs.inherit.alpha,
    virtualhost: r.str('virtualhost') ?? vs.inherit.virtualhost,
  };
  const checkers: Checker[] = [];
  for (const c of r.list<RawChecker>('checkers')) {
    const built = buildChecker(c, addr.address, port, inherit, sink);
    if (built) checkers.push(built);
  }
  return {
    key: `${addr.address}|${port}`,
    address: addr.address,
    family: addr.family,
    port,
    weight: r.optNum('weight') ?? vs.weight,
    inhibitOnFailure: r.get<boolean>('inhibit_on_failure') ?? vs.inhibitOnFailure,
    forwardingMethod,
    tunnel: method ? method.tunnel : vs.tunnel,
    uthreshold: r.optNum('uthreshold'),
    lthreshold: r.optNum('lthreshold'),
    alpha: inherit.alpha,
    notifyUp: r.get<ScriptSpec>('notify_up') ?? null,
    notifyDown: r.get<ScriptSpec>('notify_down') ?? null,
    virtualhost: inherit.virtualhost,
    smtpAlert: r.get<boolean>('smtp_alert') ?? vs.smtpAlert ?? true,
    checkers,
    loc: stmt.loc,
  };
}

function buildUrl(raw: RawBlock, ssl: boolean, sink: DiagnosticSink): HttpUrl | null {
  const u = new RawReader(raw);
  const path = u.str('path');
  if (path === null) {
    sink.report('error', 'missing-parameter', 'url has no path - ignoring', raw.loc);
    return null;
  }
  return {
    path,
    digest: u.str('digest'),
    statusCodes: u.get<[number, number][]>('status_code') ?? [[200, 299]],
    virtualhost: u.str('virtualhost'),
    regex: u.str('regex'),
    regexNoMatch: u.bool('regex_no_match'),
    // SSL_GET's urls only (keepalived 2.2.8+).
    tlsCompliant: ssl && u.bool('tls_compliant'),
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
    const trackFile = r.str('track_file');
    if (trackFile === null) {
      sink.report('error', 'missing-parameter', 'FILE_CHECK has no track_file - ignoring', loc);
      return null;
    }
    const w = r.get<{ weight: number; reverse: boolean }>('weight');
    return {
      type: 'FILE_CHECK',
      trackFile,
      weight: w?.weight ?? 0,
      weightReverse: w?.reverse ?? false,
      dynamic: r.bool('dynamic'),
      loc,
    };
  }
  const delayLoop = capTimer(r.optNum('delay_loop')) ?? inh.delayLoop ?? DEFAULT_DELAY_LOOP;
  // Plain values then object literals (no spreads): this runs once per checker, 40,000 times on
  // the 2,000 x 20 benchmark config.
  const warmup = capTimer(r.optNum('warmup')) ?? inh.warmup ?? delayLoop;
  const retry = r.optNum('retry') ?? inh.retry ?? CHECKER_RETRY[c.type];
  const delayBeforeRetry =
    capTimer(r.optNum('delay_before_retry')) ??
    inh.delayBeforeRetry ??
    CHECKER_DELAY_BEFORE_RETRY[c.type] ??
    delayLoop;
  const alpha = r.get<boolean>('alpha') ?? inh.alpha;
  const logAllFailures = r.bool('log_all_failures');
  if (c.type === 'MISC_CHECK') {
    const misc = r.get<ScriptSpec>('misc_path');
    if (!misc) {
      sink.report(
        'error',
        'missing-script',
        'No script path has been specified for MISC_CHECKER - skipping',
        loc,
      );
      return null;
    }
    const user = r.get<{ user: string; group: string | null }>('user');
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
      miscTimeout: r.optNum('misc_timeout') ?? delayLoop,
      miscDynamic: r.bool('misc_dynamic'),
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
    connectTimeout: r.optNum('connect_timeout') ?? inh.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    connectIp: r.str('connect_ip') ?? rsAddress,
    connectPort: r.optNum('connect_port') ?? rsPort,
    bindTo: r.str('bindto'),
    bindPort: r.optNum('bind_port'),
    bindIf: r.str('bind_if'),
    fwmark: r.optNum('fwmark'),
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
      const urls: HttpUrl[] = [];
      for (const u of r.list<RawBlock>('url')) {
        const url = buildUrl(u, c.type === 'SSL_GET', sink);
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
        httpProtocol: (r.str('http_protocol') as '1.0' | '1.0C' | '1.1' | null) ?? '1.0',
        virtualhost: r.str('virtualhost') ?? inh.virtualhost,
        enableSni: r.bool('enable_sni'),
        sniName: r.str('sni_name'),
        fastRecovery: r.bool('fast_recovery'),
        tlsCompliant: c.type === 'SSL_GET' && r.bool('tls_compliant'),
      };
    }
    case 'SMTP_CHECK':
      return {
        ...connecting,
        type: 'SMTP_CHECK',
        heloName: r.str('helo_name') ?? 'smtpchecker.keepalived.org',
      };
    case 'DNS_CHECK':
      return {
        ...connecting,
        type: 'DNS_CHECK',
        queryType: (r.str('type') as 'SOA' | null) ?? 'SOA',
        name: r.str('name') ?? '.',
      };
    case 'UDP_CHECK': {
      const reply = r.get<string>('require_reply');
      return {
        ...connecting,
        type: 'UDP_CHECK',
        payload: r.str('payload'),
        requireReply: reply !== undefined,
        replyPattern: reply ? reply : null,
        minReplyLength: r.num('min_reply_length', 0),
        maxReplyLength: r.num('max_reply_length', 255),
      };
    }
  }
}
