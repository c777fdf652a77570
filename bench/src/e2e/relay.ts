import type pg from 'pg';
import { applyConnector, connectorStatus, outboxConnector, type ConnectorStatus } from '@evergreen/connect-config';
import { pollUntil, type StackConfig } from '@evergreen/platform';

async function put(url: string): Promise<void> {
  const response = await fetch(url, { method: 'PUT', signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`PUT ${url}: HTTP ${response.status} ${await response.text()}`);
}

const running = (status: ConnectorStatus | undefined) => status?.connector.state === 'RUNNING' && status.tasks.length > 0 && status.tasks.every((task) => task.state === 'RUNNING');

/** The connector's task shut down, its offsets and replication slot kept: WAL piles up unread, as in an outage. */
export async function stopRelay(config: StackConfig): Promise<void> {
  const { url, connectorName } = config.connect;
  await put(`${url}/connectors/${encodeURIComponent(connectorName)}/stop`);
  await pollUntil(async () => (await connectorStatus(url, connectorName))?.connector.state === 'STOPPED' || undefined, { description: `${connectorName} to stop`, timeoutMs: 60_000, intervalMs: 100 });
}

export async function resumeRelay(config: StackConfig): Promise<void> {
  const { url, connectorName } = config.connect;
  await put(`${url}/connectors/${encodeURIComponent(connectorName)}/resume`);
  await pollUntil(async () => running(await connectorStatus(url, connectorName)) || undefined, { description: `${connectorName} to run again`, timeoutMs: 60_000, intervalMs: 100 });
}

/** The committed connector config (connect-config/outbox-connector.json) with some settings changed; {} restores it. */
export async function configureRelay(config: StackConfig, env: Record<string, string>, overrides: Record<string, string>): Promise<void> {
  const connector = outboxConnector(env);
  await applyConnector(config.connect.url, { ...connector, config: { ...connector.config, ...overrides } });
}

/** The committed connector settings the benchmark reports beside its figures. */
export function relaySettings(env: Record<string, string>, names: readonly string[]): Record<string, string> {
  const { config } = outboxConnector(env);
  return Object.fromEntries(names.map((name) => [name, config[name] ?? '(Debezium/Kafka default)']));
}

/** The relay as it was before the tuning of issue #12: Debezium's and Kafka's defaults, gzip. */
export const SETTINGS_BEFORE_TUNING: Readonly<Record<string, string>> = {
  'poll.interval.ms': '500',
  'max.batch.size': '2048',
  'max.queue.size': '8192',
  'producer.override.compression.type': 'gzip',
  'producer.override.linger.ms': '5',
  'producer.override.batch.size': '16384',
};

/** What the outbox publication sends the relay: every change (before the tuning), or inserts and updates only (now). */
export const PUBLISH_ALL_CHANGES = 'insert, update, delete';
export const PUBLISH_NO_DELETES = 'insert, update';

export async function setPublication(pool: pg.Pool, publish: string): Promise<void> {
  await pool.query(`ALTER PUBLICATION evergreen_outbox SET (publish = '${publish}')`);
}
