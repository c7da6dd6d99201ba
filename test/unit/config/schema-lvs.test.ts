import { describe, expect, it } from 'vitest';
import { build, summary } from './schema-helpers.js';

const VS = (head: string, body: string) => `virtual_server ${head} {\n${body}\n}\n`;

describe('virtual_server', () => {
  it('keepalived defaults: wlc, NAT, UDP with a warning, delay_loop 60, quorum 1', () => {
    const { config, diagnostics } = build(
      VS('192.0.2.1 80', '  real_server 10.0.0.1 80 {\n    TCP_CHECK {\n    }\n  }'),
    );
    expect(summary(diagnostics)).toEqual([
      '1 warning Virtual server [192.0.2.1]:none:80: no protocol set - defaulting to UDP',
      "1 warning Virtual server [192.0.2.1]:udp:80: no scheduler set, setting default 'wlc'",
      '1 warning Virtual server [192.0.2.1]:udp:80: no forwarding method set, setting default NAT',
    ]);
    const vs = config.virtualServers[0]!;
    expect(vs).toMatchObject({
      protocol: 'UDP',
      scheduler: 'wlc',
      forwardingMethod: 'NAT',
      delayLoop: 60,
      quorum: 1,
      hysteresis: 0,
      persistenceTimeout: 0,
      alpha: false,
      omega: false,
      key: 'UDP:192.0.2.1:80',
    });
    expect(vs.realServers[0]).toMatchObject({
      weight: 1,
      inhibitOnFailure: false,
      port: 80,
      smtpAlert: true,
    });
    expect(vs.realServers[0]!.checkers[0]).toMatchObject({
      type: 'TCP_CHECK',
      connectTimeout: 5,
      retry: 1,
      delayBeforeRetry: 1,
      delayLoop: 60,
      warmup: 60,
      connectIp: '10.0.0.1',
      connectPort: 80,
    });
  });

  it('aliases lb_algo/lvs_sched and lb_kind/lvs_method; quorum, hysteresis, scripts, flags', () => {
    const { config, diagnostics } = build(
      VS(
        '192.0.2.1 80',
        `  protocol TCP
  lvs_sched sh
  lvs_method DR
  sh-port
  persistence_timeout
  quorum 2
  hysteresis 1
  quorum_up "/bin/echo up"
  quorum_down /bin/false
  alpha
  omega
  ha_suspend
  virtualhost www.example.org
  real_server 10.0.0.1 8080 {
    weight 3
  }`,
      ),
    );
    expect(summary(diagnostics)).toEqual([
      "15 error WARNING - virtual server [192.0.2.1]:tcp:80 and real server [10.0.0.1]:tcp:8080 ports don't match - resetting",
    ]);
    const vs = config.virtualServers[0]!;
    expect(vs).toMatchObject({
      scheduler: 'sh',
      forwardingMethod: 'DR',
      persistenceTimeout: 360,
      quorum: 2,
      hysteresis: 1,
      alpha: true,
      omega: true,
      haSuspend: true,
      virtualhost: 'www.example.org',
      flags: { shPort: true, shFallback: false },
    });
    expect(vs.quorumUp?.argv).toEqual(['/bin/echo', 'up']);
    // DR real servers use the virtual server's port.
    expect(vs.realServers[0]).toMatchObject({ port: 80, weight: 3, alpha: true });
  });

  it('a method in lower case is refused as keepalived refuses it (strcmp), and NAT runs', () => {
    const { config, diagnostics } = build(
      VS('10.0.0.1 80', '  lb_kind dr\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    weight 1\n  }'),
    );
    expect(config.virtualServers[0]).toMatchObject({ forwardingMethod: 'NAT' });
    expect(summary(diagnostics)).toContain(
      '2 error PARSER : unknown [dr] routing method for virtual server.',
    );
    expect(diagnostics.map((d) => d.message)).toContain(
      'Virtual server [10.0.0.1]:tcp:80: no forwarding method set, setting default NAT',
    );
  });
  it('fwmark and group services', () => {
    const { config, diagnostics } = build(`virtual_server_group WEB {
  192.0.2.1 80
  192.0.2.10-20 80
  198.51.100.0/30 443
  2001:db8::a-1f 80
  fwmark 7
}
virtual_server fwmark 5 {
  lb_algo rr
  lb_kind DR
  real_server 10.0.0.1 {
  }
}
virtual_server group WEB {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.0.0.2 80 {
  }
}
`);
    expect(diagnostics).toEqual([]);
    const [fw, grp] = config.virtualServers;
    expect(fw).toMatchObject({ fwmark: 5, address: null, port: null, key: 'fwmark:inet:5' });
    expect(fw!.realServers[0]!.port).toBe(0);
    expect(grp).toMatchObject({ group: 'WEB', key: 'group:WEB:0' });
    expect(
      config.virtualServerGroups[0]!.entries.map((e) =>
        e.kind === 'fwmark' ? `fwmark ${e.fwmark}` : `${e.address}-${e.lastAddress} ${e.port}`,
      ),
    ).toEqual([
      '192.0.2.1-null 80',
      '192.0.2.10-192.0.2.20 80',
      '198.51.100.0-198.51.100.3 443',
      '2001:db8::a-2001:db8::1f 80',
      'fwmark 7',
    ]);
  });

  it('LVS-TUN options and sorry server', () => {
    const { config } = build(
      VS(
        '192.0.2.1 80',
        `  protocol TCP
  lb_algo rr
  lb_kind TUN type gue port 6080 nocsum
  sorry_server 10.0.0.9 8080
  sorry_server_inhibit
  real_server 10.0.0.1 80 {
    lvs_method NAT
  }`,
      ),
    );
    const vs = config.virtualServers[0]!;
    expect(vs.tunnel).toEqual({ type: 'gue', port: 6080, checksum: 'nocsum' });
    expect(vs.sorryServer).toMatchObject({
      address: '10.0.0.9',
      port: 8080,
      forwardingMethod: 'TUN',
      inhibit: true,
    });
    expect(vs.realServers[0]).toMatchObject({ forwardingMethod: 'NAT', tunnel: null });
  });
});

describe('checkers', () => {
  const rs = (checker: string, vsExtra = '', rsExtra = '', before = '') =>
    build(
      before +
        VS(
          '192.0.2.1 80',
          `  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n${vsExtra}\n  real_server 10.0.0.1 8080 {\n${rsExtra}\n${checker}\n  }`,
        ),
    );

  it('timing inherits virtual_server -> real_server -> checker', () => {
    const { config } = rs(
      '    TCP_CHECK {\n      retry 7\n    }',
      '  delay_loop 10\n  connect_timeout 2\n  delay_before_retry 4',
      '    connect_timeout 3\n    warmup 1',
    );
    expect(config.virtualServers[0]!.realServers[0]!.checkers[0]).toMatchObject({
      delayLoop: 10,
      connectTimeout: 3,
      delayBeforeRetry: 4,
      retry: 7,
      warmup: 1,
    });
  });

  it('per-checker retry and delay_before_retry defaults', () => {
    const types = ['HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK'];
    const body = types
      .map((t) =>
        t === 'MISC_CHECK'
          ? `    ${t} {\n      misc_path "/bin/true"\n    }`
          : t.endsWith('_GET')
            ? `    ${t} {\n      url {\n        path /\n      }\n    }`
            : `    ${t} {\n    }`,
      )
      .join('\n');
    const { config, diagnostics } = rs(body, '  delay_loop 20');
    expect(diagnostics).toEqual([]);
    const got = config.virtualServers[0]!.realServers[0]!.checkers.map((c) =>
      'retry' in c ? [c.type, c.retry, c.delayBeforeRetry] : [c.type],
    );
    expect(got).toEqual([
      ['HTTP_GET', 1, 3],
      ['SSL_GET', 1, 3],
      ['MISC_CHECK', 0, 1],
      ['SMTP_CHECK', 1, 1],
      ['DNS_CHECK', 3, 20],
      ['UDP_CHECK', 1, 1],
      ['PING_CHECK', 1, 1],
    ]);
  });

  it('nb_get_retry is accepted in every checker with a deprecation warning', () => {
    const { config, diagnostics } = rs(
      '    TCP_CHECK {\n      nb_get_retry 4\n    }\n    HTTP_GET {\n      nb_get_retry 2\n      url {\n        path /\n      }\n    }',
    );
    expect(summary(diagnostics)).toEqual([
      "9 warning nb_get_retry is deprecated - please use 'retry'",
      "12 warning nb_get_retry is deprecated - please use 'retry'",
    ]);
    expect(
      config.virtualServers[0]!.realServers[0]!.checkers.map((c) => ('retry' in c ? c.retry : -1)),
    ).toEqual([4, 2]);
  });

  it('HTTP_GET url blocks: path, digest, status_code ranges', () => {
    const { config, diagnostics } = rs(`    HTTP_GET {
      url {
        path /a
        digest 0123456789ABCDEF0123456789abcdef
        status_code 200-204 301
      }
      http_protocol 1.1
      virtualhost api.example.org
    }`);
    expect(diagnostics).toEqual([]);
    const c = config.virtualServers[0]!.realServers[0]!.checkers[0]!;
    expect(c).toMatchObject({
      type: 'HTTP_GET',
      httpProtocol: '1.1',
      virtualhost: 'api.example.org',
      urls: [
        {
          path: '/a',
          digest: '0123456789abcdef0123456789abcdef',
          statusCodes: [
            [200, 204],
            [301, 301],
          ],
        },
      ],
    });
  });

  it('MISC, DNS, UDP, SMTP, FILE_CHECK specifics', () => {
    const { config, diagnostics } = rs(
      `    MISC_CHECK {
      misc_path "/usr/local/bin/check.sh 10.0.0.1"
      misc_timeout 4
      misc_dynamic
      user nobody
    }
    DNS_CHECK {
      type A
      name www.example.org
    }
    UDP_CHECK {
      payload 0a0b
      require_reply 0axx
      max_reply_length 64
    }
    SMTP_CHECK {
      helo_name me.example.org
      connect_ip 10.0.0.5
      connect_port 25
    }
    FILE_CHECK {
      track_file tf
      weight -5 reverse
      dynamic
    }`,
      '',
      '',
      'track_file tf {\n  file /run/tf\n}\n',
    );
    expect(diagnostics).toEqual([]);
    const [misc, dns, udp, smtp, file] = config.virtualServers[0]!.realServers[0]!.checkers;
    expect(misc).toMatchObject({
      miscPath: { argv: ['/usr/local/bin/check.sh', '10.0.0.1'], user: 'nobody' },
      miscTimeout: 4,
      miscDynamic: true,
    });
    expect(dns).toMatchObject({ queryType: 'A', name: 'www.example.org', retry: 3 });
    expect(udp).toMatchObject({
      payload: '0a0b',
      requireReply: true,
      replyPattern: '0axx',
      minReplyLength: 0,
      maxReplyLength: 64,
    });
    expect(smtp).toMatchObject({ heloName: 'me.example.org', connectIp: '10.0.0.5', connectPort: 25 });
    expect(file).toMatchObject({
      type: 'FILE_CHECK',
      trackFile: 'tf',
      weight: -5,
      weightReverse: true,
      dynamic: true,
    });
  });
});
