/**
 * PURE: the readable forms of the control commands' answers: `keepalived-ts status` as tables
 * (instances; each virtual server with its real servers), and the reload report.
 */
import type { DaemonStatus, RealServerStatus, VrrpInstanceStatus } from '../contracts/status.js';
import type { ReloadReport } from './reload-report.js';

/** Columns padded to their widest cell, two spaces apart; `indent` before each row. */
export function table(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map(
    (r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '),
  );
}

/** `5s`, `3m07s`, `2h05m`, `3d04h`. */
export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

const ago = (at: string, now: number): string => `${duration(Math.max(0, now - Date.parse(at)))} ago`;

function instanceRows(i: VrrpInstanceStatus, now: number): string[][] {
  const state = i.standby ? `${i.state} (standby)` : i.fault !== null ? `${i.state} (${i.fault})` : i.state;
  const last =
    i.lastTransition === null
      ? '-'
      : `${i.lastTransition.from}->${i.lastTransition.to} (${i.lastTransition.reason}) ${ago(i.lastTransition.at, now)}`;
  return [
    [
      i.name,
      state,
      String(i.effectivePriority),
      String(i.basePriority),
      i.masterAddress ?? '-',
      i.vips.join(', ') || '-',
      duration(i.inStateMs),
      last,
    ],
  ];
}

const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));

function rsRow(rs: RealServerStatus, now: number): string[] {
  const c = rs.lastCheck;
  const check =
    c === null
      ? '-'
      : `${c.ok ? 'ok' : `failed: ${c.reason ?? ''}`} ${c.latencyMs.toFixed(1)}ms ${ago(c.at, now)}`;
  return [
    rs.name,
    rs.healthy ? 'up' : 'down',
    rs.inTable ? String(rs.weight) : '-',
    String(rs.configuredWeight),
    rs.drained ? 'drained' : '-',
    rs.counters === null ? '-' : String(rs.counters.activeConnections),
    rs.counters === null ? '-' : String(rs.counters.connections),
    check,
  ];
}

export function formatStatus(s: DaemonStatus, now = Date.parse(s.generatedAt)): string {
  const out: string[] = [
    `keepalived-ts ${s.version}, pid ${s.pid}, up ${duration(now - Date.parse(s.startedAt))}, config ${s.configFile}`,
  ];
  if (s.lastReload !== null)
    out.push(`last reload ${ago(s.lastReload.at, now)}: ${s.lastReload.applied ? 'applied' : 'refused'}`);
  if (s.vrrp !== null) {
    out.push('', 'VRRP instances');
    out.push(
      ...table(
        [
          ['NAME', 'STATE', 'PRIO', 'BASE', 'MASTER', 'VIPS', 'IN STATE', 'LAST TRANSITION'],
          ...s.vrrp.instances.flatMap((i) => instanceRows(i, now)),
        ],
        '  ',
      ),
    );
    for (const i of s.vrrp.instances) {
      const t = i.trackers.filter((x) => x.weight !== 0 || x.fault);
      if (t.length === 0) continue;
      out.push(
        `  ${i.name} trackers: ${t.map((x) => `${x.kind} ${x.name} ${x.fault ? 'FAULT' : signed(x.contribution)} (${x.value})`).join(', ')}`,
      );
    }
  }
  if (s.lvs !== null) {
    out.push('', `Virtual servers (IPVS: ${s.lvs.ipvs})`);
    for (const vs of s.lvs.virtualServers) {
      const sorry =
        vs.sorryServer === null
          ? ''
          : `, sorry server [${vs.sorryServer.address}]:${vs.sorryServer.port}${vs.sorryServer.active ? ' IN USE' : ''}`;
      const conns = vs.counters === null ? '' : `, ${vs.counters.connections} connections`;
      out.push(
        `  ${vs.name}  ${vs.scheduler}  quorum ${vs.quorum} ${vs.quorumUp ? 'met' : 'LOST'} (weight sum ${vs.weightSum})${sorry}${conns}`,
      );
      out.push(
        ...table(
          [
            ['REAL SERVER', 'HEALTH', 'WEIGHT', 'CONF', 'DRAIN', 'ACTIVE', 'CONNS', 'LAST CHECK'],
            ...vs.realServers.map((rs) => rsRow(rs, now)),
          ],
          '    ',
        ),
      );
    }
  }
  if (s.vrrp === null && s.lvs === null) out.push('', 'nothing running (no instance, no virtual server)');
  return `${out.join('\n')}\n`;
}

export function formatReloadReport(r: ReloadReport): string {
  const out: string[] = [];
  for (const d of r.diagnostics) out.push(`${d.severity}: ${d.text}`);
  if (!r.applied) {
    out.push(`Reload refused: ${r.reason ?? 'unknown reason'}`);
    return `${out.join('\n')}\n`;
  }
  const c = r.changes;
  const list = (what: string, sign: string, items: readonly string[]): void => {
    for (const x of items) out.push(`  ${sign} ${what} ${x}`);
  };
  if (c !== null) {
    list('instance', '+', c.instances.added);
    list('instance', '-', c.instances.removed);
    list('instance', '~', c.instances.changed);
    list('VIP', '+', c.vips.added);
    list('VIP', '-', c.vips.removed);
    list('virtual server', '+', c.virtualServers.added);
    list('virtual server', '-', c.virtualServers.removed);
    list('virtual server', '~', c.virtualServers.changed);
    list('real server', '+', c.realServers.added);
    list('real server', '-', c.realServers.removed);
    list('real server', '~', c.realServers.changed);
  }
  const changed = out.some((l) => l.startsWith('  '));
  out.push(`Reload applied in ${r.durationMs} ms${changed ? '' : ' (no change)'}`);
  return `${out.join('\n')}\n`;
}
