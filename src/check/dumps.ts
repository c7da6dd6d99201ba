/**
 * PURE: the checker process's dump texts.
 *
 * `checkDataText` is keepalived_check.data after its Global definitions (SIGUSR1), in keepalived
 * 2.2.7's layout: `------< LVS Topology >------` with each virtual server group, virtual server and
 * real server (check/check_data.c `dump_check_data`, `dump_vsg`, `dump_vs`, `dump_rs`), then
 * `------< Health checkers >------` with each checker (check/check_api.c `dump_checker` and the
 * `dump_*_check` of check_tcp.c, check_http.c, check_misc.c, check_smtp.c, check_dns.c,
 * check_udp.c, check_ping.c, check_file.c).
 *
 * `checkJsonEntries` is keepalived_check.json (SIGRTMIN+2), which keepalived does not have: one
 * `{"data": {...}, "stats": {...}}` element per virtual server, keys in keepalived's snake_case,
 * the real servers and their checkers inside `data`, the kernel's counters in `stats`.
 * docs/operations.md "Dump files" lists the keys and why this is a file of its own.
 *
 * What keepalived-ts resolves differently: keepalived keeps retry, delay_before_retry and warmup
 * at each level (virtual server, real server, checker) and prints the first two levels only when
 * set there; keepalived-ts resolves them into each checker, so those virtual and real server lines
 * are left out and the checker lines show the values in force.
 */
import type {
  Checker,
  Config,
  ForwardingMethod,
  RealServer,
  ScriptSpec,
  TunnelSettings,
  VirtualServer,
} from '../config/model.js';
import { formatRs, formatVs } from '../config/virtual-server-format.js';
import type { LvsStatus, RealServerStatus, VirtualServerStatus } from '../contracts/status.js';
import { ctime24, microsField, secondsDotMicros } from '../util/ctime.js';
import { formatChecker } from './format.js';
import type { CheckerStatus } from './pool.js';

/** The IPVS version keepalived 2.2.7 is built against (<linux/ip_vs.h> IP_VS_VERSION_CODE 0x010201). */
const LVS_VERSION = 'v1.2.1';

export interface CheckDumpInput {
  readonly config: Config;
  readonly status: LvsStatus;
  /** The checkers' state (pool.ts), `lastAttemptAt` in wall-clock ms; null when unknown. */
  readonly checkers: readonly CheckerStatus[] | null;
  /** Numeric ids a script runs as (its own user, else script_user ...). */
  readonly idsOf: (
    user: string | null,
    group: string | null,
  ) => { readonly uid: number; readonly gid: number };
  /** A script's program as keepalived prints it (its real path); default as written. */
  readonly programOf?: (argv0: string) => string;
}

/** keepalived's `format_decimal(val, TIMER_HZ_DIGITS)`: seconds with six decimals. */
function decimal(seconds: number): string {
  return (Math.round(seconds * 1e6) / 1e6).toFixed(6);
}

const us = (seconds: number): string => `${Math.round(seconds * 1e6)} us`;

/** cmd_str: every word in single quotes, the program as `programOf` gives it. */
export function cmdStr(spec: ScriptSpec, programOf: (argv0: string) => string = (p) => p): string {
  return spec.argv.map((a, i) => `'${i === 0 ? programOf(a) : a}'`).join(' ');
}

function forwardingLine(prefix: string, method: ForwardingMethod, tunnel: TunnelSettings | null): string {
  const fwd = 'forwarding method = ';
  if (method !== 'TUN') return `   ${prefix}${fwd}${method}`;
  const type = tunnel?.type ?? 'ipip';
  if (type === 'ipip') return `   ${prefix}${fwd}TUN, type = IPIP`;
  const csum =
    tunnel?.checksum === 'csum'
      ? ', checksum'
      : tunnel?.checksum === 'remcsum'
        ? ', remote checksum'
        : ', no checksum';
  // keepalived leaves the prefix out of the GUE and GRE lines.
  return type === 'gue'
    ? `   ${fwd}TUN, type = GUE, port = ${tunnel?.port ?? 0}${csum}`
    : `   ${fwd}TUN, type = GRE${csum}`;
}

function groupLines(config: Config): string[] {
  const out: string[] = [];
  for (const g of config.virtualServerGroups) {
    const v4 = g.entries.some((e) => e.family === 'inet');
    const v6 = g.entries.some((e) => e.family === 'inet6');
    out.push(' ------< Virtual server group >------');
    out.push(` Virtual Server Group = ${g.name}, IPv4 = ${v4 ? 'yes' : 'no'}, IPv6 = ${v6 ? 'yes' : 'no'}`);
    // keepalived lists the address ranges, then the fwmarks.
    for (const e of g.entries) {
      if (e.kind !== 'address') continue;
      if (e.lastAddress !== null && e.lastAddress !== e.address) {
        out.push(`   VIP Range = ${e.address}-${e.lastAddress}, VPORT = ${e.port}`);
      } else {
        out.push(`   VIP = ${e.address}, VPORT = ${e.port}`);
      }
      out.push('     Alive: 0 tcp, 0 udp, 0 sctp', '     reloaded = False');
    }
    for (const e of g.entries) {
      if (e.kind !== 'fwmark') continue;
      out.push(`   FWMARK = ${e.fwmark} ${e.family === 'inet6' ? 'IPv6' : 'IPv4'}`);
      out.push('     Alive: 0 IPv4, 0 IPv6', '     reloaded = False');
    }
  }
  return out;
}

/** The first checker's timing, which keepalived's real server lines show. */
function rsTiming(vs: VirtualServer, rs: RealServer): { connectTimeout: number; delayLoop: number } {
  const c = rs.checkers.find((x) => x.type !== 'FILE_CHECK');
  return {
    connectTimeout: c !== undefined && 'connectTimeout' in c ? c.connectTimeout : 5,
    delayLoop: c !== undefined && 'delayLoop' in c ? c.delayLoop : vs.delayLoop,
  };
}

function realServerLines(
  vs: VirtualServer,
  rs: RealServer,
  st: RealServerStatus | undefined,
  input: CheckDumpInput,
): string[] {
  const eff = st?.effectiveWeight ?? rs.weight;
  const timing = rsTiming(vs, rs);
  const out = [
    '   ------< Real server >------',
    `   RIP = ${rs.address}, RPORT = ${rs.port}, WEIGHT = ${Math.max(0, Math.min(eff, 65535))} EFF WEIGHT = ${eff}`,
    forwardingLine('', rs.forwardingMethod, rs.tunnel),
    `   Alpha is ${rs.alpha ? 'ON' : 'OFF'}`,
    `   connection timeout = ${decimal(timing.connectTimeout)}`,
    `   connection limit range = ${rs.lthreshold ?? 0} -> ${rs.uthreshold ?? 0}`,
    `   Delay loop = ${decimal(timing.delayLoop)}`,
    `   Inhibit on failure is ${rs.inhibitOnFailure ? 'ON' : 'OFF'}`,
  ];
  for (const [label, spec] of [
    ['up', rs.notifyUp],
    ['down', rs.notifyDown],
  ] as const) {
    if (spec === null) continue;
    const { uid, gid } = input.idsOf(spec.user, spec.group);
    out.push(`     RS ${label} notify script = ${cmdStr(spec, input.programOf)}, uid:gid ${uid}:${gid}`);
  }
  if (rs.virtualhost !== null) out.push(`    VirtualHost = '${rs.virtualhost}'`);
  const failed = st === undefined ? 0 : st.checkers.filter((c) => !c.up).length;
  out.push(
    `   Using smtp notification = ${rs.smtpAlert ? 'yes' : 'no'}`,
    `   initial weight = ${rs.weight}`,
    `   effective weight = ${eff}`,
    `   previous effective_weight = ${eff}`,
    `   alive = ${st?.healthy === false ? 0 : 1}`,
    `   num failed checkers = ${failed}`,
    `   RS set = ${st?.inTable === true ? 1 : 0}`,
    '   reloaded = 0',
  );
  const files = rs.checkers.filter((c) => c.type === 'FILE_CHECK');
  if (files.length > 0) {
    out.push('   Tracked Files');
    for (const f of files)
      out.push(`     ${f.trackFile}, weight ${f.weight}${f.weightReverse ? ' reverse' : ''}`);
  }
  return out;
}

function schedulerFlagLines(vs: VirtualServer): string[] {
  const f = vs.flags;
  const en = (b: boolean): string => (b ? 'enabled' : 'disabled');
  if (vs.scheduler === 'sh') return [`   sh-port = ${en(f.shPort)}`, `   sh-fallback = ${en(f.shFallback)}`];
  if (vs.scheduler === 'mh') return [`   mh-port = ${en(f.mhPort)}`, `   mh-fallback = ${en(f.mhFallback)}`];
  return [`   flag-1 = ${en(f.sched1)}`, `   flag-2 = ${en(f.sched2)}`, `   flag-3 = ${en(f.sched3)}`];
}

function virtualServerLines(
  vs: VirtualServer,
  st: VirtualServerStatus | undefined,
  input: CheckDumpInput,
): string[] {
  const out: string[] = [' ------< Virtual server >------'];
  if (vs.group !== null) out.push(` VS GROUP = ${formatVs(vs)}`);
  else if (vs.fwmark !== null) out.push(` VS FWMARK = ${vs.fwmark}`);
  else out.push(` VS VIP = ${vs.address ?? ''}, VPORT = ${vs.port ?? 0}`);
  if (vs.virtualhost !== null) out.push(`   VirtualHost = ${vs.virtualhost}`);
  out.push(
    `   Address family = ${vs.family}`,
    `   connection timeout = ${decimal(5)}`,
    `   delay_loop = ${decimal(vs.delayLoop)}`,
    `   lvs_sched = ${vs.scheduler}`,
    '   Hashed = disabled',
    ...schedulerFlagLines(vs),
    `   One packet scheduling = ${vs.flags.onePacket ? 'enabled' : 'disabled'}${
      vs.flags.onePacket && vs.protocol !== 'UDP' ? ' (inactive due to not UDP)' : ''
    }`,
  );
  if (vs.persistenceTimeout > 0) out.push(`   persistence timeout = ${Math.floor(vs.persistenceTimeout)}`);
  if (vs.persistenceGranularity !== null)
    out.push(`   persistence granularity = ${vs.persistenceGranularity}`);
  out.push(
    `   protocol = ${vs.protocol}`,
    `   alpha is ${vs.alpha ? 'ON' : 'OFF'}`,
    `   omega is ${vs.omega ? 'ON' : 'OFF'}`,
    `   Inhibit on failure is ${vs.inhibitOnFailure ? 'ON' : 'OFF'}`,
    `   quorum = ${vs.quorum}, hysteresis = ${vs.hysteresis}`,
  );
  for (const [label, spec] of [
    ['up', vs.quorumUp],
    ['down', vs.quorumDown],
  ] as const) {
    if (spec === null) continue;
    const { uid, gid } = input.idsOf(spec.user, spec.group);
    out.push(`   Quorum ${label} notify script = ${cmdStr(spec, input.programOf)}, uid:gid ${uid}:${gid}`);
  }
  if (vs.haSuspend) out.push('   Using HA suspend');
  out.push(`   Using smtp notification = ${vs.smtpAlert ? 'yes' : 'no'}`);
  out.push(forwardingLine('default ', vs.forwardingMethod, vs.tunnel));
  const ss = vs.sorryServer;
  if (ss !== null) {
    out.push(`   sorry server = ${formatRs(ss, vs)}`);
    out.push(forwardingLine('  ', ss.forwardingMethod, ss.tunnel));
    out.push(`     Inhibit on failure is ${ss.inhibit ? 'ON' : 'OFF'}`);
  }
  const inTable = st?.realServers.some((r) => r.inTable) === true || st?.sorryServer?.active === true;
  out.push(
    `   alive = ${inTable ? 1 : 0}`,
    `   quorum_state_up = ${st?.quorumUp === false ? 0 : 1}`,
    '   reloaded = 0',
  );
  vs.realServers.forEach((rs, i) => out.push(...realServerLines(vs, rs, st?.realServers[i], input)));
  return out;
}

function checkerTypeLines(c: Checker, state: CheckerStatus | undefined, input: CheckDumpInput): string[] {
  switch (c.type) {
    case 'TCP_CHECK':
      return ['   Keepalive method = TCP_CHECK'];
    case 'PING_CHECK':
      return ['   Keepalive method = PING_CHECK'];
    case 'SMTP_CHECK':
      return ['   Keepalive method = SMTP_CHECK', `   helo = ${c.heloName}`];
    case 'DNS_CHECK':
      return ['   Keepalive method = DNS_CHECK', `   Type = ${c.queryType}`, `   Name = ${c.name}`];
    case 'UDP_CHECK': {
      const out = ['   Keepalive method = UDP_CHECK'];
      out.push(c.payload !== null ? `   Payload len = ${c.payload.length / 2}` : '   Payload specified = no');
      out.push(`   Require reply = ${c.requireReply ? 'yes' : 'no'}`);
      if (c.requireReply) {
        out.push(
          `     Min reply length = ${c.minReplyLength}`,
          `     Max reply length = ${c.maxReplyLength}`,
          `     Reply data len = ${c.replyPattern === null ? 0 : Math.ceil(c.replyPattern.length / 2)}`,
        );
        if (c.replyPattern !== null)
          out.push(`     Reply data mask = ${/x/i.test(c.replyPattern) ? 'yes' : 'no'}`);
      }
      return out;
    }
    case 'HTTP_GET':
    case 'SSL_GET': {
      const out = [
        `   Keepalive method = ${c.type === 'HTTP_GET' ? 'HTTP' : 'SSL'}_GET, http protocol ${c.httpProtocol}`,
      ];
      if (c.virtualhost !== null) out.push(`   Virtualhost = ${c.virtualhost}`);
      out.push(
        `   Enable SNI ${c.enableSni ? '' : 'un'}set`,
        `   Fast recovery ${c.fastRecovery ? '' : 'un'}set`,
      );
      for (const u of c.urls) {
        out.push(`   Checked url = ${u.path}`);
        if (u.digest !== null) out.push(`     digest = ${u.digest}`);
        out.push('     HTTP Status Code(s)');
        for (const [lo, hi] of statusRanges(u.statusCodes))
          out.push(lo === hi ? `       ${lo}` : `       ${lo}-${hi}`);
        if (u.virtualhost !== null) out.push(`     Virtual host = ${u.virtualhost}`);
        if (u.regex !== null) {
          out.push(`     Regex = "${u.regex}"`);
          if (u.regexNoMatch) out.push('     Regex no match');
          out.push('     Regex options:', '     Regex ref count = 1');
        }
      }
      return out;
    }
    case 'MISC_CHECK': {
      const { uid, gid } = input.idsOf(c.miscPath.user, c.miscPath.group);
      const ran = state?.lastAttemptAt ?? 0;
      return [
        '   Keepalive method = MISC_CHECK',
        `   script = ${cmdStr(c.miscPath, input.programOf)}`,
        `   timeout = ${Math.floor(c.miscTimeout)}`,
        `   dynamic = ${c.miscDynamic ? 'YES' : 'NO'}`,
        `   uid:gid = ${uid}:${gid}`,
        `   Last ran = ${secondsDotMicros(ran)} (${ctime24(ran)}.${microsField(ran)})`,
        `   Last status = ${miscExitCode(state)}`,
      ];
    }
    case 'FILE_CHECK':
      return ['   Keepalive method = FILE_CHECK', `     Tracked file = ${c.trackFile}`, '     Reloaded = No'];
  }
}

/** keepalived keeps the accepted codes as a bitmap and prints its runs: merged, in order. */
function statusRanges(ranges: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out.at(-1);
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** MISC_CHECK's last exit code as keepalived keeps it (0 before the first run). */
function miscExitCode(state: CheckerStatus | undefined): number {
  const r = state?.lastResult;
  if (r === undefined || r === null) return 0;
  if (r.kind === 'up') return r.weight !== null ? r.weight + 2 : 0;
  if (r.kind === 'skipped') return 0;
  const m = /exited with status (\d+)/.exec(r.detail);
  return m !== null ? Number(m[1]) : 1;
}

function checkerLines(
  vs: VirtualServer,
  rs: RealServer,
  c: Checker,
  state: CheckerStatus | undefined,
  input: CheckDumpInput,
): string[] {
  const up = state?.up ?? true;
  const out = [
    ` ${formatVs(vs)} -> ${c.type === 'FILE_CHECK' ? formatRs(rs, vs) : formatChecker(c, rs, vs)}`,
    '   Enabled = yes',
    `   Up = ${up ? 'yes' : 'no'}`,
    `   Has run = ${state?.lastAttemptAt != null ? 'yes' : 'no'}`,
    `   Current weight = ${state?.lastResult?.kind === 'up' && state.lastResult.weight !== null ? state.lastResult.weight : 0}`,
  ];
  if (c.type !== 'FILE_CHECK') {
    out.push(
      `   Alpha = ${c.alpha ? 'yes' : 'no'}`,
      `   Delay loop = ${us(c.delayLoop)}`,
      `   Warmup = ${us(c.warmup)}`,
      `   Retries = ${c.retry}`,
    );
    if (c.retry > 0) {
      out.push(
        `   Delay before retry = ${us(c.delayBeforeRetry)}`,
        `   Retries iterations = ${state?.retryIt ?? 0}`,
      );
    }
    out.push('   Default delay before retry = 1000000 us');
  }
  out.push(`   Log all failures = ${c.type !== 'FILE_CHECK' && c.logAllFailures ? 'yes' : 'no'}`);
  if ('connectIp' in c) {
    out.push('   Connection', `     Dest = [${c.connectIp}]:${c.connectPort}`);
    if (c.bindTo !== null) out.push(`     Bind to = [${c.bindTo}]:${c.bindPort ?? 0}`);
    if (c.bindIf !== null) out.push(`     Bind i/f = ${c.bindIf}`);
    if (c.fwmark !== null && c.fwmark !== 0) out.push(`     Mark = ${c.fwmark}`);
    out.push(`     Timeout = ${c.connectTimeout.toFixed(6)}`);
  }
  out.push(...checkerTypeLines(c, state, input));
  return out;
}

export function checkDataText(input: CheckDumpInput): string {
  const { config, status } = input;
  const out: string[] = [];
  if (
    config.virtualServers.some((vs) =>
      vs.realServers.some((rs) => rs.checkers.some((c) => c.type === 'SSL_GET')),
    )
  ) {
    out.push('------< SSL definitions >------', ' Using autogen SSL context');
  }
  if (config.virtualServers.length > 0) {
    out.push('------< LVS Topology >------', ` System is compiled with LVS ${LVS_VERSION}`);
    out.push(...groupLines(config));
    config.virtualServers.forEach((vs, i) =>
      out.push(...virtualServerLines(vs, status.virtualServers[i], input)),
    );
  }
  const byRs = new Map<string, CheckerStatus[]>();
  for (const c of input.checkers ?? []) {
    const k = `${c.vs}\u0000${c.rs}`;
    byRs.set(k, [...(byRs.get(k) ?? []), c]);
  }
  const checkers: string[] = [];
  for (const vs of config.virtualServers) {
    for (const rs of vs.realServers) {
      const states = byRs.get(`${vs.key}\u0000${rs.key}`) ?? [];
      rs.checkers.forEach((c, i) => checkers.push(...checkerLines(vs, rs, c, states[i], input)));
    }
  }
  if (checkers.length > 0) out.push('------< Health checkers >------', ...checkers);
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// keepalived_check.json (beyond keepalived)

function realServerJson(rs: RealServer, st: RealServerStatus | undefined): Record<string, unknown> {
  return {
    rs: st?.name ?? rs.address,
    address: rs.address,
    port: rs.port,
    forwarding_method: rs.forwardingMethod,
    weight: rs.weight,
    effective_weight: st?.effectiveWeight ?? rs.weight,
    ipvs_weight: st?.weight ?? 0,
    alive: st?.healthy ?? true,
    set: st?.inTable ?? false,
    drained: st?.drained ?? false,
    inhibit: rs.inhibitOnFailure,
    num_failed_checkers: st?.checkers.filter((c) => !c.up).length ?? 0,
    last_transition: st?.lastTransitionAt ?? null,
    checkers: (st?.checkers ?? []).map((c) => ({
      type: c.type,
      target: c.target,
      up: c.up,
      last_check: c.lastCheck === null ? null : c.lastCheck.at,
      last_check_ok: c.lastCheck === null ? null : c.lastCheck.ok,
      last_check_reason: c.lastCheck?.reason ?? null,
      last_check_latency_ms: c.lastCheck?.latencyMs ?? null,
    })),
    stats: {
      active_conns: st?.counters?.activeConnections ?? 0,
      inactive_conns: st?.counters?.inactiveConnections ?? 0,
      conns: st?.counters?.connections ?? 0,
      inpkts: st?.counters?.inPackets ?? 0,
      outpkts: st?.counters?.outPackets ?? 0,
      inbytes: st?.counters?.inBytes ?? 0,
      outbytes: st?.counters?.outBytes ?? 0,
    },
  };
}

/** The SIGRTMIN+2 array of keepalived_check.json: one `{data, stats}` per virtual server. */
export function checkJsonEntries(config: Config, status: LvsStatus): unknown[] {
  return config.virtualServers.map((vs, i) => {
    const st = status.virtualServers[i];
    return {
      data: {
        vs: formatVs(vs),
        key: vs.key,
        af: vs.family,
        protocol: vs.protocol,
        address: vs.address,
        port: vs.port,
        fwmark: vs.fwmark,
        group: vs.group,
        lvs_sched: vs.scheduler,
        forwarding_method: vs.forwardingMethod,
        persistence_timeout: vs.persistenceTimeout,
        quorum: vs.quorum,
        hysteresis: vs.hysteresis,
        quorum_state_up: st?.quorumUp ?? false,
        weight_sum: st?.weightSum ?? 0,
        alpha: vs.alpha,
        omega: vs.omega,
        sorry_server: vs.sorryServer === null ? null : formatRs(vs.sorryServer, vs),
        sorry_server_active: st?.sorryServer?.active ?? false,
        ipvs: status.ipvs,
        real_servers: vs.realServers.map((rs, j) => realServerJson(rs, st?.realServers[j])),
      },
      stats: {
        conns: st?.counters?.connections ?? 0,
        inpkts: st?.counters?.inPackets ?? 0,
        outpkts: st?.counters?.outPackets ?? 0,
        inbytes: st?.counters?.inBytes ?? 0,
        outbytes: st?.counters?.outBytes ?? 0,
      },
    };
  });
}
