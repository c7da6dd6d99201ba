/**
 * static_rules / virtual_rules lines as keepalived 2.2.7 reads them (vrrp/vrrp_iprule.c
 * alloc_rule). The expected lines are what `keepalived -t` printed for the same text.
 */
import { describe, expect, it } from 'vitest';
import { formatRule, ruleLine, strtoul } from '../../../src/config/keywords/ip-rule.js';
import { DiagnosticList } from '../../../src/config/keywords/types.js';
import type { Statement } from '../../../src/config/tree.js';
import { build, summary } from './schema-helpers.js';

const loc = { file: 'k.conf', line: 1 };
function parse(text: string, allowTrackGroup = true) {
  const [keyword, ...args] = text.split(/\s+/);
  const stmt: Statement = { keyword: keyword!, args, rest: '', loc, block: null, unmatchedQuote: false };
  const sink = new DiagnosticList();
  const rule = ruleLine(stmt, sink, allowTrackGroup);
  return { rule, lines: sink.items.map((d) => `${d.severity} ${d.message}`) };
}

describe('rule lines: keepalived -t diagnostics', () => {
  it('reports bad lines in keepalived 2.2.7 words and keeps the good ones', () => {
    const text = [
      'static_rules {',
      '  from 192.168.1.0/24 table 100 priority 100',
      '  from 1.2.3.x table 100',
      '  from 10.0.0.0/abc table 100 priority 101',
      '  to 10.1.0.0/16 lookup main',
      '  fwmark 0x10/0xff table 200 preference 0x200',
      '  fwmark -1 table 200 pref 300',
      '  from all iif lo table 101 priority 300 uidrange 1000-2000 sport 80 dport 1-2 ipproto tcp',
      '  from all priority 302 blackhole no_track',
      '  inet6 from 2001:db8::/32 table 100 priority 100 suppress_prefixlength 0',
      '  from 10.0.0.1 priority 400 goto 300',
      '  from 10.0.0.1 priority 400 goto 500 table 3',
      '  from 10.0.0.1 priority 401 type broadcast',
      '  from 10.0.0.1 priority 402 realms 1/2 prohibit',
      '  priority 403 table 0',
      '  priority 404 table foo',
      '  from 10.0.0.1 priority 405',
      '  from 10.0.0.1 to 2001::1 table 5 priority 406',
      '}',
    ].join('\n');
    const { config, diagnostics } = build(text);
    const lines = summary(diagnostics).sort();
    expect(lines).toEqual(
      [
        '3 error VRRP parsed invalid IP 1.2.3.x. skipping IP...',
        '3 error Invalid rule from address 1.2.3.x',
        "4 error invalid number 'abc'",
        '4 error Invalid address prefix len abc for address 10.0.0.0/abc - using 32',
        '5 error Rule has no preference specified - setting to 16384. This is probably not what you want.',
        '7 error Invalid rule fwmark -1 specified',
        '8 error invalid sport range 80',
        '10 error Unknown rule option 2001:db8::/32',
        '11 error Invalid rule - preference 400 >= goto target 300',
        '12 error Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule',
        '13 error Invalid rule action broadcast',
        '14 error suppressor/realm specified for non table action - skipping',
        '15 error Table 0 is not valid',
        '16 error Routing table foo not found for rule',
        '17 error No action specified for rule - ignoring',
        '18 error rule specification has mixed IPv4 and IPv6',
      ].sort(),
    );
    expect(config.staticRules.map(formatRule)).toEqual([
      'from 192.168.1.0/24 priority 100 tos 0x0 protocol 18 lookup 100',
      'from 10.0.0.0 priority 101 tos 0x0 protocol 18 lookup 100',
      'from all to 10.1.0.0/16 priority 16384 tos 0x0 protocol 18 lookup 254',
      'from all priority 512 tos 0x0 fwmark 0x10/0xff protocol 18 lookup 200',
      'from 0.0.0.0/0 priority 300 tos 0x0 iif lo uidrange 1000-2000 protocol 18 ipproto 6 dport 1-2 lookup 101',
      'from 0.0.0.0/0 priority 302 tos 0x0 type blackhole no_track',
    ]);
  });

  it('more words, as keepalived -t reports them', () => {
    const text = [
      'vrrp_instance A {',
      '  interface eth0',
      '  virtual_router_id 5',
      '  priority 100',
      '  virtual_ipaddress {',
      '    10.9.9.9',
      '  }',
      '  virtual_rules {',
      '    from 10.5.0.0/16 table 7',
      '  }',
      '}',
      'static_rules {',
      '  from 10.0.0.1 table 100 pref 300',
      '  from 10.0.0.2 table 100',
      '  inet6 inet6 from all table 100',
      '  from 10.0.0.3 table 100 priority 1 protocol 4',
      '  from 10.0.0.3 table 100 priority 2 protocol 4 no_track',
      '  from 10.0.0.4 table 100 priority 3 tos 0x10 suppress_ifgroup default',
      '  from 10.0.0.4 table 100 priority 4 tos zz',
      '  from 10.0.0.4 l3mdev priority 5',
      '  from 10.0.0.4 l3mdev table 4 priority 6',
      '  from 10.0.0.4 table 4 priority 7 tunnel-id 99 ipproto 300',
      '  from default6 table 4 priority 8',
      '  from 10.0.0.4 table 4 priority 9 uidrange 5',
      '  from 10.0.0.4 table 4 priority -1',
      '}',
    ].join('\n');
    const { config, diagnostics } = build(text);
    expect(summary(diagnostics).sort()).toEqual(
      [
        '9 error Rule has no preference specified - setting to 16384. This is probably not what you want.',
        '13 error Unknown rule option pref',
        '14 error Rule has no preference specified - setting to 16383. This is probably not what you want.',
        '15 error rule specification has mixed IPv4 and IPv6',
        '16 error Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol',
        '19 error TOS value zz is invalid',
        '21 error Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule',
        '22 error Invalid ipproto 300',
        "23 warning 'default6' is deprecated - please replace with 'inet6 default'",
        '24 error Invalid uidrange uidrange specified',
        "25 error negative number '-1'",
        '25 error Invalid rule preference priority specified',
      ].sort(),
    );
    expect(config.vrrpInstances[0]!.virtualRules.map(formatRule)).toEqual([
      'from 10.5.0.0/16 priority 16384 tos 0x0 protocol 18 lookup 7',
    ]);
    expect(config.staticRules.map(formatRule)).toEqual([
      'from 10.0.0.2 priority 16383 tos 0x0 protocol 18 lookup 100',
      'from 10.0.0.3 priority 1 tos 0x0 protocol 18 lookup 100',
      'from 10.0.0.3 priority 2 tos 0x0 protocol 4 lookup 100 no_track',
      'from 10.0.0.4 priority 3 tos 0x10 suppress_ifgroup 0 protocol 18 lookup 100',
      'from 10.0.0.4 priority 5 tos 0x0 l3mdev protocol 18 lookup 0',
      'from 10.0.0.4 priority 7 tos 0x0 tunnel-id 99 protocol 18 lookup 4',
      'from ::/0 priority 8 tos 0x0 protocol 18 lookup 4',
    ]);
  });

  it('a missing value is fatal, as keepalived exits', () => {
    expect(parse('from 10.0.0.4 table 4 priority').lines).toEqual([
      'fatal *** Configuration line starting `from` is missing a parameter after keyword `priority` at word position 6',
    ]);
    expect(parse('from').rule).toBeUndefined();
  });
});

describe('rule lines: the model', () => {
  it('reads every part of a full rule', () => {
    const { rule, lines } = parse(
      'not from 10.1.0.0/16 to 10.2.0.0/24 priority 0x10 tos 16 fwmark 7/0xf realms 3/4 iif eth0 oif eth1 ' +
        'uidrange 1-9 sport 10-20 dport 30-40 ipproto udp suppress_prefixlength 8 sup_group 3 table 300 track_group g',
    );
    expect(lines).toEqual([]);
    expect(rule).toMatchObject({
      family: 'inet',
      invert: true,
      from: { address: '10.1.0.0', prefixLength: 16 },
      to: { address: '10.2.0.0', prefixLength: 24 },
      priority: 16,
      tos: 16,
      fwmark: 7,
      fwmask: 15,
      realms: (3 << 16) | 4,
      iif: 'eth0',
      oif: 'eth1',
      uidRange: { start: 1, end: 9 },
      sport: { start: 10, end: 20 },
      dport: { start: 30, end: 40 },
      ipProto: 17,
      suppressPrefixLength: 8,
      suppressIfgroup: 3,
      action: 'table',
      table: 300,
      protocol: 18,
      trackGroup: 'g',
    });
  });

  it('takes the family from inet6 or an address; realms are IPv4 only', () => {
    expect(parse('inet6 x table 5 priority 1').rule?.family).toBe('inet6');
    expect(parse('to 2001:db8::/48 table 5 priority 1').rule?.to).toEqual({
      address: '2001:db8::',
      prefixLength: 48,
    });
    expect(parse('to 2001:db8::/48 realms 1 table 5 priority 1').lines).toEqual([
      'error realms is only valid for IPv4',
    ]);
    expect(parse('inet6 x inet table 5').lines).toEqual(['error inet specified for IPv6 rule']);
  });

  it('actions: goto, nop, type unreachable; track_group only where allowed', () => {
    expect(parse('priority 5 goto 10').rule).toMatchObject({ action: 'goto', gotoTarget: 10 });
    expect(parse('priority 5 goto 4').rule).toBeUndefined();
    expect(parse('goto 4').lines).toEqual([
      'error Invalid rule - goto target 4 specified without preference',
    ]);
    expect(parse('priority 5 nop').rule?.action).toBe('nop');
    expect(parse('priority 5 type unreachable').rule?.action).toBe('unreachable');
    expect(parse('priority 5 table 1 track_group g', false).lines).toEqual([
      'error Unknown rule option track_group',
    ]);
    expect(parse('priority 5 table 1 track_group g').lines).toEqual([
      'error Static rule cannot have track_group if dev/iif not specified',
    ]);
  });

  it('an instance with virtual_rules keeps its trackers and its settled rules', () => {
    // The rules are settled after the instance is built (settleRulePriorities), which makes a new
    // instance object: its track_script, track_interface and track_file lines must still apply.
    const { config, diagnostics } = build(
      [
        'vrrp_script chk {',
        '  script "/bin/true"',
        '  weight 10',
        '}',
        'track_file tf {',
        '  file /tmp/tf',
        '}',
        'vrrp_instance VI_1 {',
        '  interface eth0',
        '  virtual_router_id 51',
        '  priority 100',
        '  virtual_ipaddress {',
        '    10.0.0.1',
        '  }',
        '  virtual_rules {',
        '    from 10.0.0.1 table 100',
        '  }',
        '  track_script {',
        '    chk',
        '  }',
        '  track_interface {',
        '    eth1 weight -20',
        '  }',
        '  track_file {',
        '    tf',
        '  }',
        '}',
      ].join('\n'),
    );
    const vi = config.vrrpInstances[0]!;
    expect(vi.trackScripts).toEqual([{ name: 'chk', weight: 10, reverse: false }]);
    expect(vi.trackInterfaces).toEqual([{ name: 'eth1', weight: -20, reverse: false }]);
    expect(vi.trackFiles).toEqual([{ name: 'tf', weight: 1, reverse: false }]);
    expect(vi.virtualRules.map((r) => r.priority)).toEqual([16384]);
    expect(summary(diagnostics)).toEqual([
      '16 error Rule has no preference specified - setting to 16384. This is probably not what you want.',
    ]);
  });

  it('strtoul reads as C does', () => {
    expect(strtoul('0x10', 0)).toEqual({ value: 16, rest: '' });
    expect(strtoul('010', 0)).toEqual({ value: 8, rest: '' });
    expect(strtoul('12ab', 10)).toEqual({ value: 12, rest: 'ab' });
    expect(strtoul('ab', 10)).toEqual({ value: 0, rest: 'ab' });
  });
});

describe('rule lines: format_iprule', () => {
  it('prints each rule as keepalived 2.2.7 wrote it in keepalived.data (SIGUSR1)', () => {
    const { config } = build(
      [
        'vrrp_instance VI_1 {',
        '  interface eth0',
        '  virtual_router_id 77',
        '  priority 150',
        '  virtual_ipaddress {',
        '    10.231.77.100/32',
        '  }',
        '  virtual_rules {',
        '    from 10.231.82.0/24 table 101 priority 2000',
        '    not to 10.5.0.0/16 fwmark 0x10/0xff iif eth0 priority 2001 blackhole no_track',
        '    from 10.0.0.1 priority 500 goto 600',
        '    from 10.0.0.2 priority 601 tos 0x10 realms 1/2 suppress_prefixlength 8 suppress_ifgroup 3 table 5',
        '    from 10.0.0.3 l3mdev priority 700 tunnel-id 99',
        '    fwmark 7 priority 702 prohibit',
        '  }',
        '}',
      ].join('\n'),
    );
    // keepalived.data of keepalived 2.2.7 for this instance, "Virtual Rules :".
    expect(config.vrrpInstances[0]!.virtualRules.map(formatRule)).toEqual([
      'from 10.231.82.0/24 priority 2000 tos 0x0 protocol 18 lookup 101',
      'not from all to 10.5.0.0/16 priority 2001 tos 0x0 fwmark 0x10/0xff iif eth0 type blackhole no_track',
      'from 10.0.0.1 priority 500 tos 0x0 protocol 18 goto 600',
      'from 10.0.0.2 priority 601 tos 0x10 suppress_prefixlen 8 suppress_ifgroup 3 protocol 18 realms 1/2 lookup 5',
      'from 10.0.0.3 priority 700 tos 0x0 tunnel-id 99 l3mdev protocol 18 lookup 0',
      'from all priority 702 tos 0x0 fwmark 0x7 protocol 18 type prohibit',
    ]);
  });
});
