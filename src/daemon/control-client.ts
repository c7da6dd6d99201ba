/**
 * The client side of the control commands (control-cli.ts parses them): one request over
 * `<runtime-dir>/control.sock`, the reply printed for a person (or as JSON with `status --json`).
 *
 * Exit codes: 0 done; 1 the daemon answered with an error, refused the reload, or `--wait` ran
 * out; 3 the daemon could not be reached (no socket, refused, no answer).
 */
import { connect } from 'node:net';
import type { DaemonStatus } from '../contracts/status.js';
import type { ControlCli } from './control-cli.js';
import { decodeReply, encodeRequest, type ControlCommand, type ControlReply } from './control-protocol.js';
import { controlSocketPath } from './control.js';
import type { ReloadReport } from './reload-report.js';
import { formatReloadReport, formatStatus } from './status-format.js';

export const EXIT_CONTROL_ERROR = 1;
export const EXIT_UNREACHABLE = 3;
/** A reload of a big config, or a drain waiting for the kernel table, may take a while. */
const REPLY_TIMEOUT_MS = 120_000;

class Unreachable extends Error {}

/** Sends one request and resolves with its reply. */
export function request(
  path: string,
  command: ControlCommand,
  timeoutMs = REPLY_TIMEOUT_MS,
): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Unreachable(`no answer from ${path} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const finish = (f: () => void): void => {
      clearTimeout(timer);
      socket.destroy();
      f();
    };
    socket.on('connect', () => socket.write(encodeRequest({ ...command, id: 1 })));
    socket.on('error', (e: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          new Unreachable(
            `cannot connect to ${path}: ${e.code ?? e.message} (is keepalived-ts running with this --runtime-dir?)`,
          ),
        ),
      ),
    );
    socket.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const r = decodeReply(buf.slice(0, nl));
      finish(() => (r.ok ? resolve(r.value) : reject(new Unreachable(r.error))));
    });
    socket.on('close', () =>
      finish(() => reject(new Unreachable(`${path} closed the connection without an answer`))),
    );
  });
}

const print = (text: string): Promise<void> =>
  new Promise((resolve) => process.stdout.write(text, () => resolve()));

interface DrainResult {
  readonly vs: string;
  readonly rs: string;
  readonly vsKey: string;
  readonly rsKey: string;
  readonly drained: boolean;
  readonly changed: boolean;
}

/** `rs drain --wait`: polls status until the kernel shows no active connection for the server. */
async function waitForDrain(path: string, d: DrainResult, seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const reply = await request(path, { cmd: 'status' });
    if (!reply.ok) {
      process.stderr.write(`keepalived-ts: ${reply.error.message}\n`);
      return EXIT_CONTROL_ERROR;
    }
    const status = reply.result as DaemonStatus;
    const rs = status.lvs?.virtualServers
      .find((v) => v.key === d.vsKey)
      ?.realServers.find((r) => r.key === d.rsKey);
    if (rs === undefined) {
      process.stderr.write(`keepalived-ts: ${d.rs} is no longer in ${d.vs}\n`);
      return EXIT_CONTROL_ERROR;
    }
    if (rs.counters === null) {
      await print('No kernel counters (--no-ipvs, or not in the IPVS table): nothing to wait for\n');
      return 0;
    }
    if (rs.counters.activeConnections === 0) {
      await print(`${d.rs} has no active connections\n`);
      return 0;
    }
    if (Date.now() >= deadline) {
      process.stderr.write(
        `keepalived-ts: ${d.rs} still has ${rs.counters.activeConnections} active connections after ${seconds} s\n`,
      );
      return EXIT_CONTROL_ERROR;
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
  }
}

export async function runControlCommand(cli: ControlCli): Promise<number> {
  const path = controlSocketPath(cli);
  let reply: ControlReply;
  try {
    reply = await request(path, cli.command);
  } catch (e) {
    process.stderr.write(`keepalived-ts: ${(e as Error).message}\n`);
    return e instanceof Unreachable ? EXIT_UNREACHABLE : EXIT_CONTROL_ERROR;
  }
  if (!reply.ok) {
    process.stderr.write(`keepalived-ts: ${reply.error.message} (${reply.error.code})\n`);
    return EXIT_CONTROL_ERROR;
  }
  const result = reply.result;
  switch (cli.command.cmd) {
    case 'status':
      await print(cli.json ? `${JSON.stringify(result, null, 2)}\n` : formatStatus(result as DaemonStatus));
      return 0;
    case 'reload': {
      const report = result as ReloadReport;
      await print(formatReloadReport(report));
      return report.applied ? 0 : EXIT_CONTROL_ERROR;
    }
    case 'rs.drain':
    case 'rs.enable': {
      const d = result as DrainResult;
      const what = d.drained ? 'drained (weight 0, connections finish)' : 'enabled';
      await print(
        `${d.rs} of ${d.vs} ${d.changed ? what : `already ${d.drained ? 'drained' : 'enabled'}`}\n`,
      );
      if (cli.waitSeconds === null || !d.drained) return 0;
      try {
        return await waitForDrain(path, d, cli.waitSeconds);
      } catch (e) {
        process.stderr.write(`keepalived-ts: ${(e as Error).message}\n`);
        return EXIT_UNREACHABLE;
      }
    }
    case 'vrrp.standby':
    case 'vrrp.resume': {
      const r = result as { instances: { name: string; state: string | null; standby: boolean }[] };
      for (const i of r.instances)
        await print(`${i.name}: ${i.standby ? 'standby' : 'resumed'} (now ${i.state ?? 'unknown'})\n`);
      return 0;
    }
    case 'ping':
      await print(`${JSON.stringify(result)}\n`);
      return 0;
  }
}
