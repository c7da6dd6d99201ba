/**
 * One negative test per schema/semantic diagnostic: the text, severity and line a bad input
 * produces, and that nothing throws.
 */
import { describe, expect, it } from 'vitest';
import { build, summary } from './schema-helpers.js';
import { checkHost } from '../../../src/config/semantic.js';
import { DiagnosticList } from '../../../src/config/keywords/types.js';
import { exitCodeFor, formatDiagnostic } from '../../../src/config/diagnostics-format.js';

const VI = (body: string, name = 'VI_1', vrid = '51') =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  virtual_ipaddress {\n    192.0.2.1\n  }\n${body}\n}\n`;
const VS = (body: string) =>
  `virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n${body}\n}\n`;

const GD = (body: string) => `global_defs {\n${body}\n}\n`;

const CASES: [string, string, string[]][] = [
  [
    'global timers read as whole seconds to UINT_MAX / TIMER_HZ, each with its own line',
    GD('  vrrp_garp_master_delay 4295\n  smtp_connect_timeout 4295\n  vrrp_garp_lower_prio_delay 1.5'),
    [
      "2 error number '4295' outside range [0, 4294]",
      "2 error vrrp_garp_master_delay '4295' invalid - ignoring",
      "3 error number '4295' outside range [0, 4294]",
      "3 error smtp_connect_timeout '4295' must be in [0, 4294] - ignoring",
      "4 error invalid number '1.5'",
      "4 error vrrp_garp_lower_prio_delay '1.5' invalid - ignoring",
    ],
  ],
  [
    'counts and timeouts of 0 raised to 1 (keepalived spells smtp_conect_timeout)',
    GD('  vrrp_garp_master_repeat 0\n  smtp_connect_timeout 0') + VI('  garp_master_refresh_repeat 0'),
    [
      '2 error vrrp_garp_master_repeat must be greater than 0, setting to 1',
      '3 error smtp_conect_timeout must be greater than 0, setting to 1',
      "3 warning 'smtp_connect_timeout' is read but not acted on by keepalived-ts: keepalived-ts sends no email.",
      '11 error (VI_1): garp_master_refresh_repeat must be greater than 0, setting to 1',
    ],
  ],
  [
    'read_unsigned words: negative, beyond UINT_MAX',
    VI('  garp_master_repeat -1\n  garp_master_refresh 4294967296'),
    [
      "7 error negative number '-1'",
      "7 error (VI_1): garp_master_repeat '-1' invalid - ignoring",
      "8 error number '4294967296' outside unsigned integer range",
      "8 error (VI_1): Invalid garp_master_refresh '4294967296' - ignoring",
    ],
  ],
  [
    'decimal timers from 1 ms and 1 us to UINT_MAX us',
    GD('  vrrp_startup_delay 0\n  vrrp_garp_interval 0'),
    [
      "2 error number '0' outside range [0.001000, 4294.967295]",
      "2 error vrrp_startup_delay '0' is invalid",
      "3 error number '0' outside range [0.000001, 4294.967295]",
      "3 error vrrp_garp_interval '0' is invalid",
    ],
  ],
  [
    'checker retry to UINT_MAX and timers with no maximum, in check_api.c words',
    VS('  real_server 10.0.0.1 80 {\n    TCP_CHECK {\n      retry -1\n      warmup -2\n    }\n  }'),
    [
      "7 error negative number '-1'",
      "7 error Invalid retry connection value '-1'",
      "8 error negative number '-2'",
      "8 error Invalid warmup connection value '-2'",
    ],
  ],
  [
    "booleans in check_true_false's lower case, with each handler's words",
    GD('  checker_log_all_failures ON\n  vrrp_min_garp maybe') + VI('  strict_mode YES\n  smtp_alert x'),
    [
      '2 error Invalid value for checker_log_all_failures specified',
      '3 error Invalid value for vrrp_min_garp specified',
      '11 error (VI_1) invalid strict_mode YES specified',
      '12 error Invalid vrrp_instance smtp_alert parameter x',
    ],
  ],
  [
    "a virtual server's alpha, omega and inhibit_on_failure read no word; a real server's do",
    VS(
      '  alpha ON\n  omega x\n  inhibit_on_failure no\n  real_server 10.0.0.1 80 {\n    alpha On\n    smtp_alert x\n  }',
    ),
    ['9 error Invalid alpha parameter On', '10 error Invalid real_server smtp_alert parameter x'],
  ],
  [
    'flags whose handler ignores the word after them',
    GD('  log_unknown_vrids maybe\n  lvs_flush maybe') + VI('  nopreempt maybe\n  dont_track_primary no'),
    [],
  ],
  [
    'scheduler flags under rr: each says sh (mh-port too), ops off is still ops',
    VS('  hashed\n  mh-port\n  ops off\n  real_server 10.0.0.1 80 {\n  }'),
    [
      '5 error hashed only applies to sh scheduler - ignoring',
      '6 error mh-port only applies to sh scheduler - ignoring',
      '7 error Virtual server [192.0.2.1]:tcp:80: one packet scheduling requires UDP - resetting',
    ],
  ],
  [
    'virtual and real server retry from 1, thresholds to UINT_MAX, timers with no maximum',
    VS(
      '  retry 0\n  warmup 4294967296\n  real_server 10.0.0.1 80 {\n    retry 0\n    uthreshold 4294967295\n    delay_before_retry -1\n  }',
    ),
    [
      "5 error number '0' outside range [1, 4294967295]",
      '5 error retry value invalid - 0',
      "8 error number '0' outside range [1, 4294967295]",
      '8 error retry value invalid - 0',
      "10 error negative number '-1'",
      "10 error real server delay_before_retry '-1' invalid - ignoring",
    ],
  ],
  [
    'vrrp_script timeout 0',
    'vrrp_script chk {\n  script "/bin/true"\n  timeout 0\n}\n',
    ['3 error (chk): vrrp script timeout must be greater than 0, setting to 1'],
  ],
  [
    'a second digest in one url (the first stays)',
    VS(
      '  real_server 10.0.0.1 80 {\n    HTTP_GET {\n      url {\n        path /\n        digest 9b3a0c85a887a256d6939da88aabd8cd\n        digest 9b3a0c85a887a256d6939da88aabd8cd\n      }\n    }\n  }',
    ),
    ["10 error Digest '9b3a0c85a887a256d6939da88aabd8cd' is a duplicate"],
  ],
  [
    'delay_loop 0 in a virtual server, a real server and a checker',
    VS(
      '  delay_loop 0\n  real_server 10.0.0.1 80 {\n    delay_loop 0\n    TCP_CHECK {\n      delay_loop 0\n    }\n  }',
    ),
    [
      "5 error number '0' outside range [0.000001, 18446744073709.551614]",
      "5 error virtual server delay loop '0' invalid - ignoring",
      "7 error number '0' outside range [0.000001, 18446744073709.551614]",
      "7 error real server delay_loop '0' invalid - ignoring",
      "9 error number '0' outside range [0.000001, 18446744073709.551614]",
      "9 error delay_loop '0' is invalid - ignoring",
    ],
  ],
  [
    'auth_type in lower case (keepalived compares with strcmp)',
    VI('  authentication {\n    auth_type pass\n    auth_pass x\n  }'),
    ["8 error (VI_1) unknown authentication type 'pass'"],
  ],
  [
    'connect_timeout 0 (keepalived reads 1 us .. UINT_MAX us)',
    VS('  real_server 10.0.0.1 80 {\n    TCP_CHECK {\n      connect_timeout 0\n    }\n  }'),
    [
      "7 error number '0' outside range [0.000001, 4294.967295]",
      '7 error connect_timeout 0 invalid - ignoring',
    ],
  ],
  ['unknown keyword', VI('  foo bar'), ["7 error Unknown keyword 'foo'"]],
  [
    'unknown keyword opening a block: one diagnostic, block skipped',
    VI('  bogus {\n    priority 7\n    x {\n    }\n  }\n  priority 99'),
    ["7 error Unknown keyword 'bogus'"],
  ],
  ['unknown top-level block', 'frobnicate X {\n  a\n  b\n}\n', ["1 error Unknown keyword 'frobnicate'"]],
  [
    'VRID out of range',
    VI('', 'VI_1', '300'),
    [
      "3 error (VI_1): VRID '300' not valid - must be between 1 & 255",
      '1 error (VI_1) the virtual router id must be set',
    ],
  ],
  [
    'VRID not a number',
    VI('', 'VI_1', 'abc'),
    [
      "3 error (VI_1): VRID 'abc' not valid - must be between 1 & 255",
      '1 error (VI_1) the virtual router id must be set',
    ],
  ],
  [
    'VRID missing',
    'vrrp_instance VI_9 {\n  interface eth0\n}\n',
    ['1 error (VI_9) the virtual router id must be set'],
  ],
  [
    'priority out of range',
    VI('  priority 0'),
    ['7 error (VI_1) Priority not valid! must be between 1 & 255. Using default 100'],
  ],
  [
    'advert_int not an integer for v2',
    VI('  advert_int 1.5'),
    ['7 error (VI_1) VRRPv2 advertisement interval 1.500000s must be an integer. rounding'],
  ],
  ['bad number', VI('  unicast_ttl 3x'), ["7 error invalid number '3x'"]],
  [
    'number outside range (and vrrp_parser.c own line)',
    VI('  down_timer_adverts 500'),
    [
      "7 error number '500' outside range [1, 100]",
      "7 error (VI_1): Invalid down_timer_adverts [1:100] '500'",
    ],
  ],
  [
    'huge number',
    VI('  unicast_ttl 99999999999999999999999'),
    ["7 error number '99999999999999999999999' outside range [0, 255]"],
  ],
  ['bad state', VI('  state LEADER'), ["7 error Invalid state 'LEADER' - ignoring"]],
  [
    'auth_pass truncated',
    VI('  authentication {\n    auth_type PASS\n    auth_pass 123456789\n  }'),
    ['9 error Truncating auth_pass to 8 characters'],
  ],
  [
    'bad VIP',
    VI('  virtual_ipaddress {\n    300.1.1.1/24\n  }'),
    ["8 error VIP: invalid address '300.1.1.1/24'"],
  ],
  [
    'bad VIP option',
    VI('  virtual_ipaddress {\n    192.0.2.2 bogus\n  }'),
    ["8 error Unknown configuration entry 'bogus' for ip address - ignoring"],
  ],
  [
    'track weight out of range',
    'vrrp_script s {\n  script /bin/true\n}\n' + VI('  track_script {\n    s weight 300\n  }'),
    [
      "11 error number '300' outside range [-253, 253]",
      '11 error (s) weight for s must be between [-253:253] inclusive. Ignoring...',
    ],
  ],
  [
    'undefined track_script',
    VI('  track_script {\n    nochk\n  }'),
    ['8 error (VI_1) track script nochk not found, ignoring...'],
  ],
  [
    'vrrp_script without script',
    'vrrp_script s {\n  interval 2\n}\n',
    ['1 error No script set for vrrp_script s - removing'],
  ],
  [
    'unterminated quote in a script',
    'vrrp_script s {\n  script "/bin/true\n}\n',
    [
      '2 error script: String \'"/bin/true\': missing terminating "',
      '1 error No script set for vrrp_script s - removing',
    ],
  ],
  [
    'duplicate VRID on one interface and family',
    VI('') + VI('', 'VI_2'),
    ['9 error VI_2 and VI_1 both use VRID 51 with IPv4 on interface eth0'],
  ],
  [
    'sync group member missing',
    VI('') + 'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_X\n  }\n}\n',
    [
      "9 error Virtual router VI_X specified in sync group G doesn't exist - ignoring",
      "9 warning Sync group G has only 1 virtual router(s) - this probably isn't what you want",
    ],
  ],
  [
    'instance in two sync groups',
    VI('') +
      VI('', 'VI_2', '52') +
      'vrrp_sync_group G {\n  group {\n    VI_1 VI_2\n  }\n}\nvrrp_sync_group H {\n  group {\n    VI_1\n  }\n}\n',
    [
      '22 error VRRP instance VI_1 cannot be specified in more than one sync group - ignoring in H',
      '22 error Sync group H has no virtual router(s) - removing',
    ],
  ],
  [
    'missing block brace for a block keyword',
    VI('  virtual_routes'),
    ["7 error Missing '{' at beginning of configuration block"],
  ],
  [
    'scheduler invalid',
    VS('  lb_algo xx\n  real_server 10.0.0.1 80 {\n  }'),
    ["5 error Invalid lvs_scheduler 'xx' - ignoring"],
  ],
  [
    'forwarding method invalid',
    VS('  lb_kind FOO\n  real_server 10.0.0.1 80 {\n  }'),
    ['5 error PARSER : unknown [FOO] routing method for virtual server.'],
  ],
  [
    'real server duplicated',
    VS('  real_server 10.0.0.1 80 {\n  }\n  real_server 10.0.0.1 80 {\n  }'),
    ['7 error VS [192.0.2.1]:tcp:80: real server [10.0.0.1]:tcp:80 is duplicated - removing second rs'],
  ],
  [
    'real server weight out of range',
    VS('  real_server 10.0.0.1 80 {\n    weight 70000\n  }'),
    [
      "6 error number '70000' outside range [0, 65535]",
      '6 error Real server weight 70000 is outside range 0-65535',
    ],
  ],
  [
    'bad port',
    VS('  real_server 10.0.0.1 http {\n  }'),
    [
      "5 error Invalid port 'http'",
      '1 error Virtual server [192.0.2.1]:tcp:80 has no real servers - ignoring',
    ],
  ],
  [
    'port out of range',
    'virtual_server 192.0.2.1 70000 {\n}\n',
    ["1 error number '70000' outside range [0, 65535]"],
  ],
  [
    'digest wrong length',
    VS(
      '  real_server 10.0.0.1 80 {\n    HTTP_GET {\n      url {\n        path /\n        digest abc\n      }\n    }\n  }',
    ),
    ["9 error digest 'abc' character length should be 32 rather than 3"],
  ],
  [
    'bad status_code',
    VS(
      '  real_server 10.0.0.1 80 {\n    HTTP_GET {\n      url {\n        path /\n        status_code 2xx\n      }\n    }\n  }',
    ),
    ["9 error Invalid HTTP_GET status code '2xx'"],
  ],
  [
    'HTTP_GET without url',
    VS('  real_server 10.0.0.1 80 {\n    HTTP_GET {\n    }\n  }'),
    ['6 error HTTP/SSL_GET checker has no urls specified - ignoring'],
  ],
  [
    'MISC_CHECK without misc_path',
    VS('  real_server 10.0.0.1 80 {\n    MISC_CHECK {\n    }\n  }'),
    ['6 error No script path has been specified for MISC_CHECKER - skipping'],
  ],
  [
    'unknown keyword inside a checker',
    VS('  real_server 10.0.0.1 80 {\n    TCP_CHECK {\n      frob 1\n    }\n  }'),
    ["7 error Unknown keyword 'frob'"],
  ],
  [
    'sorry_server_inhibit without sorry_server',
    VS('  sorry_server_inhibit\n  real_server 10.0.0.1 80 {\n  }'),
    ['5 error Ignoring sorry_server inhibit used before or without sorry_server'],
  ],
  [
    'undefined virtual_server_group',
    'virtual_server group NOPE {\n  protocol TCP\n  lb_algo rr\n  lb_kind DR\n  real_server 10.0.0.1 80 {\n  }\n}\n',
    ['1 error Virtual server group NOPE specified but not configured - ignoring virtual server [NOPE]:0'],
  ],
  [
    'family mismatch between VS and RS',
    VS('  real_server 2001:db8::1 80 {\n  }'),
    [
      "5 error Address family of virtual server and real server 2001:db8::1 don't match - skipping real server.",
      '1 error Virtual server [192.0.2.1]:tcp:80 has no real servers - ignoring',
    ],
  ],
  [
    'virtual server without real servers is dropped',
    VS(''),
    ['1 error Virtual server [192.0.2.1]:tcp:80 has no real servers - ignoring'],
  ],
  [
    'DR real server port differs from the service port',
    VS('  lb_kind DR\n  real_server 10.0.0.1 8080 {\n  }'),
    [
      "6 error WARNING - virtual server [192.0.2.1]:tcp:80 and real server [10.0.0.1]:tcp:8080 ports don't match - resetting",
    ],
  ],
  [
    'fwmark real server with a port',
    'virtual_server fwmark 5 {\n  lb_algo rr\n  lb_kind DR\n  real_server 10.0.0.1 80 {\n  }\n}\n',
    [
      '4 error WARNING - fwmark virtual server FWM 5, real server [10.0.0.1]:none:80 has port specified - clearing',
    ],
  ],
  [
    'route without a device is not tracked',
    VI('  virtual_routes {\n    198.51.100.0/24 via 192.0.2.254\n  }'),
    ['8 error Warning - cannot track route 198.51.100.0/24 with no interface specified, not tracking'],
  ],
  [
    'track_interface on the own interface',
    VI('  track_interface {\n    eth0\n  }'),
    ['8 error (VI_1) Ignoring track_interface eth0 since own interface'],
  ],
  [
    'lvs_sync_daemon_interface in an instance',
    VI('  lvs_sync_daemon_interface eth0'),
    [
      '7 warning Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon',
    ],
  ],
  ['value keyword given a block', VI('  priority 50 {\n  }'), ["7 error Unexpected '{' - ignoring"]],
  ['named block without name', 'vrrp_instance {\n}\n', ['1 error vrrp_instance requires a name']],
];

describe('schema diagnostics', () => {
  it.each(CASES)('%s', (_name, text, expected) => {
    const { diagnostics } = build(text);
    expect(summary(diagnostics).sort()).toEqual([...expected].sort());
  });
});

describe('host checks (semantic.ts checkHost)', () => {
  const host = (over: Partial<Parameters<typeof checkHost>[1]> = {}) => ({
    interfaces: new Set(['lo', 'eth0']),
    scriptStatus: () => 'ok' as const,
    userExists: (u: string) => u === 'root',
    ...over,
  });
  const run = (text: string, h = host()) => {
    const { config, lines } = build(text);
    const sink = new DiagnosticList();
    checkHost(config, h, sink, lines);
    return sink.items;
  };

  it('missing interface: keepalived wording, exit 5; skipped without interface check', () => {
    const d = run(VI('').replace('eth0', 'eth9'));
    expect(summary(d)).toEqual([
      "1 error WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist",
      '- error Non-existent interface specified in configuration',
    ]);
    const vipDev = run(VI('').replace('192.0.2.1', '192.0.2.1 dev eth7'));
    expect(summary(vipDev)).toEqual([
      "5 error WARNING - interface eth7 for ip address 192.0.2.1 doesn't exist",
      '- error Non-existent interface specified in configuration',
    ]);
    expect(exitCodeFor(d)).toBe(5);
    expect(run(VI('').replace('eth0', 'eth9'), host({ interfaces: null }))).toEqual([]);
  });

  it('scripts without enable_script_security are a security problem (exit 6)', () => {
    const d = run('vrrp_script s {\n  script /bin/true\n}\n');
    expect(summary(d)).toEqual([
      '- security SECURITY VIOLATION - scripts are being executed but script_security not enabled.',
    ]);
    expect(exitCodeFor(d)).toBe(6);
    const insecure = run(
      'vrrp_script s {\n  script /tmp/x.sh\n}\n',
      host({ scriptStatus: () => 'insecure' }),
    );
    expect(insecure[0]!.message).toContain('There are insecure scripts.');
  });

  it('with enable_script_security: default user, missing and insecure scripts (exit 5)', () => {
    const G = 'global_defs {\n  enable_script_security\n}\n';
    expect(summary(run(G + 'vrrp_script s {\n  script /bin/true\n}\n'))).toEqual([
      '6 error Unable to set default user keepalived_script for script',
      '6 error Unable to set default user for vrrp script s - removing',
    ]);
    // A global script_user that does not exist is reported at its line, and every script that
    // needs the default user fails (global_parser.c, lib/notify.c); nothing about keepalived_script.
    const GX = 'global_defs {\n  enable_script_security\n  script_user nosuchuser\n}\n';
    expect(summary(run(GX + 'vrrp_script s {\n  script /bin/true\n}\n'))).toEqual([
      '3 error Error setting global script uid/gid',
      '7 error Unable to set default user for vrrp script s - removing',
    ]);
    const GU = 'global_defs {\n  enable_script_security\n  script_user root\n}\n';
    expect(run(GU + 'vrrp_script s {\n  script /bin/true\n}\n')).toEqual([]);
    expect(
      summary(run(GU + 'vrrp_script s {\n  script /nope\n}\n', host({ scriptStatus: () => 'missing' }))),
    ).toEqual(['5 error Disabling track script s since not found/accessible']);
    expect(
      summary(run(GU + 'vrrp_script s {\n  script /tmp/w.sh\n}\n', host({ scriptStatus: () => 'insecure' }))),
    ).toEqual(["5 error Unsafe permissions found for script '/tmp/w.sh' - disabling."]);
  });
});

describe('scripts disabled by script security are taken out of the model', () => {
  it('vrrp_script and its track_script references, notify scripts, MISC_CHECK', () => {
    const text =
      'global_defs {\n  enable_script_security\n  script_user root\n}\n' +
      'vrrp_script bad {\n  script /tmp/w.sh\n}\nvrrp_script good {\n  script /bin/true\n}\n' +
      VI('  track_script {\n    bad\n    good\n  }\n  notify_master /tmp/w.sh\n  notify_backup /bin/true') +
      VS(
        '  real_server 10.0.0.1 80 {\n    MISC_CHECK {\n      misc_path /tmp/w.sh\n    }\n    TCP_CHECK {\n    }\n  }',
      );
    const { config, lines } = build(text);
    const sink = new DiagnosticList();
    const checked = checkHost(
      config,
      {
        interfaces: null,
        scriptStatus: (p) => (p.startsWith('/tmp/') ? 'insecure' : 'ok'),
        userExists: () => true,
      },
      sink,
      lines,
    );
    expect(sink.items.map((d) => d.code)).toEqual(['script-insecure', 'script-insecure', 'script-insecure']);
    expect(checked.vrrpScripts.map((s) => s.name)).toEqual(['good']);
    expect(checked.vrrpInstances[0]!.trackScripts.map((t) => t.name)).toEqual(['good']);
    expect(checked.vrrpInstances[0]!.notify.master).toBeNull();
    expect(checked.vrrpInstances[0]!.notify.backup?.argv).toEqual(['/bin/true']);
    expect(checked.virtualServers[0]!.realServers[0]!.checkers.map((c) => c.type)).toEqual(['TCP_CHECK']);
    // Without problems the model is returned as it is.
    expect(
      checkHost(
        config,
        { interfaces: null, scriptStatus: () => 'ok', userExists: () => true },
        new DiagnosticList(),
        lines,
      ),
    ).toBe(config);
  });
});

describe('formatDiagnostic', () => {
  const d = {
    severity: 'error' as const,
    code: 'unknown-keyword' as const,
    message: "Unknown keyword 'foo'",
  };
  it('prefixes (Line N) for the main file and (FILE: Line N) for included files', () => {
    expect(
      formatDiagnostic(
        { ...d, loc: { file: '/etc/keepalived/keepalived.conf', line: 12 } },
        '/etc/keepalived/keepalived.conf',
      ),
    ).toBe("(Line 12) Unknown keyword 'foo'");
    expect(
      formatDiagnostic(
        { ...d, loc: { file: '/etc/keepalived/conf.d/a.conf', line: 3 } },
        '/etc/keepalived/keepalived.conf',
      ),
    ).toBe("(/etc/keepalived/conf.d/a.conf: Line 3) Unknown keyword 'foo'");
    expect(formatDiagnostic({ ...d, loc: null }, 'x')).toBe("Unknown keyword 'foo'");
  });
  it('exit codes: fatal 4, security 6, error or warning 5 (keepalived counts every report_config_error), info 0', () => {
    const mk = (severity: 'fatal' | 'security' | 'error' | 'warning' | 'info') => ({
      ...d,
      severity,
      loc: null,
    });
    expect(exitCodeFor([])).toBe(0);
    expect(exitCodeFor([mk('info')])).toBe(0);
    expect(exitCodeFor([mk('warning'), mk('info')])).toBe(5);
    // keepalived-ts's own note that it does not act on a keyword is no keepalived error.
    expect(exitCodeFor([{ ...mk('warning'), code: 'unsupported' }])).toBe(0);
    expect(exitCodeFor([mk('warning'), mk('error')])).toBe(5);
    expect(exitCodeFor([mk('error'), mk('security')])).toBe(6);
    expect(exitCodeFor([mk('security'), mk('fatal')])).toBe(4);
  });
});

describe('unmatched quotes', () => {
  it('a general keyword with an unterminated quote is reported once, in keepalived wording', () => {
    const { diagnostics } = build('global_defs {\n  router_id "abc\n}\n');
    expect(summary(diagnostics)).toEqual([`2 error Unmatched quote: 'router_id "abc'`]);
  });
});

describe('long tokens', () => {
  it('an unknown keyword of a megabyte is shown cut to 100 characters', () => {
    const { diagnostics } = build('x'.repeat(1_000_000) + '\n');
    expect(summary(diagnostics)).toEqual([`1 error Unknown keyword '${'x'.repeat(100)}...'`]);
  });
});

describe('strict mode (vrrp_strict / strict_mode)', () => {
  it('defaults follow the RFC and conflicting settings are reset', () => {
    const { config, diagnostics } = build(
      'global_defs {\n  vrrp_strict\n}\n' +
        VI(
          '  authentication {\n    auth_type PASS\n    auth_pass x\n  }\n  preempt_delay 5\n  down_timer_adverts 5\n  garp_lower_prio_repeat 2\n  higher_prio_send_advert',
        ),
    );
    expect(summary(diagnostics).sort()).toEqual(
      [
        '10 error (VI_1) Strict mode does not support authentication. Ignoring.',
        '14 error (VI_1) preempt_delay is incompatible with strict mode - resetting',
        '15 error (VI_1) down_timer_adverts is incompatible with strict mode - resetting',
        '16 error (VI_1) Strict mode requires no repeat garps. resetting',
        '17 error (VI_1) strict mode requires higher_prio_send_advert to be clear. resetting',
      ].sort(),
    );
    expect(config.vrrpInstances[0]).toMatchObject({
      strictMode: true,
      authentication: null,
      preemptDelay: 0,
      downTimerAdverts: 3,
      lowerPrioNoAdvert: true,
      higherPrioSendAdvert: false,
      timerExpiredBackup: 0,
      garp: { lowerPrioRepeat: 0, lowerPrioDelay: 0 },
    });
  });
  it('unicast peers and missing VIPs make a strict instance unusable', () => {
    const uni = build(VI('  strict_mode\n  unicast_peer {\n    192.0.2.9\n  }'));
    expect(summary(uni.diagnostics)).toEqual([
      '8 error (VI_1) Unicast peers are not supported in strict mode',
    ]);
    expect(uni.config.vrrpInstances).toEqual([]);
    const novip = build('vrrp_instance V {\n  interface eth0\n  virtual_router_id 3\n  strict_mode\n}\n');
    expect(summary(novip.diagnostics)).toEqual(['1 error (V) No VIP specified; at least one is required']);
    expect(novip.config.vrrpInstances).toEqual([]);
  });
  it('preempt_delay with nopreempt is reset outside strict mode too', () => {
    const { config, diagnostics } = build(VI('  nopreempt\n  preempt_delay 5'));
    expect(summary(diagnostics)).toEqual([
      '8 error (VI_1) preempt_delay is incompatible with nopreempt mode - resetting',
    ]);
    expect(config.vrrpInstances[0]).toMatchObject({ nopreempt: true, preemptDelay: 0 });
  });
});

describe('VIPs that do not fit one advert', () => {
  it('IPv6: more than 89 VIPs at MTU 1500 move to the excluded list', () => {
    const lines = Array.from({ length: 91 }, (_, i) => `    2001:db8::${(i + 1).toString(16)}`).join('\n');
    const { config, diagnostics } = build(
      `vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 9\n  virtual_ipaddress {\n${lines}\n  }\n}\n`,
    );
    expect(summary(diagnostics)).toEqual([
      '4 error (V6) Number of VIPs (91) exceeds maximum/space available in packet (max 89 addresses) - excess moved to eVIPs',
    ]);
    const vi = config.vrrpInstances[0]!;
    expect(vi.virtualIpaddresses).toHaveLength(89);
    expect(vi.virtualIpaddressesExcluded).toEqual(['2001:db8::5a/128', '2001:db8::5b/128']);
  });
});

describe('more schema diagnostics', () => {
  const MORE: [string, string, string[]][] = [
    [
      'duplicate instance name',
      VI('') + VI('', 'VI_1', '52'),
      ['9 error vrrp_instance VI_1 already defined - ignoring the second'],
    ],
    [
      'extra words after a block name',
      'vrrp_script a b {\n  script /bin/true\n}\n',
      ['1 error Block vrrp_script has extra parameters b ...'],
    ],
    [
      'top-level block without braces',
      'vrrp_instance VI_1\n',
      ["1 error Missing '{' at beginning of configuration block"],
    ],
    ['value missing', VI('  priority'), ['7 error priority requires a value']],
    [
      'instance without interface',
      'vrrp_instance V {\n  virtual_router_id 4\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n',
      ['1 error (V) Unknown interface!'],
    ],
    [
      'instance without VIPs',
      'vrrp_instance V {\n  interface eth0\n  virtual_router_id 4\n}\n',
      ['1 warning (V) No VIP specified; at least one is sensible'],
    ],
    [
      'nopreempt with priority 255',
      VI('  priority 255\n  nopreempt'),
      ['8 error (VI_1) nopreempt is incompatible with priority 255. resetting nopreempt'],
    ],
    [
      'authentication with VRRPv3',
      VI('  version 3\n  authentication {\n    auth_type PASS\n    auth_pass x\n  }'),
      ['8 error (VI_1) VRRP version 3 does not support authentication. Ignoring.'],
    ],
    [
      'bad boolean (vrrp_parser.c words)',
      VI('  smtp_alert maybe'),
      ['7 error Invalid vrrp_instance smtp_alert parameter maybe'],
    ],
    [
      'zero-port service without persistence',
      'virtual_server 192.0.2.1 {\n  protocol TCP\n  lb_algo rr\n  lb_kind DR\n  real_server 10.0.0.1 {\n  }\n}\n',
      ['1 error Virtual server [192.0.2.1]:tcp:0: zero port only valid for persistent services - setting'],
    ],
    [
      'ops on a TCP service',
      VS('  ops\n  real_server 10.0.0.1 80 {\n  }'),
      ['5 error Virtual server [192.0.2.1]:tcp:80: one packet scheduling requires UDP - resetting'],
    ],
    [
      'sh-port without sh',
      VS('  sh-port\n  real_server 10.0.0.1 80 {\n  }'),
      ['5 error sh-port only applies to sh scheduler - ignoring'],
    ],
    [
      'duplicate virtual server',
      VS('  real_server 10.0.0.1 80 {\n  }') + VS('  real_server 10.0.0.1 80 {\n  }'),
      ['8 error Virtual server [192.0.2.1]:tcp:80 is duplicated - ignoring'],
    ],
    [
      'sorry server of another family',
      VS('  sorry_server 2001:db8::9 80\n  real_server 10.0.0.1 80 {\n  }'),
      [
        "5 error Address family of virtual server and sorry server 2001:db8::9 don't match - skipping sorry server.",
      ],
    ],
    [
      'empty virtual_server_group',
      'virtual_server_group G {\n}\n',
      ['1 error virtual server group G has no entries - removing'],
    ],
    [
      'bad group range',
      'virtual_server_group G {\n  192.0.2.9-3 80\n}\n',
      [
        '2 error Virtual server group range 192.0.2.9-3 is invalid',
        '1 error virtual server group G has no entries - removing',
      ],
    ],
    [
      'bad tunnel options',
      VS('  lb_kind TUN type ipip csum\n  real_server 10.0.0.1 80 {\n  }'),
      ['5 error ipip tunnels do not support checksum option.'],
    ],
    [
      'gue without port',
      VS('  lb_kind TUN type gue\n  real_server 10.0.0.1 80 {\n  }'),
      ['5 error gue tunnels require port, otherwise cannot have port.'],
    ],
    [
      'persistence granularity not a solid mask',
      VS('  persistence_timeout 60\n  persistence_granularity 255.0.255.0\n  real_server 10.0.0.1 80 {\n  }'),
      ['6 error IPv4 persistence_granularity netmask is not solid - 255.0.255.0'],
    ],
    [
      'vrrp_script interval 0',
      'vrrp_script s {\n  script /bin/true\n  interval 0\n}\n',
      ['3 error (s): vrrp script interval must be greater than 0, setting to 1'],
    ],
    [
      'quorum above the total weight',
      VS('  quorum 5\n  real_server 10.0.0.1 80 {\n    weight 2\n  }'),
      [
        '5 error Warning - quorum 5 for [192.0.2.1]:tcp:80 exceeds total weight of real servers 2, reducing quorum to 2',
      ],
    ],
    [
      'hysteresis not below quorum',
      VS('  quorum 2\n  hysteresis 2\n  real_server 10.0.0.1 80 {\n    weight 2\n  }'),
      ['6 error Virtual server [192.0.2.1]:tcp:80: hysteresis 2 >= quorum 2; setting hysteresis to 1'],
    ],
    [
      'ha_suspend on a fwmark service',
      'virtual_server fwmark 3 {\n  lb_algo rr\n  lb_kind DR\n  ha_suspend\n  real_server 10.0.0.1 {\n  }\n}\n',
      ['4 error Virtual server FWM 3: cannot use ha_suspend with fwmarks - clearing ha_suspend'],
    ],
    [
      'protocol on a fwmark service',
      'virtual_server fwmark 3 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 10.0.0.1 {\n  }\n}\n',
      ['4 error Warning: Virtual server FWM 3: protocol specified for fwmark - protocol will be ignored'],
    ],
    [
      'track_file without file',
      'track_file t {\n  weight 2\n}\n',
      ['1 error No file set for track_file t - removing'],
    ],
  ];
  it.each(MORE)('%s', (_name, text, expected) => {
    expect(summary(build(text).diagnostics).sort()).toEqual([...expected].sort());
  });
});

describe('long values', () => {
  it('a megabyte-long bad value gives a message of bounded length', () => {
    const { diagnostics } = build(VI(`  state ${'X'.repeat(1_000_000)}`));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.message).toBe(`Invalid state '${'X'.repeat(385)}...`);
  });
});
