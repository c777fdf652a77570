import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil, type HostPort } from '@evergreen/platform';
import type { Component, StackContext } from '../component.ts';
import { logFile, pidFile } from '../layout.ts';
import { runningPid, stopDaemon, tailOf } from '../processes.ts';
import { run } from '../shell.ts';
import { askRedisNode, redisAnswersPing } from './redis.ts';

/**
 * A replica promotes itself this long after its primary stops answering: the longest a slot's
 * writes wait for a failover (with ioredis retrying meanwhile). Redis's default is 15 s.
 */
const CLUSTER_NODE_TIMEOUT_MS = 3_000;

export interface RedisClusterComponent extends Component {
  /** Each node's own name (`redis-<port>`) and the pid of its redis-server, if alive. */
  nodes(): Array<HostPort & { name: string; pid: number | undefined }>;
  /** Starts one node again (a killed one rejoins as a replica of whoever took over its slots). */
  startNode(node: HostPort): Promise<void>;
}

const nodeName = (node: HostPort) => `redis-${node.port}`;

async function clusterInfo(node: HostPort): Promise<Record<string, string> | undefined> {
  const text = await askRedisNode(node.host, node.port, async (client) => String(await client.call('CLUSTER', 'INFO')));
  if (text === undefined) return undefined;
  return Object.fromEntries(text.split(/\r?\n/).filter((line) => line.includes(':')).map((line) => line.split(':', 2) as [string, string]));
}

/**
 * The cluster profile's Redis Cluster: one redis-server per node of EVERGREEN_REDIS_NODES, made a
 * cluster once (`redis-cli --cluster create`, EVERGREEN_REDIS_CLUSTER_REPLICAS replicas per primary),
 * each node's slot map kept in its nodes.conf so a restart rejoins.
 */
export function redisCluster(context: StackContext): RedisClusterComponent {
  const { config, layout } = context;
  const { nodes, appendfsync, clusterReplicas } = config.redis;
  const pidOf = (node: HostPort) => runningPid(pidFile(layout, nodeName(node)));

  async function startNode(node: HostPort): Promise<void> {
    if (await redisAnswersPing(node.host, node.port)) return;
    const dataDir = join(layout.data, nodeName(node));
    mkdirSync(dataDir, { recursive: true });
    // One log for all nodes (`stack:logs redis`); each line starts with its process's pid.
    const logPath = logFile(layout, 'redis');
    // Persistence as the single Redis has it (docs/cache.md#durability); the cluster's state in nodes.conf.
    await run('redis-server', [
      '--bind', node.host,
      '--port', String(node.port),
      '--dir', dataDir,
      '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf',
      '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS),
      '--appendonly', 'yes',
      '--appendfsync', appendfsync,
      '--save', '',
      '--daemonize', 'yes',
      '--pidfile', pidFile(layout, nodeName(node)),
      '--logfile', logPath,
    ]);
    await pollUntil(() => redisAnswersPing(node.host, node.port), { description: `${nodeName(node)} to answer PING`, timeoutMs: 30_000 }).catch((error: Error) => {
      throw new Error(`${error.message}\n--- ${logPath} ---\n${tailOf(logPath)}`);
    });
  }

  const clusterOk = async () => (await clusterInfo(nodes[0] as HostPort))?.cluster_state === 'ok';

  return {
    name: 'redis',
    endpoint: `redis-cluster://${nodes.map((node) => `${node.host}:${node.port}`).join(',')}`,
    pid: () => nodes.map(pidOf).find((pid) => pid !== undefined),
    async isHealthy() {
      const answering = await Promise.all(nodes.map((node) => redisAnswersPing(node.host, node.port)));
      return answering.every(Boolean) && (await clusterOk());
    },
    async start() {
      mkdirSync(layout.run, { recursive: true });
      await Promise.all(nodes.map(startNode));
      const info = await clusterInfo(nodes[0] as HostPort);
      if (info?.cluster_slots_assigned === '0') {
        await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `${node.host}:${node.port}`), '--cluster-replicas', String(clusterReplicas), '--cluster-yes']);
      }
      await pollUntil(clusterOk, { description: 'the Redis Cluster to report cluster_state:ok', timeoutMs: 60_000, intervalMs: 250 });
    },
    async stop() {
      for (const node of nodes) await stopDaemon(pidFile(layout, nodeName(node)));
    },
    nodes: () => nodes.map((node) => ({ ...node, name: nodeName(node), pid: pidOf(node) })),
    startNode,
  };
}
