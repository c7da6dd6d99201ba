// Shared builders for the VRRP unit tests.
import {
  decodePacket,
  encodeAdvert,
  encodeIpv4Packet,
  passwordAuthData,
  type Advert,
  type Ipv4HeaderInput,
  type ReceivedPacket,
} from '../../../src/vrrp/packet.js';
import type { InstanceParams } from '../../../src/vrrp/params.js';

export const PASSWORD = 'secret';

export function instanceParams(overrides: Partial<InstanceParams> = {}): InstanceParams {
  return {
    name: 'VI_1',
    vrid: 51,
    basePriority: 100,
    advertIntSec: 1,
    initialState: 'BACKUP',
    nopreempt: false,
    preemptDelayMs: 0,
    auth: { type: 'pass', authData: passwordAuthData(PASSWORD) },
    vipAddresses: ['10.77.0.100', '10.77.0.101'],
    sourceAddress: '10.77.0.1',
    multicast: true,
    unicastPeers: [],
    checkUnicastSrc: false,
    downTimerAdverts: 3,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    timerExpiredBackupPriority: 0,
    skipCheckAdvAddr: false,
    garp: {
      masterDelayMs: 5000,
      masterRepeat: 5,
      lowerPrioDelayMs: 5000,
      lowerPrioRepeat: 5,
      masterRefreshMs: 0,
      masterRefreshRepeat: 1,
      intervalMs: 0,
    },
    syncGroup: null,
    notifyPriorityChanges: false,
    ...overrides,
  };
}

export interface PacketSpec {
  readonly advert?: Partial<Advert>;
  readonly ip?: Partial<Ipv4HeaderInput>;
  /** Applied to the encoded IP packet before decoding (checksums are not fixed up). */
  readonly mutate?: (bytes: Buffer) => Buffer;
}

/** An advert from 10.77.0.2 matching `instanceParams()` unless overridden, as decoded. */
export function packet(spec: PacketSpec = {}): ReceivedPacket {
  const advert: Advert = {
    version: 2,
    type: 1,
    vrid: 51,
    priority: 150,
    authType: 1,
    advertInt: 1,
    addresses: ['10.77.0.100', '10.77.0.101'],
    authData: passwordAuthData(PASSWORD),
    ...spec.advert,
  };
  let bytes = encodeIpv4Packet(
    { source: '10.77.0.2', destination: '224.0.0.18', ...spec.ip },
    encodeAdvert(advert),
  );
  if (spec.mutate) bytes = spec.mutate(bytes);
  const r = decodePacket(bytes);
  if (!r.ok) throw new Error(`test packet does not decode: ${r.error.reason}`);
  return r.value;
}
