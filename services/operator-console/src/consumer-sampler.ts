import { AnswerError, failureText, type FailureLog } from './failures.ts';
import { histogramsBy, type Bucket } from './histogram.ts';
import { LatencySeries } from './latency-series.ts';
import { parseMetrics, type Sample } from './metrics-text.ts';
import type { ServiceEndpoint } from './services.ts';
import type { ConsumerRateView, ConsumersView, PartitionLagView, StuckRecordView } from './views.ts';

/** The consumer framework's metrics (packages/consumer/src/metrics.ts), as every consumer service exports them. */
const LATENCY = 'evergreen_consumer_commit_to_apply_seconds';
const LAG = 'evergreen_consumer_lag_records';
const LAG_AGE = 'evergreen_consumer_lag_age_seconds';
const RECORDS = 'evergreen_consumer_records_total';
const STUCK = 'evergreen_consumer_stuck_seconds';

export type FetchText = (url: string) => Promise<string>;

const fetchText: FetchText = async (url) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  if (!response.ok) throw new AnswerError(`HTTP ${response.status}`);
  return response.text();
};

/**
 * Reads every service's /metrics every few seconds and keeps what the page's consumer section
 * shows: lag and lag age per partition as of the last reading, records per second between the last
 * two, and the commit → apply latency series. Services without consumer metrics add nothing.
 */
export class ConsumerSampler {
  private readonly latency = new LatencySeries();
  private partitions: PartitionLagView[] = [];
  private stuck: StuckRecordView[] = [];
  private rates: ConsumerRateView[] = [];
  private unreachable: ConsumersView['unreachable'] = [];
  private sampledAtMs: number | undefined;
  private readonly lastTotals = new Map<string, { atMs: number; total: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly services: readonly ServiceEndpoint[],
    private readonly read: FetchText = fetchText,
    /** Where a service that could not be read is logged whole; the view says only its state. */
    private readonly failures?: FailureLog,
  ) {}

  async sample(nowMs: number = Date.now()): Promise<void> {
    const readings = await Promise.all(
      this.services.map(async (service) => {
        const key = `metrics ${service.name}`;
        try {
          const samples = parseMetrics(await this.read(`${service.url}/metrics`));
          this.failures?.recovered(key);
          return { service, samples };
        } catch (error) {
          this.failures?.failed(key, error, `could not read the metrics of ${service.name}`);
          return { service, error: failureText(error) };
        }
      }),
    );
    const partitions: PartitionLagView[] = [];
    const stuck: StuckRecordView[] = [];
    const rates: ConsumerRateView[] = [];
    const histograms = new Map<string, Bucket[]>();
    for (const reading of readings) {
      if (!('samples' in reading) || reading.samples === undefined) continue;
      const { service, samples } = reading;
      partitions.push(...partitionsOf(service.name, samples));
      stuck.push(...stuckOf(service.name, samples));
      for (const [consumer, total] of totalsBy(samples)) {
        const before = this.lastTotals.get(consumer);
        this.lastTotals.set(consumer, { atMs: nowMs, total });
        const seconds = before ? (nowMs - before.atMs) / 1000 : 0;
        rates.push({ consumer, service: service.name, recordsPerSecond: before && seconds > 0 && total >= before.total ? (total - before.total) / seconds : null });
      }
      for (const [consumer, buckets] of histogramsBy(samples, LATENCY, 'consumer')) histograms.set(consumer, buckets);
    }
    this.latency.record(nowMs, histograms);
    this.partitions = partitions;
    this.stuck = stuck;
    this.rates = rates;
    this.unreachable = readings.flatMap((reading) => ('error' in reading && reading.error !== undefined ? [{ service: reading.service.name, error: reading.error }] : []));
    this.sampledAtMs = nowMs;
  }

  view(): ConsumersView {
    return {
      sampledAt: this.sampledAtMs === undefined ? null : new Date(this.sampledAtMs).toISOString(),
      unreachable: this.unreachable,
      stuck: this.stuck,
      partitions: this.partitions,
      rates: this.rates,
      latency: this.latency.series(),
    };
  }

  /** Samples now and then every `intervalMs` until stop(). */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    const tick = () => {
      this.sample().catch(onError);
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function partitionsOf(service: string, samples: readonly Sample[]): PartitionLagView[] {
  const byPartition = new Map<string, PartitionLagView>();
  for (const sample of samples) {
    if (sample.name !== LAG && sample.name !== LAG_AGE) continue;
    const { consumer, topic, partition } = sample.labels;
    if (consumer === undefined || topic === undefined || partition === undefined) continue;
    const key = `${consumer}\u0000${topic}\u0000${partition}`;
    const entry = byPartition.get(key) ?? { consumer, service, topic, partition: Number(partition), lagRecords: null, lagAgeSeconds: null };
    if (sample.name === LAG) entry.lagRecords = sample.value;
    else entry.lagAgeSeconds = sample.value;
    byPartition.set(key, entry);
  }
  return [...byPartition.values()].sort((a, b) => a.consumer.localeCompare(b.consumer) || a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** The records consumers keep retrying, from evergreen_consumer_stuck_seconds (its group and offset labels). */
function stuckOf(service: string, samples: readonly Sample[]): StuckRecordView[] {
  return samples.flatMap((sample) => {
    const { consumer, group, topic, partition, offset } = sample.labels;
    if (sample.name !== STUCK || consumer === undefined || group === undefined || topic === undefined || partition === undefined || offset === undefined) return [];
    return [{ consumer, service, group, topic, partition: Number(partition), offset, seconds: sample.value }];
  });
}

/** Records handled per consumer, every outcome and topic summed. */
function totalsBy(samples: readonly Sample[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const sample of samples) {
    const consumer = sample.labels.consumer;
    if (sample.name !== RECORDS || consumer === undefined) continue;
    totals.set(consumer, (totals.get(consumer) ?? 0) + sample.value);
  }
  return totals;
}
