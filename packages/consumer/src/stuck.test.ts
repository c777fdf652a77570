import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConsumerMetrics } from './metrics.ts';
import { StuckTracker } from './stuck.ts';

const TOPIC = 'evergreen.user';

describe('StuckTracker', () => {
  it('times a partition from its first failed attempt at the same records, through every retry, and names it past the limit', () => {
    const stuck = new StuckTracker();
    stuck.failed(TOPIC, 3, '120', 'apply', new TypeError('op is not a function'), 1_000);
    // A Redis that went away meanwhile: named by its code and dependency, never by its text (it may quote a host).
    stuck.failed(TOPIC, 3, '120', 'apply', Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:6379 (user evergreen:secret)'), { code: 'ECONNREFUSED' }), 30_000);

    expect(stuck.problems(60_000, 50_000)).toEqual([]);
    expect(stuck.problems(60_000, 62_000)).toEqual([`${TOPIC}/3 has been retrying from offset 120 for 61 s (apply: dependency-unavailable)`]);
  });

  it('starts the clock again for other records of the partition, and stops it when they pass', () => {
    const stuck = new StuckTracker();
    stuck.failed(TOPIC, 0, '10', 'decode', new Error('registry away'), 0);
    stuck.failed(TOPIC, 0, '11', 'dead_letter', new Error('This server does not host this topic-partition'), 100_000);

    expect(stuck.problems(60_000, 150_000)).toEqual([]);
    expect(stuck.snapshot()).toMatchObject([{ partition: 0, offset: '11', sinceMs: 100_000, step: 'dead_letter' }]);

    stuck.recovered(TOPIC, 0);
    expect(stuck.problems(60_000, 1_000_000)).toEqual([]);
    expect(stuck.snapshot()).toEqual([]);
  });

  it('keeps partitions apart', () => {
    const stuck = new StuckTracker();
    stuck.failed(TOPIC, 1, '5', 'apply', new Error('a'), 0);
    stuck.failed(TOPIC, 2, '9', 'apply', new Error('b'), 50_000);

    expect(stuck.problems(60_000, 70_000)).toHaveLength(1);
    expect(stuck.problems(60_000, 70_000)[0]).toContain(`${TOPIC}/1`);
  });
});

describe('evergreen_consumer_stuck_seconds', () => {
  it('says how long each retrying partition has been stuck, on which record of which group, computed when scraped', async () => {
    const registry = new Registry();
    const metrics = new ConsumerMetrics(registry);
    const stuck = new StuckTracker();
    metrics.watchStuck('cache-populator', 'evergreen-cache-populator', () => stuck.snapshot());
    stuck.failed(TOPIC, 4, '77', 'apply', new Error('WRONGTYPE'), Date.now() - 90_000);

    const text = await registry.metrics();

    const line = text.split('\n').find((entry) => entry.startsWith('evergreen_consumer_stuck_seconds{'));
    expect(line).toContain('consumer="cache-populator"');
    expect(line).toContain(`topic="${TOPIC}"`);
    expect(line).toContain('partition="4"');
    // What a park needs: the group and the record's offset.
    expect(line).toContain('group="evergreen-cache-populator"');
    expect(line).toContain('offset="77"');
    expect(Number(line?.split(' ').pop())).toBeGreaterThanOrEqual(90);

    stuck.recovered(TOPIC, 4);
    expect((await registry.metrics()).split('\n').some((entry) => entry.startsWith('evergreen_consumer_stuck_seconds{'))).toBe(false);
  });
});
