/**
 * Interop tier: the chaos matrix's split brain (docs/reliability.md "Chaos matrix") with
 * keepalived 2.2.7 as the peer. keepalived-ts and keepalived share one VRID on a veth pair; the
 * higher priority (150, `state MASTER`) is always at a (10.231.67.1), the lower (100, `BACKUP`)
 * at b (10.231.67.2), each implementation once on each side. nftables drops IP protocol 112 on
 * input in both namespaces for 10 s: the backup takes over Master_Down_Interval after the last
 * advert it heard and both hold the VIP; the rule removed, the higher one is the only MASTER
 * within Master_Down_Interval + 1 s and the lower one logs keepalived's words going back to
 * BACKUP. keepalived is the reference: keepalived-ts's election lines for the same event must be
 * the same word for word. tcpdump in a's namespace sees every advert (before the input hook);
 * `ip -ts monitor address` in each namespace stamps the VIP's comings and goings, which gives
 * the time to one MASTER after the heal independently of the 50 ms polls.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { request } from '../../src/daemon/control-client.js';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  LineCollector,
  netnsPrerequisites,
  nsExec,
  sleep,
  startKeepalived,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('interop', netnsPrerequisites(['keepalived', 'tcpdump', 'nft']));

const PREFIX = '10.231.67';
const VIP = `${PREFIX}.100`;
const VRID = 67;
const HIGH = 150;
const LOW = 100;
/** Master_Down_Interval (RFC 3768): 3 x advert_int + Skew_Time, Skew_Time = (256 - priority) / 256 s. */
const mdiMs = (priority: number): number => 3000 + ((256 - priority) * 1000) / 256;
/** The chaos matrix's bound: the backup's Master_Down_Interval + 1 s after the heal. */
const LIMIT_MS = mdiMs(LOW) + 1000;
const SPLIT_MS = 10_000;
const TABLE = 'sbk';

type Impl = 'ts' | 'ka';

interface Side {
  readonly impl: Impl;
  readonly host: Host;
  readonly daemon: Daemon;
}

interface Observation {
  readonly at: number;
  readonly high: string;
  readonly low: string;
  readonly highVip: boolean;
  readonly lowVip: boolean;
}

interface Advert {
  /** Epoch milliseconds (tcpdump -tt). */
  readonly t: number;
  readonly src: string;
  readonly prio: number;
}

/** One run's election lines and figures, for the comparison between the two runs. */
interface Result {
  /** The lower one's election lines from the cut on. */
  readonly low: string[];
  /** The higher one's election lines from the cut on. */
  readonly high: string[];
  /** Whether the lower one's advert was the first on the wire after the heal. */
  readonly lowSpokeFirst: boolean;
}

const ELECTION =
  /Receive advertisement timeout|Master received|Received advert|Backup received|Entering \w+ STATE|CONFIGURATION ERROR/;

/** The instance's election lines from index `from`, from `(VI_1)` on (no log prefix). */
const electionLines = (d: Daemon, from: number): string[] =>
  d.lines.lines
    .slice(from)
    .map((l) => /\(VI_1\) .*/.exec(l.text)?.[0] ?? '')
    .filter((t) => ELECTION.test(t));

const lastEntered = (d: Daemon): string => {
  const entered = d.lines.lines.filter((l) => /\(VI_1\) Entering \w+ STATE/.test(l.text)).at(-1);
  return /Entering (\w+) STATE/.exec(entered?.text ?? '')?.[1] ?? 'INIT';
};

/** The state of the first instance in a `status` reply's result (a typed read of the JSON). */
const instanceState = (result: unknown): string => {
  if (typeof result !== 'object' || result === null || !('vrrp' in result)) return 'NONE';
  const vrrp = result.vrrp;
  if (typeof vrrp !== 'object' || vrrp === null || !('instances' in vrrp)) return 'NONE';
  const instances = vrrp.instances;
  if (!Array.isArray(instances)) return 'NONE';
  const first: unknown = instances[0];
  if (typeof first !== 'object' || first === null || !('state' in first)) return 'NONE';
  return typeof first.state === 'string' ? first.state : 'NONE';
};

/** Epoch milliseconds of a performance.now() reading (tcpdump stamps frames with the wall clock). */
const epoch = (perfMs: number): number => Date.now() - (performance.now() - perfMs);

describeTier('split brain with keepalived 2.2.7 as the peer', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  let wire: LineCollector;
  /** `ip -ts monitor address` in each namespace: when the kernel added or deleted an address. */
  const monitors = new Map<string, LineCollector>();
  let seq = 0;
  const running: Daemon[] = [];
  const results = new Map<string, Result>();
  const figures: Record<string, unknown>[] = [];

  const start = (impl: Impl, host: Host, priority: number): Side => {
    const text = vrrpConfig({
      state: priority === HIGH ? 'MASTER' : 'BACKUP',
      priority,
      vrid: VRID,
      password: TABLE,
      vips: [`${VIP}/32`],
    });
    const name = `${impl}-${host.address}-${++seq}`;
    const daemon =
      impl === 'ts' ? startKeepalivedTs(bed, host.ns, name, text) : startKeepalived(bed, host.ns, name, text);
    running.push(daemon);
    return { impl, host, daemon };
  };

  /** keepalived-ts: the control socket's state; keepalived: its last state line. */
  const stateOf = async (s: Side): Promise<string> => {
    const d = s.daemon;
    if (d.child.exitCode !== null || d.child.signalCode !== null) return 'DOWN';
    if (s.impl === 'ka') return lastEntered(d);
    try {
      const reply = await request(join(d.runtimeDir, 'control.sock'), { cmd: 'status' }, 2000);
      return reply.ok ? instanceState(reply.result) : 'ERROR';
    } catch {
      return 'UNREACHABLE';
    }
  };
  const hasVip = (h: Host): boolean => bed.hasAddress(h.ns, VIP);

  const observe = async (high: Side, low: Side): Promise<Observation> => {
    const at = performance.now();
    const [hs, ls] = await Promise.all([stateOf(high), stateOf(low)]);
    return { at, high: hs, low: ls, highVip: hasVip(high.host), lowVip: hasVip(low.host) };
  };
  const describeObservation = (o: Observation): string =>
    `high=${o.high}${o.highVip ? '+vip' : ''} low=${o.low}${o.lowVip ? '+vip' : ''}`;
  /** One MASTER, the higher one, holding the VIP; the lower one BACKUP without it. */
  const settled = (o: Observation): boolean =>
    o.high === 'MASTER' && o.highVip && o.low === 'BACKUP' && !o.lowVip;

  /**
   * Observes every 50 ms from `from` to `from + observeMs`; `settled` must hold without a break
   * from some moment no later than `limitMs` after `from` to the end. Returns when that run began.
   */
  const converge = async (
    high: Side,
    low: Side,
    from: number,
    limitMs: number,
    observeMs: number,
  ): Promise<{ ms: number; runStart: number; end: number }> => {
    let runStart: number | null = null;
    let last: Observation | null = null;
    const history: string[] = [];
    while (performance.now() < from + observeMs || last === null) {
      const o = await observe(high, low);
      const text = describeObservation(o);
      if (history.at(-1)?.endsWith(text) !== true) history.push(`+${Math.round(o.at - from)} ms ${text}`);
      if (settled(o)) runStart ??= o.at;
      else runStart = null;
      last = o;
      await sleep(50);
    }
    const logs = [high, low].map(
      (s) =>
        `${s.impl} at ${s.host.address}:\n${s.daemon.lines.lines
          .slice(-15)
          .map((l) => `  ${l.text}`)
          .join('\n')}`,
    );
    const trail = `observed:\n${history.join('\n')}\n${logs.join('\n')}`;
    expect(runStart, `not settled\n${trail}`).not.toBeNull();
    const ms = runStart! - from;
    expect(
      ms,
      `settled after ${Math.round(ms)} ms, limit ${Math.round(limitMs)} ms\n${trail}`,
    ).toBeLessThanOrEqual(limitMs);
    return { ms, runStart: runStart!, end: last.at };
  };

  const adverts = (): Advert[] =>
    wire.lines.flatMap((l) => {
      const m = /^(\d+\.\d+) IP (\S+) > \S+: VRRPv2, Advertisement, vrid (\d+), prio (\d+)/.exec(l.text);
      return m === null || Number(m[3]) !== VRID
        ? []
        : [{ t: Number(m[1]) * 1000, src: m[2]!, prio: Number(m[4]) }];
    });
  const advertsBetween = (fromEpoch: number, toEpoch: number): Advert[] =>
    adverts().filter((x) => x.t >= fromEpoch && x.t <= toEpoch);
  /** The VIP's additions and deletions on `h` (epoch milliseconds; iproute2 stamps local time). */
  const vipEvents = (h: Host): { t: number; deleted: boolean }[] =>
    monitors.get(h.ns)!.lines.flatMap((l) => {
      const m =
        /^\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})\] (Deleted )?\d+: eth0\s+inet (\S+)/.exec(
          l.text,
        );
      if (m === null || m[9] !== `${VIP}/32`) return [];
      const n = m.slice(1, 8).map(Number);
      const local = new Date(n[0]!, n[1]! - 1, n[2]!, n[3]!, n[4]!, n[5]!);
      return [{ t: local.getTime() + n[6]! / 1000, deleted: m[8] !== undefined }];
    });
  const wireText = (list: readonly Advert[], zero: number): string =>
    list.map((x) => `+${Math.round(x.t - zero)} ms ${x.src} prio ${x.prio}`).join('\n');

  /** Drops every VRRP packet on input in `ns` (one nft transaction). */
  const dropAdverts = (ns: string): void => {
    const file = join(bed.tempDir, `${ns}.nft`);
    writeFileSync(
      file,
      `table inet ${TABLE} {\n  chain in {\n    type filter hook input priority 0;\n    ip protocol 112 counter drop\n  }\n}\n`,
    );
    nsExec(ns, 'nft', ['-f', file]);
  };
  const droppedAdverts = (ns: string): number =>
    Number(/packets (\d+)/.exec(nsExec(ns, 'nft', ['list', 'table', 'inet', TABLE]))?.[1] ?? NaN);
  const healAdverts = (ns: string): void => {
    nsExec(ns, 'sh', ['-c', `nft delete table inet ${TABLE} 2>/dev/null || true`]);
  };

  beforeAll(async () => {
    ensureBuilt();
    bed = new Testbed('sbk');
    [a, b] = bed.twoHosts(PREFIX);
    const capture = bed.spawnIn(a.ns, 'tcpdump', ['-i', 'eth0', '-n', '-tt', '-l', 'ip proto 112']);
    wire = new LineCollector(capture);
    for (const h of [a, b])
      monitors.set(h.ns, new LineCollector(bed.spawnIn(h.ns, 'ip', ['-ts', 'monitor', 'address'])));
    await wire.wait(/listening on eth0/, 15_000);
  }, 60_000);
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => stopDaemon(d)));
    for (const h of [a, b]) {
      healAdverts(h.ns);
      if (hasVip(h)) nsExec(h.ns, 'ip', ['addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
    }
  });
  afterAll(() => {
    console.log(
      `split brain with keepalived 2.2.7, figures:\n${figures.map((f) => JSON.stringify(f)).join('\n')}`,
    );
    bed?.destroy();
  });

  const splitBrain = async (highImpl: Impl, lowImpl: Impl): Promise<void> => {
    const high = start(highImpl, a, HIGH);
    const low = start(lowImpl, b, LOW);
    await high.daemon.lines.wait(/\(VI_1\) Entering MASTER STATE/, 15_000);
    await low.daemon.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 15_000);
    // Settled: the higher one MASTER with the VIP, and it stays so (a BACKUP that had become
    // MASTER before the higher one started has gone back by now).
    await converge(high, low, performance.now(), 5000, 6500);

    // The cut lands just after one of the higher one's adverts: the last one the lower one hears.
    const lastHeardAt = wire.lines.length;
    await wire.wait(
      new RegExp(`IP ${a.address} > 224\\.0\\.0\\.18: VRRPv2, Advertisement, vrid ${VRID}, prio ${HIGH}`),
      3000,
      lastHeardAt,
    );
    const lastHeard = adverts()
      .filter((x) => x.src === a.address)
      .at(-1)!;
    const highFrom = high.daemon.lines.lines.length;
    const lowFrom = low.daemon.lines.lines.length;
    dropAdverts(low.host.ns);
    dropAdverts(high.host.ns);
    const cut = performance.now();
    expect(epoch(cut) - lastHeard.t, 'the cut came before the next advert').toBeLessThan(900);

    // The lower one takes over Master_Down_Interval after the last advert it heard, and says so.
    await low.daemon.lines.wait(/\(VI_1\) Entering MASTER STATE/, mdiMs(LOW) + 2000, lowFrom);
    await sleep(SPLIT_MS - (performance.now() - cut));
    const during = await observe(high, low);
    expect(describeObservation(during)).toBe('high=MASTER+vip low=MASTER+vip');
    const splitAdverts = advertsBetween(lastHeard.t + 1, epoch(performance.now()));
    const firstLow = splitAdverts.find((x) => x.src === b.address);
    expect(firstLow, wireText(splitAdverts, lastHeard.t)).toBeDefined();
    const takeoverMs = firstLow!.t - lastHeard.t;
    // Not before Master_Down_Interval (the timer started on the last advert), and not a whole
    // advert_int late (the next advert, dropped, must not have restarted it).
    expect(takeoverMs, wireText(splitAdverts, lastHeard.t)).toBeGreaterThanOrEqual(mdiMs(LOW) - 5);
    expect(takeoverMs, wireText(splitAdverts, lastHeard.t)).toBeLessThan(mdiMs(LOW) + 1000);
    // Both advertise through the split, each at its own priority.
    const lastSeconds = advertsBetween(epoch(performance.now() - 2500), epoch(performance.now()));
    expect(
      [...new Set(lastSeconds.map((x) => `${x.src} prio ${x.prio}`))].sort(),
      wireText(lastSeconds, lastHeard.t),
    ).toEqual([`${a.address} prio ${HIGH}`, `${b.address} prio ${LOW}`]);
    const dropped = { high: droppedAdverts(high.host.ns), low: droppedAdverts(low.host.ns) };
    expect(dropped.high).toBeGreaterThan(0);
    expect(dropped.low).toBeGreaterThan(0);

    healAdverts(high.host.ns);
    healAdverts(low.host.ns);
    const healed = performance.now();
    const { ms, runStart, end } = await converge(high, low, healed, LIMIT_MS, LIMIT_MS + 1500);
    const backupLine = low.daemon.lines.find(/\(VI_1\) Entering BACKUP STATE/, lowFrom);
    expect(backupLine, low.daemon.lines.text()).toBeGreaterThanOrEqual(0);
    // When the test read the line: the polls' synchronous `ip` runs delay the reading by up to
    // some 200 ms. The kernel's stamp on the VIP's deletion (below) is the exact moment.
    const lowBackupMs = low.daemon.lines.lines[backupLine]!.at - healed;
    expect(lowBackupMs).toBeLessThanOrEqual(LIMIT_MS);

    // On the wire, once settled (after the first advert interval), only the MASTER advertises.
    await sleep(200);
    const after = advertsBetween(epoch(runStart + 1100), epoch(end));
    const afterText = `wire from +${Math.round(runStart + 1100 - healed)} ms after the heal:\n${wireText(after, epoch(healed))}`;
    expect(after.length, afterText).toBeGreaterThanOrEqual(2);
    expect([...new Set(after.map((x) => `${x.src} prio ${x.prio}`))], afterText).toEqual([
      `${a.address} prio ${HIGH}`,
    ]);
    // Who spoke first after the heal. If it was the lower one, the higher one (keepalived:
    // vrrp_state_master_rx, lower priority) re-advertises at once, off its advert_int schedule:
    // well before its previous advert + 1 s, when it would have spoken anyway.
    const healAdvertsSeen = advertsBetween(epoch(healed), epoch(end));
    const firstAfterHeal = healAdvertsSeen[0];
    expect(firstAfterHeal, wireText(healAdvertsSeen, epoch(healed))).toBeDefined();
    const lowSpokeFirst = firstAfterHeal!.src === b.address;
    const highAnswer = healAdvertsSeen.find((x) => x.src === a.address);
    expect(highAnswer, wireText(healAdvertsSeen, epoch(healed))).toBeDefined();
    const highAnswerMs = highAnswer!.t - firstAfterHeal!.t;
    const highBefore = adverts()
      .filter((x) => x.src === a.address && x.t < highAnswer!.t)
      .at(-1);
    expect(highBefore).toBeDefined();
    if (lowSpokeFirst) {
      expect(highAnswer!.t - highBefore!.t, wireText(healAdvertsSeen, epoch(healed))).toBeLessThan(950);
    }
    const lastLow = healAdvertsSeen.filter((x) => x.src === b.address).at(-1);

    // The kernel's word on the VIP: deleted on the lower one once after the heal, never on the
    // higher one from the cut on. The deletion is the moment there is one MASTER with the VIP.
    const lowDeleted = vipEvents(low.host).filter((e) => e.deleted && e.t >= epoch(healed));
    expect(lowDeleted.length, monitors.get(low.host.ns)!.text()).toBe(1);
    const vipGoneMs = lowDeleted[0]!.t - epoch(healed);
    expect(vipGoneMs).toBeLessThanOrEqual(LIMIT_MS);
    expect(
      vipEvents(high.host).filter((e) => e.deleted && e.t >= epoch(cut)),
      monitors.get(high.host.ns)!.text(),
    ).toEqual([]);

    results.set(`${highImpl}>${lowImpl}`, {
      low: electionLines(low.daemon, lowFrom),
      high: electionLines(high.daemon, highFrom),
      lowSpokeFirst,
    });
    figures.push({
      master: highImpl,
      backup: lowImpl,
      takeoverMs: Math.round(takeoverMs),
      mdiMs: Math.round(mdiMs(LOW)),
      droppedAdverts: dropped.high + dropped.low,
      oneMasterPolledMs: Math.round(ms),
      vipGoneMs: Math.round(vipGoneMs),
      vipGoneAfterHighAdvertMs: Math.round(lowDeleted[0]!.t - highAnswer!.t),
      lowBackupLineMs: Math.round(lowBackupMs),
      firstAfterHeal: lowSpokeFirst ? 'low' : 'high',
      firstAfterHealMs: Math.round(firstAfterHeal!.t - epoch(healed)),
      highAnswerMs: lowSpokeFirst ? Math.round(highAnswerMs) : null,
      highAnswerAfterItsLastMs: Math.round(highAnswer!.t - highBefore!.t),
      lowLastAdvertAfterHealMs: lastLow === undefined ? null : Math.round(lastLow.t - epoch(healed)),
      highLinesAfterCut: electionLines(high.daemon, highFrom),
    });

    // Clean stop: exit 0, no VIP left on either side.
    running.splice(0);
    expect(await stopDaemon(high.daemon), high.daemon.lines.text()).toBe(0);
    expect(await stopDaemon(low.daemon), low.daemon.lines.text()).toBe(0);
    expect({ a: hasVip(a), b: hasVip(b) }).toEqual({ a: false, b: false });
  };

  it('keepalived-ts MASTER (150), keepalived BACKUP (100): both MASTER in the split, one MASTER after the heal', async () => {
    await splitBrain('ts', 'ka');
  }, 60_000);

  it('keepalived MASTER (150), keepalived-ts BACKUP (100): both MASTER in the split, one MASTER after the heal', async () => {
    await splitBrain('ka', 'ts');
  }, 60_000);

  it("keepalived-ts logs keepalived's words for the same events", () => {
    const tsHigh = results.get('ts>ka');
    const kaHigh = results.get('ka>ts');
    expect(tsHigh, 'the keepalived-ts MASTER run ended').toBeDefined();
    expect(kaHigh, 'the keepalived MASTER run ended').toBeDefined();
    // The lower one: takes over on the timeout, then yields to the higher one's advert.
    const expectedLow = [
      '(VI_1) Receive advertisement timeout',
      '(VI_1) Entering MASTER STATE',
      `(VI_1) Master received advert from ${PREFIX}.1 with higher priority ${HIGH}, ours ${LOW}`,
      '(VI_1) Entering BACKUP STATE',
    ];
    expect(tsHigh!.low, 'keepalived 2.2.7 as the lower one').toEqual(expectedLow);
    expect(kaHigh!.low, 'keepalived-ts as the lower one').toEqual(tsHigh!.low);
    // The higher one stays MASTER throughout. When the lower one's advert came first after the
    // heal (the wire says), it logs keepalived's line for it; otherwise it logs nothing.
    const forcing = `(VI_1) Received advert from ${PREFIX}.2 with lower priority ${LOW}, ours ${HIGH}, forcing new election`;
    expect(kaHigh!.high, 'keepalived 2.2.7 as the higher one').toEqual(
      kaHigh!.lowSpokeFirst ? [forcing] : [],
    );
    expect(tsHigh!.high, 'keepalived-ts as the higher one').toEqual(tsHigh!.lowSpokeFirst ? [forcing] : []);
  });
});
