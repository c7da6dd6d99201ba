/**
 * `-d`/`--dump-conf`: the configuration data logged line by line once the daemon runs and after
 * each reload, as keepalived does (vrrp_daemon.c and check_daemon.c call dump_data_vrrp /
 * dump_data_check without a file, which logs what SIGUSR1 writes to the data file: the Global
 * definitions, then the process's own part). keepalived-ts logs the text of its own data files
 * (dump-files.ts), each process's part under that process's ident (docs/operations.md "Logs").
 */
import { globalDefinitionsLines } from '../config/global-dump.js';
import type { Config } from '../config/model.js';
import { withFields, type Logger } from '../util/log.js';
import type { DumpSource, hostGlobalContext } from './dump-files.js';

export async function logConfigDump(
  config: Config,
  sources: readonly DumpSource[],
  logger: Logger,
  globalContext: ReturnType<typeof hostGlobalContext>,
): Promise<void> {
  for (const s of sources) {
    if (s.dataText === undefined) continue;
    let text: string;
    try {
      const own = await s.dataText();
      text = [...globalDefinitionsLines(config.globalDefs, globalContext(config, s.process)), own].join('\n');
    } catch (e) {
      logger.error(`Cannot dump the configuration: ${(e as Error).message}`);
      continue;
    }
    const log = withFields(logger, { subsystem: s.process === 'vrrp' ? 'vrrp' : 'lvs', dump: 'config' });
    for (const line of text.split('\n')) if (line.trim() !== '') log.info(line);
  }
}
