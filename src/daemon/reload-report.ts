/**
 * PURE: what `keepalived-ts reload` answers (docs/control.md): whether the reload was applied or
 * refused, every diagnostic with its file and line (and keepalived's one-line form), and what
 * changed between the running config and the new one (config/diff.ts diffConfigs), by name.
 */
import type { Diagnostic, Severity } from '../config/diagnostics.js';
import { formatDiagnostic } from '../config/diagnostics-format.js';
import { diffConfigs } from '../config/diff.js';
import type { Config, VrrpInstance } from '../config/model.js';
import { formatRs, formatVs } from '../config/virtual-server-format.js';

export interface ReloadDiagnostic {
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  readonly file: string | null;
  readonly line: number | null;
  /** keepalived's form: `(Line 12) text`, `(FILE: Line 3) text`. */
  readonly text: string;
}

export interface Changes {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

export interface ReloadChanges {
  readonly instances: Changes;
  /** `INSTANCE: ADDR/LEN dev IF` */
  readonly vips: Omit<Changes, 'changed'>;
  readonly virtualServers: Changes;
  /** `VS RS`, keepalived's names: `[10.0.0.1]:tcp:80 [10.0.1.2]:tcp:80` */
  readonly realServers: Changes;
}

export interface ReloadReport {
  /** Applied: the new config runs. Refused: it could not be loaded and the running one stays. */
  readonly applied: boolean;
  /** Why it was refused (null when applied). */
  readonly reason: string | null;
  readonly durationMs: number;
  readonly diagnostics: readonly ReloadDiagnostic[];
  /** null when refused (nothing changed). */
  readonly changes: ReloadChanges | null;
}

export function reloadDiagnostics(diagnostics: readonly Diagnostic[], mainFile: string): ReloadDiagnostic[] {
  return diagnostics.map((d) => ({
    severity: d.severity,
    code: d.code,
    message: d.message,
    file: d.loc?.file ?? null,
    line: d.loc !== null && d.loc.line > 0 ? d.loc.line : null,
    text: formatDiagnostic(d, mainFile),
  }));
}

const vipsOf = (i: VrrpInstance): string[] =>
  [...i.vips, ...i.excludedVips].map((v) => `${i.name}: ${v.address}/${v.prefixLength} dev ${v.dev}`);

export function reloadChanges(before: Config, after: Config): ReloadChanges {
  const d = diffConfigs(before, after);
  const vipsBefore = new Set(before.vrrpInstances.flatMap(vipsOf));
  const vipsAfter = new Set(after.vrrpInstances.flatMap(vipsOf));
  const rsName = (
    vs: Config['virtualServers'][number],
    rs: Config['virtualServers'][number]['realServers'][number],
  ) => `${formatVs(vs)} ${formatRs(rs, vs)}`;
  const realServers: { added: string[]; removed: string[]; changed: string[] } = {
    added: d.virtualServers.added.flatMap((vs) => vs.realServers.map((rs) => rsName(vs, rs))),
    removed: d.virtualServers.removed.flatMap((vs) => vs.realServers.map((rs) => rsName(vs, rs))),
    changed: [],
  };
  for (const c of d.virtualServers.changed) {
    realServers.added.push(...c.realServers.added.map((rs) => rsName(c.after, rs)));
    realServers.removed.push(...c.realServers.removed.map((rs) => rsName(c.before, rs)));
    realServers.changed.push(...c.realServers.changed.map((x) => rsName(c.after, x.after)));
  }
  return {
    instances: {
      added: d.vrrpInstances.added.map((i) => i.name),
      removed: d.vrrpInstances.removed.map((i) => i.name),
      changed: d.vrrpInstances.changed.map((c) => c.after.name),
    },
    vips: {
      added: [...vipsAfter].filter((v) => !vipsBefore.has(v)),
      removed: [...vipsBefore].filter((v) => !vipsAfter.has(v)),
    },
    virtualServers: {
      added: d.virtualServers.added.map((vs) => formatVs(vs)),
      removed: d.virtualServers.removed.map((vs) => formatVs(vs)),
      // Only those whose own settings changed; real-server changes are listed below.
      changed: d.virtualServers.changed.filter((c) => c.serviceChanged).map((c) => formatVs(c.after)),
    },
    realServers,
  };
}
