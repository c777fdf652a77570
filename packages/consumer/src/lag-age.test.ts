import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { lagAgeProblems, lagAgeSeconds, LagTracker, type PartitionProgress } from './lag-age.ts';
import { ConsumerMetrics } from './metrics.ts';

const T0 = 1_740_000_000_000;
const record = (offset: number, timestamp: number) => ({ offset: String(offset), timestamp: String(timestamp) });
const progress = (changes: Partial<PartitionProgress>): PartitionProgress => ({ topic: 'evergreen.user', partition: 3, lag: 0, oldestPendingTimestamp: undefined, lastProcessedTimestamp: undefined, ...changes });

describe('lagAgeSeconds', () => {
  it('is 0 when nothing waits', () => {
    expect(lagAgeSeconds(progress({ lag: 0, lastProcessedTimestamp: T0 }), T0 + 60_000)).toBe(0);
  });

  it('is the age of the oldest record fetched and not processed yet', () => {
    expect(lagAgeSeconds(progress({ lag: 10, oldestPendingTimestamp: T0 + 5_000, lastProcessedTimestamp: T0 }), T0 + 65_000)).toBe(60);
  });

  it('counts from the last processed record while the next one is not fetched yet', () => {
    expect(lagAgeSeconds(progress({ lag: 10, lastProcessedTimestamp: T0 }), T0 + 90_000)).toBe(90);
  });

  it('keeps growing with the clock while nothing moves: a stuck consumer', () => {
    const stuck = progress({ lag: 1, lastProcessedTimestamp: T0 });

    expect(lagAgeSeconds(stuck, T0 + 1_000)).toBe(1);
    expect(lagAgeSeconds(stuck, T0 + 3_600_000)).toBe(3_600);
  });

  it('is never negative (a record stamped by a clock ahead of ours)', () => {
    expect(lagAgeSeconds(progress({ lag: 1, oldestPendingTimestamp: T0 + 5_000 }), T0)).toBe(0);
  });
});

describe('lagAgeProblems', () => {
  const limits = new Map([['evergreen.user', { ms: 2_880_000, basis: "80% of evergreen.user's min.compaction.lag.ms 3600000" }]]);

  it('names each partition past its topic limit, with its age and the limit', () => {
    const problems = lagAgeProblems([progress({ lag: 42, lastProcessedTimestamp: T0 }), progress({ partition: 4, lag: 1, lastProcessedTimestamp: T0 + 3_000_000 })], limits, T0 + 3_000_001);

    expect(problems).toEqual(["evergreen.user/3 is 3000 s behind (42 record(s)), past the limit of 2880 s (80% of evergreen.user's min.compaction.lag.ms 3600000)"]);
  });

  it('says nothing of a partition within its limit, or of a topic without one', () => {
    expect(lagAgeProblems([progress({ lag: 42, lastProcessedTimestamp: T0 })], limits, T0 + 2_880_000)).toEqual([]);
    expect(lagAgeProblems([progress({ topic: 'other', lag: 42, lastProcessedTimestamp: T0 })], limits, T0 + 1e9)).toEqual([]);
  });
});

describe('LagTracker', () => {
  it('follows a batch through its slices: the oldest pending record, then the last processed one', () => {
    const tracker = new LagTracker();

    tracker.progressed('t', 0, '110', undefined, record(100, T0));
    expect(tracker.snapshot()).toEqual([{ topic: 't', partition: 0, lag: 10, oldestPendingTimestamp: T0, lastProcessedTimestamp: undefined }]);

    tracker.progressed('t', 0, '110', record(104, T0 + 4), record(105, T0 + 5));
    expect(tracker.snapshot()[0]).toMatchObject({ lag: 5, oldestPendingTimestamp: T0 + 5, lastProcessedTimestamp: T0 + 4 });

    tracker.progressed('t', 0, '110', record(109, T0 + 9), undefined);
    tracker.caughtUpTo('t', 0, '110', '109');
    expect(tracker.snapshot()[0]).toMatchObject({ lag: 0, oldestPendingTimestamp: undefined, lastProcessedTimestamp: T0 + 9 });
  });

  it('keeps the lag a batch leaves behind, counted from its last offset (control records included)', () => {
    const tracker = new LagTracker();

    tracker.progressed('t', 0, '500', record(9, T0), undefined);
    tracker.caughtUpTo('t', 0, '500', '11');

    expect(lagAgeSeconds(tracker.snapshot()[0]!, T0 + 30_000)).toBe(30);
    expect(tracker.snapshot()[0]?.lag).toBe(488);
  });

  it('forgets the partitions a rebalance took away, and everything when cleared', () => {
    const tracker = new LagTracker();
    for (const partition of [0, 1]) tracker.progressed('t', partition, '10', undefined, record(0, T0));
    tracker.progressed('t.retry', 0, '10', undefined, record(0, T0));

    tracker.keepOnly({ t: [1], 't.retry': [0] });
    expect(tracker.snapshot().map(({ topic, partition }) => `${topic}/${partition}`)).toEqual(['t/1', 't.retry/0']);

    tracker.clear();
    expect(tracker.snapshot()).toEqual([]);
  });
});

describe('evergreen_consumer_lag_age_seconds', () => {
  it('is computed when scraped, from the partitions the consumer reports', async () => {
    const registry = new Registry();
    const metrics = new ConsumerMetrics(registry);
    const tracker = new LagTracker();
    tracker.progressed('evergreen.user', 2, '20', undefined, record(10, Date.now() - 120_000));
    metrics.watchLagAge('cache-populator', () => tracker.snapshot());

    const { values } = await metrics.lagAgeSeconds.get();

    expect(values).toHaveLength(1);
    expect(values[0]?.labels).toEqual({ consumer: 'cache-populator', topic: 'evergreen.user', partition: '2' });
    expect(values[0]?.value).toBeGreaterThanOrEqual(120);
    expect(values[0]?.value).toBeLessThan(130);
    expect(await registry.metrics()).toContain('evergreen_consumer_lag_age_seconds{consumer="cache-populator",topic="evergreen.user",partition="2"}');
  });
});
