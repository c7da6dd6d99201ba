/**
 * keepalived.conf files -> statement tree. The file system is reached only through `ConfigFs`
 * (default: node:fs + tinyglobby), so tests and property tests can run on in-memory files.
 *
 * `include PATTERN` (docs/behaviour.md §1.0): glob(3) wildcards and csh braces, relative to
 * the including file's directory, detected before `@`/`$` processing. Plain `include` never fails
 * on a missing file (a warning); `includer` (readable), `includem` (must match), `includew` (a
 * wildcard must match), `includeb` (braces must match) and `includea` (all) make it an error, and
 * `-e/--all-config` makes any missing file fatal. Cycles are reported and cut.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { globSync } from 'tinyglobby';
import type { Diagnostic } from './diagnostics.js';
import { decomment } from './lexer.js';
import type { SourceLoc } from './model.js';
import { Preprocessor } from './preprocess.js';
import { TreeBuilder } from './tree-builder.js';
import type { ParsedFiles } from './tree.js';

export interface ConfigFs {
  /** File contents, or an error message when it cannot be read. */
  readFile(path: string): { ok: true; text: string } | { ok: false; reason: string };
  /** Absolute paths matching a glob pattern (sorted), relative patterns taken from `cwd`. */
  glob(pattern: string, cwd: string): string[];
  /** Canonical path, for cycle detection. */
  realpath(path: string): string;
}

export interface ParseOptions {
  /** `-i/--config-id`; null means the host name up to the first dot. */
  readonly configId: string | null;
  /** `-e/--all-config`: any missing configuration file is fatal. */
  readonly allConfig?: boolean;
  readonly fs?: ConfigFs;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const MAX_INCLUDE_DEPTH = 32;
const MAX_FILES = 10_000;
const MAX_DIAGNOSTICS_PER_CODE = 100;

export const nodeConfigFs: ConfigFs = {
  readFile(path) {
    try {
      if (statSync(path).isDirectory()) return { ok: false, reason: 'is a directory' };
      return { ok: true, text: readFileSync(path, 'utf8') };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, reason: code === 'ENOENT' ? 'not found' : (code ?? String(e)) };
    }
  },
  glob(pattern, cwd) {
    try {
      return globSync(pattern, {
        cwd,
        absolute: true,
        onlyFiles: true,
        dot: true,
        expandDirectories: false,
      }).sort();
    } catch {
      return [];
    }
  },
  realpath(path) {
    try {
      return realpathSync(path);
    } catch {
      return resolve(path);
    }
  },
};

export function defaultConfigId(): string {
  return hostname().split('.')[0] ?? '';
}

const INCLUDE = /^\s*(include[rmwba]?)\s+(.*?)\s*$/;

export function parseConfigFiles(mainPath: string, opts: ParseOptions): ParsedFiles {
  const fs = opts.fs ?? nodeConfigFs;
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  const pre = new Preprocessor({
    configId: opts.configId ?? defaultConfigId(),
    pwd: (loc) => dirname(loc.file),
    env: opts.env ?? process.env,
  });
  const tree = new TreeBuilder();
  const open: string[] = [];
  // Position of the line being read, for diagnostics about includes and end of input.
  let lastFile = mainPath;
  let lastLine = 0;
  const lastLoc = (): SourceLoc => ({ file: lastFile, line: lastLine });

  const readOne = (path: string, depth: number): void => {
    const real = fs.realpath(path);
    if (open.includes(real)) {
      diagnostics.push({
        severity: 'error',
        code: 'include-cycle',
        message: `Configuration file '${path}' includes itself - ignoring`,
        loc: lastLoc(),
      });
      return;
    }
    if (files.length >= MAX_FILES || depth > MAX_INCLUDE_DEPTH) {
      diagnostics.push({
        severity: 'error',
        code: 'include-limit',
        message: `Too many nested or included files - '${path}' ignored`,
        loc: lastLoc(),
      });
      return;
    }
    const read = fs.readFile(path);
    if (!read.ok) return; // callers report, they know the include variant
    files.push(path);
    open.push(real);
    const content = read.text;
    const emit = (text: string, loc: SourceLoc | null): void => tree.addLine(text, path, lineNo, loc);
    let lineNo = 0;
    // Walk lines with indexOf rather than split(): no 400,000-element array for big configs.
    for (let pos = 0; pos < content.length;) {
      let eol = content.indexOf('\n', pos);
      if (eol < 0) eol = content.length;
      let raw = content.slice(pos, eol);
      pos = eol + 1;
      lineNo++;
      lastFile = path;
      lastLine = lineNo;
      if (raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1);
      if (raw.length === 0) continue;
      const nul = raw.indexOf('\0');
      if (nul >= 0) {
        const loc: SourceLoc = { file: path, line: lineNo };
        diagnostics.push({
          severity: 'warning',
          code: 'nul-byte',
          message: `NUL byte in line - ignoring the rest of the line`,
          loc,
        });
        raw = raw.slice(0, nul);
      }
      const text = decomment(raw);
      const inc = text.includes('include') ? INCLUDE.exec(text) : null;
      if (inc) {
        includeFiles(inc[1]!, inc[2]!, { file: path, line: lineNo }, depth);
        continue;
      }
      pre.process(text, path, lineNo, emit);
    }
    open.pop();
  };

  const includeFiles = (variant: string, patternText: string, loc: SourceLoc, depth: number): void => {
    const pattern = patternText.replace(/^"(.*)"$/, '$1');
    if (pattern === '') {
      diagnostics.push({
        severity: 'error',
        code: 'include-empty',
        message: `No file specified for ${variant}`,
        loc,
      });
      return;
    }
    const cwd = dirname(loc.file);
    const hasWildcard = /[*?[]/.test(pattern);
    const hasBraces = /\{[^}]*,[^}]*\}/.test(pattern);
    const matches =
      hasWildcard || hasBraces
        ? fs.glob(pattern, cwd)
        : [isAbsolute(pattern) ? pattern : resolve(cwd, pattern)];
    const strict = opts.allConfig === true;
    const must = {
      readable: variant === 'includer' || variant === 'includea',
      match: variant === 'includem' || variant === 'includea',
      wildcard: (variant === 'includew' || variant === 'includea') && hasWildcard,
      brace: (variant === 'includeb' || variant === 'includea') && hasBraces,
    };
    const severity = strict
      ? 'fatal'
      : must.readable || must.match || must.wildcard || must.brace
        ? 'error'
        : 'warning';
    if (matches.length === 0) {
      diagnostics.push({
        severity,
        code: 'include-missing',
        message: `Could not find any file matching '${pattern}'`,
        loc,
      });
      return;
    }
    for (const file of matches) {
      const probe = fs.readFile(file);
      if (!probe.ok) {
        diagnostics.push({
          severity,
          code: 'include-missing',
          message: `Could not open configuration file '${file}' - ${probe.reason}`,
          loc,
        });
        continue;
      }
      readOne(file, depth + 1);
    }
  };

  const main = fs.readFile(mainPath);
  if (!main.ok) {
    return {
      statements: [],
      diagnostics: [
        {
          severity: 'fatal',
          code: 'config-file-missing',
          message: `Configuration file '${mainPath}' - ${main.reason}`,
          loc: null,
        },
      ],
      files: [],
    };
  }
  readOne(mainPath, 0);
  pre.finish(lastLoc());
  const statements = tree.finish();
  return {
    statements,
    diagnostics: capDiagnostics([...diagnostics, ...pre.diagnostics, ...tree.diagnostics]),
    files,
  };
}

/** Keeps a flood of one kind of problem (megabytes of `{`) from burying the rest. */
export function capDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const counts = new Map<string, number>();
  const out: Diagnostic[] = [];
  for (const d of list) {
    const n = (counts.get(d.code) ?? 0) + 1;
    counts.set(d.code, n);
    if (n <= MAX_DIAGNOSTICS_PER_CODE) out.push(d);
  }
  for (const [code, n] of counts) {
    if (n > MAX_DIAGNOSTICS_PER_CODE) {
      const first = list.find((d) => d.code === code)!;
      out.push({ ...first, message: `... and ${n - MAX_DIAGNOSTICS_PER_CODE} more like '${first.message}'` });
    }
  }
  return out;
}
