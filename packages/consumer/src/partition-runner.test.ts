import type { KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { createLogger } from '@evergreen/platform';
import { describe, expect, it } from 'vitest';
import { StopRequestedError } from './backoff.ts';
import { LagTracker } from './lag-age.ts';
import { ConsumerMetrics } from './metrics.ts';
import { OffsetCommitter, type PartitionOffset } from './offset-committer.ts';
import { PartitionRunner, type BatchPayload } from './partition-runner.ts';
import type { Slice } from './slice-processor.ts';
import { StuckTracker } from './stuck.ts';
import { classify } from '@evergreen/errors';

const TOPIC = 'evergreen.user';

const messages = (first: number, count: number): KafkaMessage[] =>
  Array.from({ length: count }, (_, index) => ({ key: null, value: null, timestamp: String(1_000 + index), attributes: 0, offset: String(first + index), headers: {} }) as KafkaMessage);

/** kafkajs' eachBatch payload for one batch, recording what the runner does with it. */
function payloadOf(batch: KafkaMessage[], options: { lastOffset?: string; running?: () => boolean } = {}) {
  const resolved: string[] = [];
  const commits: PartitionOffset[][] = [];
  let pauses = 0;
  let resumes = 0;
  const payload: BatchPayload = {
    batch: {
      topic: TOPIC,
      partition: 3,
      messages: batch,
      highWatermark: String(Number(options.lastOffset ?? batch[batch.length - 1]?.offset ?? 0) + 1),
      firstOffset: () => batch[0]?.offset ?? null,
      lastOffset: () => options.lastOffset ?? batch[batch.length - 1]?.offset ?? '0',
    },
    resolveOffset: (offset: string) => void resolved.push(offset),
    heartbeat: async () => undefined,
    pause: () => {
      pauses += 1;
      return () => void (resumes += 1);
    },
    isRunning: options.running ?? (() => true),
    isStale: () => false,
    commitOffsetsIfNecessary: async (offsets) => {
      commits.push((offsets?.topics ?? []).flatMap(({ topic, partitions }) => partitions.map(({ partition, offset }) => ({ topic, partition, offset }))));
    },
  };
  return { payload, resolved, commits, paused: () => ({ pauses, resumes }) };
}

function runnerWith(process: (slice: Slice) => Promise<void>, options: { sliceSize?: number; stopping?: boolean } = {}) {
  const committer = new OffsetCommitter({ commitOffsets: async () => undefined }, 0);
  const stuck = new StuckTracker();
  const parked = new Set<string>();
  const parks = { isParked: async (topic: string, partition: number, offset: string) => parked.has(`${topic}/${partition}@${offset}`) };
  const runner = new PartitionRunner({
    name: 'test-consumer',
    slices: { process },
    committer,
    lag: new LagTracker(),
    stuck,
    parks,
    metrics: new ConsumerMetrics(new Registry()),
    logger: createLogger('test', 'silent'),
    sliceSize: options.sliceSize ?? 2,
    isStopping: () => options.stopping ?? false,
  });
  return { runner, stuck, parked };
}

describe('PartitionRunner', () => {
  it('works a batch slice by slice, resolving and committing each slice once it is done, and the batch end past filtered records', async () => {
    const sizes: number[] = [];
    const { runner } = runnerWith(async (slice) => void sizes.push(slice.messages.length));
    const { payload, resolved, commits } = payloadOf(messages(10, 5), { lastOffset: '16' });

    await runner.eachBatch(payload);

    expect(sizes).toEqual([2, 2, 1]);
    expect(resolved).toEqual(['11', '13', '14', '16']);
    expect(commits.flat().map((commit) => commit.offset)).toEqual(['12', '14', '15', '17']);
  });

  it('pauses the partition while a step retries, reports it stuck on the record it waits on, and resumes and clears it after', async () => {
    let stuckDuringRetry: string | undefined;
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { runner, stuck } = runnerWith(async (slice) => {
      const hooks = slice.hooksFor('11', 'apply');
      hooks.onRetry(refused, classify(refused), 1, 10);
      stuckDuringRetry = stuck.snapshot().map((entry) => `${entry.topic}/${entry.partition}@${entry.offset} ${entry.step}`).join();
    });
    const { payload, paused } = payloadOf(messages(10, 2));

    await runner.eachBatch(payload);

    expect(stuckDuringRetry).toBe('evergreen.user/3@11 apply');
    expect(stuck.snapshot()).toEqual([]);
    expect(paused()).toEqual({ pauses: 1, resumes: 1 });
  });

  it("tells a step the record is parked only for the partition's record an operator parked", async () => {
    const answers: boolean[] = [];
    const { runner, parked } = runnerWith(async (slice) => {
      answers.push((await slice.hooksFor('11', 'apply').parked?.()) ?? false, (await slice.hooksFor('10', 'apply').parked?.()) ?? false);
    });
    parked.add(`${TOPIC}/3@11`);

    await runner.eachBatch(payloadOf(messages(10, 2)).payload);

    expect(answers).toEqual([true, false]);
  });

  it('leaves the rest of a batch unresolved when the consumer stops mid-way, and says the wait ended quietly', async () => {
    let running = true;
    const { runner } = runnerWith(async () => {
      running = false;
      throw new StopRequestedError();
    });
    const { payload, resolved } = payloadOf(messages(10, 4), { running: () => running });

    await expect(runner.eachBatch(payload)).resolves.toBeUndefined();
    expect(resolved).toEqual([]);
  });

  it('rethrows a failure it cannot handle, for kafkajs to rejoin and fetch again from the committed offset', async () => {
    const rebalancing = new Error('The group is rebalancing, so a rejoin is needed');
    const { runner } = runnerWith(async () => Promise.reject(rebalancing));

    await expect(runner.eachBatch(payloadOf(messages(10, 2)).payload)).rejects.toBe(rebalancing);
  });
});
