import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTemplate } from '@evergreen/platform';
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

export function connect(context: StackContext, dists: Distributions): Component {
  const { config, layout, templateValues } = context;
  const propertiesPath = join(layout.conf, 'connect-distributed.properties');
  return jvmDaemon(context, {
    name: 'connect',
    endpoint: config.connect.url,
    heap: config.connect.heap,
    cwd: layout.root,
    jvmOptions: [`-Dlog4j2.configurationFile=${join(layout.configTemplates, 'kafka-log4j2.properties')}`],
    javaArgs: ['-cp', `${dists.kafkaLibs}/*`, 'org.apache.kafka.connect.cli.ConnectDistributed', propertiesPath],
    startupTimeoutMs: 180_000,
    isHealthy: () => connectHasDebezium(config.connect.url),
    async prepare() {
      mkdirSync(layout.conf, { recursive: true });
      const template = readFileSync(join(layout.configTemplates, 'connect-distributed.properties'), 'utf8');
      writeFileSync(propertiesPath, renderTemplate(template, { ...templateValues, CONNECT_PLUGIN_PATH: dists.connectPluginPath }));
    },
  });
}
