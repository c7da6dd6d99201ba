/**
 * Interop tier: keepalived's dump files, keepalived 2.2.7's against keepalived-ts's for the same
 * config (two configs: a sync group with scripts; unicast with routes and a track file). Each daemon runs alone on its own veth pair (same addresses, so the same roles: VI_1
 * MASTER, VI_2 FAULT on its failing weight-0 script); both get USR1, USR2 and SIGRTMIN+2, and
 * the files are compared line by line (data, stats) and key by key (JSON), the values that must
 * differ between two runs masked (times, descriptors, interface indexes and MACs, counters).
 *
 * keepalived 2.2.7 has no *_dump_file keyword (2.3.3 added them): it writes to $TMPDIR, which is
 * its own directory here; keepalived-ts is told its paths by state_dump_file, stats_dump_file and
 * json_dump_file, so the two never share a file.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  netnsPrerequisites,
  sleep,
  startKeepalived,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  type Daemon,
} from '../support/netns.js';
import { jsonShape, maskData, statsKeys } from '../support/dump-compare.js';

const describeTier = tierDescribe('interop', netnsPrerequisites(['keepalived']));

const SIGJSON = 36;

function syncGroupConfig(dumpLines: readonly string[]): string {
  return [
    'global_defs {',
    '  router_id kts-interop',
    '  enable_script_security',
    '  script_user root',
    ...dumpLines,
    '}',
    'vrrp_script chk_ok {',
    '  script "/bin/true"',
    '  interval 1',
    '  timeout 2',
    '  weight -20',
    '}',
    'vrrp_script chk_bad {',
    '  script "/bin/false"',
    '  interval 1',
    '  timeout 2',
    '  fall 1',
    '}',
    'vrrp_instance VI_1 {',
    '  state MASTER',
    '  interface eth0',
    '  virtual_router_id 61',
    '  priority 150',
    '  advert_int 1',
    '  authentication {',
    '    auth_type PASS',
    '    auth_pass s3cret',
    '  }',
    '  virtual_ipaddress {',
    '    10.231.14.100/32',
    '    10.231.14.101/24 dev eth0 label eth0:1',
    '  }',
    '  virtual_ipaddress_excluded {',
    '    10.231.14.102/32',
    '  }',
    '  track_script {',
    '    chk_ok',
    '  }',
    '  notify_master "/bin/true master"',
    '}',
    'vrrp_instance VI_2 {',
    '  state BACKUP',
    '  interface eth0',
    '  virtual_router_id 62',
    '  priority 100',
    '  nopreempt',
    '  virtual_ipaddress {',
    '    10.231.14.110',
    '  }',
    '  track_script {',
    '    chk_bad',
    '  }',
    '}',
    'vrrp_sync_group G1 {',
    '  group {',
    '    VI_1',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** keepalived's parent prints the unresolved lower-priority GARP settings; keepalived-ts the resolved. */
const resolveParent = (lines: string[]): string[] =>
  lines.map((l) => l.replace(/(Gratuitous ARP lower priority (delay|repeat)) = 4294967295/, '$1 = 5'));

/**
 * Runs keepalived and keepalived-ts on `config` (its argument: the global_defs lines that give
 * keepalived-ts its dump paths), waits for `ready` in both outputs, signals both and compares.
 */
function comparePair(
  title: string,
  config: (dumpLines: readonly string[], shared: string) => string,
  ready: readonly RegExp[],
): void {
  describeTier(title, () => {
    let kaBed: Testbed;
    let tsBed: Testbed;
    let ka: Daemon;
    let ts: Daemon;
    let tsDir: string;

    const kaFile = (name: string): string => join(ka.runtimeDir, name);
    const tsFile = (name: string): string => join(tsDir, name);

    /** Sends `signum` to the daemon and waits until each of `paths` is (re)written. */
    const dump = async (d: Daemon, signum: number, paths: readonly string[]): Promise<void> => {
      const before = paths.map((p) => (existsSync(p) ? lstatSync(p).ino : -1));
      process.kill(d.child.pid!, signum);
      const deadline = Date.now() + 5000;
      while (paths.some((p, i) => !existsSync(p) || lstatSync(p).ino === before[i])) {
        if (Date.now() > deadline) throw new Error(`${d.name}: ${paths.join(', ')} not written`);
        await sleep(50);
      }
    };

    beforeAll(async () => {
      ensureBuilt();
      // Distinct first six characters: the veth pairs are named after them.
      kaBed = new Testbed('ktsdka');
      tsBed = new Testbed('ktsdts');
      const [kaHost] = kaBed.twoHosts('10.231.14');
      const [tsHost] = tsBed.twoHosts('10.231.14');
      // Files both configs name (track files) live here, so their paths print the same.
      const shared = join(kaBed.tempDir, 'shared');
      mkdirSync(shared, { recursive: true });
      ka = startKeepalived(kaBed, kaHost.ns, 'ka', config([], shared));
      tsDir = join(tsBed.tempDir, 'dumps');
      mkdirSync(tsDir, { recursive: true });
      ts = startKeepalivedTs(
        tsBed,
        tsHost.ns,
        'ts',
        config(
          [`  state_dump_file ${tsDir}/`, `  stats_dump_file ${tsDir}/`, `  json_dump_file ${tsDir}/`],
          shared,
        ),
      );
      for (const d of [ka, ts]) for (const re of ready) await d.lines.wait(re, 15_000);
      await sleep(1000);
      const data = ['keepalived.data', 'keepalived_parent.data'];
      await Promise.all([dump(ka, 10, data.map(kaFile)), dump(ts, 10, data.map(tsFile))]);
      await Promise.all([
        dump(ka, 12, [kaFile('keepalived.stats')]),
        dump(ts, 12, [tsFile('keepalived.stats')]),
      ]);
      await Promise.all([
        dump(ka, SIGJSON, [kaFile('keepalived.json')]),
        dump(ts, SIGJSON, [tsFile('keepalived.json')]),
      ]);
    }, 60_000);
    afterAll(async () => {
      for (const d of [ts, ka]) if (d !== undefined) await stopDaemon(d);
      tsBed?.destroy();
      kaBed?.destroy();
    });

    it('keepalived.data: the same lines in the same order, section by section', () => {
      const theirs = maskData(readFileSync(kaFile('keepalived.data'), 'utf8'));
      const ours = maskData(readFileSync(tsFile('keepalived.data'), 'utf8'));
      const headers = (l: string[]) => l.filter((x) => x.startsWith('------<'));
      expect(headers(ours)).toEqual(headers(theirs));
      expect(ours).toEqual(theirs);
    });

    it('keepalived_parent.data: the Global definitions, the same lines', () => {
      const theirs = resolveParent(maskData(readFileSync(kaFile('keepalived_parent.data'), 'utf8')));
      expect(maskData(readFileSync(tsFile('keepalived_parent.data'), 'utf8'))).toEqual(theirs);
    });

    it('keepalived.stats: the same lines, the counters aside', () => {
      const theirs = readFileSync(kaFile('keepalived.stats'), 'utf8');
      const ours = readFileSync(tsFile('keepalived.stats'), 'utf8');
      expect(statsKeys(ours)).toEqual(statsKeys(theirs));
      // Counters that do not depend on timing are equal.
      const fixed = (t: string) => t.split('\n').filter((l) => !/^ {4}(Received|Sent): /.test(l));
      expect(fixed(ours)).toEqual(fixed(theirs));
    });

    it('keepalived.json: the same keys in the same order with the same types, and the same config values', () => {
      type Entry = { data: Record<string, unknown>; stats: Record<string, unknown> };
      const theirs = JSON.parse(readFileSync(kaFile('keepalived.json'), 'utf8')) as Entry[];
      const ours = JSON.parse(readFileSync(tsFile('keepalived.json'), 'utf8')) as Entry[];
      expect(jsonShape(ours)).toEqual(jsonShape(theirs));
      const stable = (e: Entry) => ({
        data: { ...e.data, last_transition: 0 },
        stats: { ...e.stats, advert_sent: 0, advert_rcvd: 0 },
      });
      expect(ours.map(stable)).toEqual(theirs.map(stable));
    });
  });
}

comparePair('dump files: keepalived 2.2.7 and keepalived-ts, a sync group and scripts', syncGroupConfig, [
  /\(VI_1\) Entering MASTER STATE/,
  // keepalived puts VI_2 in FAULT at start without a line of its own.
  /VRRP_Script\(chk_bad\) failed/,
]);

/** Unicast with virtual routes, a track_file, a weighted track_interface, preempt_delay, notify. */
function unicastConfig(dumpLines: readonly string[], shared: string): string {
  writeFileSync(join(shared, 'tf.val'), '5\n');
  return [
    'global_defs {',
    '  router_id kts-interop-u',
    '  enable_script_security',
    '  script_user root',
    ...dumpLines,
    '}',
    'track_file tf1 {',
    `  file ${join(shared, 'tf.val')}`,
    '  weight 2',
    '}',
    'vrrp_instance VU {',
    '  state BACKUP',
    '  interface eth0',
    '  virtual_router_id 71',
    '  priority 120',
    '  advert_int 1',
    '  preempt_delay 2',
    '  unicast_src_ip 10.231.14.1',
    '  unicast_peer {',
    '    10.231.14.2',
    '  }',
    '  virtual_ipaddress {',
    '    10.231.14.150/24 dev eth0',
    '  }',
    '  virtual_routes {',
    '    10.250.0.0/16 via 10.231.14.254 dev eth0',
    '  }',
    '  track_interface {',
    '    lo weight 5',
    '  }',
    '  track_file {',
    '    tf1',
    '  }',
    '  notify "/bin/true"',
    '}',
    '',
  ].join('\n');
}

comparePair('dump files: keepalived 2.2.7 and keepalived-ts, unicast, routes, track_file', unicastConfig, [
  /\(VU\) Entering MASTER STATE/,
]);
