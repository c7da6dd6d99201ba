import { describe, expect, it } from 'vitest';
import { build, summary } from './schema-helpers.js';

describe('global_defs', () => {
  it('applies keepalived defaults once', () => {
    const { config, diagnostics } = build('global_defs {\n}\n');
    expect(diagnostics).toEqual([]);
    expect(config.globalDefs).toMatchObject({
      routerId: null,
      smtpConnectTimeout: 30,
      enableScriptSecurity: false,
      defaultInterface: 'eth0',
      vrrpMcastGroup4: '224.0.0.18',
      vrrpMcastGroup6: 'ff02::12',
      vrrpVersion: 2,
      vrrpDownTimerAdverts: 3,
      vrrpGarpMasterDelay: 5,
      vrrpGarpMasterRepeat: 5,
      vrrpGarpLowerPrioDelay: 5,
      vrrpGarpLowerPrioRepeat: 5,
      vrrpGarpMasterRefresh: 0,
      vrrpGarpMasterRefreshRepeat: 1,
      lvsFlushOnStop: 'off',
      childWaitTime: 5,
    });
  });
  it('reads values, value blocks and structured keywords', () => {
    const { config, diagnostics } = build(`global_defs {
  router_id LVS_A
  notification_email {
    ops@example.org
    "Ops Team <ops2@example.org>"
  }
  smtp_server 192.0.2.25 2525
  vrrp_garp_master_delay 10
  vrrp_garp_master_repeat 2
  lvs_sync_daemon eth0 VI_1 id 7
  lvs_timeouts tcp 900 tcpfin 120 udp 300
  lvs_flush_onstop VS
  script_user nobody:nogroup
  enable_script_security
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.1
  }
}
`);
    expect(summary(diagnostics)).toEqual([
      "3 warning 'notification_email' is read but not acted on by keepalived-ts: keepalived-ts sends no email; use notify scripts.",
      "7 warning 'smtp_server' is read but not acted on by keepalived-ts: keepalived-ts sends no email.",
      "12 warning lvs_flush_onstop is deprecated - please use 'lvs_flush_on_stop'",
    ]);
    expect(config.globalDefs).toMatchObject({
      routerId: 'LVS_A',
      notificationEmail: ['ops@example.org', 'Ops Team <ops2@example.org>'],
      smtpServer: { host: '192.0.2.25', port: 2525 },
      vrrpGarpMasterDelay: 10,
      vrrpGarpLowerPrioDelay: 10,
      vrrpGarpLowerPrioRepeat: 2,
      lvsSyncDaemon: { interface: 'eth0', instance: 'VI_1', syncId: 7 },
      lvsTimeouts: { tcp: 900, tcpfin: 120, udp: 300 },
      lvsFlushOnStop: 'vs',
      scriptUser: { user: 'nobody', group: 'nogroup' },
      enableScriptSecurity: true,
    });
  });
  it('lvs_sync_daemon: sync id defaults to the followed instance VRID; an unknown instance clears it', () => {
    const inst =
      'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n';
    expect(
      build('global_defs {\n  lvs_sync_daemon eth0 inst VI_1\n}\n' + inst).config.globalDefs.lvsSyncDaemon,
    ).toMatchObject({
      interface: 'eth0',
      instance: 'VI_1',
      syncId: 51,
    });
    const bad = build('global_defs {\n  lvs_sync_daemon eth0 VI_9\n}\n' + inst);
    expect(bad.config.globalDefs.lvsSyncDaemon).toBeNull();
    expect(summary(bad.diagnostics)).toEqual([
      '1 error Unable to find vrrp instance VI_9 for lvs_syncd - clearing lvs_syncd config',
    ]);
  });
  it('lvs_id was removed from keepalived and is unknown', () => {
    expect(summary(build('global_defs {\n lvs_id X\n}\n').diagnostics)).toEqual([
      "2 error Unknown keyword 'lvs_id'",
    ]);
  });
  it('known keywords without runtime support parse with a note, never as unknown', () => {
    const d = build('global_defs {\n enable_snmp_vrrp\n vrrp_iptables\n}\n').diagnostics;
    expect(summary(d)).toEqual([
      "2 info 'enable_snmp_vrrp' is not supported by keepalived-ts, ignored",
      "3 warning 'vrrp_iptables' is not supported by keepalived-ts, ignored",
    ]);
  });
});

const INSTANCE = (body: string) => `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.1
  }
${body}
}
`;

describe('vrrp_instance', () => {
  it('defaults: state BACKUP, priority 100, advert_int 1, version 2', () => {
    const { config, diagnostics } = build(INSTANCE(''));
    expect(diagnostics).toEqual([]);
    expect(config.vrrpInstances[0]).toMatchObject({
      state: 'BACKUP',
      priority: 100,
      advertInt: 1,
      version: 2,
      nopreempt: false,
      preemptDelay: 0,
      authentication: null,
      unicastTtl: 255,
      downTimerAdverts: 3,
      syncGroup: null,
      virtualIpaddresses: ['192.0.2.1/32'],
    });
  });
  it('virtual_ipaddress with /prefix dev label scope brd, excluded addresses, routes', () => {
    const { config, diagnostics } = build(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.10/24 brd 192.0.2.255 dev eth1 label eth1:vip scope global
    192.0.2.11/24 no_track
  }
  virtual_ipaddress_excluded {
    2001:db8::10/64
  }
  virtual_routes {
    src 192.0.2.10 to 198.51.100.0/24 via 192.0.2.254 dev eth0 table 100 metric 5
    default via 192.0.2.1 dev eth0
  }
}
`);
    expect(diagnostics).toEqual([]);
    const vi = config.vrrpInstances[0]!;
    expect(vi.virtualIpaddresses).toEqual(['192.0.2.10/24', '192.0.2.11/24']);
    expect(vi.vips[0]).toMatchObject({
      dev: 'eth1',
      label: 'eth1:vip',
      scope: 'global',
      broadcast: '192.0.2.255',
      noTrack: false,
    });
    expect(vi.vips[1]).toMatchObject({ dev: 'eth0', noTrack: true, loc: { line: 6 } });
    expect(vi.virtualIpaddressesExcluded).toEqual(['2001:db8::10/64']);
    expect(vi.virtualRoutes[0]).toMatchObject({
      to: '198.51.100.0/24',
      via: '192.0.2.254',
      src: '192.0.2.10',
      dev: 'eth0',
      table: 100,
      metric: 5,
    });
    expect(vi.virtualRoutes[1]).toMatchObject({ to: '0.0.0.0/0', via: '192.0.2.1' });
  });
  it('track_script weights: own weight by default, line weight overrides', () => {
    const { config, diagnostics } = build(`vrrp_script chk_a {
  script /bin/true
  weight -20
}
vrrp_script chk_b {
  script "/bin/true"
  weight 10 reverse
}
${INSTANCE(`  track_script {
    chk_a
    chk_b weight 5
    chk_b
  }
  track_interface {
    eth1 weight -30
    eth2
  }`)}`);
    expect(diagnostics).toEqual([]);
    const vi = config.vrrpInstances[0]!;
    expect(vi.trackScripts).toEqual([
      { name: 'chk_a', weight: -20, reverse: false },
      { name: 'chk_b', weight: 5, reverse: false },
      { name: 'chk_b', weight: 10, reverse: true },
    ]);
    expect(vi.trackInterfaces).toEqual([
      { name: 'eth1', weight: -30, reverse: false },
      { name: 'eth2', weight: 0, reverse: false },
    ]);
    expect(config.vrrpScripts[0]).toMatchObject({ interval: 1, timeout: 1, rise: 1, fall: 1, weight: -20 });
  });
  it('unicast peers, notify scripts, garp overrides, preempt_delay', () => {
    const { config, diagnostics } = build(
      INSTANCE(`  unicast_src_ip 192.0.2.2
  unicast_peer {
    192.0.2.3
    192.0.2.4 min_ttl 250 max_ttl 255
  }
  notify_master "/etc/keepalived/master.sh arg1" root
  notify "/etc/keepalived/notify.sh"
  garp_master_delay 2
  garp_master_repeat 3
  preempt_delay 30`),
    );
    expect(diagnostics).toEqual([]);
    const vi = config.vrrpInstances[0]!;
    expect(vi.unicastSrcIp).toBe('192.0.2.2');
    expect(vi.unicastPeers).toEqual([
      { address: '192.0.2.3', minTtl: null, maxTtl: null },
      { address: '192.0.2.4', minTtl: 250, maxTtl: 255 },
    ]);
    expect(vi.checkUnicastSrc).toBe(true);
    expect(vi.notify.master).toEqual({
      command: '/etc/keepalived/master.sh arg1',
      argv: ['/etc/keepalived/master.sh', 'arg1'],
      user: 'root',
      group: null,
    });
    expect(vi.notify.generic?.argv).toEqual(['/etc/keepalived/notify.sh']);
    expect(vi.garp).toMatchObject({ masterDelay: 2, masterRepeat: 3, lowerPrioDelay: 5, lowerPrioRepeat: 5 });
    expect(vi.preemptDelay).toBe(30);
  });
  it("drops a /prefix or -range after unicast_src_ip, mcast_src_ip and a unicast_peer, as keepalived's inet_stosockaddr does", () => {
    const { config, diagnostics } = build(
      INSTANCE(`  unicast_src_ip 192.168.0.91/24
  mcast_src_ip 192.168.0.91/24
  unicast_peer {
    192.168.0.92/24
    192.168.0.93-95 min_ttl 2
  }`),
    );
    const vi = config.vrrpInstances[0]!;
    expect(vi.unicastSrcIp).toBe('192.168.0.91');
    expect(vi.mcastSrcIp).toBe('192.168.0.91');
    expect(vi.unicastPeers.map((p) => p.address)).toEqual(['192.168.0.92', '192.168.0.93']);
    expect(diagnostics).toEqual([]);
  });
  it('derives the priority from the state and the state from the priority when either is missing (vrrp.c)', () => {
    const inst = (body: string) => build(INSTANCE(body)).config.vrrpInstances[0]!;
    expect(inst('  state MASTER')).toMatchObject({ state: 'MASTER', priority: 255 });
    expect(inst('  state BACKUP')).toMatchObject({ state: 'BACKUP', priority: 100 });
    expect(inst('  priority 255')).toMatchObject({ state: 'MASTER', priority: 255 });
    expect(inst('  priority 254')).toMatchObject({ state: 'BACKUP', priority: 254 });
    expect(inst('')).toMatchObject({ state: 'BACKUP', priority: 100 });
    // An invalid priority is the default 100, not derived.
    expect(inst('  state MASTER\n  priority 300')).toMatchObject({ state: 'MASTER', priority: 100 });
  });
  it('strict mode: the state follows the priority when they disagree', () => {
    const { config, diagnostics } = build(
      `global_defs {\n  vrrp_strict\n}\n${INSTANCE('  state MASTER\n  priority 100')}`,
    );
    expect(config.vrrpInstances[0]).toMatchObject({ state: 'BACKUP', priority: 100 });
    expect(summary(diagnostics)).toEqual(['10 error (VI_1) State MASTER must match being address owner']);
  });
  it('AH with state MASTER below 255 starts BACKUP; authentication with no password is ignored', () => {
    const ah = build(
      INSTANCE(
        '  state MASTER\n  priority 150\n  authentication {\n    auth_type AH\n    auth_pass secret\n  }',
      ),
    );
    expect(ah.config.vrrpInstances[0]).toMatchObject({
      state: 'BACKUP',
      authentication: { type: 'AH', password: 'secret' },
    });
    expect(summary(ah.diagnostics)).toEqual([
      '7 error (VI_1) Initial state master is incompatible with AH authentication - clearing',
    ]);
    const owner = build(
      INSTANCE('  state MASTER\n  authentication {\n    auth_type AH\n    auth_pass s\n  }'),
    );
    expect(owner.config.vrrpInstances[0]).toMatchObject({ state: 'MASTER', priority: 255 });
    expect(owner.diagnostics).toEqual([]);
    const nopass = build(INSTANCE('  authentication {\n    auth_type PASS\n  }'));
    expect(nopass.config.vrrpInstances[0]!.authentication).toBeNull();
    expect(summary(nopass.diagnostics)).toEqual([
      '7 error (VI_1) Authentication specified but no password given. Ignoring',
    ]);
  });
  it('unicast keywords without a peer fall back to multicast, with keepalived 2.2.7 warnings', () => {
    const src = build(INSTANCE('  unicast_src_ip 192.0.2.2'));
    expect(src.config.vrrpInstances[0]).toMatchObject({ unicastPeers: [] });
    expect(summary(src.diagnostics)).toEqual([
      '1 warning (VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.',
    ]);
    const ttl = build(INSTANCE('  unicast_ttl 4'));
    expect(summary(ttl.diagnostics)).toEqual([
      '7 error (VI_1): Cannot use unicast_ttl without unicast peers - resetting',
    ]);
    const withPeer = build(
      INSTANCE('  unicast_ttl 4\n  unicast_src_ip 192.0.2.2\n  unicast_peer {\n    192.0.2.3\n  }'),
    );
    expect(withPeer.diagnostics).toEqual([]);
  });
  it('timer_expired_backup: 254 by default, a priority 1..254, its old name, and only with nopreempt', () => {
    const one = (body: string) => build(INSTANCE(`  priority 100\n${body}`));
    const plain = one('  nopreempt\n  timer_expired_backup');
    expect(plain.diagnostics).toEqual([]);
    expect(plain.config.vrrpInstances[0]!.timerExpiredBackup).toBe(254);
    expect(one('  nopreempt\n  timer_expired_backup 120').config.vrrpInstances[0]!.timerExpiredBackup).toBe(
      120,
    );
    const bad = one('  nopreempt\n  timer_expired_backup 255');
    expect(bad.config.vrrpInstances[0]!.timerExpiredBackup).toBe(0);
    expect(summary(bad.diagnostics)).toEqual([
      "9 error number '255' outside range [1, 254]",
      '9 error (VI_1) timer_expired_backup highest_other_priority not valid! must be between 1 & 254',
    ]);
    const old = one('  nopreempt\n  thread_timer_expired 200');
    expect(old.config.vrrpInstances[0]!.timerExpiredBackup).toBe(200);
    expect(summary(old.diagnostics)).toEqual([
      "9 error (VI_1) thread_timer_expired - please replace with keyword 'timer_expired_backup'",
    ]);
    const noNopreempt = one('  timer_expired_backup');
    expect(noNopreempt.config.vrrpInstances[0]!.timerExpiredBackup).toBe(0);
    expect(summary(noNopreempt.diagnostics)).toEqual([
      '8 error (VI_1) expired_timer_backup requires nopreempt - resetting',
    ]);
  });
  it('state MASTER clears nopreempt and preempt_delay, as keepalived', () => {
    const { config, diagnostics } = build(
      INSTANCE('  state MASTER\n  priority 150\n  nopreempt\n  preempt_delay 10'),
    );
    expect(config.vrrpInstances[0]).toMatchObject({ state: 'MASTER', nopreempt: false, preemptDelay: 0 });
    expect(summary(diagnostics)).toEqual([
      '9 error (VI_1) Warning - nopreempt will not work with initial state MASTER - clearing',
      '10 error (VI_1) Warning - preempt delay will not work with initial state MASTER - clearing',
    ]);
    // With no priority line a MASTER is the owner (255): keepalived 2.2.7 then names the owner rule.
    const owner = build(INSTANCE('  state MASTER\n  nopreempt\n  preempt_delay 10'));
    expect(summary(owner.diagnostics)).toEqual([
      '8 error (VI_1) nopreempt is incompatible with priority 255. resetting nopreempt',
      '9 error (VI_1) Warning - preempt delay will not work with initial state MASTER - clearing',
    ]);
  });
  it('IPv6 VIPs make the instance VRRPv3', () => {
    const { config } = build(
      'vrrp_instance V6 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n  2001:db8::1/64\n }\n}\n',
    );
    expect(config.vrrpInstances[0]).toMatchObject({ version: 3, virtualIpaddresses: ['2001:db8::1/64'] });
  });
});

describe('vrrp_sync_group and track_file', () => {
  it('sets membership on instances and resolves group trackers', () => {
    const { config, diagnostics } = build(`track_file tf {
  file /run/weight
  weight 2
}
vrrp_sync_group G {
  group {
    A B
  }
  track_file {
    tf
  }
  notify_master /bin/true
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress {
    192.0.2.1
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  virtual_ipaddress {
    192.0.2.2
  }
}
`);
    expect(diagnostics).toEqual([]);
    expect(config.vrrpSyncGroups[0]).toMatchObject({
      name: 'G',
      group: ['A', 'B'],
      trackFiles: [{ name: 'tf', weight: 2, reverse: false }],
    });
    expect(config.vrrpInstances.map((i) => i.syncGroup)).toEqual(['G', 'G']);
    expect(config.trackFiles[0]).toMatchObject({ name: 'tf', file: '/run/weight', weight: 2 });
  });
  it('vrrp_track_file is the deprecated name of track_file', () => {
    const { config, diagnostics } = build('vrrp_track_file tf {\n file /x\n}\n');
    expect(config.trackFiles).toHaveLength(1);
    expect(summary(diagnostics)).toEqual([
      "1 warning vrrp_track_file is deprecated - please use 'track_file'",
    ]);
  });
});

describe('instances dropped when completed', () => {
  it('still stand in their sync group for its checks, as keepalived completes instances after the groups', () => {
    const { config, diagnostics } = build(`vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 0
  virtual_ipaddress {
    192.0.2.1
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  virtual_ipaddress {
    192.0.2.2
  }
}
`);
    expect(summary(diagnostics)).toEqual([
      "9 error (VI_1): VRID '0' not valid - must be between 1 & 255",
      '7 error (VI_1) the virtual router id must be set',
    ]);
    expect(config.vrrpSyncGroups).toMatchObject([{ name: 'G', group: ['VI_2'] }]);
  });
});

describe('enable_script_security', () => {
  it('is on whatever word follows it, as keepalived 2.2.7 reads it', () => {
    for (const word of ['', ' off', ' no', ' maybe']) {
      const { config, diagnostics } = build(`global_defs {\n  enable_script_security${word}\n}\n`);
      expect(config.globalDefs.enableScriptSecurity, word).toBe(true);
      expect(diagnostics).toEqual([]);
    }
  });
});

describe("values as keepalived 2.2.7's handlers leave them", () => {
  const inst = (body: string) =>
    `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.1\n  }\n${body}\n}\n`;
  it('0 becomes 1, a rejected garp_master_refresh becomes 0, a word after nopreempt is ignored', () => {
    const { config } = build(
      'global_defs {\n  vrrp_garp_master_repeat 0\n  vrrp_garp_master_delay 4295\n}\n' +
        inst(
          '  nopreempt off\n  garp_master_refresh 10\n  garp_master_refresh x\n  garp_master_refresh_repeat 0',
        ),
    );
    expect(config.globalDefs).toMatchObject({ vrrpGarpMasterRepeat: 1, vrrpGarpMasterDelay: 5 });
    const vi = config.vrrpInstances[0]!;
    expect(vi.nopreempt).toBe(true);
    expect(vi.garp).toMatchObject({ masterRefresh: 0, masterRefreshRepeat: 1, masterRepeat: 1 });
  });
  it('timers keepalived reads to UINT_MAX seconds or further wait at most 2147483 s (Node timers)', () => {
    const { config } = build(inst('  garp_master_refresh 4294967295'));
    expect(config.vrrpInstances[0]!.garp.masterRefresh).toBe(2147483);
    const lvs = build(
      'virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n  delay_loop 9999999\n' +
        '  real_server 10.0.0.1 80 {\n    TCP_CHECK {\n      warmup 9999999\n    }\n  }\n}\n',
    );
    expect(lvs.diagnostics).toEqual([]);
    expect(lvs.config.virtualServers[0]!.realServers[0]!.checkers[0]).toMatchObject({
      delayLoop: 2147483,
      warmup: 2147483,
    });
  });
});
