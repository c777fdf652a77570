import type { CatchUpResult } from './catch-up.ts';
import type { CeilingResult } from './ceiling.ts';
import type { Saturation, StepResult } from './measure.ts';
import type { MemoryReading } from './memory-sampler.ts';

/** Everything one `npm run bench:e2e` measured, in the same run, on the same machine. */
export interface BenchResults {
  startedAt: string;
  machine: { cpus: number; memoryGiB: number; cpuModel: string };
  versions: Record<string, string>;
  relaySettings: Record<string, string>;
  partitions: number;
  stepSeconds: number;
  ceiling: CeilingResult;
  saturation: { library: Saturation; api: Saturation; pollingPublisher: Saturation };
  /** Open-loop latency at fractions of the library path's saturation rate. */
  latency: Array<{ fraction: number; relay: StepResult; pollingPublisher: StepResult }>;
  /** POST /users at the rates the issue measured before, the way it measured them. */
  apiFixedRates: StepResult[];
  catchUp: CatchUpResult;
  pollingPublisher: { pollIntervalMs: number; batchSize: number };
  memory: { atRest: MemoryReading; peak: MemoryReading };
  /** Cores that processes outside the stack, its services and the benchmark kept busy, on average. */
  otherLoadCores: number;
  /** CPU milliseconds each component spent per 1,000 registrations, at the highest latency load. */
  cpuMsPerThousand: { rate: number; byComponent: Map<string, number> };
}
