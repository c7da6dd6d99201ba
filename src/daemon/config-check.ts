/**
 * `keepalived-ts -t [-f FILE]` / `--config-test[=LOG_FILE]` and `keepalived-ts dump-config`.
 * Exit codes follow keepalived's lib/scheduler.h chk_exit_code: 0 clean (warnings allowed),
 * 4 the daemon could not run, 5 errors it would run with, 6 script-security problems.
 */
import { writeFileSync } from 'node:fs';
import type { DaemonOptions } from './cli.js';
import { formatDiagnostic } from '../config/diagnostics-format.js';
import type { LoadResult } from '../config/load.js';
import { loadConfig } from '../config/load.js';

/** The config named on the command line, with the command line's load options (-i, -e, interface check). */
export function loadConfigFor(options: DaemonOptions): Promise<LoadResult> {
  return loadConfig(options.configFile, {
    configId: options.configId,
    checkInterfaces: !options.noInterfaceCheck,
    allConfig: options.allConfig,
  });
}

function render(result: LoadResult, mainFile: string): string {
  return result.diagnostics.map((d) => formatDiagnostic(d, mainFile) + '\n').join('');
}

export async function runConfigTest(options: DaemonOptions, outputFile: string | null): Promise<number> {
  const result = await loadConfigFor(options);
  const text = render(result, options.configFile);
  if (outputFile !== null) {
    try {
      writeFileSync(outputFile, text);
    } catch (e) {
      process.stderr.write(
        `Unable to open config test log file ${outputFile}: ${(e as Error).message}\n${text}`,
      );
    }
  } else if (text !== '') {
    process.stderr.write(text);
  }
  return result.exitCode;
}

export async function runDumpConfig(options: DaemonOptions): Promise<number> {
  const result = await loadConfigFor(options);
  const text = render(result, options.configFile);
  if (text !== '') process.stderr.write(text);
  if (result.config !== null) {
    await new Promise<void>((resolve) =>
      process.stdout.write(JSON.stringify(result.config, null, 2) + '\n', () => resolve()),
    );
  }
  return result.exitCode;
}
