/**
 * Starts the observation listener (`--metrics-listen`): http-server.ts with the routes of
 * http-routes.ts. A failure to listen is logged and the daemon runs on without it, as it does
 * without its control socket: monitoring must never keep a director from taking over.
 */
import type { ListenAddress } from './listen-address.js';
import { observeRoutes, type ObserveDeps } from './http-routes.js';
import { startHttpServer, type HttpServer } from './http-server.js';

/** `http://ADDR:PORT/`, brackets around an IPv6 address. */
export function listenUrl(a: ListenAddress): string {
  return `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/`;
}

export async function startObserveListener(
  listen: ListenAddress,
  deps: ObserveDeps,
): Promise<HttpServer | null> {
  try {
    const server = await startHttpServer({ listen, routes: observeRoutes(deps), logger: deps.logger });
    deps.logger.info(`Metrics and status page on ${listenUrl(server.address)}`);
    return server;
  } catch (e) {
    deps.logger.error(`Cannot listen on ${listenUrl(listen)}: ${(e as Error).message}`);
    return null;
  }
}
