/**
 * Root tier: `ha_suspend` (keepalived 2.2.7 check_api.c register_checkers_thread and
 * update_checker_activity). Both subsystems of dist/keepalived-ts.js in a namespace, --no-ipvs (this
 * host's kernel has no IPVS; the table goes to the dry-run writer). A virtual server with
 * ha_suspend whose address is not on the host starts with its checker `Deactivating`, and no check
 * reaches its real server; the VRRP instance owning the address becomes MASTER and adds it, and the
 * checker is `Activating` and checks; the address removed by hand, `Suspending`, and the checks
 * stop. A virtual server without ha_suspend is checked all along. The connections are counted at
 * the real servers (TCP listeners on 127.0.0.1 in the namespace).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonArgs } from '../support/daemon-options.js';
import { tierDescribe } from '../support/tier.js';
import {
  DIST_ENTRY,
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  nsExec,
  sleep,
  stopDaemon,
  Testbed,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

const PREFIX = '10.231.45';
const VIP = `${PREFIX}.100`;
const SUSPENDED_PORT = 18451;
const PLAIN_PORT = 18452;

describeTier('ha_suspend', () => {
  let bed: Testbed;
  let a: Host;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('vc-has');
    [a] = bed.twoHosts(PREFIX);
  });
  afterAll(() => bed?.destroy());

  /** A TCP listener that prints one line per connection. */
  const server = async (port: number): Promise<{ child: ChildProcess; lines: LineCollector }> => {
    const child = bed.spawnIn(a.ns, process.execPath, [
      '-e',
      `require('node:net').createServer((s) => { console.log('conn'); s.destroy(); })` +
        `.listen(${port}, '127.0.0.1', () => console.log('listening'))`,
    ]);
    const lines = new LineCollector(child);
    await lines.wait(/listening/, 10_000);
    return { child, lines };
  };
  const connections = (s: { lines: LineCollector }): number => s.lines.count(/^conn$/);

  const virtualServer = (port: number, rsPort: number, haSuspend: boolean): string[] => [
    `virtual_server ${VIP} ${port} {`,
    '  delay_loop 1',
    '  lb_algo rr',
    '  lb_kind NAT',
    '  protocol TCP',
    ...(haSuspend ? ['  ha_suspend'] : []),
    `  real_server 127.0.0.1 ${rsPort} {`,
    '    TCP_CHECK {',
    '      connect_timeout 1',
    '    }',
    '  }',
    '}',
  ];

  it('no check while the address is absent; checks once VRRP adds it; suspended when it goes', async () => {
    const suspended = await server(SUSPENDED_PORT);
    const plain = await server(PLAIN_PORT);
    const dir = join(bed.tempDir, 'd');
    mkdirSync(dir, { recursive: true });
    const configPath = join(dir, 'keepalived.conf');
    writeFileSync(
      configPath,
      [
        'vrrp_instance VI_1 {',
        '  state BACKUP',
        '  interface eth0',
        '  virtual_router_id 91',
        '  priority 100',
        '  advert_int 1',
        '  virtual_ipaddress {',
        `    ${VIP}/32`,
        '  }',
        '}',
        ...virtualServer(80, SUSPENDED_PORT, true),
        ...virtualServer(81, PLAIN_PORT, false),
        '',
      ].join('\n'),
    );
    const child = bed.spawnIn(a.ns, process.execPath, [
      DIST_ENTRY,
      ...daemonArgs({
        config: configPath,
        pidFile: join(dir, 'daemon.pid'),
        runtimeDir: join(dir, 'run'),
        extra: ['-D', '--no-ipvs'],
      }),
    ]);
    const lines = new LineCollector(child);
    const d = {
      child,
      lines,
      exited: new Promise<number | string>((r) => child.on('exit', (c, s) => r(c ?? s ?? -1))),
    };
    const rs = `[127.0.0.1]:tcp:${SUSPENDED_PORT}`;
    const vs = `[${VIP}]:tcp:80`;
    try {
      await lines.wait(
        new RegExp(
          `Deactivating healthchecker for service \\[127\\.0\\.0\\.1\\]:tcp:${SUSPENDED_PORT} for VS \\[${VIP.replace(/\./g, '\\.')}\\]:tcp:80`,
        ),
        20_000,
      );
      // BACKUP for a Master_Down_Interval (3.6 s): the address is absent, nothing reaches the server.
      await lines.wait(/\(VI_1\) Entering BACKUP STATE \(init\)/, 10_000);
      await sleep(2500);
      expect(bed.hasAddress(a.ns, VIP)).toBe(false);
      expect(connections(suspended)).toBe(0);
      expect(connections(plain)).toBeGreaterThanOrEqual(1);

      const master = await lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
      const activated = await lines.wait(
        new RegExp(`Activating healthchecker for service ${esc(rs)} for VS ${esc(vs)}`),
        5000,
        master,
      );
      expect(
        lines.find(new RegExp(`Netlink reflector reports IP ${esc(VIP)} added`), master),
      ).toBeGreaterThan(-1);
      expect(activated).toBeGreaterThan(master);
      await sleep(2500);
      const whileUp = connections(suspended);
      expect(whileUp).toBeGreaterThanOrEqual(1);

      nsExec(a.ns, 'ip', ['addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
      // keepalived's MASTER goes BACKUP when its VIP is removed and takes it back after Skew_Time:
      // the checker is suspended, then activated again.
      const suspendedAt = await lines.wait(
        new RegExp(`Suspending healthchecker for service ${esc(rs)} for VS ${esc(vs)}`),
        5000,
        activated,
      );
      await lines.wait(
        new RegExp(`Activating healthchecker for service ${esc(rs)} for VS ${esc(vs)}`),
        10_000,
        suspendedAt,
      );
      // The plain virtual server's checker never changed.
      expect(
        lines.find(new RegExp(`healthchecker for service \\[127\\.0\\.0\\.1\\]:tcp:${PLAIN_PORT}`)),
      ).toBe(-1);
      expect(connections(plain)).toBeGreaterThanOrEqual(5);
    } finally {
      await stopDaemon(d as unknown as Daemon);
      for (const s of [suspended, plain]) s.child.kill('SIGKILL');
    }
  });
});

function esc(s: string): string {
  return s.replace(/[.[\]]/g, '\\$&');
}
