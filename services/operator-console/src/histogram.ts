import type { Sample } from './metrics-text.ts';

/** A cumulative histogram bucket: how many observations were at most `le` seconds. */
export interface Bucket {
  le: number;
  count: number;
}

/**
 * A histogram's buckets per value of one label (the consumer), summed over its other labels (the
 * topics), cumulative and sorted by `le`, the last one +Inf.
 */
export function histogramsBy(samples: readonly Sample[], metric: string, label: string): Map<string, Bucket[]> {
  const sums = new Map<string, Map<number, number>>();
  for (const sample of samples) {
    if (sample.name !== `${metric}_bucket`) continue;
    const key = sample.labels[label];
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    if (key === undefined || Number.isNaN(le)) continue;
    const buckets = sums.get(key) ?? new Map<number, number>();
    buckets.set(le, (buckets.get(le) ?? 0) + sample.value);
    sums.set(key, buckets);
  }
  return new Map([...sums].map(([key, buckets]) => [key, [...buckets].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le)]));
}

/**
 * What was observed between two readings of the same histogram. A counter that went down (the
 * service restarted) started again from zero, so the newer reading alone is the difference.
 */
export function bucketDelta(before: readonly Bucket[] | undefined, after: readonly Bucket[]): Bucket[] {
  if (!before) return after.map((bucket) => ({ ...bucket }));
  const earlier = new Map(before.map((bucket) => [bucket.le, bucket.count]));
  const reset = after.some((bucket) => bucket.count < (earlier.get(bucket.le) ?? 0));
  return after.map((bucket) => ({ le: bucket.le, count: reset ? bucket.count : bucket.count - (earlier.get(bucket.le) ?? 0) }));
}

/**
 * The q-quantile (0 < q < 1) of cumulative buckets, interpolated linearly inside the bucket it falls
 * in, as Prometheus's histogram_quantile does: the lowest bucket from 0, and a quantile in the +Inf
 * bucket is the highest finite bound (all a histogram can say). Undefined with no observations.
 */
export function quantile(buckets: readonly Bucket[], q: number): number | undefined {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lowerBound;
      const inBucket = bucket.count - lowerCount;
      return inBucket === 0 ? bucket.le : lowerBound + (bucket.le - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}
