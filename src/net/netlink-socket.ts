/**
 * EDGE: an AF_NETLINK / NETLINK_GENERIC socket from the `netlink` package's RawNetlinkSocket,
 * exposed as the NetlinkTransport port (raw datagrams in and out; framing, sequence numbers and
 * attributes are the ipvs subsystem's own pure code). Only datagrams from the kernel (port 0) are
 * passed on. Structurally typed: this file imports nothing from src/ipvs.
 */
import { RawNetlinkSocket } from 'netlink';
import { err, ok, type Result } from '../util/result.js';

const NETLINK_GENERIC = 16;

export interface SocketError {
  readonly errno: number;
  readonly message: string;
}

export interface GenericNetlinkSocketOptions {
  /** SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max). Default 4 MiB. */
  readonly recvBufferSize?: number;
  /** SO_SNDBUF to ask for. Default 1 MiB. */
  readonly sendBufferSize?: number;
}

export interface GenericNetlinkTransport {
  send(datagram: Buffer): Promise<Result<void, SocketError>>;
  onMessage(handler: (datagram: Buffer) => void): void;
  onError(handler: (e: SocketError) => void): void;
  close(): void;
}

function toSocketError(e: unknown): SocketError {
  const x = e as { errno?: number; code?: string; message?: string };
  // The addon reports errno as a positive number; libuv-style negatives are normalised.
  const errno = typeof x.errno === 'number' ? Math.abs(x.errno) : 5; // EIO when unknown
  return { errno, message: x.message ?? String(e) };
}

/** Opens a generic netlink socket; an error (e.g. EPERM, EAFNOSUPPORT) comes back as a Result. */
export function openGenericNetlink(
  options: GenericNetlinkSocketOptions = {},
): Result<GenericNetlinkTransport, SocketError> {
  let socket: RawNetlinkSocket;
  try {
    socket = new RawNetlinkSocket(NETLINK_GENERIC, {
      recvBufferSize: options.recvBufferSize ?? 4 * 1024 * 1024,
      sendBufferSize: options.sendBufferSize ?? 1024 * 1024,
    });
  } catch (e) {
    return err(toSocketError(e));
  }
  let messageHandler: (d: Buffer) => void = () => {};
  let errorHandler: (e: SocketError) => void = () => {};
  socket.on('message', (msg, rinfo) => {
    if (rinfo.port === 0) messageHandler(msg);
  });
  socket.on('truncatedMessage', () => errorHandler({ errno: 105, message: 'netlink message truncated' }));
  socket.on('error', (e) => errorHandler(toSocketError(e)));
  let pendingSends = 0;
  // Keep the process alive only while requests are outstanding.
  socket.unref();
  return ok({
    send(datagram) {
      return new Promise((resolve) => {
        if (pendingSends++ === 0) socket.ref();
        socket.send(datagram, { port: 0 }, (error) => {
          if (--pendingSends === 0) socket.unref();
          resolve(error ? err(toSocketError(error)) : ok(undefined));
        });
      });
    },
    onMessage(h) {
      messageHandler = h;
    },
    onError(h) {
      errorHandler = h;
    },
    close() {
      socket.close();
    },
  });
}
