import { describe, expect, it } from 'vitest';
import { DEFAULT_TOMBSTONE_TTL_SECONDS } from './sinks/redis-versioned.ts';
import { deletionMarkerProblem, inboxWindow, lagAgeLimit, maxLagAgeOverride, topicRetentionOf, type TopicRetention } from './retention.ts';
import { inboxWindowOf } from './inbox-pruning.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** describeConfigs' entries of a topic with these settings. */
const entries = (settings: Record<string, string>) => Object.entries(settings).map(([configName, configValue]) => ({ configName, configValue }));

/** The user topic as connect-config/topics.json creates it. */
const USER_TOPIC = topicRetentionOf('evergreen.user', entries({ 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(HOUR), 'delete.retention.ms': String(DAY), 'retention.ms': String(7 * DAY) }));

describe('topicRetentionOf', () => {
  it('reads the cleanup policies and the durations', () => {
    expect(USER_TOPIC).toEqual({ topic: 'evergreen.user', compacted: true, deleting: false, minCompactionLagMs: HOUR, deleteRetentionMs: DAY, retentionMs: 7 * DAY, segmentMs: undefined });
    expect(topicRetentionOf('t', entries({ 'cleanup.policy': 'compact,delete' }))).toMatchObject({ compacted: true, deleting: true });
  });

  it('reads retention.ms -1 as forever, and a topic without a policy as delete', () => {
    expect(topicRetentionOf('t', entries({ 'retention.ms': '-1' }))).toMatchObject({ compacted: false, deleting: true, retentionMs: undefined });
  });
});

describe('deletionMarkerProblem', () => {
  it('accepts the default marker TTL (7 days) against the user topic (delete.retention.ms 1 day)', () => {
    expect(deletionMarkerProblem(USER_TOPIC, DEFAULT_TOMBSTONE_TTL_SECONDS)).toBeUndefined();
  });

  it('refuses a marker that does not outlive delete.retention.ms, naming both', () => {
    const problem = deletionMarkerProblem({ ...USER_TOPIC, deleteRetentionMs: 7 * DAY }, DEFAULT_TOMBSTONE_TTL_SECONDS);

    expect(problem).toContain('deletion marker TTL (604800 s)');
    expect(problem).toContain("evergreen.user's delete.retention.ms (604800000 ms");
    expect(deletionMarkerProblem({ ...USER_TOPIC, deleteRetentionMs: 2 * DAY }, 3600)).toBeDefined();
  });

  it('has nothing to say about a topic that is not compacted', () => {
    expect(deletionMarkerProblem({ ...USER_TOPIC, compacted: false, deleting: true }, 1)).toBeUndefined();
  });
});

describe('lagAgeLimit', () => {
  it("is 80% of the user topic's min.compaction.lag.ms", () => {
    expect(lagAgeLimit(USER_TOPIC)).toEqual({ ms: 0.8 * HOUR, basis: "80% of evergreen.user's min.compaction.lag.ms 3600000" });
  });

  it('takes the shortest promise of a compacted topic: delete.retention.ms when it is shorter', () => {
    expect(lagAgeLimit({ ...USER_TOPIC, deleteRetentionMs: 1_000 })).toMatchObject({ ms: 800 });
  });

  it('ignores a setting of 0, which promises nothing, and falls back to the next one', () => {
    const scratch: TopicRetention = { ...USER_TOPIC, minCompactionLagMs: 0, deleteRetentionMs: 60_000 };

    expect(lagAgeLimit(scratch)).toMatchObject({ ms: 48_000 });
    expect(lagAgeLimit({ ...scratch, deleteRetentionMs: 0 })).toBeUndefined();
  });

  it('is 80% of retention.ms for a topic that deletes by time (a retry topic), and none when it keeps records forever', () => {
    const retry = topicRetentionOf('evergreen.user.retry', entries({ 'cleanup.policy': 'delete', 'retention.ms': String(DAY) }));

    expect(lagAgeLimit(retry)).toMatchObject({ ms: 0.8 * DAY });
    expect(lagAgeLimit({ ...retry, retentionMs: undefined })).toBeUndefined();
  });

  it('takes the override, whatever the topic says', () => {
    expect(lagAgeLimit(USER_TOPIC, 5_000)).toEqual({ ms: 5_000, basis: 'EVERGREEN_CONSUMER_MAX_LAG_AGE_MS' });
  });
});

describe('maxLagAgeOverride', () => {
  it('reads EVERGREEN_CONSUMER_MAX_LAG_AGE_MS, and nothing when it is unset or empty', () => {
    expect(maxLagAgeOverride({ EVERGREEN_CONSUMER_MAX_LAG_AGE_MS: '600000' })).toBe(600_000);
    expect(maxLagAgeOverride({})).toBeUndefined();
    expect(maxLagAgeOverride({ EVERGREEN_CONSUMER_MAX_LAG_AGE_MS: ' ' })).toBeUndefined();
  });

  it.each(['0', '-5', '1h', '1.5'])('refuses %j', (value) => {
    expect(() => maxLagAgeOverride({ EVERGREEN_CONSUMER_MAX_LAG_AGE_MS: value })).toThrow('EVERGREEN_CONSUMER_MAX_LAG_AGE_MS must be a positive whole number of milliseconds');
  });
});

describe('inboxWindow', () => {
  // As connect-config/topics.json creates them, with the broker's default segment.ms (7 days).
  const deadLetters = topicRetentionOf('evergreen.user.dlq', entries({ 'cleanup.policy': 'delete', 'retention.ms': String(14 * DAY), 'segment.ms': String(7 * DAY) }));
  const replays = topicRetentionOf('evergreen.user.retry', entries({ 'cleanup.policy': 'delete', 'retention.ms': String(DAY), 'segment.ms': String(7 * DAY) }));

  it('keeps an id as long as a dead letter of an older event can still come back through a replay', () => {
    // The dead letter is readable for up to 14 + 7 days, its replay for up to 1 + 7 more.
    expect(inboxWindow(deadLetters, replays)).toEqual({
      ms: 29 * DAY,
      basis: 'evergreen.user.dlq keeps records up to 21 d (retention.ms + segment.ms), evergreen.user.retry up to 8 d',
    });
  });

  it('grows with the topics: a longer dead-letter retention is a longer window', () => {
    const longer = { ...deadLetters, retentionMs: 30 * DAY };
    expect(inboxWindow(longer, replays)?.ms).toBe(45 * DAY);
  });

  it('prunes nothing when either topic keeps its records forever', () => {
    expect(inboxWindow({ ...deadLetters, retentionMs: undefined }, replays)).toBeUndefined();
    expect(inboxWindow(deadLetters, { ...replays, deleting: false })).toBeUndefined();
  });

  it('takes the longest window of every topic a projection reads', () => {
    const orders = [
      topicRetentionOf('evergreen.order.dlq', entries({ 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY), 'segment.ms': String(DAY) })),
      topicRetentionOf('evergreen.order.retry', entries({ 'cleanup.policy': 'delete', 'retention.ms': String(DAY), 'segment.ms': String(DAY) })),
    ];
    expect(inboxWindowOf(['evergreen.user', 'evergreen.order'], [deadLetters, replays, ...orders])?.ms).toBe(33 * DAY);
    expect(() => inboxWindowOf(['evergreen.payment'], [deadLetters, replays])).toThrow('evergreen.payment.dlq');
  });
});
