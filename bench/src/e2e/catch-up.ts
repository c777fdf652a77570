import type { StackConfig } from '@evergreen/platform';
import { epochMs } from './clock.ts';
import type { StepContext } from './measure.ts';
import { appendTimesSince, endOffsets } from './observers.ts';
import { resumeRelay, stopRelay } from './relay.ts';
import type { libraryWriter } from './writers.ts';

export interface CatchUpResult {
  events: number;
  writeSeconds: number;
  /** From the resume request to the first record appended: the connector's task starting. */
  relayStartSeconds: number;
  /** Records appended per second, first to last. */
  relayPerSecond: number;
  /** Entries written to Redis per second, first to last. */
  cachePerSecond: number;
  /** From the resume request to the last entry in the cache. */
  endToEndSeconds: number;
  endToEndPerSecond: number;
}

const extent = (values: Iterable<number>) => {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  return { min, max };
};

/**
 * An outage's backlog, drained: with the connector stopped (its slot keeping the WAL), `events`
 * registrations are committed through the outbox library in transactions of `batchSize`; then the
 * connector resumes, and the relay and the cache populator work through the backlog.
 */
export async function measureCatchUp(
  context: StepContext,
  config: StackConfig,
  writer: ReturnType<typeof libraryWriter>,
  options: { events: number; batchSize: number; concurrency: number },
): Promise<CatchUpResult> {
  const { kafka, topic, observer, say } = context;
  await stopRelay(config);
  const from = await endOffsets(kafka, topic);
  const ids: string[] = [];
  const writeStarted = epochMs();
  let remaining = options.events;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (remaining > 0) {
        const size = Math.min(options.batchSize, remaining);
        remaining -= size;
        ids.push(...(await writer.writeBatch(size)));
      }
    }),
  );
  const writeSeconds = (epochMs() - writeStarted) / 1000;
  say(`  ${ids.length} registrations committed with the connector stopped in ${writeSeconds.toFixed(1)} s; resuming it`);

  const resumedAt = epochMs();
  await resumeRelay(config);
  await observer.waitForAll(ids, 20 * 60_000);
  const appended = await appendTimesSince(kafka, topic, from);
  const appends = extent(ids.map((id) => appended.get(id) ?? Number.NaN).filter(Number.isFinite));
  const applies = extent(ids.map((id) => observer.appliedAt.get(id) as number));
  const result: CatchUpResult = {
    events: ids.length,
    writeSeconds,
    relayStartSeconds: (appends.min - resumedAt) / 1000,
    relayPerSecond: ids.length / ((appends.max - appends.min) / 1000),
    cachePerSecond: ids.length / ((applies.max - applies.min) / 1000),
    endToEndSeconds: (applies.max - resumedAt) / 1000,
    endToEndPerSecond: ids.length / ((applies.max - resumedAt) / 1000),
  };
  say(`  drained in ${result.endToEndSeconds.toFixed(1)} s: relay ${result.relayPerSecond.toFixed(0)}/s, cache ${result.cachePerSecond.toFixed(0)}/s, end to end ${result.endToEndPerSecond.toFixed(0)}/s`);
  return result;
}
