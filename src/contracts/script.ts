/**
 * How a script ended: the one outcome type of the script runner (net/exec.ts `runScript`), read
 * by the checkers (MISC_CHECK, notify_up/down) and by VRRP (vrrp_script, notify_*).
 */
export type ScriptOutcome =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signaled'; readonly signal: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'spawn-error'; readonly message: string };
