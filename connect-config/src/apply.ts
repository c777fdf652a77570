import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { logLevel } from 'kafkajs';
import { classify, EvergreenError, messageOf } from '@evergreen/errors';
import { createKafka, pollUntil, type StackConfig } from '@evergreen/platform';
import type { ConnectorDefinition, TopicDefinition } from './connector.ts';

export interface ConnectorStatus {
  name: string;
  connector: { state: string; trace?: string; worker_id?: string };
  tasks: Array<{ id: number; state: string; trace?: string; /** host:port of the worker running it. */ worker_id?: string }>;
}

// kafkajs is CommonJS: Node's ESM loader does not see ConfigResourceTypes as a named export.
const TOPIC_RESOURCE = kafkajs.ConfigResourceTypes.TOPIC;

export interface TopicsEnsured {
  created: string[];
  /** Existing topics whose settings differed from topics.json and were set to it. */
  reconfigured: string[];
}

/**
 * Creates the topics that do not exist yet, and sets the listed settings of existing ones where
 * they differ (a retention changed in topics.json reaches a running stack too). Partition counts of
 * existing topics are left as they are: adding partitions moves keys, and so breaks per-key order.
 */
export async function ensureTopics(config: Pick<StackConfig, 'kafka'>, topics: TopicDefinition[]): Promise<TopicsEnsured> {
  const admin = createKafka({ clientId: 'evergreen-connect-apply', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
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
          replicationFactor: topic.replicationFactor,
          configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const present = topics.filter((topic) => existing.has(topic.name) && Object.keys(topic.config).length > 0);
    const reconfigured: string[] = [];
    if (present.length > 0) {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: present.map((topic) => ({ type: TOPIC_RESOURCE, name: topic.name, configNames: Object.keys(topic.config) })),
      });
      for (const topic of present) {
        const actual = new Map(resources.find((resource) => resource.resourceName === topic.name)?.configEntries.map((entry) => [entry.configName, entry.configValue]) ?? []);
        const differs = Object.entries(topic.config).some(([name, value]) => actual.get(name) !== value);
        if (!differs) continue;
        // AlterConfigs (not incremental) replaces the topic's dynamic settings: topics.json is their whole truth.
        await admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: TOPIC_RESOURCE, name: topic.name, configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })) }],
        });
        reconfigured.push(topic.name);
      }
    }
    return { created: missing.map((topic) => topic.name), reconfigured };
  } finally {
    await admin.disconnect();
  }
}

/**
 * How long one request to Connect's REST API may take, from sending it to having read its answer,
 * retries of a rebalancing group included, unless the caller says otherwise: a Connect worker that
 * accepts the connection and never answers fails the call with TIMEOUT (dependency connect).
 */
export const DEFAULT_CONNECT_REQUEST_TIMEOUT_MS = 30_000;

export interface ConnectRequestOptions {
  /** The bound of the whole call; DEFAULT_CONNECT_REQUEST_TIMEOUT_MS when not given. */
  timeoutMs?: number;
}

/** An answer of Connect's REST API, read whole (they are small JSON documents). */
interface ConnectAnswer {
  status: number;
  ok: boolean;
  text: string;
}

/**
 * One request to Connect's REST API, bounded by one deadline for the whole call. A group of
 * workers answers 409 while it rebalances (a worker joined or left, "stale configuration"): that is
 * retried within the same deadline, as the group settles within seconds; one worker alone never
 * answers so. No answer in time: TIMEOUT; no connection: DEPENDENCY_UNAVAILABLE; both name connect.
 */
async function connectRequest(url: string, init: RequestInit = {}, options: ConnectRequestOptions = {}): Promise<ConnectAnswer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_REQUEST_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const what = `${init.method ?? 'GET'} ${new URL(url).pathname}`;
  const send = async (): Promise<ConnectAnswer> => {
    const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json', accept: 'application/json' }, signal });
    return { status: response.status, ok: response.ok, text: await response.text() };
  };
  try {
    let answer = await send();
    while (answer.status === 409 && /rebalanc|stale configuration/i.test(answer.text)) {
      // Backing off between retries of a refused request; not waiting for a condition. The deadline
      // cuts the pause short too.
      await sleep(500, undefined, { signal });
      answer = await send();
    }
    return answer;
  } catch (error) {
    if (signal.aborted) throw new EvergreenError('TIMEOUT', `Kafka Connect did not answer ${what} within ${timeoutMs} ms`, { cause: error, dependency: 'connect' });
    throw new EvergreenError(classify(error, { dependency: 'connect' }).code, `Kafka Connect: ${what}: ${messageOf(error)}`, { cause: error, dependency: 'connect' });
  }
}

export async function connectorStatus(connectUrl: string, name: string, options: ConnectRequestOptions = {}): Promise<ConnectorStatus | undefined> {
  const answer = await connectRequest(`${connectUrl}/connectors/${encodeURIComponent(name)}/status`, {}, options);
  if (answer.status === 404) return undefined;
  if (!answer.ok) throw new Error(`GET status of ${name}: HTTP ${answer.status} ${answer.text}`);
  return JSON.parse(answer.text) as ConnectorStatus;
}

/**
 * Restarts a connector with its tasks, or one task (POST .../restart): what an operator does to a
 * FAILED connector once its cause is fixed. Resolves to false when Connect does not know it.
 */
export async function restartConnector(connectUrl: string, name: string, task?: number, options: ConnectRequestOptions = {}): Promise<boolean> {
  const path = task === undefined ? `/connectors/${encodeURIComponent(name)}/restart?includeTasks=true` : `/connectors/${encodeURIComponent(name)}/tasks/${task}/restart`;
  const answer = await connectRequest(`${connectUrl}${path}`, { method: 'POST' }, options);
  if (answer.status === 404) return false;
  if (!answer.ok) throw new Error(`POST ${path}: HTTP ${answer.status} ${answer.text}`);
  return true;
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
 * Removes a connector for good: stops it, deletes its offsets, so that a connector created again
 * under the name starts afresh rather than at a position of the old one, and deletes it. Its
 * replication slot stays in PostgreSQL, keeping WAL: dropping it is the caller's part.
 * False when there was no such connector.
 */
export async function removeConnector(connectUrl: string, name: string, timeoutMs = 60_000): Promise<boolean> {
  if (!(await connectorStatus(connectUrl, name))) return false;
  const path = `${connectUrl}/connectors/${encodeURIComponent(name)}`;
  const answered = async (what: string, response: Promise<ConnectAnswer>) => {
    const result = await response;
    if (!result.ok) throw new Error(`${what} ${name}: HTTP ${result.status} ${result.text}`);
  };
  await answered('PUT stop', connectRequest(`${path}/stop`, { method: 'PUT' }));
  await pollUntil(async () => (await connectorStatus(connectUrl, name))?.connector.state === 'STOPPED' || undefined, {
    description: `connector ${name} to stop`,
    timeoutMs,
    intervalMs: 250,
  });
  await answered('DELETE offsets of', connectRequest(`${path}/offsets`, { method: 'DELETE' }));
  await answered('DELETE', connectRequest(path, { method: 'DELETE' }));
  return true;
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
  if (!response.ok) throw new Error(`PUT ${connector.name} config: HTTP ${response.status} ${response.text}`);

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
