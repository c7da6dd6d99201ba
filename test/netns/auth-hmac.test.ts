/**
 * Root tier: auth_hmac (keepalived 2.4.2+ wire format) between two keepalived-ts daemons on a
 * veth pair. keepalived 2.2.7, the installed reference, does not know the block, so the wire
 * format is proven by test/unit/vrrp/auth-hmac.test.ts (keepalived's own vectors); here: the
 * election with matching keys, a mismatched key refused and counted, the migration modes, a key
 * rotation by reload without a failover, the trailer on the wire (tcpdump), and the counters in
 * the stats and JSON dumps and on /metrics.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { hmacSha256 } from '../../src/net/hmac.js';
import { checkTrailer, emptyReceiveState } from '../../src/vrrp/auth-hmac.js';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  netnsPrerequisites,
  signalDaemon,
  sleep,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('netns', netnsPrerequisites(['tcpdump']));

const VIP = '10.231.41.100';
const KEY1 = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const KEY2 = 'f0e0d0c0b0a090807060504030201000f0e0d0c0b0a090807060504030201000';
const OTHER = 'aa'.repeat(32);
const SIGJSON = 36; // SIGRTMIN+2
const METRICS_PORT = 19741;

const hmacBlock = (keys: Record<number, string>, active: number, mode?: string): string[] => [
  'auth_hmac {',
  ...Object.entries(keys).map(([id, hex]) => `  key ${id} hex:${hex}`),
  `  active_key ${active}`,
  ...(mode === undefined ? [] : [`  mode ${mode}`]),
  '}',
];
const config = (priority: number, hmac: string[]): string =>
  vrrpConfig({ priority, password: null, vips: [`${VIP}/32`], extra: hmac });

describeTier('auth_hmac between keepalived-ts daemons', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;
  const running: Daemon[] = [];

  const start = (host: Host, name: string, text: string, extra: string[] = []): Daemon => {
    const d = startKeepalivedTs(bed, host.ns, name, text, extra);
    running.push(d);
    return d;
  };
  const hasVip = (host: Host): boolean => bed.hasAddress(host.ns, VIP);
  const dumpFile = async (d: Daemon, signal: NodeJS.Signals | number, file: string): Promise<string> => {
    const path = join(d.runtimeDir, file);
    const before = existsSync(path) ? lstatSync(path).ino : -1;
    rmSync(path, { force: true });
    if (typeof signal === 'number') process.kill(d.child.pid!, signal);
    else signalDaemon(d, signal);
    await waitFor(() => existsSync(path) && lstatSync(path).ino !== before, 5000, `${file} written`);
    await sleep(100);
    return readFileSync(path, 'utf8');
  };
  const stats = (d: Daemon) => dumpFile(d, 'SIGUSR2', 'keepalived.stats');
  const stat = (text: string, section: string, field: string): number => {
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.trim() === `${section}:`);
    expect(at).toBeGreaterThanOrEqual(0);
    const line = lines.slice(at + 1).find((l) => l.trim().startsWith(`${field}:`));
    return Number(line?.split(':')[1]);
  };

  /** One VRRP frame from `from` as seen on `on`'s eth0 (tcpdump -w), its IP packet bytes. */
  const capture = (on: Host, from: Host): Buffer => {
    const file = join(bed.tempDir, `cap-${on.ns}-${Date.now()}.pcap`);
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        on.ns,
        'timeout',
        '6',
        'tcpdump',
        '-i',
        'eth0',
        '-c',
        '1',
        '-U',
        '-w',
        file,
        `ip proto 112 and src host ${from.address}`,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const pcap = readFileSync(file);
    // pcap: 24-byte file header, 16-byte record header, then the Ethernet frame.
    const caplen = pcap.readUInt32LE(24 + 8);
    const frame = pcap.subarray(40, 40 + caplen);
    expect(frame.readUInt16BE(12)).toBe(0x0800);
    const ipPacket = frame.subarray(14);
    return ipPacket.subarray(0, ipPacket.readUInt16BE(2));
  };
  /** The VRRP message and trailer of a captured advert (one VIP: 8 + 4 + 8 bytes of VRRP). */
  const split = (packet: Buffer) => {
    const ihl = (packet[0]! & 0x0f) * 4;
    return { source: `${packet[12]}.${packet[13]}.${packet[14]}.${packet[15]}`, vrrp: packet.subarray(ihl) };
  };

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('ah-hmac');
    [a, b] = bed.twoHosts('10.231.41');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => stopDaemon(d)));
  });
  afterAll(() => bed?.destroy());

  it('matching keys elect one MASTER; the trailer is on the wire and verifies; counters in stats, JSON and /metrics', async () => {
    // The MASTER first, so the BACKUP never wins a start-up race.
    const da = start(a, 'a1', config(200, hmacBlock({ 1: KEY1 }, 1)));
    await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    const db = start(b, 'b1', config(100, hmacBlock({ 1: KEY1 }, 1)), [
      '--metrics-listen',
      `127.0.0.1:${METRICS_PORT}`,
    ]);
    await db.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 10_000);
    await sleep(3000);
    expect(hasVip(a)).toBe(true);
    expect(hasVip(b)).toBe(false);
    expect(db.lines.count(/Entering MASTER STATE/)).toBe(0);

    const { source, vrrp } = split(capture(b, a));
    expect(source).toBe(a.address);
    // 8 + 4 (one VIP) + 8 (auth data) + the 28-byte trailer.
    expect(vrrp.length).toBe(20 + 28);
    const trailer = vrrp.subarray(20);
    expect(trailer[0]).toBe(1); // HMAC-SHA256-128
    expect(trailer[1]).toBe(1); // key id
    const params = {
      keys: new Map([[1, Buffer.from(KEY1, 'hex')]]),
      activeKey: 1,
      mode: 'enforce' as const,
      antiReplay: 'time' as const,
      timeWindowSec: 5,
    };
    const input = { family: 'inet' as const, version: 2, vrid: 51, source, message: vrrp.subarray(0, 20) };
    const nowSec = Math.floor(Date.now() / 1000);
    expect(checkTrailer(hmacSha256, input, trailer, params, nowSec, emptyReceiveState(), false).result).toBe(
      'ok',
    );
    // The sequence is the sender's clock: within the window of ours.
    expect(Math.abs(trailer.readUInt32BE(4) - nowSec)).toBeLessThanOrEqual(2);

    const s = await stats(db);
    expect(stat(s, 'Advertisements', 'Received')).toBeGreaterThan(2);
    for (const f of ['Missing', 'Malformed', 'Unknown Key', 'Invalid HMAC', 'Stale', 'Replay'])
      expect(stat(s, 'Authentication Extension Errors', f)).toBe(0);
    const json = JSON.parse(await dumpFile(db, SIGJSON, 'keepalived.json')) as {
      stats: Record<string, number>;
    }[];
    expect(json[0]!.stats).toMatchObject({
      auth_ext_missing: 0,
      auth_ext_invalid_hmac: 0,
      auth_ext_replay: 0,
    });
    expect(json[0]!.stats['advert_rcvd']).toBeGreaterThan(2);
    const data = await dumpFile(db, 'SIGUSR1', 'keepalived.data');
    expect(data).toContain(
      '   Authentication extension = HMAC-SHA256-128\n     Keys = 1, active key id = 1\n     Mode = enforce\n     Anti replay = time, window = 5 sec\n',
    );
    const m = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        b.ns,
        process.execPath,
        '-e',
        `fetch('http://127.0.0.1:${METRICS_PORT}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t), () => process.exit(3))`,
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/^keepalived_auth_hmac_invalid_hmac_total\{[^}]*iname="VI_1"[^}]*\} 0$/m);
    expect(m.stdout).toMatch(/^keepalived_auth_hmac_missing_total\{[^}]*\} 0$/m);
  });

  it('a mismatched key in enforce mode is refused and counted: both become MASTER', async () => {
    const da = start(a, 'a2', config(200, hmacBlock({ 1: KEY1 }, 1)));
    const db = start(b, 'b2', config(100, hmacBlock({ 1: OTHER }, 1)));
    await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await db.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await db.lines.wait(/\(VI_1\) invalid authentication HMAC from 10\.231\.41\.1$/, 5000);
    await da.lines.wait(/\(VI_1\) invalid authentication HMAC from 10\.231\.41\.2$/, 5000);
    await sleep(2000);
    expect(hasVip(a)).toBe(true);
    expect(hasVip(b)).toBe(true);
    const s = await stats(db);
    expect(stat(s, 'Authentication Extension Errors', 'Invalid HMAC')).toBeGreaterThan(2);
    expect(stat(s, 'Advertisements', 'Received')).toBe(0);
    // Rate limited as keepalived's log_rate_limited_error: one line until the state changes.
    expect(db.lines.count(/invalid authentication HMAC/)).toBeLessThanOrEqual(2);
  });

  it('migration modes: permissive accepts a receive-only peer that sends no trailer; enforce refuses it and counts Missing', async () => {
    // b (receive-only, 200) sends no trailer; a (permissive) accepts its adverts and stays BACKUP.
    const db = start(b, 'b3', config(200, hmacBlock({ 1: KEY1 }, 1, 'receive-only')));
    await db.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    const da = start(a, 'a3', config(100, hmacBlock({ 1: KEY1 }, 1, 'permissive')));
    await da.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 10_000);
    await sleep(3000);
    expect(da.lines.count(/Entering MASTER STATE/)).toBe(0);
    expect(hasVip(a)).toBe(false);
    const { vrrp } = split(capture(a, b));
    expect(vrrp.length).toBe(20); // no trailer from receive-only
    const sa = await stats(da);
    expect(stat(sa, 'Advertisements', 'Received')).toBeGreaterThan(2);
    // keepalived counts a missing trailer only in enforce mode.
    expect(stat(sa, 'Authentication Extension Errors', 'Missing')).toBe(0);
    await Promise.all(running.splice(0).map((d) => stopDaemon(d)));

    // a in enforce mode refuses b's trailerless adverts and becomes MASTER too; b (receive-only)
    // checks a's trailer and accepts it (lower priority: b stays MASTER).
    const da2 = start(a, 'a4', config(100, hmacBlock({ 1: KEY1 }, 1)));
    const db2 = start(b, 'b4', config(200, hmacBlock({ 1: KEY1 }, 1, 'receive-only')));
    await db2.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await da2.lines.wait(/\(VI_1\) missing authentication trailer from 10\.231\.41\.2$/, 10_000);
    await da2.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    await sleep(2000);
    const sa2 = await stats(da2);
    expect(stat(sa2, 'Authentication Extension Errors', 'Missing')).toBeGreaterThan(2);
    const sb2 = await stats(db2);
    expect(stat(sb2, 'Advertisements', 'Received')).toBeGreaterThan(0);
    expect(stat(sb2, 'Authentication Extension Errors', 'Invalid HMAC')).toBe(0);
  });

  it('rotation with active_key by reload: no failover, the new key id on the wire', async () => {
    const both = { 1: KEY1, 2: KEY2 };
    const da = start(a, 'a5', config(200, hmacBlock(both, 1)));
    const masterAt = await da.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
    const db = start(b, 'b5', config(100, hmacBlock(both, 1)));
    await db.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 10_000);
    await sleep(2000);
    expect(split(capture(b, a)).vrrp[21]).toBe(1);

    writeFileSync(da.configPath, config(200, hmacBlock(both, 2)));
    const mark = da.lines.lines.length;
    signalDaemon(da, 'SIGHUP');
    await da.lines.wait(/Reload complete/, 10_000, mark);
    await sleep(1500);
    expect(split(capture(b, a)).vrrp[21]).toBe(2);
    // b follows; then both drop key 1.
    writeFileSync(db.configPath, config(100, hmacBlock(both, 2)));
    signalDaemon(db, 'SIGHUP');
    await sleep(2000);
    writeFileSync(da.configPath, config(200, hmacBlock({ 2: KEY2 }, 2)));
    writeFileSync(db.configPath, config(100, hmacBlock({ 2: KEY2 }, 2)));
    signalDaemon(da, 'SIGHUP');
    signalDaemon(db, 'SIGHUP');
    await sleep(4500);

    expect(db.lines.count(/Entering MASTER STATE/)).toBe(0);
    expect(da.lines.find(/Entering BACKUP STATE/, masterAt)).toBe(-1);
    expect(hasVip(a)).toBe(true);
    expect(hasVip(b)).toBe(false);
    const s = await stats(db);
    expect(s).toContain('\n  Became master: 0\n');
    for (const f of ['Missing', 'Unknown Key', 'Invalid HMAC', 'Stale', 'Replay'])
      expect(stat(s, 'Authentication Extension Errors', f)).toBe(0);
  });
});
