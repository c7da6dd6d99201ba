/**
 * The control socket (docs/control.md): a unix stream socket, `<runtime-dir>/control.sock`, mode
 * 0600, that takes line-delimited JSON requests (control-protocol.ts) and answers each in order.
 *
 * Who may talk to it: root and the socket's owner (the daemon's uid), checked on every connection
 * with SO_PEERCRED (net/peer-credentials.ts); anyone else gets one `denied` reply and is
 * disconnected. The mode already keeps others out; the credential check holds when the mode or
 * the directory is loosened.
 *
 * No client can hold the daemon up: reading is asynchronous and bounded (a line over 64 KiB gets
 * `request-too-large` and the connection is closed), requests of one connection run one at a time
 * with at most MAX_QUEUED waiting (more: `busy` and closed), a connection idle for
 * IDLE_TIMEOUT_MS is closed, and a client that does not read its replies has its reading paused
 * until they drain (and is closed when its idle timer runs out). At most MAX_CLIENTS are
 * connected: a client that comes when all are taken closes the oldest connection with no request
 * running or waiting (a script that left its connection open must not keep an operator out for
 * the idle timeout), and gets `busy` only when every connection is busy with a request.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { peerCredentials, type PeerCredentials } from '../net/peer-credentials.js';
import type { Logger } from '../util/log.js';
import {
  decodeRequest,
  encodeReply,
  errorReply,
  LineFramer,
  MAX_REQUEST_BYTES,
  type ControlReply,
  type ControlRequest,
} from './control-protocol.js';

export const CONTROL_SOCKET_NAME = 'control.sock';
export const MAX_CLIENTS = 16;
export const IDLE_TIMEOUT_MS = 30_000;
const MAX_QUEUED = 16;

export interface ControlServerOptions {
  readonly path: string;
  readonly logger: Logger;
  /** Answers one request; never rejects (a failure is an `internal` error reply). */
  readonly handle: (request: ControlRequest) => Promise<ControlReply>;
  /** Reads a peer's credentials; default SO_PEERCRED. Tests inject one. */
  readonly credentials?: (socket: Socket) => PeerCredentials | null;
  /** The uid besides root that may connect; default this process's. */
  readonly ownerUid?: number;
  /** Socket file mode; default 0600. Only tests loosen it (to connect as another uid). */
  readonly mode?: number;
  readonly maxClients?: number;
  readonly idleTimeoutMs?: number;
  readonly maxRequestBytes?: number;
}

export interface ControlServer {
  readonly path: string;
  /** Connections open now. */
  readonly clients: number;
  close(): Promise<void>;
}

/** Removes a socket file a previous run left (never a file of another kind). */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // nothing there
  }
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { logger, path } = options;
  const credentialsOf = options.credentials ?? peerCredentials;
  const ownerUid = options.ownerUid ?? process.getuid?.() ?? 0;
  const maxClients = options.maxClients ?? MAX_CLIENTS;
  const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
  const sockets = new Set<Socket>();
  // Connections with no request running or waiting, in the order they became so.
  const idle = new Set<Socket>();

  /** Writes a reply; pauses reading while the client does not take its replies. */
  const send = (socket: Socket, reply: ControlReply): void => {
    if (socket.destroyed || !socket.writable) return;
    if (!socket.write(encodeReply(reply))) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  };
  const refuse = (socket: Socket, reply: ControlReply): void => {
    if (socket.destroyed || socket.writableEnded) return;
    socket.end(encodeReply(reply));
    // A peer that never reads must not keep the socket: gone within a second whatever it does.
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  const onConnection = (socket: Socket): void => {
    if (sockets.size >= maxClients) {
      const oldest = idle.values().next();
      if (oldest.done === true) {
        refuse(socket, errorReply(null, 'busy', `too many clients (at most ${maxClients}); try again`));
        return;
      }
      sockets.delete(oldest.value);
      idle.delete(oldest.value);
      oldest.value.destroy();
    }
    const who = credentialsOf(socket);
    if (who === null || (who.uid !== 0 && who.uid !== ownerUid)) {
      logger.warn(
        who === null
          ? 'Control socket: refused a connection whose credentials cannot be read'
          : `Control socket: refused a connection from uid ${who.uid} (pid ${who.pid})`,
      );
      refuse(socket, errorReply(null, 'denied', 'only root and the socket owner may use the control socket'));
      return;
    }
    sockets.add(socket);
    idle.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      idle.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());

    const framer = new LineFramer(maxRequestBytes);
    const queue: string[] = [];
    let running = false;
    const runNext = async (): Promise<void> => {
      if (running) return;
      running = true;
      idle.delete(socket);
      while (queue.length > 0 && !socket.destroyed) {
        const line = queue.shift()!;
        if (line.trim() === '') continue;
        const decoded = decodeRequest(line);
        let reply: ControlReply;
        if (!decoded.ok) reply = decoded.reply;
        else {
          try {
            reply = await options.handle(decoded.request);
          } catch (e) {
            reply = errorReply(decoded.request.id, 'internal', e instanceof Error ? e.message : String(e));
          }
        }
        send(socket, reply);
      }
      running = false;
      if (sockets.has(socket) && !socket.destroyed) idle.add(socket);
    };
    socket.on('data', (chunk: Buffer) => {
      const { lines, overflow } = framer.push(chunk);
      queue.push(...lines);
      if (queue.length > MAX_QUEUED) {
        queue.length = 0;
        refuse(
          socket,
          errorReply(null, 'busy', `more than ${MAX_QUEUED} requests waiting on one connection`),
        );
        return;
      }
      void runNext().then(() => {
        if (overflow)
          refuse(
            socket,
            errorReply(null, 'request-too-large', `a request line is limited to ${maxRequestBytes} bytes`),
          );
      });
    });
  };

  removeStaleSocket(path);
  const server: Server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => logger.error(`Control socket ${path}: ${e.message}`));
  // The socket is created with the process umask; it is tightened before anything is answered
  // (and the credential check covers the moment between).
  chmodSync(path, options.mode ?? 0o600);

  return {
    path,
    get clients() {
      return sockets.size;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      removeStaleSocket(path);
    },
  };
}
