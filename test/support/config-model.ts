// Builders for the whole typed config model with the schema's defaults (src/config/schema.ts),
// so a test states only what it changes. Subsystem builders sit beside their tests
// (test/support/vrrp-config.ts, test/unit/check/support/config.ts).
import type { Config, GlobalDefs } from '../../src/config/model.js';

/** global_defs as an empty block leaves it. */
export function globalDefs(over: Partial<GlobalDefs> = {}): GlobalDefs {
  return {
    routerId: null,
    notificationEmail: [],
    notificationEmailFrom: null,
    smtpServer: null,
    smtpHeloName: null,
    smtpConnectTimeout: 30,
    enableScriptSecurity: false,
    scriptUser: null,
    checkerLogAllFailures: false,
    logUnknownVrids: false,
    defaultInterface: 'eth0',
    vrrpMcastGroup4: '224.0.0.18',
    vrrpMcastGroup6: 'ff02::12',
    vrrpVersion: 2,
    vrrpStrict: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpCheckUnicastSrc: false,
    vrrpLowerPrioNoAdvert: false,
    vrrpHigherPrioSendAdvert: false,
    vrrpDownTimerAdverts: 3,
    vrrpStartupDelay: 0,
    vrrpGarpMasterDelay: 5,
    vrrpGarpMasterRepeat: 5,
    vrrpGarpLowerPrioDelay: 5,
    vrrpGarpLowerPrioRepeat: 5,
    vrrpGarpMasterRefresh: 0,
    vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpInterval: 0,
    vrrpMinGarp: false,
    lvsSyncDaemon: null,
    lvsTimeouts: null,
    lvsFlush: false,
    lvsFlushOnStop: 'off',
    childWaitTime: 5,
    dynamicInterfaces: false,
    vmacPrefix: null,
    vmacAddrPrefix: null,
    disableLocalIgmp: false,
    stateFileLocation: null,
    statsFileLocation: null,
    jsonFileLocation: null,
    notifyFifo: null,
    vrrpNotifyFifo: null,
    lvsNotifyFifo: null,
    notifyFifoScript: null,
    vrrpNotifyFifoScript: null,
    lvsNotifyFifoScript: null,
    fifoWriteVrrpStatesOnReload: false,
    vrrpNotifyPriorityChanges: false,
    loc: null,
    ...over,
  };
}

/** An empty configuration (default global_defs, no blocks) read from `test.conf`. */
export function configModel(over: Partial<Config> = {}): Config {
  return {
    files: ['test.conf'],
    globalDefs: globalDefs(),
    vrrpScripts: [],
    trackFiles: [],
    vrrpSyncGroups: [],
    vrrpInstances: [],
    virtualServerGroups: [],
    virtualServers: [],
    staticAddresses: [],
    staticRoutes: [],
    staticRules: [],
    ...over,
  };
}
