/**
 * EDGE: datagrams to systemd's NOTIFY_SOCKET, over the project's af-packet addon (its
 * UnixDatagramSender: Node has no AF_UNIX datagrams, and the unix-dgram addon sends only to
 * NUL-terminated paths). sd_notify(3): the variable names a filesystem path (`/run/systemd/notify`)
 * or, with a leading `@`, a Linux abstract address, which is length-delimited and starts with NUL.
 */
import { createRequire } from 'node:module';
import type { UnixDatagramSender } from '@keepalived-ts/af-packet';

/** The sun_path bytes of a NOTIFY_SOCKET value, or null when it is neither a path nor `@name`. */
export function notifySocketAddress(value: string): Buffer | null {
  if (value.startsWith('@') && value.length > 1) {
    return Buffer.concat([Buffer.from([0]), Buffer.from(value.slice(1))]);
  }
  if (value.startsWith('/')) return Buffer.concat([Buffer.from(value), Buffer.from([0])]);
  return null;
}

export interface NotifySocket {
  /** Sends one datagram; throws on failure (no listener, queue full, bad address). */
  send(message: string): void;
  close(): void;
}

/** Opens a socket that sends to the NOTIFY_SOCKET `value`; throws when it cannot. */
export function openNotifySocket(value: string): NotifySocket {
  const address = notifySocketAddress(value);
  if (address === null) throw new Error(`NOTIFY_SOCKET ${value} is neither a path nor an abstract @name`);
  const { UnixDatagramSender: Sender } = createRequire(import.meta.url)('@keepalived-ts/af-packet') as {
    UnixDatagramSender: new () => UnixDatagramSender;
  };
  const sender = new Sender();
  return {
    send: (message) => void sender.sendTo(address, Buffer.from(message)),
    close: () => sender.close(),
  };
}
