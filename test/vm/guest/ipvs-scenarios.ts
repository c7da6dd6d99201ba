/**
 * Guest program for test/vm/ipvs-writer.test.ts: drives the real kernel's IPVS through our writer
 * and prints `### name` sections that the host asserts on: op counts as JSON, our rendering of the
 * kernel's table (from our own netlink dump) beside `ipvsadm -Ln` (plain, --thresholds,
 * --persistent-conn, --tun-info) taken right after, the decoded tunnel attributes, and the
 * keepalived-style error lines the writer logged during each step. Exits 1 on a hard failure.
 *
 *   node ipvs-scenarios.mjs first    programs table A, no-change apply, missing-scheduler case; exits
 *                                    WITHOUT a clean stop (as after SIGKILL)
 *   node ipvs-scenarios.mjs second   a new process: restart convergence on A, changes, removals, clean stop
 *
 * Env: KTS_SCHEDULERS (space-separated schedulers whose module loaded), KTS_MISSING (the ones that did not).
 */
import { execFileSync } from 'node:child_process';
import { realClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { GenlConnection } from '../../../src/ipvs/genl-conn.js';
import { IpvsWriter } from '../../../src/ipvs/writer.js';
import { formatTable, type ListFormat } from '../../../src/ipvs/format.js';
import type { DesiredDestination, DesiredService, DesiredTable } from '../../../src/contracts/ipvs-table.js';
import { openGenericNetlink } from '../../../src/net/netlink-socket.js';

const noFlags = {
  onePacket: false,
  shPort: false,
  shFallback: false,
  mhPort: false,
  mhFallback: false,
  sched1: false,
  sched2: false,
  sched3: false,
};
const rs = (address: string, over: Partial<DesiredDestination> = {}): DesiredDestination => ({
  key: address,
  address,
  family: address.includes(':') ? 'inet6' : 'inet',
  port: 8080,
  weight: 1,
  forwardingMethod: 'NAT',
  tunnel: null,
  uthreshold: 0,
  lthreshold: 0,
  ...over,
});
const vs = (over: Partial<DesiredService>): DesiredService => ({
  key: 'vs',
  family: 'inet',
  protocol: 'TCP',
  address: '10.10.0.1',
  port: 80,
  fwmark: null,
  scheduler: 'wlc',
  persistenceTimeout: 0,
  persistenceGranularity: null,
  flags: noFlags,
  destinations: [],
  ...over,
});

const words = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter(Boolean);
const SCHEDULERS = words(process.env.KTS_SCHEDULERS);
const MISSING = words(process.env.KTS_MISSING);

/** Table A: one service per available scheduler, and every kind of service and destination. */
function tableA(): DesiredService[] {
  const services: DesiredService[] = SCHEDULERS.map((s, i) =>
    vs({
      key: `sched-${s}`,
      port: 1000 + i,
      scheduler: s,
      destinations: [rs('192.168.50.1'), rs('192.168.50.2', { weight: 3 })],
    }),
  );
  services.push(
    vs({
      key: 'udp',
      protocol: 'UDP',
      port: 53,
      scheduler: 'rr',
      flags: { ...noFlags, onePacket: true },
      destinations: [rs('192.168.50.3', { port: 53 }), rs('192.168.50.33', { port: 5353, weight: 0 })],
    }),
    vs({
      key: 'sctp',
      protocol: 'SCTP',
      port: 5060,
      destinations: [rs('192.168.50.4', { port: 5060, forwardingMethod: 'DR' })],
    }),
    vs({
      key: 'persist',
      port: 443,
      persistenceTimeout: 300,
      persistenceGranularity: '255.255.255.0',
      destinations: [
        rs('192.168.50.5', { forwardingMethod: 'DR', weight: 65535 }),
        rs('192.168.50.55', { uthreshold: 500, lthreshold: 50 }),
      ],
    }),
    vs({
      key: 'mh-flags',
      port: 8443,
      scheduler: SCHEDULERS.includes('mh') ? 'mh' : 'rr',
      flags: SCHEDULERS.includes('mh') ? { ...noFlags, mhPort: true, mhFallback: true } : noFlags,
      destinations: [rs('192.168.50.10', { forwardingMethod: 'TUN' })],
    }),
    vs({
      key: 'fwm',
      protocol: null,
      address: null,
      port: null,
      fwmark: 7,
      scheduler: 'sh',
      flags: { ...noFlags, shPort: true, shFallback: true },
      destinations: [
        rs('192.168.50.6', { forwardingMethod: 'TUN' }),
        rs('192.168.50.7', {
          forwardingMethod: 'TUN',
          tunnel: { type: 'gre', port: null, checksum: 'csum' },
        }),
        rs('192.168.50.8', {
          forwardingMethod: 'TUN',
          tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' },
        }),
        // Tunnelling is the one method that may cross address families.
        rs('2001:db8::20', { forwardingMethod: 'TUN', weight: 2 }),
      ],
    }),
    vs({
      key: 'fwm6',
      family: 'inet6',
      protocol: null,
      address: null,
      port: null,
      fwmark: 8,
      scheduler: 'rr',
      persistenceTimeout: 120,
      persistenceGranularity: '48',
      destinations: [rs('2001:db8::30', { forwardingMethod: 'DR', weight: 0 })],
    }),
    vs({
      key: 'v6',
      family: 'inet6',
      address: '2001:db8::1',
      port: 80,
      persistenceTimeout: 60,
      persistenceGranularity: '64',
      destinations: [
        rs('2001:db8::10', { uthreshold: 100, lthreshold: 10 }),
        rs('2001:db8::11', { port: 80, forwardingMethod: 'DR' }),
      ],
    }),
  );
  return services;
}

/** Table B: A with one change of each kind (see the host test for the expected op count). */
function tableB(): DesiredService[] {
  const out = tableA().map((s): DesiredService => {
    switch (s.key) {
      case 'sched-rr': // scheduler change: SET_SERVICE
        return { ...s, scheduler: 'wrr' };
      case 'sched-wrr': // weight change: SET_DEST
        return { ...s, destinations: [rs('192.168.50.1'), rs('192.168.50.2', { weight: 7 })] };
      case 'sched-lc': // remove .2, add .9: DEL_DEST + NEW_DEST
        return { ...s, destinations: [rs('192.168.50.1'), rs('192.168.50.9')] };
      case 'persist': // persistence timeout and granularity: SET_SERVICE
        return { ...s, persistenceTimeout: 600, persistenceGranularity: '255.255.0.0' };
      case 'v6': // thresholds: SET_DEST
        return {
          ...s,
          destinations: [
            rs('2001:db8::10', { uthreshold: 200, lthreshold: 20 }),
            rs('2001:db8::11', { port: 80, forwardingMethod: 'DR' }),
          ],
        };
      case 'fwm': // tunnel type and checksum: SET_DEST
        return {
          ...s,
          destinations: s.destinations.map((d) =>
            d.address === '192.168.50.7'
              ? { ...d, tunnel: { type: 'gue', port: 7080, checksum: 'nocsum' } }
              : d,
          ),
        };
      default:
        return s;
    }
  });
  // A new service with one destination: NEW_SERVICE + NEW_DEST.
  out.push(vs({ key: 'new', address: '10.10.0.2', port: 80, destinations: [rs('192.168.60.1')] }));
  return out;
}

const FORMATS: { name: string; format: ListFormat; args: string[] }[] = [
  { name: 'plain', format: 'plain', args: [] },
  { name: 'thresholds', format: 'thresholds', args: ['--thresholds'] },
  { name: 'persistent-conn', format: 'persistent-conn', args: ['--persistent-conn'] },
  { name: 'tun-info', format: 'tun-info', args: ['--tun-info'] },
];

async function main(): Promise<void> {
  const sock = openGenericNetlink();
  if (!sock.ok) throw new Error(sock.error.message);
  const conn = new GenlConnection(sock.value, { clock: realClock });
  const log = new MemoryLogger();
  const opened = await IpvsWriter.open(conn, log);
  if (!opened.ok) throw new Error(opened.error.message);
  const writer = opened.value;
  let logged = 0;

  /** Prints the step's summary, the log lines since the last step, and both renderings. */
  const show = async (name: string, summary: unknown): Promise<void> => {
    console.log(`### ${name}`);
    console.log(JSON.stringify(summary));
    const lines = log.messages().slice(logged);
    logged += lines.length;
    console.log(`### ${name}-log`);
    for (const l of lines) console.log(l);
    const info = await writer.info();
    const t = await writer.dump();
    if (!info.ok || !t.ok) throw new Error(`dump after ${name} failed`);
    for (const f of FORMATS) {
      console.log(`### ${name}-ours-${f.name}`);
      process.stdout.write(formatTable(info.value, t.value, f.format));
      console.log(`### ${name}-ipvsadm-${f.name}`);
      process.stdout.write(execFileSync('ipvsadm', ['-Ln', ...f.args], { encoding: 'utf8' }));
    }
    // What the kernel decoded from our tunnel attributes, straight from our dump.
    const tunnels: Record<string, unknown> = {};
    for (const { service, destinations } of t.value.services.values())
      for (const d of destinations.values())
        if (d.forwarding === 'TUN')
          tunnels[
            `${service.id.kind === 'fwmark' ? `fwm${service.id.fwmark}` : service.id.port}/${d.address}`
          ] = d.tunnel;
    console.log(`### ${name}-tunnels`);
    console.log(JSON.stringify(tunnels));
  };

  const step = process.argv[2];
  if (step === 'first') {
    const a: DesiredTable = { services: tableA() };
    await show('start', await writer.start({ flush: false, timeouts: { tcp: 600 }, desired: a }));
    await show('again', await writer.apply(a));
    // Schedulers this kernel lacks, plus one no kernel has: the kernel refuses the service
    // (ENOENT) and then its destination (ESRCH); the writer logs keepalived's lines for both.
    const absent = [...MISSING, 'kts-nosuch'].map((s, i) =>
      vs({ key: `absent-${s}`, port: 2000 + i, scheduler: s, destinations: [rs('192.168.51.1')] }),
    );
    await show('missing', await writer.apply({ services: [...a.services, ...absent] }));
    await show('after-missing', await writer.apply(a));
    // No stop: the next process finds the table as a crashed daemon leaves it.
  } else if (step === 'second') {
    const a: DesiredTable = { services: tableA() };
    await show('restart', await writer.start({ flush: false, timeouts: null, desired: a }));
    const b: DesiredTable = { services: tableB() };
    await show('change', await writer.apply(b));
    await show('change-again', await writer.apply(b));
    const c: DesiredTable = { services: b.services.filter((s) => s.key !== 'sctp' && s.key !== 'udp') };
    await show('remove', await writer.apply(c));
    await show('stop', await writer.stop({ release: true, flushOnStop: 'off' }));
  } else {
    throw new Error(`unknown step ${String(step)}`);
  }
  conn.close();
}

main().catch((e: unknown) => {
  console.error(`ipvs-scenarios: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
