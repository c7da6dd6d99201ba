/**
 * What the subsystems hand the metrics (metrics.ts) when --metrics-listen is on: the VRRP engine's
 * instance reports (read on a scrape: a few fields per instance), the checker worker's exposition
 * text and the kernel's IPVS table (dumped on an interval, never per scrape). A module of its
 * own so that subsystem.ts can name it without importing the metrics.
 */
import type { FullTable } from '../ipvs/sink.js';
import type { InstanceReport, ScriptReport } from '../vrrp/engine.js';

export interface VrrpMetricsSource {
  reports(): readonly InstanceReport[];
  scripts(): readonly ScriptReport[];
  /** The engine clock's reading now (its times are on that clock). */
  clockNow(): number;
}

export interface LvsMetricsSource {
  /** The checker worker's series (metrics-worker.ts), rendered and encoded on its thread. */
  workerText(): Promise<string | Uint8Array>;
  /** The kernel's table with its counters; null without the kernel (--no-ipvs). */
  readonly kernelTable: (() => Promise<FullTable | null>) | null;
}

export interface MetricsHooks {
  /** Returns the detach, for a subsystem that stops. */
  attachVrrp(source: VrrpMetricsSource): () => void;
  attachLvs(source: LvsMetricsSource): () => void;
  /** An Adver_Timer fired `latenessMs` after its deadline. */
  advertTimer(instance: string, latenessMs: number): void;
  /** The checker worker died and is restarted. */
  checkerRestart(): void;
}
