/**
 * `vrrp_track_process NAME { }` blocks and the `track_process { }` lines that follow them, read
 * as keepalived 2.2.7 reads them (vrrp/vrrp_parser.c vrrp_tprocess_* handlers; vrrp/vrrp_track.c
 * alloc_track_process). Several handlers depend on the lines before them (`quorum` against
 * `quorum_max`, the first non-zero `weight`, the first `process`), so the table keeps those
 * statements whole and they are replayed here in file order, with keepalived's lines.
 */
import type { SourceLoc, TrackProcess, TrackRef } from './model.js';
import type { Statement } from './tree.js';
import type { RawReader } from './keywords/read.js';
import type { DiagnosticCode } from './diagnostics.js';
import type { DiagnosticSink, Repeated } from './keywords/types.js';
import { vrrpTrackProcessKeywords as P, type TrackProcessLine } from './keywords/trackers.js';
import { parseIntValue, parseTimerValue, parseUnsignedValue } from './keywords/values.js';

const DELAY_RANGE = '[0.000001, 3600.000000]';

/** The keywords replayed in file order (keywords/trackers.ts keeps their statements whole). */
const REPLAYED: readonly Repeated<Statement>[] = [
  P.process,
  P.weight,
  P.quorum,
  P.quorum_max,
  P.delay,
  P.fork_delay,
  P.terminate_delay,
];

function inOrder(r: RawReader): { spec: Repeated<Statement>; stmt: Statement }[] {
  const all = REPLAYED.flatMap((spec) => r.items(spec).map((stmt) => ({ spec, stmt })));
  // Stable: lines of one keyword keep their order; keywords interleave by line.
  return all.sort((a, b) => (a.stmt.loc.file === b.stmt.loc.file ? a.stmt.loc.line - b.stmt.loc.line : 0));
}

export function buildTrackProcess(name: string, r: RawReader, sink: DiagnosticSink): TrackProcess | null {
  let process: string | null = null;
  let params: string[] = [];
  let paramMatch: TrackProcess['paramMatch'] = 'none';
  let fullCommand = r.value(P.full_command);
  let weight = 0;
  let weightReverse = false;
  let quorum = 1;
  let quorumMax: number | null = null;
  let forkDelay = 0;
  let terminateDelay = 0;

  for (const { spec, stmt } of inOrder(r)) {
    const a = stmt.args;
    const loc = stmt.loc;
    switch (spec) {
      case P.process: {
        if (process !== null) {
          sink.report(
            'error',
            'duplicate',
            `Process already set for track process ${name} - ignoring ${a[0] ?? ''}`,
            loc,
          );
          break;
        }
        if (a[0] === undefined) {
          sink.report('error', 'missing-parameter', 'Configuration line is missing a parameter', loc);
          break;
        }
        process = a[0];
        params = a.slice(1);
        if (params.length > 0) {
          if (paramMatch === 'none') paramMatch = 'exact';
          fullCommand = true;
        }
        break;
      }
      case P.weight: {
        if (a[0] === undefined) {
          sink.report(
            'error',
            'missing-parameter',
            `No weight specified for track process ${name} - ignoring`,
            loc,
          );
          break;
        }
        if (weight !== 0) {
          sink.report(
            'error',
            'duplicate',
            `Weight already set for track process ${name} - ignoring ${a[0]}`,
            loc,
          );
          break;
        }
        const w = parseIntValue(a[0], -254, 254, sink, loc);
        if (w === undefined) {
          sink.report(
            'error',
            'out-of-range',
            `Weight (${a[0]}) for vrrp_track_process ${name} must be between [-254..254] inclusive. Ignoring...`,
            loc,
          );
          break;
        }
        if (a[1] !== undefined) {
          if (a[1] === 'reverse') weightReverse = true;
          else {
            sink.report(
              'error',
              'invalid-value',
              `vrrp_track_process ${name} unknown weight option ${a[1]}`,
              loc,
            );
          }
        }
        weight = w;
        break;
      }
      case P.quorum: {
        const q = a[0] === undefined ? undefined : parseUnsignedValue(a[0], 1, 65535, sink, loc);
        if (q === undefined) {
          sink.report(
            'error',
            'out-of-range',
            `Quorum (${a[0] ?? '(null)'}) for vrrp_track_process ${name} must be between [1..65535] inclusive. Ignoring...`,
            loc,
          );
          break;
        }
        if (quorumMax !== null && q > quorumMax) {
          sink.report('error', 'invalid-value', 'Quorum is greater than quorum_max - ignoring', loc);
          break;
        }
        quorum = q;
        break;
      }
      case P.quorum_max: {
        const q = a[0] === undefined ? undefined : parseUnsignedValue(a[0], 0, 65535, sink, loc);
        if (q === undefined) {
          sink.report(
            'error',
            'out-of-range',
            `quorum_max (${a[0] ?? '(null)'}) for vrrp_track_process ${name} must be between [0..65535] inclusive. Ignoring...`,
            loc,
          );
          break;
        }
        // quorum_max 0 is allowed while quorum is not above 1.
        if ((q !== 0 || quorum > 1) && q < quorum) {
          sink.report('error', 'invalid-value', 'quorum_max is less than quorum - ignoring', loc);
          break;
        }
        quorumMax = q;
        if (q === 0) quorum = 0;
        else if (quorum === 0) quorum = 1;
        break;
      }
      default: {
        // delay, fork_delay, terminate_delay
        const d = parseTimerValue(a[0], 0.000001, 3600, sink, loc, DELAY_RANGE);
        if (d === undefined) {
          const prefix = spec.keyword.replace('delay', '');
          sink.report(
            'error',
            'out-of-range',
            `${prefix}delay (${a[0] ?? '(null)'}) for vrrp_track_process ${name} must be between [0.000001..3600] inclusive. Ignoring...`,
            loc,
          );
          break;
        }
        if (spec !== P.fork_delay) terminateDelay = d;
        if (spec !== P.terminate_delay) forkDelay = d;
      }
    }
  }

  const match = r.value(P.param_match);
  if (match !== undefined) {
    paramMatch = match;
    fullCommand = true;
  }
  if (process === null) {
    sink.report(
      'error',
      'missing-parameter',
      `track process '${name}' process name not specified`,
      r.raw.loc,
    );
    return null;
  }
  return {
    name,
    process,
    params,
    paramMatch,
    fullCommand,
    weight,
    weightReverse,
    quorum,
    quorumMax,
    forkDelay,
    terminateDelay,
    loc: r.raw.loc,
  };
}

/**
 * The `track_process` lines of an instance or sync group against the defined trackers
 * (vrrp_track.c alloc_track_process): unknown names, duplicates, a word other than `weight`
 * and a `weight` with no value drop the line; a weight out of range keeps the tracker's own.
 */
export function resolveTrackProcessLines(
  owner: string,
  lines: readonly TrackProcessLine[],
  processes: ReadonlyMap<string, TrackProcess>,
  sink: DiagnosticSink,
): TrackRef[] {
  const out: TrackRef[] = [];
  const report = (code: DiagnosticCode, message: string, loc: SourceLoc) =>
    sink.report('error', code, `(${owner}) ${message}`, loc);
  for (const l of lines) {
    const target = processes.get(l.name);
    if (target === undefined) {
      report('unknown-process', `track process ${l.name} not found, ignoring...`, l.loc);
      continue;
    }
    if (out.some((t) => t.name === l.name)) {
      report('duplicate', `duplicate track_process ${l.name} - ignoring`, l.loc);
      continue;
    }
    let weight = target.weight;
    let reverse = target.weightReverse;
    const w = l.words;
    if (w.length >= 1) {
      if (w[0] !== 'weight') {
        report('invalid-value', `unknown track process option ${w[0]} - ignoring`, l.loc);
        continue;
      }
      if (w.length === 1) {
        report(
          'missing-parameter',
          `weight without value specified for track process ${l.name} - ignoring`,
          l.loc,
        );
        continue;
      }
      const n = parseIntValue(w[1], -254, 254, sink, l.loc);
      if (n === undefined) {
        report(
          'out-of-range',
          `weight for track process ${l.name} must be in [-254..254] inclusive. Ignoring...`,
          l.loc,
        );
      } else weight = n;
      if (w.length >= 3) {
        if (w[2] === 'reverse') reverse = true;
        else if (w[2] === 'noreverse') reverse = false;
        else {
          report('invalid-value', `unknown track_process ${l.name} weight option ${w[2]} - ignoring`, l.loc);
        }
      }
    }
    out.push({ name: l.name, weight, reverse });
  }
  return out;
}
