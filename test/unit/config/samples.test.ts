/**
 * Golden tests on conf/: each sample validates cleanly (exit 0) and yields the model values its
 * header comment describes.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/model.js';

const CONF = join(import.meta.dirname, '../../../conf');

async function sample(name: string): Promise<Config> {
  const r = await loadConfig(join(CONF, name), {
    configId: 'test',
    checkInterfaces: true,
    interfaceNames: ['lo', 'eth0'],
    host: { scriptStatus: () => 'ok', userExists: (u) => u === 'root' },
  });
  const serious = r.diagnostics.filter((d) => d.severity !== 'warning' && d.severity !== 'info');
  expect(serious).toEqual([]);
  expect(r.exitCode).toBe(0);
  expect(r.config).not.toBeNull();
  return r.config!;
}

describe('conf/ samples', () => {
  it('every sample in conf/ is covered here', () => {
    expect(
      readdirSync(CONF)
        .filter((f) => f.endsWith('.conf'))
        .sort(),
    ).toEqual([
      'http-get-digest.conf',
      'lvs-dr-rr-tcp.conf',
      'lvs-nat-sync-group.conf',
      'lvs-tun-inhibit.conf',
      'persistence.conf',
      'two-vips-dh-sh.conf',
      'vrrp-script-weight.conf',
    ]);
  });

  it('LVS-DR with rr and TCP_CHECK', async () => {
    const c = await sample('lvs-dr-rr-tcp.conf');
    expect(c.globalDefs.routerId).toBe('LVS_DR_1');
    const vi = c.vrrpInstances[0]!;
    expect(vi).toMatchObject({
      name: 'VI_1',
      state: 'MASTER',
      interface: 'eth0',
      virtualRouterId: 51,
      priority: 150,
      advertInt: 1,
      nopreempt: false,
      preemptDelay: 0,
      authentication: { type: 'PASS', password: 's3cret' },
      virtualIpaddresses: ['192.0.2.100/24'],
    });
    expect(vi.garp).toMatchObject({ masterDelay: 5, masterRepeat: 5, lowerPrioDelay: 5, lowerPrioRepeat: 5 });
    const vs = c.virtualServers[0]!;
    expect(vs).toMatchObject({
      address: '192.0.2.100',
      port: 80,
      fwmark: null,
      protocol: 'TCP',
      scheduler: 'rr',
      forwardingMethod: 'DR',
      persistenceTimeout: 0,
      delayLoop: 6,
      quorum: 1,
      key: 'TCP:192.0.2.100:80',
    });
    expect(vs.realServers.map((r) => [r.address, r.port, r.weight])).toEqual([
      ['192.0.2.11', 80, 1],
      ['192.0.2.12', 80, 1],
    ]);
    expect(vs.realServers[0]!.checkers[0]).toMatchObject({
      type: 'TCP_CHECK',
      connectTimeout: 3,
      retry: 3,
      delayBeforeRetry: 3,
      connectPort: 80,
      delayLoop: 6,
    });
  });

  it('LVS-NAT in a sync group with nopreempt', async () => {
    const c = await sample('lvs-nat-sync-group.conf');
    expect(c.vrrpSyncGroups).toHaveLength(1);
    expect(c.vrrpSyncGroups[0]).toMatchObject({ name: 'VG_1', group: ['VI_OUTSIDE', 'VI_INSIDE'] });
    expect(
      c.vrrpInstances.map((i) => [i.name, i.state, i.nopreempt, i.virtualRouterId, i.syncGroup]),
    ).toEqual([
      ['VI_OUTSIDE', 'BACKUP', true, 61, 'VG_1'],
      ['VI_INSIDE', 'BACKUP', true, 62, 'VG_1'],
    ]);
    const vs = c.virtualServers[0]!;
    expect(vs).toMatchObject({ scheduler: 'wlc', forwardingMethod: 'NAT', delayLoop: 10 });
    // NAT keeps the real servers' own port.
    expect(vs.realServers.map((r) => r.port)).toEqual([8080, 8080]);
    const ck = vs.realServers[0]!.checkers[0]!;
    // TCP_CHECK defaults: retry 1, delay_before_retry 1 s, connect_port = real server port.
    expect(ck).toMatchObject({
      type: 'TCP_CHECK',
      retry: 1,
      delayBeforeRetry: 1,
      connectTimeout: 5,
      connectPort: 8080,
    });
  });

  it('LVS-TUN with inhibit_on_failure and weights', async () => {
    const c = await sample('lvs-tun-inhibit.conf');
    expect(c.vrrpInstances[0]).toMatchObject({
      advertInt: 2,
      priority: 200,
      virtualIpaddresses: ['203.0.113.80/32'],
    });
    const vs = c.virtualServers[0]!;
    expect(vs).toMatchObject({
      scheduler: 'wrr',
      forwardingMethod: 'TUN',
      tunnel: { type: 'ipip', port: null, checksum: null },
    });
    expect(vs.realServers.map((r) => [r.address, r.weight, r.inhibitOnFailure, r.forwardingMethod])).toEqual([
      ['192.0.2.21', 3, true, 'TUN'],
      ['192.0.2.22', 1, true, 'TUN'],
    ]);
    expect(vs.realServers[1]!.checkers[0]).toMatchObject({
      retry: 2,
      delayBeforeRetry: 2,
      connectTimeout: 4,
      delayLoop: 15,
    });
  });

  it('vrrp_script with negative weight, fall and rise', async () => {
    const c = await sample('vrrp-script-weight.conf');
    expect(c.globalDefs).toMatchObject({
      enableScriptSecurity: true,
      scriptUser: { user: 'root', group: null },
    });
    expect(c.vrrpScripts[0]).toMatchObject({
      name: 'chk_haproxy',
      script: '/bin/kill -0 1',
      argv: ['/bin/kill', '-0', '1'],
      interval: 2,
      timeout: 1,
      weight: -60,
      fall: 2,
      rise: 2,
    });
    const vi = c.vrrpInstances[0]!;
    expect(vi.trackScripts).toEqual([{ name: 'chk_haproxy', weight: -60, reverse: false }]);
    expect(vi.vips[0]).toMatchObject({
      address: '192.0.2.81',
      prefixLength: 24,
      dev: 'eth0',
      label: 'eth0:web',
    });
  });

  it('two VIPs on one instance with dh and sh services', async () => {
    const c = await sample('two-vips-dh-sh.conf');
    expect(c.vrrpInstances[0]!.virtualIpaddresses).toEqual(['192.0.2.91/24', '192.0.2.92/24']);
    expect(c.virtualServers.map((v) => [v.address, v.port, v.scheduler, v.forwardingMethod])).toEqual([
      ['192.0.2.91', 3128, 'dh', 'DR'],
      ['192.0.2.92', 25, 'sh', 'NAT'],
    ]);
  });

  it('persistence with granularity and a sorry server', async () => {
    const c = await sample('persistence.conf');
    const vs = c.virtualServers[0]!;
    expect(vs).toMatchObject({
      persistenceTimeout: 600,
      persistenceGranularity: '255.255.255.0',
      scheduler: 'wlc',
    });
    expect(vs.sorryServer).toMatchObject({
      address: '198.51.100.99',
      port: 443,
      forwardingMethod: 'DR',
      inhibit: false,
    });
    // A VIP without /prefix is a host address.
    expect(c.vrrpInstances[0]!.virtualIpaddresses).toEqual(['192.0.2.101/32']);
  });

  it('HTTP_GET with status_code and digest', async () => {
    const c = await sample('http-get-digest.conf');
    const [a, b] = c.virtualServers[0]!.realServers;
    const ck = a!.checkers[0]!;
    expect(ck.type).toBe('HTTP_GET');
    if (ck.type !== 'HTTP_GET') return;
    expect(ck.urls).toEqual([
      {
        path: '/health',
        digest: null,
        statusCodes: [[200, 200]],
        virtualhost: null,
        regex: null,
        regexNoMatch: false,
        tlsCompliant: false,
      },
      {
        path: '/index.html',
        digest: '9b3a0c85a887a256d6939da88aabd8cd',
        statusCodes: [[200, 299]],
        virtualhost: null,
        regex: null,
        regexNoMatch: false,
        tlsCompliant: false,
      },
    ]);
    expect(ck).toMatchObject({
      retry: 3,
      delayBeforeRetry: 2,
      connectTimeout: 3,
      connectPort: 8080,
      delayLoop: 5,
    });
    expect(b!.checkers[0]).toMatchObject({ retry: 3 });
  });
});
