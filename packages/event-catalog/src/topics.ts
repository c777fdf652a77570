import { aggregateTopic, type StackConfig } from '@evergreen/platform';
import type { AnyAggregate } from './aggregate.ts';

const RETRY_SUFFIX = '.retry';

/**
 * Where dead letters are replayed to: `<topic>.retry`, a topic with a time-based retention
 * (cleanup.policy=delete) that every group on `<topic>` also reads. Its records carry a
 * retry.group header: only the group named there applies them, the others read past them.
 * A replay never writes `<topic>` itself: on a compacted topic the highest offset of a key
 * survives compaction, so an old version written there would become the key's snapshot.
 */
export const retryTopic = (topic: string) => `${topic}${RETRY_SUFFIX}`;

/** The topic a retry topic belongs to (`x` for `x.retry`); any other topic is its own. */
export const mainTopicOf = (topic: string) => (topic.endsWith(RETRY_SUFFIX) ? topic.slice(0, -RETRY_SUFFIX.length) : topic);

/** `<topic>.dlq`; a record read from `<topic>.retry` is dead-lettered to `<topic>.dlq` as well. */
export const deadLetterTopic = (topic: string) => `${mainTopicOf(topic)}.dlq`;

/** The three topics every aggregate has: its compacted event topic, its retry topic and its dead letters. */
export interface AggregateTopics {
  aggregate: string;
  retry: string;
  deadLetter: string;
}

export function topicsOfAggregate(config: { topics: Pick<StackConfig['topics'], 'prefix'> }, aggregateType: string): AggregateTopics {
  const aggregate = aggregateTopic(config, aggregateType);
  return { aggregate, retry: retryTopic(aggregate), deadLetter: deadLetterTopic(aggregate) };
}

/** Which topic carries each aggregate a consumer reads, by aggregate type. */
export type TopicsOf<A extends AnyAggregate> = { readonly [T in A['type']]: string };

/** The stack's topic of each of these aggregates (`<prefix>.<type>`), by aggregate type. */
export function topicsOf<const A extends AnyAggregate>(config: Pick<StackConfig, 'topics'>, aggregates: readonly A[]): TopicsOf<A> {
  return Object.fromEntries(aggregates.map((aggregate) => [aggregate.type, aggregateTopic(config, aggregate.type)])) as TopicsOf<A>;
}
