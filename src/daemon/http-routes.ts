/**
 * What the observation listener (`--metrics-listen`, http-server.ts) serves: the Prometheus
 * metrics (metrics-routes.ts) and the live status page with its data (web-routes.ts). daemon.ts
 * builds the routes once at start-up from what the daemon offers its observers.
 */
import type { DaemonStatus } from '../contracts/status.js';
import type { Logger } from '../util/log.js';
import type { DaemonOptions } from './cli.js';
import type { ControlCommand, ControlReply } from './control-protocol.js';
import type { EventFeed } from './event-feed.js';
import type { HttpRoute } from './http-server.js';
import type { DaemonMetrics } from './metrics.js';
import { metricsRoutes } from './metrics-routes.js';
import { webRoutes } from './web-routes.js';

/** What the daemon offers the metrics and the status page. */
export interface ObserveDeps {
  readonly options: DaemonOptions;
  readonly logger: Logger;
  /** The whole status model, as the control socket's `status` returns it. */
  status(): Promise<DaemonStatus>;
  /** Every event as it happens, and the latest ones. */
  readonly events: EventFeed;
  /** Runs a control command as the control socket does (the page's drain and enable). */
  control(command: ControlCommand): Promise<ControlReply>;
  /** The Prometheus metrics (metrics.ts); without them there is no /metrics. */
  readonly metrics?: DaemonMetrics;
}

export function observeRoutes(deps: ObserveDeps): HttpRoute[] {
  return [...metricsRoutes(deps), ...webRoutes(deps)];
}
