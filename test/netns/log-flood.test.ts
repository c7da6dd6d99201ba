/**
 * Root tier: a sender in another namespace floods a MASTER (priority 150) with malformed and
 * mutated adverts (test/netns/harness/vrrp-flood.ts: truncations, bad checksums, wrong TTL,
 * version, type, auth type and password, advert interval, another VRID, lower priorities, one-byte
 * datagrams). First paced, where every packet must be counted under its kind; then for 20 s at
 * the highest rate the machine manages. The master stays alive and MASTER, keeps its adverts on
 * time (captured on the sender's side), answers the lower-priority adverts at a bounded rate,
 * writes far fewer lines than the goal (2,000 for 300,000 packets), and every packet that reached
 * its socket is accounted for by the counters and the suppressed-line counts. A valid
 * higher-priority advert afterwards still makes it BACKUP. With keepalived installed, the same
 * flood against keepalived 2.2.7 gives its figures beside ours.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from '../../src/daemon/control-client.js';
import { encodeAdvert, passwordAuthData } from '../../src/vrrp/packet.js';
import {
  bundleHarness,
  ensureBuilt,
  hasCommand,
  LineCollector,
  netnsPrerequisites,
  nsExec,
  REPO_ROOT,
  sleep,
  startKeepalived,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';
import { tierDescribe, tierIt } from '../support/tier.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['tcpdump']));
const withKeepalived = tierIt('netns (keepalived reference)', hasCommand('keepalived') ? [] : ['keepalived']);

const VRID = 51;
const PASSWORD = 'floodpw';
const PREFIX = '10.231.41';
const VIP = `${PREFIX}.100`;
const FLOOD_MS = 20_000;
/** A rate the BACKUP's socket takes whole on the CI machine (the MASTER's paced phase runs at 5,000). */
const PACED_PPS = 10_000;
/** The goal: 300,000 malformed adverts leave fewer than 2,000 log lines. */
const GOAL_LINES = 2000;
const GOAL_PACKETS = 300_000;
/** util/rate-limited-log.ts DEFAULT_LOG_RATE_LIMIT.quietMs, plus a margin: the last summaries. */
const SUMMARY_WAIT_MS = 6000;

/** The counter each kind moves on the master; null: no instance can be told (not counted). */
const COUNTER_OF: Record<string, string | null> = {
  'truncated-header': 'packet_len_err',
  'truncated-auth': 'packet_len_err',
  'bad-checksum': 'chk_err',
  'wrong-ttl': 'ip_ttl_err',
  'wrong-version': 'vers_err',
  'wrong-type': 'invalid_type_rcvd',
  'bad-auth-type': 'invalid_authtype',
  'auth-type-mismatch': 'authtype_mismatch',
  'wrong-password': 'auth_failure',
  'wrong-advert-interval': 'advert_interval_err',
  'lower-priority': 'advert_rcvd',
  'other-vrid': null,
  'one-byte': null,
};
const COUNTERS = [...new Set(Object.values(COUNTER_OF).filter((c): c is string => c !== null))];

/** The kernel's drop count of a namespace's protocol-112 sockets (/proc/net/raw, last column). */
function socketDrops(ns: string): number {
  return nsExec(ns, 'cat', ['/proc/net/raw'])
    .split('\n')
    .slice(1)
    .filter((l) => / [0-9A-F]{8}:0070 /.test(l))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/).at(-1)), 0);
}

interface FloodResult {
  readonly sent: Record<string, number>;
  readonly failed: Record<string, number>;
  readonly total: number;
  readonly elapsedMs: number;
  readonly rate: number;
}

const config = (withUnknownVrids: boolean): string =>
  [
    ...(withUnknownVrids ? ['global_defs {', '  log_unknown_vrids', '}'] : []),
    'vrrp_instance VI_1 {',
    '  state MASTER',
    '  interface eth0',
    `  virtual_router_id ${VRID}`,
    '  priority 150',
    '  advert_int 1',
    '  authentication {',
    '    auth_type PASS',
    `    auth_pass ${PASSWORD}`,
    '  }',
    '  virtual_ipaddress {',
    `    ${VIP}/24`,
    '  }',
    '}',
    '',
  ].join('\n');

describeTier('log floods', () => {
  let bed: Testbed;
  let master: Host;
  let peer: Host;
  let d: Daemon;
  let floodScript: string;
  let netTool: string;

  const counters = async (): Promise<Record<string, number>> => {
    const reply = await request(join(d.runtimeDir, 'control.sock'), { cmd: 'status' }, 10_000);
    if (!reply.ok) throw new Error(`status: ${reply.error.message}`);
    const status = reply.result as {
      vrrp: { instances: { state: string; counters: Record<string, number> }[] };
    };
    return { ...status.vrrp.instances[0]!.counters };
  };
  const state = async (): Promise<string> => {
    const reply = await request(join(d.runtimeDir, 'control.sock'), { cmd: 'status' }, 10_000);
    if (!reply.ok) throw new Error(`status: ${reply.error.message}`);
    return (reply.result as { vrrp: { instances: { state: string }[] } }).vrrp.instances[0]!.state;
  };

  const flood = async (args: readonly string[]): Promise<FloodResult> => {
    const child = bed.spawnIn(peer.ns, process.execPath, [
      floodScript,
      'eth0',
      String(VRID),
      PASSWORD,
      VIP,
      ...args,
    ]);
    const lines = new LineCollector(child);
    const i = await lines.wait(/"kind":"done"/, FLOOD_MS + 30_000);
    return JSON.parse(lines.lines[i]!.text) as FloodResult;
  };

  /** The master's adverts the sender's side saw, as epoch seconds (tcpdump -tt, kernel time). */
  const capture = (): { stop: () => Promise<number[]> } => {
    const child = bed.spawnIn(peer.ns, 'tcpdump', [
      '-i',
      'eth0',
      '-n',
      '-tt',
      '-l',
      '-Q',
      'in',
      `ip proto 112 and src host ${master.address}`,
    ]);
    const lines = new LineCollector(child);
    return {
      stop: async () => {
        await sleep(200);
        child.kill('SIGINT');
        await new Promise((r) => child.once('exit', r));
        return lines.lines
          .map((l) => Number(l.text.split(' ')[0]))
          .filter((t) => Number.isFinite(t) && t > 0);
      },
    };
  };

  /** Lines written (and lines reported suppressed) of the daemon's output from index `from`. */
  const linesMatching = (from: number, re: RegExp): { written: number; suppressed: number } => {
    let written = 0;
    let suppressed = 0;
    for (const line of d.lines.lines.slice(from)) {
      // Without the console timestamp (`Tue Dec  1 23:28:39 2026: `).
      const text = line.text.replace(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: /, '');
      const summary = /^(\d+) similar messages? suppressed, last: (.*)$/.exec(text);
      if (summary !== null) {
        if (re.test(summary[2]!)) suppressed += Number(summary[1]);
      } else if (re.test(text)) {
        written++;
      }
    }
    return { written, suppressed };
  };

  beforeAll(async () => {
    ensureBuilt();
    floodScript = await bundleHarness(join(REPO_ROOT, 'test/netns/harness/vrrp-flood.ts'), 'vrrp-flood');
    netTool = await bundleHarness(join(REPO_ROOT, 'test/netns/harness/net-tool.ts'), 'net-tool');
    bed = new Testbed('kts-flood');
    [master, peer] = bed.twoHosts(PREFIX);
    d = startKeepalivedTs(bed, master.ns, 'master', config(true));
    await d.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
  }, 60_000);
  afterAll(async () => {
    if (d !== undefined) await stopDaemon(d);
    bed?.destroy();
  });

  let startCounters: Record<string, number>;
  let startDrops: number;
  let startLine: number;
  const allSent: Record<string, number> = Object.fromEntries(Object.keys(COUNTER_OF).map((k) => [k, 0]));
  const addSent = (r: FloodResult): void => {
    for (const [k, n] of Object.entries(r.sent)) allSent[k] = (allSent[k] ?? 0) + n;
  };

  it('counts every packet of a paced flood under its kind', async () => {
    startCounters = await counters();
    startDrops = socketDrops(master.ns);
    startLine = d.lines.lines.length;
    const paced = await flood([String(FLOOD_MS * 3), '5000', '400']);
    addSent(paced);
    expect(paced.failed).toEqual({});
    expect(Object.values(paced.sent)).toEqual(Object.keys(COUNTER_OF).map(() => 400));
    await sleep(500);
    // At 5,000 packets a second the socket keeps up; what follows holds only if it dropped nothing.
    expect(socketDrops(master.ns) - startDrops).toBe(0);
    const now = await counters();
    for (const counter of COUNTERS) {
      const expected = Object.entries(COUNTER_OF)
        .filter(([, c]) => c === counter)
        .reduce((sum, [kind]) => sum + paced.sent[kind]!, 0);
      expect(now[counter]! - startCounters[counter]!, counter).toBe(expected);
    }
    // Not one address-list or VRID error: each mutation fails exactly the check it targets.
    expect(now['addr_list_err']! - startCounters['addr_list_err']!).toBe(0);
    expect(now['pri_zero_rcvd']! - startCounters['pri_zero_rcvd']!).toBe(0);
    expect(await state()).toBe('MASTER');
  }, 60_000);

  it(`survives ${FLOOD_MS / 1000} s at full rate: MASTER, adverts on time, answers bounded, few lines, exact accounting`, async () => {
    const before = await counters();
    const floodLine = d.lines.lines.length;
    const cap = capture();
    await sleep(1500);
    const floodStartedAt = Date.now() / 1000;
    const full = await flood([String(FLOOD_MS)]);
    const floodEndedAt = Date.now() / 1000;
    addSent(full);
    await sleep(1500);
    const adverts = await cap.stop();
    expect(full.failed).toEqual({});
    expect(d.child.exitCode).toBeNull();
    expect(await state()).toBe('MASTER');

    // On time: no gap between two of its adverts much beyond advert_int (the backup's
    // Master_Down_Interval is about 3.6 s; keepalived's own jitter is a few ms).
    const during = adverts.filter((t) => t >= floodStartedAt - 1 && t <= floodEndedAt + 1);
    const gaps = during.slice(1).map((t, i) => t - during[i]!);
    expect(Math.max(...gaps)).toBeLessThan(1.3);

    // Answers bounded (state-machine.ts ANSWER_BUCKET: 3, then one a second) on top of the
    // one-a-second schedule, while the flood carried tens of thousands of lower-priority adverts.
    const after = await counters();
    const seconds = full.elapsedMs / 1000;
    const sent = after['advert_sent']! - before['advert_sent']!;
    expect(sent).toBeLessThanOrEqual(Math.ceil(seconds + 3) * 2 + 3);
    const suppressed = after['advert_answer_suppressed']! - before['advert_answer_suppressed']!;
    const lowerReceived = after['advert_rcvd']! - before['advert_rcvd']!;
    expect(suppressed).toBeGreaterThan(0);
    expect(lowerReceived - suppressed).toBeLessThanOrEqual(3 + Math.ceil(seconds) + 1);

    await sleep(SUMMARY_WAIT_MS);
    const lines = d.lines.lines.length - floodLine;
    const goal = Math.round((GOAL_LINES * Math.min(full.total, GOAL_PACKETS)) / GOAL_PACKETS);
    console.log(
      `flood: ${full.total} packets in ${full.elapsedMs} ms (${full.rate}/s), ` +
        `${socketDrops(master.ns) - startDrops} dropped by the kernel at the socket, ` +
        `${lines} log lines (goal < ${goal}), ${during.length} adverts of the master, ` +
        `largest gap ${Math.max(...gaps).toFixed(3)} s, ${suppressed} answers suppressed`,
    );
    expect(lines).toBeLessThan(goal);

    // Every packet that reached the socket is accounted for, since the first test: by the
    // counters of its kind, or, for those no instance can be told, by the lines written plus
    // the ones the summaries report suppressed.
    const drops = socketDrops(master.ns) - startDrops;
    const total = Object.values(allSent).reduce((a, b) => a + b, 0);
    const counted = COUNTERS.reduce((sum, c) => sum + after[c]! - startCounters[c]!, 0);
    const unknown = linesMatching(startLine, /^Unknown VRID\(52\) received on interface\(eth0\)/);
    const tooShort = linesMatching(startLine, /^IPv4 VRRP packet too short - 21 bytes$/);
    expect(counted + unknown.written + unknown.suppressed + tooShort.written + tooShort.suppressed).toBe(
      total - drops,
    );
    // And no kind is counted more often than it was sent.
    for (const counter of COUNTERS) {
      const sentOfKind = Object.entries(COUNTER_OF)
        .filter(([, c]) => c === counter)
        .reduce((sum, [kind]) => sum + allSent[kind]!, 0);
      expect(after[counter]! - startCounters[counter]!, counter).toBeLessThanOrEqual(sentOfKind);
    }
  }, 90_000);

  it('still becomes BACKUP on a valid higher-priority advert afterwards', async () => {
    const advert = encodeAdvert({
      version: 2,
      type: 1,
      vrid: VRID,
      priority: 200,
      authType: 1,
      advertInt: 1,
      addresses: [VIP],
      authData: passwordAuthData(PASSWORD),
    });
    const from = d.lines.lines.length;
    nsExec(peer.ns, process.execPath, [
      netTool,
      'send',
      'eth0',
      '-',
      '224.0.0.18',
      advert.toString('hex'),
      '224.0.0.18',
    ]);
    await d.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 5000, from);
    await waitFor(() => !bed.hasAddress(master.ns, VIP), 5000, 'VIP removed');
  }, 30_000);

  withKeepalived(
    'keepalived 2.2.7 under the same flood, for comparison (figures only)',
    async () => {
      const ref = new Testbed('kts-fref');
      try {
        const [m, p] = ref.twoHosts('10.231.42');
        const k = startKeepalived(ref, m.ns, 'ka', config(true).replaceAll(PREFIX, '10.231.42'));
        await k.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
        await sleep(1000);
        const from = k.lines.lines.length;
        const child = ref.spawnIn(p.ns, process.execPath, [
          floodScript,
          'eth0',
          String(VRID),
          PASSWORD,
          '10.231.42.100',
          String(FLOOD_MS),
        ]);
        const out = new LineCollector(child);
        const i = await out.wait(/"kind":"done"/, FLOOD_MS + 30_000);
        const result = JSON.parse(out.lines[i]!.text) as FloodResult;
        await sleep(SUMMARY_WAIT_MS);
        const drops = socketDrops(m.ns);
        console.log(
          `keepalived 2.2.7, same flood: ${result.total} packets in ${result.elapsedMs} ms, ` +
            `${drops} dropped by the kernel at its sockets, ${k.lines.lines.length - from} log lines`,
        );
        expect(k.child.exitCode).toBeNull();
        await stopDaemon(k);
      } finally {
        ref.destroy();
      }
    },
    90_000,
  );
});

/**
 * The same flood at a BACKUP (priority 120) whose real MASTER (150) lives on the same segment:
 * the flood reaches both. The backup must count every packet of the paced flood under its kind,
 * stay BACKUP through the full-rate flood (the master's adverts still reach it among the flood's),
 * the VIP only ever on the master, and still take over once the master is gone.
 */
describeTier('log floods at a BACKUP', () => {
  const BPREFIX = '10.231.44';
  const BVIP = `${BPREFIX}.100`;
  let bed: Testbed;
  let hosts: Host[];
  let master: Daemon;
  let backup: Daemon;
  let floodScript: string;

  const instance = (state: 'MASTER' | 'BACKUP', priority: number): string =>
    [
      'vrrp_instance VI_1 {',
      `  state ${state}`,
      '  interface eth0',
      `  virtual_router_id ${VRID}`,
      `  priority ${priority}`,
      '  advert_int 1',
      '  authentication {',
      '    auth_type PASS',
      `    auth_pass ${PASSWORD}`,
      '  }',
      '  virtual_ipaddress {',
      `    ${BVIP}/24`,
      '  }',
      '}',
      '',
    ].join('\n');

  const countersOf = async (d: Daemon): Promise<{ state: string; counters: Record<string, number> }> => {
    const reply = await request(join(d.runtimeDir, 'control.sock'), { cmd: 'status' }, 10_000);
    if (!reply.ok) throw new Error(`status: ${reply.error.message}`);
    const i = (reply.result as { vrrp: { instances: { state: string; counters: Record<string, number> }[] } })
      .vrrp.instances[0]!;
    return { state: i.state, counters: { ...i.counters } };
  };

  const flood = async (args: readonly string[]): Promise<FloodResult> => {
    const child = bed.spawnIn(hosts[2]!.ns, process.execPath, [
      floodScript,
      'eth0',
      String(VRID),
      PASSWORD,
      BVIP,
      ...args,
    ]);
    const lines = new LineCollector(child);
    const i = await lines.wait(/"kind":"done"/, FLOOD_MS + 30_000);
    return JSON.parse(lines.lines[i]!.text) as FloodResult;
  };

  beforeAll(async () => {
    ensureBuilt();
    floodScript = await bundleHarness(join(REPO_ROOT, 'test/netns/harness/vrrp-flood.ts'), 'vrrp-flood');
    bed = new Testbed('kts-bflood');
    hosts = bed.bridgedHosts(BPREFIX, ['m', 'b', 'f']);
    master = startKeepalivedTs(bed, hosts[0]!.ns, 'master', instance('MASTER', 150));
    await master.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
    backup = startKeepalivedTs(bed, hosts[1]!.ns, 'backup', instance('BACKUP', 120));
    await backup.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 15_000);
    await sleep(2000);
  }, 60_000);
  afterAll(async () => {
    for (const d of [master, backup]) if (d !== undefined) await stopDaemon(d);
    bed?.destroy();
  });

  it('counts every packet of a paced flood under its kind', async () => {
    const before = await countersOf(backup);
    const masterBefore = await countersOf(master);
    const paced = await flood([String(FLOOD_MS * 3), '5000', '400']);
    expect(paced.failed).toEqual({});
    await sleep(500);
    const after = await countersOf(backup);
    const masterAfter = await countersOf(master);
    // What the master sent meanwhile (its schedule and its answers to the lower priorities) is
    // received by the backup too, and counted as received adverts.
    const fromMaster = masterAfter.counters['advert_sent']! - masterBefore.counters['advert_sent']!;
    for (const counter of COUNTERS) {
      const expected = Object.entries(COUNTER_OF)
        .filter(([, c]) => c === counter)
        .reduce((sum, [kind]) => sum + paced.sent[kind]!, 0);
      const got = after.counters[counter]! - before.counters[counter]!;
      if (counter === 'advert_rcvd') {
        // One of the master's adverts may fall either side of a reading.
        expect(Math.abs(got - expected - fromMaster), counter).toBeLessThanOrEqual(1);
      } else expect(got, counter).toBe(expected);
    }
    expect(after.state).toBe('BACKUP');
  }, 60_000);

  /** Samples every 500 ms whether the backup holds the VIP. */
  const sampleVip = (): { stop: () => { samples: number; onBackup: number } } => {
    let samples = 0;
    let onBackup = 0;
    const timer = setInterval(() => {
      samples++;
      if (bed.hasAddress(hosts[1]!.ns, BVIP)) onBackup++;
    }, 500);
    return {
      stop: () => {
        clearInterval(timer);
        return { samples, onBackup };
      },
    };
  };

  it(
    `stays BACKUP through ${FLOOD_MS / 1000} s of a flood its socket takes whole (${PACED_PPS.toLocaleString('en')} a second), the VIP only on the master`,
    async () => {
      const from = backup.lines.lines.length;
      const drops = socketDrops(hosts[1]!.ns);
      const vip = sampleVip();
      let seen = { samples: 0, onBackup: 0 };
      let paced: FloodResult;
      try {
        paced = await flood([String(FLOOD_MS), String(PACED_PPS), '100000000']);
      } finally {
        seen = vip.stop();
      }
      await sleep(SUMMARY_WAIT_MS);
      const lines = backup.lines.lines.length - from;
      const dropped = socketDrops(hosts[1]!.ns) - drops;
      console.log(
        `paced flood at a BACKUP: ${paced.total} packets in ${paced.elapsedMs} ms (${paced.rate}/s), ` +
          `${dropped} dropped at its socket, ${lines} log lines, VIP on the backup in ${seen.onBackup} of ${seen.samples} samples`,
      );
      expect(paced.failed).toEqual({});
      expect(paced.elapsedMs).toBeGreaterThanOrEqual(FLOOD_MS - 500);
      // The premise: every packet, the master's adverts among them, reached the daemon.
      expect(dropped).toBe(0);
      expect(backup.child.exitCode).toBeNull();
      expect(backup.lines.find(/\(VI_1\) Entering MASTER STATE/, from)).toBe(-1);
      expect((await countersOf(backup)).state).toBe('BACKUP');
      expect((await countersOf(master)).state).toBe('MASTER');
      expect(seen.samples).toBeGreaterThan(FLOOD_MS / 1000);
      expect(seen.onBackup).toBe(0);
      expect(lines).toBeLessThan(GOAL_LINES);
    },
    FLOOD_MS + 60_000,
  );

  it(
    `under ${FLOOD_MS / 1000} s at full rate (beyond what a socket takes): alive, and one MASTER, the real one, once the flood ends; then the backup takes over when the master goes`,
    async () => {
      const from = backup.lines.lines.length;
      const drops = socketDrops(hosts[1]!.ns);
      const vip = sampleVip();
      let seen = { samples: 0, onBackup: 0 };
      let full: FloodResult;
      try {
        full = await flood([String(FLOOD_MS)]);
      } finally {
        seen = vip.stop();
      }
      const endedAt = Date.now();
      const dropped = socketDrops(hosts[1]!.ns) - drops;
      // At full rate the kernel drops packets at the backup's socket, the master's adverts among
      // them, at random: three lost in a row and a backup takes over (keepalived's too, the
      // same socket). What must hold is that it ends: the master (150) preempts at its next
      // advert, so one MASTER within Master_Down_Interval + 1 s of the flood's end.
      await waitFor(
        () => !bed.hasAddress(hosts[1]!.ns, BVIP) && bed.hasAddress(hosts[0]!.ns, BVIP),
        4610,
        'the VIP on the master only',
      );
      const settledMs = Date.now() - endedAt;
      expect((await countersOf(backup)).state).toBe('BACKUP');
      expect((await countersOf(master)).state).toBe('MASTER');
      const takeovers = backup.lines.lines
        .slice(from)
        .filter((l) => /\(VI_1\) Entering MASTER STATE/.test(l.text)).length;
      await sleep(SUMMARY_WAIT_MS);
      const lines = backup.lines.lines.length - from;
      console.log(
        `full-rate flood at a BACKUP: ${full.total} packets in ${full.elapsedMs} ms (${full.rate}/s), ` +
          `${dropped} dropped at its socket, ${takeovers} takeovers, VIP on the backup in ${seen.onBackup} ` +
          `of ${seen.samples} samples, settled ${settledMs} ms after the flood, ${lines} log lines`,
      );
      expect(full.failed).toEqual({});
      expect(backup.child.exitCode).toBeNull();
      expect(master.child.exitCode).toBeNull();
      expect(lines).toBeLessThan(
        Math.round((GOAL_LINES * Math.min(full.total, GOAL_PACKETS)) / GOAL_PACKETS) + 20 * takeovers,
      );

      // Still listening: the master stops (priority 0 advert), the backup takes over at once.
      const before = backup.lines.lines.length;
      const stoppedAt = Date.now();
      await stopDaemon(master);
      await backup.lines.wait(/\(VI_1\) Entering MASTER STATE/, 5000, before);
      expect(Date.now() - stoppedAt).toBeLessThan(5000);
      await waitFor(() => bed.hasAddress(hosts[1]!.ns, BVIP), 3000, 'VIP on the new master');
    },
    FLOOD_MS + 60_000,
  );
});
