/**
 * Tracker definitions: `vrrp_script NAME { }` (vrrp/vrrp_parser.c) and `track_file NAME { }`
 * (trackers/track_file.c), plus the tracker reference lines used inside instances and sync
 * groups (`track_script { NAME [weight N [reverse]] }`).
 */
import type { SourceLoc } from '../model.js';
import type { Statement } from '../tree.js';
import type { BlockTable, DiagnosticSink } from './types.js';
import { custom, int, presence, str, uint } from './types.js';
import { userGroup } from './global-defs.js';
import { parseIntValue, TIMER_SECONDS } from './values.js';

/** `weight N [reverse]` on a vrrp_script or track_file definition. */
function weightReverse(min: number, max: number) {
  return (stmt: Statement, sink: DiagnosticSink): { weight: number; reverse: boolean } | undefined => {
    const w = parseIntValue(stmt.args[0], min, max, sink, stmt.loc);
    if (w === undefined) return undefined;
    const extra = stmt.args[1];
    if (extra !== undefined && extra !== 'reverse' && extra !== 'noreverse') {
      sink.report('error', 'invalid-value', `Unknown ${stmt.keyword} parameter '${extra}'`, stmt.loc);
    }
    return { weight: w, reverse: extra === 'reverse' };
  };
}

export const vrrpScriptTable: BlockTable = {
  name: 'vrrp_script',
  keywords: [
    { keyword: 'script', value: { kind: 'script', allowUser: false } },
    // vrrp_parser.c: whole seconds, 0 raised to 1.
    uint('interval', 0, TIMER_SECONDS, {
      default: 1,
      invalid: (v, n) =>
        `(${n}): vrrp script interval '${v}' must be between 1 and ${TIMER_SECONDS} - ignoring`,
      zeroToOne: (n) => `(${n}): vrrp script interval must be greater than 0, setting to 1`,
    }),
    uint('timeout', 0, TIMER_SECONDS, {
      invalid: (v, n) => `(${n}): vrrp script timeout '${v}' invalid - ignoring`,
      zeroToOne: (n) => `(${n}): vrrp script timeout must be greater than 0, setting to 1`,
    }),
    custom('weight', weightReverse(-253, 253)),
    int('rise', 1, 2147483647, { default: 1 }),
    int('fall', 1, 2147483647, { default: 1 }),
    custom('user', userGroup),
    presence('init_fail'),
  ],
};

function initFile(stmt: Statement, sink: DiagnosticSink): { value: number; overwrite: boolean } | undefined {
  let value = 0;
  let overwrite = false;
  for (const a of stmt.args) {
    if (a === 'overwrite') overwrite = true;
    else {
      const v = parseIntValue(a, -2147483648, 2147483647, sink, stmt.loc);
      if (v === undefined) return undefined;
      value = v;
    }
  }
  return { value, overwrite };
}

export const trackFileTable: BlockTable = {
  name: 'track_file',
  keywords: [str('file'), custom('weight', weightReverse(-254, 254)), custom('init_file', initFile)],
};

/** One line of a `track_script`/`track_file`/`track_interface` block, weight unresolved. */
export interface TrackLine {
  readonly name: string;
  /** null = use the tracked object's own weight (scripts, files) or 0 (interfaces). */
  readonly weight: number | null;
  readonly reverse: boolean;
  readonly loc: SourceLoc;
}

/** Parses `NAME [weight N [reverse|noreverse]]` with the weight range of the tracker kind. */
export function trackLine(min: number, max: number) {
  return (line: Statement, sink: DiagnosticSink): TrackLine | undefined => {
    const name = line.keyword;
    let weight: number | null = null;
    let reverse = false;
    const a = line.args;
    for (let i = 0; i < a.length; i++) {
      const w = a[i]!;
      if (w === 'weight') {
        const v = a[i + 1];
        if (v === undefined) {
          sink.report('error', 'missing-parameter', `(${name}) weight without value specified`, line.loc);
          return undefined;
        }
        const n = parseIntValue(v, min, max, sink, line.loc);
        if (n === undefined) {
          sink.report(
            'error',
            'out-of-range',
            `(${name}) weight for ${name} must be between [${min}:${max}] inclusive. Ignoring...`,
            line.loc,
          );
          return undefined;
        }
        weight = n;
        i++;
      } else if (w === 'reverse') reverse = true;
      else if (w === 'noreverse') reverse = false;
      else {
        sink.report('error', 'invalid-value', `(${name}) unknown track option '${w}'`, line.loc);
      }
    }
    return { name, weight, reverse, loc: line.loc };
  };
}
