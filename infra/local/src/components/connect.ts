import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTemplate, type HostPort } from '@evergreen/platform';
import type { Component, StackContext } from '../component.ts';
import type { Distributions } from '../provision.ts';
import { jvmDaemon } from './jvm-daemon.ts';

const DEBEZIUM_POSTGRES = 'io.debezium.connector.postgresql.PostgresConnector';

/** Connect is ready for us once its REST API lists the Debezium PostgreSQL connector plugin. */
export async function connectHasDebezium(connectUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${connectUrl}/connector-plugins`, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) return false;
    const plugins = (await response.json()) as Array<{ class: string }>;
    return plugins.some((plugin) => plugin.class === DEBEZIUM_POSTGRES);
  } catch {
    return false;
  }
}

/** The component name of a Connect worker: `connect` when it is the only one, `connect-<n>` in a group. */
export const connectComponentName = (index: number, workerCount: number) => (workerCount === 1 ? 'connect' : `connect-${index + 1}`);

/** One Kafka Connect worker of the distributed group (the cluster profile runs two). */
export function connect(context: StackContext, dists: Distributions, worker: HostPort & { url: string }, index: number): Component {
  const { config, layout, templateValues } = context;
  const name = connectComponentName(index, config.connect.workers.length);
  const propertiesPath = join(layout.conf, `${name}-distributed.properties`);
  return jvmDaemon(context, {
    name,
    endpoint: worker.url,
    heap: config.connect.heap,
    cwd: layout.root,
    jvmOptions: [`-Dlog4j2.configurationFile=${join(layout.configTemplates, 'kafka-log4j2.properties')}`],
    javaArgs: ['-cp', `${dists.kafkaLibs}/*`, 'org.apache.kafka.connect.cli.ConnectDistributed', propertiesPath],
    startupTimeoutMs: 180_000,
    isHealthy: () => connectHasDebezium(worker.url),
    async prepare() {
      mkdirSync(layout.conf, { recursive: true });
      const template = readFileSync(join(layout.configTemplates, 'connect-distributed.properties'), 'utf8');
      const values = { ...templateValues, CONNECT_PLUGIN_PATH: dists.connectPluginPath, CONNECT_WORKER_PORT: String(worker.port), KAFKA_BOOTSTRAP_SERVERS: config.kafka.brokers.join(',') };
      writeFileSync(propertiesPath, renderTemplate(template, values));
    },
  });
}
