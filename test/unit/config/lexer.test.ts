import { describe, expect, it } from 'vitest';
import { decomment, tokenizeLine } from '../../../src/config/lexer.js';
import { parseConfigFiles } from '../../../src/config/parse.js';
import type { Statement } from '../../../src/config/tree.js';
import { memoryFs } from '../../support/memory-fs.js';

const parse = (files: Record<string, string>, configId = 'node1', extra: { allConfig?: boolean } = {}) =>
  parseConfigFiles('/etc/k/keepalived.conf', {
    configId,
    fs: memoryFs(files),
    env: { HOME: '/root' },
    ...extra,
  });
const main = (text: string, others: Record<string, string> = {}, configId = 'node1') =>
  parse({ '/etc/k/keepalived.conf': text, ...others }, configId);

/** Compact view of a tree: keyword + args, children nested. */
const shape = (stmts: readonly Statement[]): unknown[] =>
  stmts.map((s) => (s.block ? [s.keyword, ...s.args, shape(s.block)] : [s.keyword, ...s.args].join(' ')));

describe('decomment', () => {
  it('cuts # and ! comments outside quotes', () => {
    expect(decomment('priority 100 # main')).toBe('priority 100');
    expect(decomment('  priority 100 ! main')).toBe('priority 100');
    expect(decomment('auth_pass "a#b!c" # x')).toBe('auth_pass "a#b!c"');
  });
  it('keeps escaped \\# and \\! as literal characters', () => {
    expect(decomment('auth_pass a\\#b\\!c')).toBe('auth_pass a#b!c');
  });
  it("keeps a line-ending backslash after the comment is cut, as keepalived 2.2.7 does (a router_id 'foo # x \\' is foo\\)", () => {
    expect(decomment('  interface eth0 # the uplink \\')).toBe('interface eth0\\');
    expect(decomment('priority 100 \\')).toBe('priority 100\\');
    // A backslash pair at the end is no continuation; three are a pair and a lone one.
    expect(decomment('a \\\\')).toBe('a \\\\');
    expect(decomment('a \\\\\\')).toBe('a \\\\\\');
    // An escaped quote opens no string, so the # after it starts a comment.
    expect(decomment('x \\"a # b')).toBe('x \\"a');
  });
});

describe('tokenizeLine', () => {
  it('splits on whitespace and groups quoted words', () => {
    const t = tokenizeLine('  script  "/usr/bin/check thing"\tother ');
    expect(t.tokens.map((x) => x.text)).toEqual(['script', '/usr/bin/check thing', 'other']);
    expect(t.unmatchedQuote).toBe(false);
  });
  it('makes an unquoted brace a word of its own, glued or not, as keepalived 2.2.7 reads it', () => {
    const words = (line: string) => tokenizeLine(line).tokens.map((x) => x.text);
    expect(words('vrrp_instance VI_1{')).toEqual(['vrrp_instance', 'VI_1', '{']);
    expect(words('virtual_ipaddress {10.0.0.1}')).toEqual(['virtual_ipaddress', '{', '10.0.0.1', '}']);
    expect(words('}}')).toEqual(['}', '}']);
    expect(words('notify "/bin/echo {x}" a{b')).toEqual(['notify', '/bin/echo {x}', 'a', '{', 'b']);
    const t = tokenizeLine('vrrp_instance VI_1{');
    expect(t.tokens[1]).toMatchObject({ start: 14, end: 18, quoted: false });
    expect(t.tokens[2]).toMatchObject({ text: '{', start: 18, end: 19, quoted: false });
  });
  it('flags an unterminated quote and never throws', () => {
    const t = tokenizeLine('script "/bin/true');
    expect(t.unmatchedQuote).toBe(true);
    expect(t.tokens.map((x) => x.text)).toEqual(['script', '/bin/true']);
  });
});

describe('tree building', () => {
  it('nests blocks with { at end of line and alone on the next line', () => {
    const r = main(
      'vrrp_instance VI_1 {\n  state MASTER\n  virtual_ipaddress\n  {\n    10.0.0.1/24 dev eth0\n  }\n}\n',
    );
    expect(r.diagnostics).toEqual([]);
    expect(shape(r.statements)).toEqual([
      ['vrrp_instance', 'VI_1', ['state MASTER', ['virtual_ipaddress', ['10.0.0.1/24 dev eth0']]]],
    ]);
    expect(r.statements[0]!.block![0]!.loc).toEqual({ file: '/etc/k/keepalived.conf', line: 2 });
  });
  it('honours braces inside one line', () => {
    const r = main('virtual_ipaddress { 10.0.0.1 10.0.0.2 }\nnext 1\n');
    expect(shape(r.statements)).toEqual([['virtual_ipaddress', ['10.0.0.1 10.0.0.2']], 'next 1']);
  });
  it('reports an extra } and a stray {', () => {
    const r = main('a {\n}\n}\n{\n');
    const msgs = r.diagnostics.map((d) => `${d.loc?.line}: ${d.message}`);
    expect(msgs).toEqual(["3: Extra '}' found", "4: Unexpected '{' - ignoring"]);
  });
  it('reports a block left open at the line that opened it', () => {
    const r = main('global_defs {\n router_id x\n');
    expect(r.diagnostics).toMatchObject([{ code: 'missing-close-brace', loc: { line: 1 } }]);
    expect(shape(r.statements)).toEqual([['global_defs', ['router_id x']]]);
  });
  it('keeps the raw rest of the line for script keywords', () => {
    const r = main(`vrrp_script chk {\n  script "/bin/check 'a b'" # c\n}\n`);
    const script = r.statements[0]!.block![0]!;
    expect(script.rest).toBe(`"/bin/check 'a b'"`);
  });
  it('marks the statement with an unterminated quote', () => {
    const r = main('vrrp_script chk {\n  script "/bin/true\n}\n');
    expect(r.statements[0]!.block![0]!.unmatchedQuote).toBe(true);
    expect(r.diagnostics).toEqual([]);
  });
  it('caps nesting depth with one diagnostic and keeps going', () => {
    const text = 'a {\n'.repeat(100) + '}\n'.repeat(100) + 'after 1\n';
    const r = main(text);
    expect(r.diagnostics.filter((d) => d.code === 'nesting-too-deep')).toHaveLength(1);
    expect(shape(r.statements).at(-1)).toBe('after 1');
  });
  it('survives megabytes of { without flooding diagnostics', () => {
    const r = main('{ '.repeat(1_000_000));
    expect(r.diagnostics.length).toBeLessThanOrEqual(101);
    expect(r.diagnostics.at(-1)!.message).toMatch(/more like/);
  });
  it('cuts a line at a NUL byte with a warning', () => {
    const r = main('router_id a\0b\n');
    expect(shape(r.statements)).toEqual(['router_id a']);
    expect(r.diagnostics).toMatchObject([{ code: 'nul-byte', loc: { line: 1 } }]);
  });
});

describe('include', () => {
  it('includes relative to the including file, with globs and braces, sorted', () => {
    const r = parse({
      '/etc/k/keepalived.conf': 'include conf.d/*.conf\ninclude other/{x,y}.conf\n',
      '/etc/k/conf.d/b.conf': 'b 1\n',
      '/etc/k/conf.d/a.conf': 'a 1\ninclude ../other/x.conf\n',
      '/etc/k/other/x.conf': 'x 1\n',
      '/etc/k/other/y.conf': 'y 1\n',
    });
    expect(shape(r.statements)).toEqual(['a 1', 'x 1', 'b 1', 'x 1', 'y 1']);
    expect(r.files).toEqual([
      '/etc/k/keepalived.conf',
      '/etc/k/conf.d/a.conf',
      '/etc/k/other/x.conf',
      '/etc/k/conf.d/b.conf',
      '/etc/k/other/x.conf',
      '/etc/k/other/y.conf',
    ]);
    expect(r.statements[1]!.loc).toEqual({ file: '/etc/k/other/x.conf', line: 1 });
  });
  it('splices an include inside a block', () => {
    const r = main('vrrp_instance V {\n include vips.conf\n}\n', { '/etc/k/vips.conf': 'priority 5\n' });
    expect(shape(r.statements)).toEqual([['vrrp_instance', 'V', ['priority 5']]]);
  });
  it('warns on a missing plain include and errors for includem', () => {
    const r = main('include nothere.conf\nincludem none*.conf\n');
    expect(r.diagnostics.map((d) => [d.severity, d.loc?.line])).toEqual([
      ['warning', 1],
      ['error', 2],
    ]);
  });
  it('makes a missing include fatal with --all-config', () => {
    const r = parse({ '/etc/k/keepalived.conf': 'include nothere.conf\n' }, 'n', { allConfig: true });
    expect(r.diagnostics[0]!.severity).toBe('fatal');
  });
  it('cuts include cycles', () => {
    const r = main('include a.conf\n', { '/etc/k/a.conf': 'a 1\ninclude keepalived.conf\n' });
    expect(shape(r.statements)).toEqual(['a 1']);
    expect(r.diagnostics).toMatchObject([{ code: 'include-cycle', loc: { file: '/etc/k/a.conf', line: 2 } }]);
  });
  it('reports a missing main file as fatal', () => {
    const r = parse({});
    expect(r.diagnostics).toMatchObject([{ severity: 'fatal', code: 'config-file-missing' }]);
  });
});

describe('conditional lines, definitions, sequences', () => {
  it('keeps @id lines for the config id and @^id lines for others', () => {
    const text = '@node1 priority 150\n@node2 priority 100\n@^node1 state BACKUP\n@^node2 state MASTER\n';
    expect(shape(main(text, {}, 'node1').statements)).toEqual(['priority 150', 'state MASTER']);
    expect(shape(main(text, {}, 'node2').statements)).toEqual(['priority 100', 'state BACKUP']);
  });
  it('substitutes $NAME and ${NAME}, recursively, at use time', () => {
    const text =
      '$IF=eth0\n$A=${IF}x\ninterface $IF\nlabel ${A}:1\n$IF=eth1\ninterface $IF\nundefined ${NOPE} $NOPE\n';
    expect(shape(main(text).statements)).toEqual([
      'interface eth0',
      'label eth0x:1',
      'interface eth1',
      // Left as written, where keepalived 2.2.7 also cuts the line at the braces.
      ['undefined', '$', ['NOPE']],
      '$NOPE',
    ]);
  });
  it('continues a multi-line definition through a comment that ends in a backslash', () => {
    const text = [
      '$INST=vrrp_instance VI_$N { \\',
      '  interface eth0 # the uplink \\',
      '  priority 100 \\',
      '}',
      '$N=1',
      '$INST',
      '$N=2',
      '$INST',
    ].join('\n');
    const r = main(text);
    expect(r.diagnostics).toEqual([]);
    expect(shape(r.statements)).toEqual([
      ['vrrp_instance', 'VI_1', ['interface eth0', 'priority 100']],
      ['vrrp_instance', 'VI_2', ['interface eth0', 'priority 100']],
    ]);
  });
  it('expands a multi-line definition into a whole block', () => {
    const text =
      '$RS=real_server 10.0.0.$N 80 { \\\n  weight 2 \\\n}\n$N=5\nvirtual_server 10.0.0.1 80 {\n$RS\n}\n';
    expect(shape(main(text).statements)).toEqual([
      ['virtual_server', '10.0.0.1', '80', [['real_server', '10.0.0.5', '80', ['weight 2']]]],
    ]);
  });
  it('repeats lines with ~SEQ, ~SEQx and ~LST', () => {
    expect(shape(main('~SEQ(i, 1, 2, 5) rs 10.0.0.$i\n').statements)).toEqual([
      'rs 10.0.0.1',
      'rs 10.0.0.3',
      'rs 10.0.0.5',
    ]);
    expect(shape(main('~SEQ(i, 3) n $i\n').statements)).toEqual(['n 1', 'n 2', 'n 3']);
    expect(shape(main('~SEQ(i, 3, 1) n $i\n').statements)).toEqual(['n 3', 'n 2', 'n 1']);
    expect(shape(main('~SEQx(i, 9, 11) n $i\n').statements)).toEqual(['n 9', 'n a', 'n b']);
    expect(shape(main('~LST(v, a, b) n $v\n').statements)).toEqual(['n a', 'n b']);
    expect(shape(main('~SEQ(a, 2) ~SEQ(b, 2) p $a $b\n').statements)).toEqual([
      'p 1 1',
      'p 1 2',
      'p 2 1',
      'p 2 2',
    ]);
  });
  it('reports bad and oversized sequences instead of hanging', () => {
    const r = main('~SEQ(i, 1, 0, 5) x\n~SEQ(i, 1, 1, 99999999999) x\n~SEQ(1bad, 3) x\n');
    expect(r.statements).toEqual([]);
    expect(r.diagnostics.map((d) => d.loc?.line)).toEqual([1, 2, 3]);
  });
  it('stops self-referencing definitions', () => {
    const r = main('$A=$A $A\nx $A\n');
    expect(r.diagnostics.some((d) => d.code === 'substitution-depth' || d.code === 'expansion-limit')).toBe(
      true,
    );
  });
  it('gives the predefined ${_PWD}, ${_HASH} and ${_BANG}', () => {
    expect(shape(main('p ${_PWD} ${_HASH} ${_BANG}\n').statements)).toEqual(['p /etc/k # !']);
  });
  it('reports an unterminated multi-line definition', () => {
    const r = main('$A=x \\\n');
    expect(r.diagnostics).toMatchObject([{ code: 'unterminated-definition' }]);
  });
});

describe('diagnostic printing', () => {
  it('escapes control characters from binary input', async () => {
    const { formatDiagnostic } = await import('../../../src/config/diagnostics-format.js');
    const line = formatDiagnostic(
      {
        severity: 'error',
        code: 'unknown-keyword',
        message: "Unknown keyword 'a\u001b[2Jb'",
        loc: { file: '/m', line: 3 },
      },
      '/m',
    );
    expect(line).toBe("(Line 3) Unknown keyword 'a\\x1b[2Jb'");
  });
  it('reports only the unclosed blocks it kept when nesting is too deep', () => {
    const r = main('a {\n'.repeat(1000));
    expect(r.diagnostics.filter((d) => d.code === 'missing-close-brace').length).toBeLessThanOrEqual(16);
  });
});
