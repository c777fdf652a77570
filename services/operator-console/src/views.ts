// What the console's JSON endpoints answer: one type per section of the page.
import type { DeadLetterFields, Replayed } from '@evergreen/consumer/dlq';

/** One thing that is up or not: a stack component, a connector or one of its tasks, a service. */
export interface ComponentView {
  /** What kind of thing, for grouping on the page. */
  kind: 'stack' | 'connector' | 'task' | 'service';
  name: string;
  healthy: boolean;
  /** A word for its state (RUNNING, ready, up, PAUSED, unreachable …), shown beside the colour. */
  state: string;
  /** Why it is not healthy, or where it is. */
  detail: string;
  /** The connector (and task) a restart action targets, for connectors and tasks. */
  restart?: { connector: string; task?: number };
}

export interface RelayView {
  connector: string;
  slot: string;
  database: string;
  relaying: boolean;
  connectorState: string;
  lagBytes: number | null;
  retainedWalBytes: number | null;
  walStatus: string | null;
  heartbeatAgeSeconds: number | null;
  heartbeatAt: string | null;
  /** describeRelay's one line, as `npm run stack:status` prints it. */
  summary: string;
  problems: string[];
}

export interface PartitionLagView {
  /** The consumer (the name its metrics carry) and the service it runs in. */
  consumer: string;
  service: string;
  topic: string;
  partition: number;
  lagRecords: number | null;
  lagAgeSeconds: number | null;
}

export interface ConsumerRateView {
  consumer: string;
  service: string;
  /** Records handled per second between the last two samples; null before the second. */
  recordsPerSecond: number | null;
}

export interface LatencyPoint {
  /** The end of the interval, ms since the epoch. */
  atMs: number;
  /** Records applied in the interval. */
  count: number;
  p50Seconds: number | null;
  p99Seconds: number | null;
}

/** A partition a consumer keeps retrying one record of: what the Park action needs. */
export interface StuckRecordView {
  consumer: string;
  service: string;
  group: string;
  topic: string;
  partition: number;
  offset: string;
  /** How long it has been retrying that record. */
  seconds: number;
}

export interface ParkView {
  group: string;
  topic: string;
  partition: number;
  offset: string;
  /** The group's committed offset of the partition once the record was parked. */
  committed: string;
}

export interface ConsumersView {
  sampledAt: string | null;
  /** Partitions retrying one record right now, as their consumers' metrics say. */
  stuck: StuckRecordView[];
  /** Services whose /metrics could not be read at the last sample, with why. */
  unreachable: Array<{ service: string; error: string }>;
  partitions: PartitionLagView[];
  rates: ConsumerRateView[];
  /** Commit → apply latency per consumer, one point per sample interval, oldest first. */
  latency: Array<{ consumer: string; points: LatencyPoint[] }>;
}

export type DecodedPayload =
  | { kind: 'avro'; schemaId: number; writer: string; value: unknown }
  | { kind: 'none' }
  | { kind: 'undecodable'; error: string };

export interface DeadLetterView extends DeadLetterFields {
  topic: string;
  payload: DecodedPayload;
}

export interface DeadLettersView {
  topics: Array<{ topic: string; total: number; shown: DeadLetterView[] }>;
}

export interface ReplayView {
  topic: string;
  replayed: Replayed[];
}

export interface DriftReportView {
  projection: string;
  checked: number;
  counts: Record<string, number>;
  drifted: number;
  /** The first drifted aggregates, for a person to look at. */
  examples: Array<{ id: string; kind: string }>;
  seconds: number;
}

export interface DriftView {
  /** What ran last: verify or repair; null before either. */
  last: null | {
    action: 'verify' | 'repair';
    finishedAt: string;
    reports: DriftReportView[];
    /** For a repair: what was re-emitted, and whether the read models converged. */
    repaired?: { restated: number; bumped: number; deletions: number };
    notConverged?: string;
  };
  running: 'verify' | 'repair' | null;
}

export interface SchemaSubjectView {
  subject: string;
  versions: number[];
  compatibility: string | null;
}
