import { activityLogMigrations } from '@evergreen/activity-log';
import { assertApartFromDemo, holdNamespace, localStack, prepareNamespace, resetNamespace, type LocalStack, type NamespaceHold } from '@evergreen/local-stack';
import { ensureTopics, relayTopics } from '@evergreen/connect-config';
import { aggregateTopic, loadStackConfig, loadStackEnv, type StackConfig } from '@evergreen/platform';
import { orderServiceMigrations } from '@evergreen/order-service';
import { registrationMigrations } from '@evergreen/registration-api';

/**
 * The benchmark's namespace on the shared stack, like the end-to-end tests' (tests/e2e): its own
 * database, topics, connector and slot, Redis database, service ports and groups. It is emptied
 * before and after a run, so a run never leaves 200,000 benchmark users where `npm start` runs.
 */
export const BENCH_NAMESPACE = {
  EVERGREEN_PG_DATABASE: 'evergreen_bench',
  EVERGREEN_TOPIC_PREFIX: 'evergreen-bench',
  EVERGREEN_REDIS_DB: '12',
  EVERGREEN_CONNECTOR_NAME: 'evergreen-bench-outbox',
  EVERGREEN_SLOT_NAME: 'evergreen_bench_outbox',
  EVERGREEN_ORDERS_PG_DATABASE: 'evergreen_bench_orders',
  EVERGREEN_ORDERS_CONNECTOR_NAME: 'evergreen-bench-orders-outbox',
  EVERGREEN_ORDERS_SLOT_NAME: 'evergreen_bench_orders_outbox',
  EVERGREEN_API_PORT: '3200',
  EVERGREEN_POPULATOR_PORT: '3201',
  EVERGREEN_ACTIVITY_LOG_PORT: '3202',
  EVERGREEN_ORDER_SERVICE_PORT: '3203',
  EVERGREEN_ORDER_CACHE_PORT: '3204',
  EVERGREEN_POPULATOR_GROUP: 'evergreen-bench-cache-populator',
  EVERGREEN_ACTIVITY_LOG_GROUP: 'evergreen-bench-activity-log',
  EVERGREEN_ORDER_USERS_GROUP: 'evergreen-bench-order-service-users',
  EVERGREEN_ORDER_CACHE_GROUP: 'evergreen-bench-order-cache',
  // The projections' periodic drift check scans every user; at 200,000 it would land in a
  // measurement at random. It is measured on its own (npm run bench:verify).
  EVERGREEN_VERIFY_INTERVAL_MS: '3600000',
} as const satisfies Record<string, string>;

/**
 * On the cluster profile: a Redis Cluster has only db 0, so the benchmark's keys keep apart by
 * prefix; its services get ports apart from a benchmark of the single-node stack.
 */
export const BENCH_CLUSTER_NAMESPACE = {
  EVERGREEN_REDIS_DB: '0',
  EVERGREEN_REDIS_KEY_PREFIX: 'evergreen-bench/',
  EVERGREEN_API_PORT: '3160',
  EVERGREEN_POPULATOR_PORT: '3161',
  EVERGREEN_ACTIVITY_LOG_PORT: '3162',
  EVERGREEN_ORDER_SERVICE_PORT: '3163',
  EVERGREEN_ORDER_CACHE_PORT: '3164',
} as const satisfies Record<string, string>;

export interface BenchNamespace {
  stack: LocalStack;
  config: StackConfig;
  /** The environment the namespace's services and the connector's placeholders see. */
  env: Record<string, string>;
  /** Empties the namespace and lets go of it. */
  close(): Promise<void>;
}

/** Takes the namespace (refusing one that another run holds), empties it and prepares it; its user topic records append times. */
export async function enterBenchNamespace(say: (line: string) => void): Promise<BenchNamespace> {
  const demoEnv = loadStackEnv();
  const stack = localStack(loadStackConfig());
  const env = loadStackEnv({ ...process.env, ...BENCH_NAMESPACE, ...(process.env.EVERGREEN_STACK_PROFILE === 'cluster' ? BENCH_CLUSTER_NAMESPACE : {}) });
  assertApartFromDemo(demoEnv, env, 'benchmark');
  const config = loadStackConfig(env);
  const hold: NamespaceHold = await holdNamespace(config);
  if (!hold.exclusive) {
    await hold.release();
    throw new Error(`another benchmark run is using ${config.postgres.database}; one at a time, or the figures measure both`);
  }
  try {
    await resetNamespace(config, say);
    await prepareNamespace(stack, config, env, { main: [...registrationMigrations(), ...activityLogMigrations()], orders: orderServiceMigrations() }, say);
    // The broker stamps each record of the benchmark's topic as it appends it: the relay's stage ends there.
    const topic = aggregateTopic(config, 'user');
    await ensureTopics(config, relayTopics(env).map((definition) => (definition.name === topic ? { ...definition, config: { ...definition.config, 'message.timestamp.type': 'LogAppendTime' } } : definition)));
  } catch (error) {
    await hold.release();
    throw error;
  }
  return {
    stack,
    config,
    env,
    async close() {
      try {
        await resetNamespace(config, say);
      } finally {
        await hold.release();
      }
    },
  };
}
