/**
 * Root tier: `--watch-config` on a keepalived-ts VRRP master in a namespace.
 *  - an editor-style save (write a temporary file, rename it over the config) reloads: `Reload
 *    complete` and the new VIP on the interface, with no SIGHUP sent;
 *  - an included file is watched too, and the watched set follows the config: a file included
 *    only by the new config triggers the next reload;
 *  - a config that cannot be loaded is refused and the running config stays (the VIPs stay, the
 *    daemon runs): an include of a missing file under `-e`, then the config file deleted.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  netnsPrerequisites,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites());

const VIP = '10.231.71.100';
const VIP2 = '10.231.71.101';
const VIP3 = '10.231.71.102';

/** Saves `text` as an editor does: a temporary file in the same directory renamed over `path`. */
function saveAtomically(path: string, text: string): void {
  const tmp = join(dirname(path), `.${Date.now()}.swp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

describeTier('--watch-config', () => {
  let bed: Testbed;
  let a: Host;
  let daemon: Daemon | null = null;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('kts-wire-wc');
    [a] = bed.twoHosts('10.231.71');
  });
  afterAll(async () => {
    if (daemon !== null) await stopDaemon(daemon);
    bed?.destroy();
  });

  it('reloads on an atomic save and on an included file, and keeps the running config when the new one cannot load', async () => {
    const master = { state: 'MASTER' as const, priority: 150 };
    daemon = startKeepalivedTs(bed, a.ns, 'a', vrrpConfig({ ...master, vips: [`${VIP}/32`] }), [
      '--watch-config',
      '-e',
    ]);
    const d = daemon;
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await waitFor(() => bed.hasAddress(a.ns, VIP), 3000, 'VIP on a');

    // 1. Editor-style save of the main file with a second VIP and an include.
    const include = join(dirname(d.configPath), 'extra.conf');
    writeFileSync(include, '# nothing yet\n');
    let from = d.lines.lines.length;
    saveAtomically(
      d.configPath,
      vrrpConfig({ ...master, vips: [`${VIP}/32`, `${VIP2}/32`] }, [`include ${include}`]),
    );
    await d.lines.wait(/Configuration changed \(.*keepalived\.conf\) - reloading/, 5000, from);
    await d.lines.wait(/: Reload complete$/, 5000, from);
    await waitFor(() => bed.hasAddress(a.ns, VIP2), 3000, 'VIP2 after the atomic save');
    expect(d.lines.count(/: Reloading$/)).toBe(1);

    // 2. The include, watched since the reload: a second instance written into it.
    from = d.lines.lines.length;
    writeFileSync(
      include,
      vrrpConfig({ name: 'VI_2', vrid: 52, state: 'MASTER', priority: 150, vips: [`${VIP3}/32`] }),
    );
    await d.lines.wait(/Configuration changed \(.*extra\.conf\) - reloading/, 5000, from);
    await d.lines.wait(/: Reload complete$/, 5000, from);
    await waitFor(() => bed.hasAddress(a.ns, VIP3), 6000, 'VI_2 VIP from the included file');

    // 3. A config that cannot be loaded: refused, everything stays.
    from = d.lines.lines.length;
    saveAtomically(
      d.configPath,
      vrrpConfig({ ...master, vips: [`${VIP}/32`] }, ['include /nonexistent/kts-watch-missing.conf']),
    );
    await d.lines.wait(/Reload failed - configuration errors, keeping the running configuration/, 5000, from);
    await new Promise((r) => setTimeout(r, 1500));
    expect(d.child.exitCode).toBeNull();
    for (const vip of [VIP, VIP2, VIP3]) expect(bed.hasAddress(a.ns, vip), vip).toBe(true);
    expect(d.lines.find(/: Reload complete$/, from)).toBe(-1);

    // 4. The config file deleted: refused as well.
    from = d.lines.lines.length;
    rmSync(d.configPath);
    await d.lines.wait(/Reload failed - configuration errors, keeping the running configuration/, 5000, from);
    await new Promise((r) => setTimeout(r, 1000));
    expect(d.child.exitCode).toBeNull();
    for (const vip of [VIP, VIP2, VIP3]) expect(bed.hasAddress(a.ns, vip), vip).toBe(true);

    expect(await stopDaemon(d)).toBe(0);
    daemon = null;
    for (const vip of [VIP, VIP2, VIP3]) expect(bed.hasAddress(a.ns, vip), vip).toBe(false);
  }, 60_000);
});
