/**
 * Where keepalived-ts judges a config differently from keepalived 2.2.7 on purpose, or where the
 * difference is known and not fixed yet: each entry is one class, documented under its id in
 * docs/compatibility.md, and matches only comparisons that show exactly that difference (the
 * rest of the verdict must agree). A config the tier finds outside these classes fails it.
 */
import type { CorpusEntry } from './corpus.js';
import type { Comparison } from './compare.js';

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
    id: 'number-width',
    witness: VS('  delay_before_retry 4294967296'),
    status: 'deliberate',
    // keepalived takes some timers of 2^32 and more without a word (they wrap); keepalived-ts
    // refuses a value outside the keyword's range.
    matches: (e, c) => {
      const big = c.ours.diagnostics.filter((d) => /^number '\d{10,}' outside range/.test(d.text));
      const lines = linesOf(c.keepalived);
      return (
        big.length > 0 &&
        big.length === c.ours.diagnostics.length &&
        big.every(
          (d) => d.line !== null && !lines.has(d.line) && e.text.split('\n')[d.line - 1]?.match(/\d{10,}/),
        )
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
    id: 'script-user-lines',
    witness: `global_defs {\n  enable_script_security\n  script_user nosuchuser\n}\nvrrp_script chk {\n  script "/bin/true"\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.1\n  }\n  track_script {\n    chk\n  }\n}\n`,
    status: 'to-fix',
    // A script with no usable user (a global script_user that does not exist or has no name,
    // no keepalived_script user): keepalived reports it at the end of the vrrp_script block and
    // again at each track_script naming it; keepalived-ts reports it once, at the script, and a
    // global script_user that does not exist with no line. Same exit code.
    matches: (_e, c) =>
      kaSays(
        c,
        /^(Error setting global script uid\/gid|Unable to set default user .*|No script username specified)$/,
      ) && c.keepalived.code === c.ours.code,
  },
];

export function knownDifference(entry: CorpusEntry, c: Comparison): KnownDifference | null {
  return KNOWN_DIFFERENCES.find((k) => k.matches(entry, c)) ?? null;
}
