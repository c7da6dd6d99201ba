import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import { CheckerWorkerMetrics } from '../../../src/daemon/metrics-worker.js';

const DASHBOARD = join(import.meta.dirname, '../../../contrib/grafana/keepalived-ts.json');

interface Panel {
  readonly title?: string;
  readonly type: string;
  readonly targets?: readonly { readonly expr: string }[];
  readonly panels?: readonly Panel[];
}

function panelsOf(list: readonly Panel[]): Panel[] {
  return list.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);
}

/** Every metric this daemon defines, on the main thread and in the checker worker. */
function metricNames(): Set<string> {
  const main = new DaemonMetrics();
  const names = new Set([...main.names(), ...new CheckerWorkerMetrics().names()]);
  main.close();
  return names;
}

describe('contrib/grafana/keepalived-ts.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: { name: string; query: unknown }[] };
  };
  const panels = panelsOf(dashboard.panels);
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  it('queries only metrics the daemon defines (histogram series by their family)', () => {
    const known = metricNames();
    const queried = new Set<string>();
    for (const e of exprs) {
      for (const m of e.matchAll(/\b(?:keepalived|nodejs|process)_[a-z0-9_]+/g)) queried.add(m[0]);
    }
    expect(queried.size).toBeGreaterThan(20);
    const unknown = [...queried].filter(
      (n) => !known.has(n) && !known.has(n.replace(/_(bucket|sum|count)$/, '')),
    );
    expect(unknown).toEqual([]);
  });

  it('has the panels for VRRP state, adverts, real-server health, check latency, LVS connections and bytes, reloads', () => {
    const uses = (metric: string) => exprs.some((e) => e.includes(metric));
    for (const m of [
      'keepalived_vrrp_state',
      'keepalived_advertisements_sent_total',
      'keepalived_advertisements_received_total',
      'keepalived_ts_real_server_healthy',
      'keepalived_ts_check_duration_seconds_bucket',
      'keepalived_lvs_vip_conn',
      'keepalived_lvs_vip_in_bytes',
      'keepalived_ts_reloads_total',
    ])
      expect(uses(m), m).toBe(true);
    // Every query is scoped to the dashboard's instance variable.
    for (const e of exprs) expect(e, e).toContain('instance=~"$instance"');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
  });
});
