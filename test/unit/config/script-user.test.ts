/**
 * Scripts with no usable user, as keepalived 2.2.7 `-t` reports and removes them (checked against
 * keepalived -t -f): a global `script_user` that does not exist (`Error setting global script
 * uid/gid` at its line), or no `keepalived_script` account with script security. A vrrp_script
 * without a user of its own is removed at its closing `}`, and each `track_script` naming it then
 * finds nothing, in instances and sync groups alike.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { LoadResult } from '../../../src/config/load.js';
import { memoryFs } from '../../support/memory-fs.js';

const MAIN = '/etc/keepalived/keepalived.conf';

async function load(text: string, users: readonly string[] = ['root']): Promise<LoadResult> {
  return loadConfig(MAIN, {
    configId: null,
    checkInterfaces: false,
    fs: memoryFs({ [MAIN]: text }),
    host: {
      scriptStatus: () => 'ok',
      userExists: (u) => users.includes(u),
      groupExists: (g) => g === 'root',
    },
  });
}

const lines = (r: LoadResult) => r.diagnostics.map((d) => `${d.loc?.line ?? '-'} ${d.message}`);

const INSTANCE = (name: string, vrid: number, track: string) =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  virtual_ipaddress {\n    192.0.2.${vrid}\n  }\n  track_script {\n${track}  }\n}\n`;

describe('script_user that does not exist', () => {
  const config =
    'global_defs {\n  enable_script_security\n  script_user nosuchuser\n}\n' +
    'vrrp_script chk {\n  script "/bin/true"\n  interval 2\n}\n' +
    INSTANCE('VI_1', 51, '    chk\n');

  it('is reported at its line; the script goes at its closing brace, its track_script line says so', async () => {
    const r = await load(config);
    expect(lines(r)).toEqual([
      '3 Error setting global script uid/gid',
      '8 Unable to set default user for vrrp script chk - removing',
      '16 (VI_1) track script chk not found, ignoring...',
    ]);
    expect(r.exitCode).toBe(5);
  });

  it('leaves the script out of the model, so it never runs', async () => {
    const r = await load(config);
    expect(r.config?.vrrpScripts).toEqual([]);
    expect(r.config?.vrrpInstances[0]?.trackScripts).toEqual([]);
  });

  it('fails the default user without script security too, and no SECURITY VIOLATION is left', async () => {
    const r = await load(config.replace('  enable_script_security\n', ''));
    expect(lines(r)).toEqual([
      '2 Error setting global script uid/gid',
      '7 Unable to set default user for vrrp script chk - removing',
      '15 (VI_1) track script chk not found, ignoring...',
    ]);
    expect(r.exitCode).toBe(5);
  });

  it('a group that does not exist fails it the same way', async () => {
    const r = await load(config.replace('script_user nosuchuser', 'script_user root nosuchgroup'));
    expect(lines(r)).toEqual([
      '3 Error setting global script uid/gid',
      '8 Unable to set default user for vrrp script chk - removing',
      '16 (VI_1) track script chk not found, ignoring...',
    ]);
    expect(
      (await load(config.replace('script_user nosuchuser', 'script_user root root'))).diagnostics,
    ).toEqual([]);
  });

  it('spares a script with a user of its own', async () => {
    const r = await load(config.replace('  interval 2\n', '  user root\n'));
    expect(lines(r)).toEqual(['3 Error setting global script uid/gid']);
    expect(r.config?.vrrpScripts.map((s) => s.name)).toEqual(['chk']);
  });
});

describe('no keepalived_script account, with script security', () => {
  const config =
    'global_defs {\n  enable_script_security\n}\n' +
    'vrrp_script chk {\n  script "/bin/true"\n}\n' +
    'vrrp_script chk2 {\n  script "/bin/true"\n  user root\n}\n' +
    INSTANCE('VI_1', 51, '    chk2\n    chk weight 10\n') +
    INSTANCE('VI_2', 52, '    chk\n') +
    'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n  track_script {\n    chk\n  }\n}\n';

  it('says so once at the first script that needs it, then each track_script of the removed one', async () => {
    const r = await load(config);
    expect(lines(r)).toEqual([
      '6 Unable to set default user keepalived_script for script',
      '6 Unable to set default user for vrrp script chk - removing',
      '19 (VI_1) track script chk not found, ignoring...',
      '29 (VI_2) track script chk not found, ignoring...',
      '38 (G) track script chk not found, ignoring...',
    ]);
    expect(r.config?.vrrpScripts.map((s) => s.name)).toEqual(['chk2']);
    expect(r.config?.vrrpInstances.map((i) => i.trackScripts.map((t) => t.name))).toEqual([['chk2'], []]);
    expect(r.config?.vrrpSyncGroups[0]?.trackScripts).toEqual([]);
  });

  it('`script_user` with no name is the same, after its own line', async () => {
    const r = await load(
      config.replace('  enable_script_security\n', '  enable_script_security\n  script_user\n'),
    );
    expect(lines(r).slice(0, 3)).toEqual([
      '3 No script username specified',
      '7 Unable to set default user keepalived_script for script',
      '7 Unable to set default user for vrrp script chk - removing',
    ]);
  });

  it('with the account, nothing is said and nothing removed', async () => {
    const r = await load(config, ['root', 'keepalived_script']);
    expect(lines(r)).toEqual([]);
    expect(r.config?.vrrpScripts.map((s) => s.name)).toEqual(['chk', 'chk2']);
  });

  it('a MISC_CHECK asks first (keepalived reads the checker part first), at its closing brace', async () => {
    const vs =
      'virtual_server 192.0.2.10 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n' +
      '  real_server 192.0.2.20 80 {\n    MISC_CHECK {\n      misc_path /bin/true\n    }\n  }\n}\n';
    const r = await load(
      'global_defs {\n  enable_script_security\n}\nvrrp_script chk {\n  script "/bin/true"\n}\n' + vs,
    );
    expect(lines(r)).toEqual([
      '6 Unable to set default user for vrrp script chk - removing',
      '14 Unable to set default user keepalived_script for script',
      "14 Unable to set default user for misc script '/bin/true' - removing",
    ]);
  });
});

describe('a tracked script or file defined further down', () => {
  it('is not found, as keepalived looks it up when it reads the track line (vrrp_parser.c)', async () => {
    const r = await load(
      'global_defs {\n  enable_script_security\n  script_user root\n}\n' +
        INSTANCE('VI_1', 51, '    chk\n') +
        INSTANCE('VI_2', 52, '    chk0\n') +
        'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n  track_file {\n    tf\n  }\n}\n' +
        'vrrp_script chk {\n  script "/bin/true"\n}\ntrack_file tf {\n  file /tmp/tf\n}\n',
    );
    expect(lines(r)).toEqual([
      '12 (VI_1) track script chk not found, ignoring...',
      '22 (VI_2) track script chk0 not found, ignoring...',
      '31 (G) track file tf not found, ignoring...',
    ]);
    expect(r.config?.vrrpScripts.map((s) => s.name)).toEqual(['chk']);
    expect(r.config?.vrrpInstances[0]?.trackScripts).toEqual([]);
  });
});
