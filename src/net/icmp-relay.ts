/**
 * EDGE: PING_CHECK's raw ICMP sockets, kept on the main thread for the checker worker. The
 * `raw-socket` addon polls its descriptor on libuv's default loop, the main thread's, so a
 * socket opened inside a worker thread never reports a reply there. The worker asks over a
 * MessagePort (`relayedIcmpSocketOpener`); the main thread opens the socket (`serveIcmpSockets`),
 * sends for it and passes each message it receives back. Both ends satisfy check/checker.ts's
 * socket shapes structurally.
 */
import type { MessagePort } from 'node:worker_threads';
import type { AddressFamily } from '../util/ip.js';
import { openIcmpSocket, type IcmpSocket } from './icmp-socket.js';

type ToMain =
  | { readonly kind: 'open'; readonly family: AddressFamily }
  | {
      readonly kind: 'send';
      readonly family: AddressFamily;
      readonly id: number;
      readonly message: Uint8Array;
      readonly address: string;
    }
  | { readonly kind: 'close'; readonly family: AddressFamily };

type ToWorker =
  | {
      readonly kind: 'message';
      readonly family: AddressFamily;
      readonly message: Uint8Array;
      readonly source: string;
    }
  | { readonly kind: 'sent'; readonly id: number; readonly error: string | null }
  | { readonly kind: 'error'; readonly family: AddressFamily; readonly error: string };

/** Main thread: serves the worker's ICMP sockets over `port` until it closes. */
export function serveIcmpSockets(
  port: MessagePort,
  open: (family: AddressFamily) => IcmpSocket = openIcmpSocket,
): void {
  const sockets = new Map<AddressFamily, IcmpSocket>();
  const post = (m: ToWorker): void => port.postMessage(m);
  const drop = (family: AddressFamily): void => {
    sockets.get(family)?.close();
    sockets.delete(family);
  };
  port.on('message', (m: ToMain) => {
    switch (m.kind) {
      case 'open': {
        if (sockets.has(m.family)) return;
        let socket: IcmpSocket;
        try {
          socket = open(m.family);
        } catch (e) {
          post({ kind: 'error', family: m.family, error: e instanceof Error ? e.message : String(e) });
          return;
        }
        sockets.set(m.family, socket);
        // The addon reuses its buffer: the clone postMessage makes is the copy.
        socket.onMessage((message, source) => post({ kind: 'message', family: m.family, message, source }));
        socket.onError((e) => {
          if (sockets.get(m.family) === socket) drop(m.family);
          post({ kind: 'error', family: m.family, error: e.message });
        });
        return;
      }
      case 'send': {
        const socket = sockets.get(m.family);
        if (socket === undefined) {
          post({ kind: 'sent', id: m.id, error: 'ICMP socket not open' });
          return;
        }
        socket
          .send(Buffer.from(m.message.buffer, m.message.byteOffset, m.message.byteLength), m.address)
          .then(
            () => post({ kind: 'sent', id: m.id, error: null }),
            (e: unknown) =>
              post({ kind: 'sent', id: m.id, error: e instanceof Error ? e.message : String(e) }),
          );
        return;
      }
      case 'close':
        drop(m.family);
    }
  });
  port.on('close', () => {
    for (const family of [...sockets.keys()]) drop(family);
  });
  // The worker's liveness is the host's business; this port alone keeps nothing running.
  port.unref();
}

/** Worker thread: an `openIcmpSocket` whose sockets live on the main thread behind `port`. */
export function relayedIcmpSocketOpener(port: MessagePort): (family: AddressFamily) => IcmpSocket {
  const listeners = new Map<
    AddressFamily,
    { message: ((m: Buffer, source: string) => void)[]; error: ((e: Error) => void)[] }
  >();
  const sends = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 1;
  port.on('message', (m: ToWorker) => {
    switch (m.kind) {
      case 'message': {
        const message = Buffer.from(m.message.buffer, m.message.byteOffset, m.message.byteLength);
        for (const fn of listeners.get(m.family)?.message ?? []) fn(message, m.source);
        return;
      }
      case 'sent': {
        const s = sends.get(m.id);
        sends.delete(m.id);
        if (m.error === null) s?.resolve();
        else s?.reject(new Error(m.error));
        return;
      }
      case 'error': {
        const l = listeners.get(m.family);
        listeners.delete(m.family);
        for (const fn of l?.error ?? []) fn(new Error(m.error));
      }
    }
  });
  port.unref();
  return (family) => {
    const own = {
      message: [] as ((m: Buffer, source: string) => void)[],
      error: [] as ((e: Error) => void)[],
    };
    listeners.set(family, own);
    port.postMessage({ kind: 'open', family } satisfies ToMain);
    return {
      send: (message, address) =>
        new Promise<void>((resolve, reject) => {
          const id = nextId++;
          sends.set(id, { resolve, reject });
          port.postMessage({ kind: 'send', family, id, message, address } satisfies ToMain);
        }),
      onMessage: (fn) => own.message.push(fn),
      onError: (fn) => own.error.push(fn),
      close: () => {
        if (listeners.get(family) !== own) return;
        listeners.delete(family);
        port.postMessage({ kind: 'close', family } satisfies ToMain);
      },
    };
  };
}
