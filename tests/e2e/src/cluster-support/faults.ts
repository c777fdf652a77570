import { Redis } from 'ioredis';
import { connectorStatus } from '@evergreen/connect-config';
import { stackUp, type LocalStack, type Supervisor } from '@evergreen/local-stack';
import { pollUntil, type HostPort } from '@evergreen/platform';
import type { Fault } from '../support/chaos/scenario.ts';

/** What a fault saw besides the ledger: where the work went when its owner died. */
export interface FailoverEvidence {
  /** The Connect worker that ran the outbox task before, and the one that runs it after. */
  taskMovedFrom?: string;
  taskMovedTo?: string;
  /** The Redis primary killed and the node that serves its slots since. */
  redisPrimaryKilled?: string;
  redisPromoted?: string;
}

const killPid = (name: string, pid: number | undefined) => {
  if (pid === undefined) throw new Error(`${name} is not running`);
  process.kill(pid, 'SIGKILL');
};

function componentOf(stack: LocalStack, name: string) {
  const component = stack.components.find((candidate) => candidate.name === name);
  if (!component) throw new Error(`no component ${name} (is this the cluster profile?)`);
  return component;
}

/** kill -9 one Kafka node (broker and controller); back when `stack:up` has it healthy again. */
export function kafkaBrokerFault(stack: LocalStack, name: string): Fault {
  return {
    name,
    kill: () => killPid(name, componentOf(stack, name).pid()),
    restore: () => stackUp(stack, () => undefined),
  };
}

/** kill -9 the Connect worker that runs the connector's task; the task must move to another worker. */
export function connectWorkerFault(stack: LocalStack, connectorName: string, evidence: FailoverEvidence): Fault {
  const workers = stack.config.connect.workers;
  let survivorUrl = '';
  return {
    name: 'connect worker running the task',
    async kill() {
      const status = await connectorStatus(stack.config.connect.url, connectorName);
      const owner = status?.tasks[0]?.worker_id;
      const index = workers.findIndex((worker) => `${worker.host}:${worker.port}` === owner);
      if (index < 0) throw new Error(`connector ${connectorName}'s task runs on no known worker (${owner})`);
      evidence.taskMovedFrom = owner;
      survivorUrl = workers.find((_, other) => other !== index)?.url ?? '';
      killPid(`connect-${index + 1}`, componentOf(stack, `connect-${index + 1}`).pid());
    },
    async restore() {
      // The group hands the task to the surviving worker (session timeout, then the rebalance delay).
      evidence.taskMovedTo = await pollUntil(
        async () => {
          const task = (await connectorStatus(survivorUrl, connectorName).catch(() => undefined))?.tasks[0];
          return task?.state === 'RUNNING' && task.worker_id !== evidence.taskMovedFrom ? task.worker_id : undefined;
        },
        { description: `the ${connectorName} task to run on the other worker`, timeoutMs: 120_000, intervalMs: 250 },
      );
      await stackUp(stack, () => undefined);
    },
  };
}

interface ClusterNode {
  id: string;
  address: string;
  flags: string[];
  slots: boolean;
}

/** CLUSTER NODES as one node sees the cluster. */
async function clusterNodes(node: HostPort): Promise<ClusterNode[]> {
  const client = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000, commandTimeout: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const text = String(await client.call('CLUSTER', 'NODES'));
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id = '', address = '', flags = '', , , , , , ...slots] = line.split(' ');
        return { id, address: address.split('@')[0] ?? '', flags: flags.split(','), slots: slots.length > 0 };
      });
  } finally {
    client.disconnect();
  }
}

/** kill -9 a Redis primary that serves slots; a replica must take its slots over (CLUSTER NODES). */
export function redisPrimaryFault(stack: LocalStack, evidence: FailoverEvidence): Fault {
  const cluster = stack.redisCluster;
  if (!cluster) throw new Error('no Redis Cluster (is this the cluster profile?)');
  let killed: (HostPort & { id: string }) | undefined;
  let primariesBefore = new Set<string>();
  const witness = () => cluster.nodes().find((node) => node.pid !== undefined && `${node.host}:${node.port}` !== evidence.redisPrimaryKilled) as HostPort;
  return {
    name: 'redis primary',
    async kill() {
      const nodes = await clusterNodes(witness());
      primariesBefore = new Set(nodes.filter((node) => node.flags.includes('master') && node.slots).map((node) => node.id));
      const primary = nodes.find((node) => node.flags.includes('master') && node.slots);
      const target = cluster.nodes().find((node) => `${node.host}:${node.port}` === primary?.address);
      if (!primary || !target) throw new Error('no Redis primary with slots found');
      killed = { host: target.host, port: target.port, id: primary.id };
      evidence.redisPrimaryKilled = primary.address;
      killPid(target.name, target.pid);
    },
    async restore() {
      if (!killed) return;
      const { id } = killed;
      // Promoted: a node serving slots that was a replica before; the dead primary marked failed, its slots gone.
      evidence.redisPromoted = await pollUntil(
        async () => {
          const nodes = await clusterNodes(witness()).catch((): ClusterNode[] => []);
          const dead = nodes.find((node) => node.id === id);
          const promoted = nodes.find((node) => node.flags.includes('master') && node.slots && !primariesBefore.has(node.id));
          return dead?.flags.includes('fail') && !dead.slots ? promoted?.address : undefined;
        },
        { description: `a replica to take over ${evidence.redisPrimaryKilled}'s slots`, timeoutMs: 60_000, intervalMs: 200 },
      );
      await cluster.startNode(killed);
      await pollUntil(() => cluster.isHealthy(), { description: 'the Redis Cluster to be whole again', timeoutMs: 60_000, intervalMs: 250 });
    },
  };
}

/** kill -9 one instance of a consumer service; the other instance of the group takes its partitions, the supervisor restarts it. */
export function consumerInstanceFault(supervisor: Supervisor, name: string, ready: () => Promise<boolean>): Fault {
  return {
    name,
    kill: () => killPid(name, supervisor.pids()[name]),
    restore: () => pollUntil(ready, { description: `${name} to be back and every service ready`, timeoutMs: 120_000, intervalMs: 100 }).then(() => undefined),
  };
}
