// Model builders for VRRP unit tests: one VIP and one vrrp_instance with keepalived's defaults,
// so each test states only what it changes.
import type { NotifyScripts, Vip, VrrpInstance } from '../../src/config/model.js';

export const testLoc = { file: 'k.conf', line: 1 };

export const vip = (address: string): Vip => ({
  address,
  family: 'inet',
  prefixLength: 32,
  dev: 'eth0',
  label: null,
  scope: null,
  broadcast: null,
  peer: null,
  noTrack: false,
  loc: testLoc,
});

export const noNotify: NotifyScripts = {
  master: null,
  backup: null,
  fault: null,
  stop: null,
  deleted: null,
  generic: null,
  masterRxLowerPri: null,
};

/** A BACKUP instance at priority 100 on eth0 with one VIP, 10.0.0.<vrid>. */
export function vrrpInstance(name: string, vrid: number, over: Partial<VrrpInstance> = {}): VrrpInstance {
  return {
    name,
    state: 'BACKUP',
    interface: 'eth0',
    virtualRouterId: vrid,
    priority: 100,
    advertInt: 1,
    version: 2,
    nopreempt: false,
    preemptDelay: 0,
    authentication: null,
    virtualIpaddresses: [],
    virtualIpaddressesExcluded: [],
    vips: [vip(`10.0.0.${vrid}`)],
    excludedVips: [],
    virtualRoutes: [],
    trackScripts: [],
    trackInterfaces: [],
    trackFiles: [],
    dontTrackPrimary: false,
    mcastSrcIp: null,
    unicastSrcIp: null,
    unicastPeers: [],
    unicastTtl: 255,
    checkUnicastSrc: false,
    garp: {
      masterDelay: 5,
      masterRepeat: 5,
      lowerPrioDelay: 5,
      lowerPrioRepeat: 5,
      masterRefresh: 0,
      masterRefreshRepeat: 1,
      interval: 0,
    },
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    downTimerAdverts: 3,
    skipCheckAdvAddr: false,
    strictMode: false,
    notify: noNotify,
    smtpAlert: false,
    syncGroup: null,
    loc: testLoc,
    ...over,
  };
}
