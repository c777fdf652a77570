import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { createKafka, renderTemplate } from '@evergreen/platform';
import type { Component, StackContext } from '../component.ts';
import type { Distributions } from '../provision.ts';
import { run } from '../shell.ts';
import { jvmDaemon } from './jvm-daemon.ts';

export async function kafkaAnswers(brokers: string[]): Promise<boolean> {
  const admin = createKafka({ clientId: 'evergreen-stack-probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2_000 }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function kafka(context: StackContext, dists: Distributions): Component {
  const { config, layout, templateValues } = context;
  const propertiesPath = join(layout.conf, 'kafka-server.properties');
  const log4jPath = join(layout.configTemplates, 'kafka-log4j2.properties');
  const classpath = `${dists.kafkaLibs}/*`;
  const dataDir = join(layout.data, 'kafka');

  return jvmDaemon(context, {
    name: 'kafka',
    endpoint: config.kafka.brokers.join(','),
    heap: config.kafka.heap,
    cwd: layout.root,
    jvmOptions: [`-Dlog4j2.configurationFile=${log4jPath}`, `-Dkafka.logs.dir=${layout.logs}`],
    javaArgs: ['-cp', classpath, 'kafka.Kafka', propertiesPath],
    startupTimeoutMs: 120_000,
    isHealthy: () => kafkaAnswers(config.kafka.brokers),
    async prepare() {
      mkdirSync(layout.conf, { recursive: true });
      const template = readFileSync(join(layout.configTemplates, 'kafka-server.properties'), 'utf8');
      writeFileSync(propertiesPath, renderTemplate(template, templateValues));
      if (existsSync(join(dataDir, 'meta.properties'))) return;
      // KRaft storage is formatted once, with a fresh cluster id, as a single-voter quorum.
      const clusterId = randomBytes(16).toString('base64url');
      await run('java', ['-cp', classpath, `-Dlog4j2.configurationFile=${log4jPath}`, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', propertiesPath]);
    },
  });
}
