/**
 * docs/configuration.md from the keyword tables (src/config/keywords/*.ts) and the checker
 * defaults of src/config/schema.ts: one source of truth for what keepalived-ts reads. Run by
 * `npm run docs:config` (scripts/gen-config-doc.mjs); test/unit/config/configuration-doc.test.ts
 * fails when the committed page differs from what this renders.
 */
import { format, resolveConfig } from 'prettier';
import { rootTable } from '../src/config/keywords/root.js';
import { globalDefsTable } from '../src/config/keywords/global-defs.js';
import { trackFileTable, vrrpScriptTable, vrrpTrackProcessTable } from '../src/config/keywords/trackers.js';
import {
  authHmacTable,
  authenticationTable,
  vrrpInstanceTable,
  vrrpSyncGroupTable,
} from '../src/config/keywords/vrrp-instance.js';
import { realServerTable, virtualServerTable } from '../src/config/keywords/virtual-server.js';
import { CHECKER_TYPES, checkerTable, sslUrlTable, urlTable } from '../src/config/keywords/checkers.js';
import type { BlockTable, KeywordSpec } from '../src/config/keywords/types.js';
import {
  CHECKER_DELAY_BEFORE_RETRY,
  CHECKER_RETRY,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_DELAY_LOOP,
} from '../src/config/schema.js';

/** Every table the page covers, in page order; checker tables are rendered by `checkers()`. */
export function documentedTables(): BlockTable[] {
  return [
    rootTable,
    globalDefsTable,
    vrrpScriptTable,
    trackFileTable,
    vrrpTrackProcessTable,
    vrrpInstanceTable,
    authenticationTable,
    authHmacTable,
    vrrpSyncGroupTable,
    virtualServerTable,
    realServerTable,
    ...CHECKER_TYPES.map(checkerTable),
    urlTable,
    sslUrlTable,
  ];
}

/** `table.keyword` of every keyword keepalived-ts reads (not `unsupported`) that has no `doc`. */
export function undocumented(): string[] {
  const out: string[] = [];
  for (const t of documentedTables()) {
    if (!t.doc) out.push(`${t.name} (the block)`);
    for (const s of t.keywords) if (!s.unsupported && !s.doc) out.push(`${t.name}.${s.keyword}`);
  }
  return out;
}

/** Markdown table cells: no raw pipes or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function code(words: readonly string[]): string {
  return words.map((w) => `\`${w}\``).join(', ');
}

const num = (n: number): string => String(n);

function valueText(spec: KeywordSpec): string {
  if (spec.doc?.value !== undefined) return spec.doc.value;
  const v = spec.value;
  switch (v.kind) {
    case 'flag':
      return spec.ignoresWord
        ? 'flag (a word after it is ignored)'
        : 'flag, or `on`/`true`/`yes`, `off`/`false`/`no`';
    case 'int':
      return `${v.unsigned ? 'whole number' : 'integer'} ${num(v.min)}..${num(v.max)}`;
    case 'timer':
      return `seconds (to 1 us) ${v.rangeText ?? `[${num(v.min)}, ${num(v.max)}]`}`;
    case 'string':
      return 'word';
    case 'enum':
      return `one of ${code(v.values)}`;
    case 'script':
      return v.allowUser ? 'command line [user [group]]' : 'command line';
    case 'block':
      return `\`{ }\` block (${v.table().name})`;
    case 'lines':
      return '`{ }` list, one item a line';
    case 'custom':
      return 'see notes';
    case 'ignored':
      return 'any';
  }
}

function defaultText(spec: KeywordSpec): string {
  if (spec.doc?.default !== undefined) return spec.doc.default;
  const v = spec.value;
  if (v.kind === 'block' || v.kind === 'lines' || (v.kind === 'custom' && v.acceptsBlock)) return '-';
  const d = spec.default;
  if (d === undefined || d === null) return 'unset';
  if (typeof d === 'boolean') return d ? 'on' : 'off';
  if (typeof d === 'number') return num(d);
  if (typeof d === 'string') return `\`${d}\``;
  return JSON.stringify(d);
}

function keywordText(spec: KeywordSpec): string {
  let t = `\`${spec.keyword}\``;
  if (spec.aliases?.length) t += ` (alias ${code(spec.aliases)})`;
  if (spec.deprecated?.length) t += ` (deprecated ${code(spec.deprecated)})`;
  return t;
}

function notesText(spec: KeywordSpec): string {
  const parts: string[] = [];
  const d = spec.doc;
  if (d) parts.push(d.text);
  if (spec.repeatable) parts.push('Repeatable.');
  if (spec.duplicate) parts.push('A second line is refused; the first stays.');
  if (spec.zeroToOne) parts.push('0 is raised to 1 with a line, as keepalived does.');
  if (d?.inert) parts.push(`Not acted on: ${d.inert}`);
  if (d?.differs) parts.push(`**Differs:** ${d.differs}`);
  return parts.join(' ');
}

function statusText(spec: KeywordSpec): string {
  return spec.doc?.inert ? 'read only' : 'yes';
}

function keywordRows(specs: readonly KeywordSpec[]): string[] {
  const rows = ['| keyword | supported | value | default | notes |', '| --- | --- | --- | --- | --- |'];
  for (const s of specs) {
    if (s.unsupported) continue;
    rows.push(
      `| ${[keywordText(s), statusText(s), valueText(s), defaultText(s), notesText(s)].map(cell).join(' | ')} |`,
    );
  }
  return rows;
}

function ignoredLines(specs: readonly KeywordSpec[]): string[] {
  const out: string[] = [];
  const warn = specs.filter((s) => s.unsupported === 'warning').map((s) => s.keyword);
  const info = specs.filter((s) => s.unsupported === 'info').map((s) => s.keyword);
  if (warn.length)
    out.push(
      '',
      `Accepted and ignored with a **warning** (\`'X' is not supported by keepalived-ts, ignored\`; ` +
        `they change what keepalived would do at run time): ${code(warn)}.`,
    );
  if (info.length)
    out.push(
      '',
      `Accepted and ignored with an **info** line (tuning knobs, process and SNMP/D-Bus settings): ${code(info)}.`,
    );
  return out;
}

function section(table: BlockTable, level = '##', title?: string): string[] {
  const d = table.doc;
  const specs = table.keywords;
  const out = [`${level} ${title ?? d?.title ?? table.name}`, ''];
  if (d && title === undefined) out.push(`keepalived source: ${d.source}.`, '', d.text, '');
  out.push(...keywordRows(specs), ...ignoredLines(specs), '');
  return out;
}

function checkers(): string[] {
  const tcp = checkerTable('TCP_CHECK');
  const common = new Set(tcp.keywords.map((s) => s.keyword));
  const out = [
    '## Health checkers',
    '',
    'keepalived source: `keepalived/check/check_api.c` (the common keywords), `check_tcp.c`, ' +
      '`check_http.c`, `check_misc.c`, `check_smtp.c`, `check_dns.c`, `check_udp.c`, `check_ping.c`, ' +
      '`check_file.c`.',
    '',
    `A \`real_server\` holds any number of checker blocks: ${code(CHECKER_TYPES)}. ` +
      'Timing keywords flow down: a checker without its own `delay_loop`, `connect_timeout`, `retry`, ' +
      "`delay_before_retry` or `warmup` takes the real server's, then the virtual server's, then the " +
      "checker type's default below (check_data.c `validate_check_config`). The checkers run in a worker " +
      "thread; docs/behaviour.md describes each one's verdicts.",
    '',
    '### Defaults by checker type',
    '',
    'keepalived source: `check_api.c` (`retry` 1, `delay_before_retry` 1 s), `check_http.c` ' +
      '(`delay_before_retry` 3 s), `check_misc.c` (`retry` 0), `check_dns.c` (`retry` 3, ' +
      '`delay_before_retry` = `delay_loop`), `check_data.c` (`delay_loop` 60 s, `connect_timeout` 5 s).',
    '',
    '| checker | `retry` | `delay_before_retry` | `delay_loop` | `connect_timeout` | `warmup` |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const t of CHECKER_TYPES) {
    const dbr = CHECKER_DELAY_BEFORE_RETRY[t];
    const file = t === 'FILE_CHECK';
    const misc = t === 'MISC_CHECK';
    out.push(
      `| \`${t}\` | ${file ? '-' : CHECKER_RETRY[t]} | ${file ? '-' : dbr === null ? '`delay_loop`' : `${dbr} s`} | ` +
        `${file ? '-' : `${DEFAULT_DELAY_LOOP} s`} | ${file || misc ? '-' : `${DEFAULT_CONNECT_TIMEOUT} s`} | ` +
        `${file ? '-' : '`delay_loop`'} |`,
    );
  }
  // The common keywords are TCP_CHECK's table: TCP_CHECK has nothing else.
  out.push('', ...section(tcp, '###', 'Common checker keywords (every checker but FILE_CHECK)'));
  if (tcp.doc) out.push('### TCP_CHECK', '', `keepalived source: ${tcp.doc.source}.`, '', tcp.doc.text, '');
  const seen = new Map<readonly KeywordSpec[], string>();
  for (const t of CHECKER_TYPES) {
    if (t === 'TCP_CHECK') continue;
    const table = checkerTable(t);
    const same = seen.get(table.keywords);
    if (same !== undefined) {
      out.push(`### ${t}`, '');
      if (table.doc) out.push(`keepalived source: ${table.doc.source}.`, '', table.doc.text, '');
      out.push(`The keywords of ${same}.`, '');
      continue;
    }
    seen.set(table.keywords, t);
    const own = table.keywords.filter((s) => !common.has(s.keyword));
    const names = new Set(table.keywords.map((s) => s.keyword));
    const lacking = [...common].filter((k) => !names.has(k));
    const head = [`### ${t}`, ''];
    if (table.doc) head.push(`keepalived source: ${table.doc.source}.`, '', table.doc.text, '');
    if (t !== 'FILE_CHECK')
      head.push(
        lacking.length
          ? `The common keywords but ${code(lacking)}, and:`
          : own.length
            ? 'The common keywords, and:'
            : 'The common keywords only.',
        '',
      );
    out.push(...head);
    if (own.length) out.push(...keywordRows(own), ...ignoredLines(own), '');
  }
  out.push(...section(urlTable, '###'));
  // SSL_GET's urls: the url keywords and tls_compliant.
  out.push(
    ...section({ ...sslUrlTable, keywords: sslUrlTable.keywords.slice(urlTable.keywords.length) }, '###'),
  );
  return out;
}

/** The page, before prettier. */
export function renderConfigurationDoc(): string {
  const lines: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` from src/config/keywords/*.ts and src/config/schema.ts. ' +
      'Do not edit: change the tables and run it again. -->',
    '',
    'Every keyword keepalived-ts accepts in keepalived.conf, block by block: whether it is supported, ' +
      'the value it takes and its range, the default, and where keepalived-ts differs from keepalived ' +
      '2.2.7 (the behavioural reference; sources named are files of the keepalived tree at tag v2.2.7). ' +
      'The page is generated from the keyword tables the parser itself reads, so it cannot drift from ' +
      'them: `npm run docs:config` writes it and the unit tier fails when it is stale.',
    '',
    'Columns: **supported** is `yes` (read and acted on) or `read only` (read, checked by `-t`, shown by ' +
      '`dump-config` and the dump files, but not acted on at run time; the notes say why). Keywords ' +
      'keepalived knows and keepalived-ts does not act on at all are listed after each table: they are ' +
      "never reported as unknown. **value**: the syntax and range as keepalived's handler reads it " +
      "(`whole number`: keepalived's `read_unsigned`, no sign; `seconds`: a decimal timer kept to the " +
      'microsecond). **default**: what applies when the keyword is absent; `unset` means no value (the ' +
      'feature is off or another keyword decides).',
    '',
    "Everything in this page is checked by `keepalived-ts -t` (exit codes and lines as keepalived's, " +
      'docs/config-diagnostics.md). The differences found by running `keepalived -t` and ' +
      '`keepalived-ts -t` side by side are in [compatibility.md](compatibility.md); what keepalived does ' +
      'at run time and where keepalived-ts departs from it is in [behaviour.md](behaviour.md); the model ' +
      'the keywords fill is [config-model.md](config-model.md).',
    '',
    'General differences, for every block:',
    '',
    '- keepalived-ts speaks VRRPv2 over IPv4. VRRPv3 and IPv6 instances are read and checked as ' +
      'keepalived reads them (`-t` agrees) but adverts are VRRPv2 (docs/behaviour.md).',
    '- Ports are numbers; keepalived also accepts service names from /etc/services.',
    '- A timer keepalived reads beyond 2147483 s (24.8 days: `delay_loop`, `warmup`, ' +
      '`delay_before_retry`, `garp_master_refresh`) waits 2147483 s, the longest Node.js timer.',
    "- A keyword written without its value is ignored with keepalived's line and the rest is read; " +
      'keepalived 2.2.7 stops reading (compatibility.md `missing-value`).',
    '- An unknown keyword that opens a block is reported once and its whole block skipped.',
    '- The preprocessor (`include`, `@ID`, `$NAME`, `~SEQ`) is described in docs/behaviour.md §1.0.',
    '',
  ];
  const tables: [BlockTable, string?][] = [
    [rootTable],
    [globalDefsTable],
    [vrrpScriptTable],
    [trackFileTable],
    [vrrpTrackProcessTable],
    [vrrpInstanceTable],
    [authenticationTable, '###'],
    [authHmacTable, '###'],
    [vrrpSyncGroupTable],
    [virtualServerTable],
    [realServerTable],
  ];
  for (const [t, level] of tables) lines.push(...section(t, level));
  lines.push(...checkers());
  return lines.join('\n');
}

/** The page as committed: rendered, then formatted with the repository's prettier settings. */
export async function configurationDoc(): Promise<string> {
  const options = (await resolveConfig('docs/configuration.md')) ?? {};
  return format(renderConfigurationDoc(), { ...options, parser: 'markdown' });
}
