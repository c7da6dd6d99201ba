// Model builders for VRRP unit tests: VIPs, vrrp_instance, vrrp_script, track_file, sync groups
// and a whole config holding them, with keepalived's defaults, so each test states only what it
// changes.
import type {
  Config,
  NotifyScripts,
  TrackFile,
  Vip,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
} from '../../src/config/model.js';
import { configModel } from './config-model.js';

export const testLoc = { file: 'k.conf', line: 1 };

export const vip = (address: string, over: Partial<Vip> = {}): Vip => ({
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
  ...over,
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
    virtualRules: [],
    trackScripts: [],
    trackInterfaces: [],
    trackFiles: [],
    trackProcesses: [],
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
    timerExpiredBackup: 0,
    downTimerAdverts: 3,
    skipCheckAdvAddr: false,
    vmac: null,
    useVmacAddr: false,
    vipVmacs: [],
    strictMode: false,
    notify: noNotify,
    notifyDeleted: false,
    smtpAlert: false,
    notifyPriorityChanges: null,
    syncGroup: null,
    loc: testLoc,
    ...over,
  };
}

/** A vrrp_script running `/bin/<name>` (or `over.script`) every second, weight 0, rise and fall 1. */
export function vrrpScript(name: string, over: Partial<VrrpScript> = {}): VrrpScript {
  const command = over.script ?? `/bin/${name}`;
  return {
    name,
    script: command,
    argv: [command],
    interval: 1,
    timeout: 1,
    weight: 0,
    weightReverse: false,
    rise: 1,
    fall: 1,
    user: null,
    group: null,
    initFail: false,
    loc: testLoc,
    ...over,
  };
}

/** A track_file block for `file`, weight 1, without init_file. */
export function trackFile(name: string, file: string, over: Partial<TrackFile> = {}): TrackFile {
  return { name, file, weight: 1, weightReverse: false, initFile: null, loc: testLoc, ...over };
}

/** A vrrp_sync_group of `members`, tracking nothing, notifying nothing. */
export function vrrpSyncGroup(
  name: string,
  members: readonly string[],
  over: Partial<VrrpSyncGroup> = {},
): VrrpSyncGroup {
  return {
    name,
    group: members,
    trackScripts: [],
    trackInterfaces: [],
    trackFiles: [],
    trackProcesses: [],
    notify: noNotify,
    smtpAlert: false,
    syncGroupTrackingWeight: false,
    notifyPriorityChanges: null,
    loc: testLoc,
    ...over,
  };
}

/** A config of `instances` (read from k.conf, default global_defs) plus what `over` adds. */
export function vrrpConfig(instances: readonly VrrpInstance[], over: Partial<Config> = {}): Config {
  return configModel({ files: ['k.conf'], vrrpInstances: instances, ...over });
}
