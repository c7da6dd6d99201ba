// Bench entry (bundled by bench/checkers.mjs): a checker host (pool in a worker thread) of N real servers with TCP_CHECK
// at delay_loop 1 s, half against listening ports and half against refusing ones.
import { createCheckerHost } from '../src/daemon/checker-host.js';
import type { Logger } from '../src/util/log.js';
import type { Config, RealServer, VirtualServer } from '../src/config/model.js';
import { config, realServer, tcpCheck, virtualServer } from '../test/unit/check/support/config.js';

/** `servers` real servers spread over VSs of 100; server i checks ports[i % ports.length]. */
export function benchConfig(servers: number, upPorts: number[], downPorts: number[]): Config {
  const vss: VirtualServer[] = [];
  for (let v = 0; v * 100 < servers; v++) {
    const rss: RealServer[] = [];
    for (let i = v * 100; i < Math.min(servers, (v + 1) * 100); i++) {
      const ports = i % 2 === 0 ? upPorts : downPorts;
      const port = ports[Math.floor(i / 2) % ports.length]!;
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const check = tcpCheck(port, { warmup: 1, connectTimeout: 5 });
      rss.push(realServer(address, 80, [check], { smtpAlert: false }));
    }
    vss.push(virtualServer(`192.168.${v >> 8}.${v & 255}`, 80, rss));
  }
  return config(vss);
}

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
    if (e.kind === 'table' || e.kind === 'changes') tables++;
  });
  return { host, started: host.start(), lines: () => lines, tables: () => tables };
}
