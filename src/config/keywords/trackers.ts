/**
 * Tracker definitions: `vrrp_script NAME { }` (vrrp/vrrp_parser.c) and `track_file NAME { }`
 * (trackers/track_file.c), plus the tracker reference lines used inside instances and sync
 * groups (`track_script { NAME [weight N [reverse]] }`).
 */
import type { SourceLoc } from '../model.js';
import type { Statement } from '../tree.js';
import type { BlockTable, DiagnosticSink, Repeated } from './types.js';
import { custom, int, presence, str, uint, userlessScript } from './types.js';
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

/** `vrrp_script NAME { }`'s keywords, read by schema/trackers.ts through these specs. */
export const vrrpScriptKeywords = {
  script: userlessScript('script', {
    doc: {
      text: 'The command, split as a shell would (no shell runs it). Required: a script without it is removed.',
    },
  }),
  // vrrp_parser.c: whole seconds, 0 raised to 1.
  interval: uint('interval', 0, TIMER_SECONDS, {
    default: 1,
    invalid: (v, n) =>
      `(${n}): vrrp script interval '${v}' must be between 1 and ${TIMER_SECONDS} - ignoring`,
    zeroToOne: (n) => `(${n}): vrrp script interval must be greater than 0, setting to 1`,
    doc: { text: 'Seconds between runs.' },
  }),
  timeout: uint('timeout', 0, TIMER_SECONDS, {
    invalid: (v, n) => `(${n}): vrrp script timeout '${v}' invalid - ignoring`,
    zeroToOne: (n) => `(${n}): vrrp script timeout must be greater than 0, setting to 1`,
    doc: {
      text: 'Seconds a run may take before it is killed and counts as a failure.',
      default: '`interval`',
    },
  }),
  weight: custom('weight', weightReverse(-253, 253), {
    default: { weight: 0, reverse: false },
    doc: {
      text: 'Priority change: W > 0 added while it succeeds, W < 0 added while it fails, 0 puts the instance in FAULT while it fails; `reverse` inverts.',
      value: '-253..253 [`reverse`]',
      default: '0',
    },
  }),
  rise: int('rise', 1, 2147483647, {
    default: 1,
    doc: { text: 'Successes in a row that make a failed script good.' },
  }),
  fall: int('fall', 1, 2147483647, {
    default: 1,
    doc: { text: 'Failures in a row that make a good script failed.' },
  }),
  user: custom('user', userGroup, {
    doc: {
      text: 'User and group the script runs as.',
      value: 'user [group]',
      default: 'global `script_user`',
    },
  }),
  init_fail: presence('init_fail', { doc: { text: 'Start in the failed state until the first success.' } }),
};

export const vrrpScriptTable: BlockTable = {
  name: 'vrrp_script',
  doc: {
    title: 'vrrp_script NAME',
    source: '`keepalived/vrrp/vrrp_parser.c`, weights in `vrrp/vrrp_track.c`',
    text:
      'A command run every `interval` seconds; instances and sync groups follow it with `track_script`. ' +
      'Exit 0 is success. The weight rules are in docs/behaviour.md §3.9.',
  },
  keywords: Object.values(vrrpScriptKeywords),
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

/** `track_file NAME { }`'s keywords. */
export const trackFileKeywords = {
  file: str('file', { doc: { text: 'Path of the file. Required.' } }),
  weight: custom('weight', weightReverse(-254, 254), {
    default: { weight: 1, reverse: false },
    doc: {
      text: 'Multiplier of the number; 0 means any non-zero number is FAULT.',
      value: '-254..254 [`reverse`]',
      default: '1',
    },
  }),
  init_file: custom('init_file', initFile, {
    doc: {
      text: 'Create the file at start with this number (default 0) if it does not exist; `overwrite` writes it even if it does.',
      value: '[number] [`overwrite`]',
    },
  }),
};

export const trackFileTable: BlockTable = {
  name: 'track_file',
  doc: {
    title: 'track_file NAME',
    source: '`keepalived/trackers/track_file.c`',
    text:
      'A file holding a number, watched for changes; the number times the weight is added to the ' +
      'priority of each instance that tracks it (-254: FAULT). docs/behaviour.md §3.9.',
  },
  keywords: Object.values(trackFileKeywords),
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

/** A keyword of `vrrp_track_process` whose handler depends on the lines before it: kept whole. */
const asStatement = (stmt: Statement): Statement => stmt;

/** `param_match [initial|partial]`: bare means exact. */
function paramMatch(stmt: Statement, sink: DiagnosticSink): 'exact' | 'initial' | 'partial' | undefined {
  const w = stmt.args[0];
  if (w === undefined) return 'exact';
  if (w === 'initial' || w === 'partial') return w;
  sink.report('error', 'invalid-value', `Invalid param_match type ${w} - ignoring`, stmt.loc);
  return undefined;
}

function replayed(
  keyword: string,
  doc: { text: string; value: string; default?: string },
): Repeated<Statement> {
  return custom(keyword, asStatement, { repeatable: true, doc });
}

/**
 * `vrrp_track_process NAME { }`'s keywords. The `replayed` ones are kept as statements and read
 * in file order by track-process.ts, whose handlers depend on the lines before them.
 */
export const vrrpTrackProcessKeywords = {
  process: replayed('process', {
    text: 'The process name (its `comm`, at most 15 characters, as `ps` shows it), or with parameters or `full_command` the first word of its command line; parameters are matched as `param_match` says (exact when given). The first line stays. Required: a block without it is removed.',
    value: 'NAME [PARAM ...]',
  }),
  param_match: custom('param_match', paramMatch, {
    doc: {
      text: 'How the parameters are compared: bare = exactly, `initial` = the command line starts with them (the last one may be cut short), `partial` = the first parameters are these. Implies `full_command`.',
      value: '[`initial`|`partial`]',
      default: 'exact when `process` has parameters',
    },
  }),
  weight: replayed('weight', {
    text: 'Priority change: W > 0 added while the quorum is met, W < 0 added while it is not; 0 puts the instance in FAULT while it is not; `reverse` inverts. The first non-zero weight stays.',
    value: '-254..254 [`reverse`]',
    default: '0',
  }),
  quorum: replayed('quorum', {
    text: 'Fewest processes for the quorum; must not exceed `quorum_max`.',
    value: '1..65535',
    default: '1',
  }),
  quorum_max: replayed('quorum_max', {
    text: 'Most processes for the quorum (more lose it); 0 (only before a `quorum` above 1) means the quorum is met while none runs.',
    value: '0..65535',
    default: 'no limit',
  }),
  delay: replayed('delay', {
    text: 'Sets both `fork_delay` and `terminate_delay`.',
    value: 'seconds, 0.000001..3600',
  }),
  fork_delay: replayed('fork_delay', {
    text: 'A quorum gained by a tracked process forking is acted on after this delay (if it still holds).',
    value: 'seconds, 0.000001..3600',
    default: '0',
  }),
  terminate_delay: replayed('terminate_delay', {
    text: 'A quorum lost by a process exiting is acted on after this delay (if it is still lost).',
    value: 'seconds, 0.000001..3600',
    default: '0',
  }),
  full_command: presence('full_command', {
    doc: { text: 'Match `process` against the first word of the command line instead of `comm`.' },
  }),
};

export const vrrpTrackProcessTable: BlockTable = {
  name: 'vrrp_track_process',
  doc: {
    title: 'vrrp_track_process NAME',
    source: '`keepalived/vrrp/vrrp_parser.c`, `core/track_process.c`, weights in `vrrp/vrrp_track.c`',
    text:
      'The number of running processes with a name; instances and sync groups follow it with ' +
      '`track_process`. The tracker has quorum while quorum <= count <= quorum_max. docs/behaviour.md §3.9.',
  },
  keywords: Object.values(vrrpTrackProcessKeywords),
};

/** One line of a `track_process` block in an instance or sync group, weight unresolved. */
export interface TrackProcessLine {
  readonly name: string;
  readonly words: readonly string[];
  readonly loc: SourceLoc;
}

/** `NAME [weight N [reverse|noreverse]]`: read against the tracker in semantic.ts (vrrp_track.c). */
export function trackProcessLine(line: Statement): TrackProcessLine {
  return { name: line.keyword, words: line.args, loc: line.loc };
}
