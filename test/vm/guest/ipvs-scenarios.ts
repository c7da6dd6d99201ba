/**
 * Guest program for test/vm/ipvs-writer.test.ts: drives the real kernel's IPVS through our writer
 * and prints `### name` sections: our `-Ln` rendering after each step (the shell compares it with
 * `ipvsadm -Ln`), op counts as JSON, and error log lines. Exits 1 with a message on a hard failure.
 */
import { realClock } from '../../../src/util/clock.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { GenlConnection } from '../../../src/ipvs/genl-conn.js';
import { IpvsWriter } from '../../../src/ipvs/writer.js';
import { formatTable } from '../../../src/ipvs/format.js';
import type { DesiredDestination, DesiredService, DesiredTable } from '../../../src/ipvs/desired.js';
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

const SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
];

function table1(): DesiredTable {
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
      destinations: [rs('192.168.50.3', { port: 53 })],
    }),
    vs({ key: 'sctp', protocol: 'SCTP', port: 5060, destinations: [rs('192.168.50.4', { port: 5060 })] }),
    vs({
      key: 'persist',
      port: 443,
      persistenceTimeout: 300,
      persistenceGranularity: '255.255.255.0',
      destinations: [rs('192.168.50.5', { forwardingMethod: 'DR' })],
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
      ],
    }),
    vs({
      key: 'v6',
      family: 'inet6',
      address: '2001:db8::1',
      port: 80,
      persistenceTimeout: 60,
      persistenceGranularity: '64',
      destinations: [rs('2001:db8::10', { uthreshold: 100, lthreshold: 10 })],
    }),
  );
  return { services };
}

async function main(): Promise<void> {
  const sock = openGenericNetlink();
  if (!sock.ok) throw new Error(sock.error.message);
  const conn = new GenlConnection(sock.value, { clock: realClock });
  const log = new MemoryLogger();
  const opened = await IpvsWriter.open(conn, log);
  if (!opened.ok) throw new Error(opened.error.message);
  const writer = opened.value;
  const step = process.argv[2] ?? 'start';
  const show = async (name: string, extra: unknown) => {
    const info = await writer.info();
    const t = await writer.dump();
    if (!info.ok || !t.ok) throw new Error('dump failed');
    console.log(`### ${name}`);
    console.log(JSON.stringify(extra));
    process.stdout.write(formatTable(info.value, t.value, 'plain'));
  };
  if (step === 'start') {
    await show('start', await writer.start({ flush: false, timeouts: { tcp: 600 }, desired: table1() }));
    await show('again', await writer.apply(table1()));
  } else if (step === 'change') {
    // A new process on the existing table (restart convergence) with changes.
    const t = table1();
    const services = t.services.map((s) =>
      s.key === 'sched-rr'
        ? { ...s, scheduler: 'wrr', destinations: [rs('192.168.50.1', { weight: 0 }), rs('192.168.50.9')] }
        : s,
    );
    await show('change', await writer.start({ flush: false, timeouts: null, desired: { services } }));
    await show('stop', await writer.stop({ release: true, flushOnStop: 'off' }));
  }
  console.log('### log');
  for (const l of log.messages()) console.log(l);
  conn.close();
}

main().catch((e: unknown) => {
  console.error(`ipvs-scenarios: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
