/**
 * The checker contract (seesaw shape): one function per checker type performs ONE attempt and
 * returns a result. No scheduling, no retries and no state here; the runner owns those.
 */
import type { Checker } from '../config/model.js';
import type { CheckSocketOpener } from '../contracts/check-socket.js';
import type { ScriptOutcome } from '../contracts/script.js';
import type { AddressFamily } from '../util/ip.js';

export type CheckResult =
  | {
      readonly kind: 'up';
      /**
       * Absolute weight reported by the attempt (MISC_CHECK misc_dynamic: exit - 2; FILE_CHECK
       * with a weight: configured weight + value x weight), or null to keep the configured one.
       */
      readonly weight: number | null;
      /** Extra success lines, logged when the checker comes up (HTTP: `HTTP status code success to X url(/)`). */
      readonly notes: readonly string[];
    }
  | {
      readonly kind: 'down';
      /** Why, in keepalived's words (`Timeout connecting`, `HTTP status code error to`, ...). */
      readonly reason: string;
      /** Extra phrase after the endpoint, e.g. `url(/), status_code [404]`, or ''. */
      readonly detail: string;
      /**
       * A line keepalived logs on every such attempt, whatever the state: why the socket could
       * not be set up (a UDP_CHECK's `Error setting fwmark 42 to socket: ...`, core/layer4.c).
       */
      readonly cause?: { readonly level: 'error' | 'info'; readonly text: string };
    }
  | {
      /**
       * No verdict: the attempt could not start for want of a socket (the process out of
       * descriptors or memory: not the real server's fault). keepalived logs it and tries again
       * after delay_loop with the checker's state unchanged (check_tcp.c tcp_connect_thread,
       * check_http.c http_connect_thread, check_smtp.c smtp_start_check_thread).
       */
      readonly kind: 'skipped';
      /** keepalived's line, e.g. `TCP connect fail to create socket. Rescheduling.` */
      readonly line: string;
      /**
       * The line keepalived logs before it, if any: why the socket could not be set up
       * (`Error setting fwmark 42 to socket: Operation not permitted`, core/layer4.c).
       */
      readonly cause?: { readonly level: 'error' | 'info'; readonly text: string };
    };

export const up = (notes: readonly string[] = [], weight: number | null = null): CheckResult => ({
  kind: 'up',
  weight,
  notes,
});
export const down = (reason: string, detail = ''): CheckResult => ({ kind: 'down', reason, detail });
export const skipped = (
  line: string,
  cause?: { readonly level: 'error' | 'info'; readonly text: string },
): CheckResult => (cause === undefined ? { kind: 'skipped', line } : { kind: 'skipped', line, cause });

/** A socket that could not be made: descriptors or memory exhausted (socket(2) errors). */
export function isSocketShortage(e: { readonly code?: string | undefined }): boolean {
  return e.code === 'EMFILE' || e.code === 'ENFILE' || e.code === 'ENOBUFS' || e.code === 'ENOMEM';
}

/** Runs a script without a shell (net/exec.ts `runScript` satisfies it). */
export type ScriptRunner = (options: {
  readonly argv: readonly string[];
  readonly uid?: number;
  readonly gid?: number;
  readonly timeoutMs: number;
  readonly env?: Readonly<Record<string, string>>;
}) => Promise<ScriptOutcome>;

/** uid/gid for a script's `user [group]` (null = script_user default), or an error text. */
export type ScriptUserResolver = (
  user: string | null,
  group: string | null,
) => { readonly uid: number; readonly gid: number } | { readonly error: string };

/** A raw ICMP or ICMPv6 socket, shared by the pool's PING_CHECKs (net/icmp-socket.ts satisfies it). */
export interface IcmpSocket {
  /** Sends one ICMP message to `address`; rejects with the send error. */
  send(message: Buffer, address: string): Promise<void>;
  /** Every ICMP message received, without the IP header; `message` is valid during the call only. */
  onMessage(fn: (message: Buffer, source: string) => void): void;
  onError(fn: (error: Error) => void): void;
  close(): void;
}

/** Opens one raw ICMP socket of `family`; throws when the host refuses (not root). */
export type IcmpSocketOpener = (family: AddressFamily) => IcmpSocket;

/** Sends one echo request and waits for its reply (check/ping.ts IcmpEchoDemux). */
export interface IcmpEcho {
  echo(target: string, cancel: Cancellation): Promise<CheckResult>;
}

/** I/O that some checkers need from outside check/ (injected by the daemon). */
export interface CheckerIo {
  readonly runScript: ScriptRunner;
  readonly resolveScriptUser: ScriptUserResolver;
  /** FILE_CHECK: path of a `track_file` by name, or null if undefined. */
  readonly trackFilePath: (name: string) => string | null;
  /** PING_CHECK: the pool's echoes over its one ICMP socket per family (check/ping.ts). */
  readonly icmpEcho: IcmpEcho;
  /** The connecting checkers' socket when `fwmark` or `bind_if` is set (check/socket-options.ts). */
  readonly openCheckSocket: CheckSocketOpener;
}

/**
 * How the runner ends an attempt early (connect_timeout, misc_timeout, removal, stop). The
 * AbortSignal is made on first use; `onCancel` is the cheap path for hot checkers (an
 * EventTarget listener costs several microseconds per attempt at thousands a second).
 */
export interface Cancellation {
  readonly signal: AbortSignal;
  readonly cancelled: boolean;
  /** Runs `fn` once on cancellation (at once when already cancelled). */
  onCancel(fn: () => void): void;
}

/** The runner's cancellation token. */
export class CancelToken implements Cancellation {
  private controller: AbortController | null = null;
  private callbacks: (() => void)[] | null = null;
  cancelled = false;

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort();
    }
    return this.controller.signal;
  }

  onCancel(fn: () => void): void {
    if (this.cancelled) fn();
    else (this.callbacks ??= []).push(fn);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const callbacks = this.callbacks;
    this.callbacks = null;
    if (callbacks !== null) for (const fn of callbacks) fn();
    this.controller?.abort();
  }

  /** The attempt ended normally: drop the callbacks. */
  release(): void {
    this.callbacks = null;
  }
}

/** A Cancellation that follows an existing AbortSignal (tests, callers outside the runner). */
export function cancellationFromSignal(signal: AbortSignal): Cancellation {
  return {
    signal,
    get cancelled() {
      return signal.aborted;
    },
    onCancel(fn) {
      if (signal.aborted) fn();
      else signal.addEventListener('abort', fn, { once: true });
    },
  };
}

export interface AttemptContext {
  /** Aborted by the runner when connect_timeout (misc_timeout) expires or on stop. */
  readonly signal: AbortSignal;
  /** The same cancellation without an EventTarget (for the hot TCP path). */
  readonly cancel: Cancellation;
  readonly io: CheckerIo;
  /** Resolves after `ms` on the injected clock (or early when the signal fires). */
  readonly wait: (ms: number) => Promise<void>;
  /** keepalived's name of the endpoint, `[10.1.1.1]:tcp:80`, for result lines. */
  readonly target: string;
  /** Real server weight, for FILE_CHECK and misc_dynamic arithmetic. */
  readonly configuredWeight: number;
}

/** One attempt of one checker. Must settle (the signal bounds it) and never reject. */
export type AttemptFn<C extends Checker = Checker> = (
  checker: C,
  ctx: AttemptContext,
) => Promise<CheckResult>;

/** Attempt timeout the runner enforces: connect_timeout, or misc_timeout plus kill grace. */
export function attemptTimeoutSeconds(checker: Checker): number {
  switch (checker.type) {
    case 'MISC_CHECK':
      return checker.miscTimeout + 2;
    case 'FILE_CHECK':
      return 5;
    case 'HTTP_GET':
    case 'SSL_GET':
      // keepalived bounds each connect and each read by connect_timeout.
      return checker.connectTimeout * 2 * Math.max(1, checker.urls.length);
    case 'UDP_CHECK':
      // Without require_reply, silence for connect_timeout is success; leave room to decide.
      return checker.connectTimeout + 1;
    case 'SMTP_CHECK':
      // connect, banner, HELO reply, QUIT: each bounded by connect_timeout in keepalived.
      return checker.connectTimeout * 3;
    default:
      return checker.connectTimeout;
  }
}
