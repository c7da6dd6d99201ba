// bind_if and fwmark in the connecting checkers: keepalived 2.2.7's syntax and lines
// (check/check_api.c co_srcif_handler, co_fwmark_handler), and the values the checkers get.
import { describe, expect, it } from 'vitest';
import type { TcpCheck } from '../../../src/config/model.js';
import { build, summary } from './schema-helpers.js';

const config = (checker: string): string =>
  [
    'virtual_server 10.0.0.1 80 {',
    '  lb_algo rr',
    '  lb_kind NAT',
    '  protocol TCP',
    '  real_server 10.0.0.2 80 {',
    checker,
    '  }',
    '}',
    '',
  ].join('\n');

const checkers = (text: string) => {
  const { config: c, diagnostics } = build(config(text));
  return {
    checkers: c.virtualServers[0]!.realServers[0]!.checkers as readonly TcpCheck[],
    lines: summary(diagnostics),
  };
};

describe('bind_if and fwmark', () => {
  it('are read into the model: a name of up to 15 bytes, a decimal mark to UINT_MAX', () => {
    const { checkers: cs, lines } = checkers(
      [
        '    TCP_CHECK {',
        '      bind_if abcdefghijklmno',
        '      fwmark 4294967295',
        '    }',
        '    HTTP_GET {',
        '      url {',
        '        path /',
        '      }',
        '      bind_if eth1',
        '      fwmark 0',
        '    }',
        '    UDP_CHECK {',
        '      fwmark 42',
        '    }',
        '    DNS_CHECK {',
        '      bind_if kbindif-none',
        '    }',
      ].join('\n'),
    );
    expect(lines).toEqual([]);
    expect(cs.map((c) => [c.type, c.bindIf, c.fwmark])).toEqual([
      ['TCP_CHECK', 'abcdefghijklmno', 4294967295],
      ['HTTP_GET', 'eth1', 0],
      ['UDP_CHECK', null, 42],
      // Whether the interface exists is found out when the socket is set up, as in keepalived.
      ['DNS_CHECK', 'kbindif-none', null],
    ]);
  });

  it('refuse what keepalived refuses, in its words, and keep the checker without the value', () => {
    const { checkers: cs, lines } = checkers(
      [
        '    TCP_CHECK {',
        '      bind_if abcdefghijklmnop',
        '      fwmark -1',
        '    }',
        '    TCP_CHECK {',
        '      fwmark 4294967296',
        '    }',
        '    TCP_CHECK {',
        '      fwmark 0x10',
        '    }',
        '    TCP_CHECK {',
        '      bind_if',
        '    }',
      ].join('\n'),
    );
    expect(lines).toEqual([
      '7 error Interface name abcdefghijklmnop is too long - ignoring',
      "8 error negative number '-1'",
      "8 error Invalid fwmark connection value '-1'",
      "11 error number '4294967296' outside unsigned integer range",
      "11 error Invalid fwmark connection value '4294967296'",
      "14 error invalid number '0x10'",
      "14 error Invalid fwmark connection value '0x10'",
      '17 error *** Configuration line starting `bind_if` is missing a parameter after keyword `bind_if` at word position 2',
    ]);
    expect(cs.map((c) => [c.bindIf, c.fwmark])).toEqual([
      [null, null],
      [null, null],
      [null, null],
      [null, null],
    ]);
  });

  it('are not keywords of MISC_CHECK (install_checker_common_keywords(false))', () => {
    const { lines } = checkers(
      ['    MISC_CHECK {', '      misc_path /bin/true', '      fwmark 12', '      bind_if lo', '    }'].join(
        '\n',
      ),
    );
    expect(lines).toContain("8 error Unknown keyword 'fwmark'");
    expect(lines).toContain("9 error Unknown keyword 'bind_if'");
  });

  it('a link-local destination without bind_if drops the checker (check_api.c check_conn_opts)', () => {
    const { config: c, diagnostics } = build(
      [
        'virtual_server 2001:db8::1 80 {',
        '  lb_algo rr',
        '  lb_kind NAT',
        '  protocol TCP',
        '  real_server fe80::2 80 {',
        '    TCP_CHECK {',
        '    }',
        '    TCP_CHECK {',
        '      bind_if eth0',
        '    }',
        '  }',
        '  real_server 2001:db8::5 80 {',
        '    TCP_CHECK {',
        '      connect_ip FE80::3',
        '    }',
        '    UDP_CHECK {',
        '      connect_ip fe8::3',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    expect(summary(diagnostics)).toEqual([
      '6 error Checker link local address fe80::2 requires a bind_if',
      '13 error Checker link local address fe80::3 requires a bind_if',
    ]);
    const [ll, global] = c.virtualServers[0]!.realServers;
    expect(ll!.checkers.map((k) => [k.type, (k as TcpCheck).bindIf])).toEqual([['TCP_CHECK', 'eth0']]);
    // fe8::3 is not link-local (fe80::/10 needs the whole first group).
    expect(global!.checkers.map((k) => k.type)).toEqual(['UDP_CHECK']);
  });
});
