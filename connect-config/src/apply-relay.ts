import type { StackConfig } from '@evergreen/platform';
import { applyConnector, ensureTopics, type ConnectorStatus } from './apply.ts';
import { outboxConnector, relayTopics } from './connector.ts';

export interface RelayApplied {
  createdTopics: string[];
  /** Existing topics whose settings were brought in line with topics.json. */
  reconfiguredTopics: string[];
  status: ConnectorStatus;
}

/**
 * Topics first, so they get our partition counts rather than Connect's topic-creation defaults,
 * then the outbox connector. Safe to repeat: existing topics are kept (their settings follow
 * topics.json) and the PUT is idempotent.
 */
export async function applyRelay(config: Pick<StackConfig, 'kafka' | 'connect'>, values: Record<string, string>): Promise<RelayApplied> {
  const topics = await ensureTopics(config, relayTopics(values));
  const status = await applyConnector(config.connect.url, outboxConnector(values));
  return { createdTopics: topics.created, reconfiguredTopics: topics.reconfigured, status };
}
