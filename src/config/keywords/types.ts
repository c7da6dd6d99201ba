/**
 * The grammar as data: every config block is a table of keyword specs. A spec names the keyword,
 * its aliases (silent, like `lb_algo` for `lvs_sched`) and deprecated aliases (accepted with a
 * warning), the value syntax with its range, the field it fills and its default. The schema reads
 * a block's statements through its table (config/keywords/read.ts) and gets a `RawBlock` back;
 * the per-block builders in schema/*.ts read each value through its spec (RawReader.value), typed by it.
 *
 * Keywords keepalived accepts that keepalived-ts does not act on are still listed (`unsupported`)
 * so they are never reported as unknown.
 */
import type { Diagnostic, DiagnosticCode, Severity } from '../diagnostics.js';
import type { SourceLoc } from '../model.js';
import type { Statement } from '../tree.js';
import type { ScriptSpec } from '../model.js';

/** Collects diagnostics while a block is read. */
export interface DiagnosticSink {
  report(severity: Severity, code: DiagnosticCode, message: string, loc: SourceLoc | null): void;
}

/** Messages quote config text; a megabyte-long token must still print as one readable line. */
const MAX_MESSAGE = 400;

export class DiagnosticList implements DiagnosticSink {
  readonly items: Diagnostic[] = [];
  report(severity: Severity, code: DiagnosticCode, message: string, loc: SourceLoc | null): void {
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message;
    this.items.push({ severity, code, message: text, loc });
  }
}

/** How a keyword's value is written. */
export type ValueSyntax =
  /** Bare keyword = true; an optional `<BOOL>` (on|off|true|false|yes|no). */
  | { readonly kind: 'flag' }
  /** `unsigned`: keepalived's read_unsigned (its words for negative and over-UINT_MAX numbers). */
  | { readonly kind: 'int'; readonly min: number; readonly max: number; readonly unsigned?: boolean }
  /** `<TIMER>`: decimal seconds (keepalived keeps microseconds); `rangeText` as keepalived prints it. */
  | {
      readonly kind: 'timer';
      readonly min: number;
      readonly max: number;
      readonly rangeText?: string;
    }
  /** One word (the first argument). */
  | { readonly kind: 'string' }
  /** One of a fixed list of words. */
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** A command line, re-split with shell-like quoting (config/quoting.ts). */
  | { readonly kind: 'script'; readonly allowUser: boolean }
  /** A `{ }` block read through its own table; the value is a RawBlock. */
  | { readonly kind: 'block'; readonly table: () => BlockTable }
  /** A value block: each line inside `{ }` becomes one item (`virtual_ipaddress`). */
  | { readonly kind: 'lines'; readonly item: (line: Statement, sink: DiagnosticSink) => unknown }
  /** Anything else: a parser of the whole statement; `undefined` = rejected (it reported why). */
  | {
      readonly kind: 'custom';
      readonly parse: (stmt: Statement, sink: DiagnosticSink) => unknown;
      /** The parser reads the statement's `{ }` block itself. */
      readonly acceptsBlock?: boolean;
    }
  /** Accepted in any form (arguments, block) and dropped. */
  | { readonly kind: 'ignored' };

/**
 * What docs/configuration.md says about a keyword. The page is generated from the tables
 * (`npm run docs:config`, scripts/config-doc.ts), and test/unit/config/configuration-doc.test.ts
 * fails when it is out of date or a keyword keepalived-ts reads has no `doc`.
 */
export interface KeywordDoc {
  /** What the keyword does, one or two sentences. */
  readonly text: string;
  /** The value's syntax where the spec's `value` cannot say it (a `custom` parser). */
  readonly value?: string;
  /** The default where the spec's `default` does not say it (inherited, resolved in schema/*.ts). */
  readonly default?: string;
  /** How keepalived-ts differs from keepalived 2.2.7, with keepalived's source file. */
  readonly differs?: string;
  /** Read, checked and shown in the dumps, but not acted on at run time: why. */
  readonly inert?: string;
}

/** The introduction of a block's section in docs/configuration.md. */
export interface BlockDoc {
  readonly title: string;
  /** keepalived 2.2.7 source files whose handlers read the block. */
  readonly source: string;
  readonly text: string;
}

/**
 * One keyword of a block. `T` is the type of the value one statement of it yields (for a
 * `repeatable` spec, of one list item): the builders read values through the spec itself
 * (RawReader.value, RawReader.items), so a value's type and its default are written once, here.
 */
export interface KeywordSpec<T = unknown> {
  readonly keyword: string;
  /** Equivalent names, accepted silently (`lb_algo` for `lvs_sched`). */
  readonly aliases?: readonly string[];
  /** Old names accepted with a deprecation warning. */
  readonly deprecated?: readonly string[];
  /** Field of the RawBlock the value is stored under; defaults to `keyword`. */
  readonly field?: string;
  readonly value: ValueSyntax;
  /** Repeated statements append to a list instead of replacing the value. */
  readonly repeatable?: boolean;
  /**
   * Where keepalived refuses a second occurrence (the first one stays): its message for it.
   * Without it a later line replaces an earlier one, as most keepalived handlers do.
   */
  readonly duplicate?: (stmt: Statement) => string;
  /** Applied once when the block did not set the field. */
  readonly default?: T;
  /**
   * Known keepalived keyword that keepalived-ts parses but does not act on. `warning` for ones
   * whose absence changes runtime behaviour, `info` for tuning knobs.
   */
  readonly unsupported?: 'info' | 'warning';
  /** Extra text for the deprecation warning, in keepalived's wording when it has one. */
  readonly deprecationMessage?: string;
  /**
   * The handler's own line after its reader rejected the value (`vrrp_garp_master_delay '9999'
   * invalid - ignoring`); for a flag, its only line. `name` is the enclosing block's name
   * (instance, script), or ''.
   */
  readonly invalid?: (text: string, name: string) => string;
  /** What the handler stores when it rejects the value (by default the line is ignored). */
  readonly onInvalid?: T;
  /** keepalived raises 0 to 1 with this line (`vrrp_garp_master_repeat must be greater than 0`). */
  readonly zeroToOne?: (name: string) => string;
  /** A flag whose handler never reads a word after it (`nopreempt maybe` is nopreempt). */
  readonly ignoresWord?: boolean;
  /** docs/configuration.md's entry (required for every keyword that is not `unsupported`). */
  readonly doc?: KeywordDoc;
  /** Type only, never set: ties `T` to the spec so a spec of one type cannot be read as another. */
  readonly valueType?: T;
}

/** A spec with a table default: reading it always yields a value. */
export type Defaulted<T> = KeywordSpec<T> & { readonly default: T };
/** A spec whose statements append to a list (RawReader.items). */
export type Repeated<T> = KeywordSpec<T> & { readonly repeatable: true };

/** What a shorthand takes besides the keyword and its syntax. */
export type SpecOptions<T> = Partial<Omit<KeywordSpec<T>, 'keyword' | 'value' | 'valueType'>>;

/**
 * A shorthand's signatures: with a `default` in its options it returns a Defaulted spec, with
 * `repeatable: true` a Repeated one (overloads, so the options' handlers are typed in place).
 */
interface Shorthand<T, A extends unknown[]> {
  (...args: [...A, SpecOptions<T> & { readonly default: T }]): Defaulted<T>;
  (...args: [...A, SpecOptions<T> & { readonly repeatable: true }]): Repeated<T>;
  (...args: [...A, SpecOptions<T>?]): KeywordSpec<T>;
}

export interface BlockTable {
  /** Block name as written in the config, for messages. */
  readonly name: string;
  readonly keywords: readonly KeywordSpec[];
  readonly doc?: BlockDoc;
}

/** What reading a block yields: values by field, where each was set, and the block's location. */
export interface RawBlock {
  /** The table it was read through (test/unit/config/keyword-coverage.test.ts checks reads by it). */
  readonly table: BlockTable;
  readonly loc: SourceLoc;
  readonly values: Map<string, unknown>;
  readonly locs: Map<string, SourceLoc>;
}

export interface LookupEntry {
  readonly spec: KeywordSpec;
  readonly deprecated: boolean;
}

const lookupCache = new WeakMap<BlockTable, Map<string, LookupEntry>>();

/** The name -> spec map of a table, built once. */
export function lookupTable(table: BlockTable): Map<string, LookupEntry> {
  let map = lookupCache.get(table);
  if (!map) {
    map = new Map();
    for (const spec of table.keywords) {
      map.set(spec.keyword, { spec, deprecated: false });
      for (const a of spec.aliases ?? []) map.set(a, { spec, deprecated: false });
      for (const d of spec.deprecated ?? []) map.set(d, { spec, deprecated: true });
    }
    lookupCache.set(table, map);
  }
  return map;
}

const defaultsCache = new WeakMap<BlockTable, readonly (readonly [string, unknown])[]>();

/** The `[field, default]` pairs of a table, built once. */
export function tableDefaults(table: BlockTable): readonly (readonly [string, unknown])[] {
  let d = defaultsCache.get(table);
  if (!d) {
    d = table.keywords.filter((s) => s.default !== undefined).map((s) => [fieldOf(s), s.default] as const);
    defaultsCache.set(table, d);
  }
  return d;
}

/** Field name of a spec. */
export function fieldOf(spec: KeywordSpec): string {
  return spec.field ?? spec.keyword;
}

/** Shorthands for table entries. */
export const flag = ((keyword: string, extra: SpecOptions<boolean> = {}) => ({
  keyword,
  value: { kind: 'flag' },
  default: false,
  ...extra,
})) as (keyword: string, extra?: SpecOptions<boolean>) => Defaulted<boolean>;
export const int = ((keyword: string, min: number, max: number, extra: SpecOptions<number> = {}) => ({
  keyword,
  value: { kind: 'int', min, max },
  ...extra,
})) as Shorthand<number, [keyword: string, min: number, max: number]>;
/** keepalived's read_unsigned_strvec(min, max): whole numbers, no sign. */
export const uint = ((keyword: string, min: number, max: number, extra: SpecOptions<number> = {}) => ({
  keyword,
  value: { kind: 'int', min, max, unsigned: true },
  ...extra,
})) as Shorthand<number, [keyword: string, min: number, max: number]>;
/** A flag whose handler ignores any word after it (`__attribute__((unused)) strvec`). */
export const presence = (keyword: string, extra: SpecOptions<boolean> = {}): Defaulted<boolean> =>
  flag(keyword, { ignoresWord: true, ...extra });
/** `<TIMER>` seconds; `rangeText` is how keepalived prints the range. */
export const timer = ((
  keyword: string,
  min: number,
  max: number,
  extra: SpecOptions<number> = {},
  rangeText?: string,
) => ({
  keyword,
  value: rangeText === undefined ? { kind: 'timer', min, max } : { kind: 'timer', min, max, rangeText },
  ...extra,
})) as Shorthand<number, [keyword: string, min: number, max: number]> &
  // The Defaulted signature first: overloads are tried in order, and the plain one matches both.
  ((
    keyword: string,
    min: number,
    max: number,
    extra: SpecOptions<number> & { readonly default: number },
    rangeText: string,
  ) => Defaulted<number>) &
  ((
    keyword: string,
    min: number,
    max: number,
    extra: SpecOptions<number>,
    rangeText: string,
  ) => KeywordSpec<number>);
export const str = ((keyword: string, extra: SpecOptions<string> = {}) => ({
  keyword,
  value: { kind: 'string' },
  ...extra,
})) as Shorthand<string, [keyword: string]>;
export function oneOf<V extends string>(
  keyword: string,
  values: readonly V[],
  extra: SpecOptions<V> & { readonly default: V },
): Defaulted<V>;
export function oneOf<V extends string>(
  keyword: string,
  values: readonly V[],
  extra?: SpecOptions<V>,
): KeywordSpec<V>;
export function oneOf<V extends string>(
  keyword: string,
  values: readonly V[],
  extra: SpecOptions<V> = {},
): KeywordSpec<V> {
  return { keyword, value: { kind: 'enum', values }, ...extra };
}
export const script = ((keyword: string, extra: SpecOptions<ScriptSpec> = {}) => ({
  keyword,
  value: { kind: 'script', allowUser: true },
  ...extra,
})) as Shorthand<ScriptSpec, [keyword: string]>;
/** A command line whose handler takes no `user [group]` words after it (`misc_path`). */
export const userlessScript = ((keyword: string, extra: SpecOptions<ScriptSpec> = {}) => ({
  keyword,
  value: { kind: 'script', allowUser: false },
  ...extra,
})) as Shorthand<ScriptSpec, [keyword: string]>;
/** Any other syntax: `parse` reads the whole statement (`undefined`: rejected, it said why). */
export function custom<T>(
  keyword: string,
  parse: (stmt: Statement, sink: DiagnosticSink) => T | undefined,
  extra: SpecOptions<T> & { readonly default: T },
): Defaulted<T>;
export function custom<T>(
  keyword: string,
  parse: (stmt: Statement, sink: DiagnosticSink) => T | undefined,
  extra: SpecOptions<T> & { readonly repeatable: true },
): Repeated<T>;
export function custom<T>(
  keyword: string,
  parse: (stmt: Statement, sink: DiagnosticSink) => T | undefined,
  extra?: SpecOptions<T>,
): KeywordSpec<T>;
export function custom<T>(
  keyword: string,
  parse: (stmt: Statement, sink: DiagnosticSink) => T | undefined,
  extra: SpecOptions<T> = {},
): KeywordSpec<T> {
  return { keyword, value: { kind: 'custom', parse }, ...extra };
}
/** A value block: each line one item; the statements of the keyword append to one list. */
export function lines<T>(
  keyword: string,
  item: (line: Statement, sink: DiagnosticSink) => T | undefined,
  extra: SpecOptions<T> = {},
): Repeated<T> {
  return { keyword, value: { kind: 'lines', item }, ...extra, repeatable: true };
}
export const block = ((keyword: string, table: () => BlockTable, extra: SpecOptions<RawBlock> = {}) => ({
  keyword,
  value: { kind: 'block', table },
  ...extra,
})) as Shorthand<RawBlock, [keyword: string, table: () => BlockTable]>;
/** Keywords keepalived knows and keepalived-ts accepts without acting on them. */
export const ignored = (
  keywords: readonly string[],
  level: 'info' | 'warning' = 'info',
): KeywordSpec<never>[] =>
  keywords.map((keyword) => ({ keyword, value: { kind: 'ignored' }, unsupported: level }));
