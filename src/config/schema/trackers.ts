/** `vrrp_script`, `track_file` blocks -> VrrpScript, TrackFile (keywords/trackers.ts). */
import type { ScriptSpec, SourceLoc, TrackFile, VrrpScript } from '../model.js';
import type { RawReader } from '../keywords/read.js';
import type { DiagnosticSink } from '../keywords/types.js';

export function buildVrrpScript(
  name: string,
  r: RawReader,
  sink: DiagnosticSink,
  endLoc: SourceLoc | undefined,
): VrrpScript | null {
  const spec = r.get<ScriptSpec>('script');
  if (!spec) {
    sink.report('error', 'missing-script', `No script set for vrrp_script ${name} - removing`, r.raw.loc);
    return null;
  }
  // A 0 interval or timeout was raised to 1 as it was read (keywords/trackers.ts).
  const interval = r.num('interval', 1);
  const timeout = r.optNum('timeout');
  const weight = r.get<{ weight: number; reverse: boolean }>('weight');
  const user = r.get<{ user: string; group: string | null }>('user');
  return {
    name,
    script: spec.command,
    argv: spec.argv,
    interval,
    timeout: timeout ?? interval,
    weight: weight?.weight ?? 0,
    weightReverse: weight?.reverse ?? false,
    rise: r.num('rise', 1),
    fall: r.num('fall', 1),
    user: user?.user ?? null,
    group: user?.group ?? null,
    initFail: r.bool('init_fail'),
    loc: r.raw.loc,
    ...(endLoc ? { endLoc } : {}),
  };
}

export function buildTrackFile(name: string, r: RawReader, sink: DiagnosticSink): TrackFile | null {
  const file = r.str('file');
  if (file === null) {
    sink.report('error', 'missing-parameter', `No file set for track_file ${name} - removing`, r.raw.loc);
    return null;
  }
  const weight = r.get<{ weight: number; reverse: boolean }>('weight');
  return {
    name,
    file,
    weight: weight?.weight ?? 1,
    weightReverse: weight?.reverse ?? false,
    initFile: r.get('init_file') ?? null,
    loc: r.raw.loc,
  };
}

// vrrp_instance

/** A sync group has no notify_deleted or notify_master_rx_lower_pri (vrrp_parser.c). */
