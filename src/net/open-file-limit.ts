/**
 * EDGE: the process's open-file limit (RLIMIT_NOFILE), which Node cannot read or set; the native
 * addon `@keepalived-ts/signals` carries getrlimit/setrlimit (native/signals/src/rlimit.c).
 *
 * keepalived raises the limit to what its checkers need (lib/process.c set_max_file_limit, from
 * check_daemon.c and vrrp_daemon.c): the soft limit to at least the number required, the hard
 * limit too when it is lower (only root may), never below the limits the process started with,
 * and back to those when fewer are needed after a reload. Node itself raises the soft limit to
 * the hard one as it starts, so what matters here is a low hard limit (`ulimit -n 1024` in a
 * shell sets both): without raising it, a director with 2,000 checkers runs out of sockets
 * whenever many checks are in flight at once, and healthy servers were reported down.
 */
import { createRequire } from 'node:module';

export interface OpenFileLimits {
  /** Infinity: unlimited. */
  readonly soft: number;
  readonly hard: number;
}

export interface OpenFileLimitControl {
  read(): OpenFileLimits;
  /** Throws an Error with `code` EPERM or EINVAL when refused. */
  write(limits: OpenFileLimits): void;
}

interface RlimitAddon {
  openFileLimit(): OpenFileLimits;
  setOpenFileLimit(soft: number, hard: number): void;
}

let addon: RlimitAddon | null = null;
function load(): RlimitAddon {
  addon ??= createRequire(import.meta.url)('@keepalived-ts/signals') as RlimitAddon;
  return addon;
}

export const processOpenFileLimit: OpenFileLimitControl = {
  read: () => load().openFileLimit(),
  write: (l) => load().setOpenFileLimit(l.soft, l.hard),
};

/**
 * PURE: the limits to set for `required` descriptors given the limits the process started with
 * and the current ones, as set_max_file_limit decides; null when nothing is to change.
 */
export function openFileLimitsFor(
  original: OpenFileLimits,
  current: OpenFileLimits,
  required: number,
): OpenFileLimits | null {
  if (required <= original.soft && original.soft === current.soft) return null;
  const target = {
    soft: Math.max(original.soft, required),
    hard: Math.max(original.hard, required),
  };
  return target.soft === current.soft && target.hard === current.hard ? null : target;
}

/** What setting the limit for `required` did. */
export type OpenFileLimitChange =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'set'; readonly limits: OpenFileLimits }
  /**
   * Refused (`code`); `capped`: the soft limit was raised as far as the hard one allows instead
   * (keepalived leaves both as they were when the hard limit cannot be raised).
   */
  | {
      readonly kind: 'failed';
      readonly limits: OpenFileLimits;
      readonly code: string;
      readonly capped: OpenFileLimits | null;
    };

/** Remembers the limits it first saw (the process's own) and sets what each call requires. */
export function openFileLimiter(control: OpenFileLimitControl = processOpenFileLimit): {
  require(required: number): OpenFileLimitChange;
} {
  let original: OpenFileLimits | null = null;
  return {
    require(required) {
      const current = control.read();
      original ??= current;
      const target = openFileLimitsFor(original, current, required);
      if (target === null) return { kind: 'unchanged' };
      try {
        control.write(target);
        return { kind: 'set', limits: target };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
        const capped = { soft: Math.min(target.soft, current.hard), hard: current.hard };
        if (capped.soft <= current.soft) return { kind: 'failed', limits: target, code, capped: null };
        try {
          control.write(capped);
          return { kind: 'failed', limits: target, code, capped };
        } catch {
          return { kind: 'failed', limits: target, code, capped: null };
        }
      }
    },
  };
}
