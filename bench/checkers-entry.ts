// Bench entry (bundled by bench/checkers.mjs): a checker host (pool in a worker thread) of N real servers with TCP_CHECK
// at delay_loop 1 s, half against listening ports and half against refusing ones.
import { createCheckerHost } from '../src/daemon/checker-host.js';
import type { Logger } from '../src/util/log.js';
import type { Config, RealServer, TcpCheck, VirtualServer } from '../src/config/model.js';

const loc = { file: 'bench', line: 1 };

function tcpCheck(port: number): TcpCheck {
  return {
    type: 'TCP_CHECK',
    delayLoop: 1,
    warmup: 1,
    retry: 1,
    delayBeforeRetry: 1,
    alpha: false,
    logAllFailures: false,
    connectTimeout: 5,
    connectIp: '127.0.0.1',
    connectPort: port,
    bindTo: null,
    bindPort: null,
    bindIf: null,
    fwmark: null,
    loc,
  };
}

/** `servers` real servers spread over VSs of 100; server i checks ports[i % ports.length]. */
export function benchConfig(servers: number, upPorts: number[], downPorts: number[]): Config {
  const vss: VirtualServer[] = [];
  for (let v = 0; v * 100 < servers; v++) {
    const rss: RealServer[] = [];
    for (let i = v * 100; i < Math.min(servers, (v + 1) * 100); i++) {
      const ports = i % 2 === 0 ? upPorts : downPorts;
      const port = ports[Math.floor(i / 2) % ports.length]!;
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      rss.push({
        key: `${address}|80`,
        address,
        family: 'inet',
        port: 80,
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
        smtpAlert: false,
        checkers: [tcpCheck(port)],
        loc,
      });
    }
    vss.push({
      key: `TCP:192.168.${v >> 8}.${v & 255}:80`,
      family: 'inet',
      address: `192.168.${v >> 8}.${v & 255}`,
      port: 80,
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
      realServers: rss,
      loc,
    });
  }
  return {
    files: [],
    globalDefs: { checkerLogAllFailures: false } as Config['globalDefs'],
    vrrpScripts: [],
    trackFiles: [],
    vrrpSyncGroups: [],
    vrrpInstances: [],
    virtualServerGroups: [],
    virtualServers: vss,
  };
}

/** The pool in its worker thread, as the daemon runs it; log lines and tables are counted. */
export function startBenchHost(config: Config, workerUrl: URL, nice?: number) {
  let lines = 0;
  const count = (): void => {
    lines++;
  };
  const logger: Logger = { error: count, warn: count, info: count, detail: count, debug: count };
  let tables = 0;
  const host = createCheckerHost(config, {
    logger,
    workerUrl,
    sampleLateness: true,
    ...(nice !== undefined ? { nice } : {}),
  });
  host.on((e) => {
    if (e.kind === 'table') tables++;
  });
  return { host, started: host.start(), lines: () => lines, tables: () => tables };
}
