import { aggregateTopic, type StackConfig } from '@evergreen/platform';
import { allEventSchemas, eventSchema, subjectFor, type EventSchema } from './catalog.ts';

/** An event schema placed on its topic: what the serde needs to encode or register it. */
export interface TopicSchema extends EventSchema {
  topic: string;
  subject: string;
}

export function topicSchema(config: Pick<StackConfig, 'topics'>, aggregateType: string, eventType: string): TopicSchema {
  return onTopic(config, eventSchema(aggregateType, eventType));
}

export function allTopicSchemas(config: Pick<StackConfig, 'topics'>): TopicSchema[] {
  return allEventSchemas().map((schema) => onTopic(config, schema));
}

function onTopic(config: Pick<StackConfig, 'topics'>, schema: EventSchema): TopicSchema {
  const topic = aggregateTopic(config, schema.aggregateType);
  return { ...schema, topic, subject: subjectFor(topic, schema) };
}
