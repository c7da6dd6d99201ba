/**
 * Reads a block's statements through its keyword table. Generic: it knows value syntaxes, not
 * keywords. Unknown keywords give keepalived's `Unknown keyword 'X'`; an unknown keyword that
 * opens a block gives that one diagnostic and its whole block is skipped (keepalived instead
 * parses the inner lines at the outer level and can close the wrong block).
 *
 * Recursion only follows `block` specs of the tables, so its depth is bounded by the grammar
 * (at most root -> virtual_server -> real_server -> checker -> url), whatever the tree's depth.
 */
import { parseScriptLine } from '../quoting.js';
import type { Statement } from '../tree.js';
import type { SourceLoc } from '../model.js';
import type { BlockTable, Defaulted, DiagnosticSink, KeywordSpec, RawBlock, Repeated } from './types.js';
import { fieldOf, lookupTable, tableDefaults } from './types.js';
import { firstArg, parseBoolValue, parseIntValue, parseTimerValue, parseUnsignedValue } from './values.js';

const MAX_SHOWN = 100;

/** Long garbage tokens (a megabyte of `{`) are shown cut, so one line stays one line. */
export function clip(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

export function readBlock(
  statements: readonly Statement[],
  table: BlockTable,
  sink: DiagnosticSink,
  loc: SourceLoc,
  /** The block's own name (instance, script) for the handlers' messages that carry it. */
  name = '',
): RawBlock {
  const raw: RawBlock = { table, loc, values: new Map(), locs: new Map() };
  const lookup = lookupTable(table);
  for (const stmt of statements) {
    const entry = lookup.get(stmt.keyword);
    if (!entry) {
      sink.report('error', 'unknown-keyword', `Unknown keyword '${clip(stmt.keyword)}'`, stmt.loc);
      continue;
    }
    const { spec } = entry;
    if (entry.deprecated) {
      sink.report(
        'warning',
        'deprecated',
        spec.deprecationMessage ?? `${stmt.keyword} is deprecated - please use '${spec.keyword}'`,
        stmt.loc,
      );
    }
    if (spec.unsupported) {
      sink.report(
        spec.unsupported,
        'unsupported',
        `'${stmt.keyword}' is not supported by keepalived-ts, ignored`,
        stmt.loc,
      );
      continue;
    }
    if (stmt.unmatchedQuote && spec.value.kind !== 'script') reportUnmatchedQuote(stmt, sink);
    if (spec.duplicate !== undefined && !spec.repeatable && raw.locs.has(fieldOf(spec))) {
      sink.report('error', 'duplicate', spec.duplicate(stmt), stmt.loc);
      continue;
    }
    let value = readValue(spec, stmt, sink, name);
    // A flag's handler says one line of its own instead of the reader's (readValue).
    if (
      value === undefined &&
      spec.invalid !== undefined &&
      spec.value.kind !== 'flag' &&
      !isMissing(spec, stmt)
    ) {
      sink.report('error', 'invalid-value', spec.invalid(stmt.args[0] ?? '', name), stmt.loc);
      value = spec.onInvalid;
    }
    if (value === 0 && spec.zeroToOne !== undefined) {
      sink.report('error', 'out-of-range', spec.zeroToOne(name), stmt.loc);
      value = 1;
    }
    if (value === undefined) continue;
    // Read into the model (checked, dumped) but not acted on at run time: said at -t and at start.
    if (spec.doc?.inert !== undefined) {
      sink.report(
        'warning',
        'not-acted-on',
        `'${stmt.keyword}' is read but not acted on by keepalived-ts: ${spec.doc.inert}`,
        stmt.loc,
      );
    }
    const field = fieldOf(spec);
    if (spec.repeatable) {
      const list = (raw.values.get(field) as unknown[] | undefined) ?? [];
      // One push per item: spreading a value block of 100,000s of lines would overflow the stack.
      if (Array.isArray(value) && spec.value.kind === 'lines')
        for (const v of value as unknown[]) list.push(v);
      else list.push(value);
      raw.values.set(field, list);
    } else {
      raw.values.set(field, value);
    }
    if (!raw.locs.has(field) || !spec.repeatable) raw.locs.set(field, stmt.loc);
  }
  for (const [field, value] of tableDefaults(table)) {
    if (!raw.values.has(field)) raw.values.set(field, value);
  }
  return raw;
}

/** keepalived's wording for a general (non-script) line with an unterminated `"`. */
export function reportUnmatchedQuote(stmt: Statement, sink: DiagnosticSink): void {
  const text = stmt.rest === '' ? stmt.keyword : `${stmt.keyword} ${stmt.rest}`;
  sink.report('error', 'unmatched-quote', `Unmatched quote: '${text}'`, stmt.loc);
}

/** No word where one is needed: reported as such, and the handler's own line does not follow. */
function isMissing(spec: KeywordSpec, stmt: Statement): boolean {
  return (spec.value.kind === 'int' || spec.value.kind === 'timer') && stmt.args[0] === undefined;
}

function needsBlock(spec: KeywordSpec): boolean {
  return spec.value.kind === 'block' || spec.value.kind === 'lines';
}

function readValue(spec: KeywordSpec, stmt: Statement, sink: DiagnosticSink, name: string): unknown {
  const v = spec.value;
  if (needsBlock(spec)) {
    if (stmt.block === null) {
      sink.report('error', 'missing-block', `Missing '{' at beginning of configuration block`, stmt.loc);
      return undefined;
    }
  } else if (
    stmt.block !== null &&
    v.kind !== 'ignored' &&
    !(v.kind === 'custom' && v.acceptsBlock === true)
  ) {
    sink.report('error', 'unexpected-block', `Unexpected '{' - ignoring`, stmt.loc);
  }
  switch (v.kind) {
    case 'flag':
      if (spec.ignoresWord === true) return true;
      return parseBoolValue(stmt.args[0], sink, stmt.loc, spec.invalid?.(stmt.args[0] ?? '', name));
    case 'int': {
      const a = firstArg(stmt, sink);
      if (a === undefined) return undefined;
      return v.unsigned === true
        ? parseUnsignedValue(a, v.min, v.max, sink, stmt.loc)
        : parseIntValue(a, v.min, v.max, sink, stmt.loc);
    }
    case 'timer': {
      const a = firstArg(stmt, sink);
      return a === undefined ? undefined : parseTimerValue(a, v.min, v.max, sink, stmt.loc, v.rangeText);
    }
    case 'string':
      return firstArg(stmt, sink);
    case 'enum': {
      const a = firstArg(stmt, sink);
      if (a === undefined) return undefined;
      if (!v.values.includes(a)) {
        sink.report('error', 'invalid-value', `Invalid ${stmt.keyword} '${a}' - ignoring`, stmt.loc);
        return undefined;
      }
      return a;
    }
    case 'script': {
      const r = parseScriptLine(stmt.rest, v.allowUser);
      if (!r.ok) {
        sink.report('error', 'bad-script', `${stmt.keyword}: ${r.error}`, stmt.loc);
        return undefined;
      }
      return r.value;
    }
    case 'block':
      return readBlock(stmt.block ?? [], v.table(), sink, stmt.loc, name);
    case 'lines': {
      const items: unknown[] = [];
      for (const line of stmt.block ?? []) {
        if (line.block !== null) {
          sink.report('error', 'unexpected-block', `Unexpected '{' - ignoring`, line.loc);
          continue;
        }
        if (line.unmatchedQuote) reportUnmatchedQuote(line, sink);
        const item = v.item(line, sink);
        if (item !== undefined) items.push(item);
      }
      return items;
    }
    case 'custom':
      return v.parse(stmt, sink);
    case 'ignored':
      return undefined;
  }
}

const tableSpecs = new WeakMap<BlockTable, ReadonlySet<KeywordSpec>>();

/** The specs of a table, built once. */
function specsOf(table: BlockTable): ReadonlySet<KeywordSpec> {
  let set = tableSpecs.get(table);
  if (!set) tableSpecs.set(table, (set = new Set(table.keywords)));
  return set;
}

/**
 * What the builders read a block through: each value by its keyword's spec, typed by it, with
 * the table's default already applied (readBlock), so a builder never repeats a default.
 */
export class RawReader {
  constructor(readonly raw: RawBlock) {}
  /** The value of a keyword of this block, or its table default. */
  value<T>(spec: Defaulted<T>): T;
  value<T>(spec: KeywordSpec<T>): T | undefined;
  value<T>(spec: KeywordSpec<T>): T | undefined {
    return this.raw.values.get(this.fieldOf(spec)) as T | undefined;
  }
  /** Every item of a repeatable keyword, in reading order. */
  items<T>(spec: Repeated<T>): readonly T[] {
    return (this.raw.values.get(this.fieldOf(spec)) as T[] | undefined) ?? [];
  }
  /** The nested block of a `block` keyword, read through its own table. */
  child(spec: KeywordSpec<RawBlock>): RawReader | null {
    const raw = this.value(spec);
    return raw === undefined ? null : new RawReader(raw);
  }
  /** Written in the block (a default alone does not count). */
  written(spec: KeywordSpec): boolean {
    return this.raw.locs.has(this.fieldOf(spec));
  }
  /** The line that set the keyword, or the block's own line. */
  loc(spec: KeywordSpec): SourceLoc {
    return this.raw.locs.get(this.fieldOf(spec)) ?? this.raw.loc;
  }
  /** A spec of another table is a builder's mistake, never the config's: it fails every test. */
  private fieldOf(spec: KeywordSpec): string {
    if (!specsOf(this.raw.table).has(spec))
      throw new Error(`'${spec.keyword}' is not a keyword of ${this.raw.table.name}`);
    return fieldOf(spec);
  }
}
