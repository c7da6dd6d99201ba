// Plain-object builders for the typed config model, as the schema would resolve it (timings in
// seconds, inheritance already applied). Only the fields the check subsystem reads matter.
import type {
  Checker,
  Config,
  HttpCheck,
  MiscCheck,
  RealServer,
  ScriptSpec,
  TcpCheck,
  VirtualServer,
} from '../../../../src/config/model.js';
import { configModel } from '../../../support/config-model.js';

export { globalDefs } from '../../../support/config-model.js';

const loc = { file: 'test.conf', line: 1 };

export function tcpCheck(port: number, over: Partial<TcpCheck> = {}): TcpCheck {
  return {
    type: 'TCP_CHECK',
    delayLoop: 1,
    warmup: 0,
    retry: 1,
    delayBeforeRetry: 1,
    alpha: false,
    logAllFailures: false,
    connectTimeout: 1,
    connectIp: '127.0.0.1',
    connectPort: port,
    bindTo: null,
    bindPort: null,
    bindIf: null,
    fwmark: null,
    loc,
    ...over,
  };
}

export function httpCheck(port: number, over: Partial<HttpCheck> = {}): HttpCheck {
  return {
    ...tcpCheck(port),
    type: 'HTTP_GET',
    delayBeforeRetry: 3,
    urls: [
      {
        path: '/',
        digest: null,
        statusCodes: [[200, 299]],
        virtualhost: null,
        regex: null,
        regexNoMatch: false,
        tlsCompliant: false,
      },
    ],
    httpProtocol: '1.0',
    virtualhost: null,
    enableSni: false,
    sniName: null,
    fastRecovery: false,
    tlsCompliant: false,
    ...over,
  };
}

export function script(argv: string[], user: string | null = null, group: string | null = null): ScriptSpec {
  return { command: argv.join(' '), argv, user, group };
}

export function miscCheck(argv: string[], over: Partial<MiscCheck> = {}): MiscCheck {
  return {
    type: 'MISC_CHECK',
    delayLoop: 1,
    warmup: 0,
    retry: 0,
    delayBeforeRetry: 1,
    alpha: false,
    logAllFailures: false,
    miscPath: script(argv),
    miscTimeout: 2,
    miscDynamic: false,
    loc,
    ...over,
  };
}

export function realServer(
  address: string,
  port: number,
  checkers: Checker[],
  over: Partial<RealServer> = {},
): RealServer {
  return {
    key: `${address}|${port}`,
    address,
    family: address.includes(':') ? 'inet6' : 'inet',
    port,
    weight: 1,
    inhibitOnFailure: false,
    forwardingMethod: 'NAT',
    tunnel: null,
    uthreshold: null,
    lthreshold: null,
    alpha: false,
    notifyUp: null,
    notifyDown: null,
    virtualhost: null,
    smtpAlert: true,
    checkers,
    loc,
    ...over,
  };
}

export function virtualServer(
  address: string,
  port: number,
  realServers: RealServer[],
  over: Partial<VirtualServer> = {},
): VirtualServer {
  return {
    key: `TCP:${address}:${port}`,
    family: address.includes(':') ? 'inet6' : 'inet',
    address,
    port,
    fwmark: null,
    group: null,
    protocol: 'TCP',
    scheduler: 'wlc',
    forwardingMethod: 'NAT',
    tunnel: null,
    persistenceTimeout: 0,
    persistenceGranularity: null,
    persistenceEngine: null,
    flags: {
      onePacket: false,
      shPort: false,
      shFallback: false,
      mhPort: false,
      mhFallback: false,
      sched1: false,
      sched2: false,
      sched3: false,
    },
    delayLoop: 1,
    quorum: 1,
    hysteresis: 0,
    quorumUp: null,
    quorumDown: null,
    sorryServer: null,
    alpha: false,
    omega: false,
    inhibitOnFailure: false,
    haSuspend: false,
    virtualhost: null,
    smtpAlert: false,
    realServers,
    loc,
    ...over,
  };
}

export function config(virtualServers: VirtualServer[], over: Partial<Config> = {}): Config {
  return configModel({ virtualServers, ...over });
}
