import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTemplate } from '@evergreen/platform';

const CONFIG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ConnectorDefinition {
  name: string;
  config: Record<string, string>;
}

export interface TopicDefinition {
  name: string;
  partitions: number;
  config: Record<string, string>;
}

/** The outbox connector with its ${env:…} placeholders filled from the stack environment. */
export function outboxConnector(values: Record<string, string>): ConnectorDefinition {
  const rendered = renderTemplate(readFileSync(join(CONFIG_DIR, 'outbox-connector.json'), 'utf8'), values);
  return JSON.parse(rendered) as ConnectorDefinition;
}

export function relayTopics(values: Record<string, string>): TopicDefinition[] {
  const rendered = renderTemplate(readFileSync(join(CONFIG_DIR, 'topics.json'), 'utf8'), values);
  const { topics } = JSON.parse(rendered) as { topics: Array<{ name: string; partitions: string; config: Record<string, string> }> };
  return topics.map((topic) => {
    const partitions = Number(topic.partitions);
    if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`topic ${topic.name}: partitions must be a positive integer, got "${topic.partitions}"`);
    return { name: topic.name, partitions, config: topic.config };
  });
}
