/**
 * EDGE: signal delivery for the daemon over the `@keepalived-ts/signals` native addon, which
 * watches any signal number on Node's own event loop (process.on() knows only the named standard
 * signals, so a real-time signal would take its default action and end the process with its VIPs
 * still on the interface).
 *
 * `holdSignals()` runs first thing when the daemon starts: from then on every watched signal is
 * caught, and those that arrive before the daemon has installed its handlers are kept in order and
 * handed over by `listen()`. No signal is lost and none takes its default action, except in the
 * few milliseconds of Node's own start-up before the first module runs.
 */
import { createRequire } from 'node:module';

interface SignalsAddon {
  readonly SIGRTMIN: number;
  readonly SIGRTMAX: number;
  setCallback(fn: (signum: number) => void): void;
  watch(signum: number): void;
  unwatch(signum: number): void;
}

let addon: SignalsAddon | null = null;
function load(): SignalsAddon {
  addon ??= createRequire(import.meta.url)('@keepalived-ts/signals') as SignalsAddon;
  return addon;
}

/** The real-time signal range of this process (glibc reserves the first two for itself). */
export function realtimeSignalRange(): { readonly min: number; readonly max: number } {
  const a = load();
  return { min: a.SIGRTMIN, max: a.SIGRTMAX };
}

/** Standard signals whose default action ends the process and that are not program faults. */
const TERMINATING_STANDARD = [1, 2, 3, 10, 12, 14, 15, 16, 24, 25, 26, 27, 29, 30];
const SIGPROF = 27;

/** Every signal the daemon catches: the terminating standard ones and the real-time range. */
export function catchableTerminatingSignals(execArgv: readonly string[] = process.execArgv): number[] {
  const { min, max } = realtimeSignalRange();
  const rt: number[] = [];
  for (let s = min; s <= max; s++) rt.push(s);
  // V8's sampling profiler (node --cpu-prof, --prof) ticks on SIGPROF: leave it to V8 then.
  const profiling = execArgv.some((a) => /^--(cpu-prof|prof)(=|$)/.test(a));
  return [...TERMINATING_STANDARD.filter((s) => !(profiling && s === SIGPROF)), ...rt];
}

let listener: ((signum: number) => void) | null = null;
let held: number[] | null = null;
/** Signals held before a listener existed beyond this many are counted, not kept. */
const MAX_HELD = 1024;
let droppedWhileHeld = 0;

function deliver(signum: number): void {
  if (listener !== null) {
    listener(signum);
    return;
  }
  held ??= [];
  if (held.length < MAX_HELD) held.push(signum);
  else droppedWhileHeld++;
}

let callbackSet = false;

/** Catches every signal in `signums` from now on, holding them until `listen()` (idempotent). */
export function holdSignals(signums: readonly number[] = catchableTerminatingSignals()): void {
  const a = load();
  if (!callbackSet) a.setCallback(deliver);
  callbackSet = true;
  for (const s of signums) a.watch(s);
}

/**
 * Routes caught signals to `fn`, first those held since `holdSignals()`, in arrival order.
 * Returns a function that detaches `fn`: later signals are held again (never their default action).
 */
export function listen(fn: (signum: number) => void): {
  readonly stop: () => void;
  readonly dropped: number;
} {
  listener = fn;
  const pending = held ?? [];
  held = null;
  for (const s of pending) fn(s);
  const dropped = droppedWhileHeld;
  droppedWhileHeld = 0;
  return {
    stop: () => {
      if (listener === fn) listener = null;
    },
    dropped,
  };
}

/** Stops catching `signum`: its default action applies again (tests). */
export function releaseSignal(signum: number): void {
  load().unwatch(signum);
}
