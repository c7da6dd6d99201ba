/**
 * The live status page on the observation listener (docs/status-page.md):
 *   GET  /, /app.js, /app.css, ...   the page (dist/web, web-assets.ts), from memory
 *   GET  /api/status                 the status model, as `keepalived-ts status --json`
 *   GET  /api/events                 server-sent events: hello, feed entries, status (web-events.ts)
 *   POST /api/rs/drain, /api/rs/enable   `rs.drain` / `rs.enable`, only with --web-control and
 *                                    only from the page itself (web-guard.ts); 403 otherwise
 */
import type { ServerResponse } from 'node:http';
import type { DaemonStatus } from '../contracts/status.js';
import type { Logger } from '../util/log.js';
import type { ControlCommand, ControlReply } from './control-protocol.js';
import type { EventFeed } from './event-feed.js';
import { readBody, sendText, type HttpRoute } from './http-server.js';
import { CONTENT_SECURITY_POLICY, defaultWebDir, loadWebAssets, type WebAsset } from './web-assets.js';
import { EventStream, type EventStreamOptions } from './web-events.js';
import { checkControlRequest, parseRsBody, webReply } from './web-guard.js';

/** What the page's routes use of the daemon (http-routes.ts ObserveDeps provides it). */
export interface WebDeps {
  readonly options: { readonly webControl: boolean };
  readonly logger: Logger;
  status(): Promise<DaemonStatus>;
  readonly events: EventFeed;
  control(command: ControlCommand): Promise<ControlReply>;
}

export interface WebRoutesOptions {
  /** Where the built page is; default: dist/web beside the bundle (defaultWebDir). null: none. */
  readonly webDir?: string | null;
  readonly stream?: Partial<Pick<EventStreamOptions, 'pushMs' | 'maxClients' | 'maxBufferedBytes'>>;
  /** Receives the event stream, for tests that look at its counters. */
  readonly onStream?: (stream: EventStream) => void;
}

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
  });
  res.end(JSON.stringify(body));
}

function assetRoute(asset: WebAsset): HttpRoute {
  return {
    method: 'GET',
    path: asset.path,
    handle(req, res) {
      const headers = {
        'content-type': asset.contentType,
        // Revalidated on every load (the names do not change between builds), answered 304.
        'cache-control': 'no-cache',
        etag: asset.etag,
        ...SECURITY_HEADERS,
      };
      if (req.headers['if-none-match'] === asset.etag) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': String(asset.body.length) });
      res.end(asset.body);
    },
  };
}

export function webRoutes(deps: WebDeps, opts: WebRoutesOptions = {}): HttpRoute[] {
  const dir = opts.webDir === undefined ? defaultWebDir() : opts.webDir;
  const assets = dir === null ? [] : loadWebAssets(dir);
  const pageRoutes: HttpRoute[] = assets.map(assetRoute);
  if (!assets.some((a) => a.path === '/')) {
    deps.logger.warn('Status page not built (no dist/web/index.html): / answers 503; run npm run build');
    pageRoutes.push({
      method: 'GET',
      path: '/',
      handle: (_req, res) => sendText(res, 503, 'The status page is not built (npm run build)\n'),
    });
  }

  const stream = new EventStream({
    status: () => deps.status(),
    events: deps.events,
    logger: deps.logger,
    hello: () => ({ pid: process.pid, webControl: deps.options.webControl }),
    ...opts.stream,
  });
  opts.onStream?.(stream);

  const controlRoute = (path: string, cmd: 'rs.drain' | 'rs.enable'): HttpRoute => ({
    method: 'POST',
    path,
    async handle(req, res) {
      const refuse = (status: number, code: string, message: string): void =>
        sendJson(res, status, { ok: false, error: { code, message } });
      if (!deps.options.webControl) {
        return refuse(
          403,
          'denied',
          'control from the status page is off (start the daemon with --web-control)',
        );
      }
      const verdict = checkControlRequest(req.headers);
      if (!verdict.ok) {
        deps.logger.warn(
          `Status page: refused ${path} from ${req.socket.remoteAddress ?? '?'}: ${verdict.message}`,
          { limit: 'web-control-refused' },
        );
        return refuse(verdict.status, verdict.status === 415 ? 'bad-request' : 'denied', verdict.message);
      }
      const body = await readBody(req);
      if (body === null) return refuse(413, 'request-too-large', 'the body is too large');
      const parsed = parseRsBody(body);
      if (!parsed.ok) return refuse(400, 'bad-request', parsed.message);
      const { vs, rs, protocol } = parsed.target;
      deps.logger.info(`Status page: ${cmd} ${vs} ${rs} from ${req.socket.remoteAddress ?? '?'}`);
      const answer = webReply(await deps.control({ cmd, vs, rs, protocol }));
      sendJson(res, answer.status, answer.body);
    },
  });

  return [
    ...pageRoutes,
    {
      method: 'GET',
      path: '/api/status',
      handle: async (_req, res) => sendJson(res, 200, await deps.status()),
    },
    { method: 'GET', path: '/api/events', handle: (req, res) => stream.open(req, res) },
    controlRoute('/api/rs/drain', 'rs.drain'),
    controlRoute('/api/rs/enable', 'rs.enable'),
  ];
}
