import { Kafka, logLevel } from 'kafkajs';
import { pollUntil, type StackConfig } from '@evergreen/platform';
import type { ConnectorDefinition, TopicDefinition } from './connector.ts';

export interface ConnectorStatus {
  name: string;
  connector: { state: string; trace?: string };
  tasks: Array<{ id: number; state: string; trace?: string }>;
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(config: Pick<StackConfig, 'kafka'>, topics: TopicDefinition[]): Promise<string[]> {
  const admin = new Kafka({ clientId: 'evergreen-connect-apply', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor: 1,
          configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    return missing.map((topic) => topic.name);
  } finally {
    await admin.disconnect();
  }
}

async function connectRequest(url: string, init?: RequestInit): Promise<Response> {
  return fetch(url, { ...init, headers: { 'content-type': 'application/json', accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
}

export async function connectorStatus(connectUrl: string, name: string): Promise<ConnectorStatus | undefined> {
  const response = await connectRequest(`${connectUrl}/connectors/${encodeURIComponent(name)}/status`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET status of ${name}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as ConnectorStatus;
}

export class ConnectorFailedError extends Error {
  constructor(readonly status: ConnectorStatus) {
    const failed = [
      ...(status.connector.state === 'FAILED' ? [`connector: ${status.connector.trace ?? '(no trace)'}`] : []),
      ...status.tasks.filter((task) => task.state === 'FAILED').map((task) => `task ${task.id}: ${task.trace ?? '(no trace)'}`),
    ];
    super(`connector ${status.name} FAILED\n${failed.join('\n')}`);
    this.name = 'ConnectorFailedError';
  }
}

/**
 * PUTs the connector's config (creating or updating it: PUT is idempotent), then waits until the
 * connector and every task are RUNNING. A FAILED one stops the wait with its stack trace.
 */
export async function applyConnector(connectUrl: string, connector: ConnectorDefinition, timeoutMs = 120_000): Promise<ConnectorStatus> {
  const response = await connectRequest(`${connectUrl}/connectors/${encodeURIComponent(connector.name)}/config`, {
    method: 'PUT',
    body: JSON.stringify(connector.config),
  });
  if (!response.ok) throw new Error(`PUT ${connector.name} config: HTTP ${response.status} ${await response.text()}`);

  const status = await pollUntil(
    async () => {
      const current = await connectorStatus(connectUrl, connector.name);
      if (!current) return undefined;
      const failed = current.connector.state === 'FAILED' || current.tasks.some((task) => task.state === 'FAILED');
      if (failed) return current;
      const running = current.connector.state === 'RUNNING' && current.tasks.length > 0 && current.tasks.every((task) => task.state === 'RUNNING');
      return running ? current : undefined;
    },
    { description: `connector ${connector.name} and its tasks to be RUNNING`, timeoutMs, intervalMs: 500 },
  );
  if (status.connector.state === 'FAILED' || status.tasks.some((task) => task.state === 'FAILED')) throw new ConnectorFailedError(status);
  return status;
}
