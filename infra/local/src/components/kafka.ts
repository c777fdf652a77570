import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { createKafka, renderTemplate, type KafkaNode } from '@evergreen/platform';
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

/** The component name of a Kafka node: `kafka` when it is the only one, `kafka-<id>` in a quorum. */
export const kafkaComponentName = (node: KafkaNode, nodeCount: number) => (nodeCount === 1 ? 'kafka' : `kafka-${node.id}`);

/** One KRaft node (broker and controller); the single profile has one, the cluster profile three. */
export function kafka(context: StackContext, dists: Distributions, node: KafkaNode): Component {
  const { config, layout, templateValues } = context;
  const nodes = config.kafka.nodes;
  const name = kafkaComponentName(node, nodes.length);
  const propertiesPath = join(layout.conf, `${name}-server.properties`);
  const log4jPath = join(layout.configTemplates, 'kafka-log4j2.properties');
  const classpath = `${dists.kafkaLibs}/*`;
  const dataDir = join(layout.data, name);
  const single = nodes.length === 1;
  const quorum = single
    ? { KAFKA_QUORUM_KEY: 'controller.quorum.bootstrap.servers', KAFKA_QUORUM_VALUE: `${node.host}:${node.controllerPort}` }
    : { KAFKA_QUORUM_KEY: 'controller.quorum.voters', KAFKA_QUORUM_VALUE: nodes.map((voter) => `${voter.id}@${voter.host}:${voter.controllerPort}`).join(',') };

  return jvmDaemon(context, {
    name,
    endpoint: `${node.host}:${node.port}`,
    heap: config.kafka.heap,
    cwd: layout.root,
    jvmOptions: [`-Dlog4j2.configurationFile=${log4jPath}`, `-Dkafka.logs.dir=${layout.logs}`],
    javaArgs: ['-cp', classpath, 'kafka.Kafka', propertiesPath],
    startupTimeoutMs: 120_000,
    // This node itself answering: the quorum behind it must be up for it to register.
    isHealthy: () => kafkaAnswers([`${node.host}:${node.port}`]),
    async prepare() {
      mkdirSync(layout.conf, { recursive: true });
      const template = readFileSync(join(layout.configTemplates, 'kafka-server.properties'), 'utf8');
      writeFileSync(
        propertiesPath,
        renderTemplate(template, { ...templateValues, ...quorum, KAFKA_NODE_ID: node.id, KAFKA_NODE_PORT: node.port, KAFKA_NODE_CONTROLLER_PORT: node.controllerPort, KAFKA_NODE_LOG_DIR: dataDir }),
      );
      if (existsSync(join(dataDir, 'meta.properties'))) return;
      // KRaft storage is formatted once: alone as a single-voter quorum, or every node of the
      // static quorum with one cluster id, kept beside their data so a node formatted later matches.
      const clusterId = single ? randomBytes(16).toString('base64url') : sharedClusterId(layout.data);
      await run('java', ['-cp', classpath, `-Dlog4j2.configurationFile=${log4jPath}`, 'kafka.tools.StorageTool', 'format', ...(single ? ['--standalone'] : []), '-t', clusterId, '-c', propertiesPath]);
    },
  });
}

function sharedClusterId(dataDir: string): string {
  const path = join(dataDir, 'kafka-cluster-id');
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, randomBytes(16).toString('base64url'));
  }
  return readFileSync(path, 'utf8').trim();
}
