/**
 * Where keepalived-ts judges a config differently from keepalived 2.2.7 on purpose, or where the
 * difference is known and not fixed yet: each entry is one class, documented under its id in
 * docs/compatibility.md, and matches only comparisons that show exactly that difference (the
 * rest of the verdict must agree). A config the tier finds outside these classes fails it.
 */
import type { CorpusEntry } from './corpus.js';
import { compareVerdicts, type Comparison, type Verdict } from './compare.js';

export interface KnownDifference {
  /** The heading in docs/compatibility.md. */
  readonly id: string;
  readonly status: 'deliberate' | 'to-fix';
  /** A config that shows the difference: the tier checks that it still does. */
  readonly witness: string;
  matches(entry: CorpusEntry, c: Comparison): boolean;
}

const VS = (body: string) =>
  `virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n${body}\n  real_server 192.0.2.2 80 {\n    TCP_CHECK {\n    }\n  }\n}\n`;

const kaSays = (c: Comparison, re: RegExp) => c.keepalived.diagnostics.some((d) => re.test(d.text));
const linesOf = (v: Comparison['ours']) =>
  new Set(v.diagnostics.flatMap((d) => (d.line === null ? [] : [d.line])));

const STRUCTURE =
  /^(Extra '\}' found|Unexpected '\{' - ignoring|Unknown keyword '\}'|There are \d+ missing '\}'s or extra '\{'s|Missing '\{' at beginning of configuration block|Missing '\}' for block '.*' opened here)$/;

/** Keywords keepalived added after 2.2.7 that keepalived-ts reads (configs for newer keepalived). */
const NEWER_KEYWORDS = new Set([
  'no_virtual_ipaddress',
  'child_wait_time',
  'json_version',
  'timer_expired_backup',
  'thread_timer_expired',
  'vrrp_delay_after_boot',
  // keepalived 2.2.8+, in SSL_GET and its urls (an Unknown keyword in HTTP_GET there too).
  'tls_compliant',
]);

/** Everything but the dropped diagnostics compares equal (the tier's own rule, exit code aside). */
const restAgrees = (c: Comparison, kaDrop: Verdict['diagnostics'], oursDrop: Verdict['diagnostics']) =>
  compareVerdicts(
    { ...c.keepalived, code: null, diagnostics: c.keepalived.diagnostics.filter((d) => !kaDrop.includes(d)) },
    { ...c.ours, code: null, diagnostics: c.ours.diagnostics.filter((d) => !oursDrop.includes(d)) },
  ).length === 0;

/** keepalived-ts's notice for a keyword it reads and does not act on (config/keywords/read.ts). */
const NOT_ACTED_ON = /^'[a-z0-9_]+' is read but not acted on by keepalived-ts: /;

/** Checks keepalived makes when a block closes, reported at its `}`. */
const AT_BLOCK_END = /^\(.*\): Cannot use unicast_ttl without unicast peers - resetting$/;

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    id: 'structure-recovery',
    witness: `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.1\n}\n`,
    status: 'deliberate',
    // Unbalanced braces: keepalived reads on in the wrong block and reports each line it cannot
    // place; keepalived-ts reports where the structure breaks. Same exit code.
    // Every other line keepalived reports (not a brace, not a keyword out of its block) must be
    // reported by keepalived-ts too.
    matches: (_e, c) =>
      c.keepalived.code === c.ours.code &&
      c.keepalived.code === 5 &&
      (kaSays(c, STRUCTURE) || c.ours.diagnostics.some((d) => STRUCTURE.test(d.text))) &&
      c.keepalived.diagnostics.every(
        (d) =>
          d.line === null ||
          STRUCTURE.test(d.text) ||
          /^Unknown keyword /.test(d.text) ||
          linesOf(c.ours).has(d.line),
      ),
  },
  {
    id: 'missing-value',
    witness: VS('  delay_loop'),
    status: 'deliberate',
    // keepalived stops reading at a keyword with no value and exits 2 (lib/parser.c null_strvec);
    // keepalived-ts reports that line, ignores it and reads on (exit 5).
    matches: (_e, c) => {
      const stop = c.keepalived.diagnostics.find((d) => /is missing a parameter/.test(d.text));
      return (
        c.keepalived.code === 2 &&
        c.ours.code === 5 &&
        stop !== undefined &&
        stop.line !== null &&
        linesOf(c.ours).has(stop.line)
      );
    },
  },
  {
    id: 'empty-status-code',
    witness: `virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n  real_server 192.0.2.2 80 {\n    HTTP_GET {\n      url {\n        path /\n        status_code\n      }\n    }\n  }\n}\n`,
    status: 'deliberate',
    // `status_code` with no code: keepalived keeps its default silently, keepalived-ts says so.
    matches: (_e, c) =>
      c.keepalived.diagnostics.length === 0 &&
      c.ours.diagnostics.length > 0 &&
      c.ours.diagnostics.every((d) => d.text === 'status_code requires at least one code'),
  },
  {
    id: 'not-acted-on',
    witness: `global_defs {\n  smtp_server 192.0.2.25\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  smtp_alert\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n`,
    status: 'deliberate',
    // Keywords keepalived-ts reads but does not act on (email alerts, ...): it says so at their
    // line, as a warning that leaves the exit code alone; keepalived acts on them silently.
    matches: (_e, c) => {
      const notices = c.ours.diagnostics.filter((d) => NOT_ACTED_ON.test(d.text));
      return notices.length > 0 && c.keepalived.code === c.ours.code && restAgrees(c, [], notices);
    },
  },
  {
    id: 'newer-keywords',
    witness: `global_defs {\n  child_wait_time 5\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.1\n  }\n  no_virtual_ipaddress off\n}\n`,
    status: 'deliberate',
    // keepalived 2.2.7 calls these unknown; keepalived-ts reads them, so a config written for a
    // newer keepalived passes. Everything else keepalived says, keepalived-ts says too.
    matches: (_e, c) => {
      const newer = c.keepalived.diagnostics.filter((d) => {
        const m = /^Unknown keyword '(.*)'$/.exec(d.text);
        return m !== null && NEWER_KEYWORDS.has(m[1]!);
      });
      return (
        newer.length > 0 &&
        // The unknown keyword alone makes keepalived exit 5 where keepalived-ts finds nothing.
        (c.keepalived.code === c.ours.code || (c.keepalived.code === 5 && c.ours.code === 0)) &&
        // What keepalived-ts says about the keyword itself (its value, its conditions) has no
        // counterpart in 2.2.7.
        restAgrees(
          c,
          newer,
          c.ours.diagnostics.filter((d) => d.line !== null && newer.some((n) => n.line === d.line)),
        )
      );
    },
  },
  {
    id: 'block-end-line',
    witness: `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  unicast_ttl 10\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n`,
    status: 'deliberate',
    // keepalived checks some keywords when their block closes and reports at its `}`;
    // keepalived-ts reports at the keyword's own line, where the fix is. Same words, same exit.
    matches: (_e, c) => {
      const ka = c.keepalived.diagnostics.filter((d) => AT_BLOCK_END.test(d.text));
      const ours = c.ours.diagnostics.filter((d) => AT_BLOCK_END.test(d.text));
      return (
        ka.length > 0 &&
        c.keepalived.code === c.ours.code &&
        ka.map((d) => d.text).join('\n') === ours.map((d) => d.text).join('\n') &&
        ka.every((d, i) => d.line !== null && (ours[i]?.line ?? Infinity) < d.line) &&
        restAgrees(c, ka, ours)
      );
    },
  },
];

export function knownDifference(entry: CorpusEntry, c: Comparison): KnownDifference | null {
  return KNOWN_DIFFERENCES.find((k) => k.matches(entry, c)) ?? null;
}
