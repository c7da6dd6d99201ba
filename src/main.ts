/**
 * Entry point: argv -> command -> exit code. The only module that calls process.exit.
 */
import { DETACHED_CHILD_ENV, parseCommandLine, USAGE } from './daemon/cli.js';
import { runConfigTest, runDumpConfig } from './daemon/config-check.js';
import { release } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { versionText } from './version.js';

async function main(argv: readonly string[]): Promise<number> {
  const cmd = parseCommandLine(argv);
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      // keepalived prints its version on stderr.
      process.stderr.write(versionText(release(), cmd.long));
      return 0;
    case 'signum': {
      const { signumFor } = await import('./daemon/signals.js');
      const { realtimeSignalRange } = await import('./net/signal-watch.js');
      const n = signumFor(cmd.name, realtimeSignalRange());
      if (n === null) {
        process.stderr.write(`Unknown sigfunc ${cmd.name}\n`);
        return 1;
      }
      process.stdout.write(`${n}\n`);
      return 0;
    }
    case 'usage-error':
      // One line, as keepalived's "Unknown option -Z"; `-h` prints the usage.
      process.stderr.write(`keepalived-ts: ${cmd.message}\n`);
      return 1;
    case 'config-test':
      return runConfigTest(cmd.options, cmd.outputFile);
    case 'dump-config':
      return runDumpConfig(cmd.options);
    case 'control':
      // status, rs drain/enable, reload, vrrp standby/resume over the control socket.
      return (await import('./daemon/control-client.js')).runControlCommand(cmd);
    case 'realserver':
      // VIPs and ARP sysctls on a real server behind the director (docs/realserver.md).
      return (await import('./daemon/realserver-command.js')).runRealServerCommand(cmd);
    case 'ipvs':
      // Loaded on demand: `-t` and `dump-config` never load netlink, pino or native addons.
      return (await import('./daemon/ipvs-command.js')).runIpvsCommand(cmd);
    case 'run': {
      // Without -n the command only launches the detached daemon and waits for its start-up
      // (docs/operations.md "Daemon mode and pid files"); the daemon is this case again.
      if (!cmd.options.dontFork && process.env[DETACHED_CHILD_ENV] === undefined) {
        return (await import('./daemon/detach.js')).launchDetached(argv);
      }
      // Catch every terminating signal before anything else loads (docs/operations.md "Signals").
      (await import('./net/signal-watch.js')).holdSignals();
      boundHeapGrowth();
      return (await import('./daemon/run.js')).runDaemon(cmd.options);
    }
  }
}

/**
 * V8 grows a heap by up to 4 times what was live after each full collection, and keeps what it
 * grew: a start-up or a reload of 40,000 real servers (parse, model, checker pool) left both
 * threads' heaps at 300-500 MB for 100-190 MB live. 1.3 times keeps the daemon near its live
 * size (about 400 MiB resident instead of 700 after that start-up) for 10-20% more time in the
 * collector during a reload (docs/benchmarks.md, Scale). V8's flags are the process's, so the
 * checker worker has the same. An operator's own `node --heap-growing-percent=N` wins (Node
 * refuses the flag in NODE_OPTIONS; docs/operations.md, Memory).
 */
function boundHeapGrowth(): void {
  if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) {
    setFlagsFromString('--heap-growing-percent=30');
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // A bug, never a config problem: config problems are diagnostics, not exceptions.
    process.stderr.write(
      `keepalived-ts: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(70);
  },
);
