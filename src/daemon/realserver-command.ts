/**
 * `keepalived-ts realserver setup|teardown` (docs/realserver.md): reads the host (links,
 * addresses over rtnetlink, sysctls under /proc/sys) and the state a previous setup left in
 * RUNTIME_DIR/realserver.json, plans with realserver/plan.ts, then runs each step in order,
 * printing it as the command an operator would type. `--dry-run` prints the steps only.
 *
 * A setup step that fails stops the run with exit 1 after the steps already run are undone in
 * reverse (the state file is left as it was). A teardown step that fails stops it with the state
 * file unchanged: teardown looks at the host before each undo, so running it again finishes.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RtNetlink, type InterfaceAddress, type LinkInfo } from '../net/addresses.js';
import { writeDumpFile } from '../net/dump-file.js';
import { loadKernelModule } from '../net/kernel-module.js';
import { readSysctl, writeSysctl } from '../net/sysctl.js';
import {
  formatStep,
  planSetup,
  planTeardown,
  type ObservedHost,
  type RealServerStep,
  type SavedRealServerState,
  undoStep,
} from '../realserver/plan.js';
import type { RealServerCli } from './realserver-cli.js';

export const REALSERVER_STATE_FILE = 'realserver.json';

export interface RealServerIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const stdio: RealServerIo = {
  out: (l) => void process.stdout.write(`${l}\n`),
  err: (l) => void process.stderr.write(`${l}\n`),
};

function readState(path: string): SavedRealServerState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const state = JSON.parse(text) as SavedRealServerState;
  if (state.version !== 1 || !Array.isArray(state.vips) || !Array.isArray(state.sysctls)) {
    throw new Error(`${path}: not a realserver state file this version reads`);
  }
  return state;
}

async function observe(rt: RtNetlink): Promise<{ host: ObservedHost; links: LinkInfo[] }> {
  const links = await rt.links();
  const addresses: InterfaceAddress[] = await rt.addresses();
  const byName = new Map(links.map((l) => [l.name, l]));
  return {
    links,
    host: {
      sysctl: (path) => readSysctl(path),
      link: (device) => {
        const l = byName.get(device);
        return l === undefined ? null : { up: l.adminUp };
      },
      hasAddress: (address, device) => {
        const l = byName.get(device);
        return l !== undefined && addresses.some((a) => a.ifindex === l.ifindex && a.address === address);
      },
    },
  };
}

async function runStep(rt: RtNetlink, step: RealServerStep): Promise<void> {
  switch (step.kind) {
    case 'load-module':
      return loadKernelModule(step.module);
    case 'sysctl':
      return writeSysctl(step.path, step.value);
    case 'link':
    case 'address': {
      // Looked up now: a device a module load created is not in the first listing.
      const link = await rt.linkByName(step.device);
      if (link === null) throw new Error(`no device ${step.device}`);
      if (step.kind === 'link') return rt.setLinkUp(link.ifindex, step.up);
      const spec = {
        address: step.address,
        prefixLength: step.prefixLength,
        ifindex: link.ifindex,
        label: null,
        scope: null,
        broadcast: null,
        peer: null,
      };
      if (step.add) await rt.addAddress(spec);
      else await rt.deleteAddress(spec);
      return;
    }
  }
}

/** Undoes a failed setup's steps, newest first; one that fails is reported and the rest still run. */
async function rollBack(rt: RtNetlink, done: readonly RealServerStep[], io: RealServerIo): Promise<void> {
  for (const step of [...done].reverse()) {
    const undo = undoStep(step);
    if (undo === null) continue;
    try {
      await runStep(rt, undo);
      io.err(`undone: ${formatStep(undo)}`);
    } catch (e) {
      io.err(`keepalived-ts: could not undo ${formatStep(step)}: ${(e as Error).message}`);
    }
  }
}

export async function runRealServerCommand(cmd: RealServerCli, io: RealServerIo = stdio): Promise<number> {
  const statePath = join(cmd.runtimeDir, REALSERVER_STATE_FILE);
  let rt: RtNetlink;
  try {
    rt = RtNetlink.open();
  } catch (e) {
    io.err(`keepalived-ts: cannot open rtnetlink: ${(e as Error).message}`);
    return 1;
  }
  try {
    const saved = readState(statePath);
    const { host } = await observe(rt);
    const plan = cmd.action === 'setup' ? planSetup(cmd, host, saved) : planTeardown(cmd.vips, host, saved);
    if (!plan.ok) {
      io.err(`keepalived-ts: realserver ${cmd.action}: ${plan.error}`);
      return 1;
    }
    for (const note of plan.value.notes) io.err(`note: ${note}`);
    if (cmd.action === 'teardown' && saved === null) {
      io.err(`note: no ${statePath}: nothing was set up with this runtime directory`);
    }
    if (plan.value.steps.length === 0) io.out(`# nothing to change: ${cmd.action} already holds`);
    if (cmd.dryRun) {
      for (const step of plan.value.steps) io.out(formatStep(step));
      return 0;
    }
    const done: RealServerStep[] = [];
    for (const step of plan.value.steps) {
      try {
        await runStep(rt, step);
        io.out(formatStep(step));
        done.push(step);
      } catch (e) {
        io.err(
          `keepalived-ts: realserver ${cmd.action} stopped at: ${formatStep(step)}: ${(e as Error).message}`,
        );
        if (cmd.action === 'setup') await rollBack(rt, done, io);
        return 1;
      }
    }
    const next = plan.value.next;
    if (next === null) rmSync(statePath, { force: true });
    else {
      mkdirSync(cmd.runtimeDir, { recursive: true, mode: 0o755 });
      await writeDumpFile(statePath, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    }
    return 0;
  } catch (e) {
    io.err(`keepalived-ts: realserver ${cmd.action}: ${(e as Error).message}`);
    return 1;
  } finally {
    rt.close();
  }
}
