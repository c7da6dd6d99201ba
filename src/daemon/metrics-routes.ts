/**
 * `GET /metrics` on the observation listener: the Prometheus exposition of metrics.ts (the main
 * thread's series, the kernel's counters as last dumped, the checker worker's part). docs/metrics.md.
 */
import type { HttpRoute } from './http-server.js';
import type { DaemonMetrics } from './metrics.js';

/** Takes the part of http-routes.ts's ObserveDeps it needs (that module imports this one). */
export function metricsRoutes(deps: { readonly metrics?: DaemonMetrics }): HttpRoute[] {
  const metrics = deps.metrics;
  if (metrics === undefined) return [];
  return [
    {
      method: 'GET',
      path: '/metrics',
      async handle(_req, res) {
        const parts = await metrics.parts();
        res.writeHead(200, { 'content-type': metrics.contentType });
        for (const p of parts) res.write(p);
        res.end();
      },
    },
  ];
}
