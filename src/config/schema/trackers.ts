/** `vrrp_script`, `track_file` blocks -> VrrpScript, TrackFile (keywords/trackers.ts). */
import type { SourceLoc, TrackFile, VrrpScript } from '../model.js';
import type { RawReader } from '../keywords/read.js';
import type { DiagnosticSink } from '../keywords/types.js';
import { trackFileKeywords as F, vrrpScriptKeywords as K } from '../keywords/trackers.js';

export function buildVrrpScript(
  name: string,
  r: RawReader,
  sink: DiagnosticSink,
  endLoc: SourceLoc | undefined,
): VrrpScript | null {
  const spec = r.value(K.script);
  if (!spec) {
    sink.report('error', 'missing-script', `No script set for vrrp_script ${name} - removing`, r.raw.loc);
    return null;
  }
  // A 0 interval or timeout was raised to 1 as it was read (keywords/trackers.ts).
  const interval = r.value(K.interval);
  const weight = r.value(K.weight);
  const user = r.value(K.user);
  return {
    name,
    script: spec.command,
    argv: spec.argv,
    interval,
    timeout: r.value(K.timeout) ?? interval,
    weight: weight.weight,
    weightReverse: weight.reverse,
    rise: r.value(K.rise),
    fall: r.value(K.fall),
    user: user?.user ?? null,
    group: user?.group ?? null,
    initFail: r.value(K.init_fail),
    loc: r.raw.loc,
    ...(endLoc ? { endLoc } : {}),
  };
}

export function buildTrackFile(name: string, r: RawReader, sink: DiagnosticSink): TrackFile | null {
  const file = r.value(F.file);
  if (file === undefined) {
    sink.report('error', 'missing-parameter', `No file set for track_file ${name} - removing`, r.raw.loc);
    return null;
  }
  const weight = r.value(F.weight);
  return {
    name,
    file,
    weight: weight.weight,
    weightReverse: weight.reverse,
    initFile: r.value(F.init_file) ?? null,
    loc: r.raw.loc,
  };
}
