import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicsOfAggregate, type AggregateTopics, type AnyAggregate } from '@evergreen/event-catalog';
import { loadStackConfig, outboxRelays, renderTemplate } from '@evergreen/platform';
import { AGGREGATES } from '@evergreen/schemas';

const CONFIG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ConnectorDefinition {
  name: string;
  config: Record<string, string>;
}

export interface TopicDefinition {
  name: string;
  partitions: number;
  /** Replicas of each partition (EVERGREEN_TOPIC_REPLICATION_FACTOR); set at creation only. */
  replicationFactor: number;
  config: Record<string, string>;
}

/**
 * The registration API's outbox connector (users) with its ${env:…} placeholders filled from the
 * stack environment. Its Debezium server name (topic.prefix) is the topic prefix unless `values`
 * names another (EVERGREEN_DEBEZIUM_SERVER_NAME, as outboxConnectors does for each database).
 */
export function outboxConnector(values: Record<string, string>): ConnectorDefinition {
  const serverName = values.EVERGREEN_DEBEZIUM_SERVER_NAME ?? values.EVERGREEN_TOPIC_PREFIX ?? '';
  const rendered = renderTemplate(readFileSync(join(CONFIG_DIR, 'outbox-connector.json'), 'utf8'), { ...values, EVERGREEN_DEBEZIUM_SERVER_NAME: serverName });
  return JSON.parse(rendered) as ConnectorDefinition;
}

/**
 * One outbox connector per database with an outbox (outboxRelays: the users' and the orders'), each
 * outbox-connector.json with that database, connector name and slot. Every one routes by the rows'
 * aggregatetype to `<prefix>.<type>`, so which database an aggregate is written in is the writer's affair.
 */
export function outboxConnectors(values: Record<string, string>): ConnectorDefinition[] {
  return outboxRelays(loadStackConfig(values)).map((relay) =>
    outboxConnector({ ...values, EVERGREEN_PG_DATABASE: relay.database, EVERGREEN_CONNECTOR_NAME: relay.connectorName, EVERGREEN_SLOT_NAME: relay.slotName, EVERGREEN_DEBEZIUM_SERVER_NAME: relay.serverName }),
  );
}

interface TopicSettings {
  partitions: string;
  replicationFactor: string;
  config: Record<string, string>;
}

/**
 * Every aggregate's three topics (its compacted topic, `.retry`, `.dlq`), named from the descriptors
 * under the namespace's EVERGREEN_TOPIC_PREFIX, with the settings of topics.json (placeholders
 * filled from `values`).
 */
export function relayTopics(values: Record<string, string>, aggregates: readonly AnyAggregate[] = AGGREGATES): TopicDefinition[] {
  const rendered = renderTemplate(readFileSync(join(CONFIG_DIR, 'topics.json'), 'utf8'), values);
  const { perAggregate } = JSON.parse(rendered) as { perAggregate: Record<keyof AggregateTopics, TopicSettings> };
  const prefix = values.EVERGREEN_TOPIC_PREFIX;
  if (!prefix) throw new Error('EVERGREEN_TOPIC_PREFIX is not set');
  return aggregates.flatMap((aggregate) => {
    const names = topicsOfAggregate({ topics: { prefix } }, aggregate.type);
    return (Object.keys(names) as Array<keyof AggregateTopics>).map((kind) => {
      const { partitions: text, replicationFactor: replicas, config } = perAggregate[kind];
      const partitions = Number(text);
      if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`topic ${names[kind]}: partitions must be a positive integer, got "${text}"`);
      const replicationFactor = Number(replicas);
      if (!Number.isInteger(replicationFactor) || replicationFactor < 1) throw new Error(`topic ${names[kind]}: replicationFactor must be a positive integer, got "${replicas}"`);
      return { name: names[kind], partitions, replicationFactor, config };
    });
  });
}
