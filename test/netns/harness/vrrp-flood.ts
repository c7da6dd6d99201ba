/**
 * A VRRP flood sender, bundled by the netns tier and run inside the attacker's namespace: for
 * `durationMs` it sends, as fast as the machine allows, malformed and mutated adverts for one
 * VRID to 224.0.0.18 on one interface, round robin over the kinds below, and prints one JSON
 * line with what it sent per kind. It writes whole IPv4 packets (IP_HDRINCL), so it controls the
 * TTL; the kernel fills in the total length and header checksum (raw(7)).
 *
 * argv: ifname vrid password vip durationMs [pps perKind]: with `pps`, paced at that rate and
 * stopped after `perKind` packets of each kind (or the duration, whichever ends first).
 */
import { createRequire } from 'node:module';
import { internetChecksum } from '../../../src/util/checksum.js';
import { encodeAdvert, encodeIpv4Packet, passwordAuthData, type Advert } from '../../../src/vrrp/packet.js';

interface RawSocket {
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    after: (error: Error | null, bytes: number) => void,
  ): void;
  pauseRecv(): void;
  close(): void;
}
const raw = createRequire(import.meta.url)('raw-socket') as {
  createSocket(o: { protocol: number }): RawSocket;
};

const [ifname, vridText, password, vip, durationText, ppsText, perKindText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string?,
  string?,
];
const vrid = Number(vridText);
const durationMs = Number(durationText);
const pps = ppsText === undefined ? null : Number(ppsText);
const perKind = perKindText === undefined ? Infinity : Number(perKindText);
const GROUP = '224.0.0.18';
const source = process.env['FLOOD_SOURCE'] ?? '0.0.0.0';

const good: Advert = {
  version: 2,
  type: 1,
  vrid,
  priority: 100,
  authType: 1,
  advertInt: 1,
  addresses: [vip],
  authData: passwordAuthData(password),
};

/** The VRRP message with its checksum recomputed after `mutate`. */
function message(over: Partial<Advert>, mutate: (b: Buffer) => void = () => {}): Buffer {
  const m = encodeAdvert({ ...good, ...over });
  mutate(m);
  m.writeUInt16BE(0, 6);
  m.writeUInt16BE(internetChecksum(m), 6);
  return m;
}
const ip = (payload: Buffer, ttl = 255): Buffer =>
  encodeIpv4Packet({ source, destination: GROUP, ttl }, payload);

/**
 * One packet per kind. The counter each kind must move on the master (VRID `vrid`, PASS
 * `password`, advert_int 1, one VIP, priority 150) is the test's business; here only the bytes.
 */
const KINDS: Record<string, Buffer> = {
  // IPv4 header and 5 bytes of VRRP: shorter than the fixed header.
  'truncated-header': ip(message({})).subarray(0, 20 + 5),
  // The last 4 bytes of the authentication data missing.
  'truncated-auth': ip(message({})).subarray(0, 20 + 20 - 4),
  'bad-checksum': ip(
    (() => {
      const m = message({});
      m.writeUInt16BE(m.readUInt16BE(6) ^ 0x5a5a, 6);
      return m;
    })(),
  ),
  'wrong-ttl': ip(message({}), 64),
  'wrong-version': ip(message({ version: 3 })),
  'wrong-type': ip(message({ type: 2 })),
  'bad-auth-type': ip(message({ authType: 5 })),
  'auth-type-mismatch': ip(message({ authType: 0 })),
  'wrong-password': ip(message({ authData: passwordAuthData('intruder') })),
  'wrong-advert-interval': ip(message({ advertInt: 3 })),
  'other-vrid': ip(message({ vrid: (vrid % 255) + 1 })),
  'lower-priority': ip(message({ priority: 100 })),
  // One byte of VRRP: not even a VRID.
  'one-byte': ip(message({})).subarray(0, 21),
};
const names = Object.keys(KINDS);

const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const socket = raw.createSocket({ protocol: 112 });
socket.setOption(IPPROTO_IP, IP_HDRINCL, 1);
const dev = Buffer.from(`${ifname}\0`);
socket.setOption(SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length);
// This socket also receives protocol 112; it only sends.
socket.pauseRecv();

const sent: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
const failed: Record<string, number> = {};
// raw-socket sends one queued request per writable event: keep a window queued.
const WINDOW = 512;
let inFlight = 0;
let next = 0;
let stopping = false;
let paceTimer = false;
const started = performance.now();

/** Packets the pacing allows by now (unpaced: no limit). */
function allowed(): number {
  const byKind = perKind * names.length;
  if (pps === null) return byKind;
  return Math.min(byKind, Math.floor(((performance.now() - started) * pps) / 1000) + 1);
}

function pump(): void {
  while (!stopping && inFlight < WINDOW) {
    if (next >= allowed()) {
      if (next >= perKind * names.length) stop();
      else if (!paceTimer) {
        paceTimer = true;
        setTimeout(() => {
          paceTimer = false;
          pump();
        }, 5);
      }
      return;
    }
    const kind = names[next++ % names.length]!;
    const packet = KINDS[kind]!;
    inFlight++;
    socket.send(packet, 0, packet.length, GROUP, (error) => {
      inFlight--;
      if (error) failed[kind] = (failed[kind] ?? 0) + 1;
      else sent[kind]!++;
      if (stopping) {
        if (inFlight === 0) finish();
      } else if (inFlight < WINDOW / 2) {
        pump();
      }
    });
  }
}

function finish(): void {
  const elapsed = performance.now() - started;
  const total = Object.values(sent).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `${JSON.stringify({ kind: 'done', sent, failed, total, elapsedMs: Math.round(elapsed), rate: Math.round((total * 1000) / elapsed) })}\n`,
  );
  socket.close();
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  clearTimeout(deadline);
  if (inFlight === 0) finish();
}
const deadline = setTimeout(stop, durationMs);
process.stdout.write(`${JSON.stringify({ kind: 'started', kinds: names })}\n`);
pump();
