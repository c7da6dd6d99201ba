/**
 * VM tier: the writer against a real IPVS kernel, in one boot (guest: test/vm/guest/ipvs-scenarios.ts).
 *   first process:  every kind of service and destination (each scheduler the kernel has,
 *                   TCP/UDP/SCTP, fwmark v4/v6, persistence with granularity, NAT/DR/TUN with
 *                   ipip/gre/gue and checksum flags, a cross-family tunnel, weights 0..65535,
 *                   thresholds, IPv6), a no-change apply, schedulers the kernel lacks; then it
 *                   exits without a clean stop;
 *   shell:          `keepalived-ts ipvs` against `ipvsadm -Ln`; foreign services added by ipvsadm;
 *   second process: restart convergence (no op, no duplicate), one change of each kind,
 *                   removals, clean stop (ours gone, the foreign services intact).
 * After every step our rendering of our own dump must equal ipvsadm's output in four layouts,
 * and the assertions on content read ipvsadm's output, so they hold whatever our formatter does.
 * On failure the guest's complete output (with the writer's keepalived-style log lines) is attached.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, expect, it } from 'vitest';
import { tierDescribe } from '../support/tier.js';
import {
  bundleForVm,
  prepareVm,
  REPO_ROOT,
  runInVm,
  vmPrerequisites,
  type VmRunResult,
  guestSections,
} from './harness.js';

function existsOnHost(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const describeVm = tierDescribe('vm', [
  ...vmPrerequisites(),
  ...(existsOnHost('ipvsadm') ? [] : ['ipvsadm (apt ipvsadm)']),
]);

const ALL_SCHEDULERS = 'rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos';
const FORMATS = ['plain', 'thresholds', 'persistent-conn', 'tun-info'];
const FIRST_STEPS = ['start', 'again', 'missing', 'after-missing'];
const SECOND_STEPS = ['restart', 'change', 'change-again', 'remove', 'stop'];

/** Kernel release "6.1.0-56-amd64" -> [6, 1]. */
function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release.trim());
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** The lines of the foreign services (UDP 10.99.0.1:53 and FWM 99) and their destinations. */
function foreignBlock(table: string): string {
  const out: string[] = [];
  let inForeign = false;
  for (const line of table.split('\n')) {
    if (!line.startsWith('  ->')) inForeign = /^(UDP {2}10\.99\.0\.1:53 |FWM {2}99 )/.test(line);
    if (inForeign) out.push(line);
  }
  return out.join('\n');
}

/** Services and destinations listed by `ipvsadm -Ln` (header lines excluded). */
function counts(table: string): { services: number; dests: number } {
  const lines = table.split('\n').slice(3).filter(Boolean);
  const dests = lines.filter((l) => l.startsWith('  -> ')).length;
  return { services: lines.length - dests, dests };
}

describeVm('IPVS writer in the VM', () => {
  let run: VmRunResult;
  let out: Map<string, string>;
  let available: string[];
  let missing: string[];

  const section = (name: string): string => {
    const s = out.get(name);
    if (s === undefined) throw new Error(`guest printed no "### ${name}" section`);
    return s;
  };
  const summary = (step: string) =>
    JSON.parse(section(step).split('\n')[0]!) as { ops: number; failed: number };
  const ipvsadm = (step: string, format = 'plain') => section(`${step}-ipvsadm-${format}`);

  beforeAll(async () => {
    await prepareVm();
    const guest = await bundleForVm(`${REPO_ROOT}/test/vm/guest/ipvs-scenarios.ts`);
    const cli = await bundleForVm(`${REPO_ROOT}/src/main.ts`);
    const script = `
set -eu
echo '### kernel'; uname -r
avail=''; miss=''
for s in ${ALL_SCHEDULERS}; do
  if modprobe -q ip_vs_$s 2>/dev/null; then avail="$avail $s"; else miss="$miss $s"; fi
done
echo '### schedulers'; echo "$avail"; echo '### schedulers-missing'; echo "$miss"
export KTS_SCHEDULERS="$avail" KTS_MISSING="$miss"
node ${guest} first
echo '### cmd-ours'; node ${cli} ipvs
echo '### cmd-ipvsadm'; ipvsadm -Ln
ipvsadm -A -u 10.99.0.1:53 -s rr
ipvsadm -a -u 10.99.0.1:53 -r 10.99.1.1:53 -m -w 4
ipvsadm -A -f 99 -s wlc
echo '### foreign-added'; ipvsadm -Ln
node ${guest} second
`;
    run = await runInVm({ script, timeoutMs: 400_000 });
    out = guestSections(run.stdout);
    available = (out.get('schedulers') ?? '').trim().split(/\s+/).filter(Boolean);
    missing = (out.get('schedulers-missing') ?? '').trim().split(/\s+/).filter(Boolean);
  }, 600_000);

  /** Runs a check; on failure, appends the guest's whole output (the log lines included). */
  const withGuestOutput = (check: () => void) => () => {
    try {
      check();
    } catch (e) {
      if (e instanceof Error) {
        e.message +=
          `\n--- guest exit ${run.exitCode}; stdout:\n${run.stdout}\n--- guest stderr:\n${run.stderr.slice(-4000)}` +
          `\n--- console (tail):\n${run.log.split('\n').slice(-20).join('\n')}`;
      }
      throw e;
    }
  };

  it(
    'the guest ran both processes to the end',
    withGuestOutput(() => {
      expect(run.exitCode).toBe(0);
      for (const step of [...FIRST_STEPS, ...SECOND_STEPS]) expect(out.has(step), step).toBe(true);
    }),
  );

  it(
    'the kernel lacks exactly the schedulers that postdate it (twos: Linux 6.2)',
    withGuestOutput(() => {
      const [major, minor] = kernelVersion(section('kernel'));
      const hasTwos = major > 6 || (major === 6 && minor >= 2);
      expect(missing).toEqual(hasTwos ? [] : ['twos']);
      expect(available.length + missing.length).toBe(ALL_SCHEDULERS.split(' ').length);
    }),
  );

  it(
    'after every step our rendering of our own dump equals ipvsadm -Ln in four layouts',
    withGuestOutput(() => {
      for (const step of [...FIRST_STEPS, ...SECOND_STEPS])
        for (const f of FORMATS) expect(section(`${step}-ours-${f}`), `${step} ${f}`).toBe(ipvsadm(step, f));
      // `keepalived-ts ipvs` (the CLI, a separate process) too.
      expect(section('cmd-ours')).toBe(section('cmd-ipvsadm'));
    }),
  );

  it(
    'programs every kind of service and destination from an empty table',
    withGuestOutput(() => {
      const n = available.length;
      // services: one per scheduler + 7; destinations: 2 per scheduler + 13 (see tableA).
      expect(summary('start')).toEqual({ ops: 3 * n + 20, failed: 0 });
      expect(section('start-log').trim()).toBe('');
      const plain = ipvsadm('start');
      expect(counts(plain)).toEqual({ services: n + 7, dests: 2 * n + 13 });
      available.forEach((s, i) => expect(plain).toContain(`TCP  10.10.0.1:${1000 + i} ${s}\n`));
      expect(plain).toContain('UDP  10.10.0.1:53 rr ops\n');
      expect(plain).toMatch(/\n {2}-> 192\.168\.50\.33:5353 +Masq +0 /);
      expect(plain).toMatch(/\nSCTP 10\.10\.0\.1:5060 wlc\n {2}-> 192\.168\.50\.4:5060 +Route +1 /);
      expect(plain).toContain('TCP  10.10.0.1:443 wlc persistent 300 mask 255.255.255.0\n');
      expect(plain).toMatch(/\n {2}-> 192\.168\.50\.5:443 +Route +65535 /);
      expect(plain).toContain('TCP  10.10.0.1:8443 mh (mh-fallback,mh-port)\n');
      expect(plain).toContain('FWM  7 sh (sh-fallback,sh-port)\n');
      expect(plain).toContain('FWM  8 IPv6 rr persistent 120 mask 48\n');
      expect(plain).toMatch(/\n {2}-> \[2001:db8::30\]:0 +Route +0 /);
      expect(plain).toContain('TCP  [2001:db8::1]:80 wlc persistent 60 mask 64\n');
      expect(plain).toMatch(/\n {2}-> \[2001:db8::11\]:80 +Route +1 /);
      const thresholds = ipvsadm('start', 'thresholds');
      expect(thresholds).toMatch(/\n {2}-> \[2001:db8::10\]:8080 +100 +10 /);
      expect(thresholds).toMatch(/\n {2}-> 192\.168\.50\.55:8080 +500 +50 /);
      const tun = ipvsadm('start', 'tun-info');
      expect(tun).toMatch(/\n {2}-> 192\.168\.50\.6:0 +Tunnel +ipip +1 /);
      expect(tun).toMatch(/\n {2}-> 192\.168\.50\.7:0 +Tunnel +gre:\+c +1 /);
      expect(tun).toMatch(/\n {2}-> 192\.168\.50\.8:0 +Tunnel +gue:6080:r\+c +1 /);
      expect(tun).toMatch(/\n {2}-> \[2001:db8::20\]:0 +Tunnel +ipip +2 /);
      expect(tun).toMatch(/\n {2}-> 192\.168\.50\.10:8443 +Tunnel +ipip +1 /);
      // Our decoding of the same attributes (TUN_TYPE u8, TUN_PORT be16, TUN_FLAGS u16).
      expect(JSON.parse(section('start-tunnels'))).toEqual({
        '8443/192.168.50.10': { type: 'ipip', port: 0, flags: 0 },
        'fwm7/192.168.50.6': { type: 'ipip', port: 0, flags: 0 },
        'fwm7/192.168.50.7': { type: 'gre', port: 0, flags: 1 },
        'fwm7/192.168.50.8': { type: 'gue', port: 6080, flags: 2 },
        'fwm7/2001:db8::20': { type: 'ipip', port: 0, flags: 0 },
      });
    }),
  );

  it(
    'a no-change apply sends nothing',
    withGuestOutput(() => {
      expect(summary('again')).toEqual({ ops: 0, failed: 0 });
      expect(section('again-log').trim()).toBe('');
      expect(ipvsadm('again')).toBe(ipvsadm('start'));
    }),
  );

  it(
    'a scheduler the kernel lacks is refused and logged with keepalived wording, nothing else changes',
    withGuestOutput(() => {
      const absent = [...missing, 'kts-nosuch'];
      expect(summary('missing')).toEqual({ ops: 2 * absent.length, failed: 2 * absent.length });
      const expected = absent.flatMap((_, i) => [
        `IPVS cmd IP_VS_SO_SET_ADD(1154) error: Scheduler or persistence engine not found(2) (10.10.0.1:tcp:${2000 + i})`,
        `IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Service not defined(3) (10.10.0.1:tcp:${2000 + i} -> 192.168.51.1:8080)`,
      ]);
      expect(section('missing-log').trim().split('\n').sort()).toEqual(expected.sort());
      expect(ipvsadm('missing')).toBe(ipvsadm('start'));
      expect(summary('after-missing')).toEqual({ ops: 0, failed: 0 });
      expect(section('after-missing-log').trim()).toBe('');
    }),
  );

  it(
    'a restarted writer converges on the table it left without an op or a duplicate',
    withGuestOutput(() => {
      expect(summary('restart')).toEqual({ ops: 0, failed: 0 });
      expect(ipvsadm('restart')).toBe(section('foreign-added'));
      const n = available.length;
      expect(counts(ipvsadm('restart'))).toEqual({ services: n + 9, dests: 2 * n + 14 });
    }),
  );

  it(
    'one change of each kind costs one op each, and the foreign services are untouched',
    withGuestOutput(() => {
      // sched-rr scheduler, sched-wrr weight, sched-lc -.2 +.9, persist timeout+mask, v6 thresholds,
      // fwm tunnel gre -> gue, new service + its destination: 9.
      expect(summary('change')).toEqual({ ops: 9, failed: 0 });
      expect(section('change-log').trim()).toBe('');
      const plain = ipvsadm('change');
      expect(plain).toMatch(/\nTCP {2}10\.10\.0\.1:1000 wrr\n/);
      expect(plain).toMatch(/\nTCP {2}10\.10\.0\.1:1001 wrr\n.*\n {2}-> 192\.168\.50\.2:8080 +Masq +7 /);
      expect(plain).toMatch(
        /\nTCP {2}10\.10\.0\.1:1002 lc\n {2}-> 192\.168\.50\.1:8080 .*\n {2}-> 192\.168\.50\.9:8080 +Masq +1 .*\nTCP/,
      );
      expect(plain).toContain('TCP  10.10.0.1:443 wlc persistent 600 mask 255.255.0.0\n');
      expect(plain).toMatch(/\nTCP {2}10\.10\.0\.2:80 wlc\n {2}-> 192\.168\.60\.1:8080 +Masq +1 /);
      expect(ipvsadm('change', 'thresholds')).toMatch(/\n {2}-> \[2001:db8::10\]:8080 +200 +20 /);
      expect(ipvsadm('change', 'tun-info')).toMatch(/\n {2}-> 192\.168\.50\.7:0 +Tunnel +gue:7080:-c +1 /);
      expect(JSON.parse(section('change-tunnels'))['fwm7/192.168.50.7']).toEqual({
        type: 'gue',
        port: 7080,
        flags: 0,
      });
      const foreign = foreignBlock(section('foreign-added'));
      expect(foreign.split('\n')).toHaveLength(3);
      for (const step of SECOND_STEPS) expect(foreignBlock(ipvsadm(step)), step).toBe(foreign);
      expect(summary('change-again')).toEqual({ ops: 0, failed: 0 });
    }),
  );

  it(
    'removing services from the configuration deletes them, and a clean stop removes only ours',
    withGuestOutput(() => {
      expect(summary('remove')).toEqual({ ops: 2, failed: 0 });
      expect(ipvsadm('remove')).not.toContain('10.10.0.1:53');
      expect(ipvsadm('remove')).not.toContain('10.10.0.1:5060');
      const n = available.length;
      // services n + 6 (incl. the new one), destinations 2n + 11: deleted one by one.
      expect(summary('stop')).toEqual({ ops: 3 * n + 17, failed: 0 });
      const stopped = ipvsadm('stop').split('\n');
      expect(stopped.slice(3).join('\n')).toBe(foreignBlock(section('foreign-added')) + '\n');
      for (const step of SECOND_STEPS) expect(section(`${step}-log`).trim(), step).toBe('');
    }),
  );
});
