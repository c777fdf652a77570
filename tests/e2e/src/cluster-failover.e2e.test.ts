import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtServices, localStack, stackUp, Supervisor, withConsumerInstances, type LocalStack } from '@evergreen/local-stack';
import { createPool, createRedis, findRepoRoot, instancePort, loadStackConfig, pollUntil, type RedisClient, type StackConfig } from '@evergreen/platform';
import { connectWorkerFault, consumerInstanceFault, kafkaBrokerFault, redisPrimaryFault, type FailoverEvidence } from './cluster-support/faults.ts';
import { ProgressMeter } from './cluster-support/progress.ts';
import { waitUntilPopulatorCaughtUp } from './support/caught-up.ts';
import { consumerRecords, formatLedger, runScenario, scenarioContext, type Fault, type ScenarioContext, type ScenarioResult } from './support/chaos/scenario.ts';

// Issue #15: on the cluster profile (three Kafka nodes, two Connect workers, a Redis Cluster, two
// instances of each consumer service), kill -9 one of each under the chaos suite's bounded load
// and ledger: nothing acknowledged goes missing or stale, the work moves to the survivor, and the
// longest time the cache made no progress is measured and bounded. Runs only on that profile:
//   EVERGREEN_STACK_PROFILE=cluster npx vitest run --project e2e tests/e2e/src/cluster-failover.e2e.test.ts
// (npm run test:cluster), which brings the cluster stack up when it is down and stops it after.
const CLUSTER = process.env.EVERGREEN_STACK_PROFILE === 'cluster';
const WRITES = Number(process.env.EVERGREEN_FAILOVER_WRITES ?? 600);
// The longest the cache may stand still per scenario. A broker's partitions get new leaders within
// a few seconds; a Redis replica promotes itself after cluster-node-timeout (3 s) plus an election;
// a dead consumer's partitions move after its session timeout; the outbox task after the Connect
// group's session timeout (10 s) and EVERGREEN_CONNECT_REBALANCE_DELAY_MS (5 s), then Debezium's start.
const STALL_LIMIT_S: Record<string, number> = { kafka: 45, connect: 90, redis: 30, consumer: 60 };

interface Row {
  result: ScenarioResult;
  stallSeconds: number;
  /** Where the work went: the task's new worker, the promoted replica. */
  failover: string;
}

describe.runIf(CLUSTER)('cluster failover: kill -9 one node of each kind under load', () => {
  const root = findRepoRoot();
  let config: StackConfig;
  let stack: LocalStack;
  let supervisor: Supervisor;
  let pool: pg.Pool;
  let redis: RedisClient;
  let context: ScenarioContext;
  let populatorPorts: number[];
  const rows: Row[] = [];
  const log: string[] = [];

  const ready = (port: number) => fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2_000) }).then((response) => response.status === 200);
  const instancePorts = (port: number) => Array.from({ length: config.consumers.instances }, (_, index) => instancePort(port, index + 1));
  const allReady = async () => (await Promise.all([config.api.port, ...populatorPorts, ...instancePorts(config.activityLog.port)].map((port) => ready(port).catch(() => false)))).every(Boolean);

  beforeAll(async () => {
    config = loadStackConfig();
    stack = localStack(config);
    populatorPorts = instancePorts(config.populator.port);
    execFileSync(process.execPath, [join(root, 'scripts', 'build-services.mjs')], { stdio: 'ignore' });
    // As `npm start` runs them on this profile: two instances of each consumer, one group each.
    const services = withConsumerInstances(builtServices(root), config).map((spec) => ({ ...spec, env: { ...spec.env, EVERGREEN_LOG_FORMAT: 'json', EVERGREEN_LOG_LEVEL: 'warn' } }));
    supervisor = new Supervisor({ services, write: (line) => log.push(line) });
    supervisor.start();
    pool = createPool(config.postgres, { max: 2 });
    pool.on('error', () => undefined);
    redis = createRedis(config.redis, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    await pollUntil(allReady, { description: 'the supervised services to be ready', timeoutMs: 180_000, intervalMs: 250 });
    await waitUntilPopulatorCaughtUp(config);
    // Both instances' records that found their version already applied.
    const duplicates = async () => (await Promise.all(populatorPorts.map((port) => consumerRecords(port, 'stale').catch(() => 0)))).reduce((sum, value) => sum + value, 0);
    context = scenarioContext(config, pool, redis, WRITES, duplicates);
  }, 600_000);

  afterAll(async () => {
    await supervisor?.stop();
    if (stack) await stackUp(stack, () => undefined);
    redis?.disconnect();
    await pool?.end();
    if (rows.length > 0) {
      const ledger = formatLedger(rows.map((row) => row.result));
      const stalls = ['| killed (-9) | longest time without progress | failover |', '|---|---:|---|', ...rows.map((row) => `| ${row.result.component} | ${row.stallSeconds.toFixed(1)} s | ${row.failover} |`)].join('\n');
      const report = `cluster failover (${WRITES} acknowledged writes per scenario)\n\n${ledger}\n\n${stalls}\n`;
      console.log(`\n${report}`);
      mkdirSync(join(root, 'test-results'), { recursive: true });
      writeFileSync(join(root, 'test-results', 'cluster-failover.md'), report);
    }
  }, 300_000);

  async function scenario(fault: Fault, limitS: number, evidence: FailoverEvidence = {}): Promise<Row> {
    const meter = new ProgressMeter(populatorPorts);
    meter.start();
    const result = await runScenario(context, fault).finally(() => meter.stop());
    const failover = evidence.taskMovedTo
      ? `task ${evidence.taskMovedFrom} → ${evidence.taskMovedTo}`
      : evidence.redisPromoted
        ? `primary ${evidence.redisPrimaryKilled} → replica ${evidence.redisPromoted} promoted`
        : 'partitions to the survivors';
    const row = { result, stallSeconds: meter.longestStallMs / 1000, failover };
    rows.push(row);
    expect(result.problems).toEqual([]);
    expect({ missing: result.missing, stale: result.stale, resurrected: result.resurrected, activityMissing: result.activityMissing }).toEqual({ missing: 0, stale: 0, resurrected: 0, activityMissing: 0 });
    expect(result.acknowledged).toBeGreaterThanOrEqual(WRITES);
    expect(row.stallSeconds).toBeGreaterThan(0);
    expect(row.stallSeconds).toBeLessThanOrEqual(limitS);
    return row;
  }

  it('kill -9 a Kafka broker: the other two keep every partition writable (min.insync.replicas=2)', async () => {
    await scenario(kafkaBrokerFault(stack, 'kafka-2'), STALL_LIMIT_S.kafka as number);
  }, 600_000);

  it("kill -9 the Connect worker running the outbox task: the task moves to the other worker", async () => {
    const evidence: FailoverEvidence = {};
    await scenario(connectWorkerFault(stack, config.connect.connectorName, evidence), STALL_LIMIT_S.connect as number, evidence);
    expect(evidence.taskMovedTo).toBeDefined();
    expect(evidence.taskMovedTo).not.toBe(evidence.taskMovedFrom);
  }, 600_000);

  it('kill -9 a Redis primary: a replica is promoted and takes its slots', async () => {
    const evidence: FailoverEvidence = {};
    await scenario(redisPrimaryFault(stack, evidence), STALL_LIMIT_S.redis as number, evidence);
    expect(evidence.redisPromoted).toBeDefined();
    expect(evidence.redisPromoted).not.toBe(evidence.redisPrimaryKilled);
  }, 600_000);

  it('kill -9 one cache-populator instance: the other instance of the group takes its partitions', async () => {
    await scenario(consumerInstanceFault(supervisor, 'cache-populator', allReady), STALL_LIMIT_S.consumer as number);
  }, 600_000);
});
