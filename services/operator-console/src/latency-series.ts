import { bucketDelta, quantile, type Bucket } from './histogram.ts';
import type { LatencyPoint } from './views.ts';

/** How much history the chart shows. */
export const SERIES_WINDOW_MS = 15 * 60_000;

/**
 * The commit → apply latency of each consumer over the last minutes: each reading of its
 * cumulative histogram becomes one point, the p50 and p99 of what was observed since the reading
 * before. Points older than the window are dropped.
 */
export class LatencySeries {
  private readonly last = new Map<string, Bucket[]>();
  private readonly points = new Map<string, LatencyPoint[]>();

  constructor(private readonly windowMs: number = SERIES_WINDOW_MS) {}

  private readings = 0;

  /** A reading of every consumer's histogram taken at `atMs`. */
  record(atMs: number, histograms: ReadonlyMap<string, Bucket[]>): void {
    this.readings += 1;
    for (const [consumer, buckets] of histograms) {
      const before = this.last.get(consumer);
      this.last.set(consumer, buckets);
      // The console's first reading holds everything since each service started: no interval to
      // speak of. A histogram that appears later was first observed since the reading before: all of
      // it belongs to this interval (bucketDelta from nothing).
      if (!before && this.readings === 1) continue;
      const delta = bucketDelta(before, buckets);
      const series = this.points.get(consumer) ?? [];
      series.push({ atMs, count: delta[delta.length - 1]?.count ?? 0, p50Seconds: quantile(delta, 0.5) ?? null, p99Seconds: quantile(delta, 0.99) ?? null });
      this.points.set(consumer, series);
    }
    for (const [consumer, series] of this.points) {
      const kept = series.filter((point) => point.atMs > atMs - this.windowMs);
      this.points.set(consumer, kept);
    }
  }

  series(): Array<{ consumer: string; points: LatencyPoint[] }> {
    return [...this.points].sort(([a], [b]) => a.localeCompare(b)).map(([consumer, points]) => ({ consumer, points: [...points] }));
  }
}
