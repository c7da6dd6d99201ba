/** The first real-time signal as glibc reserves it (34 on Linux/glibc). */
export const SIGRTMIN: number;
/** The last real-time signal (64 on Linux). */
export const SIGRTMAX: number;
/** The one function every watched signal is delivered to, on the event loop. */
export function setCallback(fn: (signum: number) => void): void;
/** Watches a signal (idempotent); it no longer takes its default action. */
export function watch(signum: number): void;
/** Stops watching a signal; its default action applies again. */
export function unwatch(signum: number): void;
/** The credentials of a connected unix socket's peer (SO_PEERCRED); throws on failure. */
export function peerCredentials(fd: number): {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
};
/** RLIMIT_NOFILE: the soft and hard open-file limits (Infinity: unlimited). */
export function openFileLimit(): { readonly soft: number; readonly hard: number };
/** Sets RLIMIT_NOFILE; throws an Error whose code is EPERM (hard limit raised without privilege) or EINVAL. */
export function setOpenFileLimit(soft: number, hard: number): void;
/**
 * A non-blocking, close-on-exec TCP (`udp` false) or UDP socket of AF_INET (`ipv6` false) or
 * AF_INET6 with SO_MARK (`mark` not 0) and SO_BINDTODEVICE (`device` not null) set, then bound
 * when `bindAddress` is not null or `bindPort` is not 0; not connected. Returns its fd. Throws an
 * Error with `code` (the errno name) and `syscall` (socket, SO_MARK, SO_BINDTODEVICE, bind).
 */
export function checkSocket(
  udp: boolean,
  ipv6: boolean,
  mark: number,
  device: string | null,
  bindAddress: string | null,
  bindPort: number,
): number;
/** SO_MARK and SO_BINDTODEVICE of a socket ('' when bound to no device); throws like checkSocket. */
export function socketMarkAndDevice(fd: number): { readonly mark: number; readonly device: string };
