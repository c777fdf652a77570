import { describe, expect, it } from 'vitest';
import { loadStackEnv } from '@evergreen/platform';
import { defineAggregate, tombstone } from '@evergreen/event-catalog';
import { AGGREGATES } from '@evergreen/schemas';
import { relayTopics } from './connector.ts';

describe('the topics of connect-config/topics.json', () => {
  const byName = (values: Record<string, string>) => new Map(relayTopics(values).map((topic) => [topic.name, topic]));

  it('compact the user topic, keeping every event an hour and a tombstone a day', () => {
    expect(byName(loadStackEnv({})).get('evergreen.user')?.config).toEqual({ 'min.insync.replicas': '1', 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '3600000', 'delete.retention.ms': '86400000' });
  });

  it('give the retry and dead-letter topics a time-based retention of their own: 1 and 14 days by default (infra/stack.env)', () => {
    const topics = byName(loadStackEnv({}));

    expect(topics.get('evergreen.user.retry')).toEqual({ name: 'evergreen.user.retry', partitions: 6, replicationFactor: 1, config: { 'min.insync.replicas': '1', 'cleanup.policy': 'delete', 'retention.ms': '86400000' } });
    expect(topics.get('evergreen.user.dlq')).toEqual({ name: 'evergreen.user.dlq', partitions: 6, replicationFactor: 1, config: { 'min.insync.replicas': '1', 'cleanup.policy': 'delete', 'retention.ms': '1209600000' } });
  });

  it('take the retentions from EVERGREEN_RETRY_RETENTION_MS and EVERGREEN_DLQ_RETENTION_MS', () => {
    const topics = byName(loadStackEnv({ EVERGREEN_RETRY_RETENTION_MS: '3600000', EVERGREEN_DLQ_RETENTION_MS: '2592000000' }));

    expect(topics.get('evergreen.user.retry')?.config['retention.ms']).toBe('3600000');
    expect(topics.get('evergreen.user.dlq')?.config['retention.ms']).toBe('2592000000');
  });
});

describe('the topics of every aggregate', () => {
  it('are derived from the descriptors: each aggregate gets its topic, its retry topic and its dead letters', () => {
    const names = relayTopics(loadStackEnv({})).map((topic) => topic.name);

    for (const aggregate of AGGREGATES) expect(names).toEqual(expect.arrayContaining([`evergreen.${aggregate.type}`, `evergreen.${aggregate.type}.retry`, `evergreen.${aggregate.type}.dlq`]));
    expect(names).toHaveLength(3 * AGGREGATES.length);
  });

  it('include a new aggregate with the same settings as the others', () => {
    const parcel = defineAggregate({ type: 'parcel', events: { ParcelLost: tombstone() } });

    expect(relayTopics(loadStackEnv({ EVERGREEN_TOPIC_PREFIX: 'ns' }), [parcel])).toEqual([
      { name: 'ns.parcel', partitions: 6, replicationFactor: 1, config: { 'min.insync.replicas': '1', 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '3600000', 'delete.retention.ms': '86400000' } },
      { name: 'ns.parcel.retry', partitions: 6, replicationFactor: 1, config: { 'min.insync.replicas': '1', 'cleanup.policy': 'delete', 'retention.ms': '86400000' } },
      { name: 'ns.parcel.dlq', partitions: 6, replicationFactor: 1, config: { 'min.insync.replicas': '1', 'cleanup.policy': 'delete', 'retention.ms': '1209600000' } },
    ]);
  });

  it("replicates every topic as the profile says: three copies, two in sync for a write, on the cluster profile", () => {
    for (const topic of relayTopics(loadStackEnv({ EVERGREEN_STACK_PROFILE: 'cluster' }))) {
      expect(topic.replicationFactor).toBe(3);
      expect(topic.config['min.insync.replicas']).toBe('2');
    }
  });
});
