/**
 * The notify FIFOs one subsystem writes, as each keepalived child opens them (lib/notify.c
 * `notify_fifo_open`): the VRRP subsystem `notify_fifo` and `vrrp_notify_fifo`, the LVS subsystem
 * `notify_fifo` and `lvs_notify_fifo`; each line goes to both (vrrp/vrrp_notify.c `notify_fifo`,
 * check/ipwrapper.c `notify_fifo_vs`, `notify_fifo_rs`). With both subsystems running,
 * `notify_fifo`'s script is started by the LVS one only (vrrp/vrrp.c: "Only one process must run
 * the script to process the global fifo").
 *
 * Same names (core/global_data.c): `vrrp_notify_fifo` or `lvs_notify_fifo` naming `notify_fifo`'s
 * FIFO is ignored, with its script; `vrrp_notify_fifo` and `lvs_notify_fifo` naming one FIFO,
 * both with scripts, lose the LVS script.
 */
import type { Config, GlobalDefs, ScriptSpec } from '../config/model.js';
import { resolveScriptUser } from '../net/exec.js';
import { fifoMode, NotifyFifo, type FifoScript } from '../net/notify-fifo.js';
import type { Logger } from '../util/log.js';

export type FifoSubsystem = 'vrrp' | 'lvs';

interface FifoPlan {
  readonly type: string;
  readonly fifo: ScriptSpec;
  readonly script: ScriptSpec | null;
}

/** The FIFOs `which` opens, and keepalived's lines about the ones it ignores. */
export function fifoPlan(
  g: GlobalDefs,
  which: FifoSubsystem,
  runsGlobalScript: boolean,
): { plans: FifoPlan[]; messages: string[] } {
  const messages: string[] = [];
  const plans: FifoPlan[] = [];
  if (g.notifyFifo !== null)
    plans.push({ type: '', fifo: g.notifyFifo, script: runsGlobalScript ? g.notifyFifoScript : null });
  const own = which === 'vrrp' ? g.vrrpNotifyFifo : g.lvsNotifyFifo;
  let ownScript = which === 'vrrp' ? g.vrrpNotifyFifoScript : g.lvsNotifyFifoScript;
  if (own !== null) {
    if (g.notifyFifo !== null && g.notifyFifo.command === own.command) {
      messages.push(
        `notify FIFO ${own.command} has been specified for global and ${which === 'vrrp' ? 'vrrp' : 'LVS'} FIFO - ignoring ${which === 'vrrp' ? 'vrrp' : 'LVS'} FIFO`,
      );
    } else {
      if (
        which === 'lvs' &&
        ownScript !== null &&
        g.vrrpNotifyFifo !== null &&
        g.vrrpNotifyFifo.command === own.command &&
        g.vrrpNotifyFifoScript !== null
      ) {
        messages.push(
          'LVS notify FIFO and vrrp FIFO are the same both with scripts - ignoring LVS FIFO script',
        );
        ownScript = null;
      }
      plans.push({ type: which === 'vrrp' ? 'vrrp_' : 'lvs_', fifo: own, script: ownScript });
    }
  }
  return { plans, messages };
}

/** The open FIFOs of one subsystem; every method is safe with none open. */
export class NotifyFifoSet {
  private constructor(private readonly fifos: readonly NotifyFifo[]) {}

  static readonly none = new NotifyFifoSet([]);

  /** Opens (creating if missing) the FIFOs `which` writes and starts their scripts. */
  static open(
    config: Config,
    which: FifoSubsystem,
    options: {
      readonly logger: Logger;
      readonly runsGlobalScript: boolean;
      /** -u: keepalived's umask (null: its default 0177, so the FIFO is 0600). */
      readonly umask: number | null;
    },
  ): NotifyFifoSet {
    const g = config.globalDefs;
    const { logger } = options;
    const { plans, messages } = fifoPlan(g, which, options.runsGlobalScript);
    for (const m of messages) logger.info(m);
    const global = g.scriptUser;
    const fifos: NotifyFifo[] = [];
    for (const plan of plans) {
      const { fifo, type } = plan;
      // The FIFO's owner: its own user [group], else the default script user (global_parser.c).
      const owner =
        fifo.user !== null
          ? resolveScriptUser(fifo.user, fifo.group)
          : resolveScriptUser(global?.user ?? null, global?.group ?? null);
      if (!owner.ok) {
        logger.info(
          fifo.user !== null
            ? `Invalid user/group for ${type} fifo ${fifo.command} - ignoring`
            : `Failed to set default user for ${type} fifo ${fifo.command} - ignoring`,
        );
        continue;
      }
      let script: FifoScript | null = null;
      if (plan.script !== null) {
        const s = plan.script;
        const who =
          s.user !== null
            ? resolveScriptUser(s.user, s.group)
            : resolveScriptUser(global?.user ?? null, global?.group ?? null);
        if (who.ok) script = { argv: s.argv, uid: who.value.identity.uid, gid: who.value.identity.gid };
        else logger.error(`${type}notify_fifo_script ${s.command}: ${who.error}`);
      }
      const opened = NotifyFifo.open({
        path: fifo.command,
        type,
        uid: owner.value.identity.uid,
        gid: owner.value.identity.gid,
        mode: fifoMode(options.umask),
        script,
        scriptExitMessage: `${which} notify fifo script terminated`,
        logger,
      });
      if (opened !== null) fifos.push(opened);
    }
    return new NotifyFifoSet(fifos);
  }

  get size(): number {
    return this.fifos.length;
  }

  /** One line to every FIFO of the set (never blocks: a full FIFO drops it). */
  write(line: string): void {
    for (const f of this.fifos) f.write(line);
  }

  /** keepalived's `script_killall(SIGTERM)` at stop and reload, before the last lines. */
  terminateScripts(): void {
    for (const f of this.fifos) f.terminateScript();
  }

  /** Removes the FIFOs created here and closes them all. */
  close(): void {
    for (const f of this.fifos) f.close();
  }
}
