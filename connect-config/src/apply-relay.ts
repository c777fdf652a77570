import type { StackConfig } from '@evergreen/platform';
import { applyConnector, ensureTopics, type ConnectorStatus } from './apply.ts';
import { outboxConnectors, relayTopics } from './connector.ts';

export interface RelayApplied {
  createdTopics: string[];
  /** Existing topics whose settings were brought in line with topics.json. */
  reconfiguredTopics: string[];
  /** Of each outbox connector, the users' first. */
  statuses: ConnectorStatus[];
}

/**
 * Topics first, so they get our partition counts rather than Connect's topic-creation defaults,
 * then the outbox connectors, one per database. Safe to repeat: existing topics are kept (their settings follow
 * topics.json) and the PUT is idempotent.
 */
export async function applyRelay(config: Pick<StackConfig, 'kafka' | 'connect'>, values: Record<string, string>): Promise<RelayApplied> {
  const topics = await ensureTopics(config, relayTopics(values));
  const statuses: ConnectorStatus[] = [];
  for (const connector of outboxConnectors(values)) statuses.push(await applyConnector(config.connect.url, connector));
  return { createdTopics: topics.created, reconfiguredTopics: topics.reconfigured, statuses };
}
