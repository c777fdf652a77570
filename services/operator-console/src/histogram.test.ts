import { describe, expect, it } from 'vitest';
import { bucketDelta, histogramsBy, quantile, type Bucket } from './histogram.ts';
import { LatencySeries } from './latency-series.ts';
import { parseMetrics } from './metrics-text.ts';

const cumulative = (pairs: Array<[number, number]>): Bucket[] => pairs.map(([le, count]) => ({ le, count }));

describe('quantile', () => {
  // 100 observations: 10 up to 10 ms, 80 more up to 50 ms, 9 more up to 100 ms, 1 above 1 s.
  const buckets = cumulative([
    [0.01, 10],
    [0.05, 90],
    [0.1, 99],
    [1, 99],
    [Infinity, 100],
  ]);

  it('interpolates inside the bucket the rank falls in', () => {
    // Rank 50 is the 40th of the 80 between 10 ms and 50 ms: halfway.
    expect(quantile(buckets, 0.5)).toBeCloseTo(0.03, 10);
    // Rank 99 is the last of the 9 between 50 ms and 100 ms.
    expect(quantile(buckets, 0.99)).toBeCloseTo(0.1, 10);
  });

  it('interpolates the lowest bucket from zero', () => {
    expect(quantile(buckets, 0.05)).toBeCloseTo(0.005, 10);
  });

  it('answers the highest finite bound for a rank in the +Inf bucket', () => {
    expect(quantile(buckets, 0.999)).toBe(1);
  });

  it('has no answer without observations', () => {
    expect(quantile(cumulative([[0.01, 0], [Infinity, 0]]), 0.5)).toBeUndefined();
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe('bucketDelta', () => {
  it('subtracts the earlier reading bucket by bucket', () => {
    expect(bucketDelta(cumulative([[0.01, 3], [Infinity, 5]]), cumulative([[0.01, 10], [Infinity, 15]]))).toEqual(cumulative([[0.01, 7], [Infinity, 10]]));
  });
  it('takes the newer reading alone when a count went down (the service restarted)', () => {
    expect(bucketDelta(cumulative([[0.01, 30], [Infinity, 50]]), cumulative([[0.01, 2], [Infinity, 4]]))).toEqual(cumulative([[0.01, 2], [Infinity, 4]]));
  });
});

describe('histogramsBy', () => {
  it("sums a consumer's buckets over its topics and sorts them by bound", () => {
    const samples = parseMetrics(
      [
        '# HELP evergreen_consumer_commit_to_apply_seconds x',
        'evergreen_consumer_commit_to_apply_seconds_bucket{le="+Inf",consumer="cache-populator",topic="evergreen.user"} 7',
        'evergreen_consumer_commit_to_apply_seconds_bucket{le="0.05",consumer="cache-populator",topic="evergreen.user"} 4',
        'evergreen_consumer_commit_to_apply_seconds_bucket{le="0.05",consumer="cache-populator",topic="evergreen.user.retry"} 1',
        'evergreen_consumer_commit_to_apply_seconds_bucket{le="+Inf",consumer="cache-populator",topic="evergreen.user.retry"} 1',
        'evergreen_consumer_commit_to_apply_seconds_bucket{le="0.05",consumer="activity-log",topic="evergreen.user"} 2',
        'evergreen_consumer_commit_to_apply_seconds_sum{consumer="activity-log",topic="evergreen.user"} 0.04',
      ].join('\n'),
    );
    const histograms = histogramsBy(samples, 'evergreen_consumer_commit_to_apply_seconds', 'consumer');
    expect(histograms.get('cache-populator')).toEqual(cumulative([[0.05, 5], [Infinity, 8]]));
    expect(histograms.get('activity-log')).toEqual(cumulative([[0.05, 2]]));
  });
});

describe('parseMetrics', () => {
  it('reads names, labels with escapes, and the special values', () => {
    expect(parseMetrics('a_total{x="say \\"hi\\"",y="b"} 3\nb +Inf\nc{} NaN 1700000000000\n')).toEqual([
      { name: 'a_total', labels: { x: 'say "hi"', y: 'b' }, value: 3 },
      { name: 'b', labels: {}, value: Infinity },
      { name: 'c', labels: {}, value: NaN },
    ]);
  });
});

describe('LatencySeries', () => {
  const reading = (fast: number, total: number) => new Map([['cache-populator', cumulative([[0.01, fast], [0.1, total], [Infinity, total]])]]);

  it('makes one point per reading after the first, from what was observed in between', () => {
    const series = new LatencySeries(60_000);
    series.record(1_000, reading(100, 100));
    series.record(6_000, reading(100, 200));
    const [populator] = series.series();
    expect(populator?.consumer).toBe('cache-populator');
    // The 100 observations of the interval were all between 10 ms and 100 ms: p50 halfway.
    expect(populator?.points).toEqual([{ atMs: 6_000, count: 100, p50Seconds: expect.closeTo(0.055, 10), p99Seconds: expect.closeTo(0.0991, 10) }]);
  });

  it("counts a consumer whose histogram appears after the console's first reading from nothing: its first records are this interval's", () => {
    const series = new LatencySeries(60_000);
    series.record(1_000, new Map());
    series.record(2_000, reading(3, 4));
    expect(series.series()).toEqual([{ consumer: 'cache-populator', points: [{ atMs: 2_000, count: 4, p50Seconds: expect.closeTo(0.00667, 4), p99Seconds: expect.closeTo(0.0964, 10) }] }]);
  });

  it('says an interval without observations has no percentiles, and forgets points past the window', () => {
    const series = new LatencySeries(10_000);
    series.record(0, reading(1, 1));
    series.record(5_000, reading(1, 1));
    series.record(20_000, reading(3, 3));
    expect(series.series()[0]?.points).toEqual([{ atMs: 20_000, count: 2, p50Seconds: expect.closeTo(0.005, 10), p99Seconds: expect.closeTo(0.0099, 10) }]);
  });
});
