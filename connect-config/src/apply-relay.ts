import type { StackConfig } from '@evergreen/platform';
import { applyConnector, ensureTopics, type ConnectorStatus } from './apply.ts';
import { outboxConnector, relayTopics } from './connector.ts';

export interface RelayApplied {
  createdTopics: string[];
  status: ConnectorStatus;
}

/**
 * Topics first, so they get our partition counts rather than Connect's topic-creation defaults,
 * then the outbox connector. Safe to repeat: existing topics are kept and the PUT is idempotent.
 */
export async function applyRelay(config: Pick<StackConfig, 'kafka' | 'connect'>, values: Record<string, string>): Promise<RelayApplied> {
  const createdTopics = await ensureTopics(config, relayTopics(values));
  const status = await applyConnector(config.connect.url, outboxConnector(values));
  return { createdTopics, status };
}
